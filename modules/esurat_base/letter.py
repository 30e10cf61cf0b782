import datetime
from contextlib import contextmanager

from sql import Literal
from sql.conditionals import Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import (
    ChatMixin, Index, ModelSQL, ModelView, Unique, Workflow, fields)
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

from .exceptions import (
    LetterAccessError, LetterRegisterError, LetterValidationError)
from .numbering import format_number
from .tools import rec_name_domain

# Fields that hold what a restricted (rahasia) letter says
CONTENT_FIELDS = {'subject', 'summary', 'search_text', 'rec_name'}
CONTENT_MASK = '***'


@contextmanager
def _database_language():
    pool = Pool()
    Configuration = pool.get('ir.configuration')
    with Transaction().set_context(language=Configuration.get_language()):
        yield


class Words(fields.FullText):
    """Full text of a letter, indexed with the database language.

    Writing and searching use the same text-search configuration whatever
    the language of the user, so both always agree.
    """

    def sql_format(self, value):
        with _database_language():
            return super().sql_format(value)

    def convert_domain(self, domain, tables, Model):
        with _database_language():
            return super().convert_domain(domain, tables, Model)


def _domain_fields(domain):
    "Yield the first name of every field a domain clause refers to"
    if not isinstance(domain, (list, tuple)):
        return
    if domain and isinstance(domain[0], str) and domain[0] not in {
            'AND', 'OR'}:
        yield domain[0].split('.', 1)[0]
        return
    for clause in domain:
        if isinstance(clause, (list, tuple)):
            yield from _domain_fields(clause)


class LetterHeadingMixin:
    """Type, classification, urgency and confidentiality, shared by the
    letters received and the letters drafted; their states are the model's
    _heading_states"""
    __slots__ = ()
    letter_type = fields.Many2One(
        'esurat.letter.type', "Type", required=True, ondelete='RESTRICT')
    classification = fields.Many2One(
        'esurat.classification', "Classification", required=True,
        ondelete='RESTRICT')
    urgency = fields.Many2One(
        'esurat.letter.urgency', "Urgency", required=True,
        ondelete='RESTRICT')
    confidentiality = fields.Many2One(
        'esurat.letter.confidentiality', "Confidentiality", required=True,
        ondelete='RESTRICT')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        for name in [
                'letter_type', 'classification', 'urgency',
                'confidentiality']:
            getattr(cls, name).states = cls._heading_states

    @classmethod
    def _default_reference(cls, xml_id):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        try:
            return ModelData.get_id('esurat_base', xml_id)
        except KeyError:
            return None

    @classmethod
    def default_urgency(cls):
        return cls._default_reference('urgency_normal')

    @classmethod
    def default_confidentiality(cls):
        return cls._default_reference('confidentiality_normal')


class Letter(LetterHeadingMixin, Workflow, ChatMixin, ModelSQL, ModelView):
    "Letter"
    __name__ = 'esurat.letter'

    _states = {'readonly': Eval('state') == 'archived'}
    _content_states = {
        'readonly': (Eval('state') == 'archived') | Eval('content_hidden'),
        }
    _heading_states = _states

    direction = fields.Selection([
            ('incoming', "Incoming"),
            ('outgoing', "Outgoing"),
            ('internal', "Internal"),
            ], "Direction", required=True, readonly=True)
    unit = fields.Many2One(
        'esurat.unit', "Registering Unit", required=True,
        ondelete='RESTRICT',
        domain=[('kind', 'in', ['setda', 'opd', 'kecamatan', 'kelurahan'])],
        states={'readonly': Eval('state') != 'draft'},
        help="The agency whose agenda book records the letter.")
    agenda_number = fields.Char("Agenda Number", readonly=True)
    agenda_sequence = fields.Integer("Agenda Sequence", readonly=True)
    agenda_year = fields.Integer("Agenda Year", readonly=True)
    agenda_date = fields.Date("Agenda Date", readonly=True)
    sender = fields.Char(
        "Sender", required=True, states=_states,
        help="Agency or person who sent the letter.")
    sender_number = fields.Char(
        "Letter Number", required=True, states=_states, strip=True,
        help="The number given by the sender.")
    sender_date = fields.Date("Letter Date", required=True, states=_states)
    received_date = fields.Date(
        "Received Date", required=True, states=_states)
    subject = fields.Char("Subject", required=True, states=_content_states)
    summary = fields.Text("Summary", states=_content_states)
    restricted = fields.Function(
        fields.Boolean("Restricted"), 'on_change_with_restricted')
    recipients = fields.One2Many(
        'esurat.letter.recipient', 'letter', "Recipients", states=_states)
    addressees = fields.One2Many(
        'esurat.letter.recipient', 'letter', "Addressed To",
        filter=[('kind', '=', 'to')], states=_states,
        context={'recipient_kind': 'to'})
    copies = fields.One2Many(
        'esurat.letter.recipient', 'letter', "Copies",
        filter=[('kind', '=', 'cc')], states=_states,
        context={'recipient_kind': 'cc'})
    files = fields.One2Many(
        'esurat.letter.file', 'letter', "Files",
        states={'readonly': _content_states['readonly']})
    duplicate_of = fields.Function(
        fields.Many2One('esurat.letter', "Already Registered As"),
        'on_change_with_duplicate_of')
    duplicate_reason = fields.Text(
        "Reason for Registering Again",
        states={
            'invisible': ~Eval('duplicate_of') & ~Eval('duplicate_reason'),
            'readonly': Eval('state') != 'draft',
            })
    registered_by = fields.Many2One(
        'res.user', "Registered By", readonly=True, ondelete='RESTRICT')
    search_text = Words("Words")
    readable_by = fields.Function(
        fields.Many2One(
            'esurat.position', "Readable By",
            help="Search only: letters that the given positions may open."),
        'get_readable_by', searcher='search_readable_by')
    content_hidden = fields.Function(
        fields.Boolean("Content Hidden"), 'get_content_hidden')
    state = fields.Selection([
            ('draft', "Draft"),
            ('registered', "Registered"),
            ('distributed', "Distributed"),
            ('archived', "Archived"),
            ], "State", required=True, readonly=True, sort=False)

    del _states, _content_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [
            ('received_date', 'DESC NULLS FIRST'),
            ('agenda_sequence', 'DESC NULLS FIRST'),
            ('id', 'DESC'),
            ]
        cls._sql_constraints += [
            ('agenda_unique',
                Unique(t, t.unit, t.agenda_year, t.agenda_sequence),
                'esurat_base.msg_letter_agenda_unique'),
            ]
        cls._sql_indexes.update({
                Index(t,
                    (t.unit, Index.Equality()),
                    (t.received_date, Index.Range(order='DESC'))),
                Index(t, (t.agenda_number, Index.Similarity(begin=True))),
                Index(t,
                    (t.sender_number, Index.Similarity(begin=True))),
                Index(t, (t.sender, Index.Similarity())),
                Index(t, (t.received_date, Index.Range(order='DESC'))),
                Index(t, (t.sender_date, Index.Range())),
                Index(t, (t.classification, Index.Range())),
                Index(t,
                    (t.state, Index.Equality(cardinality='low')),
                    (t.unit, Index.Equality())),
                })
        cls._transitions |= {
            ('draft', 'registered'),
            ('registered', 'distributed'),
            ('draft', 'archived'),
            ('registered', 'archived'),
            ('distributed', 'archived'),
            }
        cls._buttons.update({
                'register': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'distribute': {
                    'invisible': Eval('state') != 'registered',
                    'depends': ['state'],
                    },
                'archive': {
                    'invisible': Eval('state') == 'archived',
                    'depends': ['state'],
                    },
                'combine_scans': {
                    'invisible': Eval('state') == 'archived',
                    'readonly': Bool(Eval('content_hidden')),
                    'depends': ['state', 'content_hidden'],
                    },
                })

    @classmethod
    def __register__(cls, module):
        super().__register__(module)
        if backend.name == 'postgresql':
            # Word search on subject and summary: a GIN index on the
            # tsvector column, which Index() cannot express.
            cursor = Transaction().connection.cursor()
            cursor.execute(
                'CREATE INDEX IF NOT EXISTS "esurat_letter_search_text_gin" '
                'ON "esurat_letter" USING GIN ("search_text")')

    @classmethod
    def default_direction(cls):
        return 'incoming'

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_received_date(cls):
        return datetime.date.today()

    @classmethod
    def default_unit(cls):
        pool = Pool()
        User = pool.get('res.user')
        user = User(Transaction().user)
        if getattr(user, 'esurat_unit', None) and user.esurat_unit.agency:
            return user.esurat_unit.agency.id

    @fields.depends('confidentiality')
    def on_change_with_restricted(self, name=None):
        return bool(self.confidentiality and self.confidentiality.restricted)

    def get_rec_name(self, name):
        subject = CONTENT_MASK if self.content_hidden else self.subject
        if self.agenda_number:
            return f'{self.agenda_number} - {subject}'
        return subject

    @classmethod
    def search_rec_name(cls, name, clause):
        return rec_name_domain(
            clause, ['agenda_number', 'sender_number', 'sender', 'subject'])

    # Duplicates --------------------------------------------------------

    @fields.depends(methods=['find_duplicate'])
    def on_change_with_duplicate_of(self, name=None):
        duplicate = self.find_duplicate()
        return duplicate.id if duplicate else None

    @fields.depends('id', 'unit', 'sender', 'sender_number')
    @without_check_access
    def find_duplicate(self):
        "A registered letter of the same unit with this sender and number"
        if not (self.unit and self.sender and self.sender_number):
            return None

        def exact(value):
            return (value.strip().replace('\\', '\\\\')
                .replace('%', '\\%').replace('_', '\\_'))
        domain = [
            ('unit', '=', self.unit.id),
            ('state', '!=', 'draft'),
            ('sender_number', 'ilike', exact(self.sender_number)),
            ('sender', 'ilike', exact(self.sender)),
            ]
        if self.id is not None and self.id >= 0:
            domain.append(('id', '!=', self.id))
        duplicates = self.search(domain, order=[('id', 'ASC')], limit=1)
        return duplicates[0] if duplicates else None

    # Confidentiality ---------------------------------------------------

    @classmethod
    def acting_positions(cls):
        "Positions whose letters the current user may open"
        pool = Pool()
        User = pool.get('res.user')
        return User.get_esurat_positions()

    @classmethod
    def _readable_letters_query(cls, positions):
        """SQL query of the ids of the letters that positions may open:
        those addressed or copied to them.

        Modules that route letters further (dispositions) extend it."""
        pool = Pool()
        Recipient = pool.get('esurat.letter.recipient')
        recipient = Recipient.__table__()
        if not positions:
            return recipient.select(recipient.letter, where=Literal(False))
        return recipient.select(
            recipient.letter,
            where=fields.SQL_OPERATORS['in'](
                recipient.position, list(positions)))

    def get_readable_by(self, name):
        return None

    @classmethod
    def search_readable_by(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', 'in'}:
            return [('id', '=', None)]
        if not isinstance(value, (list, tuple)):
            value = [value] if value is not None else []
        return [('id', 'in', cls._readable_letters_query(
                    [int(v) for v in value]))]

    @classmethod
    def _content_domain(cls):
        "Domain of letters whose content the current user may see"
        return ['OR',
            ('confidentiality.restricted', '=', False),
            ('state', '=', 'draft'),
            ('readable_by', 'in', cls.acting_positions()),
            ]

    @classmethod
    def _content_checked(cls):
        transaction = Transaction()
        return transaction.user != 0 and transaction.check_access

    @classmethod
    def hidden_content_ids(cls, ids, checked=None):
        """Ids among ids whose content the current user must not see

        Only calls made with access checks (checked) are restricted."""
        if checked is None:
            checked = cls._content_checked()
        if not checked or not ids:
            return set()
        pool = Pool()
        Confidentiality = pool.get('esurat.letter.confidentiality')
        table = cls.__table__()
        confidentiality = Confidentiality.__table__()
        cursor = Transaction().connection.cursor()
        allowed = cls._readable_letters_query(cls.acting_positions())
        hidden = set()
        in_ = fields.SQL_OPERATORS['in']
        for sub_ids in grouped_slice(
                ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.join(confidentiality,
                    condition=table.confidentiality == confidentiality.id
                    ).select(table.id,
                    where=in_(table.id, list(sub_ids))
                    & (Coalesce(confidentiality.restricted, False)
                        == Literal(True))
                    & (table.state != 'draft')
                    & ~table.id.in_(allowed)))
            hidden.update(i for i, in cursor)
        return hidden

    def get_content_hidden(self, name):
        # Function fields are computed without access checks: read() sets
        # the real value for the calling user.
        return False

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        masked = CONTENT_FIELDS & set(fields_names)
        if masked or 'content_hidden' in fields_names:
            hidden = cls.hidden_content_ids(ids)
            if 'content_hidden' in fields_names:
                for row in result:
                    row['content_hidden'] = row['id'] in hidden
            if hidden and masked:
                for row in result:
                    if row['id'] in hidden:
                        for name in masked:
                            if name == 'search_text':
                                row[name] = None
                            elif name == 'rec_name':
                                row[name] = (
                                    f'{row[name].split(" - ")[0]}'
                                    f' - {CONTENT_MASK}')
                            else:
                                row[name] = CONTENT_MASK
        return result

    @classmethod
    def search(cls, domain, offset=0, limit=None, order=None, count=False,
            query=False):
        # Searching on the words of a restricted letter would reveal them
        if (cls._content_checked()
                and CONTENT_FIELDS & set(_domain_fields(domain))):
            domain = [domain, cls._content_domain()]
        return super().search(
            domain, offset=offset, limit=limit, order=order, count=count,
            query=query)

    @classmethod
    def check_modification(cls, mode, letters, values=None, external=False):
        super().check_modification(
            mode, letters, values=values, external=external)
        if mode == 'delete':
            raise LetterAccessError(gettext(
                    'esurat_base.msg_letter_no_delete',
                    letter=letters[0].rec_name))
        if mode == 'write' and CONTENT_FIELDS & set(values or {}):
            hidden = cls.hidden_content_ids(
                [l.id for l in letters], checked=external)
            if hidden:
                raise LetterAccessError(gettext(
                        'esurat_base.msg_letter_content_restricted',
                        letter=cls(min(hidden)).agenda_number or ''))

    # Computed values ---------------------------------------------------

    def compute_fields(self, field_names=None):
        values = super().compute_fields(field_names)
        if field_names is None or {
                'subject', 'summary', 'sender', 'sender_number'} & set(
                    field_names):
            values['search_text'] = ' '.join(filter(None, [
                        self.subject, self.sender, self.sender_number,
                        self.summary]))
        return values

    @classmethod
    def validate_fields(cls, letters, field_names):
        super().validate_fields(letters, field_names)
        cls.check_dates(letters, field_names)

    @classmethod
    def check_dates(cls, letters, field_names=None):
        if field_names and not (
                {'received_date', 'sender_date'} & set(field_names)):
            return
        today = datetime.date.today()
        for letter in letters:
            if letter.received_date and letter.received_date > today:
                raise LetterValidationError(gettext(
                        'esurat_base.msg_letter_received_future',
                        date=letter.received_date))
            if (letter.sender_date and letter.received_date
                    and letter.sender_date > letter.received_date):
                raise LetterValidationError(gettext(
                        'esurat_base.msg_letter_sent_after_received',
                        sent=letter.sender_date,
                        received=letter.received_date))

    # Workflow ----------------------------------------------------------

    def check_registrable(self):
        if not self.addressees:
            raise LetterRegisterError(gettext(
                    'esurat_base.msg_letter_no_addressee',
                    letter=self.subject))
        duplicate = self.find_duplicate()
        if duplicate and not (self.duplicate_reason or '').strip():
            raise LetterRegisterError(gettext(
                    'esurat_base.msg_letter_duplicate',
                    sender=self.sender, number=self.sender_number,
                    agenda=duplicate.agenda_number))

    def assign_agenda_number(self, date):
        pool = Pool()
        UnitSequence = pool.get('esurat.unit.sequence')
        sequence = UnitSequence.next_number(self.unit, date.year, 'agenda')
        self.agenda_sequence = sequence
        self.agenda_year = date.year
        self.agenda_date = date
        self.agenda_number = format_number(
            self.unit.get_agenda_pattern(),
            sequence=sequence, unit_code=self.unit.code, year=date.year,
            month=date.month, classification=self.classification.code)

    @classmethod
    @ModelView.button
    @Workflow.transition('registered')
    def register(cls, letters):
        today = datetime.date.today()
        user = Transaction().user
        for letter in letters:
            letter.check_registrable()
        for letter in sorted(letters, key=lambda l: l.id):
            letter.assign_agenda_number(today)
            letter.registered_by = user
        cls.save(letters)
        for letter in letters:
            if letter.duplicate_reason:
                letter.chat_post(
                    'esurat_base.msg_letter_registered_again_chat',
                    agenda=letter.agenda_number,
                    reason=letter.duplicate_reason)
            else:
                letter.chat_post(
                    'esurat_base.msg_letter_registered_chat',
                    agenda=letter.agenda_number)

    @classmethod
    @ModelView.button
    @Workflow.transition('distributed')
    def distribute(cls, letters):
        for letter in letters:
            letter.chat_post('esurat_base.msg_letter_distributed_chat')

    @classmethod
    @ModelView.button
    @Workflow.transition('archived')
    def archive(cls, letters):
        for letter in letters:
            letter.chat_post('esurat_base.msg_letter_archived_chat')

    @classmethod
    @ModelView.button_action('esurat_base.wizard_letter_combine_scans')
    def combine_scans(cls, letters):
        pass

    @classmethod
    def copy(cls, letters, default=None):
        default = default.copy() if default is not None else {}
        for name in ['agenda_number', 'agenda_sequence', 'agenda_year',
                'agenda_date', 'registered_by', 'duplicate_reason',
                'files']:
            default.setdefault(name, None)
        return super().copy(letters, default=default)


class Recipient(ModelSQL, ModelView):
    "Letter Recipient"
    __name__ = 'esurat.letter.recipient'

    letter = fields.Many2One(
        'esurat.letter', "Letter", required=True, ondelete='CASCADE')
    position = fields.Many2One(
        'esurat.position', "Position", required=True, ondelete='RESTRICT')
    kind = fields.Selection([
            ('to', "Addressed To"),
            ('cc', "Copy"),
            ], "Kind", required=True)
    holder_names = fields.Function(
        fields.Char("Holders"), 'get_holder_names')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('letter')
        t = cls.__table__()
        cls._sql_constraints += [
            ('letter_position_unique', Unique(t, t.letter, t.position),
                'esurat_base.msg_recipient_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.position, Index.Equality()),
                    (t.letter, Index.Equality())),
                Index(t, (t.letter, Index.Range())),
                })

    @classmethod
    def default_kind(cls):
        return Transaction().context.get('recipient_kind', 'to')

    @classmethod
    def get_holder_names(cls, recipients, name):
        pool = Pool()
        Position = pool.get('esurat.position')
        positions = list({r.position for r in recipients})
        names = Position.get_holder_names(positions, 'holder_names')
        return {r.id: names[r.position.id] for r in recipients}

    def get_rec_name(self, name):
        return self.position.rec_name
