# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class OutgoingValidationError(ValidationError):
    pass


class OutgoingError(UserError):
    pass


class OutgoingAccessError(AccessError):
    pass


class SigningError(UserError):
    pass
