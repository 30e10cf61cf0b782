# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import hashlib
import secrets

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.letter import ContentChar
from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.url import http_base

from . import pades, render
from .content import EXPORT_HIDDEN, RestrictedContentMixin

# 24 random bytes: 192 bits, 32 URL-safe characters; not guessable nor
# enumerable, short enough for a QR code readable on a printed page
TOKEN_BYTES = 24


class Signature(
        RestrictedContentMixin, ClientWriteMixin, ModelSQL, ModelView):
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
    def url_for(token):
        database = Transaction().database.name
        return f'{http_base().rstrip("/")}/{database}/verify/{token}'

    def get_certificate_serial(self, name):
        # Function getters run without access checks
        return self.certificate.serial if self.certificate else None

    def get_verify_url(self, name):
        return self.url_for(self.token)

    @classmethod
    def sign_document(cls, data, signer, values):
        """Render data (a render.LetterData without its verify_url), sign
        it with signer and store the signature with values.

        Nothing is stored when rendering or signing fails."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        data.verify_url = cls.url_for(token)
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
