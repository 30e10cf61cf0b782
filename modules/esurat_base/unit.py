# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields, tree)
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .access import ClientWriteMixin
from .configuration import check_pattern
from .exceptions import UnitValidationError
from .position import LEVELS
from .tools import rec_name_domain

# Kinds of unit that have their own administration, agenda and operators
# (a Perangkat Daerah, or a Kelurahan under its Kecamatan).
AGENCY_KINDS = {'setda', 'opd', 'kecamatan', 'kelurahan'}


class Unit(ClientWriteMixin, DeactivableMixin, tree(), ModelSQL, ModelView):
    __name__ = 'esurat.unit'
    __string__ = "Organisation Unit"

    name = fields.Char("Name", required=True, translate=False)
    short_name = fields.Char("Short Name")
    code = fields.Char(
        "Code", required=True,
        help="Used in letter numbers, e.g. 426.101 or DISKOMINFO.")
    kind = fields.Selection([
            ('pemda', "Regional Government"),
            ('setda', "Regional Secretariat"),
            ('opd', "Regional Agency (OPD)"),
            ('kecamatan', "District (Kecamatan)"),
            ('kelurahan', "Urban Village (Kelurahan)"),
            ('division', "Division (Bagian/Bidang)"),
            ('section', "Section (Subbagian/Seksi)"),
            ], "Kind", required=True, sort=False)
    parent = fields.Many2One(
        'esurat.unit', "Parent", ondelete='RESTRICT',
        states={'required': Eval('kind') != 'pemda'})
    children = fields.One2Many('esurat.unit', 'parent', "Children")
    agency = fields.Many2One(
        'esurat.unit', "Agency", readonly=True, ondelete='RESTRICT',
        help="The Perangkat Daerah (or Kelurahan) this unit belongs to; "
        "it scopes administrators and agenda numbers.")
    agenda_pattern = fields.Char(
        "Agenda Number Pattern",
        help="Leave empty to use the pattern of the configuration.")
    # Letterhead (kop surat)
    logo = fields.Binary("Logo", file_id='logo_id', store_prefix='esurat')
    logo_id = fields.Char("Logo ID", readonly=True)
    letterhead_title = fields.Char(
        "Letterhead Title", help="e.g. PEMERINTAH KABUPATEN SUKAMAJU")
    street = fields.Char("Street")
    city = fields.Char("City")
    postal_code = fields.Char("Postal Code")
    phone = fields.Char("Phone")
    fax = fields.Char("Fax")
    email = fields.Char("Email")
    website = fields.Char("Website")
    positions = fields.One2Many('esurat.position', 'unit', "Positions")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order.insert(0, ('code', 'ASC'))
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'esurat_base.msg_unit_code_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.parent, Index.Range())),
                Index(t, (t.agency, Index.Range())),
                })

    @classmethod
    def default_kind(cls):
        return 'opd'

    @classmethod
    def search_rec_name(cls, name, clause):
        return rec_name_domain(clause, ['name', 'short_name', 'code'])

    @property
    def is_agency(self):
        return self.kind in AGENCY_KINDS

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names)
        if field_names is None or {'parent', 'kind'} & set(field_names):
            agency = self._find_agency()
            if self.agency != agency:
                values['agency'] = agency.id if agency else None
        return values

    def _find_agency(self):
        unit = self
        while unit:
            if unit.is_agency:
                return unit
            unit = unit.parent

    @classmethod
    def on_modification(cls, mode, units, field_names=None):
        pool = Pool()
        Rule = pool.get('ir.rule')
        User = pool.get('res.user')
        super().on_modification(mode, units, field_names)
        if mode == 'write' and {'parent', 'kind'} & set(field_names or []):
            # Moving a unit moves its whole subtree to the new agency
            descendants = cls.search([
                    ('parent', 'child_of', [u.id for u in units]),
                    ('id', 'not in', [u.id for u in units]),
                    ])
            cls._compute_fields(descendants)
            User._esurat_agencies_cache.clear()
            Rule._domain_get_cache.clear()

    @classmethod
    def validate_fields(cls, units, field_names):
        super().validate_fields(units, field_names)
        cls.check_agenda_pattern(units, field_names)

    @classmethod
    def check_agenda_pattern(cls, units, field_names=None):
        if field_names and 'agenda_pattern' not in field_names:
            return
        for unit in units:
            if unit.agenda_pattern:
                check_pattern(unit.agenda_pattern)

    @classmethod
    def validate(cls, units):
        super().validate(units)
        for unit in units:
            if unit.kind == 'pemda' and unit.parent:
                raise UnitValidationError(gettext(
                        'esurat_base.msg_unit_pemda_root', unit=unit.rec_name))

    def head_position(self):
        "The highest active position of the unit itself, or None"
        rank = {level: i for i, (level, _) in enumerate(LEVELS)}
        positions = [p for p in self.positions if p.active]
        if positions:
            return min(positions, key=lambda p: (rank[p.level], p.id))

    def get_agenda_pattern(self):
        pool = Pool()
        Configuration = pool.get('esurat.configuration')
        return self.agenda_pattern or Configuration(1).agenda_pattern


class UnitSequence(ClientWriteMixin, ModelSQL, ModelView):
    __name__ = 'esurat.unit.sequence'
    __string__ = "Unit Yearly Sequence"

    _states = {'readonly': Eval('id', -1) >= 0}
    unit = fields.Many2One(
        'esurat.unit', "Unit", required=True, ondelete='RESTRICT',
        states=_states)
    year = fields.Integer("Year", required=True, states=_states)
    kind = fields.Selection([
            ('agenda', "Agenda"),
            ], "Kind", required=True, states=_states)
    letter_type = fields.Many2One(
        'esurat.letter.type', "Letter Type", ondelete='RESTRICT',
        states=_states,
        help="The letter type numbered in this register of its own; "
        "empty for the unit's common register.")
    del _states
    last_number = fields.Integer(
        "Last Number", required=True,
        domain=[('last_number', '>=', 0)],
        help="The last number given; the next one follows it.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('year', 'DESC'), ('unit', 'ASC'), ('id', 'DESC')]
        # The common register (no letter type) is made only by next_number,
        # under the lock of its unit, so NULL needs no constraint of its own
        cls._sql_constraints += [
            ('unit_year_kind_type_unique',
                Unique(t, t.unit, t.year, t.kind, t.letter_type),
                'esurat_base.msg_unit_sequence_unique'),
            ]

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        # Migration from 8.0.0: one register per letter type may exist
        table_h.drop_constraint('unit_year_kind_unique')
        super().__register__(module)

    @classmethod
    def default_last_number(cls):
        return 0

    @classmethod
    @without_check_access
    def next_number(cls, unit, year, kind, letter_type=None):
        """Return the next number of unit's yearly sequence of kind, in the
        register of letter_type when that type has its own register.

        The unit row is locked the Tryton way: the first call restarts the
        transaction with the lock taken before anything is read, so the
        counter read and incremented here is always the committed one and
        concurrent registrations of a unit are serialised (strict numbers:
        no gap, no duplicate).  How long a registration may wait for the
        lock is bounded by ``[database] retry``.
        """
        pool = Pool()
        Unit = pool.get('esurat.unit')
        Unit.lock([unit])
        if letter_type and not letter_type.own_register:
            letter_type = None
        letter_type_id = letter_type.id if letter_type else None
        records = cls.search([
                ('unit', '=', unit.id),
                ('year', '=', year),
                ('kind', '=', kind),
                ('letter_type', '=', letter_type_id),
                ], limit=1)
        if not records:
            records = cls.create([{
                        'unit': unit.id, 'year': year, 'kind': kind,
                        'letter_type': letter_type_id}])
        record, = records
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.last_number], [table.last_number + 1],
                where=table.id == record.id))
        cursor.execute(*table.select(
                table.last_number, where=table.id == record.id))
        number, = cursor.fetchone()
        return number
