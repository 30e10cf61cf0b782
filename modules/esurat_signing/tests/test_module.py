# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import hashlib
import html
import re
import secrets
import threading
import unittest
import zipfile
from contextlib import contextmanager
from io import BytesIO
from pathlib import Path
from types import SimpleNamespace

from PIL import Image
from reportlab.pdfgen import canvas
from sql import Null
from werkzeug.exceptions import Forbidden

from trytond import backend, config
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.model.modelview import AccessButtonError
from trytond.modules.esurat_base.exceptions import FieldReadonlyError
from trytond.modules.esurat_base.tests.policy import PolicyTestMixin
from trytond.modules.esurat_base.tests.tools import (
    SMTPServer, as_user, create_user, load_indonesian, read_form, reference,
    run_queue)
from trytond.modules.esurat_base.tools import run_committed
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus
from trytond.tests.test_tryton import (
    DB_NAME, Client, ModuleTestCase, TestCase, activate_module, drop_db,
    with_transaction)
from trytond.transaction import Transaction
from trytond.worker import run_task
from trytond.wsgi import app

from .. import pades, routes
from ..configuration import DEFAULT_SIGNATURE_ISSUER
from .tools import (
    PASSPHRASE, OutgoingFlow, SigningTestMixin, configure_signing,
    create_signing_org, page_texts, qr_codes)

TODAY = datetime.date.today()
PUBLIC_URL = 'https://surat.sukamaju.go.id'


@contextmanager
def public_url(url):
    "[esurat] public_url set to url for the block"
    previous = config.get('esurat', 'public_url', default='')
    config.set('esurat', 'public_url', url)
    try:
        yield
    finally:
        # Empty is unset
        config.set('esurat', 'public_url', previous)


class EsuratSigningTestCase(
        SigningTestMixin, PolicyTestMixin, ModuleTestCase):
    "Test e-Surat signing module, with esurat_disposition"
    module = 'esurat_signing'
    extras = ['esurat_disposition']
    policy_readme = Path(__file__).parents[1] / 'README.md'

    def policy_fixture(self):
        """A signed letter with a certificate, its steps, a recipient and
        an enclosure"""
        org = create_signing_org()
        photo = BytesIO()
        Image.new('L', (40, 30)).save(photo, format='PNG')
        self.signed(org, recipients=[{
                    'kind': 'external', 'name': "Direktur RSUD",
                    'email': 'rsud@example.com'}],
            enclosure_files=[('create', [
                            {'name': "foto.png", 'data': photo.getvalue()}])])

    @with_transaction()
    def test_default_signer(self):
        "A new letter is signed by the head of the drafter's agency"
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        org = create_signing_org()
        with as_user(org.u_staff):
            self.assertEqual(Outgoing.default_drafter_position(),
                org.p_staff.id)
            self.assertEqual(Outgoing.default_signer_position(),
                org.p_kadis.id)
        with as_user(org.u_kadinkes):
            self.assertEqual(Outgoing.default_signer_position(),
                org.p_kadinkes.id)
        # Someone holding no position gets no proposal
        with as_user(org.u_operator):
            self.assertIsNone(Outgoing.default_signer_position())

    @with_transaction()
    def test_proposed_route(self):
        "The route climbs the drafter's chain up to the signer"
        org = create_signing_org()
        outgoing = self.draft(org)
        self.assertEqual(
            outgoing.proposed_route(),
            [org.p_kasi, org.p_kabid, org.p_sekdis, org.p_kadis])
        # Signed by the Sekda: the Kepala Dinas initials too
        outgoing = self.draft(org, signer=org.p_sekda)
        self.assertEqual(
            outgoing.proposed_route(),
            [org.p_kasi, org.p_kabid, org.p_sekdis, org.p_kadis,
                org.p_sekda])
        # Signed in another agency: the chain stops at the own agency
        outgoing = self.draft(org, signer=org.p_kadinkes)
        self.assertEqual(
            outgoing.proposed_route(),
            [org.p_kasi, org.p_kabid, org.p_sekdis, org.p_kadis,
                org.p_kadinkes])

    @with_transaction()
    def test_route_with_return_and_versions(self):
        "Approvers initial in order, return with a note, edit the text"
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        org = create_signing_org()
        outgoing = self.draft(org)
        self.submit(org, outgoing)
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(outgoing.state, 'in_approval')
        self.assertEqual(
            [(a.position, a.kind, a.state) for a in outgoing.approvals],
            [(org.p_kasi, 'initial', 'pending'),
                (org.p_kabid, 'initial', 'waiting'),
                (org.p_sekdis, 'initial', 'waiting'),
                (org.p_kadis, 'sign', 'waiting')])
        with as_user(org.u_kasi):
            self.assertEqual(
                Outgoing.search([('to_act', '=', True)]), [outgoing])
        with as_user(org.u_kabid):
            self.assertEqual(Outgoing.search([('to_act', '=', True)]), [])
            # Not at the Kabid's step yet: the button is refused
            with self.assertRaises(UserError):
                Outgoing.approve([Outgoing(outgoing.id)])
            with self.assertRaises(AccessError):
                Outgoing.write(
                    [Outgoing(outgoing.id)], {'body': "Diubah Kabid"})
        self.approve(org.u_kasi, outgoing)

        # The Kabid edits the text, then returns the draft once
        with as_user(org.u_kabid):
            Outgoing.write([Outgoing(outgoing.id)], {
                    'body': outgoing.body + "\n\nHormat kami."})
            # Only the text may change during approval
            with self.assertRaises(AccessError):
                Outgoing.write([Outgoing(outgoing.id)], {
                        'signer_position': org.p_sekda.id})
            Outgoing.send_back([Outgoing(outgoing.id)], "Perbaiki tanggal")
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(outgoing.state, 'draft')
        returned = outgoing.approvals[1]
        self.assertEqual(
            (returned.state, returned.note, returned.acted_as),
            ('returned', "Perbaiki tanggal", "Kepala Bidang Aptika"))
        self.assertEqual([v.number for v in outgoing.versions], [2, 1])
        latest = outgoing.versions[0]
        self.assertEqual(latest.author, org.u_kabid)
        self.assertIn("+Hormat kami.", latest.changes)

        # Back with its drafter: who returned it, still on its route and
        # so still reading it, may neither change it nor submit it again,
        # nor may its signer; a copy of it is the copier's own draft
        for user in [org.u_kabid, org.u_kadis]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Outgoing.write(
                        [Outgoing(outgoing.id)], {'body': "Diubah"})
                with self.assertRaises(AccessError):
                    Outgoing.submit([Outgoing(outgoing.id)])
        self.assertEqual(Outgoing(outgoing.id).state, 'draft')
        self.assertEqual(len(Outgoing(outgoing.id).versions), 2)
        with as_user(org.u_kabid):
            copy, = Outgoing.copy([Outgoing(outgoing.id)])
            self.assertEqual(
                (copy.drafter, copy.drafter_position),
                (org.u_kabid, org.p_kabid))
            Outgoing.write([copy], {'body': "Konsep Kabid sendiri"})

        # Submitted again, the route starts over
        with as_user(org.u_staff):
            Outgoing.write([Outgoing(outgoing.id)], {
                    'subject': "Undangan sosialisasi TTE (perbaikan)"})
        self.submit(org, outgoing)
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(
            [a.state for a in outgoing.approvals],
            ['pending', 'waiting', 'waiting', 'waiting'])
        self.assertEqual(len(outgoing.versions), 3)

    @with_transaction()
    def test_sign_numbers_and_pdf(self):
        "Signing numbers the letter and stores a valid PAdES signature"
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Authority = pool.get('esurat.signing.authority')
        org = create_signing_org()
        org.u_kadis.rank = "Pembina Utama Muda (IV/c)"
        org.u_kadis.save()
        outgoing = self.draft(org)
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        self.assertIsNone(Outgoing(outgoing.id).number, "no number before")
        outgoing = self.sign(org.u_kadis, outgoing)
        self.assertEqual(outgoing.state, 'signed')
        self.assertEqual(outgoing.number, f'500.12/1/500.12/{TODAY.year}')
        self.assertEqual(outgoing.date, TODAY)
        signature = outgoing.signature
        self.assertEqual(signature.signer, org.u_kadis)
        self.assertEqual(signature.signer_title, "Kepala Dinas")
        self.assertGreaterEqual(len(signature.token), 32)
        self.assertIn(f'/verify/{signature.token}', signature.verify_url)
        pdf = bytes(signature.pdf)
        self.assertTrue(pdf.startswith(b'%PDF'))
        self.assertTrue(signature.matches(pdf))
        validation = pades.validate(pdf, Authority.ca_certificate_pem())
        self.assertTrue(validation.intact and validation.valid)
        self.assertEqual(validation.signer, "Kadis Kominfo")
        # The signer's pangkat/golongan between the name and the NIP
        self.assertIn(
            f"Kadis Kominfo Pembina Utama Muda (IV/c) NIP. {org.u_kadis.nip}",
            page_texts(pdf)[-1])

        # One byte changed: neither the same file nor a valid signature
        index = pdf.index(b'/Contents') - 40
        forged = pdf[:index] + bytes([pdf[index] ^ 1]) + pdf[index + 1:]
        self.assertFalse(signature.matches(forged))
        validation = pades.validate(forged, Authority.ca_certificate_pem())
        self.assertFalse(validation.intact and validation.valid)

        # The next letter takes the next number
        second = self.signed(org)
        self.assertEqual(second.number, f'500.12/2/500.12/{TODAY.year}')

    @with_transaction()
    def test_signed_statement_on_every_page(self):
        """Every page of the signed PDF states the certificate's issuer, the
        legal basis and where to check it, all as configured; the QR code
        and the statement name the public address, never the host the
        signer's browser used"""
        pool = Pool()
        Configuration = pool.get('esurat.configuration')
        configuration = Configuration(1)
        # The development CA does not pass itself off as BSrE
        self.assertEqual(
            configuration.signature_issuer, DEFAULT_SIGNATURE_ISSUER)
        self.assertIn("bukan BSrE", DEFAULT_SIGNATURE_ISSUER)
        self.assertIn("Pasal 5 ayat (1)", configuration.signature_legal_basis)
        configuration.signature_issuer = "Balai Sertifikasi Uji"
        configuration.signature_legal_basis = "Dasar hukum uji."
        configuration.addressee_closing = "di {city}"
        configuration.save()
        load_indonesian()
        org = create_signing_org()
        paragraph = (
            "Sehubungan dengan pelaksanaan program kerja tahun berjalan, "
            "kami mohon Saudara menyampaikan laporan kegiatan tepat waktu. ")
        request = {'http_host': 'localhost:8103', 'is_secure': False}
        with public_url(PUBLIC_URL + '/'), \
                Transaction().set_context(_request=request):
            outgoing = self.signed(
                org, body='\n\n'.join([paragraph * 3] * 12), recipients=[{
                        'kind': 'external', 'name': "Direktur PT Uji"}])
            signature = outgoing.signature
            verify_url = signature.verify_url
        lookup = f'{PUBLIC_URL}/{DB_NAME}/verify'
        self.assertEqual(verify_url, f'{lookup}/{signature.token}')
        pdf = bytes(signature.pdf)
        pages = page_texts(pdf)
        self.assertGreaterEqual(len(pages), 2)
        statement = (
            "Dokumen ini ditandatangani secara elektronik menggunakan "
            "sertifikat elektronik yang diterbitkan oleh Balai Sertifikasi "
            "Uji. Dasar hukum uji. Keaslian dokumen dapat diperiksa dengan "
            f"memindai kode QR atau di {lookup} dengan nomor dan tanggal "
            "surat.")
        for number, page in enumerate(pages, 1):
            with self.subTest(page=number):
                self.assertTrue(page.endswith(statement), page[-300:])
                self.assertNotIn('localhost', page)
        self.assertIn("Direktur PT Uji di Sukamaju", pages[0])
        # The signature block, with its QR code, is on the last page
        self.assertEqual(qr_codes(pdf, page=len(pages) - 1), [verify_url])

        # The certificate's status at signing, as the verification page
        # shows it: a later revocation does not undo a signature
        certificate = signature.certificate
        self.assertEqual(
            signature.certificate_issuer, "e-Surat Development CA")
        self.assertTrue(signature.certificate_valid_at_signing)
        Certificate = pool.get('esurat.signing.certificate')
        Certificate.revoke([certificate])
        self.assertTrue(signature.certificate_valid_at_signing)
        Certificate.write([certificate], {
                'revoked_at': signature.signed_at - datetime.timedelta(
                    seconds=1)})
        self.assertFalse(signature.__class__(
                signature.id).certificate_valid_at_signing)

    @with_transaction()
    def test_sign_refused(self):
        "Wrong passphrase, unusable certificate, no right: nothing changes"
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Certificate = pool.get('esurat.signing.certificate')
        Holding = pool.get('esurat.position.holding')
        org = create_signing_org()
        outgoing = self.draft(org)
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)

        def unchanged():
            record = Outgoing(outgoing.id)
            self.assertEqual(
                (record.state, record.number, record.signature),
                ('in_approval', None, None))

        with self.assertRaisesRegex(UserError, 'passphrase'):
            self.sign(org.u_kadis, outgoing, passphrase='salah-sekali')
        unchanged()
        # Someone else than the signer, even with a certificate
        with self.assertRaises(AccessError):
            self.sign(org.u_kadinkes, outgoing)
        unchanged()
        # An assistant (a.n.) never signs
        Holding.create([{
                    'position': org.p_kadis.id, 'user': org.u_kabid.id,
                    'kind': 'assistant', 'reason': 'assistance',
                    'start_date': TODAY, 'end_date': TODAY,
                    'state': 'active'}])
        Certificate.issue(org.u_kabid, PASSPHRASE)
        with self.assertRaisesRegex(AccessError, 'assistant'):
            self.sign(org.u_kabid, outgoing)
        unchanged()
        # Expired, then revoked certificate
        certificate, = Certificate.search([('user', '=', org.u_kadis.id)])
        Certificate.write([certificate], {
                'not_after': datetime.datetime.now()
                - datetime.timedelta(days=1)})
        with self.assertRaisesRegex(UserError, 'not valid today'):
            self.sign(org.u_kadis, outgoing)
        unchanged()
        Certificate.write([certificate], {
                'not_after': datetime.datetime.now()
                + datetime.timedelta(days=1)})
        Certificate.revoke([certificate])
        with self.assertRaisesRegex(UserError, 'revoked'):
            self.sign(org.u_kadis, outgoing)
        unchanged()

    @with_transaction()
    def test_plh_signs_as_plh(self):
        "While the head is on leave, the Plh signs and the PDF says Plh."
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        Certificate = pool.get('esurat.signing.certificate')
        org = create_signing_org()
        Holding.create([{
                    'position': org.p_kadis.id, 'user': org.u_sekdis.id,
                    'kind': 'plh', 'reason': 'leave',
                    'start_date': TODAY, 'end_date': TODAY,
                    'state': 'active'}])
        Certificate.issue(org.u_sekdis, PASSPHRASE)
        outgoing = self.draft(org)
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        outgoing = self.sign(org.u_sekdis, outgoing)
        self.assertEqual(
            outgoing.signature.signer_title, "Plh. Kepala Dinas")
        self.assertEqual(outgoing.approvals[-1].acted_by, org.u_sekdis)
        data = outgoing.render_data(org.u_sekdis, org.p_kadis)
        self.assertEqual(data.signer.prefix, 'Plh.')

    @with_transaction()
    def test_signed_letter_never_changes(self):
        "A signed letter cannot change nor be deleted; it is cancelled"
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        org = create_signing_org()
        outgoing = self.signed(org)
        for user in [org.u_staff, org.u_kadis]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Outgoing.write(
                        [Outgoing(outgoing.id)], {'subject': "Ubah"})
                with self.assertRaises(AccessError):
                    Outgoing.delete([Outgoing(outgoing.id)])
        # Only the signer cancels a signed letter, with a reason
        with as_user(org.u_staff), self.assertRaises(AccessError):
            Outgoing.cancel_with([Outgoing(outgoing.id)], "Salah alamat")
        with as_user(org.u_kadis):
            Outgoing.cancel_with([Outgoing(outgoing.id)], "Salah alamat")
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(outgoing.state, 'cancelled')
        self.assertTrue(outgoing.signature.cancelled)
        self.assertEqual(outgoing.signature.cancel_reason, "Salah alamat")
        # The corrected letter is a new one with a new number
        corrected = self.signed(org)
        self.assertNotEqual(corrected.number, outgoing.number)

    @with_transaction()
    def test_delivery_to_units(self):
        "A unit recipient reaches its head's inbox in its own agenda"
        pool = Pool()
        Unit = pool.get('esurat.unit')
        Recipient = pool.get('esurat.outgoing.recipient')
        org = create_signing_org()
        outgoing = self.signed(org, recipients=[
                {'kind': 'unit', 'unit': org.dinkes.id},
                # The same position once more, as a copy: addressed once
                {'kind': 'internal', 'position': org.p_kadinkes.id,
                    'is_copy': True},
                {'kind': 'unit', 'unit': org.setda.id, 'is_copy': True},
                ])
        data = outgoing.render_data(org.u_kadis, org.p_kadis)
        self.assertEqual(data.addressees, ["Kepala Dinas"])
        self.assertEqual(data.copies, ["Kepala Dinas", "Sekretaris Daerah"])
        run_queue()
        dinkes, _, setda = outgoing.recipients
        self.assertEqual(dinkes.delivery_state, 'delivered')
        self.assertEqual(dinkes.letter.unit, org.dinkes)
        self.assertEqual(
            [(r.position, r.kind) for r in dinkes.letter.recipients],
            [(org.p_kadinkes, 'to')])
        self.assertEqual(
            [(r.position, r.kind) for r in setda.letter.recipients],
            [(org.p_sekda, 'cc')])

        # A unit nobody heads cannot be addressed
        empty = Unit(name="Bidang Baru", code='400.7.9', kind='division',
            parent=org.dinkes)
        empty.save()
        draft = self.draft(org)
        with as_user(org.u_staff), \
                self.assertRaisesRegex(UserError, "Bidang Baru"):
            Recipient.create([{'outgoing': draft.id, 'kind': 'unit',
                        'unit': empty.id}])

    @with_transaction()
    def test_delivery(self):
        "Internal recipients get an incoming letter, externals an email"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        Disposition = pool.get('esurat.disposition')
        Mail = pool.get('esurat.mail')
        org = create_signing_org()
        outgoing = self.signed(org, recipients=[
                {'kind': 'internal', 'position': org.p_kadinkes.id},
                {'kind': 'internal', 'position': org.p_sekda.id,
                    'is_copy': True},
                {'kind': 'external', 'name': "PT Telekomunikasi",
                    'email': 'surat@telkom.example'},
                {'kind': 'external', 'name': "Camat Lama",
                    'address': "Jl. Raya 2"},
                ])
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            run_queue()
        dinkes, sekda, telkom, camat = outgoing.recipients
        self.assertEqual(
            [r.delivery_state for r in outgoing.recipients],
            ['delivered', 'delivered', 'emailed', 'to_print'])

        # Dinkes registers it in its own agenda, with the signed PDF
        letter = dinkes.letter
        self.assertEqual(letter.unit, org.dinkes)
        self.assertEqual(letter.origin, outgoing)
        self.assertEqual(letter.sender_number, outgoing.number)
        self.assertEqual(letter.state, 'distributed')
        self.assertEqual(letter.agenda_number, f'1/400.7/{TODAY.year}')
        file, = letter.files
        self.assertEqual(file.sha256, outgoing.signature.sha256)
        with as_user(org.u_kadinkes):
            delivery, = Disposition.search([('mine', '=', True)])
            self.assertEqual(delivery.letter, letter)
        # The Setda got its copy (tembusan) in its own agenda
        self.assertEqual(sekda.letter.unit, org.setda)
        self.assertEqual(
            [r.kind for r in sekda.letter.recipients], ['cc'])
        self.assertEqual(sekda.letter.state, 'distributed')
        # Each side opens its record, but not the other side's: the
        # receiver sees the original's verification address, the sender
        # the agenda number and the email state
        with as_user(org.u_kadinkes):
            form, = read_form(Letter, [letter.id])
            self.assertEqual(
                form['origin_verify_url'], outgoing.signature.verify_url)
        with as_user(org.u_staff):
            forms = read_form(dinkes.__class__,
                [r.id for r in outgoing.recipients])
            self.assertEqual(
                [(f['received_as'], f['mail_state']) for f in forms], [
                    (f'1/400.7/{TODAY.year} (Dinas Kesehatan)', None),
                    (f'1/000.SETDA/{TODAY.year} (Sekretariat Daerah)',
                        None),
                    (None, 'sent'),
                    (None, None),
                    ])
        # A Dinkes official does not see the Kominfo agenda, nor the draft
        with as_user(org.u_kadinkes):
            self.assertEqual(
                Letter.search([('unit', '=', org.kominfo.id)]), [])

        # The external recipient's mailbox has the signed PDF
        self.assertEqual(telkom.mail.state, 'sent')
        message, = server.messages
        self.assertEqual(message['To'], 'surat@telkom.example')
        attachment, = message.iter_attachments()
        self.assertEqual(
            attachment.get_content(), bytes(outgoing.signature.pdf))
        self.assertIn(
            outgoing.signature.verify_url, message.get_body().get_content())
        self.assertEqual(Mail.search([('to', '=', 'surat@telkom.example')]),
            [telkom.mail])
        # The rest goes to the print list, marked when printed
        self.assertEqual(camat.delivery_state, 'to_print')
        with as_user(create_user(
                    'op2', "Operator", org.kominfo,
                    ['group_esurat_main_operator'])):
            camat.__class__.mark_printed([camat.__class__(camat.id)])
        self.assertEqual(camat.__class__(camat.id).delivery_state, 'printed')

    @with_transaction()
    def test_access(self):
        "Drafter, approvers and signer see the draft; another OPD does not"
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        org = create_signing_org()
        outgoing = self.draft(org)
        self.submit(org, outgoing)
        for user in [org.u_staff, org.u_kasi, org.u_kadis, org.u_operator]:
            with self.subTest(user=user.login), as_user(user):
                self.assertEqual(Outgoing.search([]), [outgoing])
        for user in [org.u_kadinkes, org.u_op_dinkes]:
            with self.subTest(user=user.login), as_user(user):
                self.assertEqual(Outgoing.search([]), [])
                with self.assertRaises(AccessError):
                    Outgoing.read([outgoing.id], ['subject'])
        # Staff never approve: the button is for officials
        self.approve(org.u_kasi, outgoing)
        with as_user(org.u_staff), self.assertRaises(UserError):
            Outgoing.approve([Outgoing(outgoing.id)])
        # OPD admins read their agency's letters but do not edit them
        with as_user(org.u_operator), self.assertRaises(AccessError):
            Outgoing.write([Outgoing(outgoing.id)], {'subject': "Ubah"})

    @with_transaction()
    def test_outgoing_pattern(self):
        "The number follows the unit's pattern, or the configuration's"
        pool = Pool()
        Unit = pool.get('esurat.unit')
        org = create_signing_org()
        with self.assertRaises(UserError):
            Unit.write([org.kominfo], {'outgoing_pattern': '{nomor}/X'})
        Unit.write([org.kominfo], {
                'outgoing_pattern': '{classification}/{sequence}/'
                '{unit_code}/{month_roman}/{year}'})
        outgoing = self.signed(org)
        self.assertEqual(
            outgoing.number,
            '500.12/1/500.12/%s/%s' % (
                ('I', 'II', 'III', 'IV', 'V', 'VI', 'VII', 'VIII', 'IX', 'X',
                    'XI', 'XII')[TODAY.month - 1], TODAY.year))

    @with_transaction()
    def test_certificate_request(self):
        "A user requests a certificate; the key never leaves the server"
        pool = Pool()
        Certificate = pool.get('esurat.signing.certificate')
        Request = pool.get('esurat.signing.certificate.request', type='wizard')
        org = create_signing_org()
        with as_user(org.u_kabid):
            # As sao does: one dialog, pressed again after each refusal
            session_id, start, _ = Request.create()
            Request.execute(session_id, {}, start)

            def issue(passphrase, confirmation):
                return Request.execute(session_id, {'start': {
                            'passphrase': passphrase,
                            'confirmation': confirmation}}, 'issue')
            with self.assertRaisesRegex(UserError, '8'):
                issue('pendek', 'pendek')
            with self.assertRaisesRegex(UserError, 'differ'):
                issue('rahasia-kabid-2026', 'rahasia-kabid-2026x')
            self.assertEqual(Certificate.search([]), [])
            issue('rahasia-kabid-2026', 'rahasia-kabid-2026')
            certificate, = Certificate.search([])
            self.assertEqual(certificate.user, org.u_kabid)
            data, = Certificate.read([certificate.id], ['key', 'certificate'])
            self.assertNotIn('key', data)
            self.assertIn('BEGIN CERTIFICATE', data['certificate'])
        # Stored encrypted
        self.assertIn('ENCRYPTED', Certificate(certificate.id).key)
        self.assertEqual(
            Certificate.usable_for(org.u_kabid.id), certificate)
        with Transaction().set_user(org.u_kabid.id):
            with self.assertRaisesRegex(UserError, 'passphrase'):
                certificate.signer('salah-sekali')
            self.assertTrue(certificate.signer('rahasia-kabid-2026'))

    @with_transaction()
    def test_check_upload(self):
        """An uploaded copy is the original by its SHA-256 alone, without
        validating it again; any other file has its own signature validated
        against today's trust list"""
        pool = Pool()
        Authority = pool.get('esurat.signing.authority')
        org = create_signing_org()
        signature = self.signed(org).signature
        other = self.signed(org).signature
        pdf, other_pdf = bytes(signature.pdf), bytes(other.pdf)
        genuine = {
            'same': False, 'signed': True, 'valid': True,
            'signer': "Kadis Kominfo"}
        self.assertEqual(signature.check_upload(other_pdf), genuine)
        self.assertEqual(
            signature.check_upload(b'MZ\x90\x00 not a pdf'),
            {'same': False, 'error': 'not_pdf'})
        # Checking needs only the CA's public certificate, never its key
        # (an anonymous visitor would make the server decrypt it)
        passphrase = config.get('esurat', 'dev_ca_passphrase')
        config.set('esurat', 'dev_ca_passphrase', 'not-the-passphrase')
        try:
            self.assertEqual(signature.check_upload(other_pdf), genuine)
        finally:
            config.set('esurat', 'dev_ca_passphrase', passphrase)
        # With another CA trusted today, another copy no longer validates
        # but the original is still known by its hash
        renewed = pades.DevelopmentCA.create(
            "e-Surat Development CA", Authority.passphrase())
        Authority.write([Authority(1)], {
                'certificate': renewed.certificate_pem.decode(),
                'key': renewed.encrypted_key_pem.decode(),
                })
        self.assertEqual(
            signature.check_upload(other_pdf), {**genuine, 'valid': False})
        self.assertEqual(
            signature.check_upload(pdf), {**genuine, 'same': True})

    @with_transaction()
    def test_signed_letter_report(self):
        """Printing a signed letter gives its signed PDF byte for byte to
        who reads the letter; never for an unsigned letter, to another
        agency, nor of a rahasia letter to someone not on it"""
        pool = Pool()
        Report = pool.get('esurat.outgoing.letter', type='report')
        ActionReport = pool.get('ir.action.report')
        Keyword = pool.get('ir.action.keyword')
        load_indonesian()
        org = create_signing_org()
        outgoing = self.signed(org)
        secret = self.signed(
            org, confidentiality=reference('confidentiality_secret'),
            subject="Pengadaan rahasia")
        draft = self.draft(org)
        action, = ActionReport.search([
                ('report_name', '=', 'esurat.outgoing.letter')])

        def print_(*records):
            # As sao calls it from the print menu of the form or the list
            ids = [r.id for r in records]
            return Report.execute(ids, {
                    'model': 'esurat.outgoing', 'id': ids[0], 'ids': ids,
                    'action_id': action.id})

        def sha256(data):
            return hashlib.sha256(data).hexdigest()
        for user in [
                org.u_staff, org.u_kadis, org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                self.assertIn(action.id, [a['id'] for a in Keyword.get_keyword(
                            'form_print', ('esurat.outgoing', outgoing.id))])
                oext, content, _, name = print_(outgoing)
                self.assertEqual(oext, 'pdf')
                self.assertEqual(
                    sha256(content), outgoing.signature.sha256)
                self.assertEqual(
                    f'{name}.pdf', outgoing.signature.file_name)
        # Those on a rahasia letter print it, several letters at once too
        for user in [org.u_staff, org.u_kadis]:
            with self.subTest(user=user.login), as_user(user):
                oext, content, _, _ = print_(outgoing, secret)
                self.assertEqual(oext, 'zip')
                with zipfile.ZipFile(BytesIO(content)) as archive:
                    self.assertEqual(
                        sorted(sha256(archive.read(n))
                            for n in archive.namelist()),
                        sorted([outgoing.signature.sha256,
                                secret.signature.sha256]))
        # Who reads the letter but not its content gets none of it
        for user in [org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user), \
                    Transaction().set_context(language='id'):
                for records in [[secret], [outgoing, secret]]:
                    with self.assertRaisesRegex(
                            AccessError, "bersifat rahasia") as cm:
                        print_(*records)
                    self.assertIn(secret.number, cm.exception.message)
                    self.assertNotIn("Pengadaan", cm.exception.message)
        # Another agency does not read the letter at all
        for user in [org.u_kadinkes, org.u_op_dinkes]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    print_(outgoing)
        with as_user(org.u_staff), Transaction().set_context(language='id'):
            with self.assertRaisesRegex(
                    UserError, "belum ditandatangani"):
                print_(draft)

    @with_transaction()
    def test_draft_preview(self):
        """The draft as it will print, in its type's layout, KONSEP on every
        page, a placeholder number and no QR code, for the drafter, the
        approvers and the signer; never for another agency, whatever action
        the client names, nor of a rahasia draft to someone not on it"""
        pool = Pool()
        Report = pool.get('esurat.outgoing.preview', type='report')
        ActionReport = pool.get('ir.action.report')
        Keyword = pool.get('ir.action.keyword')
        load_indonesian()
        org = create_signing_org()
        body = (
            "Dasar:\n1. Peraturan Bupati Uji Nomor 1 Tahun 2026.\n\n"
            "Untuk:\n1. melaksanakan pendataan.\n\n"
            + "\n\n".join(["Paragraf penjelasan yang panjang. " * 12] * 8))
        outgoing = self.draft(
            org, letter_type=reference('letter_type_surat_perintah'),
            body=body,
            recipients=[{'kind': 'internal', 'position': org.p_kasi}])
        self.submit(org, outgoing)
        secret = self.draft(
            org, confidentiality=reference('confidentiality_secret'),
            subject="Pengadaan rahasia")
        action, = ActionReport.search([
                ('report_name', '=', 'esurat.outgoing.preview')])
        letter_action, = ActionReport.search([
                ('report_name', '=', 'esurat.outgoing.letter')])

        def preview(record, **data):
            return Report.execute([record.id], {
                    'model': 'esurat.outgoing', 'id': record.id,
                    'ids': [record.id], 'action_id': action.id, **data})
        for user in [org.u_staff, org.u_kasi, org.u_kadis]:
            with self.subTest(user=user.login), as_user(user):
                self.assertIn(action.id, [a['id'] for a in Keyword.get_keyword(
                            'form_print', ('esurat.outgoing', outgoing.id))])
                oext, content, _, name = preview(outgoing)
                self.assertEqual(oext, 'pdf')
                self.assertEqual(
                    name, "KONSEP-Undangan sosialisasi tanda tangan "
                    "elektronik")
                pages = page_texts(content)
                self.assertGreaterEqual(len(pages), 2)
                for page in pages:
                    self.assertIn("KONSEP", page)
                self.assertEqual(qr_codes(content, page=len(pages) - 1), [])
        first = pages[0]
        self.assertIn(f"NOMOR 500.12/.../500.12/{TODAY.year}", first)
        self.assertNotIn("TENTANG", first)
        # Surat perintah: Dasar, the order, Kepada (the recipient), Untuk
        self.assertRegex(
            first, r"Dasar : 1\. Peraturan .* MEMERINTAHKAN: "
            r"Kepada : Kepala Seksi Layanan Untuk : 1\. melaksanakan")
        self.assertIn("KEPALA DINAS", pages[-1])
        self.assertNotIn("Ditandatangani secara elektronik", pages[-1])
        with as_user(org.u_staff):
            preview(secret)
        # Another agency is refused, also naming another action or model
        for user in [org.u_kadinkes, org.u_op_dinkes]:
            for data in [{}, {'action_id': letter_action.id},
                    {'model': 'esurat.letter.type'}]:
                with self.subTest(user=user.login, data=data), \
                        as_user(user), self.assertRaises(AccessError):
                    preview(outgoing, **data)
        with as_user(org.u_kabid), self.assertRaises(AccessError):
            preview(secret)

        # The head on leave: the drafter and the Plh both see the block the
        # Plh will sign, not the absent holder's
        Holding = pool.get('esurat.position.holding')
        Holding.create([{
                    'position': org.p_kadis.id, 'user': org.u_sekdis.id,
                    'kind': 'plh', 'reason': 'leave',
                    'start_date': TODAY, 'end_date': TODAY,
                    'state': 'active'}])
        for user in [org.u_staff, org.u_sekdis]:
            with self.subTest(user=user.login), as_user(user):
                last = page_texts(preview(outgoing)[1])[-1]
                self.assertIn("Plh. KEPALA DINAS", last)
                self.assertIn(org.u_sekdis.name, last)
                self.assertNotIn(org.u_kadis.name, last)
        # The head previewing is shown as the head
        with as_user(org.u_kadis):
            last = page_texts(preview(outgoing)[1])[-1]
            self.assertIn(org.u_kadis.name, last)

    @with_transaction()
    def test_delivery_in_indonesian(self):
        """The email to an outside recipient and the thread entry, both
        written by queued tasks, are in Indonesian"""
        pool = Pool()
        ChatMessage = pool.get('ir.chat.message')
        load_indonesian()
        org = create_signing_org()
        outgoing = self.signed(org, recipients=[
                {'kind': 'external', 'name': "PT Telekomunikasi",
                    'email': 'surat@telkom.example'}])
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            run_queue()
        message, = server.messages
        self.assertTrue(message.get_body().get_content().startswith(
                "Terlampir surat yang telah ditandatangani secara "
                f"elektronik nomor {outgoing.number} "))
        self.assertIn(
            f"Ditandatangani oleh {outgoing.signature.signer_title} "
            f"dengan nomor {outgoing.number}.",
            [m.content for m in ChatMessage.search([
                        ('channel.resource', '=', str(outgoing))])])

    @with_transaction()
    def test_stalled_delivery_retried_by_admin(self):
        """A delivery whose task died is listed for the super administrator,
        who alone queues it again; run twice, it delivers once"""
        pool = Pool()
        Recipient = pool.get('esurat.outgoing.recipient')
        Outgoing = pool.get('esurat.outgoing')
        Letter = pool.get('esurat.letter')
        org = create_signing_org()
        outgoing = self.signed(org, recipients=[
                {'kind': 'internal', 'position': org.p_kadinkes.id}])
        # The process died after the commit
        Transaction().tasks.clear()
        admin = org.u_superadmin
        stalled = [('outgoing.state', '=', 'signed'),
            ('delivery_state', '=', 'pending')]
        with as_user(admin):
            recipient, = Recipient.search(stalled)
        for user in [org.u_kadis, org.u_operator]:
            with as_user(user), self.assertRaises(AccessButtonError):
                Recipient.retry_delivery([Recipient(recipient.id)])
        self.assertEqual(Transaction().tasks, [])
        with as_user(admin):
            Recipient.retry_delivery([Recipient(recipient.id)])
        # Only queued: the request does not deliver
        self.assertEqual(Recipient(recipient.id).delivery_state, 'pending')
        task, = Transaction().tasks
        run_queue()
        Transaction().tasks.append(task)
        run_queue()
        Outgoing.deliver([Outgoing(outgoing.id)])
        self.assertEqual(Recipient(recipient.id).delivery_state, 'delivered')
        self.assertEqual(
            len(Letter.search([('origin', '=', outgoing.id)])), 1)
        with as_user(admin):
            self.assertEqual(Recipient.search(stalled), [])

        # The cron (as root) delivers a letter left pending past the grace
        # period into the addressee's inbox
        Signature = pool.get('esurat.signature')
        Disposition = pool.get('esurat.disposition')
        late = self.signed(org, recipients=[
                {'kind': 'internal', 'position': org.p_kadinkes.id}])
        Transaction().tasks.clear()
        signature = Signature.__table__()
        Transaction().connection.cursor().execute(*signature.update(
                [signature.signed_at],
                [datetime.datetime.now() - datetime.timedelta(hours=1)],
                where=signature.id == late.signature.id))
        Outgoing.deliver_stalled()
        run_queue()
        letter, = Letter.search([('origin', '=', late.id)])
        with as_user(org.u_kadinkes):
            inbox = Disposition.search([('mine', '=', True)])
            self.assertIn(letter, [d.letter for d in inbox])

        # A delivery that failed with a user error is the administrator's:
        # the cron does not try it again
        Error = pool.get('ir.error')
        failing = self.signed(org, recipients=[
                {'kind': 'internal', 'position': org.p_kadinkes.id}])
        task, = [t for t in pool.get('ir.queue').browse(Transaction().tasks)
            if t.data['method'] == 'deliver']
        Transaction().tasks.clear()
        Error.create([{'origin': str(task), 'message': "Gagal"}])
        Transaction().connection.cursor().execute(*signature.update(
                [signature.signed_at],
                [datetime.datetime.now() - datetime.timedelta(hours=1)],
                where=signature.id == failing.signature.id))
        Outgoing.deliver_stalled()
        self.assertEqual(Transaction().tasks, [])

    # Hostile clients (issue 9) ------------------------------------------

    def run_wizard(self, name, outgoing_or_none, *steps):
        """Run wizard name as the client does: create a session, then
        execute each (data, state) of steps; return the session id"""
        pool = Pool()
        Wizard = pool.get(name, type='wizard')
        context = {}
        if outgoing_or_none is not None:
            record = outgoing_or_none
            context = {
                'active_model': record.__name__, 'active_id': record.id,
                'active_ids': [record.id]}
        with Transaction().set_context(context):
            session_id, start, _ = Wizard.create()
            Wizard.execute(session_id, {}, start)
            for data, state in steps:
                Wizard.execute(session_id, data, state)
        return session_id

    @contextmanager
    def refused(self, exception):
        """Assert the block raises exception and undo what it wrote before,
        as the RPC layer rolls back a refused call"""
        cursor = Transaction().connection.cursor()
        cursor.execute('SAVEPOINT hostile')
        try:
            with self.assertRaises(exception):
                yield
        finally:
            cursor.execute('ROLLBACK TO SAVEPOINT hostile')
            cursor.execute('RELEASE SAVEPOINT hostile')
            # The ids of the undone records are given again: forget them
            for cache in Transaction().cache.values():
                cache.clear()

    def assert_not_stored(self, secret):
        "secret is in no wizard session nor anywhere in the database"
        cursor = Transaction().connection.cursor()
        cursor.execute('SELECT data FROM ir_session_wizard')
        for data, in cursor:
            self.assertNotIn(secret, data or '')
        connection = Transaction().connection
        if hasattr(connection, 'iterdump'):
            # SQLite: the whole database as SQL text
            self.assertNotIn(secret, '\n'.join(connection.iterdump()))

    @with_transaction()
    def test_signature_records_never_written_by_clients(self):
        """Nobody creates, writes or deletes a signature or a version: the
        verification page cannot be made to call a forgery genuine"""
        pool = Pool()
        Signature = pool.get('esurat.signature')
        Version = pool.get('esurat.outgoing.version')
        org = create_signing_org()
        outgoing = self.signed(org)
        signature = outgoing.signature
        before = Signature.read([signature.id], [
                'subject', 'number', 'signer_title', 'sha256', 'token'])
        draft = self.draft(org)
        for user in [org.u_staff, org.u_kadis, org.u_operator,
                org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Signature.write([Signature(signature.id)], {
                            'subject': "Palsu", 'signer_title': "Bupati",
                            'sha256': '0' * 64})
                with self.assertRaises(AccessError):
                    Signature.create([{
                                'outgoing': draft.id, 'number': '1/X/2026',
                                'signer_title': "Bupati",
                                'token': 'palsu', 'sha256': '0' * 64}])
                with self.assertRaises(AccessError):
                    Signature.delete([Signature(signature.id)])
                version = outgoing.versions[0]
                with self.assertRaises(AccessError):
                    Version.write([Version(version.id)], {'body': "Palsu"})
                with self.assertRaises(AccessError):
                    Version.create([{
                                'outgoing': draft.id, 'number': 9,
                                'subject': "Palsu", 'body': "Palsu"}])
                with self.assertRaises(AccessError):
                    Version.delete([Version(version.id)])
        self.assertEqual(Signature.read([signature.id], [
                    'subject', 'number', 'signer_title', 'sha256', 'token']),
            before)
        self.assertEqual(Signature.search([('outgoing', '=', draft.id)]), [])
        self.assertIsNone(draft.__class__(draft.id).signature)

    @with_transaction()
    def test_route_and_recipients_only_drafter_in_draft(self):
        """The drafter edits route and recipients of a draft; nobody edits
        them once submitted; workflow fields of a step are never a
        client's"""
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        Recipient = pool.get('esurat.outgoing.recipient')
        Outgoing = pool.get('esurat.outgoing')
        org = create_signing_org()
        outgoing = self.draft(org)
        with as_user(org.u_staff):
            Outgoing.propose_route([Outgoing(outgoing.id)])
            recipient, = Recipient.create([{
                        'outgoing': outgoing.id, 'kind': 'internal',
                        'position': org.p_kadinkes.id}])
            Recipient.write([recipient], {'is_copy': True})
            step = Outgoing(outgoing.id).approvals[0]
            Approval.write([step], {'position': org.p_sekdis.id})
            Approval.write([step], {'position': org.p_kasi.id})
            # A step the drafter approves itself
            with self.assertRaises(FieldReadonlyError):
                Approval.write([step], {'state': 'approved'})
            with self.assertRaises(FieldReadonlyError):
                Approval.write([step], {'acted_as': "Bupati"})
            with self.refused(FieldReadonlyError):
                Approval.create([{
                            'outgoing': outgoing.id, 'sequence': 0,
                            'position': org.p_kabid.id, 'kind': 'initial',
                            'state': 'approved', 'acted_by': org.u_kabid.id,
                            'acted_as': "Kepala Bidang"}])
        # Another official on the route may not touch it
        with as_user(org.u_kabid):
            with self.assertRaises(AccessError):
                Approval.write([step], {'position': org.p_kabid.id})
            with self.assertRaises(AccessError):
                Recipient.delete([recipient])
        self.submit(org, outgoing)
        outgoing = Outgoing(outgoing.id)
        sign_step = outgoing.approvals[-1]
        self.assertEqual(sign_step.position, org.p_kadis)
        for user in [org.u_staff, org.u_kabid, org.u_kadis]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Approval.write([Approval(sign_step.id)], {
                            'position': org.p_kabid.id})
                with self.refused(AccessError):
                    Approval.create([{
                                'outgoing': outgoing.id, 'sequence': 99,
                                'position': org.p_kabid.id, 'kind': 'sign'}])
                with self.assertRaises(AccessError):
                    Approval.delete([Approval(sign_step.id)])
                with self.refused(AccessError):
                    Recipient.create([{
                                'outgoing': outgoing.id, 'kind': 'internal',
                                'position': org.p_sekda.id}])
                with self.assertRaises(UserError):
                    Outgoing.propose_route([Outgoing(outgoing.id)])
        # Moving a step of another draft into this route is refused too
        other = self.draft(org)
        with as_user(org.u_staff):
            other_recipient, = Recipient.create([{
                        'outgoing': other.id, 'kind': 'internal',
                        'position': org.p_kadinkes.id}])
            with self.assertRaises(AccessError):
                Recipient.write([other_recipient], {
                        'outgoing': outgoing.id})
        self.assertEqual(
            [(a.position, a.state) for a in Outgoing(outgoing.id).approvals],
            [(org.p_kasi, 'pending'), (org.p_kabid, 'waiting'),
                (org.p_sekdis, 'waiting'), (org.p_kadis, 'waiting')])
        self.assertEqual(Outgoing(outgoing.id).recipients, (recipient,))

        # Signed: nothing of route, recipients, versions or signature moves
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        outgoing = self.sign(org.u_kadis, outgoing)
        for user in [org.u_staff, org.u_kadis, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Approval.write([Approval(sign_step.id)], {
                            'sequence': 5})
                with self.assertRaises(AccessError):
                    Recipient.write([Recipient(recipient.id)], {
                            'is_copy': False})
                with self.assertRaises(AccessError):
                    Outgoing.write([Outgoing(outgoing.id)], {
                            'recipients': [('delete', [recipient.id])]})

    @with_transaction()
    def test_sign_step_is_the_signers(self):
        "Only who acts for the signer named on the letter signs it"
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        Certificate = pool.get('esurat.signing.certificate')
        Outgoing = pool.get('esurat.outgoing')
        org = create_signing_org()
        Certificate.issue(org.u_kabid, PASSPHRASE)
        outgoing = self.draft(org)
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        # Even if the step were moved (server code only), the Kabid may
        # not sign a letter named for the Kepala Dinas
        sign_step = Outgoing(outgoing.id).approvals[-1]
        Approval.write([sign_step], {'position': org.p_kabid.id})
        with self.assertRaises(AccessError):
            self.sign(org.u_kabid, outgoing)
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(outgoing.state, 'in_approval')
        self.assertIsNone(outgoing.number)
        self.assertIsNone(outgoing.signature)

    @with_transaction()
    def test_certificate_key_never_leaves(self):
        """No role reads, searches, orders or exports an encrypted key; an
        operator sees its agency's certificates as metadata"""
        pool = Pool()
        Certificate = pool.get('esurat.signing.certificate')
        Authority = pool.get('esurat.signing.authority')
        org = create_signing_org()
        certificate, = Certificate.search([('user', '=', org.u_kadis.id)])
        for user in [org.u_operator, org.u_kadis, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Certificate.export_data(
                        [Certificate(certificate.id)], ['key'])
                with self.assertRaises(AccessError):
                    Certificate.export_data_domain([], ['subject', 'key'])
                with self.assertRaises(AccessError):
                    Certificate.search([('key', 'like', '-----BEGIN%')])
                with self.assertRaises(AccessError):
                    Certificate.search([], order=[('key', 'ASC')])
                data, = Certificate.read([certificate.id], [
                        'key', 'subject', 'serial', 'certificate'])
                self.assertNotIn('key', data)
                self.assertIn('BEGIN CERTIFICATE', data['certificate'])
                with self.assertRaises(AccessError):
                    Authority.read([1], ['key'])
                with self.assertRaises(AccessError):
                    Certificate.write(
                        [Certificate(certificate.id)], {'key': 'x'})
        with as_user(org.u_operator):
            self.assertIn(
                certificate, Certificate.search([('subject', '!=', None)]))
        with as_user(org.u_op_dinkes):
            self.assertEqual(
                Certificate.search([('id', '=', certificate.id)]), [])
        # The signing code still reads it
        self.assertIn('ENCRYPTED', Certificate(certificate.id).key)

    @with_transaction()
    def test_passphrase_never_stored(self):
        """Signing and requesting a certificate through Wizard.execute leave
        the passphrase in no session and nowhere in the database"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Certificate = pool.get('esurat.signing.certificate')
        org = create_signing_org()
        outgoing = self.draft(org)
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        with as_user(org.u_kadis):
            # A client may send the passphrase with any step
            self.run_wizard('esurat.outgoing.sign', outgoing,
                ({'start': {'passphrase': PASSPHRASE}}, 'start'),
                ({'start': {'passphrase': PASSPHRASE}}, 'sign'))
        self.assertEqual(Outgoing(outgoing.id).state, 'signed')
        new = 'kabid-baru-rahasia-2026'
        with as_user(org.u_kabid):
            self.run_wizard('esurat.signing.certificate.request', None,
                ({'start': {'passphrase': new, 'confirmation': new}},
                    'start'),
                ({'start': {'passphrase': new, 'confirmation': new}},
                    'issue'))
            certificate, = Certificate.search(
                [('user', '=', org.u_kabid.id)])
        self.assertTrue(certificate.signer(new))
        self.assert_not_stored(PASSPHRASE)
        self.assert_not_stored(new)

    @with_transaction()
    def test_certificate_request_by_officials(self):
        """Officials request their own certificate through the wizard, which
        others may not run; an official without a position gets none"""
        pool = Pool()
        Certificate = pool.get('esurat.signing.certificate')
        Menu = pool.get('ir.ui.menu')
        ModelData = pool.get('ir.model.data')
        org = create_signing_org()
        passphrase = 'kabid-aptika-2026'
        step = ({'start': {
                        'passphrase': passphrase,
                        'confirmation': passphrase}}, 'issue')
        with as_user(org.u_kabid):
            self.run_wizard(
                'esurat.signing.certificate.request', None, step)
            certificate, = Certificate.search([])
        self.assertEqual(certificate.user, org.u_kabid)
        # An official without any certificate starts it from the menu
        menu = Menu(ModelData.get_id(
                'esurat_signing', 'menu_certificate_request'))
        with as_user(org.u_sekdis):
            self.assertIn(menu, Menu.search([]))
            self.run_wizard('esurat.signing.certificate.request', menu, step)
            self.assertTrue(Certificate.search([
                        ('user', '=', org.u_sekdis.id),
                        ('state', '=', 'valid')]))
        for user in [org.u_staff, org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    self.run_wizard(
                        'esurat.signing.certificate.request', None, step)
        newcomer = create_user(
            'pejabat_baru', "Pejabat Baru", org.bidang,
            ['group_esurat_official'])
        with as_user(newcomer), self.assertRaises(UserError):
            self.run_wizard('esurat.signing.certificate.request', None, step)
        self.assertEqual(
            Certificate.search([('user', '=', newcomer.id)]), [])

    @with_transaction()
    def test_cancel_signed_only_by_signer(self):
        """A signed letter is cancelled by who acts for its signer, with a
        reason; not by the drafter, an operator or the super admin"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Holding = pool.get('esurat.position.holding')
        org = create_signing_org()
        outgoing = self.signed(org)
        for user in [org.u_staff, org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Outgoing.cancel_with([Outgoing(outgoing.id)], "Salah")
                with self.assertRaises(AccessError):
                    self.run_wizard('esurat.outgoing.cancel', outgoing,
                        ({'start': {'reason': "Salah"}}, 'cancel'))
        with as_user(org.u_kadis):
            for reason in ['', '   ', None]:
                with self.assertRaises(ValidationError):
                    Outgoing.cancel_with([Outgoing(outgoing.id)], reason)
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(outgoing.state, 'signed')
        self.assertFalse(outgoing.signature.cancelled)
        # The Plh of the Kepala Dinas acts for the signer today
        Holding.create([{
                    'position': org.p_kadis.id, 'user': org.u_sekdis.id,
                    'kind': 'plh', 'reason': 'leave',
                    'start_date': TODAY, 'end_date': TODAY,
                    'state': 'active'}])
        with as_user(org.u_sekdis):
            self.run_wizard('esurat.outgoing.cancel', outgoing,
                ({'start': {'reason': "Salah alamat"}}, 'cancel'))
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(outgoing.state, 'cancelled')
        self.assertEqual(outgoing.signature.cancel_reason, "Salah alamat")

    @with_transaction()
    def test_copy_is_a_fresh_draft(self):
        """A copy of a signed letter has nothing of its workflow; cancelling
        it leaves the original alone"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        org = create_signing_org()
        outgoing = self.signed(org, recipients=[{
                    'kind': 'internal', 'position': org.p_kadinkes.id}])
        run_queue()
        with as_user(org.u_staff):
            with self.assertRaises(FieldReadonlyError):
                Outgoing.copy([Outgoing(outgoing.id)], default={
                        'number': outgoing.number})
            copy, = Outgoing.copy([Outgoing(outgoing.id)])
        copy = Outgoing(copy.id)
        self.assertEqual(copy.state, 'draft')
        self.assertEqual(
            [copy.number, copy.date, copy.signature, copy.cancel_reason],
            [None, None, None, None])
        self.assertEqual(copy.versions, ())
        self.assertEqual(
            {(a.state, a.acted_by, a.acted_as, a.acted_at, a.received_at)
                for a in copy.approvals},
            {('waiting', None, None, None, None)})
        self.assertEqual(
            [(r.delivery_state, r.letter) for r in copy.recipients],
            [('pending', None)])
        # The copy is the drafter's to delete or cancel
        with as_user(org.u_staff):
            Outgoing.cancel_with([copy], "Tidak jadi")
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(outgoing.state, 'signed')
        self.assertFalse(outgoing.signature.cancelled)
        self.assertIsNone(outgoing.cancel_reason)

    @with_transaction()
    def test_rahasia_outgoing_masked(self):
        """Subject, body, versions and signature of a rahasia letter are
        masked for those not on it, on read, search, order and export"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Version = pool.get('esurat.outgoing.version')
        Signature = pool.get('esurat.signature')
        Recipient = pool.get('esurat.outgoing.recipient')
        org = create_signing_org()
        secret = reference('confidentiality_secret')
        outgoing = self.signed(
            org, confidentiality=secret,
            subject="Aaa rahasia pengadaan", body="Isi rahasia",
            recipients=[{'kind': 'internal', 'position': org.p_sekda.id}])
        plain = self.signed(org, subject="Mmm undangan rapat")
        fields_ = ['subject', 'body', 'rec_name', 'signed_pdf']
        for user in [org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                data, = Outgoing.read([outgoing.id], fields_)
                self.assertEqual(
                    [data['subject'], data['body'], data['rec_name'],
                        data['signed_pdf']],
                    ['***', '***', f'{outgoing.number} - ***', None])
                other, = Outgoing.read([plain.id], ['subject'])
                self.assertEqual(other['subject'], "Mmm undangan rapat")
                for version in Version.read(
                        [v.id for v in outgoing.versions],
                        ['subject', 'body', 'changes']):
                    self.assertEqual(
                        set(version.values()) - {version['id']}, {'***'})
                signature, = Signature.read(
                    [outgoing.signature.id], ['subject', 'pdf', 'number'])
                self.assertEqual(
                    [signature['subject'], signature['pdf']], ['***', None])
                self.assertEqual(signature['number'], outgoing.number)
                # Search on the words
                for domain in [
                        [('subject', 'ilike', '%rahasia%')],
                        [('body', 'ilike', '%rahasia%')],
                        [('rec_name', 'ilike', '%rahasia%')],
                        [('subject', 'not ilike', '%zzz%'),
                            ('id', '=', outgoing.id)],
                        [('versions.body', 'ilike', '%rahasia%')]]:
                    self.assertEqual(Outgoing.search(domain), [])
                self.assertEqual(
                    Version.search([('subject', 'ilike', '%rahasia%')]), [])
                self.assertEqual(
                    Signature.search([('subject', 'ilike', '%rahasia%')]),
                    [])
                self.assertEqual(Recipient.search(
                        [('outgoing.subject', 'ilike', '%rahasia%')]), [])
                # Order: sorted as its mask, before "Mmm..." not "Aaa..."
                ordered = Outgoing.search(
                    [('id', 'in', [outgoing.id, plain.id])],
                    order=[('subject', 'DESC')])
                self.assertEqual(ordered, [plain, outgoing])
                # Export, also through links, leaves the content out
                self.assertEqual(
                    Outgoing.export_data([Outgoing(outgoing.id)], [
                            'subject', 'body', 'versions/subject',
                            'signature/subject', 'signature/pdf',
                            'number'])[0],
                    ['', '', '', '', '', outgoing.number])
                self.assertEqual(
                    Recipient.export_data(list(outgoing.recipients), [
                            'outgoing/subject', 'outgoing/rec_name',
                            'signed_pdf']),
                    [['', f'{outgoing.number} - ***', '']])
                self.assertEqual(
                    Outgoing.export_data_domain(
                        [('id', '=', outgoing.id)], ['body']), [['']])
        # Who is on the letter reads it
        for user in [org.u_staff, org.u_kasi, org.u_kadis]:
            with self.subTest(user=user.login), as_user(user):
                data, = Outgoing.read([outgoing.id], ['subject', 'body'])
                self.assertEqual(
                    [data['subject'], data['body']],
                    ["Aaa rahasia pengadaan", "Isi rahasia"])
                self.assertEqual(
                    Outgoing.search([('subject', 'ilike', '%rahasia%')]),
                    [outgoing])
                self.assertEqual(
                    Outgoing.export_data(
                        [Outgoing(outgoing.id)], ['subject']),
                    [["Aaa rahasia pengadaan"]])
        # The addressee (the Sekda) is on it too
        with Transaction().set_user(org.u_sekda.id):
            self.assertEqual(Outgoing.hidden_outgoing_ids({outgoing.id}),
                set())
        with Transaction().set_user(org.u_operator.id):
            self.assertEqual(Outgoing.hidden_outgoing_ids({outgoing.id}),
                {outgoing.id})

    @with_transaction()
    def test_enclosures_signed_with_the_letter(self):
        """A PDF and a photo attached to a letter: the Lampiran line counts
        them, their pages follow the letter's in the signed PDF, the
        signature covers them and they are delivered with it; other files
        are refused in Indonesian; another agency cannot read them, and
        of a rahasia letter only the people on it"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Enclosure = pool.get('esurat.outgoing.enclosure')
        Signature = pool.get('esurat.signature')
        load_indonesian()
        org = create_signing_org()
        document = BytesIO()
        pdf = canvas.Canvas(document)
        for page in [1, 2]:
            pdf.drawString(100, 700, f"Daftar peserta halaman {page}")
            pdf.showPage()
        pdf.save()
        photo = BytesIO()
        Image.new('RGB', (400, 300), 'red').save(photo, format='JPEG')
        files = [
            {'name': "daftar.pdf", 'data': document.getvalue()},
            # Named as a PNG, kept as the JPEG its content is
            {'name': "foto.png", 'data': photo.getvalue()},
            ]
        with Transaction().set_context(language='id'), as_user(org.u_staff):
            for name, data in [
                    ("surat.docx", b'PK\x03\x04' + bytes(200)),
                    ("rusak.pdf", b'%PDF-1.7 rusak')]:
                with self.subTest(name=name), \
                        self.assertRaises(ValidationError) as cm:
                    self.draft(org, enclosure_files=[('create', [
                                    {'name': name, 'data': data}])])
                self.assertIn(name.split('.')[0], cm.exception.message)
                self.assertRegex(cm.exception.message, r"bukan|tidak")
        outgoing = self.draft(
            org, enclosure_files=[('create', files)],
            recipients=[{'kind': 'internal', 'position': org.p_kadinkes.id}])
        self.assertEqual(
            [(e.name, e.mimetype, e.pages) for e in outgoing.enclosure_files],
            [("daftar.pdf", 'application/pdf', 2),
                ("foto.jpg", 'image/jpeg', 1)])
        self.submit(org, outgoing)
        # Submitted: the drafter no longer changes them
        with as_user(org.u_staff):
            with self.refused(AccessError):
                Enclosure.create([{**files[0], 'outgoing': outgoing.id}])
            with self.refused(AccessError):
                Enclosure.delete(list(outgoing.enclosure_files))
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        outgoing = self.sign(org.u_kadis, outgoing)
        signed = outgoing.signature.pdf
        texts = page_texts(signed)
        self.assertIn("Lampiran : 2 (dua) berkas", texts[0])
        self.assertEqual(texts[-3:-1], [
                "Daftar peserta halaman 1", "Daftar peserta halaman 2"])
        self.assertEqual(texts[-1], '')
        self.assertTrue(len(texts) >= 4)
        validation = pades.validate(
            signed, Signature.trust_anchors(), Signature.revoked())
        # The signature covers the whole file, enclosure pages included
        self.assertTrue(validation.intact and validation.valid)
        run_queue()
        # Delivered with the letter: the receiving agency's copy has them
        recipient, = outgoing.recipients
        self.assertEqual(recipient.delivery_state, 'delivered')
        self.assertEqual(
            bytes(recipient.letter.files[0].data), bytes(signed))
        ids = [e.id for e in outgoing.enclosure_files]
        for user in [org.u_op_dinkes, org.u_kadinkes]:
            with self.subTest(user=user.login), as_user(user):
                self.assertEqual(Enclosure.search([]), [])
                with self.assertRaises(AccessError):
                    Enclosure.read(ids, ['name', 'data'])
        with as_user(org.u_operator):
            self.assertEqual(len(Enclosure.read(ids, ['data'])), 2)
        # Rahasia: the operator sees the letter, not its enclosures
        Outgoing.write([outgoing], {
                'confidentiality': reference('confidentiality_secret')})
        with as_user(org.u_operator):
            rows = Enclosure.read(ids, ['name', 'data'])
            self.assertEqual(
                {(r['name'], r['data']) for r in rows}, {('***', None)})
        with as_user(org.u_staff):
            rows = Enclosure.read(ids, ['name', 'data'])
            self.assertEqual(rows[0]['name'], "daftar.pdf")
            self.assertIsNotNone(rows[0]['data'])

    @with_transaction()
    def test_cancel_only_for_drafter_and_signer(self):
        """The approvers between drafter and signer neither see BATALKAN
        SURAT nor may cancel; the drafter and the signer see it"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        org = create_signing_org()
        outgoing = self.draft(org)
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            with self.subTest(user=user.login), as_user(user):
                self.assertFalse(Outgoing(outgoing.id).may_cancel)
                with self.assertRaises(AccessError):
                    self.run_wizard('esurat.outgoing.cancel', outgoing,
                        ({'start': {'reason': "Salah"}}, 'cancel'))
        self.assertEqual(Outgoing(outgoing.id).state, 'in_approval')
        for user in [org.u_staff, org.u_kadis]:
            with as_user(user):
                self.assertTrue(Outgoing(outgoing.id).may_cancel)
        with as_user(org.u_staff):
            self.run_wizard('esurat.outgoing.cancel', outgoing,
                ({'start': {'reason': "Batal rapat"}}, 'cancel'))
            outgoing = Outgoing(outgoing.id)
            self.assertEqual(outgoing.state, 'cancelled')
            self.assertFalse(outgoing.may_cancel)

    @with_transaction()
    def test_huge_texts_refused_in_indonesian(self):
        """A 10 000-character subject is refused at save with a short
        Indonesian message; a letter that still does not fit its pages is
        refused at signing, with nothing stored"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Recipient = pool.get('esurat.outgoing.recipient')
        load_indonesian()
        org = create_signing_org()
        with Transaction().set_context(language='id'):
            with self.assertRaises(ValidationError) as cm:
                self.draft(org, subject="Hal " * 2500)
            self.assertIn("terlalu panjang", cm.exception.message)
            self.assertLess(len(cm.exception.message), 200)
            outgoing = self.draft(org)
            with as_user(org.u_staff):
                with self.assertRaises(ValidationError):
                    Outgoing.write([Outgoing(outgoing.id)], {
                            'subject': "x" * 501})
                with self.assertRaises(ValidationError):
                    Outgoing.write([Outgoing(outgoing.id)], {
                            'recipients': [('create', [{
                                            'kind': 'external',
                                            'name': "n" * 251}])]})
                Outgoing.write([Outgoing(outgoing.id)], {
                        'subject': "x" * 500,
                        'recipients': [('create', [{
                                        'kind': 'external',
                                        'name': "Nama penerima " * 17,
                                        } for _ in range(40)])]})
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        with Transaction().set_context(language='id'):
            with self.assertRaises(ValidationError) as cm:
                self.sign(org.u_kadis, outgoing)
            self.assertIn("tidak muat", cm.exception.message)
        outgoing = Outgoing(outgoing.id)
        self.assertEqual(outgoing.state, 'in_approval')
        self.assertIsNone(outgoing.signature)
        self.assertEqual(len(Recipient.search(
                    [('outgoing', '=', outgoing.id)])), 40)


class EsuratSigningBaseOnlyTestCase(SigningTestMixin, ModuleTestCase):
    "Test e-Surat signing module with esurat_base alone"
    module = 'esurat_signing'

    @with_transaction()
    def test_sign_verify_deliver(self):
        """Without esurat_disposition a letter is signed, verified and
        delivered: by email, on the print list and, internally, as an
        incoming letter distributed in the receiving agency"""
        pool = Pool()
        Signature = pool.get('esurat.signature')
        Mail = pool.get('esurat.mail')
        with self.assertRaises(KeyError):
            pool.get('esurat.disposition')
        org = create_signing_org()
        outgoing = self.signed(org, recipients=[
                {'kind': 'internal', 'position': org.p_kadinkes.id},
                {'kind': 'external', 'name': "PT Telekomunikasi",
                    'email': 'surat@telkom.example'},
                {'kind': 'external', 'name': "Camat Lama",
                    'address': "Jl. Raya 2"},
                ])
        self.assertEqual(outgoing.state, 'signed')
        signature = Signature.by_token(outgoing.signature.token)
        pdf = bytes(signature.pdf)
        self.assertTrue(signature.matches(pdf))
        validation = pades.validate(
            pdf, Signature.trust_anchors(), revoked=Signature.revoked())
        self.assertTrue(validation.intact and validation.valid)

        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            run_queue()
        dinkes, telkom, camat = outgoing.recipients
        self.assertEqual(
            [r.delivery_state for r in outgoing.recipients],
            ['delivered', 'emailed', 'to_print'])
        self.assertEqual(
            (dinkes.letter.unit, dinkes.letter.state, dinkes.letter.origin),
            (org.dinkes, 'distributed', outgoing))
        self.assertEqual(telkom.mail, Mail(telkom.mail.id))
        message, = server.messages
        self.assertEqual(message['To'], 'surat@telkom.example')


class DeliveryRepairTestCase(unittest.TestCase):
    """Deliveries of committed signings whose task never ran or died with
    its worker, repaired by the crons, each once"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        configure_signing()
        drop_db()
        cls.addClassCleanup(drop_db)
        activate_module(['esurat_signing'])
        cls.org = run_committed(DB_NAME, create_signing_org)

    def setUp(self):
        super().setUp()
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)

    def org_records(self):
        "The organisation's records, read in the current transaction"
        return SimpleNamespace(**{
                n: r.__class__(r.id) for n, r in vars(self.org).items()})

    @staticmethod
    def committed(func):
        "Commit func, then run every task it queued, and theirs, as cron"
        result = run_committed(DB_NAME, func)
        tasks = Transaction().tasks
        while tasks:
            run_task(DB_NAME, tasks.pop())
        return result

    def sign_and_crash(self, started=False, age=datetime.timedelta(hours=1)):
        """Commit a signed letter to an internal and an emailed recipient
        signed age ago, whose tasks were never run (started by a worker
        that died if started); its id and its tasks' ids"""
        def sign():
            org = self.org_records()
            outgoing = OutgoingFlow().signed(org, recipients=[
                    {'kind': 'internal', 'position': org.p_kadinkes.id},
                    {'kind': 'external', 'name': "PT Telekomunikasi",
                        'email': 'surat@telkom.example'}])
            # What this transaction queued (the thread's list also has the
            # tasks of its attempts restarted to take locks)
            tasks = [t.id for t in Pool().get('ir.queue').search(
                    [('id', 'in', list(set(Transaction().tasks)))])]
            Transaction().tasks.clear()
            self.backdate(outgoing, tasks, started, age)
            return outgoing.id, tasks
        return self.committed(sign)

    @staticmethod
    def backdate(outgoing, tasks, started, age):
        pool = Pool()
        Queue = pool.get('ir.queue')
        Signature = pool.get('esurat.signature')
        cursor = Transaction().connection.cursor()
        then = datetime.datetime.now() - age
        signature, queue = Signature.__table__(), Queue.__table__()
        cursor.execute(*signature.update(
                [signature.signed_at], [then],
                where=signature.id == outgoing.signature.id))
        cursor.execute(*queue.update(
                [queue.enqueued_at, queue.dequeued_at],
                [then, then if started else Null],
                where=queue.id.in_(tasks)))

    def deliveries(self, outgoing_id, tasks):
        """(delivery states, incoming letters, mails) of the letter, and how
        many of tasks are unfinished"""
        def read():
            pool = Pool()
            Outgoing = pool.get('esurat.outgoing')
            Letter = pool.get('esurat.letter')
            Mail = pool.get('esurat.mail')
            Queue = pool.get('ir.queue')
            outgoing = Outgoing(outgoing_id)
            return (
                [r.delivery_state for r in outgoing.recipients],
                len(Letter.search([('origin', '=', outgoing.id)])),
                [m.state for m in Mail.search(
                        [('resource', '=', str(outgoing))])],
                len(Queue.search([
                            ('id', 'in', tasks),
                            ('finished_at', '=', None)])))
        return self.committed(read)

    @staticmethod
    def cron(name):
        def run():
            model, method = name.split('|')
            getattr(Pool().get(model), method)()
        return run

    def test_delivered_once_after_a_crash(self):
        """kill -9 right after the signing commits (its task never ran) or
        of the worker in the middle of the delivery (its task started): the
        crons deliver the letter and its email once; their next runs change
        nothing"""
        for started in [False, True]:
            with self.subTest(started=started), SMTPServer() as server:
                config.set('email', 'uri', server.uri)
                outgoing_id, tasks = self.sign_and_crash(started)
                self.assertEqual(
                    self.deliveries(outgoing_id, tasks),
                    (['pending', 'pending'], 0, [], len(tasks)))
                for _ in range(2):
                    for cron in [
                            'esurat.outgoing|deliver_stalled',
                            'ir.queue|resume_stalled',
                            'esurat.mail|send_pending']:
                        self.committed(self.cron(cron))
                    self.assertEqual(
                        self.deliveries(outgoing_id, tasks),
                        (['delivered', 'emailed'], 1, ['sent'], 0))
                self.assertEqual(
                    [m['To'] for m in server.messages],
                    ['surat@telkom.example'])

    def test_young_delivery_left_to_its_task(self):
        "Within the grace period the cron leaves the delivery to its task"
        outgoing_id, tasks = self.sign_and_crash(
            age=datetime.timedelta(minutes=1))
        self.committed(self.cron('esurat.outgoing|deliver_stalled'))
        self.committed(self.cron('ir.queue|resume_stalled'))
        self.assertEqual(self.deliveries(outgoing_id, tasks),
            (['pending', 'pending'], 0, [], len(tasks)))

    @unittest.skipUnless(
        backend.name == 'postgresql',
        "the threads of a SQLite test have each their own memory database")
    def test_concurrent_deliveries_deliver_once(self):
        """The task of the signing, the repair cron and a retry deliver the
        same letter at once: one incoming letter, one email"""
        outgoing_id, tasks = self.sign_and_crash()
        # As in the shipped configuration: who finds the recipients locked
        # waits for them through Tryton's restarts (see the README)
        retry = config.get('database', 'retry')
        config.set('database', 'retry', '40')
        self.addCleanup(config.set, 'database', 'retry', retry)
        barrier = threading.Barrier(3)
        errors = []

        def deliver():
            pool = Pool()
            Outgoing = pool.get('esurat.outgoing')
            Outgoing.deliver([Outgoing(outgoing_id)])

        def deliverer():
            try:
                barrier.wait(timeout=30)
                self.committed(deliver)
            except Exception as error:
                errors.append(error)
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            threads = [threading.Thread(target=deliverer) for _ in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertEqual(errors, [])
        states, letters, mails, _ = self.deliveries(outgoing_id, tasks)
        self.assertEqual((states, letters, mails),
            (['delivered', 'emailed'], 1, ['sent']))
        self.assertEqual(
            [m['To'] for m in server.messages], ['surat@telkom.example'])


class VerificationPageTestCase(TestCase):
    """The public verification page as a citizen's browser gets it, through
    trytond's WSGI application"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        configure_signing()
        drop_db()
        cls.addClassCleanup(drop_db)
        activate_module(['esurat_signing'])
        # The route reads the database in a transaction of its own: the
        # letters are committed, in this test case's own database
        run_committed(DB_NAME, cls._create_letters)

    @classmethod
    def _create_letters(cls):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        flow = OutgoingFlow()
        load_indonesian()
        org = create_signing_org()
        logo = BytesIO()
        Image.new('RGB', (300, 300), (200, 30, 30)).save(logo, 'PNG')
        org.kominfo.logo = logo.getvalue()
        org.kominfo.save()
        recipients = [
            {'kind': 'external', 'name': "Direktur RSUD Sukamaju"},
            {'kind': 'external', 'name': "Inspektur Daerah",
                'is_copy': True},
            ]
        cls.letter = cls._page_of(flow.signed(org, recipients=recipients))
        cls.other = cls._page_of(flow.signed(org))
        cls.secret = cls._page_of(flow.signed(
                org, confidentiality=reference('confidentiality_secret'),
                subject="Pengadaan rahasia", recipients=recipients))
        cancelled = flow.signed(org)
        with as_user(org.u_kadis):
            Outgoing.cancel_with([cancelled], "Salah alamat")
        cls.cancelled = cls._page_of(cancelled)

    @staticmethod
    def _page_of(outgoing):
        "What the page of the signed outgoing letter must show"
        signature = outgoing.signature
        return SimpleNamespace(
            token=signature.token, number=signature.number,
            date=signature.date, subject=signature.subject,
            position=signature.signer_title, sha256=signature.sha256,
            pdf=bytes(signature.pdf), file_name=signature.file_name)

    def setUp(self):
        super().setUp()
        # The limit counts per address in the process: each test starts
        # afresh
        routes.LIMITER.reset()
        self.client = Client(app)

    def get(self, token, **kwargs):
        return self.client.get(f'/{DB_NAME}/verify/{token}', **kwargs)

    def download(self, token):
        return self.client.get(f'/{DB_NAME}/verify/{token}/pdf')

    def lookup(self, number, date):
        return self.client.get(f'/{DB_NAME}/verify', query_string={
                'nomor': number, 'tanggal': date})

    def upload(self, token, data, **kwargs):
        return self.client.post(f'/{DB_NAME}/verify/{token}', data={
                'document': (BytesIO(data), 'surat.pdf', 'application/pdf'),
                }, **kwargs)

    def page(self, response, status=HTTPStatus.OK):
        "The HTML of response, checked for status and security headers"
        self.assertEqual(response.status_code, status)
        headers = response.headers
        self.assertEqual(
            headers['Content-Type'], 'text/html; charset=utf-8')
        for directive in [
                "default-src 'none'", "frame-ancestors 'none'",
                "form-action 'self'", "base-uri 'none'"]:
            self.assertIn(directive, headers['Content-Security-Policy'])
        self.assertEqual(headers['X-Content-Type-Options'], 'nosniff')
        self.assertEqual(headers['Referrer-Policy'], 'same-origin')
        self.assertEqual(headers['Cache-Control'], 'no-store')
        self.assertNotIn('Set-Cookie', headers)
        return response.get_data(as_text=True)

    def read(self, page, id_):
        "(class, text) of the element id_ of page, as its reader sees it"
        match = re.search(
            rf'<(\w+)(?: class="([^"]*)")? id="{id_}">(.*?)</\1>', page,
            re.DOTALL)
        if not match:
            return None
        text = re.sub(r'<[^>]+>', ' ', match[3])
        return match[2], ' '.join(html.unescape(text).split())

    def test_genuine(self):
        "A genuine token shows the signed letter, in Indonesian"
        page = self.page(self.get(self.letter.token))
        self.assertIn('<html lang="id">', page)
        self.assertEqual(self.read(page, 'status'), ('status ok',
                "ASLI: dokumen ini ditandatangani secara elektronik melalui "
                "e-Surat."))
        self.assertEqual(
            self.read(page, 'number'), (None, self.letter.number))
        self.assertEqual(
            self.read(page, 'subject'), (None, self.letter.subject))
        self.assertEqual(
            self.read(page, 'position'), (None, "Kepala Dinas"))
        self.assertEqual(
            self.read(page, 'sha256'), (None, self.letter.sha256))
        self.assertIn("Periksa salinan: pilih berkas PDF", page)
        self.assertIsNone(self.read(page, 'check-same'))
        # Who issued it, to whom, and with which certificate
        self.assertEqual(self.read(page, 'issuer'), ('issuer',
                "Diterbitkan oleh PEMERINTAH KABUPATEN UJI "
                "Dinas Komunikasi dan Informatika"))
        self.assertIn('<img src="data:image/jpeg;base64,', page)
        self.assertEqual(
            self.read(page, 'letter-type'), (None, "Surat Dinas"))
        self.assertEqual(
            self.read(page, 'addressees'), (None, "Direktur RSUD Sukamaju"))
        self.assertEqual(self.read(page, 'copies'), (None, "Inspektur Daerah"))
        self.assertEqual(self.read(page, 'certificate'), (None,
                "e-Surat Development CA berlaku pada saat penandatanganan"))
        # The verdict comes first, the hash is folded away
        self.assertLess(page.index('id="status"'), page.index('id="issuer"'))
        self.assertEqual(page.count('class="status'), 1)
        self.assertLess(page.index('<details id="technical">'),
            page.index(self.letter.sha256))
        # The file button speaks Indonesian
        self.assertIn(
            '<label for="document" class="button pick">'
            '<span class="none">Pilih berkas PDF</span>', page)
        self.assertIn(
            f'<a class="button" id="download" href="{self.letter.token}/pdf"',
            page)
        self.assertIn('<a href="../verify" id="lookup-link">', page)

    def test_download(self):
        "The signed original, byte for byte; never of rahasia or cancelled"
        response = self.download(self.letter.token)
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response.headers['Content-Type'], 'application/pdf')
        self.assertEqual(response.headers['Content-Disposition'],
            f'attachment; filename="{self.letter.file_name}"')
        self.assertEqual(response.headers['X-Content-Type-Options'],
            'nosniff')
        self.assertEqual(response.get_data(), self.letter.pdf)
        unknown = self.page(
            self.download(secrets.token_urlsafe(24)), HTTPStatus.NOT_FOUND)
        for withheld in [self.secret, self.cancelled]:
            with self.subTest(number=withheld.number):
                self.assertEqual(self.page(
                        self.download(withheld.token), HTTPStatus.NOT_FOUND),
                    unknown)
                self.assertNotIn(
                    'id="download"', self.page(self.get(withheld.token)))

    def test_rahasia_subject_withheld(self):
        "Neither subject, type nor recipients of a rahasia letter"
        page = self.page(self.get(self.secret.token))
        self.assertEqual(self.read(page, 'subject'),
            (None, "Dirahasiakan: surat bersifat rahasia"))
        for text in ["Pengadaan", "Direktur RSUD", "Inspektur",
                'id="letter-type"', "Surat Dinas", 'id="download"']:
            self.assertNotIn(text, page)
        self.assertEqual(
            self.read(page, 'number'), (None, self.secret.number))

    def test_cancelled(self):
        page = self.page(self.get(self.cancelled.token))
        cls_, text = self.read(page, 'status')
        self.assertEqual(cls_, 'status bad')
        self.assertTrue(text.startswith("DIBATALKAN: surat ini"), text)
        self.assertTrue(text.endswith("Salah alamat"), text)

    def test_unknown_token(self):
        "Every unknown token gets the same 404 page, with nothing to check"
        pages = []
        for token in [secrets.token_urlsafe(24), 'x' * 65,
                self.letter.token[:-1]]:
            with self.subTest(token=token):
                page = self.page(self.get(token), HTTPStatus.NOT_FOUND)
                pages.append(page)
        self.assertEqual(len(set(pages)), 1)
        cls_, text = self.read(pages[0], 'status')
        self.assertEqual(cls_, 'status bad')
        self.assertTrue(text.startswith("TIDAK DIKENAL:"), text)
        self.assertNotIn('<form', pages[0])
        # An upload to an unknown token is not even looked at
        self.assertEqual(self.page(
                self.upload('x' * 32, self.letter.pdf), HTTPStatus.NOT_FOUND),
            pages[0])

    def test_upload_original(self):
        "The received file is the signed original"
        page = self.page(self.upload(self.letter.token, self.letter.pdf))
        self.assertEqual(self.read(page, 'check-same'), ('status ok',
                "Berkas ini sama persis (byte demi byte) dengan dokumen asli "
                "yang ditandatangani."))
        self.assertEqual(self.read(page, 'check-signature'), ('status ok',
                "Tanda tangan elektroniknya sah: Kadis Kominfo"))

    def test_upload_changed_copy(self):
        "A copy with one byte changed is neither the original nor valid"
        pdf = self.letter.pdf
        index = pdf.index(b'/Contents') - 40
        forged = pdf[:index] + bytes([pdf[index] ^ 1]) + pdf[index + 1:]
        page = self.page(self.upload(self.letter.token, forged))
        cls_, text = self.read(page, 'check-same')
        self.assertEqual(cls_, 'status bad')
        self.assertTrue(text.startswith("Berkas ini BUKAN dokumen asli"))
        # The red verdict replaces the green banner, first on the page
        self.assertNotIn("ASLI:", page)
        first = re.search(r'<p class="(status[^"]*)" id="([^"]*)">', page)
        self.assertEqual(first.groups(), ('status bad', 'check-same'))
        self.assertEqual(self.read(page, 'check-signature'), ('status bad',
                "Tanda tangan elektroniknya TIDAK sah: berkas diubah setelah "
                "ditandatangani atau tidak ditandatangani melalui e-Surat."))

    def test_upload_other_letter(self):
        """Another letter signed through e-Surat is not this one, and its
        own signature is validated"""
        page = self.page(self.upload(self.letter.token, self.other.pdf))
        self.assertEqual(self.read(page, 'check-same')[0], 'status bad')
        self.assertEqual(self.read(page, 'check-signature'), ('status ok',
                "Tanda tangan elektroniknya sah: Kadis Kominfo"))

    def test_upload_not_signed(self):
        "A file that is no PDF, or a PDF without signature"
        unsigned = BytesIO()
        canvas.Canvas(unsigned).save()
        for data, text in [
                (b'MZ\x90\x00 not a pdf',
                    "Berkas ini bukan PDF yang dapat dibaca."),
                (unsigned.getvalue(),
                    "Berkas ini tidak memiliki tanda tangan elektronik."),
                ]:
            with self.subTest(text=text):
                page = self.page(self.upload(self.letter.token, data))
                self.assertEqual(self.read(page, 'check-same')[0],
                    'status bad')
                self.assertEqual(
                    self.read(page, 'check-signature'), ('status bad', text))

    def test_upload_missing_or_too_large(self):
        "No file, or a file above the limit, is not checked"
        too_large = "Berkas terlalu besar (paling besar 10 MB)."
        for response, text in [
                (self.client.post(f'/{DB_NAME}/verify/{self.letter.token}',
                        data={}),
                    "Pilih berkas PDF terlebih dahulu."),
                (self.upload(self.letter.token, b''),
                    "Pilih berkas PDF terlebih dahulu."),
                (self.upload(
                        self.letter.token,
                        self.letter.pdf.ljust(routes.MAX_UPLOAD + 1)),
                    too_large),
                # Above what the route lets the request carry at all
                (self.upload(
                        self.letter.token,
                        self.letter.pdf.ljust(routes.MAX_UPLOAD * 2)),
                    too_large),
                ]:
            with self.subTest(text=text):
                page = self.page(response)
                self.assertIn(f'<p class="status warn">{text}</p>', page)
                self.assertIsNone(self.read(page, 'check-same'))

    def test_lookup(self):
        """A letter is found by its exact number and date, without its
        original or token; of a rahasia letter only the verdict"""
        form = self.page(self.client.get(f'/{DB_NAME}/verify'))
        self.assertIn('<form method="get" id="lookup">', form)
        self.assertIsNone(self.read(form, 'status'))
        date = self.letter.date.isoformat()
        page = self.page(self.lookup(self.letter.number, date))
        self.assertEqual(self.read(page, 'status')[0], 'status ok')
        self.assertEqual(
            self.read(page, 'subject'), (None, self.letter.subject))
        self.assertEqual(
            self.read(page, 'addressees'), (None, "Direktur RSUD Sukamaju"))
        for text in [self.letter.token, 'id="download"', 'id="upload"',
                self.letter.sha256]:
            self.assertNotIn(text, page)

        other_day = (self.letter.date - datetime.timedelta(days=1))
        misses = []
        for number, date_ in [
                (self.letter.number, other_day.isoformat()),
                (self.letter.number[:-1], date),
                (self.letter.number + '1', date),
                (self.letter.number.lower() + ' ', 'kemarin'),
                ('', date)]:
            with self.subTest(number=number, date=date_):
                miss = self.page(
                    self.lookup(number, date_), HTTPStatus.NOT_FOUND)
                self.assertEqual(self.read(miss, 'status'), ('status bad',
                        "TIDAK DITEMUKAN: tidak ada surat yang "
                        "ditandatangani melalui e-Surat dengan nomor dan "
                        "tanggal ini."))
                for text in [self.letter.subject, "Kadis Kominfo",
                        "Dinas Komunikasi", "Direktur RSUD"]:
                    self.assertNotIn(text, miss)
                misses.append(miss.split('<form')[0])
        self.assertEqual(len(set(misses)), 1)

        secret = self.page(self.lookup(self.secret.number, date))
        self.assertEqual(self.read(secret, 'status'), ('status ok',
                "ASLI: dokumen ini ditandatangani secara elektronik melalui "
                "e-Surat."))
        for text in ["Pengadaan", "Kadis Kominfo", self.secret.position,
                "Dinas Komunikasi", "Direktur RSUD", "Dirahasiakan",
                self.secret.token]:
            self.assertNotIn(text, secret)

    def test_rate_limit(self):
        "An address checking too often is told to wait, and sees nothing"
        for _ in range(routes.LIMITER.limit):
            self.page(self.get(self.letter.token))
        for response in [
                self.get(self.letter.token),
                self.get(secrets.token_urlsafe(24)),
                self.download(self.letter.token),
                self.lookup(self.letter.number, TODAY.isoformat()),
                self.upload(self.letter.token, self.letter.pdf)]:
            page = self.page(response, HTTPStatus.TOO_MANY_REQUESTS)
            self.assertEqual(self.read(page, 'status'), ('status warn',
                    "Terlalu banyak pemeriksaan dari alamat Anda. Tunggu "
                    "satu menit lalu coba lagi."))
            self.assertNotIn(self.letter.number, page)
        # Another address is still served
        self.page(self.get(
                self.letter.token,
                environ_base={'REMOTE_ADDR': '192.0.2.7'}))

    def test_cross_origin_upload_refused(self):
        """Trytond refuses a post from a form of another site (the upload
        form relies on it instead of a CSRF token)"""
        for origin in ['https://phishing.example', 'null']:
            with self.subTest(origin=origin), self.assertRaises(Forbidden):
                self.upload(
                    self.letter.token, self.letter.pdf,
                    headers={'Origin': origin})
        # The page's own form is served
        self.page(self.upload(
                self.letter.token, self.letter.pdf,
                headers={'Origin': 'http://localhost'}))


del ModuleTestCase
