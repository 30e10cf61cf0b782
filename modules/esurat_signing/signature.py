# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import hashlib
import secrets

from cryptography import x509
from cryptography.x509.oid import NameOID

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.filestore import FilestoreMixin
from trytond.modules.esurat_base.letter import ContentChar
from trytond.modules.esurat_base.tools import public_url
from trytond.pool import Pool
from trytond.transaction import Transaction

from . import pades, render
from .content import EXPORT_HIDDEN, RestrictedContentMixin

# 24 random bytes: 192 bits, 32 URL-safe characters; not guessable nor
# enumerable, short enough for a QR code readable on a printed page
TOKEN_BYTES = 24


class Signature(
        FilestoreMixin, RestrictedContentMixin, ClientWriteMixin, ModelSQL,
        ModelView):
    """What was signed, by whom, as what and when, with the signed PDF, its
    SHA-256 and the unguessable token of its public verification page."""
    __name__ = 'esurat.signature'
    __string__ = "Electronic Signature"

    outgoing = fields.Many2One(
        'esurat.outgoing', "Outgoing Letter", required=True, readonly=True,
        ondelete='RESTRICT')
    number = fields.Char("Number", readonly=True)
    date = fields.Date("Date", readonly=True)
    subject = ContentChar(
        "Subject", readonly=True, states={'invisible': EXPORT_HIDDEN})
    restricted = fields.Boolean(
        "Restricted", readonly=True,
        help="The subject is withheld on the verification page.")
    signer = fields.Many2One(
        'res.user', "Signed By", readonly=True, ondelete='RESTRICT')
    signer_name = fields.Char("Signer Name", readonly=True)
    signer_nip = fields.Char("Signer NIP", readonly=True)
    signer_title = fields.Char(
        "Signed As", readonly=True, help="e.g. \"Plh. Kepala Dinas\".")
    position = fields.Many2One(
        'esurat.position', "Position", readonly=True, ondelete='RESTRICT')
    certificate = fields.Many2One(
        'esurat.signing.certificate', "Certificate", readonly=True,
        ondelete='RESTRICT')
    # The certificate record is its holder's; its serial is public (it is
    # in the signed PDF)
    certificate_serial = fields.Function(
        fields.Char("Certificate Serial Number"), 'get_certificate_serial')
    signed_at = fields.DateTime("Signed At", readonly=True)
    pdf = fields.Binary(
        "Signed PDF", filename='file_name', file_id='pdf_id',
        store_prefix='esurat', readonly=True,
        states={'invisible': EXPORT_HIDDEN})
    pdf_id = fields.Char("PDF ID", readonly=True)
    file_name = fields.Char("File Name", readonly=True)
    sha256 = fields.Char("SHA-256", readonly=True)
    token = fields.Char("Verification Token", readonly=True)
    verify_url = fields.Function(
        fields.Char("Verification Address"), 'get_verify_url')
    cancelled = fields.Boolean("Cancelled", readonly=True)
    cancel_reason = fields.Text("Cancellation Reason", readonly=True)
    content_hidden = fields.Function(
        fields.Boolean("Content Hidden"), 'get_content_hidden')

    # What a rahasia letter says (see content.py)
    _content_fields = {'subject', 'pdf'}
    _content_outgoing = 'outgoing'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('signed_at', 'DESC'), ('id', 'DESC')]
        cls._sql_constraints += [
            ('token_unique', Unique(t, t.token),
                'esurat_signing.msg_signature_token_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.sha256, Index.Equality())),
                Index(t, (t.outgoing, Index.Range())),
                })

    @classmethod
    def default_cancelled(cls):
        return False

    def get_rec_name(self, name):
        return f'{self.number} ({self.signer_name})'

    @staticmethod
    def lookup_url():
        "The public page that finds a letter by its number and date"
        return f'{public_url()}/{Transaction().database.name}/verify'

    @classmethod
    def url_for(cls, token):
        return f'{cls.lookup_url()}/{token}'

    def get_certificate_serial(self, name):
        # Function getters run without access checks
        return self.certificate.serial if self.certificate else None

    def get_verify_url(self, name):
        return self.url_for(self.token)

    @classmethod
    def complete_data(cls, data, token):
        """Add to data what the installation decides: the verification
        address, the electronic-signature statement and the addressee
        closing (configuration)"""
        pool = Pool()
        Configuration = pool.get('esurat.configuration')
        configuration = Configuration(1)
        data.verify_url = cls.url_for(token)
        with Transaction().set_context(language='id'):
            data.footer = gettext(
                'esurat_signing.msg_signature_statement',
                issuer=configuration.signature_issuer,
                legal_basis=configuration.signature_legal_basis,
                url=cls.lookup_url())
        # The outgoing letter gives an external addressee's own town; any
        # other letter gets the installation's closing
        if data.addressee_place == render.DEFAULT_ADDRESSEE_PLACE:
            data.addressee_place = configuration.get_addressee_closing(
                data.place)

    @classmethod
    def sign_document(cls, data, signer, values):
        """Render data (a render.LetterData without its verify_url and
        footer), sign it with signer and store the signature with values.

        Nothing is stored when rendering or signing fails."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        cls.complete_data(data, token)
        pdf = signer.sign(
            render.render_letter(data), reason=data.subject[:120],
            location=data.place or None, name=values.get('signer_name'))
        signature, = cls.create([{
                    **values,
                    'token': token,
                    'signed_at': datetime.datetime.now(),
                    'pdf': pdf,
                    'sha256': hashlib.sha256(pdf).hexdigest(),
                    'file_name': (
                        '%s.pdf' % data.number.replace('/', '-')),
                    }])
        return signature

    @classmethod
    def by_token(cls, token):
        "The signature of token, or None (constant shape answer)"
        if not token or len(token) > 64:
            return None
        signatures = cls.search([('token', '=', token)], limit=1)
        return signatures[0] if signatures else None

    @classmethod
    def lookup(cls, number, date):
        """The signature of the letter numbered number on date, or None:
        exact matches only, so that nothing is learnt from near misses"""
        if not number or not date or len(number) > 200:
            return None
        signatures = cls.search([
                ('number', '=', number),
                ('date', '=', date),
                ], limit=2)
        # Numbers are unique per unit and year: two answers would be
        # ambiguous, and an answer must designate one letter
        return signatures[0] if len(signatures) == 1 else None

    # What the public verification page shows ------------------------------

    @property
    def agency(self):
        "The agency that issued the letter"
        return self.outgoing.unit

    @property
    def government(self):
        "The government of the letterhead (PEMERINTAH KABUPATEN ...)"
        unit = self.agency
        while unit:
            if unit.letterhead_title:
                return unit.letterhead_title
            unit = unit.parent
        return ''

    @property
    def letter_type(self):
        return self.outgoing.letter_type.name

    @property
    def addressees(self):
        "The addressees as the letter names them"
        outgoing = self.outgoing
        if outgoing.addressee_text:
            return outgoing.addressee_text.splitlines()
        return [
            r.printed_name for r in outgoing.recipients if not r.is_copy]

    @property
    def copies(self):
        return [r.printed_name for r in self.outgoing.recipients if r.is_copy]

    @property
    def certificate_issuer(self):
        "The name of the authority that issued the signer's certificate"
        if not self.certificate or not self.certificate.certificate:
            return ''
        issuer = x509.load_pem_x509_certificate(
            self.certificate.certificate.encode()).issuer
        names = issuer.get_attributes_for_oid(NameOID.COMMON_NAME)
        return names[0].value if names else issuer.rfc4514_string()

    @property
    def certificate_valid_at_signing(self):
        """Whether the certificate was in force and not revoked at signing.

        Signing refuses a revoked certificate: a revocation stamped the
        second of the signature came after it."""
        certificate = self.certificate
        if not certificate:
            return False
        signed_at = self.signed_at
        return bool(
            certificate.state == 'valid' or (
                certificate.revoked_at
                and certificate.revoked_at >= signed_at)
            ) and certificate.not_before <= signed_at <= certificate.not_after

    def matches(self, data):
        "Whether data is byte for byte the signed PDF"
        return secrets.compare_digest(
            hashlib.sha256(data).hexdigest(), self.sha256)

    def check_upload(self, data):
        """What data, a copy uploaded to the verification page, is: the
        signed original byte for byte, whose signature is the one made at
        signing (nothing to validate), or another file whose own signature
        is validated; a dict with same, signed, valid and signer, or same
        and the error not_pdf"""
        if self.matches(data):
            return {
                'same': True, 'signed': True, 'valid': True,
                'signer': self.signer_name}
        try:
            validation = pades.validate(
                data, self.trust_anchors(), revoked=self.revoked())
        except pades.MalformedPDF:
            return {'same': False, 'error': 'not_pdf'}
        return {
            'same': False,
            'signed': validation.signer is not None,
            'valid': validation.intact and validation.valid,
            'signer': validation.signer,
            }

    @classmethod
    def trust_anchors(cls):
        pool = Pool()
        Authority = pool.get('esurat.signing.authority')
        return [Authority.ca_certificate_pem()]

    @classmethod
    def revoked(cls):
        "Serial numbers of the revoked certificates"
        pool = Pool()
        Authority = pool.get('esurat.signing.authority')
        return Authority.revoked_serials()
