# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo certificates and outgoing letters (idempotent), after esurat_base's.

    python -m trytond.modules.esurat_signing.demo -c trytond.conf -d esurat

Every demo official gets a development certificate protected by the demo
password, so that any of them can sign in the demo.  Run after the demo of
esurat_disposition when it is activated: the signed letter lands in the
inboxes of its internal recipients."""
import datetime

from trytond.modules.esurat_base.demo import DEMO_PASSWORD, run_demo
from trytond.pool import Pool
from trytond.transaction import Transaction

BODY = (
    "Dengan hormat,\n\n"
    "Dalam rangka penerapan Sistem Pemerintahan Berbasis Elektronik (SPBE) "
    "di lingkungan Pemerintah Kabupaten Sukamaju, bersama ini kami mengundang "
    "Saudara untuk hadir pada {event} yang akan dilaksanakan pada:\n\n"
    "hari/tanggal: Senin, {date}\n"
    "pukul: 09.00 WIB s.d. selesai\n"
    "tempat: Aula Diskominfo, Jl. Merdeka No. 1 Sukamaju\n\n"
    "Mengingat pentingnya acara tersebut, dimohon kehadiran Saudara tepat "
    "pada waktunya.\n\n"
    "Demikian disampaikan, atas perhatian dan kerja samanya diucapkan "
    "terima kasih.")


def _user(login):
    pool = Pool()
    User = pool.get('res.user')
    users = User.search([('login', '=', login)], limit=1)
    return users[0] if users else None


def _position(name):
    pool = Pool()
    Position = pool.get('esurat.position')
    positions = Position.search([('name', '=', name)], limit=1)
    return positions[0] if positions else None


def _reference(module, xml_id):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    return ModelData.get_id(module, xml_id)


def populate():
    "Certificates for the officials and outgoing letters; only once"
    pool = Pool()
    Certificate = pool.get('esurat.signing.certificate')
    Outgoing = pool.get('esurat.outgoing')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    if Outgoing.search([], limit=1):
        return 0
    official = ModelData.get_id('esurat_base', 'group_esurat_official')
    created = 0
    for user in User.search([('groups', '=', official)]):
        if not Certificate.search([('user', '=', user.id)], limit=1):
            Certificate.issue(user, DEMO_PASSWORD)
            created += 1

    staff, kasi, kabid, kadis = (_user(login) for login in [
            'staf.aptika', 'kasi.egov', 'kabid.aptika', 'kadis.kominfo'])
    p_staff = _position("Pranata Komputer Ahli Pertama")
    p_kadis = _position("Kepala Dinas Komunikasi dan Informatika")
    p_kadinkes = _position("Kepala Dinas Kesehatan")
    p_kadisdik = _position("Kepala Dinas Pendidikan dan Kebudayaan")
    if not all([staff, kasi, kabid, kadis, p_staff, p_kadis, p_kadinkes,
                p_kadisdik]):
        return created
    monday = datetime.date.today() + datetime.timedelta(
        days=7 - datetime.date.today().weekday())

    def draft(subject, event, recipients, signer=p_kadis):
        outgoing = Outgoing(
            drafter=staff, drafter_position=p_staff, signer_position=signer,
            letter_type=_reference(
                'esurat_base', 'letter_type_surat_undangan'),
            classification=_reference('esurat_base', 'classification_500_12'),
            urgency=_reference('esurat_base', 'urgency_normal'),
            confidentiality=_reference(
                'esurat_base', 'confidentiality_normal'),
            subject=subject,
            body=BODY.format(event=event, date=monday.strftime('%d-%m-%Y')),
            enclosures='-',
            recipients=recipients)
        outgoing.save()
        return outgoing

    def as_user(user, method, *args):
        with Transaction().set_user(user.id):
            return method(*args)

    Recipient = pool.get('esurat.outgoing.recipient')
    # Signed and delivered: into Dinkes's and Disdikbud's inboxes, by email
    # to a company and on the print list for a school
    signed = draft(
        "Undangan Sosialisasi Tanda Tangan Elektronik",
        "Sosialisasi Tanda Tangan Elektronik", [
            Recipient(kind='internal', position=p_kadinkes),
            Recipient(kind='unit', unit=p_kadisdik.unit),
            Recipient(kind='external', name="PT Telekomunikasi Sukamaju",
                email='sekretariat@telkom-sukamaju.example'),
            Recipient(kind='external', name="Kepala SMA Negeri 1 Sukamaju",
                address="Jl. Pendidikan No. 3, Sukamaju"),
            ])
    as_user(staff, Outgoing.submit, [signed])
    for user in [kasi, kabid]:
        as_user(user, Outgoing.approve, [Outgoing(signed.id)])
    as_user(kadis, Outgoing.sign_with, Outgoing(signed.id), DEMO_PASSWORD)

    # Waiting for the Kabid's initials
    waiting = draft(
        "Undangan Rapat Koordinasi Satu Data Sukamaju",
        "Rapat Koordinasi Satu Data", [
            Recipient(kind='internal', position=p_kadinkes)])
    as_user(staff, Outgoing.submit, [waiting])
    as_user(kasi, Outgoing.approve, [Outgoing(waiting.id)])

    # A draft still being written
    draft(
        "Undangan Bimbingan Teknis Aplikasi e-Surat",
        "Bimbingan Teknis Aplikasi e-Surat", [
            Recipient(kind='internal', position=p_kadisdik)])
    return created + 3


if __name__ == '__main__':
    run_demo('esurat_signing', __doc__.splitlines()[0], populate)
