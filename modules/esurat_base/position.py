# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Null

from trytond import backend
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, fields, tree)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .access import ClientWriteMixin
from .exceptions import HoldingValidationError, PositionAccessError
from .tools import rec_name_domain

LEVELS = [
    ('regional_head', "Regional Head (Bupati/Wali Kota)"),
    ('vice_head', "Vice Regional Head"),
    ('secretary', "Regional Secretary (Sekda)"),
    ('assistant', "Assistant (Asisten)"),
    ('agency_head', "Agency Head (Kepala OPD/Camat/Lurah)"),
    ('agency_secretary', "Agency Secretary (Sekretaris)"),
    ('division_head', "Division Head (Kabid/Kabag)"),
    ('section_head', "Section Head (Kasi/Kasubag)"),
    ('staff', "Staff"),
    ]
# Positions above every agency: only a super administrator fills them
TOP_LEVELS = {'regional_head', 'vice_head', 'secretary'}


class Position(
        ClientWriteMixin, DeactivableMixin, tree(parent='reports_to'),
        ModelSQL, ModelView):
    __name__ = 'esurat.position'
    __string__ = "Position"

    name = fields.Char("Name", required=True)
    unit = fields.Many2One(
        'esurat.unit', "Unit", required=True, ondelete='RESTRICT')
    agency = fields.Function(
        fields.Many2One('esurat.unit', "Agency"), 'get_agency',
        searcher='search_agency')
    reports_to = fields.Many2One(
        'esurat.position', "Reports To", ondelete='RESTRICT',
        domain=[('id', '!=', Eval('id', -1))])
    subordinates = fields.One2Many(
        'esurat.position', 'reports_to', "Subordinates")
    level = fields.Selection(LEVELS, "Level", required=True, sort=False)
    holdings = fields.One2Many(
        'esurat.position.holding', 'position', "Holdings")
    holder_names = fields.Function(
        fields.Char("Holders"), 'get_holder_names')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order.insert(0, ('name', 'ASC'))
        cls._sql_indexes.update({
                Index(t, (t.unit, Index.Range())),
                Index(t, (t.reports_to, Index.Range())),
                })

    @classmethod
    def default_level(cls):
        return 'staff'

    def get_rec_name(self, name):
        if self.unit:
            return f'{self.name} ({self.unit.short_name or self.unit.name})'
        return self.name

    @classmethod
    def search_rec_name(cls, name, clause):
        return rec_name_domain(clause, ['name', 'unit.rec_name'])

    def get_agency(self, name):
        return self.unit.agency.id if self.unit and self.unit.agency else None

    @classmethod
    def search_agency(cls, name, clause):
        return [('unit.agency' + clause[0][len(name):], *clause[1:])]

    @classmethod
    def check_modification(cls, mode, positions, values=None, external=False):
        pool = Pool()
        User = pool.get('res.user')
        super().check_modification(
            mode, positions, values=values, external=external)
        # The Bupati, Wakil and Sekda approve delegations and receive what is
        # addressed to the region: an OPD administrator neither creates such
        # positions in their agency nor changes them
        if not external or User.is_esurat_super_administrator():
            return
        levels = {p.level for p in positions}
        if mode == 'write' and 'level' in values:
            levels.add(values['level'])
        if levels & TOP_LEVELS:
            raise PositionAccessError(
                gettext('esurat_base.msg_position_top_level'))

    @classmethod
    def get_holder_names(cls, positions, name):
        "Current holders of each position, read in one query"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        names = {p.id: [] for p in positions}
        for sub_ids in grouped_slice(
                [p.id for p in positions], backend.MAX_QUERY_PARAMS):
            holdings = Holding.search([
                    ('position', 'in', list(sub_ids)),
                    ('current', '=', True),
                    ], order=[('kind', 'ASC'), ('id', 'ASC')])
            for holding in holdings:
                names[holding.position.id].append(holding.title)
        return {k: ', '.join(v) for k, v in names.items()}


class Holding(ClientWriteMixin, ModelSQL, ModelView):
    __name__ = 'esurat.position.holding'
    __string__ = "Position Holding"

    position = fields.Many2One(
        'esurat.position', "Position", required=True, ondelete='RESTRICT')
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='RESTRICT')
    kind = fields.Selection([
            ('definitive', "Definitive"),
            ('plt', "Plt (Acting)"),
            ('plh', "Plh (Daily Acting)"),
            ], "Kind", required=True, sort=False,
        help="Plt acts in a vacant position; "
        "Plh acts while the holder is temporarily away.")
    start_date = fields.Date(
        "Start Date", required=True,
        domain=[If(Bool(Eval('end_date')),
                ('start_date', '<=', Eval('end_date')), ())])
    end_date = fields.Date(
        "End Date",
        domain=[If(Bool(Eval('end_date')),
                ('end_date', '>=', Eval('start_date')), ())])
    current = fields.Function(
        fields.Boolean("Current"), 'get_current', searcher='search_current')
    title = fields.Function(fields.Char("Title"), 'get_title')

    _user_positions_cache = Cache(
        'esurat_position_holding.user_positions', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t,
                    (t.user, Index.Equality()),
                    (t.start_date, Index.Range()),
                    (t.end_date, Index.Range())),
                Index(t, (t.position, Index.Range())),
                })

    @classmethod
    def default_kind(cls):
        return 'definitive'

    @classmethod
    def default_start_date(cls):
        return datetime.date.today()

    def is_current(self, date=None):
        if date is None:
            date = datetime.date.today()
        return (self.start_date <= date
            and (not self.end_date or self.end_date >= date))

    def get_current(self, name):
        return self.is_current()

    @classmethod
    def search_current(cls, name, clause):
        _, operator, value = clause
        today = datetime.date.today()
        current = [
            ('start_date', '<=', today),
            ['OR', ('end_date', '=', None), ('end_date', '>=', today)],
            ]
        if (operator == '=') == bool(value):
            return current
        return ['OR',
            ('start_date', '>', today),
            ('end_date', '<', today),
            ]

    def get_title(self, name):
        prefix = {'plt': 'Plt. ', 'plh': 'Plh. '}.get(self.kind, '')
        return f'{prefix}{self.user.rec_name}'

    def get_rec_name(self, name):
        return f'{self.position.rec_name}: {self.title}'

    @classmethod
    def validate_fields(cls, holdings, field_names):
        super().validate_fields(holdings, field_names)
        cls.check_overlap(holdings, field_names)

    @classmethod
    def check_overlap(cls, holdings, field_names=None):
        "A position has at most one holder of each kind on any day"
        if field_names and not (
                {'position', 'kind', 'start_date', 'end_date'}
                & set(field_names)):
            return
        for holding in holdings:
            domain = [
                ('id', '!=', holding.id),
                ('position', '=', holding.position.id),
                ('kind', '=', holding.kind),
                ['OR',
                    ('end_date', '=', None),
                    ('end_date', '>=', holding.start_date)],
                ]
            if holding.end_date:
                domain.append(('start_date', '<=', holding.end_date))
            others = cls.search(domain, limit=1)
            if others:
                other, = others
                raise HoldingValidationError(gettext(
                        'esurat_base.msg_holding_overlap',
                        position=holding.position.rec_name,
                        other=other.title,
                        start=other.start_date))

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            # Refused before anything is stored
            with without_check_access():
                for values in vlist:
                    if values.get('position') and values.get('user'):
                        cls.check_authority(
                            Position(values['position']),
                            User(values['user']))
        return super().create(vlist)

    @classmethod
    def check_modification(cls, mode, holdings, values=None, external=False):
        super().check_modification(
            mode, holdings, values=values, external=external)
        # Position and user of a holding never change (ClientWriteMixin):
        # the stored ones say who may change the dates
        if external and mode != 'create':
            for holding in holdings:
                cls.check_authority(holding.position, holding.user)

    @classmethod
    def check_authority(cls, position, user):
        """Whether the current user may let user hold position: a holding
        gives access to letters, so nobody gives one to themselves and an
        OPD administrator stays within their agency, below the Sekda"""
        pool = Pool()
        User = pool.get('res.user')
        actor = Transaction().user
        if not actor:
            return
        if user.id == actor:
            raise PositionAccessError(gettext('esurat_base.msg_holding_self'))
        if User.is_esurat_super_administrator():
            return
        agencies = User.get_esurat_agencies()
        if (not User.is_esurat_administrator()
                or position.level in TOP_LEVELS
                or not position.agency
                or position.agency.id not in agencies
                or not user.esurat_agency
                or user.esurat_agency.id not in agencies):
            raise PositionAccessError(
                gettext('esurat_base.msg_holding_authority'))

    @classmethod
    def on_modification(cls, mode, holdings, field_names=None):
        super().on_modification(mode, holdings, field_names)
        cls.clear_access_cache()

    @classmethod
    def clear_access_cache(cls):
        "Access follows holdings at once: forget cached positions and rules"
        pool = Pool()
        Rule = pool.get('ir.rule')
        cls._user_positions_cache.clear()
        Rule._domain_get_cache.clear()

    @classmethod
    def user_positions(cls, user_id, date=None):
        "Ids of the positions user_id holds on date (today by default)"
        if date is None:
            date = datetime.date.today()
        key = (user_id, date.isoformat())
        positions = cls._user_positions_cache.get(key)
        if positions is not None:
            return positions
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.position,
                where=(table.user == user_id)
                & (table.start_date <= date)
                & ((table.end_date == Null) | (table.end_date >= date))))
        positions = sorted({p for p, in cursor})
        cls._user_positions_cache.set(key, positions)
        return positions


class TransferStart(ModelView):
    __name__ = 'esurat.position.transfer.start'
    __string__ = "Position Transfer"

    holding = fields.Many2One(
        'esurat.position.holding', "Current Holding", required=True,
        domain=[('current', '=', True)])
    position = fields.Many2One(
        'esurat.position', "New Position", required=True,
        domain=[('id', '!=', Eval('current_position', -1))])
    current_position = fields.Many2One(
        'esurat.position', "Current Position", readonly=True)
    kind = fields.Selection('get_kinds', "Kind", required=True)
    date = fields.Date("Effective Date", required=True)

    @classmethod
    def get_kinds(cls):
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        return Holding.fields_get(['kind'])['kind']['selection']

    @fields.depends('holding')
    def on_change_with_current_position(self, name=None):
        return self.holding.position if self.holding else None


class Transfer(Wizard):
    __name__ = 'esurat.position.transfer'

    start = StateView(
        'esurat.position.transfer.start',
        'esurat_base.position_transfer_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Transfer", 'transfer', 'tryton-ok', default=True),
            ])
    transfer = StateTransition()

    def default_start(self, fields):
        values = {
            'date': datetime.date.today(),
            'kind': 'definitive',
            }
        if self.model and self.model.__name__ == 'esurat.position.holding':
            holding = self.record
            if holding and holding.is_current():
                values['holding'] = holding.id
                values['current_position'] = holding.position.id
        return values

    def transition_transfer(self):
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        # The client may send any holding and position: check them again
        old = self.start.holding
        date = self.start.date
        for name in ['holding', 'position', 'kind', 'date']:
            if not getattr(self.start, name):
                raise HoldingValidationError(gettext(
                        'ir.msg_required_validation',
                        **self.start.__names__(name)))
        if not old.is_current():
            raise HoldingValidationError(gettext(
                    'esurat_base.msg_transfer_not_current'))
        Holding.check_authority(old.position, old.user)
        Holding.check_authority(self.start.position, old.user)
        if date <= old.start_date:
            raise HoldingValidationError(gettext(
                    'esurat_base.msg_transfer_date_before_start',
                    holding=old.rec_name, start=old.start_date))
        old.end_date = date - datetime.timedelta(days=1)
        new = Holding(
            position=self.start.position, user=old.user,
            kind=self.start.kind, start_date=date)
        Holding.save([old, new])
        return 'end'
