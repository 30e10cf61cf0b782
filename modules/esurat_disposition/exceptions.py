# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError


class DispositionError(UserError):
    pass


class DispositionAccessError(AccessError):
    pass
