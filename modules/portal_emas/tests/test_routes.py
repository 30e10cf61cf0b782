# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public pages as a citizen's browser (and a hostile client) gets
them, through trytond's WSGI application, on one committed database"""
import datetime
import html
import re
import secrets
from io import BytesIO

from trytond.modules.esurat_base.ratelimit import RateLimiter
from trytond.modules.esurat_base.tests.tools import (
    image_bytes, load_indonesian, pdf_bytes)
from trytond.modules.esurat_base.tools import run_committed
from trytond.modules.esurat_signing.tests.tools import configure_signing
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus
from trytond.tests.test_tryton import (
    DB_NAME, Client, TestCase, activate_module, drop_db)
from trytond.wsgi import app

from .. import routes
from .request_tests import NIK, create_portal_org

BASE = f'/{DB_NAME}/portal/'
PHONE = f'/{DB_NAME}/m/'
PASSWORD = 'sandi-uji-2026'
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
TOKEN = re.compile(r'name="formulir" value="([^"]+)"')


def _count(model, domain=None):
    def count():
        return Pool().get(model).search_count(domain or [])
    return run_committed(DB_NAME, count)


class PortalPagesTestCase(TestCase):
    "The public pages of Portal Emas"

    @classmethod
    def setUpClass(cls):
        configure_signing()
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        activate_module(['esurat_mobile', 'portal_emas'])
        run_committed(DB_NAME, cls._create_data)

    @classmethod
    def _create_data(cls):
        pool = Pool()
        Service = pool.get('portal.service')
        Information = pool.get('portal.information')
        User = pool.get('res.user')
        load_indonesian()
        org = create_portal_org()
        for user in [org.u_rt, org.u_rt2]:
            user.password = PASSWORD
        User.save([org.u_rt, org.u_rt2])
        cls.rt = org.rt.id
        service, = Service.search([('code', '=', 'domisili')])
        cls.requirements = [r.id for r in service.requirements]
        cls.fields = {f.name: f for f in service.data_fields}
        yesterday = datetime.date.today() - datetime.timedelta(days=1)
        titles = ["Laporan Keuangan 2025", "Rancangan APBD"]
        published, draft = Information.create([{
                    'title': title, 'category': 'berkala',
                    'unit': org.kominfo, 'summary': "Ringkasan",
                    'body': "Isi informasi", 'publish_date': yesterday,
                    } for title in titles])
        Information.publish([published])
        cls.published, cls.draft = published.id, draft.id

    def setUp(self):
        super().setUp()
        # Each test starts with clean counts for the test client's address
        routes.PAGES.reset()
        routes.POSTS.reset()
        self.client = Client(app)

    def page(self, response, status=HTTPStatus.OK):
        body = response.get_data(as_text=True)
        error = re.search(r'id="(?:error|message)"[^>]*>(.*?)</p>', body)
        self.assertEqual(response.status_code, status,
            error.group(1) if error else body[-2000:])
        if (response.mimetype == 'text/html'
                and status != HTTPStatus.SEE_OTHER):
            self.assertLess(len(response.get_data()), 100 * 1024)
            self.assertIn("default-src 'none'",
                response.headers['Content-Security-Policy'])
            self.assertNotIn('<script', body)
            self.assertNotIn('Traceback', body)
        return html.unescape(body)

    def form(self, path):
        "The token of the form of the page at path"
        return TOKEN.search(self.page(self.client.get(BASE + path))).group(1)

    def citizen(self, **values):
        return {
            'nik': NIK, 'name': "Siti Aminah",
            'address': "Jl. Melati No. 5", 'area': str(self.rt),
            'phone': '0812 3456 7890', 'email': 'siti@example.com',
            'isian_keperluan': "Pembukaan rekening bank",
            'isian_lama_tinggal': '5', **values}

    def files(self, ktp=None, kk=None):
        ktp_id, kk_id = self.requirements[:2]
        return {
            f'dokumen_{ktp_id}': ktp or (
                BytesIO(image_bytes('JPEG', size=(2400, 1800))), 'ktp.jpg'),
            f'dokumen_{kk_id}': kk or (BytesIO(pdf_bytes()), 'kk.pdf'),
            }

    def submit(self, token=None, files=None, **values):
        token = token or self.form('layanan/domisili/ajukan')
        return self.client.post(BASE + 'layanan/domisili/ajukan', data={
                'formulir': token, **self.citizen(**values),
                **(files or self.files())})

    def requests(self):
        return _count('portal.request')

    def test_submit_and_track(self):
        """A citizen submits with a phone photo, opens the link, and finds
        the request again by number and NIK; a wrong NIK shows nothing"""
        home = self.page(self.client.get(BASE))
        self.assertIn("Surat Keterangan Domisili", home)
        self.assertIn("Laporan Keuangan 2025", home)
        self.assertIn("Ajukan permohonan",
            self.page(self.client.get(BASE + 'layanan/domisili')))
        before = self.requests()
        response = self.submit()
        self.page(response, HTTPStatus.SEE_OTHER)
        link = response.headers['Location']
        token = re.search(r'permohonan/([\w-]+)\?baru=1', link).group(1)
        self.assertEqual(self.requests(), before + 1)
        tracking = self.page(self.client.get(link))
        number = re.search(r'PE-\d{4}-\d{6}', tracking).group(0)
        self.assertIn("Permohonan terkirim", tracking)
        self.assertIn("Menunggu", tracking)
        self.assertIn("RT 001", tracking)

        lookup = self.page(self.client.post(BASE + 'lacak', data={
                    'formulir': self.form('lacak'), 'nomor': number,
                    'nik': NIK}))
        self.assertIn(f"Permohonan {number}", lookup)
        self.assertNotIn(token, lookup, "the link is never given out")
        wrong = self.page(self.client.post(BASE + 'lacak', data={
                    'formulir': self.form('lacak'), 'nomor': number,
                    'nik': '3201014501900003'}), HTTPStatus.NOT_FOUND)
        self.assertIn("Tidak ada permohonan dengan nomor dan NIK tersebut",
            wrong)
        self.assertNotIn("Tahapan", wrong)
        self.assertNotIn("Siti", wrong)

    def test_replayed_and_forged_forms_refused(self):
        "A form sent twice, or without this browser's token, stores nothing"
        token = self.form('layanan/domisili/ajukan')
        self.page(self.submit(token), HTTPStatus.SEE_OTHER)
        before = self.requests()
        replayed = self.page(self.submit(token), HTTPStatus.FORBIDDEN)
        self.assertIn("Formulir ini sudah pernah dikirim", replayed)
        self.assertIn('value="Siti Aminah"', replayed, "the form is refilled")
        # Another site's page posts with the victim's cookie but cannot
        # read a token; a client without the cookie has none that counts
        forged = Client(app)
        for client, sent in [
                (self.client, secrets.token_urlsafe(24)),
                (forged, token), (forged, self.form('lacak'))]:
            self.client, own = client, self.client
            self.page(self.submit(sent), HTTPStatus.FORBIDDEN)
            self.client = own
        self.assertEqual(self.requests(), before)

    def test_bad_input_refused(self):
        """A bad NIK, a disguised or oversized upload: an Indonesian
        message, the form filled in again, nothing stored"""
        pool_before = (self.requests(), _count('portal.request.document'))
        bad_nik = self.page(self.submit(nik='12345'), HTTPStatus.BAD_REQUEST)
        self.assertIn("NIK harus 16 angka", bad_nik)
        self.assertIn('>Jl. Melati No. 5</textarea>', bad_nik)
        self.assertIn("Pilih ulang berkasnya", bad_nik)
        disguised = self.page(self.submit(files=self.files(
                    ktp=(BytesIO(b'MZ\x90\x00' + b'\0' * 4000), 'ktp.jpg'))),
            HTTPStatus.BAD_REQUEST)
        self.assertIn("ktp.jpg", disguised)
        too_big = self.page(self.submit(files=self.files(
                    kk=(BytesIO(b'%PDF-1.4\n' + b'0' * (6 * 1024 * 1024)),
                        'kk.pdf'))), HTTPStatus.BAD_REQUEST)
        self.assertIn("5 MB", too_big)
        request_too_big = self.page(self.submit(files=self.files(
                    kk=(BytesIO(b'0' * (routes.MAX_REQUEST + 1)), 'kk.pdf'))),
            HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
        self.assertIn("terlalu besar", request_too_big)
        self.assertEqual(
            (self.requests(), _count('portal.request.document')),
            pool_before)

    def test_flood_refused_across_processes(self):
        """An address flooding the pages through several server processes
        is refused in Indonesian; a forged X-Forwarded-For does not help"""
        address = '203.0.113.5'
        # Another process of the same database has served the address
        other_process = RateLimiter(
            routes.PAGES.limit, period=routes.PAGES.period,
            name=routes.PAGES.name)
        run_committed(DB_NAME, lambda: [
                other_process.allow(address)
                for _ in range(routes.PAGES.limit)])
        for headers in [{}, {'X-Forwarded-For': '198.51.100.77'}]:
            refused = self.client.get(BASE, headers=headers,
                environ_base={'REMOTE_ADDR': address})
            page = self.page(refused, HTTPStatus.TOO_MANY_REQUESTS)
            self.assertIn("Terlalu banyak permintaan dari alamat Anda", page)
            self.assertEqual(refused.headers['Retry-After'], '60')
            self.assertNotIn("Surat Keterangan Domisili", page)
        self.page(self.client.get(
                BASE, environ_base={'REMOTE_ADDR': '203.0.113.6'}))

    def test_tokens_not_guessable(self):
        "Links of the same shape as real ones open nothing"
        self.page(self.submit(), HTTPStatus.SEE_OTHER)
        guess = secrets.token_urlsafe(32)
        for path in [
                f'permohonan/{guess}', f'permohonan/{guess}/lengkapi',
                f'permohonan/{guess}/surat.pdf', f'pengaduan/{guess}',
                'permohonan/PE-2026-000001', 'pengaduan/PG-2026-000001']:
            self.page(self.client.get(BASE + path), HTTPStatus.NOT_FOUND)

    def test_information(self):
        "Published information is listed and shown; a draft is not"
        listed = self.page(self.client.get(BASE + 'informasi'))
        self.assertIn("Laporan Keuangan 2025", listed)
        self.assertNotIn("Rancangan APBD", listed)
        self.assertIn("Isi informasi", self.page(
                self.client.get(BASE + f'informasi/{self.published}')))
        self.page(self.client.get(BASE + f'informasi/{self.draft}'),
            HTTPStatus.NOT_FOUND)
        self.page(self.client.get(
                BASE + f'informasi/{self.draft}/lampiran/1'),
            HTTPStatus.NOT_FOUND)
        check = self.client.get(BASE + 'cek-surat?nomor=1&tanggal=2026-01-02')
        self.assertEqual(check.headers['Location'],
            f'/{DB_NAME}/verify?nomor=1&tanggal=2026-01-02')

    def test_complaint(self):
        "An anonymous complaint with a photo, tracked by its link only"
        page = self.page(self.client.get(BASE + 'pengaduan'))
        category = re.search(
            r'<option value="(\d+)"', page.split('id="category"')[1]).group(1)
        response = self.client.post(BASE + 'pengaduan', data={
                'formulir': TOKEN.search(page).group(1),
                'category': category, 'subject': "Jalan berlubang",
                'description': "Lubang besar di depan sekolah",
                'anonymous': '1',
                'foto': (BytesIO(image_bytes('JPEG', size=(800, 600))),
                    'jalan.jpg')})
        self.page(response, HTTPStatus.SEE_OTHER)
        tracking = self.page(self.client.get(response.headers['Location']))
        self.assertRegex(tracking, r'Pengaduan PG-\d{4}-\d{6}')
        self.assertIn("Jalan berlubang", tracking)

    def phone(self, login):
        "A phone logged in the app as login"
        client = Client(app)
        page = client.get(PHONE + 'masuk').get_data(as_text=True)
        response = client.post(PHONE + 'masuk', data={
                'login': login, 'password': PASSWORD,
                'csrf': CSRF.search(page).group(1)})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        return client

    def test_rt_head_acts_on_the_phone(self):
        """The RT head approves the request from the phone app; the head of
        another RT neither lists, opens nor approves it"""
        submitted = self.client.get(self.submit().headers['Location'])
        number = re.search(r'PE-\d{4}-\d{6}',
            submitted.get_data(as_text=True)).group(0)
        other = self.phone('rt2')
        other_queue = other.get(PHONE + 'permohonan').get_data(as_text=True)
        self.assertNotIn(number, other_queue)
        rt = self.phone('rt1')
        # The home page of an RT head, who holds no position, leads to the
        # requests waiting at the RT
        home = rt.get(PHONE).get_data(as_text=True)
        waiting = re.search(r'href="[^"]*/m/permohonan">'
            r'<b>(\d+)</b>permohonan warga menunggu saya', home)
        self.assertTrue(waiting, home)
        self.assertGreaterEqual(int(waiting.group(1)), 1)
        self.assertNotIn("tidak memegang jabatan", home)
        self.assertRegex(other.get(PHONE).get_data(as_text=True),
            r'<b>0</b>permohonan warga menunggu saya')
        queue = rt.get(PHONE + 'permohonan').get_data(as_text=True)
        self.assertIn(number, queue)
        request_id = re.search(
            r'permohonan/(\d+)">\s*<span class="subject">' + number,
            queue).group(1)
        self.assertEqual(other.get(
                PHONE + f'permohonan/{request_id}').status_code,
            HTTPStatus.NOT_FOUND)
        page = rt.get(PHONE + f'permohonan/{request_id}')
        self.assertIn("Setujui", page.get_data(as_text=True))
        csrf = CSRF.search(page.get_data(as_text=True)).group(1)
        self.assertEqual(other.post(
                PHONE + f'permohonan/{request_id}/setujui',
                data={'csrf': CSRF.search(other_queue).group(1)}
                ).status_code, HTTPStatus.NOT_FOUND)
        done = rt.post(PHONE + f'permohonan/{request_id}/setujui',
            data={'csrf': csrf})
        self.assertEqual(done.status_code, HTTPStatus.SEE_OTHER)
        after = rt.get(done.headers['Location']).get_data(as_text=True)
        self.assertIn(f"Permohonan {number} disetujui", after)
        self.assertNotIn(number, after.split('id="rows"')[1])

        def steps():
            Request = Pool().get('portal.request')
            request = Request(int(request_id))
            return [(s.kind, s.state) for s in request.steps]
        self.assertEqual(run_committed(DB_NAME, steps),
            [('rt', 'approved'), ('rw', 'waiting')])
