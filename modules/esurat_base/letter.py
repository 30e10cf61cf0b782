# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import functools
from contextlib import contextmanager

from sql import Literal
from sql.conditionals import Case, Coalesce

from trytond import backend
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.pool import Pool
from trytond.pyson import Bool, Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, check_access, without_check_access

from .access import ClientWriteMixin
from .chat import ChatMixin
from .exceptions import (
    LetterAccessError, LetterRegisterError, LetterValidationError)
from .letter_access import LetterReadableMixin
from .numbering import format_number
from .tools import rec_name_domain

# Fields that hold what a restricted (rahasia) letter says (rec_name is
# masked by LetterHeadingMixin.get_rec_name)
CONTENT_FIELDS = {'subject', 'summary', 'search_text'}
# Fields that decide who may see that content, or hold it: a user who
# cannot see the content of a registered letter may not change them, or
# they would unmask it
UNMASKING_FIELDS = {
    'confidentiality', 'recipients', 'addressees', 'copies', 'files', 'unit',
    'state'}
CONTENT_MASK = '***'
# The roles that register and distribute letters
OPERATOR_GROUPS = {
    'group_esurat_admin', 'group_esurat_opd_admin',
    'group_esurat_main_operator'}


@contextmanager
def _database_language():
    pool = Pool()
    Configuration = pool.get('ir.configuration')
    with Transaction().set_context(language=Configuration.get_language()):
        yield


class _Content:
    """A field holding what a restricted (rahasia) letter says.

    For every user but root, a letter whose content the user may not see
    matches no clause on the field (negated ones included) and sorts as if
    it said CONTENT_MASK.  Tryton converts a dotted domain or order of
    another model ('letter.subject' on recipients, dispositions ...) with
    the letter's own field, so the rule holds on every path, and also for
    server code running for a user."""
    _masked_order = Literal(CONTENT_MASK)

    def convert_domain(self, domain, tables, Model):
        expression = super().convert_domain(domain, tables, Model)
        hidden = Model._hidden_content_sql(tables)
        if hidden is None:
            return expression
        return expression & ~hidden

    def convert_order(self, name, tables, Model):
        orders = super().convert_order(name, tables, Model)
        hidden = Model._hidden_content_sql(tables)
        if hidden is None:
            return orders
        return [Case((hidden, self._masked_order), else_=o) for o in orders]


class ContentChar(_Content, fields.Char):
    pass


class ContentText(_Content, fields.Text):
    pass


class ContentOne2Many(_Content, fields.One2Many):
    pass


class Words(_Content, fields.FullText):
    """Full text of a letter, indexed with the database language.

    Writing and searching use the same text-search configuration whatever
    the language of the user, so both always agree.
    """
    _masked_order = Literal(0)

    def sql_format(self, value):
        with _database_language():
            return super().sql_format(value)

    def convert_domain(self, domain, tables, Model):
        with _database_language():
            return super().convert_domain(domain, tables, Model)

    def convert_order(self, name, tables, Model):
        with _database_language():
            return super().convert_order(name, tables, Model)


class LetterHeadingMixin:
    """Type, classification, urgency and confidentiality, shared by the
    letters received and the letters drafted; their states are the model's
    _heading_states.  A letter is named by its number (the field
    _rec_name_number) and its subject, masked for who may not read it."""
    __slots__ = ()
    _rec_name_number = None
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

    def get_rec_name(self, name):
        subject = CONTENT_MASK if self.content_hidden else self.subject
        number = getattr(self, self._rec_name_number)
        if number:
            return f'{number} - {subject}'
        return subject


class Letter(
        ClientWriteMixin, LetterHeadingMixin, Workflow, ChatMixin, ModelSQL,
        ModelView):
    __name__ = 'esurat.letter'
    __string__ = "Letter"
    _rec_name_number = 'agenda_number'

    _states = {'readonly': Eval('state') == 'archived'}
    _content_states = {
        'readonly': (Eval('state') == 'archived') | Eval('content_hidden'),
        }
    _heading_states = _states
    # Tryton's export leaves out a field that its states make invisible:
    # an export made by a client leaves out the content hidden to the user
    # (the client's own views are not affected and show what read() gives)
    _export_hidden = (Eval('content_hidden', False)
        & Eval('context', {}).get('_check_access', False))
    _content_states['invisible'] = _export_hidden

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
    subject = ContentChar(
        "Subject", required=True, states=_content_states)
    summary = ContentText("Summary", states=_content_states)
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
    files = ContentOne2Many(
        'esurat.letter.file', 'letter', "Files",
        states={
            'readonly': _content_states['readonly'],
            'invisible': _export_hidden,
            })
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
    search_text = Words(
        "Words", readonly=True, states={'invisible': _export_hidden})
    readable_by = fields.Function(
        fields.Many2One(
            'esurat.position', "Readable By",
            help="Search only: letters that the given positions may open."),
        'get_readable_by')
    content_hidden = fields.Function(
        fields.Boolean("Content Hidden"), 'get_content_hidden')
    to_do = fields.Function(
        fields.Boolean(
            "To Do",
            help="The letters the user's role acts on next: for operators "
            "those to register or distribute, for the others those that "
            "wait for them."),
        'get_to_do', searcher='search_to_do')
    outcome = fields.Function(
        fields.Text(
            "Outcome", states={'invisible': Eval('state') == 'draft'}),
        'get_outcome')
    state = fields.Selection([
            ('draft', "Draft"),
            ('registered', "Registered"),
            ('distributed', "Distributed"),
            ('archived', "Archived"),
            ], "State", required=True, readonly=True, sort=False)

    del _states, _content_states, _export_hidden

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
                # The search box (rec_name) and the columns' own searches:
                # trigrams for "contains", on the expression Tryton searches
                # (COALESCE for a field that may be empty)
                Index(t, (Coalesce(t.agenda_number, ''), Index.Similarity())),
                Index(t, (t.sender_number, Index.Similarity())),
                Index(t, (t.sender, Index.Similarity())),
                Index(t, (t.subject, Index.Similarity())),
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
                'register_and_distribute': {
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
        table_h = cls.__table_handler__(module)
        # Migration from 8.0.0: direction was removed, every letter of this
        # model is received (outgoing letters are esurat.outgoing); its
        # column is NOT NULL
        table_h.drop_column('direction')
        if backend.name == 'postgresql':
            # Word search on subject and summary: a GIN index on the
            # tsvector column, which Index() cannot express.
            cursor = Transaction().connection.cursor()
            cursor.execute(
                'CREATE INDEX IF NOT EXISTS "esurat_letter_search_text_gin" '
                'ON "esurat_letter" USING GIN ("search_text")')

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

    @classmethod
    def search_rec_name(cls, name, clause):
        return rec_name_domain(
            clause, ['agenda_number', 'sender_number', 'sender', 'subject'])

    # Duplicates --------------------------------------------------------

    @fields.depends(methods=['find_duplicate'])
    def on_change_with_duplicate_of(self, name=None):
        duplicate = self.find_duplicate()
        # Shown only when the user may open it: the unit comes from the
        # client, and another agency's letters must not be revealed (its
        # rec_name is masked when its content is hidden, see get_rec_name)
        if duplicate and Transaction().user:
            with check_access():
                if not self.search([('id', '=', duplicate.id)], count=True):
                    return None
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
    def access_sources(cls, letter_ids=None):
        """SQL query of the (letter, position) pairs that give positions
        access to the letters of letter_ids (None: every letter): its
        addressees and copies.

        Modules that route letters further (dispositions) extend it and
        refresh esurat.letter.access when their routes change."""
        pool = Pool()
        Recipient = pool.get('esurat.letter.recipient')
        recipient = Recipient.__table__()
        where = Literal(True)
        if letter_ids is not None:
            where = fields.SQL_OPERATORS['in'](
                recipient.letter, list(letter_ids))
        return recipient.select(
            recipient.letter.as_('letter'),
            recipient.position.as_('position'),
            where=where)

    @classmethod
    def get_readable_by(cls, letters, name):
        # One of the user's positions that may open the letter: the rule
        # ('readable_by', 'in', positions) then also holds where Tryton
        # evaluates it in Python (export) instead of in SQL
        positions = list(cls.acting_positions())
        result = dict.fromkeys(l.id for l in letters)
        if not positions or not Transaction().user:
            return result
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        readable = Access.readable(table.id, positions)
        in_ = fields.SQL_OPERATORS['in']
        for sub_ids in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.id,
                    where=in_(table.id, list(sub_ids)) & readable))
            for id_, in cursor:
                result[id_] = positions[0]
        return result

    @classmethod
    def domain_readable_by(cls, domain, tables):
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        table, _ = tables[None]
        return Access.readable_domain(table.id, domain)

    @classmethod
    def _content_checked(cls):
        transaction = Transaction()
        return transaction.user != 0 and transaction.check_access

    @property
    def content_restricted(self):
        "Only the positions that may open it read its content (rahasia)"
        return self.state != 'draft' and self.restricted

    @classmethod
    def restricted_condition(cls, table):
        "SQL condition on the letter table of content_restricted"
        pool = Pool()
        Confidentiality = pool.get('esurat.letter.confidentiality')
        confidentiality = Confidentiality.__table__()
        restricted = confidentiality.select(
            confidentiality.id,
            where=Coalesce(confidentiality.restricted, False)
            == Literal(True))
        return ((table.state != 'draft')
            & table.confidentiality.in_(restricted))

    @classmethod
    def _hidden_condition(cls, table):
        """SQL condition on the letter table: true for the letters whose
        content the current user must not see"""
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        return (cls.restricted_condition(table)
            & ~Access.readable(table.id, cls.acting_positions()))

    @classmethod
    def on_write(cls, letters, values):
        callbacks = super().on_write(letters, values)
        if {'confidentiality', 'state'} & values.keys():
            letter_ids = [l.id for l in letters]
            for Model in LetterReadableMixin.letter_readable_models():
                callbacks.append(functools.partial(
                        Model.sync_letter_restricted, letter_ids))
        return callbacks

    @classmethod
    def _hidden_content_sql(cls, tables):
        "The condition for the content fields (_Content); None for root"
        if not Transaction().user:
            return None
        table, _ = tables[None]
        return cls._hidden_condition(table)

    @classmethod
    def hidden_content_ids(cls, ids, checked=None):
        """Ids among ids whose content the current user must not see

        Only calls made with access checks (checked) are restricted."""
        if checked is None:
            checked = cls._content_checked()
        if not checked or not ids:
            return set()
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        hidden = set()
        in_ = fields.SQL_OPERATORS['in']
        for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.id,
                    where=in_(table.id, list(sub_ids))
                    & cls._hidden_condition(table)))
            hidden.update(i for i, in cursor)
        return hidden

    @classmethod
    def get_content_hidden(cls, letters, name):
        # For the user behind the call, root excepted: also for the
        # records server code and exports use (get_rec_name, export)
        hidden = cls.hidden_content_ids(
            [l.id for l in letters], checked=Transaction().user != 0)
        return {l.id: l.id in hidden for l in letters}

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        masked = CONTENT_FIELDS & set(fields_names)
        hidden = cls.hidden_content_ids(ids) if masked else set()
        if hidden:
            for row in result:
                if row['id'] in hidden:
                    for name in masked:
                        if name == 'search_text':
                            row[name] = None
                        else:
                            row[name] = CONTENT_MASK
        return result

    @classmethod
    def check_modification(cls, mode, letters, values=None, external=False):
        super().check_modification(
            mode, letters, values=values, external=external)
        if mode == 'delete':
            raise LetterAccessError(gettext(
                    'esurat_base.msg_letter_no_delete',
                    letter=(letters[0].agenda_number
                        or letters[0].sender_number)))
        if mode == 'write' and external:
            names = set(values or {})
            if CONTENT_FIELDS & names:
                message = 'esurat_base.msg_letter_content_restricted'
            elif UNMASKING_FIELDS & names:
                message = 'esurat_base.msg_letter_unmask_restricted'
            else:
                return
            hidden = cls.hidden_content_ids(
                [l.id for l in letters], checked=True)
            if hidden:
                raise LetterAccessError(gettext(
                        message, letter=cls(min(hidden)).agenda_number or ''))

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

    @classmethod
    def is_operator(cls):
        "Whether the current user registers and distributes letters"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        User = pool.get('res.user')
        operators = {
            ModelData.get_id('esurat_base', name) for name in OPERATOR_GROUPS}
        return bool(operators & set(User.get_groups()))

    @classmethod
    def to_do_domain(cls, to_do=True):
        """The letters the current user's role acts on next (or, to_do
        false, the others)"""
        if cls.is_operator():
            states = ['draft', 'registered']
        else:
            states = ['distributed']
        return [('state', 'in' if to_do else 'not in', states)]

    @classmethod
    def get_to_do(cls, letters, name):
        to_do = set()
        for sub_ids in grouped_slice(
                [l.id for l in letters], backend.MAX_QUERY_PARAMS):
            to_do.update(cls.search(
                    [('id', 'in', list(sub_ids))] + cls.to_do_domain(),
                    order=[]))
        return {l.id: l in to_do for l in letters}

    @classmethod
    def search_to_do(cls, name, clause):
        _, operator, value = clause[:3]
        if operator not in {'=', '!='}:
            return []
        return cls.to_do_domain((operator == '=') == bool(value))

    def get_outcome(self, name):
        """What the last action did, next to the buttons where the operator
        pressed it (a phone shows the agenda number off-screen)"""
        if self.state == 'registered':
            return gettext('esurat_base.msg_letter_outcome_registered',
                agenda=self.agenda_number)
        elif self.state == 'distributed':
            return gettext('esurat_base.msg_letter_outcome_distributed',
                agenda=self.agenda_number, count=len(self.recipients))
        elif self.state == 'archived':
            return gettext('esurat_base.msg_letter_outcome_archived')

    # Workflow ----------------------------------------------------------

    def check_registrable(self):
        if not self.addressees:
            raise LetterRegisterError(gettext(
                    'esurat_base.msg_letter_no_addressee',
                    letter=self.subject))
        self.check_leader_recipients()
        duplicate = self.find_duplicate()
        if duplicate and not (self.duplicate_reason or '').strip():
            raise LetterRegisterError(gettext(
                    'esurat_base.msg_letter_duplicate',
                    sender=self.sender, number=self.sender_number,
                    agenda=duplicate.agenda_number))

    def check_leader_recipients(self):
        """Mail for the Bupati, Wakil Bupati and Sekda is registered by the
        Setda (Bagian Umum), never straight into their inbox by an OPD
        (Perbup Probolinggo 83/2017 Pasal 11-12); copies included, since a
        copy reaches the inbox too"""
        if self.unit.kind == 'setda':
            return
        for recipient in self.recipients:
            if recipient.position.level in {
                    'regional_head', 'vice_head', 'secretary'}:
                raise LetterRegisterError(gettext(
                        'esurat_base.msg_letter_leader_setda_only',
                        position=recipient.position.rec_name))

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
        pool = Pool()
        Unit = pool.get('esurat.unit')
        today = datetime.date.today()
        user = Transaction().user
        # The agenda books' locks first: Tryton restarts the transaction to
        # take them, and whatever ran before would run twice
        Unit.lock(list({l.unit for l in letters}))
        for letter in letters:
            letter.check_registrable()
        for letter in sorted(letters, key=lambda l: l.id):
            letter.assign_agenda_number(today)
            letter.registered_by = user
        cls.save(letters)
        # Registered and distributed at once: one entry on the thread (the
        # tasks posting entries run last in, first out after the commit)
        at_once = Transaction().context.get('_esurat_distribute_at_once')
        suffix = '_distributed_chat' if at_once else '_chat'
        for letter in letters:
            if letter.duplicate_reason:
                letter.chat_post(
                    'esurat_base.msg_letter_registered_again' + suffix,
                    agenda=letter.agenda_number,
                    reason=letter.duplicate_reason)
            else:
                letter.chat_post(
                    'esurat_base.msg_letter_registered' + suffix,
                    agenda=letter.agenda_number)

    @classmethod
    @ModelView.button
    @Workflow.transition('distributed')
    def distribute(cls, letters):
        if Transaction().context.get('_esurat_distribute_at_once'):
            return
        for letter in letters:
            letter.chat_post('esurat_base.msg_letter_distributed_chat')

    @classmethod
    @ModelView.button
    def register_and_distribute(cls, letters):
        """The operator's usual step: a letter registered is delivered at
        once, so no forgotten Distribute leaves its addressees without it"""
        with Transaction().set_context(_esurat_distribute_at_once=True):
            cls.register(letters)
            cls.distribute(letters)

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
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            # Tryton copies what it reads without access checks: only a
            # letter the user may open, and whose content it may see, is
            # copied
            ids = [l.id for l in letters]
            cls.read(ids, ['id'])
            hidden = cls.hidden_content_ids(ids, checked=True)
            if hidden:
                raise LetterAccessError(gettext(
                        'esurat_base.msg_letter_copy_restricted',
                        letter=cls(min(hidden)).agenda_number or ''))
        default = default.copy() if default is not None else {}
        for name in ['agenda_number', 'agenda_sequence', 'agenda_year',
                'agenda_date', 'registered_by', 'duplicate_reason',
                'files']:
            default.setdefault(name, None)
        return super().copy(letters, default=default)


class Recipient(ClientWriteMixin, ModelSQL, ModelView):
    __name__ = 'esurat.letter.recipient'
    __string__ = "Letter Recipient"

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

    # Who a registered letter goes to decides who may see its content: a
    # user who cannot see it may not change them (nor add itself)
    @classmethod
    def _check_content_visible(cls, letter_ids):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        hidden = Letter.hidden_content_ids(
            [int(i) for i in letter_ids if i is not None], checked=True)
        if hidden:
            raise LetterAccessError(gettext(
                    'esurat_base.msg_letter_unmask_restricted',
                    letter=Letter(min(hidden)).agenda_number or ''))

    @classmethod
    def create(cls, vlist):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            # Before the new recipient makes the letter readable
            cls._check_content_visible({v.get('letter') for v in vlist})
        return super().create(vlist)

    @classmethod
    def check_modification(cls, mode, recipients, values=None,
            external=False):
        super().check_modification(
            mode, recipients, values=values, external=external)
        if external and mode in {'write', 'delete'}:
            letter_ids = {r.letter.id for r in recipients}
            if values:
                letter_ids.add(values.get('letter'))
            cls._check_content_visible(letter_ids)

    @classmethod
    def on_modification(cls, mode, recipients, field_names=None):
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        super().on_modification(mode, recipients, field_names)
        if mode == 'create' or (
                mode == 'write' and {'letter', 'position'} & field_names):
            Access.refresh(r.letter.id for r in recipients)

    @classmethod
    def on_write(cls, recipients, values):
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        callbacks = super().on_write(recipients, values)
        if 'letter' in values:
            # The letters they leave lose the access they gave
            letter_ids = {r.letter.id for r in recipients}
            callbacks.append(lambda: Access.refresh(letter_ids))
        return callbacks

    @classmethod
    def on_delete(cls, recipients):
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        letter_ids = {r.letter.id for r in recipients}
        return super().on_delete(recipients) + [
            lambda: Access.refresh(letter_ids)]
