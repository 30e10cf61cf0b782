# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import hashlib
import time

from trytond import config
from trytond.i18n import gettext
from trytond.model import (
    Index, ModelSingleton, ModelSQL, ModelView, Workflow, fields)
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import pades
from .exceptions import SigningError

# Decrypted signing keys kept in memory after a successful signature, so
# that a signer signing a batch pays the key derivation only once
SIGNER_CACHE_SECONDS = 300
_signers = {}
# The development CA with its key decrypted: the server holds its passphrase
# anyway, and issuing the certificates of many officials (the demo's, each
# test's) would otherwise derive the key again for each
_authorities = {}


class Authority(ClientWriteMixin, ModelSingleton, ModelSQL):
    """Issues the certificates of the demo and the tests.  Its key is kept
    encrypted with ``[esurat] dev_ca_passphrase`` from the configuration;
    production uses a real provider (BSrE) behind the same signer interface
    instead."""
    __name__ = 'esurat.signing.authority'
    __string__ = "Development Certificate Authority"

    certificate = fields.Text("Certificate", readonly=True)
    key = fields.Text("Encrypted Key", readonly=True)

    @classmethod
    def passphrase(cls):
        passphrase = config.get('esurat', 'dev_ca_passphrase', default=None)
        if not passphrase:
            raise SigningError(gettext(
                    'esurat_signing.msg_dev_ca_not_configured'))
        return passphrase

    @classmethod
    @without_check_access
    def get_ca(cls):
        "The development CA that issues certificates, created on first use"
        authority = cls(1)
        passphrase = cls.passphrase()
        ca = None
        if not authority.certificate:
            ca = pades.DevelopmentCA.create(
                "e-Surat Development CA", passphrase)
            authority.certificate = ca.certificate_pem.decode()
            authority.key = ca.encrypted_key_pem.decode()
            authority.save()
        # Keyed on what the CA is made of, as the signers are
        key = hashlib.sha256(b'\0'.join([
                    authority.certificate.encode(), authority.key.encode(),
                    passphrase.encode()])).hexdigest()
        if key not in _authorities:
            _authorities[key] = ca or pades.DevelopmentCA.load(
                authority.certificate.encode(), authority.key.encode(),
                passphrase)
        return _authorities[key]

    @classmethod
    @without_check_access
    def revoked_serials(cls):
        pool = Pool()
        Certificate = pool.get('esurat.signing.certificate')
        return {int(c.serial) for c in Certificate.search(
                [('state', '=', 'revoked')])}

    @classmethod
    @without_check_access
    def ca_certificate_pem(cls):
        """The CA's certificate: public, so read without decrypting the
        CA's key (which the anonymous verification page would otherwise do
        for every upload)"""
        authority = cls(1)
        if authority.certificate:
            return authority.certificate.encode()
        return cls.get_ca().certificate_pem


class Certificate(ClientWriteMixin, Workflow, ModelSQL, ModelView):
    __name__ = 'esurat.signing.certificate'
    __string__ = "Signing Certificate"

    user = fields.Many2One(
        'res.user', "User", required=True, readonly=True,
        ondelete='RESTRICT')
    subject = fields.Char("Subject", readonly=True)
    serial = fields.Char("Serial Number", readonly=True)
    provider = fields.Selection([
            ('development', "Development CA"),
            ], "Provider", required=True, readonly=True)
    certificate = fields.Text("Certificate", readonly=True)
    key = fields.Text("Encrypted Key", readonly=True)
    not_before = fields.DateTime("Valid From", readonly=True)
    not_after = fields.DateTime("Valid Until", readonly=True)
    revoked_at = fields.DateTime("Revoked At", readonly=True)
    state = fields.Selection([
            ('valid', "Valid"),
            ('revoked', "Revoked"),
            ], "State", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('not_after', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.add(Index(t, (t.user, Index.Equality())))
        cls._transitions |= {('valid', 'revoked')}
        cls._buttons.update({
                'revoke': {
                    'invisible': Eval('state') != 'valid',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'valid'

    @classmethod
    def default_provider(cls):
        return 'development'

    def get_rec_name(self, name):
        return f'{self.subject} ({self.serial})'

    @classmethod
    def read(cls, ids, fields_names):
        # The encrypted key never leaves the server; clients that read every
        # field (proteus) get the others
        if Transaction().check_access:
            fields_names = [f for f in fields_names if f != 'key']
        return super().read(ids, fields_names)

    @classmethod
    @ModelView.button
    @Workflow.transition('revoked')
    def revoke(cls, certificates):
        cls.write(certificates, {'revoked_at': datetime.datetime.now()})
        _signers.clear()

    @classmethod
    def issue(cls, user, passphrase, not_before=None, not_after=None):
        "Issue a development certificate for user, protected by passphrase"
        pool = Pool()
        Authority = pool.get('esurat.signing.authority')
        ca = Authority.get_ca()
        now = datetime.datetime.now(datetime.timezone.utc)
        not_before = not_before or now - datetime.timedelta(minutes=5)
        not_after = not_after or now + datetime.timedelta(days=365 * 2)
        issued = ca.issue(
            user.name, user.nip or f'USER-{user.id}', passphrase,
            not_before=not_before, not_after=not_after)
        certificate, = cls.create([{
                    'user': user.id,
                    'subject': user.name,
                    'serial': str(issued.serial),
                    'certificate': issued.certificate_pem.decode(),
                    'key': issued.encrypted_key_pem.decode(),
                    'not_before': not_before.replace(tzinfo=None),
                    'not_after': not_after.replace(tzinfo=None),
                    }])
        return certificate

    @classmethod
    def usable_for(cls, user_id):
        "The user's certificate to sign with now, or a translated error"
        now = datetime.datetime.now()
        certificates = cls.search([
                ('user', '=', user_id),
                ], order=[('not_after', 'DESC')])
        if not certificates:
            raise SigningError(gettext(
                    'esurat_signing.msg_no_certificate'))
        for certificate in certificates:
            if certificate.state != 'valid':
                continue
            if certificate.not_before <= now <= certificate.not_after:
                return certificate
        if any(c.state == 'valid' for c in certificates):
            raise SigningError(gettext(
                    'esurat_signing.msg_certificate_expired'))
        raise SigningError(gettext('esurat_signing.msg_certificate_revoked'))

    def signer(self, passphrase):
        "A signer for this certificate, the key decrypted with passphrase"
        pool = Pool()
        Authority = pool.get('esurat.signing.authority')
        # Keyed on what the signer is made of: one server process may serve
        # several databases whose ids overlap
        key = hashlib.sha256(b'\0'.join([
                    self.certificate.encode(), self.key.encode(),
                    passphrase.encode()])).hexdigest()
        now = time.monotonic()
        cached = _signers.get(key)
        if cached and cached[1] > now:
            return cached[0]
        try:
            signer = pades.LocalSigner(
                self.certificate.encode(), self.key.encode(), passphrase,
                Authority.ca_certificate_pem())
        except pades.WrongPassphrase:
            raise SigningError(gettext('esurat_signing.msg_wrong_passphrase'))
        for stale in [k for k, (_, t) in _signers.items() if t <= now]:
            del _signers[stale]
        _signers[key] = (signer, now + SIGNER_CACHE_SECONDS)
        return signer


class RequestStart(ModelView):
    __name__ = 'esurat.signing.certificate.request.start'
    __string__ = "Request Development Certificate"
    passphrase = fields.Char("Passphrase", required=True)
    confirmation = fields.Char("Confirm Passphrase", required=True)


class Request(Wizard):
    __name__ = 'esurat.signing.certificate.request'
    start = StateView(
        'esurat.signing.certificate.request.start',
        'esurat_signing.certificate_request_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Issue", 'issue', 'tryton-ok', default=True),
            ])
    issue = StateTransition()

    def transition_issue(self):
        pool = Pool()
        Certificate = pool.get('esurat.signing.certificate')
        User = pool.get('res.user')
        # Always for the calling user, who must hold or act for a position
        user_id = Transaction().user
        if not User.get_esurat_positions(user_id):
            raise SigningError(gettext(
                    'esurat_signing.msg_certificate_no_position'))
        if self.start.passphrase != self.start.confirmation:
            raise SigningError(gettext(
                    'esurat_signing.msg_passphrase_mismatch'))
        if len(self.start.passphrase) < 8:
            raise SigningError(gettext(
                    'esurat_signing.msg_passphrase_short'))
        with without_check_access():
            Certificate.issue(User(user_id), self.start.passphrase)
        return 'end'

    def _save(self):
        # The session is stored in ir.session.wizard: the passphrase and its
        # confirmation must never reach it
        self.start.passphrase = None
        self.start.confirmation = None
        super()._save()
