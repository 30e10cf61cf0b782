# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class AreaValidationError(ValidationError):
    pass


class ServiceValidationError(ValidationError):
    pass


class RequestValidationError(UserError):
    "What a citizen typed or uploaded is refused; nothing is stored"
    pass


class RequestError(UserError):
    pass


class RequestAccessError(AccessError):
    pass


class PortalError(UserError):
    "What a citizen or an officer is told when the portal refuses something"


class UploadError(PortalError):
    pass


class ComplaintError(PortalError):
    pass


class InformationError(PortalError):
    pass
