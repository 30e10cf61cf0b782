# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.modules.esurat_base.configuration import check_pattern
from trytond.pool import PoolMeta

DEFAULT_OUTGOING_PATTERN = '{classification}/{sequence}/{unit_code}/{year}'


class Configuration(metaclass=PoolMeta):
    __name__ = 'esurat.configuration'

    outgoing_pattern = fields.Char(
        "Outgoing Number Pattern", required=True,
        help="Given at signing. Placeholders: {classification}, {sequence}, "
        "{unit_code}, {year}, {month}, {month_roman}.\n"
        "A unit may override it.")

    @classmethod
    def default_outgoing_pattern(cls):
        return DEFAULT_OUTGOING_PATTERN

    @classmethod
    def check_pattern(cls, records, field_names=None):
        super().check_pattern(records, field_names)
        if field_names and 'outgoing_pattern' not in field_names:
            return
        for record in records:
            check_pattern(record.outgoing_pattern)
