# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import hashlib
import re
import secrets
import statistics

from sql import Literal, Null
from sql.aggregate import Count, Max, Sum
from sql.conditionals import Case
from sql.functions import CurrentTimestamp

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.filestore import FilestoreMixin
from trytond.modules.esurat_base.tools import public_url
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, check_access, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import ComplaintError
from .upload import prepare_upload

# What the public form takes, in characters
LIMITS = {
    'subject': 200, 'description': 4000, 'location': 200, 'name': 100,
    'phone': 20, 'email': 100, 'reply': 2000,
    }
PHONE = re.compile(r'^\+?[0-9][0-9 -]{6,18}$')
EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s]+$')
TOKEN_BYTES = 32
# The complaints an OPD works on: disposed to it, and what followed
HANDLED_STATES = ['disposed', 'answered', 'closed']
# Working days allowed (SP4N-LAPOR!): the coordinator verifies and disposes
# within 3, the agency answers within 5 of the disposition
DEADLINES = {'submitted': 3, 'disposed': 5}
OPEN_STATES = ['submitted', 'verified', 'disposed']
ROLES = [
    ('citizen', "Reporter"),
    ('coordinator', "Complaint Coordinator"),
    ('handler', "Complaint Handler"),
    ]


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _group_users(group_xml_id, agency=None):
    "The active users of the portal group, those of agency when given"
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    User = pool.get('res.user')
    domain = [('groups', '=', ModelData.get_id('portal_emas', group_xml_id))]
    if agency:
        domain.append(('esurat_agency', '=', agency.id))
    with without_check_access():
        return User.search(domain)


class Category(DeactivableMixin, ModelSQL, ModelView):
    __name__ = 'portal.complaint.category'
    __string__ = "Complaint Category"

    name = fields.Char("Name", required=True, translate=True)
    sequence = fields.Integer("Sequence")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('sequence', 'ASC NULLS LAST'))


class Complaint(
        FilestoreMixin, ClientWriteMixin, Workflow, ModelSQL, ModelView):
    """A citizen's complaint (pengaduan), "bersifat rahasia dan tertutup":
    read by the coordinators and, once disposed, by the handlers of the
    agency it was disposed to; the reporter's identity stays with the
    coordinators when the reporter asked for anonymity."""
    __name__ = 'portal.complaint'
    __string__ = "Complaint"
    _rec_name = 'number'

    number = fields.Char("Number", readonly=True)
    token_hash = fields.Char("Token Hash", readonly=True)
    category = fields.Many2One(
        'portal.complaint.category', "Category", required=True,
        ondelete='RESTRICT', readonly=True)
    subject = fields.Char("Subject", required=True, readonly=True)
    description = fields.Text("Description", required=True, readonly=True)
    location = fields.Char("Location", readonly=True)
    photo = fields.Binary(
        "Photo", filename='photo_name', file_id='photo_id',
        store_prefix='portal', readonly=True)
    photo_name = fields.Char("Photo Name", readonly=True)
    photo_id = fields.Char("Photo ID", readonly=True)
    sha256 = fields.Char("Photo SHA-256", readonly=True)
    anonymous = fields.Boolean(
        "Anonymous", readonly=True,
        help="The reporter asked that the agency never learns who they "
        "are.")
    # Readable by the coordinators only (ir.model.field.access)
    reporter_name = fields.Char("Reporter Name", readonly=True)
    reporter_phone = fields.Char("Reporter Phone", readonly=True)
    reporter_email = fields.Char("Reporter Email", readonly=True)
    reporter = fields.Function(
        fields.Char("Reporter"), 'get_reporter')
    reporter_contact = fields.Function(
        fields.Char("Reporter Contact"), 'get_reporter')
    agency = fields.Many2One(
        'esurat.unit', "Agency", readonly=True, ondelete='RESTRICT',
        help="The agency (OPD) the complaint was disposed to.")
    reason = fields.Text(
        "Reason", readonly=True,
        states={'invisible': Eval('state') != 'out_of_scope'},
        help="Why the complaint is not in the government's competence.")
    answer = fields.Text("Answer", readonly=True)
    answered_by = fields.Many2One('res.user', "Answered By", readonly=True)
    answered_at = fields.DateTime("Answered At", readonly=True)
    citizen_reply = fields.Text("Reporter's Reply", readonly=True)
    replied_at = fields.DateTime("Replied At", readonly=True)
    submitted_at = fields.DateTime("Submitted At", readonly=True)
    disposed_at = fields.DateTime("Disposed At", readonly=True)
    closed_at = fields.DateTime("Closed At", readonly=True)
    due_date = fields.Date(
        "Due Date", readonly=True,
        help="When the step the complaint waits for is due: its "
        "disposition 3 working days after submission, its answer 5 "
        "working days after disposition.")
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    state = fields.Selection([
            ('submitted', "Submitted"),
            ('verified', "Verified"),
            ('disposed', "Disposed"),
            ('answered', "Answered"),
            ('closed', "Closed"),
            ('out_of_scope', "Out of Scope"),
            ], "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    events = fields.One2Many(
        'portal.complaint.event', 'complaint', "History", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('submitted_at', 'DESC'), ('id', 'DESC')]
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.number),
                'portal_emas.msg_complaint_number_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.token_hash, Index.Equality(cardinality='high'))),
                Index(t, (t.agency, Index.Range()), (t.state, Index.Equality(
                            cardinality='low'))),
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                })
        cls._transitions |= {
            ('submitted', 'verified'),
            ('submitted', 'out_of_scope'),
            ('verified', 'out_of_scope'),
            ('verified', 'disposed'),
            ('disposed', 'answered'),
            ('answered', 'closed'),
            }
        cls._buttons.update({
                'verify': {
                    'invisible': Eval('state') != 'submitted',
                    'depends': ['state'],
                    },
                'dispose': {
                    'invisible': Eval('state') != 'verified',
                    'depends': ['state'],
                    },
                'reject': {
                    'invisible': ~Eval('state').in_(
                        ['submitted', 'verified']),
                    'depends': ['state'],
                    },
                'answer_wizard': {
                    'invisible': Eval('state') != 'disposed',
                    'depends': ['state'],
                    },
                'close': {
                    'invisible': Eval('state') != 'answered',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'submitted'

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('overdue', False), 'danger', '')),
            ]

    @classmethod
    def default_anonymous(cls):
        return False

    def get_overdue(self, name):
        return bool(self.state in OPEN_STATES and self.due_date
            and self.due_date < datetime.date.today())

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        domain = [
            ('state', 'in', OPEN_STATES),
            ('due_date', '<', datetime.date.today()),
            ]
        if (operator == '=') == bool(value):
            return domain
        return ['NOT', domain]

    @classmethod
    def get_reporter(cls, complaints, names):
        anonymous = gettext('portal_emas.msg_complaint_anonymous')
        result = {n: {} for n in names}
        # Read as the server: the stored fields are the coordinators'
        with without_check_access():
            for complaint in cls.browse(complaints):
                if 'reporter' in names:
                    result['reporter'][complaint.id] = (
                        anonymous if complaint.anonymous
                        else complaint.reporter_name)
                if 'reporter_contact' in names:
                    result['reporter_contact'][complaint.id] = (
                        anonymous if complaint.anonymous
                        else ' · '.join(filter(None, [
                                    complaint.reporter_phone,
                                    complaint.reporter_email])))
        return result

    # Public API of the pages: they call these as the portal, never browse
    # further than what they return

    @classmethod
    def public_categories(cls):
        "The (id, name) of the active categories, in the form's order"
        pool = Pool()
        Category = pool.get('portal.complaint.category')
        with without_check_access():
            return [(c.id, c.name) for c in Category.search([])]

    @classmethod
    def public_submit(cls, values, photo=None):
        """Store the complaint of values (category id, subject, description,
        location, anonymous, name, phone, email) with photo, a (filename,
        bytes) or None; return (complaint, token), the token of its
        tracking link, which is never stored.  Everything is checked before
        anything is written."""
        pool = Pool()
        Category = pool.get('portal.complaint.category')
        Event = pool.get('portal.complaint.event')
        Holiday = pool.get('esurat.holiday')
        record = cls._public_values(values)
        with without_check_access():
            categories = Category.search([
                    ('id', '=', cls._int(values.get('category'))),
                    ], limit=1)
        if not categories:
            raise ComplaintError(gettext('portal_emas.msg_complaint_category'))
        record['category'] = categories[0].id
        if photo and photo[1]:
            filename, data = photo
            upload = prepare_upload(data, filename or 'foto', ['jpeg', 'png'])
            record.update({
                    'photo': upload['data'],
                    'photo_name': upload['name'],
                    'sha256': upload['sha256'],
                    })
        now = datetime.datetime.now()
        token = secrets.token_urlsafe(TOKEN_BYTES)
        with without_check_access():
            record.update({
                    'number': cls._next_number(now.year),
                    'token_hash': token_hash(token),
                    'submitted_at': now,
                    'due_date': Holiday.add_working_days(
                        now.date(), DEADLINES['submitted']),
                    })
            complaint, = cls.create([record])
            Event.record([complaint], 'submitted', 'citizen')
        cls._notify(
            'portal_emas.msg_notify_complaint_submitted', complaint,
            _group_users('group_portal_coordinator'))
        complaint._mail_reporter(
            'portal_emas.msg_mail_complaint_submitted',
            url=cls.tracking_url(token))
        return complaint, token

    @staticmethod
    def _int(value):
        try:
            return int(value)
        except (TypeError, ValueError):
            return -1

    @classmethod
    def _text(cls, values, name, required=False):
        "The stripped text of values[name] within its limit, or None"
        value = str(values.get(name) or '').strip()
        if required and not value:
            raise ComplaintError(gettext(
                    f'portal_emas.msg_complaint_{name}_required'))
        if len(value) > LIMITS[name]:
            raise ComplaintError(gettext(
                    'portal_emas.msg_complaint_too_long',
                    field=gettext(f'portal_emas.msg_complaint_label_{name}'),
                    max=LIMITS[name]))
        return value or None

    @classmethod
    def _public_values(cls, values):
        "The checked values of the stored complaint, or ComplaintError"
        anonymous = bool(values.get('anonymous'))
        record = {
            'subject': cls._text(values, 'subject', required=True),
            'description': cls._text(values, 'description', required=True),
            'location': cls._text(values, 'location'),
            'anonymous': anonymous,
            'reporter_name': cls._text(
                values, 'name', required=not anonymous),
            'reporter_phone': cls._text(values, 'phone'),
            'reporter_email': cls._text(values, 'email'),
            }
        phone, email = record['reporter_phone'], record['reporter_email']
        if phone and not PHONE.match(phone):
            raise ComplaintError(gettext('portal_emas.msg_complaint_phone'))
        if email and not EMAIL.match(email):
            raise ComplaintError(gettext('portal_emas.msg_complaint_email'))
        if not anonymous and not (phone or email):
            raise ComplaintError(gettext(
                    'portal_emas.msg_complaint_contact_required'))
        return record

    @classmethod
    def _next_number(cls, year):
        """PG-<year>-<6 digits>, counted per year under the lock of the
        table (Tryton restarts the transaction with it taken)"""
        cls.lock()
        prefix = f'PG-{year}-'
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                Max(table.number), where=table.number.like(prefix + '%')))
        last, = cursor.fetchone()
        sequence = int(last[len(prefix):]) + 1 if last else 1
        return f'{prefix}{sequence:06d}'

    @classmethod
    def tracking_url(cls, token):
        database = Transaction().database.name
        return f'{public_url()}/{database}/portal/pengaduan/{token}'

    @classmethod
    def from_token(cls, token):
        "The complaint of the tracking link's token, or None"
        if not token or not isinstance(token, str) or len(token) > 64:
            return None
        digest = token_hash(token)
        with without_check_access():
            complaints = cls.search([('token_hash', '=', digest)], limit=1)
        if complaints and secrets.compare_digest(
                complaints[0].token_hash, digest):
            return complaints[0]

    @property
    def can_reply(self):
        return self.state == 'answered' and not self.citizen_reply

    def public_info(self):
        """What the tracking page shows: never who handled it nor the
        reporter's identity"""
        with without_check_access():
            complaint = self.__class__(self.id)
            return {
                'number': complaint.number,
                'category': complaint.category.name,
                'subject': complaint.subject,
                'state': complaint.state,
                'state_label': complaint.state_string,
                'agency': (complaint.agency.name
                    if complaint.state in HANDLED_STATES else None),
                'reason': complaint.reason,
                'dates': [{
                        'label': e.kind_string,
                        'date': e.date,
                        } for e in complaint.events],
                'answer': complaint.answer,
                'can_reply': complaint.can_reply,
                'reply': complaint.citizen_reply,
                }

    @classmethod
    def public_reply(cls, complaint, text):
        "The reporter's one reply to the answer"
        pool = Pool()
        Event = pool.get('portal.complaint.event')
        with without_check_access():
            complaint = cls(complaint.id)
            if not complaint.can_reply:
                raise ComplaintError(gettext(
                        'portal_emas.msg_complaint_reply_closed',
                        number=complaint.number))
            text = cls._text({'reply': text}, 'reply', required=True)
            cls.write([complaint], {
                    'citizen_reply': text,
                    'replied_at': datetime.datetime.now(),
                    })
            Event.record([complaint], 'replied', 'citizen')
        cls._notify(
            'portal_emas.msg_notify_complaint_replied', complaint,
            _group_users('group_portal_coordinator')
            + _group_users('group_portal_handler', complaint.agency))

    # Back office

    @classmethod
    def _notify(cls, message, complaint, users):
        pool = Pool()
        Notification = pool.get('esurat.notification')
        # The number only: what a complaint says stays in e-Surat, which an
        # email leaves
        Notification.send(
            message, complaint, users=users, number=complaint.number)

    def _mail_reporter(self, message, **variables):
        "Email the reporter, who gave an address, in Indonesian"
        pool = Pool()
        Mail = pool.get('esurat.mail')
        with without_check_access():
            email = self.__class__(self.id).reporter_email
        if not email:
            return
        with Transaction().set_context(language='id'):
            subject = gettext(
                'portal_emas.msg_mail_complaint_subject', number=self.number)
            body = gettext(message, number=self.number, **variables)
        Mail.enqueue([email], subject, body, resource=self)

    @classmethod
    def _check_readable(cls, complaints):
        "Buttons and wizards act only on what the user may read"
        with check_access():
            cls.read([c.id for c in complaints], ['id'])

    @classmethod
    @ModelView.button
    @Workflow.transition('verified')
    def verify(cls, complaints):
        pool = Pool()
        Event = pool.get('portal.complaint.event')
        Event.record(complaints, 'verified', 'coordinator')

    @classmethod
    @ModelView.button_action('portal_emas.wizard_complaint_dispose')
    def dispose(cls, complaints):
        pass

    @classmethod
    @ModelView.button_action('portal_emas.wizard_complaint_reject')
    def reject(cls, complaints):
        pass

    @classmethod
    @ModelView.button_action('portal_emas.wizard_complaint_answer')
    def answer_wizard(cls, complaints):
        pass

    @classmethod
    @Workflow.transition('disposed')
    def dispose_to(cls, complaints, agency, note=None):
        pool = Pool()
        Event = pool.get('portal.complaint.event')
        Holiday = pool.get('esurat.holiday')
        now = datetime.datetime.now()
        cls.write(complaints, {
                'agency': agency.id,
                'disposed_at': now,
                'due_date': Holiday.add_working_days(
                    now.date(), DEADLINES['disposed']),
                })
        Event.record(
            complaints, 'disposed', 'coordinator', note=note, agency=agency)
        for complaint in complaints:
            cls._notify(
                'portal_emas.msg_notify_complaint_disposed', complaint,
                _group_users('group_portal_handler', agency))

    @classmethod
    @Workflow.transition('out_of_scope')
    def out_of_scope(cls, complaints, reason):
        pool = Pool()
        Event = pool.get('portal.complaint.event')
        cls.write(complaints, {
                'reason': reason,
                'closed_at': datetime.datetime.now(),
                })
        Event.record(complaints, 'out_of_scope', 'coordinator', note=reason)
        for complaint in complaints:
            complaint._mail_reporter(
                'portal_emas.msg_mail_complaint_out_of_scope', reason=reason)

    @classmethod
    @Workflow.transition('answered')
    def give_answer(cls, complaints, text):
        pool = Pool()
        Event = pool.get('portal.complaint.event')
        cls.write(complaints, {
                'answer': text,
                'answered_by': Transaction().user,
                'answered_at': datetime.datetime.now(),
                })
        Event.record(complaints, 'answered', 'handler')
        for complaint in complaints:
            complaint._mail_reporter('portal_emas.msg_mail_complaint_answered')

    @classmethod
    @ModelView.button
    @Workflow.transition('closed')
    def close(cls, complaints):
        pool = Pool()
        Event = pool.get('portal.complaint.event')
        cls.write(complaints, {'closed_at': datetime.datetime.now()})
        Event.record(complaints, 'closed', 'coordinator')


class Event(ModelSQL, ModelView):
    "One step of a complaint: what happened, who did it, as what and when"
    __name__ = 'portal.complaint.event'
    __string__ = "Complaint Event"

    complaint = fields.Many2One(
        'portal.complaint', "Complaint", required=True, ondelete='CASCADE',
        readonly=True)
    kind = fields.Selection([
            ('submitted', "Submitted"),
            ('verified', "Verified"),
            ('disposed', "Disposed"),
            ('out_of_scope', "Out of Scope"),
            ('answered', "Answered"),
            ('replied', "Reporter Replied"),
            ('closed', "Closed"),
            ], "Event", required=True, readonly=True, sort=False)
    kind_string = kind.translated('kind')
    date = fields.DateTime("Date", required=True, readonly=True)
    user = fields.Many2One(
        'res.user', "User", readonly=True,
        help="Empty for what the reporter did.")
    role = fields.Selection(ROLES, "As", required=True, readonly=True)
    agency = fields.Many2One(
        'esurat.unit', "Agency", readonly=True,
        help="The agency the complaint was at.")
    note = fields.Text("Note", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('complaint')
        t = cls.__table__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        cls._sql_indexes.add(Index(t, (t.complaint, Index.Range())))

    @classmethod
    def record(cls, complaints, kind, role, note=None, agency=None):
        """Record kind done on complaints by the current user as role, at
        agency or where each complaint is"""
        user = Transaction().user if role != 'citizen' else None
        now = datetime.datetime.now()
        vlist = []
        for complaint in complaints:
            at = agency or complaint.agency
            vlist.append({
                    'complaint': complaint.id,
                    'kind': kind,
                    'date': now,
                    'user': user,
                    'role': role,
                    'agency': at.id if at else None,
                    'note': note,
                    })
        with without_check_access():
            cls.create(vlist)


class DisposeStart(ModelView):
    __name__ = 'portal.complaint.dispose.start'
    __string__ = "Dispose Complaint"

    agency = fields.Many2One(
        'esurat.unit', "Agency", required=True,
        domain=[('kind', 'in', ['setda', 'opd', 'kecamatan', 'kelurahan'])],
        help="The agency (OPD) responsible for what the complaint is about.")
    note = fields.Text("Note for the Agency")


class Dispose(Wizard):
    __name__ = 'portal.complaint.dispose'

    start = StateView(
        'portal.complaint.dispose.start',
        'portal_emas.complaint_dispose_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Dispose", 'dispose', 'tryton-ok', default=True),
            ])
    dispose = StateTransition()

    def transition_dispose(self):
        Complaint = self.model
        Complaint._check_readable(self.records)
        Complaint.dispose_to(
            self.records, self.start.agency, note=self.start.note)
        return 'end'


class RejectStart(ModelView):
    __name__ = 'portal.complaint.reject.start'
    __string__ = "Out of Scope"

    reason = fields.Text(
        "Reason", required=True,
        help="Told to the reporter: why the complaint is not the "
        "government's to handle, and where to turn.")


class Reject(Wizard):
    __name__ = 'portal.complaint.reject'

    start = StateView(
        'portal.complaint.reject.start',
        'portal_emas.complaint_reject_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Out of Scope", 'reject', 'tryton-ok', default=True),
            ])
    reject = StateTransition()

    def transition_reject(self):
        Complaint = self.model
        Complaint._check_readable(self.records)
        Complaint.out_of_scope(self.records, self.start.reason)
        return 'end'


class AnswerStart(ModelView):
    __name__ = 'portal.complaint.answer.start'
    __string__ = "Answer Complaint"

    answer = fields.Text(
        "Answer", required=True,
        help="Shown to the reporter on the tracking page.")


class Answer(Wizard):
    __name__ = 'portal.complaint.answer'

    start = StateView(
        'portal.complaint.answer.start',
        'portal_emas.complaint_answer_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Answer", 'answer', 'tryton-ok', default=True),
            ])
    answer = StateTransition()

    def transition_answer(self):
        Complaint = self.model
        Complaint._check_readable(self.records)
        Complaint.give_answer(self.records, self.start.answer.strip())
        return 'end'


class Monitor(ModelSQL, ModelView):
    """Complaints per agency they were disposed to: what is open, late and
    done, and how long answers take (Pasal 13); counts only, never what a
    complaint says"""
    __name__ = 'portal.complaint.monitor'
    __string__ = "Complaint Monitoring"

    agency = fields.Many2One('esurat.unit', "Agency", readonly=True)
    waiting = fields.Integer(
        "Waiting for Answer", readonly=True,
        help="Disposed and not answered yet.")
    overdue = fields.Integer(
        "Overdue", readonly=True,
        help="Waiting past the 5 working days of the answer.")
    answered = fields.Integer("Answered", readonly=True)
    total = fields.Integer("Total", readonly=True)
    median_days = fields.Function(
        fields.Float("Median Days to Answer", digits=(16, 1)),
        'get_median_days')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('waiting', 'DESC'), ('id', 'ASC')]

    @classmethod
    def table_query(cls):
        pool = Pool()
        Complaint = pool.get('portal.complaint')
        complaint = Complaint.__table__()
        waiting = complaint.state == 'disposed'
        today = datetime.date.today()
        return complaint.select(
            complaint.agency.as_('id'),
            complaint.agency.as_('agency'),
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            cls.write_uid.sql_cast(Literal(Null)).as_('write_uid'),
            cls.write_date.sql_cast(Literal(Null)).as_('write_date'),
            Sum(Case((waiting, 1), else_=0)).as_('waiting'),
            Sum(Case((waiting & (complaint.due_date < today), 1),
                    else_=0)).as_('overdue'),
            Sum(Case((complaint.state.in_(['answered', 'closed']), 1),
                    else_=0)).as_('answered'),
            Count(complaint.id).as_('total'),
            where=complaint.agency != Null,
            group_by=[complaint.agency])

    @classmethod
    def get_median_days(cls, rows, name):
        "From disposal to answer, one query of the rows' agencies"
        pool = Pool()
        Complaint = pool.get('portal.complaint')
        complaint = Complaint.__table__()
        days = {r.id: [] for r in rows}
        cursor = Transaction().connection.cursor()
        cursor.execute(*complaint.select(
                complaint.agency, complaint.disposed_at, complaint.answered_at,
                where=fields.SQL_OPERATORS['in'](complaint.agency, list(days))
                & (complaint.answered_at != Null)
                & (complaint.disposed_at != Null)))
        for agency, disposed, answered in cursor:
            days[agency].append((answered - disposed).total_seconds() / 86400)
        return {
            k: round(statistics.median(v), 1) if v else None
            for k, v in days.items()}
