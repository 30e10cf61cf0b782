# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Null
from sql.conditionals import Coalesce, NullIf

from trytond import backend
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields, tree)
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

    @classmethod
    def get_rec_name(cls, positions, name):
        """"Name (unit)", in one query for all: every list of letters and
        dispositions shows positions, and reading them with their units
        record by record cost a page of the inbox half its time"""
        pool = Pool()
        Unit = pool.get('esurat.unit')
        position = cls.__table__()
        unit = Unit.__table__()
        cursor = Transaction().connection.cursor()
        result = {}
        for sub_ids in grouped_slice(
                [p.id for p in positions], backend.MAX_QUERY_PARAMS):
            cursor.execute(*position.join(
                    unit, 'LEFT', condition=position.unit == unit.id).select(
                    position.id, position.name,
                    Coalesce(NullIf(unit.short_name, ''), unit.name),
                    where=fields.SQL_OPERATORS['in'](
                        position.id, list(sub_ids))))
            for id_, position_name, unit_name in cursor:
                result[id_] = (f'{position_name} ({unit_name})'
                    if unit_name else position_name)
        return result

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


# How each kind of holding is written before the position's name
PREFIXES = {
    'definitive': '', 'plt': 'Plt.', 'plh': 'Plh.', 'assistant': 'a.n.'}
# When a user holds a position twice, the stronger kind says how they act
KIND_STRENGTH = ['definitive', 'plt', 'plh', 'assistant']
# Kinds that act for the position's holder: approved through the org chart
ACTING_KINDS = {'plt', 'plh', 'assistant'}
# Holdings that give their user the position on their dates
EFFECTIVE_STATES = ('approved', 'active')


def acting_title(kind, position_name):
    "How someone holding position_name as kind signs, e.g. \"Plh. Camat\""
    prefix = PREFIXES.get(kind or 'definitive', '')
    return f'{prefix} {position_name}' if prefix else position_name


class Holding(ClientWriteMixin, Workflow, ModelSQL, ModelView):
    """Who holds a position, and as what: definitive (an appointment the
    administrator records from its decree), Plt or Plh (acting while the
    position is vacant or its holder away) or assistant (a.n., preparing
    for the official).  Acting holdings are requested by the holder or an
    administrator and approved by the head the org chart names."""
    __name__ = 'esurat.position.holding'
    __string__ = "Position Holding"

    _states = {'readonly': Eval('state') != 'draft'}
    position = fields.Many2One(
        'esurat.position', "Position", required=True, ondelete='RESTRICT',
        states=_states)
    user = fields.Many2One(
        'res.user', "User", required=True, ondelete='RESTRICT',
        states=_states)
    kind = fields.Selection([
            ('definitive', "Definitive"),
            ('plt', "Plt (Acting)"),
            ('plh', "Plh (Daily Acting)"),
            ('assistant', "Assistant (a.n.)"),
            ], "Kind", required=True, sort=False, states=_states,
        help="Plt acts in a vacant position; "
        "Plh acts while the holder is temporarily away; "
        "an assistant acts on behalf (a.n.) of the official: drafts and "
        "disposes as instructed, never signs or approves.")
    reason = fields.Selection([
            (None, ""),
            ('leave', "Leave (Cuti)"),
            ('training', "Training (Diklat)"),
            ('retirement', "Retirement (Pensiun)"),
            ('legal', "Legal Process"),
            ('official_travel', "Official Travel (Dinas Luar)"),
            ('vacancy', "Vacant Position"),
            ('assistance', "Personal Assistance"),
            ], "Reason", sort=False,
        states={
            'readonly': _states['readonly'],
            'required': Eval('kind') != 'definitive',
            'invisible': Eval('kind') == 'definitive',
            })
    start_date = fields.Date(
        "Start Date", required=True, states=_states,
        domain=[If(Bool(Eval('end_date')),
                ('start_date', '<=', Eval('end_date')), ())])
    # An administrator ends an appointment (transfer, retirement) on its
    # record; an acting holding ends by being cancelled
    end_date = fields.Date(
        "End Date",
        domain=[If(Bool(Eval('end_date')),
                ('end_date', '>=', Eval('start_date')), ())],
        states={
            'readonly': ~Eval('state').in_(['draft', 'approved', 'active']),
            'required': Eval('kind').in_(['plh', 'assistant']),
            })
    approver_position = fields.Many2One(
        'esurat.position', "Approver", readonly=True, ondelete='RESTRICT')
    approved_by = fields.Many2One(
        'res.user', "Approved By", readonly=True, ondelete='RESTRICT')
    approved_as = fields.Char("Approved As", readonly=True)
    note = fields.Text("Note", states=_states)
    state = fields.Selection([
            ('draft', "Draft"),
            ('requested', "Requested"),
            ('approved', "Approved"),
            ('active', "Active"),
            ('ended', "Ended"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    current = fields.Function(
        fields.Boolean("Current"), 'get_current', searcher='search_current')
    title = fields.Function(fields.Char("Title"), 'get_title')
    del _states

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
                    (t.end_date, Index.Range()),
                    where=t.state.in_(EFFECTIVE_STATES)),
                Index(t, (t.position, Index.Range())),
                })
        cls._transitions |= {
            ('draft', 'requested'),
            ('draft', 'approved'),
            ('requested', 'approved'),
            ('requested', 'draft'),
            ('approved', 'active'),
            ('active', 'ended'),
            ('draft', 'cancelled'),
            ('requested', 'cancelled'),
            ('approved', 'cancelled'),
            ('active', 'cancelled'),
            }
        cls._buttons.update({
                'request': {
                    'invisible': ((Eval('state') != 'draft')
                        | (Eval('kind') == 'definitive')),
                    'depends': ['state', 'kind'],
                    },
                'confirm': {
                    'invisible': ((Eval('state') != 'draft')
                        | (Eval('kind') != 'definitive')),
                    'depends': ['state', 'kind'],
                    },
                'approve': {
                    'invisible': Eval('state') != 'requested',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'requested',
                    'depends': ['state'],
                    },
                'cancel': {
                    'invisible': ~Eval('state').in_(
                        ['draft', 'requested', 'approved', 'active']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        table_h = cls.__table_handler__(module)
        # Holdings made before the workflow existed were in force
        migrate_state = (
            table_h.table_exist(cls._table)
            and not table_h.column_exist('state'))
        super().__register__(module)
        if migrate_state:
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(
                    [table.state], ['approved'],
                    where=table.state == Null))

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_kind(cls):
        return 'definitive'

    @classmethod
    def default_start_date(cls):
        return datetime.date.today()

    def is_current(self, date=None):
        if date is None:
            date = datetime.date.today()
        return (self.state in EFFECTIVE_STATES
            and self.start_date <= date
            and (not self.end_date or self.end_date >= date))

    def get_current(self, name):
        return self.is_current()

    @classmethod
    def search_current(cls, name, clause):
        _, operator, value = clause
        today = datetime.date.today()
        current = [
            ('state', 'in', EFFECTIVE_STATES),
            ('start_date', '<=', today),
            ['OR', ('end_date', '=', None), ('end_date', '>=', today)],
            ]
        if (operator == '=') == bool(value):
            return current
        return ['OR',
            ('state', 'not in', EFFECTIVE_STATES),
            ('start_date', '>', today),
            ('end_date', '<', today),
            ]

    @property
    def acting_as(self):
        "The position's name as its holder signs, e.g. \"Plh. Kepala Dinas\""
        return acting_title(self.kind, self.position.name)

    def get_title(self, name):
        prefix = PREFIXES.get(self.kind, '')
        name = self.user.rec_name
        return f'{prefix} {name}' if prefix else name

    def get_rec_name(self, name):
        return f'{self.position.rec_name}: {self.title}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return rec_name_domain(clause, ['position.rec_name', 'user.rec_name'])

    # Checks ------------------------------------------------------------

    @classmethod
    def validate_fields(cls, holdings, field_names):
        super().validate_fields(holdings, field_names)
        cls.check_overlap(holdings, field_names)
        cls.check_acting_user(holdings, field_names)

    @classmethod
    def check_overlap(cls, holdings, field_names=None):
        "A position has at most one holder of each kind on any day"
        if field_names and not (
                {'position', 'kind', 'start_date', 'end_date', 'state'}
                & set(field_names)):
            return
        for holding in holdings:
            if holding.state in {'ended', 'cancelled'}:
                continue
            domain = [
                ('id', '!=', holding.id),
                ('position', '=', holding.position.id),
                ('kind', '=', holding.kind),
                ('state', 'in', ['requested', *EFFECTIVE_STATES]),
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
    def check_acting_user(cls, holdings, field_names=None):
        "Nobody acts for a position they already hold"
        if field_names and not (
                {'position', 'user', 'kind', 'start_date'}
                & set(field_names)):
            return
        for holding in holdings:
            if holding.kind not in ACTING_KINDS:
                continue
            held = cls.user_acting(holding.user.id, holding.start_date)
            if held.get(holding.position.id) == 'definitive':
                raise HoldingValidationError(gettext(
                        'esurat_base.msg_holding_own_position',
                        user=holding.user.rec_name,
                        position=holding.position.rec_name))

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
                            User(values['user']),
                            values.get('kind') or cls.default_kind(),
                            values.get('start_date'))
        return super().create(vlist)

    @classmethod
    def check_modification(cls, mode, holdings, values=None, external=False):
        super().check_modification(
            mode, holdings, values=values, external=external)
        if mode == 'delete':
            for holding in holdings:
                if holding.state != 'draft':
                    raise PositionAccessError(gettext(
                            'esurat_base.msg_holding_delete',
                            holding=holding.rec_name))
        # Position, user and kind of a holding are set in its draft: the
        # stored ones say who may change it
        if external and mode != 'create':
            for holding in holdings:
                cls.check_authority(
                    holding.position, holding.user, holding.kind,
                    holding.start_date)
        if external and mode == 'write' and 'end_date' in values:
            end = values['end_date']
            for holding in holdings:
                # Once approved, acting ends earlier, never later: a longer
                # period is a new request to the approver
                if (holding.state != 'draft'
                        and holding.kind in ACTING_KINDS
                        and (not end or not holding.end_date
                            or end > holding.end_date)):
                    raise PositionAccessError(gettext(
                            'esurat_base.msg_holding_extend',
                            holding=holding.rec_name))

    @classmethod
    def check_authority(cls, position, user, kind, start_date=None):
        """Whether the current user may let user hold position as kind: a
        holding gives access to letters, so nobody gives one to themselves,
        an OPD administrator stays within their agency, below the Sekda,
        and an official hands over only a position they really hold, and
        only as Plt, Plh or assistant"""
        pool = Pool()
        User = pool.get('res.user')
        actor = Transaction().user
        if not actor:
            return
        if user.id == actor:
            raise PositionAccessError(gettext('esurat_base.msg_holding_self'))
        if User.is_esurat_super_administrator():
            return
        if User.is_esurat_administrator():
            agencies = User.get_esurat_agencies()
            if (position.level in TOP_LEVELS
                    or not position.agency
                    or position.agency.id not in agencies
                    or not user.esurat_agency
                    or user.esurat_agency.id not in agencies):
                raise PositionAccessError(
                    gettext('esurat_base.msg_holding_authority'))
            return
        # A delegate never hands the position onward
        held = {
            p for date in {datetime.date.today(), start_date} if date
            for p, k in cls.user_acting(actor, date).items()
            if k == 'definitive'}
        if kind not in ACTING_KINDS or position.id not in held:
            raise PositionAccessError(gettext(
                    'esurat_base.msg_holding_onward',
                    position=position.rec_name))

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

    # Workflow ----------------------------------------------------------

    def find_approver_position(self):
        """The head who approves an acting holding: the agency head for the
        agency's staff, the Sekda for agency heads and positions outside
        agencies, the regional head for the Sekda, the assistants and the
        vice head; the position it reports to when the chart has no such
        head"""
        pool = Pool()
        Position = pool.get('esurat.position')
        position = self.position
        level = position.level
        if level in {'secretary', 'assistant', 'vice_head'}:
            wanted = [('level', '=', 'regional_head')]
        elif level == 'agency_head' or not position.agency:
            wanted = [('level', '=', 'secretary')]
        else:
            wanted = [
                ('level', '=', 'agency_head'),
                ('unit', '=', position.agency.id),
                ]
        approvers = Position.search(
            [('id', '!=', position.id), *wanted], limit=1)
        if approvers:
            return approvers[0]
        return position.reports_to

    @classmethod
    @ModelView.button
    @Workflow.transition('requested')
    def request(cls, holdings):
        cls.check_workflow_right(holdings)
        for holding in holdings:
            if holding.kind not in ACTING_KINDS:
                raise HoldingValidationError(gettext(
                        'esurat_base.msg_holding_request_definitive',
                        holding=holding.rec_name))
            holding.approver_position = holding.find_approver_position()
            if not holding.approver_position:
                raise HoldingValidationError(gettext(
                        'esurat_base.msg_holding_no_approver',
                        holding=holding.rec_name))
        cls.save(holdings)
        cls.notify_batch(
            'esurat_base.msg_notify_holding_requested', holdings,
            lambda h: [h.approver_position])

    @classmethod
    @ModelView.button
    def confirm(cls, holdings):
        """An administrator records an appointment decided by decree (its
        authority was checked when the draft was made)"""
        pool = Pool()
        User = pool.get('res.user')
        for holding in holdings:
            if holding.kind in ACTING_KINDS:
                raise HoldingValidationError(gettext(
                        'esurat_base.msg_holding_confirm_acting',
                        holding=holding.rec_name))
        if Transaction().user and not User.is_esurat_administrator():
            raise PositionAccessError(gettext(
                    'esurat_base.msg_holding_authority'))
        cls.check_workflow_right(holdings)
        cls._approve(holdings, None)
        # Starts at once when its period has begun
        cls.update_states(cls.browse([h.id for h in holdings]))

    @classmethod
    @ModelView.button
    def approve(cls, holdings):
        pool = Pool()
        User = pool.get('res.user')
        user_id = Transaction().user
        for holding in holdings:
            position = holding.approver_position
            if user_id and not User.may_approve_as(position, user_id):
                raise PositionAccessError(gettext(
                        'esurat_base.msg_holding_approve_right',
                        holding=holding.rec_name,
                        approver=position.rec_name))
            if user_id and holding.user.id == user_id:
                raise PositionAccessError(
                    gettext('esurat_base.msg_holding_self'))
        cls._approve(holdings, 'approver_position')
        cls.update_states(cls.browse([h.id for h in holdings]))

    @classmethod
    @Workflow.transition('approved')
    def _approve(cls, holdings, approver_field):
        """Approve holdings as the current user acting for approver_field
        (None: as themselves, an administrator recording a decree)"""
        pool = Pool()
        User = pool.get('res.user')
        user_id = Transaction().user
        for holding in holdings:
            approver = (getattr(holding, approver_field)
                if approver_field else None)
            if approver and user_id:
                holding.approved_as = User.acting_title(approver, user_id)
            elif approver:
                holding.approved_as = approver.name
            else:
                holding.approved_as = (
                    User(user_id).rec_name if user_id else None)
            holding.approved_by = user_id or None
        cls.save(holdings)

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, holdings):
        cls.check_workflow_right(holdings, approver=True)

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, holdings):
        cls.check_workflow_right(holdings, approver=True)

    @classmethod
    def check_workflow_right(cls, holdings, approver=False):
        """Buttons run without access checks and every holding is readable:
        only who may make a holding moves it on (and its approver, when
        approver, may send it back or cancel it)"""
        pool = Pool()
        User = pool.get('res.user')
        user_id = Transaction().user
        if not user_id:
            return
        for holding in holdings:
            if approver and User.may_approve_as(
                    holding.approver_position, user_id):
                continue
            cls.check_authority(
                holding.position, holding.user, holding.kind,
                holding.start_date)

    @classmethod
    @Workflow.transition('active')
    def activate(cls, holdings):
        cls.notify_batch(
            'esurat_base.msg_notify_holding_started',
            [h for h in holdings if h.kind in ACTING_KINDS],
            lambda h: [h.position], end=lambda h: h.end_date or '-')

    @classmethod
    @Workflow.transition('ended')
    def end(cls, holdings):
        cls.notify_batch(
            'esurat_base.msg_notify_holding_ended',
            [h for h in holdings if h.kind in ACTING_KINDS],
            lambda h: [h.position])

    @classmethod
    def notify_batch(cls, message, holdings, positions, **variables):
        """Tell the user of each holding and the people behind its
        positions(holding); variables map names to functions of a holding"""
        pool = Pool()
        Notification = pool.get('esurat.notification')
        Notification.send_batch([
                Notification.notice(
                    message, h, positions=positions(h), users=[h.user],
                    acting=h.acting_as, user=h.user.rec_name,
                    **{k: f(h) for k, f in variables.items()})
                for h in holdings])

    @classmethod
    def update_states(cls, holdings=None):
        "Cron: start and end holdings on their dates"
        today = datetime.date.today()
        if holdings is None:
            holdings = cls.search([
                    ('state', 'in', EFFECTIVE_STATES),
                    ['OR',
                        ('start_date', '<=', today),
                        ('end_date', '<', today)],
                    ])
        cls.activate([
                h for h in holdings
                if h.state == 'approved' and h.start_date <= today
                and not (h.end_date and h.end_date < today)])
        cls.end([
                h for h in holdings
                if h.state in EFFECTIVE_STATES
                and h.end_date and h.end_date < today])

    # Who holds what ----------------------------------------------------

    @classmethod
    def user_acting(cls, user_id, date=None):
        """{position id: kind} of the positions user_id holds or acts for
        on date (today by default), the stronger kind when several"""
        if date is None:
            date = datetime.date.today()
        key = (user_id, date.isoformat())
        acting = cls._user_positions_cache.get(key)
        if acting is None:
            table = cls.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.select(
                    table.position, table.kind,
                    where=(table.user == user_id)
                    & table.state.in_(EFFECTIVE_STATES)
                    & (table.start_date <= date)
                    & ((table.end_date == Null) | (table.end_date >= date))))
            kinds = {}
            for position, kind in cursor:
                if (position not in kinds or KIND_STRENGTH.index(kind)
                        < KIND_STRENGTH.index(kinds[position])):
                    kinds[position] = kind
            acting = tuple(sorted(kinds.items()))
            cls._user_positions_cache.set(key, acting)
        return dict(acting)

    @classmethod
    def user_positions(cls, user_id, date=None):
        "Ids of the positions user_id holds or acts for on date"
        return sorted(cls.user_acting(user_id, date))

    @classmethod
    def position_users(cls, position_ids, date=None):
        "{position id: {user ids}} of who holds or acts for each position"
        if date is None:
            date = datetime.date.today()
        result = {p: set() for p in position_ids}
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for sub_ids in grouped_slice(position_ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(
                    table.position, table.user,
                    where=table.position.in_(list(sub_ids))
                    & table.state.in_(EFFECTIVE_STATES)
                    & (table.start_date <= date)
                    & ((table.end_date == Null)
                        | (table.end_date >= date))))
            for position, user in cursor:
                result[position].add(user)
        return result


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
        "A transfer is an appointment or a Plt: a Plh or an a.n. is dated"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        return [(k, n)
            for k, n in Holding.fields_get(['kind'])['kind']['selection']
            if k in {'definitive', 'plt'}]

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
        if self.start.kind not in dict(self.start.get_kinds()):
            raise HoldingValidationError(gettext(
                    'ir.msg_selection_validation_record',
                    value=self.start.kind, record=old.rec_name,
                    **self.start.__names__('kind')))
        Holding.check_authority(old.position, old.user, old.kind)
        Holding.check_authority(
            self.start.position, old.user, self.start.kind)
        if date <= old.start_date:
            raise HoldingValidationError(gettext(
                    'esurat_base.msg_transfer_date_before_start',
                    holding=old.rec_name, start=old.start_date))
        old.end_date = date - datetime.timedelta(days=1)
        new = Holding(
            position=self.start.position, user=old.user,
            kind=self.start.kind, start_date=date,
            reason='vacancy' if self.start.kind in ACTING_KINDS else None)
        Holding.save([old, new])
        # The administrator records the decree; acting goes to its approver
        if new.kind in ACTING_KINDS:
            Holding.request([new])
        else:
            Holding.confirm([new])
        return 'end'
