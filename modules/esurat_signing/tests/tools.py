# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Helpers of the esurat_signing tests: signing configuration, an
organisation with a route of three initials, outgoing letter values,
taking letters through their route (OutgoingFlow, also outside a test
case's transaction), and reading QR codes off a PDF as a phone camera
does."""
from trytond import config
from trytond.modules.esurat_base.tests.tools import (
    as_user, create_org, create_position, create_users, reference)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

CA_PASSPHRASE = 'ca-test-passphrase'
PASSPHRASE = 'tanda-tangan-2026'


def configure_signing():
    "A development CA passphrase, as [esurat] dev_ca_passphrase"
    if not config.has_section('esurat'):
        config.add_section('esurat')
    if not config.get('esurat', 'dev_ca_passphrase', default=None):
        config.set('esurat', 'dev_ca_passphrase', CA_PASSPHRASE)


def create_signing_org():
    """create_org with a Kasi between the Kabid and the staff, a Sekretaris
    Dinas between the Kabid and the Kepala Dinas, and certificates"""
    pool = Pool()
    Certificate = pool.get('esurat.signing.certificate')
    User = pool.get('res.user')
    org = create_org()
    org.kominfo.city = "Sukamaju"
    org.kominfo.street = "Jl. Merdeka No. 1"
    org.kominfo.phone = "(0261) 123456"
    org.kominfo.save()
    org.pemda.letterhead_title = "PEMERINTAH KABUPATEN UJI"
    org.pemda.save()
    org.u_sekdis, org.u_kasi = create_users(
        ('sekdis', "Sekretaris Kominfo", org.kominfo,
            ['group_esurat_official']),
        ('kasi', "Kasi Layanan", org.bidang, ['group_esurat_official']))
    org.p_sekdis = create_position(
        "Sekretaris Dinas", org.kominfo, 'agency_secretary', org.p_kadis,
        org.u_sekdis)
    org.p_kabid.reports_to = org.p_sekdis
    org.p_kabid.save()
    org.p_kasi = create_position(
        "Kepala Seksi Layanan", org.bidang, 'section_head', org.p_kabid,
        org.u_kasi)
    org.p_staff.reports_to = org.p_kasi
    org.p_staff.save()
    signers = [org.u_kadis, org.u_sekda, org.u_kadinkes]
    for user in signers:
        user.nip = '19800101200501%04d' % user.id
    User.save(signers)
    for user in signers:
        Certificate.issue(user, PASSPHRASE)
    return org


def outgoing_values(org, signer, **values):
    "Values of an outgoing letter of Diskominfo drafted by its staff"
    result = {
        'signer_position': signer.id,
        'drafter': org.u_staff.id,
        'drafter_position': org.p_staff.id,
        'letter_type': reference('letter_type_surat_dinas'),
        'classification': reference('classification_500_12'),
        'urgency': reference('urgency_normal'),
        'confidentiality': reference('confidentiality_normal'),
        'subject': "Undangan sosialisasi tanda tangan elektronik",
        'body': "Dengan hormat,\n\nBersama ini kami mengundang Saudara "
        "untuk hadir pada sosialisasi tanda tangan elektronik.\n\n"
        "Demikian kami sampaikan, atas perhatiannya diucapkan terima kasih.",
        }
    result.update(values)
    return result


class OutgoingFlow:
    "Takes outgoing letters through their route as their people would"

    def draft(self, org, signer=None, recipients=(), **values):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        values = outgoing_values(org, signer or org.p_kadis, **values)
        if recipients:
            values['recipients'] = [('create', list(recipients))]
        with as_user(org.u_staff):
            outgoing, = Outgoing.create([values])
        return Outgoing(outgoing.id)

    def submit(self, org, outgoing):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        with as_user(org.u_staff):
            Outgoing.submit([Outgoing(outgoing.id)])

    def approve(self, user, outgoing):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        with as_user(user):
            Outgoing.approve([Outgoing(outgoing.id)])

    def sign(self, user, outgoing, passphrase=PASSPHRASE):
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        with as_user(user):
            Outgoing.sign_with(Outgoing(outgoing.id), passphrase)
        return Outgoing(outgoing.id)

    def signed(self, org, recipients=(), **values):
        "An outgoing letter taken through its whole route and signed"
        outgoing = self.draft(org, recipients=recipients, **values)
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        return self.sign(org.u_kadis, outgoing)


class SigningTestMixin(OutgoingFlow):
    "The module's test cases: signing configured, letters taken through"

    @with_transaction(user=0)
    def test_wizards(self):
        "Wizards are well defined (as root: their groups are officials')"
        super().test_wizards.__wrapped__(self)

    @classmethod
    def setUpClass(cls):
        configure_signing()
        super().setUpClass()


def qr_codes(pdf, page=0):
    "The texts of the QR codes on a page of pdf, as scanned"
    import pypdfium2
    import zxingcpp
    document = pypdfium2.PdfDocument(pdf)
    try:
        # 144 dpi: a phone camera sees a printed page at least this well
        image = document[page].render(scale=2).to_pil()
    finally:
        document.close()
    return [code.text for code in zxingcpp.read_barcodes(image)
        if code.format == zxingcpp.BarcodeFormat.QRCode]


def page_texts(pdf):
    "The text of each page as a reader extracts it, lines joined by spaces"
    import pypdfium2
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [
            ' '.join(page.get_textpage().get_text_range().split())
            for page in document]
    finally:
        document.close()
