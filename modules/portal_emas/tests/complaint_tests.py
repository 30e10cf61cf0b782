# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Complaints and public information: who must not see a complaint, the
reporter hidden from the agency, drafts kept off the public pages, and
disguised photos refused."""
import datetime
from io import BytesIO

from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.esurat_base.tests.tools import (
    as_user, create_org, create_users, image_bytes, load_indonesian, pdf_bytes)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction


def portal_group(xml_id):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    return ModelData.get_id('portal_emas', xml_id)


def add_portal_group(users, xml_id):
    pool = Pool()
    User = pool.get('res.user')
    User.write(list(users), {'groups': [('add', [portal_group(xml_id)])]})


def complaint_values(**values):
    pool = Pool()
    Complaint = pool.get('portal.complaint')
    (category, _), *_ = Complaint.public_categories()
    return {
        'category': category, 'subject': "Jalan berlubang",
        'description': "Lubang besar di depan SD Negeri 3.",
        'location': "Jl. Merdeka 12", 'anonymous': True,
        'name': "Budi Santoso", 'phone': '081234567890', 'email': '',
        **values}


class ComplaintTestMixin:

    @with_transaction()
    def test_complaint_confidential(self):
        "Only the coordinator and the disposed agency's handlers see it"
        pool = Pool()
        Complaint = pool.get('portal.complaint')
        Event = pool.get('portal.complaint.event')
        Monitor = pool.get('portal.complaint.monitor')
        org = create_org()
        coordinator, handler, other_handler, area_head, staff = create_users(
            ('koordinator', "Koordinator", org.setda, []),
            ('penangan_kominfo', "Penangan Kominfo", org.kominfo, []),
            ('penangan_dinkes', "Penangan Dinkes", org.dinkes, []),
            ('ketua_rt', "Ketua RT 001", None, []),
            ('petugas', "Petugas Layanan", org.kominfo, []))
        add_portal_group([coordinator], 'group_portal_coordinator')
        add_portal_group([handler, other_handler], 'group_portal_handler')
        add_portal_group([area_head], 'group_portal_area_head')
        add_portal_group([staff], 'group_portal_staff')
        complaint, _ = Complaint.public_submit(complaint_values())

        def assert_invisible(user):
            with as_user(user):
                for call in [
                        lambda: Complaint.search([]),
                        lambda: Complaint.search_count([]),
                        lambda: Event.search([]),
                        ]:
                    try:
                        self.assertFalse(call())
                    except AccessError:
                        pass
                for call in [
                        lambda: Complaint.read([complaint.id], ['subject']),
                        lambda: Complaint.export_data(
                            [Complaint(complaint.id)], ['subject']),
                        ]:
                    with self.assertRaises(AccessError):
                        call()

        with as_user(coordinator):
            Complaint.verify([Complaint(complaint.id)])
        # Not yet disposed: no agency sees it
        assert_invisible(handler)
        with Transaction().set_user(coordinator.id):
            Complaint.dispose_to([complaint], org.kominfo)

        for user in [area_head, staff, other_handler]:
            with self.subTest(user=user.login):
                assert_invisible(user)
        with as_user(handler):
            self.assertEqual(Complaint.search([]), [complaint])
            self.assertEqual(Complaint.search_count([]), 1)
            record, = Complaint.read(
                [complaint.id], ['subject', 'reporter', 'reporter_contact'])
            self.assertEqual(record['reporter'], "Anonymous")
            self.assertEqual(record['reporter_contact'], "Anonymous")
            for call in [
                    lambda: Complaint.read([complaint.id], ['reporter_name']),
                    lambda: Complaint.read([complaint.id], ['reporter_phone']),
                    lambda: Complaint.search(
                        [('reporter_name', 'ilike', '%Budi%')]),
                    lambda: Complaint.export_data(
                        [Complaint(complaint.id)], ['reporter_email']),
                    lambda: Complaint.search(
                        [], order=[('reporter_name', 'ASC')]),
                    ]:
                with self.assertRaises(AccessError):
                    call()
        with as_user(coordinator):
            record, = Complaint.read([complaint.id], ['reporter_name'])
            self.assertEqual(record['reporter_name'], "Budi Santoso")

        # Late answers show in the monitoring, for the coordinator only
        Complaint.write([complaint], {'due_date': datetime.date(2020, 1, 6)})
        with as_user(coordinator):
            self.assertEqual(
                Complaint.search([('overdue', '=', True)]), [complaint])
            row, = Monitor.search([])
            self.assertEqual(
                (row.agency, row.waiting, row.overdue, row.total),
                (org.kominfo, 1, 1, 1))
            self.assertIsNone(row.median_days, "nothing answered yet")
        # The median time from disposal to answer, in days
        disposed_at = Complaint(complaint.id).disposed_at
        Complaint.write([complaint], {
                'answered_at': disposed_at + datetime.timedelta(days=2)})
        with as_user(coordinator):
            row, = Monitor.search([])
            self.assertEqual(row.median_days, 2.0)
        with as_user(handler), self.assertRaises(AccessError):
            Monitor.search([])

    @with_transaction()
    def test_complaint_photo_refused(self):
        "A disguised photo is refused in Indonesian and nothing is stored"
        pool = Pool()
        Complaint = pool.get('portal.complaint')
        load_indonesian()
        broken = image_bytes('JPEG')[:200]
        with Transaction().set_context(language='id'):
            for data in [pdf_bytes(), b'MZ\x90\x00 not a photo', broken]:
                with self.subTest(data=data[:8]):
                    with self.assertRaises(UserError) as cm:
                        Complaint.public_submit(
                            complaint_values(), ('foto.jpg', data))
                    self.assertIn("foto", cm.exception.message)
                    self.assertRegex(
                        cm.exception.message, r'bukan (jenis|gambar)')
        self.assertEqual(Complaint.search_count([]), 0)

        # A phone photo is stored shrunk, without its metadata
        from PIL import Image
        image = Image.new('RGB', (3200, 2400), 'green')
        exif = Image.Exif()
        exif[0x010f] = "Kamera Pelapor"
        photo = BytesIO()
        image.save(photo, 'JPEG', exif=exif)
        complaint, _ = Complaint.public_submit(
            complaint_values(), ('IMG_0001.JPG', photo.getvalue()))
        stored = Image.open(BytesIO(complaint.photo))
        self.assertEqual(stored.size, (1600, 1200))
        self.assertFalse(stored.getexif())
        self.assertEqual(complaint.photo_name, 'IMG_0001.jpg')
        with Transaction().set_context(language='id'):
            self.assertEqual(Complaint(complaint.id).reporter, "Anonim")

    @with_transaction()
    def test_information_public(self):
        "Drafts and withdrawn items never reach the public API"
        pool = Pool()
        Information = pool.get('portal.information')
        org = create_org()
        publisher, reader = create_users(
            ('ppid', "PPID", org.kominfo, []),
            ('pembaca', "Pembaca", org.kominfo, ['group_esurat_staff']))
        add_portal_group([publisher], 'group_portal_publisher')
        with as_user(publisher):
            item, = Information.create([{
                        'title': "Laporan Keuangan 2025",
                        'category': 'berkala',
                        'body': "Ringkasan laporan keuangan.",
                        'unit': org.kominfo.id,
                        'attachments': [('create', [{
                                        'name': 'laporan',
                                        'data': pdf_bytes(),
                                        }])],
                        }])
        attachment, = item.attachments
        self.assertEqual(attachment.name, 'laporan.pdf')

        def public():
            return (
                [i['id'] for i in Information.public_list()],
                Information.public_get(item.id),
                Information.public_attachment(item.id, attachment.id))
        self.assertEqual(public(), ([], None, None))
        with as_user(reader):
            self.assertEqual(Information.search([]), [])

        with as_user(publisher):
            Information.publish([item])
        ids, info, (name, mimetype, data) = public()
        self.assertEqual(ids, [item.id])
        self.assertEqual(info['attachments'][0]['id'], attachment.id)
        self.assertEqual((name, mimetype), ('laporan.pdf', 'application/pdf'))
        with as_user(reader):
            self.assertEqual(Information.search([]), [item])

        with as_user(publisher):
            Information.withdraw([item])
        self.assertEqual(public(), ([], None, None))
