# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Null

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.tools import rec_name_domain
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction

from .exceptions import DelegationAccessError, DelegationValidationError

# Delegations that give their delegate the position's inbox on their dates
EFFECTIVE_STATES = ('approved', 'active')
PREFIXES = {'plt': 'Plt.', 'plh': 'Plh.', 'assistant': 'a.n.'}


class Delegation(ClientWriteMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'esurat.delegation'
    __string__ = "Delegation"

    _states = {'readonly': Eval('state') != 'draft'}
    position = fields.Many2One(
        'esurat.position', "Position", required=True, ondelete='RESTRICT',
        states=_states)
    delegate = fields.Many2One(
        'res.user', "Delegate", required=True, ondelete='RESTRICT',
        states=_states)
    kind = fields.Selection([
            ('plh', "Plh (Daily Acting)"),
            ('plt', "Plt (Acting)"),
            ('assistant', "Assistant (a.n.)"),
            ], "Kind", required=True, sort=False, states=_states,
        help="An assistant acts on behalf (a.n.) of the official: drafts "
        "and disposes as instructed, never signs or approves.")
    reason = fields.Selection([
            ('leave', "Leave (Cuti)"),
            ('training', "Training (Diklat)"),
            ('retirement', "Retirement (Pensiun)"),
            ('legal', "Legal Process"),
            ('official_travel', "Official Travel (Dinas Luar)"),
            ('vacancy', "Vacant Position"),
            ('assistance', "Personal Assistance"),
            ], "Reason", required=True, sort=False, states=_states)
    start_date = fields.Date(
        "Start Date", required=True, states=_states,
        domain=[If(Bool(Eval('end_date')),
                ('start_date', '<=', Eval('end_date')), ())])
    end_date = fields.Date(
        "End Date", required=True, states=_states,
        domain=[If(Bool(Eval('start_date')),
                ('end_date', '>=', Eval('start_date')), ())])
    approver_position = fields.Many2One(
        'esurat.position', "Approver", readonly=True, ondelete='RESTRICT')
    approved_by = fields.Many2One(
        'res.user', "Approved By", readonly=True, ondelete='RESTRICT')
    approved_as = fields.Char("Approved As", readonly=True)
    note = fields.Text("Note", states=_states)
    title = fields.Function(fields.Char("Title"), 'get_title')
    state = fields.Selection([
            ('draft', "Draft"),
            ('requested', "Requested"),
            ('approved', "Approved"),
            ('active', "Active"),
            ('ended', "Ended"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('start_date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t,
                    (t.delegate, Index.Equality()),
                    (t.start_date, Index.Range()),
                    (t.end_date, Index.Range()),
                    where=t.state.in_(EFFECTIVE_STATES)),
                Index(t, (t.position, Index.Range())),
                })
        cls._transitions |= {
            ('draft', 'requested'),
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
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
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
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_kind(cls):
        return 'plh'

    @classmethod
    def default_start_date(cls):
        return datetime.date.today()

    def get_title(self, name):
        prefix = PREFIXES[self.kind]
        return f'{prefix} {self.position.name}' if self.position else prefix

    def get_rec_name(self, name):
        return f'{self.title}: {self.delegate.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return rec_name_domain(
            clause, ['position.rec_name', 'delegate.rec_name'])

    # Checks ------------------------------------------------------------

    @classmethod
    def validate_fields(cls, delegations, field_names):
        super().validate_fields(delegations, field_names)
        cls.check_overlap(delegations, field_names)
        cls.check_delegate(delegations, field_names)

    @classmethod
    def check_overlap(cls, delegations, field_names=None):
        "A position has one delegate of each kind at a time"
        if field_names and not (
                {'position', 'kind', 'start_date', 'end_date', 'state'}
                & set(field_names)):
            return
        for delegation in delegations:
            if delegation.state in {'ended', 'cancelled'}:
                continue
            others = cls.search([
                    ('id', '!=', delegation.id),
                    ('position', '=', delegation.position.id),
                    ('kind', '=', delegation.kind),
                    ('state', 'in', ['requested'] + list(EFFECTIVE_STATES)),
                    ('start_date', '<=', delegation.end_date),
                    ('end_date', '>=', delegation.start_date),
                    ], limit=1)
            if others:
                other, = others
                raise DelegationValidationError(gettext(
                        'esurat_disposition.msg_delegation_overlap',
                        position=delegation.position.rec_name,
                        other=other.delegate.rec_name,
                        start=other.start_date, end=other.end_date))

    @classmethod
    def check_delegate(cls, delegations, field_names=None):
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        if field_names and not (
                {'position', 'delegate', 'start_date'} & set(field_names)):
            return
        for delegation in delegations:
            held = Holding.user_positions(
                delegation.delegate.id, delegation.start_date)
            if delegation.position.id in held:
                raise DelegationValidationError(gettext(
                        'esurat_disposition.msg_delegation_own_position',
                        user=delegation.delegate.rec_name,
                        position=delegation.position.rec_name))

    @classmethod
    def check_modification(
            cls, mode, delegations, values=None, external=False):
        pool = Pool()
        User = pool.get('res.user')
        super().check_modification(
            mode, delegations, values=values, external=external)
        if mode == 'delete':
            for delegation in delegations:
                if delegation.state != 'draft':
                    raise DelegationAccessError(gettext(
                            'esurat_disposition.msg_delegation_delete',
                            delegation=delegation.rec_name))
        if not external:
            return
        user_id = Transaction().user
        delegates = {d.delegate.id for d in delegations}
        if mode == 'write' and 'delegate' in values:
            delegates.add(values['delegate'])
        if user_id in delegates:
            raise DelegationAccessError(gettext(
                    'esurat_disposition.msg_delegation_self'))
        # Only those who really hold a position may hand it over, or
        # administrators (of its agency, by the record rules): neither a
        # delegate, who never delegates onward nor changes its own
        # delegation, nor the approver.
        if User.is_esurat_administrator():
            return
        Holding = pool.get('esurat.position.holding')
        Position = pool.get('esurat.position')
        for delegation in delegations:
            positions = [delegation.position]
            if mode == 'write' and 'position' in values:
                positions.append(Position(values['position']))
            for position in positions:
                held = set(Holding.user_positions(user_id)) | set(
                    Holding.user_positions(user_id, delegation.start_date))
                if position.id not in held:
                    raise DelegationAccessError(gettext(
                            'esurat_disposition.msg_delegation_onward',
                            position=position.rec_name))

    @classmethod
    def on_modification(cls, mode, delegations, field_names=None):
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        super().on_modification(mode, delegations, field_names)
        Holding.clear_access_cache()

    # Workflow ----------------------------------------------------------

    def find_approver_position(self):
        """The head who approves: the agency head for the agency's staff,
        the Sekda for agency heads, the regional head for the Sekda and
        the assistants"""
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
        approvers = Position.search(wanted, limit=1)
        if approvers:
            return approvers[0]
        return position.reports_to

    @classmethod
    @ModelView.button
    @Workflow.transition('requested')
    def request(cls, delegations):
        for delegation in delegations:
            delegation.approver_position = (
                delegation.find_approver_position())
            if not delegation.approver_position:
                raise DelegationValidationError(gettext(
                        'esurat_disposition.msg_delegation_no_approver',
                        delegation=delegation.rec_name))
        cls.save(delegations)
        for delegation in delegations:
            delegation.notify(
                'esurat_disposition.msg_notify_delegation_requested',
                [delegation.approver_position], delegation=delegation.title,
                delegate=delegation.delegate.rec_name)

    @classmethod
    @ModelView.button
    def approve(cls, delegations):
        cls._approve(delegations)
        # Starts at once when its period has begun
        cls.update_states(cls.browse([d.id for d in delegations]))

    @classmethod
    @Workflow.transition('approved')
    def _approve(cls, delegations):
        pool = Pool()
        User = pool.get('res.user')
        user_id = Transaction().user
        for delegation in delegations:
            position = delegation.approver_position
            if user_id and not cls.may_approve_as(position, user_id):
                raise DelegationAccessError(gettext(
                        'esurat_disposition.msg_delegation_approve_right',
                        delegation=delegation.rec_name,
                        approver=position.rec_name))
            if user_id and delegation.delegate.id == user_id:
                raise DelegationAccessError(gettext(
                        'esurat_disposition.msg_delegation_self'))
            if delegation.kind == 'assistant' or not user_id:
                title = position.name
            else:
                title = User.acting_title(position, user_id)
            delegation.approved_by = user_id or None
            delegation.approved_as = title
        cls.save(delegations)

    @classmethod
    def may_approve_as(cls, position, user_id):
        """Whether user_id approves for position: its holder, or its Plh or
        Plt; an assistant (a.n.) never approves"""
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        if not position:
            return False
        if position.id in Holding.user_positions(user_id):
            return True
        return cls.delegated_positions(user_id).get(position.id) in {
            'plh', 'plt'}

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, delegations):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('cancelled')
    def cancel(cls, delegations):
        pass

    @classmethod
    @Workflow.transition('active')
    def activate(cls, delegations):
        for delegation in delegations:
            delegation.notify(
                'esurat_disposition.msg_notify_delegation_started',
                [delegation.position], delegation=delegation.title,
                delegate=delegation.delegate.rec_name,
                end=delegation.end_date)

    @classmethod
    @Workflow.transition('ended')
    def end(cls, delegations):
        for delegation in delegations:
            delegation.notify(
                'esurat_disposition.msg_notify_delegation_ended',
                [delegation.position], delegation=delegation.title,
                delegate=delegation.delegate.rec_name)

    def notify(self, message, positions, **variables):
        "Tell the delegate and the holders of positions"
        pool = Pool()
        Notification = pool.get('esurat.notification')
        Notification.send(
            message, self, positions=positions, users=[self.delegate],
            **variables)

    @classmethod
    def update_states(cls, delegations=None):
        "Cron: start and end delegations on their dates"
        today = datetime.date.today()
        if delegations is None:
            delegations = cls.search([
                    ('state', 'in', EFFECTIVE_STATES),
                    ['OR',
                        ('start_date', '<=', today),
                        ('end_date', '<', today)],
                    ])
        cls.activate([
                d for d in delegations
                if d.state == 'approved' and d.start_date <= today])
        cls.end([
                d for d in delegations
                if d.state == 'active' and d.end_date < today])

    @classmethod
    def delegated_positions(cls, user_id, date=None):
        "Positions delegated to user_id on date, with their kind"
        if date is None:
            date = datetime.date.today()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.position, table.kind,
                where=(table.delegate == user_id)
                & table.state.in_(EFFECTIVE_STATES)
                & (table.start_date <= date)
                & ((table.end_date == Null) | (table.end_date >= date))))
        return dict(cursor)

    @classmethod
    def delegates_of(cls, position_ids, date=None):
        "{position id: [user ids]} of the delegates acting today"
        if date is None:
            date = datetime.date.today()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        result = {p: [] for p in position_ids}
        if not position_ids:
            return result
        cursor.execute(*table.select(
                table.position, table.delegate,
                where=table.position.in_(list(position_ids))
                & table.state.in_(EFFECTIVE_STATES)
                & (table.start_date <= date)
                & (table.end_date >= date)))
        for position, user in cursor:
            result[position].append(user)
        return result
