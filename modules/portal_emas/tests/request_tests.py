# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The citizen requests' unit tests (mixed into the module's test case)
and the organisation they share: a Kecamatan with a Kelurahan, its RW and
two RT with their heads, the Lurah and the Camat as service staff."""
import datetime
import hashlib
import json
import os
import tempfile
from io import BytesIO

from PIL import Image

from trytond import config
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.esurat_base.tests.tools import (
    as_user, create_org, create_position, image_bytes, load_indonesian,
    pdf_bytes, read_form, run_queue)
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction

NIK = '3201014501900002'


def portal_group(xml_id):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    return ModelData.get_id('portal_emas', xml_id)


def create_portal_org():
    """create_org with Kecamatan Sukamaju and its Kelurahan Sukamaju (RW
    001 with RT 001 and 002, each with its head), the Camat and the Lurah
    as service staff, and the Kepala Dinas Kesehatan as staff of an OPD"""
    pool = Pool()
    Area = pool.get('portal.area')
    Unit = pool.get('esurat.unit')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    org = create_org()
    org.kecamatan = Unit(
        name="Kecamatan Sukamaju", short_name="Kec. Sukamaju",
        code='KEC.SKM', kind='kecamatan', parent=org.pemda, city="Sukamaju")
    org.kecamatan.save()
    org.kelurahan = Unit(
        name="Kelurahan Sukamaju", short_name="Kel. Sukamaju",
        code='KEL.SKM', kind='kelurahan', parent=org.kecamatan)
    org.kelurahan.save()
    official = ModelData.get_id('esurat_base', 'group_esurat_official')
    head, staff = (portal_group('group_portal_area_head'),
        portal_group('group_portal_staff'))
    users = [
        User(login=login, name=name, groups=groups, email=email)
        for login, name, groups, email in [
            ('rt1', "Ketua RT 001", [head], 'rt1@example.com'),
            ('rt2', "Ketua RT 002", [head], None),
            ('rw1', "Ketua RW 001", [head], None),
            ('lurah', "Lurah Sukamaju", [official, staff], None),
            ('camat', "Camat Sukamaju", [official, staff], None),
            ]]
    User.save(users)
    org.u_rt, org.u_rt2, org.u_rw, org.u_lurah, org.u_camat = users
    org.u_kadinkes.groups += (staff,)
    org.u_kadinkes.save()
    org.p_camat = create_position(
        "Camat Sukamaju", org.kecamatan, 'agency_head', org.p_sekda,
        org.u_camat)
    org.p_lurah = create_position(
        "Lurah Sukamaju", org.kelurahan, 'agency_head', org.p_camat,
        org.u_lurah)
    org.rw = Area(
        kind='rw', number='001', kelurahan=org.kelurahan, head=org.u_rw)
    org.rw.save()
    org.rt, org.rt2 = Area.create([{
                'kind': 'rt', 'number': number, 'kelurahan': org.kelurahan,
                'parent': org.rw.id, 'head': user.id,
                } for number, user in [('001', org.u_rt), ('002', org.u_rt2)]])
    return org


def domisili():
    pool = Pool()
    Service = pool.get('portal.service')
    ModelData = pool.get('ir.model.data')
    return Service(ModelData.get_id('portal_emas', 'service_domisili'))


def citizen(org, **values):
    return {
        'nik': NIK, 'name': "Siti Aminah", 'address': "Jl. Melati No. 5",
        'area': org.rt.id, 'phone': '0812 3456 7890',
        'email': 'siti@example.com', **values}


def documents(service, **replaced):
    "A KTP photo and a KK PDF for the requirements of service"
    ktp, kk = service.requirements[:2]
    files = {
        ktp.id: ('ktp.jpg', image_bytes('JPEG', size=(2400, 1800))),
        kk.id: ('kk.pdf', pdf_bytes()),
        }
    files.update(replaced)
    return files


DATA = {'keperluan': "Pembukaan rekening bank", 'lama_tinggal': '5'}


class RequestTestMixin:
    "Citizen requests: what the public API refuses, who sees and acts"

    @with_transaction(user=0)
    def test_wizards(self):
        "Wizards are well defined (as root: their groups are the portal's)"
        super().test_wizards.__wrapped__(self)

    def submit(self, org, **citizen_values):
        pool = Pool()
        Request = pool.get('portal.request')
        service = domisili()
        return Request.public_submit(
            service, citizen(org, **citizen_values), DATA,
            documents(service))

    @with_transaction()
    def test_request_refused(self):
        "Bad input is refused in Indonesian and nothing is stored"
        pool = Pool()
        Request = pool.get('portal.request')
        Document = pool.get('portal.request.document')
        org = create_portal_org()
        load_indonesian()
        service = domisili()
        ktp, kk = service.requirements[:2]
        kk.accepted = 'pdf'
        kk.save()
        disguised = ('ktp.jpg', b'MZ\x90\x00 not a photo' * 10)
        oversized = ('kk.pdf', b'%PDF-1.4\n' + b'0' * (5 * 1024 * 1024))
        cases = [
            ("NIK harus 16 angka", citizen(org, nik='12345'), DATA,
                documents(service)),
            ("NIK harus 16 angka", citizen(org, nik='3201019901900002'),
                DATA, documents(service)),
            ("Nomor HP/WhatsApp", citizen(org, phone='12345'), DATA,
                documents(service)),
            ("Pilih RT/RW", citizen(org, area=org.rw.id), DATA,
                documents(service)),
            ('"Keperluan" wajib diisi', citizen(org),
                {'lama_tinggal': '5'}, documents(service)),
            ('"Lama tinggal (tahun)" tidak valid', citizen(org),
                {**DATA, 'lama_tinggal': 'lima'}, documents(service)),
            ("wajib diunggah", citizen(org), DATA,
                {ktp.id: documents(service)[ktp.id]}),
            ("PDF", citizen(org), DATA, documents(service, **{
                        str(kk.id): ('kk.png', image_bytes())})),
            ("ktp", citizen(org), DATA, {
                    **documents(service), ktp.id: disguised}),
            ("terlalu besar", citizen(org), DATA, {
                    **documents(service), kk.id: oversized}),
            ]
        for expected, values, data, files in cases:
            with self.subTest(expected=expected), \
                    Transaction().set_context(language='id'):
                with self.assertRaises(UserError) as context:
                    Request.public_submit(service, values, data, files)
                self.assertIn(expected, context.exception.message)
        self.assertEqual(Request.search([]), [])
        self.assertEqual(Document.search([]), [])

        # A choice and a date are checked and kept typed
        ModelData = pool.get('ir.model.data')
        Service = pool.get('portal.service')
        birth = Service(ModelData.get_id(
                'portal_emas', 'service_kelahiran_kematian'))
        files = {r.id: ('surat.pdf', pdf_bytes()) for r in birth.requirements}
        data = {
            'peristiwa': 'kelahiran', 'nama_bersangkutan': "Putri",
            'tanggal': '01-12-2026', 'tempat': "RSUD Sukamaju"}
        with Transaction().set_context(language='id'):
            with self.assertRaises(UserError) as context:
                Request.public_submit(
                    birth, citizen(org), {**data, 'peristiwa': 'lahir'},
                    files)
            self.assertIn('"Peristiwa" tidak valid', context.exception.message)
            request, _ = Request.public_submit(
                birth, citizen(org), data, files)
        self.assertEqual(request.data['tanggal'], datetime.date(2026, 12, 1))
        self.assertIn("Tanggal peristiwa: 01-12-2026", request.data_text)

    @with_transaction()
    def test_request_access(self):
        """Only the stage's people see and act on a request: not another
        RT's head, not another OPD, not a plain official"""
        pool = Pool()
        Request = pool.get('portal.request')
        Step = pool.get('portal.request.step')
        org = create_portal_org()
        request, token = self.submit(org)
        photo, = [d for d in request.documents if d.mimetype == 'image/jpeg']
        # The 2400 px photo of a phone is kept at 1600 px
        self.assertEqual(Image.open(BytesIO(photo.data)).size, (1600, 1200))

        def refused(user):
            with as_user(user):
                try:
                    found = Request.search([])
                except AccessError:
                    found = []
                self.assertEqual(found, [])
                with self.assertRaises(AccessError):
                    Request.read([request.id], ['name'])
                with self.assertRaises(AccessError):
                    Step.read([s.id for s in request.steps], ['note'])
                with self.assertRaises(AccessError):
                    Request.approve([Request(request.id)])
                with self.assertRaises(UserError):
                    Request.send_back([Request(request.id)], "Kurang")

        for user in [org.u_rt2, org.u_kadis, org.u_kadinkes, org.u_lurah]:
            with self.subTest(user=user.login):
                refused(user)
        with as_user(org.u_rt):
            mine, = Request.search([('to_act', '=', True)])
            self.assertEqual(mine, request)
            Request.approve([mine])
            # Seen after acting, no longer waiting for them
            self.assertEqual(Request.search([('to_act', '=', True)]), [])
            with self.assertRaises(UserError):
                Request.approve([Request(request.id)])
        with as_user(org.u_rw):
            Request.approve([Request(request.id)])
        with as_user(org.u_lurah):
            self.assertEqual(
                Request.search([('to_act', '=', True)]), [request])
        # The forms open for each of them (they show nothing they may not
        # read: no outgoing or incoming letter)
        for user in [org.u_rt, org.u_rw, org.u_lurah]:
            with self.subTest(user=user.login), as_user(user):
                read_form(Request, [request.id])
                read_form(Step, [s.id for s in request.steps])
        refused(org.u_rt2)
        request = Request(request.id)
        self.assertEqual(
            [(s.kind, s.state, s.acted_by) for s in request.steps], [
                ('rt', 'approved', org.u_rt),
                ('rw', 'approved', org.u_rw),
                ('kelurahan', 'waiting', None)])
        self.assertTrue(request.steps[0].acted_as.endswith(
                "RT 001 / RW 001, Kel. Sukamaju"))

        # Monitoring per stage and place: the Lurah sees his Kelurahan's
        # stages, the Camat those of the Kelurahan under him; another
        # OPD's staff nothing, an RT head not even the list
        Monitor = pool.get('portal.request.monitor')
        # In the order of the route
        expected = [
            ('rt', org.kelurahan.id, 0, 1, 1),
            ('rw', org.kelurahan.id, 0, 1, 1),
            ('kelurahan', org.kelurahan.id, 1, 0, 1),
            ]
        for user in [org.u_lurah, org.u_camat]:
            with self.subTest(user=user.login), as_user(user):
                rows = Monitor.search([], order=[('kind', 'ASC')])
                self.assertEqual([
                        (r.kind, r.unit.id, r.waiting, r.approved, r.total)
                        for r in rows], expected)
                self.assertGreaterEqual(rows[0].median_hours, 0)
                self.assertIsNone(rows[2].median_hours)
        with as_user(org.u_kadinkes):
            self.assertEqual(Monitor.search([]), [])
        with as_user(org.u_rt), self.assertRaises(AccessError):
            Monitor.search([])

    @with_transaction()
    def test_request_lookup(self):
        """The link's token and the number with the NIK find the request;
        anything else finds nothing; the token is not stored"""
        pool = Pool()
        Request = pool.get('portal.request')
        org = create_portal_org()
        request, token = self.submit(org)
        self.assertRegex(request.number, r'^PE-\d{4}-000001$')
        self.assertEqual(Request.from_token(token), request)
        self.assertEqual(Request.from_number(request.number, NIK), request)
        for number, nik in [
                (request.number, '3201014501900003'),
                (request.number, ''),
                ('PE-2026-000002', NIK)]:
            self.assertIsNone(Request.from_number(number, nik))
        for guess in [token[:-1], token.upper(), '', None]:
            self.assertIsNone(Request.from_token(guess))
        self.assertEqual(
            request.token_hash, hashlib.sha256(token.encode()).hexdigest())
        table = Request.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select())
        self.assertNotIn(token, repr(cursor.fetchall()))

        # The RT head rejects it with a reason the citizen reads
        with as_user(org.u_rt):
            with self.assertRaises(UserError):
                Request.reject_with([Request(request.id)], "  ")
            Request.reject_with([Request(request.id)], "Bukan warga RT 001")
        info = Request.from_token(token).public_info()
        self.assertEqual(info['state'], 'rejected')
        self.assertEqual(
            [(s['state'], s['note']) for s in info['steps']],
            [('rejected', "Bukan warga RT 001")])
        self.assertFalse(info['signed'])
        self.assertIsNone(Request(request.id).public_signed_pdf())

    @with_transaction()
    def test_request_messages(self):
        """The citizen is told by email and through the messenger, staff in
        the client and by email"""
        pool = Pool()
        Holiday = pool.get('esurat.holiday')
        Mail = pool.get('esurat.mail')
        Request = pool.get('portal.request')
        org = create_portal_org()
        # Ten days off ahead: the service level counts past them
        today = datetime.date.today()
        Holiday.create([{
                    'date': today + datetime.timedelta(days=n),
                    'name': "Cuti Bersama"} for n in range(1, 11)])
        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, 'sink.jsonl')
            if not config.has_section('portal_emas'):
                config.add_section('portal_emas')
            config.set('portal_emas', 'message_sink', path)
            try:
                request, _ = self.submit(org)
                run_queue()
            finally:
                config.set('portal_emas', 'message_sink', '')
            with open(path, encoding='utf-8') as sink:
                lines = [json.loads(line) for line in sink]
        self.assertGreater(
            request.due_date, today + datetime.timedelta(days=10))
        self.assertEqual(request.due_date, Holiday.add_working_days(
                today, request.service.service_level))
        self.assertEqual([line['to'] for line in lines], ['081234567890'])
        self.assertIn(request.number, lines[0]['text'])
        self.assertIn('/portal/lacak', lines[0]['text'])
        mails = {m.to: m for m in Mail.search([])}
        self.assertIn('siti@example.com', mails)
        self.assertIn(request.number, mails['siti@example.com'].body)
        # The RT head has an address: told there too
        self.assertIn(request.number, mails['rt1@example.com'].subject)

        # Past its service level the RT head is told once
        Request.write([request], {
                'due_date': datetime.date.today()
                - datetime.timedelta(days=1)})
        for _ in range(2):
            Request.notify_overdue()
        overdue = [m for m in Mail.search([('to', '=', 'rt1@example.com')])
            if 'service level' in m.subject]
        self.assertEqual(len(overdue), 1)
        self.assertEqual(Request.search([('overdue', '=', True)]), [request])
