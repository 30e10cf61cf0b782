from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class DispositionError(UserError):
    pass


class DispositionAccessError(AccessError):
    pass


class DelegationValidationError(ValidationError):
    pass


class DelegationAccessError(AccessError):
    pass
