# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import difflib

from reportlab.platypus.doctemplate import LayoutError

from trytond import config
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSQL, ModelView, Workflow, fields, sequence_ordered)
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.chat import LANGUAGE, ChatMixin
from trytond.modules.esurat_base.letter import (
    CONTENT_MASK, ContentChar, ContentText, LetterHeadingMixin)
from trytond.modules.esurat_base.numbering import format_number
from trytond.modules.esurat_base.position import PREFIXES, acting_title
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import render
from .content import EXPORT_HIDDEN, RestrictedContentMixin
from .exceptions import (
    OutgoingAccessError, OutgoingError, OutgoingValidationError)

# Fields whose change by an approver makes a new version of the text
VERSIONED = ('subject', 'body')
# Fields only the workflow sets (readonly is not enforced by the server)
PROTECTED = {
    'state', 'number', 'date', 'signature', 'cancel_reason', 'drafter'}
# Longest texts, in characters: what fits the PDF's pages with room to spare
# (a subject of 4 000 characters no longer fits a page of a decree)
TEXT_SIZES = {
    'subject': 500,
    'enclosures': 250,
    'addressee_text': 2000,
    }
RECIPIENT_SIZES = {
    'name': 250,
    'address': 1000,
    'email': 320,
    }


def delivery_grace():
    """How long after its signing a letter waits for the delivery queued by
    the signing before the repair cron delivers it: [esurat] delivery_grace
    (minutes)"""
    return datetime.timedelta(
        minutes=config.getint('esurat', 'delivery_grace', default=5))


class TextSizeMixin:
    """Refuse texts longer than their field's size with a short message,
    before Tryton's own, which quotes the whole text"""
    __slots__ = ()

    @classmethod
    def check_text_sizes(cls, vlist):
        for values in vlist:
            for name, value in values.items():
                size = getattr(cls._fields.get(name), 'size', None)
                if (isinstance(size, int) and isinstance(value, str)
                        and len(value) > size):
                    raise OutgoingValidationError(gettext(
                            'esurat_signing.msg_text_too_long',
                            field=cls.__names__(name)['field'],
                            size=size, length=len(value)))

    @classmethod
    def create(cls, vlist):
        cls.check_text_sizes(vlist)
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        cls.check_text_sizes([v for _, v in zip(actions, actions)])
        super().write(*args)


class Outgoing(
        TextSizeMixin, RestrictedContentMixin, ClientWriteMixin,
        LetterHeadingMixin, Workflow, ChatMixin, ModelSQL, ModelView):
    __name__ = 'esurat.outgoing'
    __string__ = "Outgoing Letter"
    _rec_name = 'subject'
    _rec_name_number = 'number'

    _states = {'readonly': Eval('state') != 'draft'}
    _heading_states = _states
    _text_states = {
        'readonly': ~Eval('state').in_(['draft', 'in_approval']),
        'invisible': EXPORT_HIDDEN,
        }
    signer_position = fields.Many2One(
        'esurat.position', "Signer", required=True, ondelete='RESTRICT',
        states=_states)
    on_behalf = fields.Many2One(
        'esurat.position', "On Behalf Of (a.n.)", ondelete='RESTRICT',
        states=_states,
        help="Set when the signer signs on behalf of a superior, "
        "e.g. the Secretary a.n. the Head of Agency.")
    unit = fields.Function(
        fields.Many2One('esurat.unit', "Unit"), 'on_change_with_unit')
    drafter = fields.Many2One(
        'res.user', "Drafted By", readonly=True, ondelete='RESTRICT')
    drafter_position = fields.Many2One(
        'esurat.position', "Drafted As", ondelete='RESTRICT',
        states=_states,
        domain=[('id', 'in', Eval('drafter_positions', []))])
    drafter_positions = fields.Function(
        fields.Many2Many('esurat.position', None, None, "My Positions"),
        'get_drafter_positions')
    subject = ContentChar(
        "Subject", required=True, size=TEXT_SIZES['subject'],
        states=_text_states)
    body = ContentText(
        "Body", required=True, states=_text_states,
        help="Blank lines separate paragraphs. "
        "Lists: lines starting with \"1.\", \"a.\" or \"-\"; "
        "indented lines continue or nest them.\n"
        "Aligned fields: \"hari/tanggal : Senin, 7 Desember 2026\" "
        "(a space before the colon).\n"
        "Sections: \"Dasar:\" alone on its line, then its text "
        "(Dasar, Kepada, Untuk; Menimbang, Mengingat).\n"
        "Tables: \"| No | Nama |\", a line \"|---|---|\" "
        "under the heading.\n"
        "**bold**, *italic*, __underline__; \\* prints *.")
    enclosures = fields.Char(
        "Enclosures", size=TEXT_SIZES['enclosures'], states=_states,
        help="e.g. \"1 (satu) berkas\", for enclosures sent on paper; "
        "with enclosure files the letter counts them.")
    enclosure_files = fields.One2Many(
        'esurat.outgoing.enclosure', 'outgoing', "Enclosure Files",
        states=_states,
        help="PDF, JPG or PNG: their pages follow the letter's "
        "in the signed PDF.")
    addressee_text = fields.Text(
        "Addressee Block", size=TEXT_SIZES['addressee_text'],
        states=_states,
        help="As printed after \"Yth.\"; "
        "empty to list the recipients below.")
    recipients = fields.One2Many(
        'esurat.outgoing.recipient', 'outgoing', "Recipients",
        states=_states)
    approvals = fields.One2Many(
        'esurat.outgoing.approval', 'outgoing', "Approval Route",
        states=_states)
    versions = fields.One2Many(
        'esurat.outgoing.version', 'outgoing', "Versions", readonly=True)
    current_approval = fields.Function(
        fields.Many2One('esurat.outgoing.approval', "Waiting At"),
        'get_current_approval')
    current_kind = fields.Function(
        fields.Selection([
                (None, ""),
                ('initial', "Initial (Paraf)"),
                ('sign', "Sign"),
                ], "Waiting For"),
        'get_current_approval')
    to_act = fields.Function(
        fields.Boolean(
            "Waiting for Me",
            help="Drafts waiting for the initials or signature of a "
            "position the user holds or acts for."),
        'get_to_act', searcher='search_to_act')
    number = fields.Char("Number", readonly=True)
    date = fields.Date("Date", readonly=True)
    signature = fields.Many2One(
        'esurat.signature', "Signature", readonly=True, ondelete='RESTRICT')
    signed_pdf = fields.Function(
        fields.Binary(
            "Signed PDF", filename='signed_pdf_name',
            states={'invisible': EXPORT_HIDDEN}),
        'get_signed_pdf')
    signed_pdf_name = fields.Function(
        fields.Char("Signed PDF Name"), 'get_signed_pdf')
    content_hidden = fields.Function(
        fields.Boolean("Content Hidden"), 'get_content_hidden')
    cancel_reason = fields.Text("Cancellation Reason", readonly=True)
    may_cancel = fields.Function(
        fields.Boolean("May Cancel"), 'get_may_cancel')
    state = fields.Selection([
            ('draft', "Draft"),
            ('in_approval', "In Approval"),
            ('signed', "Signed"),
            ('cancelled', "Cancelled"),
            ], "State", required=True, readonly=True, sort=False)
    del _states, _text_states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.signer_position, Index.Equality())),
                Index(t, (t.number, Index.Similarity(begin=True))),
                })
        cls._transitions |= {
            ('draft', 'in_approval'),
            ('in_approval', 'draft'),
            ('in_approval', 'signed'),
            ('draft', 'cancelled'),
            ('in_approval', 'cancelled'),
            ('signed', 'cancelled'),
            }
        cls._buttons.update({
                'propose_route': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'submit': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'approve': {
                    'invisible': ((Eval('state') != 'in_approval')
                        | ~Eval('to_act')
                        | (Eval('current_kind') != 'initial')),
                    'depends': ['state', 'to_act', 'current_kind'],
                    },
                'return_': {
                    'invisible': ((Eval('state') != 'in_approval')
                        | ~Eval('to_act')),
                    'depends': ['state', 'to_act'],
                    },
                'sign': {
                    'invisible': ((Eval('state') != 'in_approval')
                        | ~Eval('to_act') | (Eval('current_kind') != 'sign')),
                    'depends': ['state', 'to_act', 'current_kind'],
                    },
                'cancel': {
                    'invisible': ((Eval('state') == 'cancelled')
                        | ~Eval('may_cancel')),
                    'depends': ['state', 'may_cancel'],
                    },
                })

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('to_act', False), 'success', '')),
            ]

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_drafter(cls):
        return Transaction().user

    @classmethod
    def default_drafter_positions(cls):
        pool = Pool()
        User = pool.get('res.user')
        return User.get_esurat_positions()

    @classmethod
    def default_drafter_position(cls):
        positions = cls.default_drafter_positions()
        return positions[0] if positions else None

    @classmethod
    def default_signer_position(cls):
        "The head of the drafter's agency, who signs most of its letters"
        pool = Pool()
        Position = pool.get('esurat.position')
        drafter = cls.default_drafter_position()
        if drafter is not None:
            position = Position(drafter)
            head = (position.agency or position.unit).head_position()
            return head.id if head else None

    @fields.depends('signer_position')
    def on_change_with_unit(self, name=None):
        if self.signer_position:
            unit = self.signer_position.agency or self.signer_position.unit
            return unit.id

    def get_drafter_positions(self, name):
        pool = Pool()
        User = pool.get('res.user')
        if not self.drafter:
            return []
        return User.get_esurat_positions(self.drafter.id)

    @classmethod
    def get_current_approval(cls, outgoings, names):
        "The pending step of each letter, in one query"
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        result = {n: {o.id: None for o in outgoings} for n in names}
        for approval in Approval.search([
                    ('outgoing', 'in', [o.id for o in outgoings]),
                    ('state', '=', 'pending'),
                    ]):
            if 'current_approval' in result:
                result['current_approval'][approval.outgoing.id] = approval.id
            if 'current_kind' in result:
                result['current_kind'][approval.outgoing.id] = approval.kind
        return result

    @classmethod
    def get_to_act(cls, outgoings, name):
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        User = pool.get('res.user')
        waiting = {a.outgoing.id for a in Approval.search([
                    ('outgoing', 'in', [o.id for o in outgoings]),
                    ('state', '=', 'pending'),
                    ('position', 'in', User.get_esurat_positions()),
                    ])}
        return {o.id: o.id in waiting for o in outgoings}

    @classmethod
    def search_to_act(cls, name, clause):
        pool = Pool()
        User = pool.get('res.user')
        _, operator, value = clause
        where = [
            ('state', '=', 'pending'),
            ('position', 'in', User.get_esurat_positions()),
            ]
        if (operator == '=') == bool(value):
            return [('approvals', 'where', where)]
        return [('approvals', 'not where', where)]

    def get_signed_pdf(self, name):
        if self.signature:
            if name == 'signed_pdf':
                return self.signature.pdf
            return self.signature.file_name

    # Confidentiality (see content.py) ----------------------------------

    _content_fields = {'subject', 'body', 'signed_pdf'}
    _content_outgoing = None

    @classmethod
    def content_domain(cls, prefix=''):
        """Domain of the outgoing letters whose content the current user may
        see: not restricted, or the user is on them (drafter, a position of
        the route, signer or a.n., addressee)"""
        pool = Pool()
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        positions = User.get_esurat_positions()
        with without_check_access():
            headed = [p.unit.id for p in Position.browse(positions)
                if p.unit and p.unit.head_position() == p]
        return ['OR',
            (f'{prefix}confidentiality.restricted', '=', False),
            (f'{prefix}drafter', '=', Transaction().user),
            (f'{prefix}signer_position', 'in', positions),
            (f'{prefix}on_behalf', 'in', positions),
            (f'{prefix}approvals.position', 'in', positions),
            (f'{prefix}recipients.position', 'in', positions),
            (f'{prefix}recipients.unit', 'in', headed),
            ]

    @classmethod
    def hidden_outgoing_ids(cls, ids):
        "Ids among ids of the restricted letters the current user is not on"
        if not ids:
            return set()
        with without_check_access():
            restricted = {o.id for o in cls.search([
                        ('id', 'in', list(ids)),
                        ('confidentiality.restricted', '=', True),
                        ], order=[])}
            if not restricted:
                return set()
            visible = {o.id for o in cls.search([
                        ('id', 'in', list(restricted)),
                        cls.content_domain(),
                        ], order=[])}
        return restricted - visible

    @property
    def safe_name(self):
        "How messages name the letter: never by the subject of a rahasia one"
        if self.confidentiality and self.confidentiality.restricted:
            return self.number or CONTENT_MASK
        return self.rec_name

    # Route -------------------------------------------------------------

    def proposed_route(self):
        """Positions that initial the draft, then the signer: the drafter's
        superiors up to the signer or, when the signer is not above the
        drafter, up to the head of the drafter's agency"""
        chain, position = [], self.drafter_position
        position = position.reports_to if position else None
        while position and position != self.signer_position:
            chain.append(position)
            position = position.reports_to
        if chain and position != self.signer_position:
            agency = self.drafter_position.agency
            chain = [p for p in chain if p.agency == agency]
        return chain + [self.signer_position]

    def check_route_editable(self):
        "The route and the recipients change only in a draft, by its drafter"
        user_id = Transaction().user
        if self.state != 'draft' or (user_id
                and (not self.drafter or self.drafter.id != user_id)):
            raise OutgoingAccessError(gettext(
                    'esurat_signing.msg_outgoing_route_locked'))

    @classmethod
    @ModelView.button
    def propose_route(cls, outgoings):
        for outgoing in outgoings:
            outgoing.check_route_editable()
        cls._propose_route(outgoings)

    @classmethod
    def _propose_route(cls, outgoings):
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        for outgoing in outgoings:
            Approval.delete(list(outgoing.approvals))
            route = outgoing.proposed_route()
            Approval.create([{
                        'outgoing': outgoing.id,
                        'sequence': i,
                        'position': p.id,
                        'kind': 'sign' if i == len(route) else 'initial',
                        } for i, p in enumerate(route, 1)])

    def check_route(self):
        approvals = list(self.approvals)
        if (not approvals or approvals[-1].kind != 'sign'
                or approvals[-1].position != self.signer_position
                or any(a.kind == 'sign' for a in approvals[:-1])):
            raise OutgoingError(gettext(
                    'esurat_signing.msg_outgoing_route_invalid',
                    outgoing=self.safe_name,
                    signer=self.signer_position.rec_name))

    # Workflow ----------------------------------------------------------

    @classmethod
    @ModelView.button
    @without_check_access
    @Workflow.transition('in_approval')
    def submit(cls, outgoings):
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        Version = pool.get('esurat.outgoing.version')
        user_id = Transaction().user
        for outgoing in outgoings:
            # The approvers of an earlier round still read a returned
            # draft: it goes back to them when its drafter says so
            if user_id and outgoing.drafter and outgoing.drafter.id != user_id:
                raise OutgoingAccessError(gettext(
                        'esurat_signing.msg_outgoing_drafter_only',
                        outgoing=outgoing.safe_name))
            if not outgoing.approvals:
                cls._propose_route([outgoing])
                outgoing = cls(outgoing.id)
            outgoing.check_sizes()
            outgoing.check_route()
            Approval.write(list(outgoing.approvals), {
                    'state': 'waiting', 'acted_by': None, 'acted_as': None,
                    'acted_at': None, 'received_at': None})
            Version.record(outgoing, 'esurat_signing.msg_version_submitted')
            outgoing.advance()

    def advance(self):
        "Make the next waiting approval pending and tell its people"
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        Notification = pool.get('esurat.notification')
        for approval in Approval.search([
                    ('outgoing', '=', self.id)], order=[('sequence', 'ASC')]):
            if approval.state == 'waiting':
                approval.state = 'pending'
                approval.received_at = datetime.datetime.now()
                approval.save()
                Notification.send(
                    'esurat_signing.msg_notify_to_initial'
                    if approval.kind == 'initial'
                    else 'esurat_signing.msg_notify_to_sign',
                    self, positions=[approval.position])
                return approval

    def pending_approval(self, kind):
        "The pending approval of kind the current user acts for, or an error"
        pool = Pool()
        User = pool.get('res.user')
        approval = self.current_approval
        user_id = Transaction().user
        if not approval or approval.kind != kind:
            raise OutgoingError(gettext(
                    'esurat_signing.msg_outgoing_not_at_step',
                    outgoing=self.safe_name))
        if user_id:
            if not User.acts_as(approval.position, user_id):
                raise OutgoingAccessError(gettext(
                        'esurat_signing.msg_outgoing_not_yours',
                        outgoing=self.safe_name,
                        position=approval.position.rec_name))
            if not User.may_approve_as(approval.position, user_id):
                raise OutgoingAccessError(gettext(
                        'esurat_signing.msg_outgoing_assistant',
                        outgoing=self.safe_name))
        return approval

    @classmethod
    @ModelView.button
    def approve(cls, outgoings):
        pool = Pool()
        User = pool.get('res.user')
        for outgoing in outgoings:
            approval = outgoing.pending_approval('initial')
            approval.state = 'approved'
            approval.acted_by = Transaction().user or None
            approval.acted_as = User.acting_title(approval.position)
            approval.acted_at = datetime.datetime.now()
            approval.save()
            outgoing.chat_post(
                'esurat_signing.msg_outgoing_initialled_chat',
                title=approval.acted_as)
            outgoing.advance()

    @classmethod
    @ModelView.button_action('esurat_signing.wizard_return')
    def return_(cls, outgoings):
        pass

    @classmethod
    @without_check_access
    def send_back(cls, outgoings, note):
        "Return to the drafter with a note"
        pool = Pool()
        User = pool.get('res.user')
        Notification = pool.get('esurat.notification')
        for outgoing in outgoings:
            approval = outgoing.pending_approval(
                outgoing.current_approval.kind
                if outgoing.current_approval else 'initial')
            approval.state = 'returned'
            approval.note = note
            approval.acted_by = Transaction().user or None
            approval.acted_as = User.acting_title(approval.position)
            approval.acted_at = datetime.datetime.now()
            approval.save()
            outgoing.chat_post(
                'esurat_signing.msg_outgoing_returned_chat',
                title=approval.acted_as, note=note)
            Notification.send(
                'esurat_signing.msg_notify_returned', outgoing,
                users=[outgoing.drafter], title=approval.acted_as)
        cls.draft(outgoings)

    @classmethod
    @Workflow.transition('draft')
    def draft(cls, outgoings):
        pass

    @classmethod
    @ModelView.button_action('esurat_signing.wizard_sign')
    def sign(cls, outgoings):
        pass

    @classmethod
    @ModelView.button_action('esurat_signing.wizard_cancel')
    def cancel(cls, outgoings):
        pass

    @classmethod
    @without_check_access
    @Workflow.transition('cancelled')
    def cancel_with(cls, outgoings, reason):
        """Cancel with a recorded reason: a signed letter only by who acts
        for the position it was signed for (its holder, Plh or Plt), a draft
        also by its drafter; no administrator overrules them"""
        pool = Pool()
        Signature = pool.get('esurat.signature')
        user_id = Transaction().user
        reason = (reason or '').strip()
        if not reason:
            raise OutgoingValidationError(gettext(
                    'esurat_signing.msg_outgoing_cancel_reason'))
        for outgoing in outgoings:
            if user_id and not outgoing.cancel_allowed(user_id):
                raise OutgoingAccessError(gettext(
                        'esurat_signing.msg_outgoing_cancel_right',
                        outgoing=outgoing.safe_name))
        cls.write(outgoings, {'cancel_reason': reason})
        signatures = [o.signature for o in outgoings if o.signature]
        if signatures:
            Signature.write(signatures, {
                    'cancelled': True, 'cancel_reason': reason})
        for outgoing in outgoings:
            outgoing.chat_post(
                'esurat_signing.msg_outgoing_cancelled_chat', reason=reason)

    def cancel_allowed(self, user_id):
        "Whether the user may cancel the letter (see cancel_with)"
        pool = Pool()
        User = pool.get('res.user')
        if self.state == 'signed':
            return User.may_approve_as(
                self.signature.position if self.signature
                else self.signer_position, user_id)
        return bool(
            self.drafter and self.drafter.id == user_id
            or User.may_approve_as(self.signer_position, user_id))

    def get_may_cancel(self, name):
        # The approvers between drafter and signer do not see the button
        return (self.state != 'cancelled'
            and self.cancel_allowed(Transaction().user))

    @classmethod
    def assign_number(cls, outgoing, date):
        pool = Pool()
        UnitSequence = pool.get('esurat.unit.sequence')
        unit = outgoing.unit
        sequence = UnitSequence.next_number(
            unit, date.year, 'outgoing', outgoing.letter_type)
        return format_number(
            unit.get_outgoing_pattern(), sequence=sequence,
            unit_code=unit.code, year=date.year, month=date.month,
            classification=outgoing.classification.code)

    @classmethod
    @without_check_access
    def sign_with(cls, outgoing, passphrase):
        """Number, render, sign: the signer approves the final step.

        Raises before anything is stored when the signer lacks the right,
        the passphrase is wrong or the certificate is not usable."""
        pool = Pool()
        User = pool.get('res.user')
        Certificate = pool.get('esurat.signing.certificate')
        Signature = pool.get('esurat.signature')
        approval = outgoing.pending_approval('sign')
        # The route was checked at submission; the step stays the signer's
        if approval.position != outgoing.signer_position:
            raise OutgoingAccessError(gettext(
                    'esurat_signing.msg_outgoing_sign_position',
                    signer=outgoing.signer_position.rec_name))
        user = User(Transaction().user)
        certificate = Certificate.usable_for(user.id)
        signer = certificate.signer(passphrase)
        title = User.acting_title(approval.position, user.id)
        today = datetime.date.today()
        outgoing.number = cls.assign_number(outgoing, today)
        outgoing.date = today
        outgoing.save()
        try:
            outgoing.signature = Signature.sign_document(
                outgoing.render_data(user, approval.position), signer, {
                    'outgoing': outgoing.id,
                    'number': outgoing.number,
                    'date': today,
                    'subject': outgoing.subject,
                    'restricted': outgoing.confidentiality.restricted,
                    'signer': user.id,
                    'signer_name': user.name,
                    'signer_nip': user.nip,
                    'signer_title': title,
                    'position': approval.position.id,
                    'certificate': certificate.id,
                    })
        except LayoutError:
            # Some text too long for a page (older drafts, many recipients)
            raise OutgoingValidationError(gettext(
                    'esurat_signing.msg_outgoing_layout'))
        outgoing.save()
        approval.state = 'approved'
        approval.acted_by = user.id
        approval.acted_as = title
        approval.acted_at = datetime.datetime.now()
        approval.save()
        cls._signed([outgoing])
        outgoing.chat_post(
            'esurat_signing.msg_outgoing_signed_chat',
            number=outgoing.number, title=title)
        cls.__queue__.deliver([outgoing])

    def render_data(self, user, position):
        """What the PDF shows, in Indonesian whatever the signer's language;
        for a draft (the preview, user None when nobody holds the signer's
        position) today's date and the number with dots for its sequence"""
        pool = Pool()
        User = pool.get('res.user')
        with Transaction().set_context(language='id'):
            self = self.__class__(self.id)
            agency = self.unit
            title, unit = '', agency
            while unit and not title:
                title, unit = unit.letterhead_title, unit.parent
            letterhead = render.Letterhead(
                title=title or '', name=agency.name.upper(),
                address=agency.letterhead_address,
                contacts=agency.letterhead_contacts,
                logo=bytes(agency.logo) if agency.logo else None)
            kind = User.acting_kind(position, user.id) if user else None
            if self.on_behalf:
                prefix = PREFIXES['assistant']
                on_behalf = self.on_behalf.name.upper()
                signer_position = acting_title(kind, position.name)
            else:
                prefix = PREFIXES.get(kind, '')
                on_behalf = ''
                signer_position = position.name
            to = [r for r in self.recipients if not r.is_copy]
            files = self.enclosure_files
            if self.addressee_text:
                addressees = self.addressee_text.splitlines()
            else:
                addressees = [r.printed_name for r in to]
            place = render.DEFAULT_ADDRESSEE_PLACE
            if (not self.addressee_text and len(to) == 1
                    and to[0].kind == 'external' and to[0].address):
                place = 'di ' + to[0].address.splitlines()[0]
            date, number = self.date, self.number
            if not number:
                date = datetime.date.today()
                number = format_number(
                    agency.get_outgoing_pattern(),
                    sequence=render.Unnumbered(),
                    unit_code=agency.code, year=date.year, month=date.month,
                    classification=(self.classification.code
                        if self.classification else ''))
            return render.LetterData(
                layout=self.letter_type.layout,
                letter_type=self.letter_type.code,
                letterhead=letterhead,
                place=agency.city or '',
                date=date,
                number=number,
                subject=self.subject,
                body=self.body,
                signer=render.SignerBlock(
                    position=signer_position,
                    name=user.name if user else '',
                    nip=(user.nip if user else '') or '',
                    rank=(user.rank if user else '') or '', prefix=prefix,
                    on_behalf=on_behalf),
                verify_url='',
                urgency=self.urgency.name,
                # "Sifat" shows the confidentiality only when not ordinary
                confidentiality=(self.confidentiality.name
                    if self.confidentiality.code != 'biasa' else ''),
                enclosures=(render.enclosure_count(len(files)) if files
                    else self.enclosures or '-'),
                appendices=tuple(f.as_pdf() for f in files),
                addressees=addressees,
                addressee_place=place,
                copies=[r.printed_name for r in self.recipients if r.is_copy],
                sender=(self.on_behalf or position).name,
                title=self.letter_type.name.upper())

    @classmethod
    @Workflow.transition('signed')
    def _signed(cls, outgoings):
        pass

    @classmethod
    def deliver(cls, outgoings):
        """Deliver signed letters to every recipient still pending (run
        after the commit, again by the repair cron or a retry)"""
        pool = Pool()
        Recipient = pool.get('esurat.outgoing.recipient')
        Recipient.deliver([
                r for o in outgoings if o.state == 'signed'
                for r in o.recipients if r.delivery_state == 'pending'])

    @classmethod
    def deliver_stalled(cls):
        """Cron: deliver the signed letters with recipients still pending
        past the grace period (the task queued at signing died with its
        process, failed, or was never run)"""
        pool = Pool()
        Queue = pool.get('ir.queue')
        transaction = Transaction()
        now = datetime.datetime.now()
        tasks = []
        for outgoing in cls.search([
                    ('state', '=', 'signed'),
                    ('signature.signed_at', '<', now - delivery_grace()),
                    ('recipients.delivery_state', '=', 'pending'),
                    ('id', 'not in', list(cls._failed_deliveries())),
                    ], order=[('id', 'ASC')], limit=100):
            # A task per letter: a letter that fails holds no other back
            tasks.extend(cls.__queue__.deliver([outgoing]))
        # The cron runs them itself after its commit, worker or not (a dead
        # worker is one reason they are late): taken as started, no worker
        # pulls them, and the resume cron takes them if this process dies
        Queue.write(Queue.browse(tasks), {'dequeued_at': now})
        transaction.tasks.extend(
            t for t in tasks if t not in transaction.tasks)

    @classmethod
    def _failed_deliveries(cls):
        """Ids of the letters whose delivery failed with a user error: left
        to the administrator (Tryton's errors, the undelivered letters),
        not tried again every few minutes"""
        pool = Pool()
        Error = pool.get('ir.error')
        failed = set()
        for error in Error.search([
                    ('origin', 'like', 'ir.queue,%'),
                    ('state', '!=', 'solved'),
                    ]):
            data = error.origin.data if error.origin else None
            if (data and data.get('model') == cls.__name__
                    and data.get('method') == 'deliver'):
                failed.update(data['instances'])
        return failed

    @classmethod
    def check_modification(cls, mode, outgoings, values=None,
            external=False):
        super().check_modification(
            mode, outgoings, values=values, external=external)
        user_id = Transaction().user
        if mode == 'delete':
            for outgoing in outgoings:
                if (outgoing.state != 'draft' or outgoing.number
                        or outgoing.signature
                        or (external and outgoing.drafter
                            and outgoing.drafter.id != user_id)):
                    raise OutgoingAccessError(gettext(
                            'esurat_signing.msg_outgoing_no_delete',
                            outgoing=outgoing.safe_name))
        if mode == 'write' and external:
            for outgoing in outgoings:
                if (outgoing.state in {'signed', 'cancelled'}
                        or set(values) & PROTECTED):
                    raise OutgoingAccessError(gettext(
                            'esurat_signing.msg_outgoing_signed_immutable',
                            outgoing=outgoing.safe_name))
                if (outgoing.state == 'draft' and outgoing.drafter
                        and outgoing.drafter.id != user_id):
                    raise OutgoingAccessError(gettext(
                            'esurat_signing.msg_outgoing_drafter_only',
                            outgoing=outgoing.safe_name))
                if (outgoing.state == 'in_approval'
                        and set(values) - set(VERSIONED)):
                    raise OutgoingAccessError(gettext(
                            'esurat_signing.msg_outgoing_signed_immutable',
                            outgoing=outgoing.safe_name))
                if outgoing.state == 'in_approval':
                    outgoing.pending_approval(
                        outgoing.current_approval.kind
                        if outgoing.current_approval else 'initial')

    def check_sizes(self):
        "Refuse at submission the texts of drafts saved before the limits"
        self.check_text_sizes([{n: getattr(self, n) for n in TEXT_SIZES}])
        self.__class__.recipients.get_target().check_text_sizes([
                {n: getattr(r, n) for n in RECIPIENT_SIZES}
                for r in self.recipients])

    @classmethod
    def copy(cls, outgoings, default=None):
        "A copy is a new draft, with nothing of the original's workflow"
        default = default.copy() if default is not None else {}
        for name in [
                'number', 'date', 'signature', 'cancel_reason', 'versions']:
            default.setdefault(name, None)
        default.setdefault('state', 'draft')
        # A copy is the copier's draft, which only its drafter may edit
        default.setdefault('drafter', cls.default_drafter())
        default.setdefault('drafter_position', cls.default_drafter_position())
        return super().copy(outgoings, default=default)

    @classmethod
    def on_modification(cls, mode, outgoings, field_names=None):
        pool = Pool()
        Version = pool.get('esurat.outgoing.version')
        super().on_modification(mode, outgoings, field_names)
        if mode == 'write' and set(field_names or []) & set(VERSIONED):
            for outgoing in outgoings:
                if outgoing.state == 'in_approval':
                    Version.record(
                        outgoing, 'esurat_signing.msg_version_edited')


def check_letter_editable(records, values=None):
    """Refuse a client's change to recipients, approval steps or enclosures
    (records) unless their letter, and the one they would move to, is a
    draft of the user"""
    pool = Pool()
    Outgoing = pool.get('esurat.outgoing')
    outgoings = {r.outgoing for r in records}
    if values and values.get('outgoing') is not None:
        outgoings.add(Outgoing(values['outgoing']))
    for outgoing in outgoings:
        outgoing.check_route_editable()


class Recipient(
        TextSizeMixin, RestrictedContentMixin, ClientWriteMixin,
        sequence_ordered(), ModelSQL, ModelView):
    __name__ = 'esurat.outgoing.recipient'
    __string__ = "Outgoing Letter Recipient"

    outgoing = fields.Many2One(
        'esurat.outgoing', "Outgoing Letter", required=True,
        ondelete='CASCADE')
    kind = fields.Selection([
            ('internal', "Internal Position"),
            ('unit', "Internal Unit"),
            ('external', "External"),
            ], "Kind", required=True)
    is_copy = fields.Boolean("Copy (Tembusan)")
    position = fields.Many2One(
        'esurat.position', "Position", ondelete='RESTRICT',
        states={
            'required': Eval('kind') == 'internal',
            'invisible': Eval('kind') != 'internal',
            })
    unit = fields.Many2One(
        'esurat.unit', "Unit", ondelete='RESTRICT',
        states={
            'required': Eval('kind') == 'unit',
            'invisible': Eval('kind') != 'unit',
            },
        help="The letter is addressed to the head of the unit and lands "
        "in its agency's inbox.")
    name = fields.Char(
        "Name", size=RECIPIENT_SIZES['name'], states={
            'required': Eval('kind') == 'external',
            'invisible': Eval('kind') != 'external',
            })
    address = fields.Text(
        "Address", size=RECIPIENT_SIZES['address'],
        states={'invisible': Eval('kind') != 'external'})
    email = fields.Char(
        "Email", size=RECIPIENT_SIZES['email'],
        states={'invisible': Eval('kind') != 'external'})
    delivery_state = fields.Selection([
            ('pending', "Pending"),
            ('delivered', "Delivered"),
            ('emailed', "Emailed"),
            ('to_print', "To Print"),
            ('printed', "Printed"),
            ], "Delivery", readonly=True)
    letter = fields.Many2One(
        'esurat.letter', "Incoming Letter", readonly=True,
        ondelete='RESTRICT')
    mail = fields.Many2One(
        'esurat.mail', "Email", readonly=True, ondelete='RESTRICT')
    # The incoming letter and the email belong to the receiving agency and
    # the outbox, which the sender may not read: shown through these
    received_as = fields.Function(
        fields.Char("Received As",
            help="The agenda number the receiving agency gave the letter."),
        'get_delivery')
    mail_state = fields.Function(
        fields.Selection('get_mail_states', "Email State"), 'get_delivery')
    signed_pdf = fields.Function(
        fields.Binary(
            "Signed PDF", filename='signed_pdf_name',
            states={'invisible': EXPORT_HIDDEN}),
        'get_signed_pdf')
    signed_pdf_name = fields.Function(
        fields.Char("Signed PDF Name"), 'get_signed_pdf')
    content_hidden = fields.Function(
        fields.Boolean("Content Hidden"), 'get_content_hidden')

    _content_fields = {'signed_pdf'}
    _content_outgoing = 'outgoing'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t,
                    (t.delivery_state, Index.Equality(cardinality='low')),
                    where=t.delivery_state == 'to_print'),
                # The repair cron's and the stalled list's
                Index(t,
                    (t.delivery_state, Index.Equality(cardinality='low')),
                    where=t.delivery_state == 'pending'),
                })
        cls._buttons.update({
                'mark_printed': {
                    'invisible': Eval('delivery_state') != 'to_print',
                    'depends': ['delivery_state'],
                    },
                'retry_delivery': {
                    'invisible': Eval('delivery_state') != 'pending',
                    'depends': ['delivery_state'],
                    },
                })

    @classmethod
    def get_mail_states(cls):
        pool = Pool()
        Mail = pool.get('esurat.mail')
        return [(None, '')] + Mail.fields_get(['state'])['state']['selection']

    @classmethod
    def get_delivery(cls, recipients, names):
        # Function getters run without access checks
        result = {n: {} for n in names}
        for recipient in recipients:
            letter, mail = recipient.letter, recipient.mail
            if 'received_as' in result:
                result['received_as'][recipient.id] = (
                    f'{letter.agenda_number} ({letter.unit.rec_name})'
                    if letter and letter.agenda_number else None)
            if 'mail_state' in result:
                result['mail_state'][recipient.id] = (
                    mail.state if mail else None)
        return result

    def get_signed_pdf(self, name):
        return self.outgoing.get_signed_pdf(name)

    @classmethod
    def check_modification(cls, mode, recipients, values=None,
            external=False):
        super().check_modification(
            mode, recipients, values=values, external=external)
        if external:
            check_letter_editable(recipients, values)

    @classmethod
    def copy(cls, recipients, default=None):
        default = default.copy() if default is not None else {}
        default.setdefault('delivery_state', 'pending')
        default.setdefault('letter', None)
        default.setdefault('mail', None)
        return super().copy(recipients, default=default)

    @classmethod
    @ModelView.button
    def mark_printed(cls, recipients):
        # The button's groups decide who may; the letter itself is signed
        with without_check_access():
            cls.write(
                [r for r in recipients if r.delivery_state == 'to_print'],
                {'delivery_state': 'printed'})

    @classmethod
    @ModelView.button
    def retry_delivery(cls, recipients):
        """Deliver the letters of recipients again, after the commit: the
        request never delivers itself"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Outgoing.__queue__.deliver(list({
                    r.outgoing for r in recipients
                    if r.delivery_state == 'pending'}))

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('//group[@id="delivery"]', 'states', {
                    'invisible': Eval('delivery_state') == 'pending',
                    }),
            ]

    @classmethod
    def default_kind(cls):
        return 'internal'

    @classmethod
    def default_delivery_state(cls):
        return 'pending'

    @classmethod
    def validate(cls, recipients):
        super().validate(recipients)
        for recipient in recipients:
            if recipient.kind == 'unit' and not recipient.target_position:
                raise OutgoingValidationError(gettext(
                        'esurat_signing.msg_recipient_unit_no_head',
                        unit=recipient.unit.rec_name))

    def get_rec_name(self, name):
        if self.kind == 'internal' and self.position:
            return self.position.rec_name
        if self.kind == 'unit' and self.unit:
            return self.unit.rec_name
        return self.name or ''

    @property
    def target_position(self):
        "The position whose inbox receives the letter (internal only)"
        if self.kind == 'internal':
            return self.position
        if self.kind == 'unit' and self.unit:
            return self.unit.head_position()

    @property
    def printed_name(self):
        "How the letter names the recipient"
        if self.kind != 'external' and self.target_position:
            return self.target_position.name
        return self.name or ''

    @classmethod
    @without_check_access
    def deliver(cls, recipients):
        """Deliver the pending recipients of signed letters among recipients,
        each once whoever runs it (the task queued at signing, a worker, the
        repair cron, a retry): their rows are locked, then read again, and
        those another run delivered meanwhile are skipped"""
        pool = Pool()
        Mail = pool.get('esurat.mail')
        Letter = pool.get('esurat.letter')
        cls.lock(recipients)
        recipients = [
            r for r in cls.browse([r.id for r in recipients])
            if r.delivery_state == 'pending' and r.outgoing.state == 'signed']
        internal = {}
        for recipient in recipients:
            position = recipient.target_position
            if position:
                agency = position.agency or position.unit
                internal.setdefault(
                    (recipient.outgoing, agency), []).append(recipient)
            elif recipient.email:
                outgoing = recipient.outgoing
                mail, = Mail.enqueue(
                    [recipient.email], outgoing.rec_name,
                    gettext('esurat_signing.msg_mail_body', LANGUAGE,
                        number=outgoing.number, subject=outgoing.subject,
                        url=outgoing.signature.verify_url),
                    resource=outgoing,
                    attachment=outgoing.signature.pdf,
                    attachment_name=outgoing.signature.file_name)
                recipient.mail = mail
                recipient.delivery_state = 'emailed'
            else:
                recipient.delivery_state = 'to_print'
        for (outgoing, agency), group in internal.items():
            letter = Letter.from_outgoing(outgoing, agency, group)
            for recipient in group:
                recipient.letter = letter
                recipient.delivery_state = 'delivered'
        cls.save(recipients)


class Approval(ClientWriteMixin, ModelSQL, ModelView):
    __name__ = 'esurat.outgoing.approval'
    __string__ = "Approval Step"

    outgoing = fields.Many2One(
        'esurat.outgoing', "Outgoing Letter", required=True,
        ondelete='CASCADE')
    sequence = fields.Integer("Step", required=True)
    position = fields.Many2One(
        'esurat.position', "Position", required=True, ondelete='RESTRICT')
    kind = fields.Selection([
            ('initial', "Initial (Paraf)"),
            ('sign', "Sign"),
            ], "Kind", required=True)
    state = fields.Selection([
            ('waiting', "Waiting"),
            ('pending', "Pending"),
            ('approved', "Approved"),
            ('returned', "Returned"),
            ], "State", readonly=True, required=True)
    received_at = fields.DateTime("Received At", readonly=True)
    acted_at = fields.DateTime("Acted At", readonly=True)
    acted_by = fields.Many2One(
        'res.user', "Acted By", readonly=True, ondelete='RESTRICT')
    acted_as = fields.Char("Acted As", readonly=True)
    note = fields.Text("Note", readonly=True)
    waited = fields.Function(
        fields.TimeDelta("Waited"), 'get_waited')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('outgoing', 'DESC'), ('sequence', 'ASC'), ('id', 'ASC')]
        cls._sql_indexes.update({
                Index(t,
                    (t.position, Index.Equality()),
                    (t.state, Index.Equality(cardinality='low')),
                    where=t.state == 'pending'),
                Index(t, (t.outgoing, Index.Range())),
                })

    @classmethod
    def default_state(cls):
        return 'waiting'

    @classmethod
    def default_kind(cls):
        return 'initial'

    def get_waited(self, name):
        if self.received_at:
            end = self.acted_at or datetime.datetime.now()
            return end - self.received_at

    def get_rec_name(self, name):
        return f'{self.sequence}. {self.position.rec_name}'

    @classmethod
    def check_modification(cls, mode, approvals, values=None,
            external=False):
        super().check_modification(
            mode, approvals, values=values, external=external)
        if external:
            check_letter_editable(approvals, values)

    @classmethod
    def copy(cls, approvals, default=None):
        "The steps of a copy start over"
        default = default.copy() if default is not None else {}
        default.setdefault('state', 'waiting')
        for name in ['received_at', 'acted_at', 'acted_by', 'acted_as',
                'note']:
            default.setdefault(name, None)
        return super().copy(approvals, default=default)


class Version(
        RestrictedContentMixin, ClientWriteMixin, ModelSQL, ModelView):
    __name__ = 'esurat.outgoing.version'
    __string__ = "Text Version"

    outgoing = fields.Many2One(
        'esurat.outgoing', "Outgoing Letter", required=True,
        ondelete='CASCADE', readonly=True)
    number = fields.Integer("Version", readonly=True)
    subject = ContentChar(
        "Subject", readonly=True, states={'invisible': EXPORT_HIDDEN})
    body = ContentText(
        "Body", readonly=True, states={'invisible': EXPORT_HIDDEN})
    author = fields.Many2One(
        'res.user', "Author", readonly=True, ondelete='RESTRICT')
    author_as = fields.Char("Author As", readonly=True)
    event = fields.Char("Event", readonly=True)
    changes = fields.Function(
        fields.Text("Changes", states={'invisible': EXPORT_HIDDEN}),
        'get_changes')
    content_hidden = fields.Function(
        fields.Boolean("Content Hidden"), 'get_content_hidden')

    _content_fields = {'subject', 'body', 'changes'}
    _content_outgoing = 'outgoing'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('outgoing', 'DESC'), ('number', 'DESC'), ('id', 'DESC')]

    @classmethod
    def record(cls, outgoing, event):
        "Keep the current text as a new version, if it changed"
        pool = Pool()
        User = pool.get('res.user')
        previous = cls.search(
            [('outgoing', '=', outgoing.id)], order=[('number', 'DESC')],
            limit=1)
        if previous and (previous[0].subject, previous[0].body) == (
                outgoing.subject, outgoing.body):
            return previous[0]
        user_id = Transaction().user
        approval = outgoing.current_approval
        position = (approval.position if approval
            else outgoing.drafter_position)
        version, = cls.create([{
                    'outgoing': outgoing.id,
                    'number': previous[0].number + 1 if previous else 1,
                    'subject': outgoing.subject,
                    'body': outgoing.body,
                    'author': user_id or None,
                    'author_as': (User.acting_title(position, user_id)
                        if position and user_id else None),
                    'event': gettext(event),
                    }])
        return version

    def get_changes(self, name):
        "Differences from the previous version, as a unified diff"
        previous = self.search([
                ('outgoing', '=', self.outgoing.id),
                ('number', '<', self.number),
                ], order=[('number', 'DESC')], limit=1)
        before = previous[0] if previous else None
        lines = difflib.unified_diff(
            (f'{before.subject}\n\n{before.body}' if before else '')
            .splitlines(),
            f'{self.subject}\n\n{self.body}'.splitlines(),
            f'v{before.number}' if before else '', f'v{self.number}',
            lineterm='')
        return '\n'.join(lines)


class ReturnStart(ModelView):
    __name__ = 'esurat.outgoing.return.start'
    __string__ = "Return Draft"
    note = fields.Text("Note", required=True)


class Return(Wizard):
    __name__ = 'esurat.outgoing.return'
    start = StateView(
        'esurat.outgoing.return.start',
        'esurat_signing.outgoing_return_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Return", 'return_', 'tryton-back', default=True),
            ])
    return_ = StateTransition()

    def transition_return_(self):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        with without_check_access():
            Outgoing.send_back(
                Outgoing.browse([r.id for r in self.records]),
                self.start.note)
        return 'end'


class SignStart(ModelView):
    __name__ = 'esurat.outgoing.sign.start'
    __string__ = "Sign Outgoing Letter"
    passphrase = fields.Char(
        "Passphrase", required=True,
        help="The passphrase that protects your signing key; "
        "it is never stored.")


class Sign(Wizard):
    __name__ = 'esurat.outgoing.sign'
    start = StateView(
        'esurat.outgoing.sign.start',
        'esurat_signing.outgoing_sign_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Sign", 'sign', 'tryton-ok', default=True),
            ])
    sign = StateTransition()

    def default_start(self, fields):
        # Refuse at once someone who may not sign, before the passphrase
        self.record.pending_approval('sign')
        return {}

    def transition_sign(self):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        with without_check_access():
            Outgoing.sign_with(Outgoing(self.record.id), self.start.passphrase)
        return 'end'

    def _save(self):
        # The session is stored in ir.session.wizard, in the same
        # transaction as the signature: the passphrase must not reach it
        self.start.passphrase = None
        super()._save()


class CancelStart(ModelView):
    __name__ = 'esurat.outgoing.cancel.start'
    __string__ = "Cancel Outgoing Letter"
    reason = fields.Text("Reason", required=True)


class Cancel(Wizard):
    __name__ = 'esurat.outgoing.cancel'
    start = StateView(
        'esurat.outgoing.cancel.start',
        'esurat_signing.outgoing_cancel_start_view_form', [
            Button("Back", 'end', 'tryton-cancel'),
            Button("Cancel Letter", 'cancel', 'tryton-ok', default=True),
            ])
    cancel = StateTransition()

    def transition_cancel(self):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        with without_check_access():
            Outgoing.cancel_with(
                Outgoing.browse([r.id for r in self.records]),
                self.start.reason)
        return 'end'
