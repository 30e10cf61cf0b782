# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import ModelSingleton, ModelSQL, ModelView, fields

from .access import ClientWriteMixin
from .exceptions import ConfigurationValidationError
from .numbering import format_number

DEFAULT_AGENDA_PATTERN = '{sequence}/{unit_code}/{year}'


class Configuration(ClientWriteMixin, ModelSingleton, ModelSQL, ModelView):
    __name__ = 'esurat.configuration'
    __string__ = "e-Surat Configuration"

    agenda_pattern = fields.Char(
        "Agenda Number Pattern", required=True,
        help="Placeholders: {sequence}, {unit_code}, {year}, {month}, "
        "{month_roman}, {classification}.\n"
        "A unit may override it.")
    max_scan_size = fields.Integer(
        "Maximum Scan Size (MB)", required=True,
        domain=[('max_scan_size', '>', 0)])

    @classmethod
    def default_agenda_pattern(cls):
        return DEFAULT_AGENDA_PATTERN

    @classmethod
    def default_max_scan_size(cls):
        return 20

    @classmethod
    def validate_fields(cls, records, field_names):
        super().validate_fields(records, field_names)
        cls.check_pattern(records, field_names)

    @classmethod
    def check_pattern(cls, records, field_names=None):
        if field_names and 'agenda_pattern' not in field_names:
            return
        for record in records:
            check_pattern(record.agenda_pattern)

    @property
    def max_scan_bytes(self):
        return (self.max_scan_size or 0) * 1024 * 1024


def check_pattern(pattern):
    "Raise a translated error if the numbering pattern cannot be formatted"
    if not pattern or '{sequence' not in pattern:
        raise ConfigurationValidationError(gettext(
                'esurat_base.msg_pattern_invalid', pattern=pattern or ''))
    try:
        format_number(
            pattern, sequence=1, unit_code='X', year=2000, month=1,
            classification='000')
    except (KeyError, ValueError, IndexError, AttributeError):
        raise ConfigurationValidationError(gettext(
                'esurat_base.msg_pattern_invalid', pattern=pattern))
