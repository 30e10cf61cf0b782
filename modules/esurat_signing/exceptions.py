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
