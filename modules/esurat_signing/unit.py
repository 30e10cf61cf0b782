# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import fields
from trytond.modules.esurat_base.configuration import check_pattern
from trytond.pool import Pool, PoolMeta


class Unit(metaclass=PoolMeta):
    __name__ = 'esurat.unit'

    outgoing_pattern = fields.Char(
        "Outgoing Number Pattern",
        help="Leave empty to use the pattern of the configuration.")

    @classmethod
    def check_agenda_pattern(cls, units, field_names=None):
        super().check_agenda_pattern(units, field_names)
        if field_names and 'outgoing_pattern' not in field_names:
            return
        for unit in units:
            if unit.outgoing_pattern:
                check_pattern(unit.outgoing_pattern)

    def get_outgoing_pattern(self):
        pool = Pool()
        Configuration = pool.get('esurat.configuration')
        return self.outgoing_pattern or Configuration(1).outgoing_pattern

    @property
    def letterhead_address(self):
        "The address line of the letterhead"
        parts = [self.street, self.city, self.postal_code]
        return ' '.join(p for p in parts if p)

    @property
    def letterhead_contacts(self):
        parts = []
        if self.phone:
            parts.append(f'Telp. {self.phone}')
        if self.fax:
            parts.append(f'Faks. {self.fax}')
        if self.email:
            parts.append(f'Email: {self.email}')
        if self.website:
            parts.append(f'Laman: {self.website}')
        return ', '.join(parts)


class UnitSequence(metaclass=PoolMeta):
    __name__ = 'esurat.unit.sequence'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.kind.selection.append(('outgoing', "Outgoing"))
