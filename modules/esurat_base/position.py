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
from trytond.transaction import Transaction
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import HoldingValidationError
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


class Position(DeactivableMixin, tree(parent='reports_to'), ModelSQL,
        ModelView):
    "Position (Jabatan)"
    __name__ = 'esurat.position'

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


class Holding(ModelSQL, ModelView):
    "Position Holding"
    __name__ = 'esurat.position.holding'

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
    "Transfer (Mutasi)"
    __name__ = 'esurat.position.transfer.start'

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
    "Transfer (Mutasi)"
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
        old = self.start.holding
        date = self.start.date
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
