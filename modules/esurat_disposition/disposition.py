# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Cast, Null
from sql.functions import CharLength
from sql.operators import Concat

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Workflow, fields,
    sequence_ordered)
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.letter import CONTENT_MASK
from trytond.modules.esurat_base.letter_access import LetterReadableMixin
from trytond.modules.esurat_base.letter_file import inspect_upload
from trytond.modules.esurat_base.tools import rec_name_domain
from trytond.pool import Pool
from trytond.pyson import Bool, Eval, If
from trytond.transaction import Transaction, check_access, without_check_access
from trytond.wizard import (
    Button, StateAction, StateTransition, StateView, Wizard)

from .exceptions import DispositionAccessError, DispositionError

OPEN_STATES = ('sent', 'read', 'in_progress')
# Levels that may dispose to the head of any agency
LEADER_LEVELS = {'regional_head', 'vice_head', 'secretary', 'assistant'}
# Fields of the letter shown on a disposition, masked like the letter's
LETTER_FIELDS = {
    'letter_agenda_number': 'agenda_number',
    'letter_sender': 'sender',
    'letter_sender_number': 'sender_number',
    'letter_subject': 'subject',
    'letter_summary': 'summary',
    'letter_received_date': 'received_date',
    'urgency': 'urgency',
    }


class Instruction(
        ClientWriteMixin, DeactivableMixin, sequence_ordered(), ModelSQL,
        ModelView):
    __name__ = 'esurat.disposition.instruction'
    __string__ = "Disposition Instruction"
    name = fields.Char("Name", required=True, translate=True)


class DispositionInstruction(ClientWriteMixin, ModelSQL):
    __name__ = 'esurat.disposition-esurat.disposition.instruction'
    __string__ = "Disposition - Instruction"
    # Set when the disposition is sent, never by a client
    disposition = fields.Many2One(
        'esurat.disposition', "Disposition", required=True, readonly=True,
        ondelete='CASCADE')
    instruction = fields.Many2One(
        'esurat.disposition.instruction', "Instruction", required=True,
        readonly=True, ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('disposition')
        t = cls.__table__()
        # Read with every disposition's form
        cls._sql_indexes.add(Index(t, (t.disposition, Index.Range())))


class Disposition(
        LetterReadableMixin, ClientWriteMixin, Workflow, ModelSQL,
        ModelView):
    __name__ = 'esurat.disposition'
    __string__ = "Disposition"
    _rec_name = 'from_title'

    letter = fields.Many2One(
        'esurat.letter', "Letter", required=True, readonly=True,
        ondelete='RESTRICT')
    parent = fields.Many2One(
        'esurat.disposition', "Disposed From", readonly=True,
        ondelete='RESTRICT')
    children = fields.One2Many(
        'esurat.disposition', 'parent', "Further Dispositions",
        readonly=True)
    # The ids from the root down to the item, each after its length
    # ("510/513/"): ordered by it, a letter's items are its tree, parents
    # before children and siblings as sent, read in one query
    path = fields.Char("Path", readonly=True)
    tracking_title = fields.Function(
        fields.Char("To"), 'get_tracking_title')
    kind = fields.Selection([
            ('delivery', "Delivery"),
            ('disposition', "Disposition"),
            ], "Kind", required=True, readonly=True)
    is_copy = fields.Boolean("Copy", readonly=True)
    from_position = fields.Many2One(
        'esurat.position', "From Position", readonly=True,
        ondelete='RESTRICT')
    from_user = fields.Many2One(
        'res.user', "From User", readonly=True, ondelete='RESTRICT')
    from_title = fields.Char("From", readonly=True)
    recorded_by = fields.Many2One(
        'res.user', "Recorded By", readonly=True, ondelete='RESTRICT',
        help="The operator who recorded a disposition given on paper.")
    to_position = fields.Many2One(
        'esurat.position', "To", required=True, readonly=True,
        ondelete='RESTRICT')
    to_title = fields.Function(fields.Char("To"), 'get_to_title')
    instructions = fields.Many2Many(
        'esurat.disposition-esurat.disposition.instruction',
        'disposition', 'instruction', "Instructions", readonly=True)
    note = fields.Text("Note", readonly=True)
    deadline = fields.Date("Deadline", readonly=True)
    priority = fields.Integer("Priority", readonly=True)
    unread = fields.Boolean("Unread", readonly=True)
    read_at = fields.DateTime("Read At", readonly=True)
    read_by = fields.Many2One(
        'res.user', "Read By", readonly=True, ondelete='RESTRICT')
    read_as = fields.Char("Read As", readonly=True)
    report = fields.Text(
        "Follow-up Report",
        states={
            'readonly': ~Eval('state').in_(['sent', 'read', 'in_progress']),
            })
    report_file = fields.Binary(
        "Report Attachment", filename='report_file_name',
        file_id='report_file_id', store_prefix='esurat',
        states={
            'readonly': ~Eval('state').in_(['sent', 'read', 'in_progress']),
            })
    report_file_name = fields.Char("Attachment Name",
        states={
            'readonly': ~Eval('state').in_(['sent', 'read', 'in_progress']),
            })
    report_file_id = fields.Char("Attachment ID", readonly=True)
    done_at = fields.DateTime("Done At", readonly=True)
    done_by = fields.Many2One(
        'res.user', "Done By", readonly=True, ondelete='RESTRICT')
    done_as = fields.Char("Done As", readonly=True)
    recalled_at = fields.DateTime("Recalled At", readonly=True)
    reminded = fields.Boolean("Reminded", readonly=True)
    overdue_notified = fields.Boolean("Overdue Notified", readonly=True)
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    mine = fields.Function(
        fields.Boolean("Mine"), 'get_mine', searcher='search_mine')
    letter_agenda_number = fields.Function(
        fields.Char("Agenda Number"), 'get_letter_fields')
    letter_sender = fields.Function(
        fields.Char("Sender"), 'get_letter_fields')
    letter_sender_number = fields.Function(
        fields.Char("Letter Number"), 'get_letter_fields')
    letter_subject = fields.Function(
        fields.Char("Subject"), 'get_letter_fields')
    letter_summary = fields.Function(
        fields.Text("Summary"), 'get_letter_fields')
    letter_received_date = fields.Function(
        fields.Date("Received Date"), 'get_letter_fields')
    urgency = fields.Function(
        fields.Many2One('esurat.letter.urgency', "Urgency"),
        'get_letter_fields')
    state = fields.Selection([
            ('sent', "Sent"),
            ('read', "Read"),
            ('in_progress', "In Progress"),
            ('done', "Done"),
            ('recalled', "Recalled"),
            ], "State", required=True, readonly=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [
            ('unread', 'DESC'),
            ('priority', 'ASC'),
            ('deadline', 'ASC NULLS LAST'),
            ('id', 'DESC'),
            ]
        cls._sql_indexes.update({
                # The inbox: my dispositions in the order of _order, so that
                # a page is the first rows of the index
                Index(t,
                    (t.to_position, Index.Equality()),
                    (t.unread, Index.Range(order='DESC')),
                    (t.priority, Index.Range()),
                    (t.deadline, Index.Range(order='ASC NULLS LAST')),
                    (t.id, Index.Range(order='DESC')),
                    # What the rules read: counting a tab is an index-only
                    # scan
                    include=[t.letter, t.letter_restricted, t.state],
                    where=t.state != 'recalled'),
                # A letter's items (its tracking sorts them by path), and
                # whether one went to an agency's positions (the operators'
                # rule), index-only
                Index(t,
                    (t.letter, Index.Range()),
                    (t.to_position, Index.Equality())),
                # The letters disposed into an agency (its operators'
                # rule), recalled ones included: an index-only range per
                # position instead of a scan of every disposition
                Index(t,
                    (t.to_position, Index.Equality()),
                    (t.letter, Index.Range())),
                Index(t, (t.parent, Index.Range())),
                Index(t, (t.from_position, Index.Equality())),
                Index(t, (t.deadline, Index.Range()),
                    where=t.state.in_(OPEN_STATES)),
                })
        cls._transitions |= {
            ('sent', 'read'),
            ('read', 'in_progress'),
            ('sent', 'done'),
            ('read', 'done'),
            ('in_progress', 'done'),
            ('sent', 'recalled'),
            }
        cls._buttons.update({
                'dispose': {
                    'invisible': ~Eval('state').in_(
                        ['sent', 'read', 'in_progress']),
                    'depends': ['state'],
                    },
                'start': {
                    'invisible': Eval('state') != 'read',
                    'depends': ['state'],
                    },
                'done': {
                    'invisible': ~Eval('state').in_(
                        ['sent', 'read', 'in_progress']),
                    'depends': ['state'],
                    },
                'recall': {
                    'invisible': Eval('state') != 'sent',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual',
                If(Eval('overdue', False), 'danger',
                    If(Eval('state') == 'recalled', 'muted',
                        If(Eval('unread', False), 'success', '')))),
            ]

    @classmethod
    def default_state(cls):
        return 'sent'

    @classmethod
    def default_unread(cls):
        return True

    @classmethod
    def default_kind(cls):
        return 'disposition'

    @classmethod
    def __register__(cls, module):
        missing = not cls.__table_handler__(module).column_exist('path')
        super().__register__(module)
        if missing:
            cls.fill_paths()

    @staticmethod
    def path_segment(id_):
        "The id after its number of digits: segments sort as numbers"
        return Concat(Concat(
                Cast(CharLength(Cast(id_, 'VARCHAR')), 'VARCHAR'),
                Cast(id_, 'VARCHAR')), '/')

    @classmethod
    def fill_paths(cls, ids=None):
        """Set the path of the items of ids (None: every item without
        one), parents first, a level per statement"""
        table = cls.__table__()
        parent = cls.__table__()
        cursor = Transaction().connection.cursor()
        where = table.path == Null
        if ids is not None:
            where &= fields.SQL_OPERATORS['in'](table.id, list(ids))
        cursor.execute(*table.update([table.path],
                [cls.path_segment(table.id)],
                where=where & (table.parent == Null)))
        while True:
            cursor.execute(*table.update([table.path], [Concat(
                        parent.select(parent.path,
                            where=parent.id == table.parent),
                        cls.path_segment(table.id))],
                    where=where & table.parent.in_(parent.select(
                            parent.id, where=parent.path != Null))))
            if not cursor.rowcount:
                break

    @classmethod
    def create(cls, vlist):
        dispositions = super().create(vlist)
        cls.fill_paths([d.id for d in dispositions])
        return dispositions

    def get_to_title(self, name):
        return self.to_position.rec_name

    def get_tracking_title(self, name):
        "The recipient, indented by the item's depth in the tree"
        depth = (self.path or '').count('/') - 1
        indent = '\u00a0' * 4 * max(depth - 1, 0)
        return f'{indent}↳ {self.to_title}' if depth else self.to_title

    def get_rec_name(self, name):
        return f'{self.from_title or ""} → {self.to_position.rec_name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        return rec_name_domain(clause, ['from_title', 'to_position.rec_name'])

    def get_overdue(self, name):
        return bool(
            self.deadline and self.state in OPEN_STATES
            and self.deadline < datetime.date.today())

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        overdue = [
            ('deadline', '<', datetime.date.today()),
            ('state', 'in', list(OPEN_STATES)),
            ]
        if (operator == '=') == bool(value):
            return overdue
        return ['OR',
            ('deadline', '=', None),
            ('deadline', '>=', datetime.date.today()),
            ('state', 'not in', list(OPEN_STATES)),
            ]

    @classmethod
    def get_mine(cls, dispositions, name):
        pool = Pool()
        User = pool.get('res.user')
        positions = set(User.get_esurat_positions())
        return {d.id: d.to_position.id in positions for d in dispositions}

    @classmethod
    def search_mine(cls, name, clause):
        pool = Pool()
        User = pool.get('res.user')
        _, operator, value = clause
        positions = list(User.get_esurat_positions())
        if (operator == '=') == bool(value):
            if len(positions) == 1:
                # An equality, not "= ANY": the inbox's index then gives
                # its rows already in order
                return [('to_position', '=', positions[0])]
            return [('to_position', 'in', positions)]
        return [('to_position', 'not in', positions)]

    @classmethod
    def get_letter_fields(cls, dispositions, names):
        "The letter's fields, masked when its content is hidden to the user"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        transaction = Transaction()
        letter_ids = list({d.letter.id for d in dispositions})
        hidden = Letter.hidden_content_ids(
            letter_ids, checked=transaction.user != 0)
        rows = {r['id']: r for r in Letter.read(
                letter_ids, [LETTER_FIELDS[n] for n in names])}
        result = {n: {} for n in names}
        for disposition in dispositions:
            row = rows[disposition.letter.id]
            for name in names:
                field = LETTER_FIELDS[name]
                value = row[field]
                if disposition.letter.id in hidden and field in {
                        'subject', 'summary'}:
                    value = CONTENT_MASK
                result[name][disposition.id] = value
        return result

    # Rules -------------------------------------------------------------

    @classmethod
    def allowed_targets(cls, from_position):
        """Positions from_position may dispose to: every position below it
        in the chain of command and, for the regional leaders, the head of
        any agency"""
        pool = Pool()
        Position = pool.get('esurat.position')
        if not from_position:
            return []
        domain = ['OR',
            [
                ('reports_to', 'child_of', [from_position.id], 'reports_to'),
                ('id', '!=', from_position.id),
                ],
            ]
        if from_position.level in LEADER_LEVELS:
            domain.append([
                    ('level', '=', 'agency_head'),
                    ('id', '!=', from_position.id),
                    ])
        with without_check_access():
            return Position.search(domain)

    @classmethod
    def check_authority(cls, from_position, to_positions):
        allowed = set(cls.allowed_targets(from_position))
        for position in to_positions:
            if position not in allowed:
                raise DispositionAccessError(gettext(
                        'esurat_disposition.msg_disposition_outside_authority',
                        from_=from_position.rec_name,
                        to=position.rec_name))

    def check_actor(self, position_field='to_position'):
        "The user must act as the disposition's position_field"
        pool = Pool()
        User = pool.get('res.user')
        position = getattr(self, position_field)
        if Transaction().user and not User.acts_as(position):
            raise DispositionAccessError(gettext(
                    'esurat_disposition.msg_disposition_not_yours',
                    disposition=self.rec_name, position=position.rec_name))

    @classmethod
    def _actor_values(cls, position, prefix):
        pool = Pool()
        User = pool.get('res.user')
        user_id = Transaction().user
        return {
            f'{prefix}_by': user_id or None,
            f'{prefix}_as': (
                User.acting_title(position, user_id) if user_id
                else position.name),
            }

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # The report's attachment is checked like a scan
        if values.get('report_file'):
            values['report_file_name'] = inspect_upload(
                values['report_file'],
                values.get('report_file_name') or 'laporan')['name']
        return values

    @classmethod
    def check_modification(
            cls, mode, dispositions, values=None, external=False):
        super().check_modification(
            mode, dispositions, values=values, external=external)
        if mode == 'delete':
            raise DispositionAccessError(gettext(
                    'esurat_disposition.msg_disposition_no_delete'))
        if mode == 'create' and external:
            raise DispositionAccessError(gettext(
                    'esurat_disposition.msg_disposition_client_create'))
        if mode == 'write' and external:
            for disposition in dispositions:
                disposition.check_actor()

    # Who may open a letter follows its dispositions (Letter.access_sources)

    @classmethod
    def on_modification(cls, mode, dispositions, field_names=None):
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        super().on_modification(mode, dispositions, field_names)
        if mode == 'create' or (mode == 'write' and {
                    'letter', 'to_position', 'from_position'}
                & field_names):
            Access.refresh(d.letter.id for d in dispositions)

    @classmethod
    def on_write(cls, dispositions, values):
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        callbacks = super().on_write(dispositions, values)
        # A recalled item no longer opens the letter; a moved one no longer
        # opens the letter it left
        if values.get('state') == 'recalled' or 'letter' in values:
            letter_ids = {d.letter.id for d in dispositions}
            callbacks.append(lambda: Access.refresh(letter_ids))
        return callbacks

    # Creation ----------------------------------------------------------

    @classmethod
    @without_check_access
    def send(cls, parent, to_positions, instructions=(), note=None,
            deadline=None, recorded=False):
        """Dispose parent's letter from parent's position to to_positions.

        recorded: an operator records a disposition the leader gave on
        paper."""
        pool = Pool()
        User = pool.get('res.user')
        transaction = Transaction()
        from_position = parent.to_position
        if not to_positions:
            raise DispositionError(gettext(
                    'esurat_disposition.msg_disposition_no_recipient'))
        if deadline and deadline < datetime.date.today():
            raise DispositionError(gettext(
                    'esurat_disposition.msg_disposition_deadline_past',
                    deadline=deadline))
        if parent.state not in OPEN_STATES:
            raise DispositionError(gettext(
                    'esurat_disposition.msg_disposition_closed',
                    disposition=parent.rec_name))
        if not recorded:
            parent.check_actor()
        cls.check_authority(from_position, to_positions)
        user_id = transaction.user or None
        if recorded:
            from_title = from_position.name
        else:
            from_title = User.acting_title(from_position, user_id)
        dispositions = cls.create([{
                    'letter': parent.letter.id,
                    'parent': parent.id,
                    'kind': 'disposition',
                    'from_position': from_position.id,
                    'from_user': None if recorded else user_id,
                    'from_title': from_title,
                    'recorded_by': user_id if recorded else None,
                    'to_position': p.id,
                    'instructions': [('add', [i.id for i in instructions])],
                    'note': note,
                    'deadline': deadline,
                    'priority': parent.letter.urgency.sequence,
                    } for p in to_positions])
        if parent.state == 'sent':
            cls.mark_read([parent], recorded=recorded)
        if parent.state == 'read':
            cls._start([parent])
        cls.notify_recipients(dispositions)
        parent.letter.chat_post(
            'esurat_disposition.msg_disposition_sent_chat',
            from_=from_title,
            to=', '.join(p.rec_name for p in to_positions))
        return dispositions

    @classmethod
    @without_check_access
    def deliver(cls, letter):
        "Put a registered letter into the inboxes of its recipients"
        user_id = Transaction().user or None
        unit = letter.unit
        existing = {d.to_position for d in cls.search([
                    ('letter', '=', letter.id),
                    ('kind', '=', 'delivery'),
                    ])}
        deliveries = cls.create([{
                    'letter': letter.id,
                    'kind': 'delivery',
                    'is_copy': recipient.kind == 'cc',
                    'from_user': user_id,
                    'from_title': unit.short_name or unit.name,
                    'to_position': recipient.position.id,
                    'priority': letter.urgency.sequence,
                    } for recipient in letter.recipients
                if recipient.position not in existing])
        cls.notify_recipients(deliveries)
        return deliveries

    @classmethod
    def notify_recipients(cls, dispositions):
        pool = Pool()
        Notification = pool.get('esurat.notification')
        Notification.send_batch([
                Notification.notice(
                    'esurat_disposition.msg_notify_new_disposition', d,
                    positions=[d.to_position], sender=d.from_title or '')
                for d in dispositions])

    # Workflow ----------------------------------------------------------

    @classmethod
    @without_check_access
    def mark_read(cls, dispositions, recorded=False):
        "Record the first opening by the recipient"
        now = datetime.datetime.now()
        to_read = []
        for disposition in dispositions:
            if disposition.state != 'sent':
                continue
            if not recorded:
                try:
                    disposition.check_actor()
                except DispositionAccessError:
                    continue
            to_read.append(disposition)
        for disposition in to_read:
            values = cls._actor_values(disposition.to_position, 'read')
            disposition.read_at = now
            disposition.read_by = values['read_by']
            disposition.read_as = values['read_as']
            disposition.unread = False
        cls.save(to_read)
        cls._read(to_read)

    @classmethod
    @Workflow.transition('read')
    def _read(cls, dispositions):
        pass

    @classmethod
    @ModelView.button_action('esurat_disposition.wizard_dispose')
    def dispose(cls, dispositions):
        pass

    @classmethod
    @ModelView.button
    def start(cls, dispositions):
        for disposition in dispositions:
            disposition.check_actor()
        cls._start(dispositions)

    @classmethod
    @Workflow.transition('in_progress')
    def _start(cls, dispositions):
        pass

    @classmethod
    @ModelView.button
    @Workflow.transition('done')
    def done(cls, dispositions):
        pool = Pool()
        Notification = pool.get('esurat.notification')
        now = datetime.datetime.now()
        for disposition in dispositions:
            disposition.check_actor()
            if (disposition.kind == 'disposition'
                    and not (disposition.report or '').strip()):
                raise DispositionError(gettext(
                        'esurat_disposition.msg_disposition_report_required',
                        disposition=disposition.rec_name))
            values = cls._actor_values(disposition.to_position, 'done')
            disposition.done_at = now
            disposition.done_by = values['done_by']
            disposition.done_as = values['done_as']
            disposition.unread = False
            if not disposition.read_at:
                disposition.read_at = now
                disposition.read_by = values['done_by']
                disposition.read_as = values['done_as']
        cls.save(dispositions)
        Notification.send_batch([
                Notification.notice(
                    'esurat_disposition.msg_notify_report', d,
                    positions=[d.from_position],
                    users=[d.from_user, d.recorded_by], recipient=d.done_as)
                for d in dispositions if d.kind == 'disposition'])
        for disposition in dispositions:
            # The report of a restricted letter tells what it says: it stays
            # on the disposition, the thread only says it was made
            report = disposition.report or '-'
            if disposition.letter.restricted:
                report = CONTENT_MASK
            disposition.letter.chat_post(
                'esurat_disposition.msg_disposition_done_chat',
                recipient=disposition.done_as, report=report)

    @classmethod
    @ModelView.button
    @Workflow.transition('recalled')
    def recall(cls, dispositions):
        pool = Pool()
        User = pool.get('res.user')
        user_id = Transaction().user
        for disposition in dispositions:
            if disposition.kind != 'disposition':
                raise DispositionError(gettext(
                        'esurat_disposition.msg_disposition_recall_delivery'))
            if user_id and not (
                    User.acts_as(disposition.from_position)
                    or disposition.recorded_by
                    and disposition.recorded_by.id == user_id):
                raise DispositionAccessError(gettext(
                        'esurat_disposition.msg_disposition_recall_right',
                        disposition=disposition.rec_name))
        cls.write(dispositions, {
                'recalled_at': datetime.datetime.now(),
                'unread': False,
                })
        for disposition in dispositions:
            disposition.letter.chat_post(
                'esurat_disposition.msg_disposition_recalled_chat',
                disposition=disposition.rec_name)

    @classmethod
    def send_reminders(cls):
        """Cron: deadline tomorrow and overdue notifications, once each, in
        one batch"""
        pool = Pool()
        Notification = pool.get('esurat.notification')
        today = datetime.date.today()
        tomorrow = today + datetime.timedelta(days=1)
        due = cls.search([
                ('state', 'in', list(OPEN_STATES)),
                ('deadline', '=', tomorrow),
                ('reminded', '=', False),
                ])
        notices = [
            Notification.notice(
                'esurat_disposition.msg_notify_deadline_tomorrow', d,
                positions=[d.to_position], deadline=d.deadline)
            for d in due]
        if due:
            cls.write(due, {'reminded': True})
        overdue = cls.search([
                ('state', 'in', list(OPEN_STATES)),
                ('deadline', '<', today),
                ('overdue_notified', '=', False),
                ])
        notices += [
            Notification.notice(
                'esurat_disposition.msg_notify_overdue', d,
                positions=[d.to_position, d.from_position],
                deadline=d.deadline)
            for d in overdue]
        if overdue:
            cls.write(overdue, {'overdue_notified': True})
        Notification.send_batch(notices, exclude=0)


class OpenDisposition(Wizard):
    __name__ = 'esurat.disposition.open'
    start = StateTransition()
    open_ = StateAction('esurat_disposition.act_disposition_form')

    def transition_start(self):
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Disposition.mark_read(list(self.records))
        return 'open_'

    def do_open_(self, action):
        action['res_id'] = [r.id for r in self.records]
        action['views'].reverse()
        return action, {}


class DisposeStart(ModelView):
    __name__ = 'esurat.disposition.dispose.start'
    __string__ = "Dispose"
    parent = fields.Many2One(
        'esurat.disposition', "Disposition", readonly=True)
    from_position = fields.Many2One(
        'esurat.position', "From", readonly=True)
    allowed = fields.Many2Many(
        'esurat.position', None, None, "Allowed Positions", readonly=True)
    to_positions = fields.Many2Many(
        'esurat.position', None, None, "To", required=True,
        domain=[('id', 'in', Eval('allowed', []))])
    instructions = fields.Many2Many(
        'esurat.disposition.instruction', None, None, "Instructions")
    note = fields.Text("Note")
    deadline = fields.Date(
        "Deadline",
        domain=['OR',
            ('deadline', '=', None),
            ('deadline', '>=', Eval('today'))])
    today = fields.Date("Today", readonly=True)
    recorded = fields.Boolean(
        "Recorded for the Leader", readonly=True,
        states={'invisible': ~Bool(Eval('recorded'))})


class Dispose(Wizard):
    """Everything it acts on (the item disposed from, the position, whether
    an operator records a leader's disposition) is derived on the server
    from the record it runs on; what the client sends back for these is only
    compared, never used."""
    __name__ = 'esurat.disposition.dispose'
    start = StateView(
        'esurat.disposition.dispose.start',
        'esurat_disposition.disposition_dispose_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Send", 'send', 'tryton-ok', default=True),
            ])
    send = StateTransition()

    def _source(self):
        """Return (position, item, recorded): the position the user
        disposes from, its open item (None while the letter is only
        registered: it is distributed when sent) and whether an operator
        records the disposition a leader gave on paper"""
        if (self.model is None or self.record is None
                or self.model.__name__ not in {
                    'esurat.disposition', 'esurat.letter'}):
            raise DispositionAccessError(gettext(
                    'esurat_disposition.msg_disposition_wizard_record'))
        # The record must be readable by the user, whatever the wizard's
        # own access
        with check_access():
            self.model.read([self.record.id], ['id'])
        if self.model.__name__ == 'esurat.disposition':
            self.record.check_actor()
            return self.record.to_position, self.record, False
        source = self.record.dispose_source()
        if not source:
            raise DispositionAccessError(gettext(
                    'esurat_disposition.msg_disposition_no_delivery',
                    letter=self.record.agenda_number or ''))
        return source

    def default_start(self, fields):
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        position, item, recorded = self._source()
        allowed = Disposition.allowed_targets(position)
        return {
            'parent': item.id if item else None,
            'from_position': position.id,
            'allowed': [p.id for p in allowed],
            'today': datetime.date.today(),
            'recorded': recorded,
            }

    def transition_send(self):
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Instruction = pool.get('esurat.disposition.instruction')
        Letter = pool.get('esurat.letter')
        position, item, recorded = self._source()
        if ((self.start.parent and self.start.parent != item)
                or bool(self.start.recorded) != recorded
                or (self.start.from_position
                    and self.start.from_position != position)):
            raise DispositionAccessError(gettext(
                    'esurat_disposition.msg_disposition_wizard_changed'))
        instructions = list(set(self.start.instructions or []))
        if len(Instruction.search([
                        ('id', 'in', [i.id for i in instructions]),
                        ])) != len(instructions):
            raise DispositionError(gettext(
                    'esurat_disposition.msg_disposition_instruction_invalid'))
        if item is None:
            # Disposing a registered letter distributes it first
            Letter.distribute([self.record])
            item, = Disposition.search([
                    ('letter', '=', self.record.id),
                    ('kind', '=', 'delivery'),
                    ('to_position', '=', position.id),
                    ], order=[('id', 'ASC')], limit=1)
        Disposition.send(
            item, list(self.start.to_positions or []),
            instructions=instructions, note=self.start.note,
            deadline=self.start.deadline, recorded=recorded)
        return 'end'
