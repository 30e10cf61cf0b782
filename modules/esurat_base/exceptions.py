# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class UnitValidationError(ValidationError):
    pass


class HoldingValidationError(ValidationError):
    pass


class ConfigurationValidationError(ValidationError):
    pass


class LetterValidationError(ValidationError):
    pass


class LetterRegisterError(UserError):
    pass


class LetterAccessError(AccessError):
    pass


class FileValidationError(ValidationError):
    pass


class FilestoreError(UserError):
    pass


class UserGroupError(AccessError):
    pass


class FieldReadonlyError(AccessError):
    pass


class ChatAccessError(AccessError):
    pass


class UserAccountError(AccessError):
    pass


class PositionAccessError(AccessError):
    pass
