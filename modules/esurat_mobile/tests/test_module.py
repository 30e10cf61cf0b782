# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import html
import itertools
import re
import time
from io import BytesIO

from trytond import config
from trytond.modules.esurat_base.tests.tools import (
    SMTPServer, add_kasi, as_user, create_org, create_position, create_user,
    image_bytes, letter_values, load_indonesian, pdf_bytes, reference)
from trytond.modules.esurat_base.tools import public_url, run_committed
from trytond.modules.esurat_signing.tests.tools import (
    PASSPHRASE, OutgoingFlow, configure_signing, outgoing_values)
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus
from trytond.tests.test_tryton import (
    DB_NAME, Client, ModuleTestCase, TestCase, activate_module, drop_db)
from trytond.transaction import Transaction
from trytond.wsgi import app

PASSWORD = 'sandi-uji-2026'
BASE = f'/{DB_NAME}/m/'
NUMBERS = itertools.count(1)


class EsuratMobileTestCase(ModuleTestCase):
    "Test e-Surat mobile module"
    module = 'esurat_mobile'


def _letter(org, position, unit, files=(), **values):
    "A letter of unit registered and distributed to position"
    pool = Pool()
    Letter = pool.get('esurat.letter')
    values = letter_values(unit, [position],
        sender_number=f'B-{next(NUMBERS)}/UJI/2026', **values)
    if files:
        values['files'] = [('create', [
                    {'name': n, 'data': d} for n, d in files])]
    letter, = Letter.create([values])
    Letter.register([letter])
    Letter.distribute([letter])
    return letter


def _delivery(letter, position):
    pool = Pool()
    Disposition = pool.get('esurat.disposition')
    delivery, = Disposition.search([
            ('letter', '=', letter.id), ('kind', '=', 'delivery'),
            ('to_position', '=', position.id)])
    return delivery.id


class MobileAppTestCase(TestCase):
    """The phone app as an official's browser gets it, through trytond's
    WSGI application, on one committed database shared by the tests (each
    acts on letters of its own)"""

    @classmethod
    def setUpClass(cls):
        configure_signing()
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        activate_module(['esurat_mobile'])
        run_committed(DB_NAME, cls._create_data)

    @classmethod
    def _create_data(cls):
        pool = Pool()
        User = pool.get('res.user')
        Disposition = pool.get('esurat.disposition')
        load_indonesian()
        org = cls.org = add_kasi(create_org())
        org.u_yankes = create_user(
            'kabid_yankes', "Kabid Yankes", org.dinkes,
            ['group_esurat_official'])
        org.p_yankes = create_position(
            "Kepala Bidang Pelayanan Kesehatan", org.dinkes,
            'division_head', org.p_kadinkes, org.u_yankes)
        # The Kabid Yankes stands in for the Kepala Dinas Kesehatan
        pool.get('esurat.position.holding')(
            position=org.p_kadinkes, user=org.u_yankes, kind='plh',
            state='approved', reason='leave',
            start_date=datetime.date.today() - datetime.timedelta(days=1),
            end_date=datetime.date.today() + datetime.timedelta(days=5),
            ).save()
        org.u_throttled = create_user(
            'throttled', "Dicoba Terus", org.kominfo,
            ['group_esurat_official'])
        User.write(list(User.search([('login', '!=', 'admin')])),
            {'password': PASSWORD})
        cls.to_dispose = _delivery(_letter(
                org, org.p_kadis, org.kominfo,
                subject="Undangan rapat SPBE"), org.p_kadis)
        cls.to_report = _delivery(_letter(
                org, org.p_kadis, org.kominfo,
                subject="Permintaan data aplikasi"), org.p_kadis)
        with as_user(org.u_kadis):
            cls.report_item, = Disposition.send(
                Disposition(cls.to_report), [org.p_kabid])
            cls.report_item = cls.report_item.id
        secret = _letter(
            org, org.p_kabid, org.kominfo,
            files=[('audit.pdf', pdf_bytes(2, "Audit"))],
            subject="Audit keamanan rahasia",
            confidentiality=reference('confidentiality_secret'))
        cls.secret = _delivery(secret, org.p_kabid)
        attachment = pool.get('ir.attachment')(
            resource=secret, name='lampiran.pdf', type='data',
            data=pdf_bytes(1, "Lampiran"))
        attachment.save()
        cls.secret_attachment = attachment.id
        # A rahasia letter to the Kepala Dinas, disposed to the Kabid
        to_kadis = _letter(
            org, org.p_kadis, org.kominfo,
            files=[('nota.pdf', pdf_bytes(1, "Nota"))],
            subject="Nota dinas rahasia",
            confidentiality=reference('confidentiality_secret'))
        pool.get('ir.attachment')(
            resource=to_kadis, name='lampiran.pdf', type='data',
            data=pdf_bytes(1, "Lampiran")).save()
        with as_user(org.u_kadis):
            disposed, = Disposition.send(
                Disposition(_delivery(to_kadis, org.p_kadis)),
                [org.p_kabid])
        cls.secret_disposed = disposed.id
        cls.secret_disposed_file = to_kadis.files[0].id
        cls.secret_disposed_attachment, = [a.id for a in pool.get(
                'ir.attachment').search([('resource', '=', str(to_kadis))])]
        cls.secret_file = secret.files[0].id
        cls.to_recall = _delivery(_letter(
                org, org.p_kadis, org.kominfo,
                subject="Pemberitahuan jadwal"), org.p_kadis)
        flow = OutgoingFlow()
        flow.submit(org, flow.draft(org, subject="Edaran keamanan aplikasi"))
        cls.dinkes_item = _delivery(_letter(
                org, org.p_kadinkes, org.dinkes,
                subject="Laporan imunisasi"), org.p_kadinkes)
        cls._create_outgoing(org)

    @classmethod
    def _create_outgoing(cls, org):
        """Drafts of the Kasi waiting for the Kabid's initials, one of them
        edited by the Kabid; a letter of Dinkes waiting for the signature
        of its Kepala Dinas, whose Plh has a certificate"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Certificate = pool.get('esurat.signing.certificate')
        recipients = [('create', [
                    {'kind': 'internal', 'position': org.p_kadinkes.id}])]
        with as_user(org.u_kasi):
            to_initial, to_return, to_edit = Outgoing.create([
                    outgoing_values(org, org.p_kadis,
                        drafter=org.u_kasi.id, drafter_position=org.p_kasi.id,
                        subject=subject, recipients=recipients)
                    for subject in ["Undangan uji aplikasi",
                        "Permohonan data jaringan",
                        "Pemberitahuan pemeliharaan server"]])
            Outgoing.submit([to_initial, to_return, to_edit])
        with as_user(org.u_kabid):
            Outgoing.write([Outgoing(to_return.id)], {
                    'body': to_return.body.replace(
                        "mengundang Saudara", "meminta data Saudara")})
        cls.to_initial, cls.to_return = to_initial.id, to_return.id
        cls.to_edit = to_edit.id
        Certificate.issue(org.u_yankes, PASSPHRASE)
        with as_user(org.u_yankes):
            to_sign, = Outgoing.create([outgoing_values(org, org.p_kadinkes,
                        drafter=org.u_yankes.id,
                        drafter_position=org.p_yankes.id,
                        subject="Edaran kewaspadaan demam berdarah",
                        recipients=[('create', [{
                                        'kind': 'internal',
                                        'position': org.p_kadis.id}])])])
            Outgoing.submit([to_sign])
        cls.to_sign = to_sign.id

    # Helpers ----------------------------------------------------------

    def login(self, login, password=PASSWORD, client=None, **kwargs):
        "(client, response) after the login form was sent"
        client = client or Client(app)
        page = client.get(BASE + 'masuk', **kwargs).get_data(as_text=True)
        response = client.post(BASE + 'masuk', data={
                'csrf': self.token(page), 'login': login,
                'password': password}, **kwargs)
        return client, response

    def client(self, login):
        client, response = self.login(login)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        return client

    @staticmethod
    def token(page):
        return html.unescape(re.search(
                r'name="csrf" value="([^"]+)"', page)[1])

    def page(self, client, path, status=HTTPStatus.OK):
        response = client.get(BASE + path)
        self.assertEqual(response.status_code, status, path)
        if status == HTTPStatus.OK:
            self.assertIn(
                "default-src 'none'",
                response.headers['Content-Security-Policy'])
        return response.get_data(as_text=True)

    def post(self, client, path, data, token_from=''):
        "Send the form of path with the CSRF token of the page token_from"
        token = self.token(self.page(client, token_from))
        return client.post(BASE + path, data={'csrf': token, **data})

    @staticmethod
    def text(page):
        return ' '.join(html.unescape(re.sub(r'<[^>]+>', ' ', page)).split())

    # Login and session --------------------------------------------------

    def test_login_session_cookie(self):
        "Login sets an HttpOnly, SameSite=Lax cookie of the app's path"
        client, response = self.login('kadis_kominfo')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(response.headers['Location'], BASE)
        cookie, = [c for c in response.headers.getlist('Set-Cookie')
            if c.startswith('esurat_m=')]
        self.assertIn('HttpOnly', cookie)
        self.assertIn('SameSite=Lax', cookie)
        self.assertIn(f'Path={BASE}', cookie)
        self.assertNotIn('Secure', cookie)
        page = self.text(self.page(client, ''))
        self.assertIn("Kepala Dinas", page)
        self.assertIn("belum dibaca", page)

        _, response = self.login(
            'kadis_kominfo', base_url='https://localhost')
        cookie, = [c for c in response.headers.getlist('Set-Cookie')
            if c.startswith('esurat_m=')]
        self.assertIn('Secure', cookie)

    def test_logged_out_redirected(self):
        "Without a session, after logout or with a forged one: the login"
        client = Client(app)
        response = client.get(BASE + 'kotak?tab=unread')
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertTrue(response.headers['Location'].startswith(
                BASE + 'masuk?lanjut='))

        client = self.client('kabid_aptika')
        self.page(client, 'kotak')
        key = client.get_cookie('esurat_m', path=BASE).value.split(':')[1]

        def sessions():
            pool = Pool()
            Session = pool.get('ir.session')
            return Session.search_count([('key', '=', key)])
        self.assertEqual(run_committed(DB_NAME, sessions), 1)
        response = self.post(client, 'keluar', {})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(run_committed(DB_NAME, sessions), 0)
        self.page(client, 'kotak', status=HTTPStatus.SEE_OTHER)

        client.set_cookie(
            'esurat_m', f'{self.org.u_kabid.id}:{"0" * 64}',
            path=BASE)
        self.page(client, 'kotak', status=HTTPStatus.SEE_OTHER)

    def test_session_bound_to_address(self):
        "A session cookie sent from another address goes to the login"
        here = {'REMOTE_ADDR': '10.20.30.40'}
        client, response = self.login('kabid_aptika', environ_base=here)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(client.get(BASE, environ_base=here).status_code,
            HTTPStatus.OK)
        response = client.get(
            BASE + 'kotak', environ_base={'REMOTE_ADDR': '10.99.0.1'})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertTrue(response.headers['Location'].startswith(
                BASE + 'masuk'))

    def test_idle_session_expires(self):
        "A session left idle longer than [session] timeout ends"
        client = self.client('kasi')
        self.page(client, '')
        key = client.get_cookie('esurat_m', path=BASE).value.split(':')[1]

        def leave_idle():
            Session = Pool().get('ir.session')
            table = Session.__table__()
            idle = datetime.datetime.now() - datetime.timedelta(
                seconds=config.getint('session', 'timeout') + 60)
            cursor = Transaction().connection.cursor()
            cursor.execute(*table.update(
                    [table.create_date, table.write_date], [idle, idle],
                    where=table.key == key))
            Session._session_reset_cache.clear()
        run_committed(DB_NAME, leave_idle)
        self.page(client, '', status=HTTPStatus.SEE_OTHER)

    def test_csrf_refused(self):
        "A form without its token or with another session's is refused"
        kabid = self.client('kabid_aptika')
        other = self.client('kabid_aptika')
        path = f'item/{self.report_item}/mulai'
        self.assertEqual(
            kabid.post(BASE + path).status_code, HTTPStatus.FORBIDDEN)
        stolen = self.token(self.page(other, ''))
        self.assertEqual(
            kabid.post(BASE + path, data={'csrf': stolen}).status_code,
            HTTPStatus.FORBIDDEN)
        # The login form too
        client = Client(app)
        response = client.post(BASE + 'masuk', data={
                'login': 'kabid_aptika', 'password': PASSWORD})
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)

    def test_wrong_password_throttled(self):
        "Tryton's login attempts throttle the app's login"
        _, response = self.login('throttled', 'salah')
        self.assertEqual(response.status_code, HTTPStatus.UNAUTHORIZED)
        self.assertIn("kata sandi salah", response.get_data(as_text=True))

        def attempts():
            LoginAttempt = Pool().get('res.user.login.attempt')
            for _ in range(6):
                LoginAttempt.add('throttled')
        run_committed(DB_NAME, attempts,
            context={'_request': {'remote_addr': '127.0.0.1'}})
        _, response = self.login('throttled')
        self.assertEqual(
            response.status_code, HTTPStatus.TOO_MANY_REQUESTS)
        self.assertFalse([c for c in response.headers.getlist('Set-Cookie')
                if c.startswith('esurat_m=')])

    # Reading --------------------------------------------------------------

    def test_other_agency_gets_404(self):
        "Another agency's official opening a letter's URL gets a 404"
        client = self.client('kadis_kesehatan')
        page = self.page(
            client, f'item/{self.to_dispose}', status=HTTPStatus.NOT_FOUND)
        self.assertNotIn("Undangan rapat SPBE", page)
        self.page(client, f'item/{self.to_dispose}/disposisi',
            status=HTTPStatus.NOT_FOUND)
        self.page(client, f'berkas/{self.secret_file}/0.webp',
            status=HTTPStatus.NOT_FOUND)

    def test_rahasia_only_for_addressee(self):
        "A rahasia letter and its scan show only to its addressee"
        kabid = self.client('kabid_aptika')
        page = self.text(self.page(kabid, f'item/{self.secret}'))
        self.assertIn("Audit keamanan rahasia", page)
        self.assertIn(f'berkas/{self.secret_file}/1.webp',
            self.page(kabid, f'item/{self.secret}'))
        response = kabid.get(BASE + f'berkas/{self.secret_file}/0.webp')
        self.assertEqual(response.status_code, HTTPStatus.OK)
        self.assertEqual(response.data[8:12], b'WEBP')
        self.assertEqual(response.headers['Cache-Control'], 'no-store')
        self.assertIn("Audit keamanan rahasia", self.text(
                self.page(kabid, 'kotak?q=audit')))
        self.assertIn(f'lampiran/{self.secret_attachment}"',
            self.page(kabid, f'item/{self.secret}'))
        response = kabid.get(BASE + f'lampiran/{self.secret_attachment}')
        self.assertEqual(response.data[:5], b'%PDF-')

        # The agency's head, and its operator who registered it
        for login in ['kadis_kominfo', 'op_kominfo']:
            with self.subTest(login=login):
                client = self.client(login)
                page = self.page(client, f'item/{self.secret}',
                    status=HTTPStatus.NOT_FOUND)
                self.assertNotIn("Audit keamanan", page)
                self.page(client, f'berkas/{self.secret_file}/0.webp',
                    status=HTTPStatus.NOT_FOUND)
                self.page(client, f'lampiran/{self.secret_attachment}',
                    status=HTTPStatus.NOT_FOUND)
                self.assertNotIn("Audit keamanan",
                    self.page(client, 'kotak?q=audit'))

    def test_rahasia_disposed_along_the_tree(self):
        "A rahasia letter disposed on: its tree reads it, a neighbour not"
        kabid = self.client('kabid_aptika')
        page = self.page(kabid, f'item/{self.secret_disposed}')
        self.assertIn('<h1 id="subject">Nota dinas rahasia</h1>', page)
        self.assertIn(f'lampiran/{self.secret_disposed_attachment}"', page)
        self.assertEqual(kabid.get(
                BASE + f'lampiran/{self.secret_disposed_attachment}'
                ).data[:5], b'%PDF-')
        # The Kasi of the same Bidang, not on the letter's tree
        kasi = self.client('kasi')
        for path in [
                f'item/{self.secret_disposed}',
                f'berkas/{self.secret_disposed_file}/0.webp',
                f'berkas/{self.secret_disposed_file}',
                f'lampiran/{self.secret_disposed_attachment}']:
            with self.subTest(path=path):
                self.assertNotIn("Nota dinas", self.page(
                        kasi, path, status=HTTPStatus.NOT_FOUND))

    # Acting ------------------------------------------------------------

    def test_dispose_reaches_recipient(self):
        "The Kepala Dinas disposes from the app; the Kabid gets it"
        kadis = self.client('kadis_kominfo')
        path = f'item/{self.to_dispose}/disposisi'
        page = self.page(kadis, path)
        self.assertIn("Kepala Bidang Aptika", page)
        self.assertNotIn(f'value="{self.org.p_kadinkes.id}"', page)
        # Found by abbreviation and by the holder's name
        self.assertIn("Kepala Bidang Aptika",
            self.page(kadis, path + '?q=kabid+aptika'))
        self.assertIn("Kepala Seksi e-Gov",
            self.page(kadis, path + '?q=Kasi+e-Gov'))
        self.assertNotIn("Kepala Seksi",
            self.page(kadis, path + '?q=Kabid+Aptika'))

        # Outside the authority: refused, nothing sent
        response = self.post(kadis, path, {
                'kepada': self.org.p_kadinkes.id}, token_from=path)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertIn('class="flash error"', self.page(kadis, path))

        instruction = re.search(
            r'name="instruksi" value="(\d+)"><span>([^<]+)', page)
        deadline = (datetime.date.today()
            + datetime.timedelta(days=3)).isoformat()
        response = self.post(kadis, path, {
                'kepada': self.org.p_kabid.id,
                'instruksi': instruction[1],
                'catatan': "Hadiri dan laporkan",
                'tenggat': deadline}, token_from=path)
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertEqual(
            response.headers['Location'], BASE + f'item/{self.to_dispose}')
        page = self.text(self.page(kadis, f'item/{self.to_dispose}'))
        self.assertIn(
            "Disposisi terkirim ke Kepala Bidang Aptika", page)

        kabid = self.client('kabid_aptika')
        inbox = self.page(kabid, 'kotak?tab=unread&q=SPBE')
        item_id = re.search(r'item/(\d+)"', inbox)[1]
        self.assertIn('row unread', inbox)
        page = self.page(kabid, f'item/{item_id}')
        self.assertIn(f'<b>{html.escape(instruction[2])}</b>', page)
        self.assertIn("Hadiri dan laporkan", page)
        self.assertIn("Dibaca", self.text(page))
        # Read now: the Kepala Dinas can no longer recall it
        response = self.post(kadis, f'item/{item_id}/tarik',
            {'kembali': self.to_dispose})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        self.assertIn('class="flash error"',
            self.page(kadis, f'item/{self.to_dispose}'))
        self.assertIn("Dibaca", self.text(self.page(kabid, f'item/{item_id}')))

    def test_recall_while_unread(self):
        "The sender recalls an unread disposition; it leaves the inbox"
        kadis = self.client('kadis_kominfo')
        path = f'item/{self.to_recall}/disposisi'
        recall = re.compile(r'action="[^"]*item/(\d+)/tarik"')
        self.post(kadis, path, {'kepada': self.org.p_kasi.id}, path)
        to_kasi, = recall.findall(self.page(kadis, f'item/{self.to_recall}'))
        kasi = self.client('kasi')
        self.page(kasi, f'item/{to_kasi}')
        # Read now: no recall offered, and refused when sent anyway
        self.assertEqual(
            recall.findall(self.page(kadis, f'item/{self.to_recall}')), [])
        self.post(kadis, f'item/{to_kasi}/tarik',
            {'kembali': self.to_recall})
        self.assertIn('class="flash error"',
            self.page(kadis, f'item/{self.to_recall}'))

        self.post(kadis, path, {'kepada': self.org.p_staff.id}, path)
        to_staff, = recall.findall(
            self.page(kadis, f'item/{self.to_recall}'))
        response = self.post(kadis, f'item/{to_staff}/tarik',
            {'kembali': self.to_recall})
        self.assertEqual(
            response.headers['Location'], BASE + f'item/{self.to_recall}')
        self.assertIn("Disposisi kepada Pranata Komputer",
            self.text(self.page(kadis, f'item/{self.to_recall}')))
        staff = self.client('staf_aptika')
        self.page(staff, f'item/{to_staff}', status=HTTPStatus.NOT_FOUND)
        self.page(kasi, f'item/{to_kasi}')

    def test_report_done_with_photo(self):
        "The Kabid reports done with a photo; nobody else can"
        staff = self.client('staf_aptika')
        self.page(staff, f'item/{self.report_item}/selesai',
            status=HTTPStatus.NOT_FOUND)
        kabid = self.client('kabid_aptika')
        path = f'item/{self.report_item}/selesai'
        token = self.token(self.page(kabid, path))
        response = kabid.post(BASE + path, data={
                'csrf': token, 'laporan': "Data sudah dikirim",
                'berkas': (BytesIO(image_bytes()), 'foto.png',
                    'image/png')})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        page = self.text(self.page(kabid, f'item/{self.report_item}'))
        self.assertIn("Laporan terkirim", page)
        self.assertIn("Selesai", page)
        self.assertIn("Data sudah dikirim", page)
        response = kabid.get(BASE + f'laporan/{self.report_item}')
        self.assertEqual(response.data[:4], b'\x89PNG')
        # Done: neither reported again nor disposed on
        self.page(kabid, path, status=HTTPStatus.NOT_FOUND)
        self.page(kabid, f'item/{self.report_item}/disposisi',
            status=HTTPStatus.NOT_FOUND)

    def test_plh_switches_position(self):
        "A Plh sees the position acted as and switches to it"
        client = self.client('kabid_yankes')
        page = self.text(self.page(client, ''))
        self.assertIn("Plh. Kepala Dinas", page)
        self.assertIn("Kepala Bidang Pelayanan Kesehatan", page)
        response = self.post(client, 'jabatan', {
                'jabatan': self.org.p_kadinkes.id})
        self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
        inbox = self.page(client, 'kotak')
        self.assertIn('id="acting">Plh. Kepala Dinas', inbox)
        self.assertIn("Laporan imunisasi", inbox)
        # A position not held is ignored
        response = self.post(client, 'jabatan', {
                'jabatan': self.org.p_kadis.id})
        self.assertNotIn('id="acting"', self.page(client, 'kotak'))
        page = self.text(self.page(client, f'item/{self.dinkes_item}'))
        self.assertIn("Laporan imunisasi", page)

    def test_outgoing_waiting_for_initials(self):
        "The Kasi sees the draft waiting for his initials, and how long"
        client = self.client('kasi')
        home = self.page(client, '')
        self.assertRegex(self.text(home), r'1 menunggu paraf saya')
        page = self.text(self.page(client, 'konsep?tab=initial'))
        self.assertIn("Edaran keamanan aplikasi", page)
        self.assertIn("Menunggu 0 jam", page)
        self.assertNotIn("Edaran keamanan aplikasi",
            self.page(client, 'konsep?tab=sign'))
        self.assertNotIn("Edaran keamanan aplikasi",
            self.page(self.client('kadis_kesehatan'), 'konsep?tab=initial'))

    # Outgoing letters ----------------------------------------------------

    def test_initial_from_the_draft_page(self):
        "The Kabid reads the draft as it will print and initials it"
        kabid = self.client('kabid_aptika')
        self.assertIn(f'konsep/{self.to_initial}"',
            self.page(kabid, 'konsep?tab=initial'))
        path = f'konsep/{self.to_initial}'
        page = self.page(kabid, path)
        self.assertIn('action="' + BASE + path + '/paraf"', page)
        image = re.search(r'src="(' + BASE + path + r'/pratinjau/[^"]+)"',
            page)[1]
        response = kabid.get(image)
        self.assertEqual(response.data[8:12], b'WEBP')
        # Another agency's official: not found, nor its preview
        other = self.client('kadis_kesehatan')
        for url in [path, path + '/tandatangan', image]:
            with self.subTest(url=url):
                self.assertNotIn("Undangan uji", self.page(
                        other, url.removeprefix(BASE),
                        status=HTTPStatus.NOT_FOUND))
        self.assertEqual(self.post(other, path + '/paraf', {}).status_code,
            HTTPStatus.NOT_FOUND)

        response = self.post(kabid, path + '/paraf', {}, path)
        self.assertEqual(response.headers['Location'], BASE + path)
        page = self.text(self.page(kabid, path))
        self.assertIn(
            "Diparaf sebagai Kepala Bidang Aptika; konsep diteruskan", page)
        self.assertNotIn("Paraf Kembalikan", page)
        # Twice: refused by the server, in Indonesian
        self.post(kabid, path + '/paraf', {}, path)
        self.assertIn('class="flash error"', self.page(kabid, path))
        self.assertIn(f'konsep/{self.to_initial}"',
            self.page(self.client('kadis_kominfo'), 'konsep?tab=sign'))

    def test_return_with_note_shown_to_drafter(self):
        "A draft returned with a note: the Kasi reads it at the top"
        kabid = self.client('kabid_aptika')
        path = f'konsep/{self.to_return}'
        page = self.page(kabid, path)
        # The Kabid's edit, word by word
        self.assertIn('<del>mengundang</del>', page)
        self.assertIn('<ins>meminta data</ins>', page)
        self.post(kabid, path + '/kembalikan', {'catatan': ""}, path)
        self.assertIn("Tuliskan catatan", self.text(self.page(kabid, path)))
        response = self.post(kabid, path + '/kembalikan',
            {'catatan': "Lampirkan <daftar> perangkat"}, path)
        self.assertEqual(response.headers['Location'], BASE + path)
        self.assertIn("Konsep dikembalikan kepada Kasi e-Gov",
            self.text(self.page(kabid, path)))

        kasi = self.client('kasi')
        self.assertIn(f'konsep/{self.to_return}"',
            self.page(kasi, 'konsep?tab=returned'))
        page = self.page(kasi, path)
        top = page.index('id="returned"')
        self.assertLess(top, page.index('id="letter"'))
        self.assertIn("Dikembalikan oleh Kepala Bidang Aptika", self.text(
                page[top:]))
        self.assertIn('<b>Lampirkan &lt;daftar&gt; perangkat</b>', page)
        # The thread of the letter tells it too
        self.assertIn("Dikembalikan oleh Kepala Bidang Aptika: Lampirkan",
            self.text(page[page.index('id="utas"'):]))

    def test_plh_signs(self):
        "The Plh signs as Plh; a wrong passphrase or a replay signs nothing"
        def state():
            Outgoing = Pool().get('esurat.outgoing')
            outgoing = Outgoing(self.to_sign)
            return (outgoing.state, outgoing.number,
                outgoing.signature.signer_title
                if outgoing.signature else None)

        def stored_passphrase():
            Session = Pool().get('ir.session.wizard')
            return Session.search_count(
                [('data', 'like', f'%{PASSPHRASE}%')])

        client = self.client('kabid_yankes')
        path = f'konsep/{self.to_sign}/tandatangan'
        self.assertIn(f'konsep/{self.to_sign}"',
            self.page(client, 'konsep?tab=sign'))
        page = self.text(self.page(client, path))
        self.assertIn("Anda menandatangani sebagai Plh. Kepala Dinas", page)
        self.assertIn("Edaran kewaspadaan demam berdarah", page)
        self.assertIn("Kepala Dinas", page)
        # Not for the Kabid next door, even with the URL
        self.page(self.client('kabid_aptika'), path,
            status=HTTPStatus.NOT_FOUND)

        response = client.post(BASE + path, data={'frasa': PASSPHRASE})
        self.assertEqual(response.status_code, HTTPStatus.FORBIDDEN)
        response = self.post(client, path, {'frasa': 'salah-sekali'}, path)
        self.assertEqual(response.headers['Location'], BASE + path)
        self.assertIn("Frasa sandi salah: surat tidak ditandatangani.",
            self.text(self.page(client, path)))
        self.assertEqual(run_committed(DB_NAME, state),
            ('in_approval', None, None))

        response = self.post(client, path, {'frasa': PASSPHRASE}, path)
        self.assertEqual(
            response.headers['Location'], BASE + f'konsep/{self.to_sign}')
        self.assertNotIn(PASSPHRASE, str(response.headers))
        signed, number, title = run_committed(DB_NAME, state)
        self.assertEqual((signed, title), ('signed', "Plh. Kepala Dinas"))
        page = self.text(self.page(client, f'konsep/{self.to_sign}'))
        self.assertIn(f"Surat ditandatangani dengan nomor {number}", page)
        self.assertEqual(run_committed(DB_NAME, stored_passphrase), 0)

    def test_drafter_edits_and_resubmits(self):
        """The approver at his step and the drafter of a returned draft
        edit its text in the app, the drafter submits it again; nobody
        else may, nor without the form's token"""
        def letter():
            pool = Pool()
            Outgoing = pool.get('esurat.outgoing')
            Version = pool.get('esurat.outgoing.version')
            outgoing = Outgoing(self.to_edit)
            versions = Version.search([('outgoing', '=', outgoing.id)],
                order=[('number', 'ASC')])
            return (outgoing.state, outgoing.subject, outgoing.body,
                [(v.number, v.author.login, v.event) for v in versions],
                [(a.state, a.note) for a in outgoing.approvals])

        path = f'konsep/{self.to_edit}'
        kabid = self.client('kabid_aptika')
        kasi = self.client('kasi')
        # At the Kabid's step: he edits, as esurat_signing lets him
        self.assertIn(f'href="{BASE}{path}/ubah"', self.page(kabid, path))
        page = self.page(kabid, path + '/ubah')
        self.assertIn("Pemberitahuan pemeliharaan server", page)
        _, subject, body, _, _ = run_committed(DB_NAME, letter)
        response = self.post(kabid, path + '/ubah', {
                'perihal': subject, 'isi': body.replace(
                    "mengundang Saudara", "memberitahukan kepada Saudara"),
                'versi': re.search(r'name="versi" value="([^"]*)"', page)[1],
                }, path + '/ubah')
        self.assertEqual(response.headers['Location'], BASE + path)
        self.assertIn("Teks disimpan.", self.text(self.page(kabid, path)))
        state, _, body, versions, _ = run_committed(DB_NAME, letter)
        self.assertEqual(state, 'in_approval')
        self.assertIn("memberitahukan kepada Saudara", body)
        self.assertEqual(versions[-1][:2], (2, 'kabid_aptika'))
        # Not the drafter while it waits for the Kabid, not the signer
        # before his turn, not another agency: not offered, not taken
        before = run_committed(DB_NAME, letter)
        self.assertNotIn('/ubah"', self.page(kasi, path))
        self.assertNotIn('/ajukan"', self.page(kasi, path))
        for login in ['kasi', 'kadis_kominfo', 'kadis_kesehatan']:
            with self.subTest(login=login):
                client = self.client(login)
                self.page(client, path + '/ubah', status=HTTPStatus.NOT_FOUND)
                for action in ['ubah', 'ajukan']:
                    self.assertEqual(self.post(client, f'{path}/{action}', {
                                'perihal': "Diubah", 'isi': "Diubah"}
                            ).status_code, HTTPStatus.NOT_FOUND)
        self.assertEqual(run_committed(DB_NAME, letter), before)

        self.post(kabid, path + '/kembalikan',
            {'catatan': "Sebutkan jam pemeliharaan"}, path)
        page = self.page(kasi, path)
        self.assertIn('id="return-note"', page)
        self.assertIn(f'action="{BASE}{path}/ajukan"', page)
        # A returned draft is the drafter's only: the Kabid no longer edits
        before = run_committed(DB_NAME, letter)
        self.assertNotIn('/ubah"', self.page(kabid, path))
        self.page(kabid, path + '/ubah', status=HTTPStatus.NOT_FOUND)
        for action in ['ubah', 'ajukan']:
            self.assertEqual(self.post(kabid, f'{path}/{action}', {
                        'perihal': "Diubah", 'isi': "Diubah"}).status_code,
                HTTPStatus.NOT_FOUND)

        # Without the form's token, with another session's, with the token
        # of a session logged out: refused
        form = self.page(kasi, path + '/ubah')
        stamp = re.search(r'name="versi" value="([^"]*)"', form)[1]
        edit = {'perihal': "Diubah", 'isi': "Diubah", 'versi': stamp}
        self.assertEqual(kasi.post(BASE + path + '/ubah', data=edit
                ).status_code, HTTPStatus.FORBIDDEN)
        other = self.client('kasi')
        stolen = self.token(self.page(other, ''))
        self.assertEqual(kasi.post(BASE + path + '/ubah', data={
                    'csrf': stolen, **edit}).status_code,
            HTTPStatus.FORBIDDEN)
        cookie = other.get_cookie('esurat_m', path=BASE).value
        self.post(other, 'keluar', {})
        other.set_cookie('esurat_m', cookie, path=BASE)
        response = other.post(BASE + path + '/ubah', data={
                'csrf': stolen, **edit})
        self.assertTrue(response.headers['Location'].startswith(
                BASE + 'masuk'))
        self.assertEqual(run_committed(DB_NAME, letter), before)

        # Refusals on the form, with the text typed kept
        response = kasi.post(BASE + path + '/ubah', data={
                'csrf': self.token(form), 'perihal': "",
                'isi': "Teks yang <diketik>", 'versi': stamp})
        self.assertEqual(
            response.status_code, HTTPStatus.UNPROCESSABLE_ENTITY)
        page = response.get_data(as_text=True)
        self.assertIn('id="edit-error"', page)
        self.assertIn("Teks yang &lt;diketik&gt;", page)
        response = kasi.post(BASE + path + '/ubah', data={
                'csrf': self.token(form), 'perihal': "Diubah",
                'isi': "Diubah", 'versi': '1'})
        self.assertIn("Surat diubah orang lain", self.text(
                response.get_data(as_text=True)))
        self.assertEqual(run_committed(DB_NAME, letter), before)

        response = kasi.post(BASE + path + '/ubah', data={
                'csrf': self.token(form),
                'perihal': "Pemberitahuan pemeliharaan\r\nserver data",
                'isi': "Dengan hormat,\r\n\r\nPemeliharaan pukul 22.00.",
                'versi': stamp})
        self.assertEqual(response.headers['Location'], BASE + path)
        response = self.post(kasi, path + '/ajukan', {}, path)
        self.assertEqual(response.headers['Location'], BASE + path)
        page = self.page(kasi, path)
        self.assertIn("Konsep diajukan; menunggu Kepala Bidang Aptika",
            self.text(page))
        self.assertNotIn('id="returned"', page)
        self.assertNotIn('/ajukan"', page)
        state, subject, body, versions, steps = run_committed(
            DB_NAME, letter)
        self.assertEqual((state, subject, body), ('in_approval',
                "Pemberitahuan pemeliharaan server data",
                "Dengan hormat,\n\nPemeliharaan pukul 22.00."))
        self.assertEqual(versions[-1][:2], (3, 'kasi'))
        self.assertEqual([s for s, _ in steps], ['pending', 'waiting'])
        # Submitted: no second submission
        self.assertEqual(self.post(kasi, path + '/ajukan', {}).status_code,
            HTTPStatus.NOT_FOUND)

    # Threads and links ---------------------------------------------------

    def test_thread_of_rahasia_letter(self):
        "The addressee reads and posts to a rahasia letter's thread"
        kabid = self.client('kabid_aptika')
        path = f'item/{self.secret}'
        response = self.post(kabid, path + '/utas',
            {'pesan': "Mohon <b>segera</b> dibahas"}, path)
        self.assertEqual(
            response.headers['Location'], BASE + path + '#utas')
        page = self.page(kabid, path)
        self.assertIn("Mohon &lt;b&gt;segera&lt;/b&gt; dibahas", page)
        self.assertIn("Kabid Aptika", self.text(
                page[page.index('id="messages"'):]))
        # Not its agency's head
        kadis = self.client('kadis_kominfo')
        self.assertEqual(self.post(kadis, path + '/utas',
                {'pesan': "Saya juga"}).status_code, HTTPStatus.NOT_FOUND)

    def test_notification_links(self):
        "A notification's record opens its page in the app, if readable"
        kabid = self.client('kabid_aptika')
        for model, record, target in [
                ('esurat.disposition', self.report_item,
                    f'item/{self.report_item}'),
                ('esurat.outgoing', self.to_initial,
                    f'konsep/{self.to_initial}'),
                ]:
            with self.subTest(model=model):
                response = kabid.get(BASE + f'buka/{model}/{record}')
                self.assertEqual(response.headers['Location'], BASE + target)
        letter = run_committed(DB_NAME,
            lambda: Pool().get('esurat.disposition')(self.secret).letter.id)
        self.assertEqual(
            kabid.get(BASE + f'buka/esurat.letter/{letter}').headers[
                'Location'], BASE + f'item/{self.secret}')
        other = self.client('kadis_kesehatan')
        for url in [f'buka/esurat.outgoing/{self.to_initial}',
                f'buka/esurat.letter/{letter}', 'buka/res.user/1']:
            with self.subTest(url=url):
                self.page(other, url, status=HTTPStatus.NOT_FOUND)
        # Logged out: the login page, back here after it
        response = Client(app).get(
            BASE + f'buka/esurat.outgoing/{self.to_initial}')
        self.assertIn('lanjut=', response.headers['Location'])

    def test_notification_email_links_to_the_app(self):
        """The email of a disposition says its subject, original sender and
        urgency, as the client notification does, and links to the item in
        the app, which opens it for its recipient"""
        org = self.org
        letter = run_committed(DB_NAME, lambda: _letter(
                org, org.p_kadis, org.kominfo,
                subject="Evaluasi layanan publik digital",
                sender="Kementerian PANRB",
                urgency=reference('urgency_urgent')).id)
        delivery = run_committed(DB_NAME, lambda: _delivery(
                Pool().get('esurat.letter')(letter), org.p_kadis))

        def email(address):
            pool = Pool()
            User = pool.get('res.user')
            User.write([User(org.u_kabid.id)], {'email': address})
        run_committed(DB_NAME, lambda: email('kabid@sukamajukab.go.id'))
        self.addCleanup(run_committed, DB_NAME, lambda: email(None))
        kadis = self.client('kadis_kominfo')
        path = f'item/{delivery}/disposisi'
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            response = self.post(kadis, path, {
                    'kepada': org.p_kabid.id}, token_from=path)
            self.assertEqual(response.status_code, HTTPStatus.SEE_OTHER)
            # Sent after the answer, by a sender of its own (no worker)
            deadline = time.monotonic() + 20
            while not server.messages and time.monotonic() < deadline:
                time.sleep(0.05)
        message, = server.messages
        self.assertEqual(message['To'], 'kabid@sukamajukab.go.id')

        def notified():
            pool = Pool()
            Disposition = pool.get('esurat.disposition')
            Notification = pool.get('res.notification')
            item, = Disposition.search([
                    ('letter', '=', letter), ('kind', '=', 'disposition')])
            notification, = Notification.search([
                    ('user', '=', org.u_kabid.id),
                    ('model', '=', 'esurat.disposition'),
                    ('records', '=', f'[{item.id}]')])
            return (item.id, item.letter.agenda_number,
                notification.description)
        item, number, description = run_committed(DB_NAME, notified)
        link = (f'{public_url()}/{DB_NAME}/m/buka/esurat.disposition/'
            f'{item}')
        lines = [
            f"Perihal: {number} - Evaluasi layanan publik digital",
            "Dari: Kementerian PANRB",
            "Sifat: Segera",
            f"Buka: {link}"]
        self.assertEqual(description.split(' · ')[1:], lines)
        body = message.get_body().get_content().splitlines()
        self.assertEqual(body[3:7], lines, body)
        kabid = self.client('kabid_aptika')
        response = kabid.get(link[len(public_url()):])
        self.assertEqual(response.headers['Location'], BASE + f'item/{item}')

    def test_installable(self):
        "Manifest, icons, service worker and offline page need no login"
        client = Client(app)
        manifest = client.get(BASE + 'manifest.webmanifest').get_json(
            force=True)
        self.assertEqual(manifest['start_url'], BASE)
        for icon in manifest['icons']:
            response = client.get(icon['src'])
            self.assertEqual(response.data[:4], b'\x89PNG')
        self.assertEqual(client.get(BASE + 'sw.js').status_code, 200)
        self.assertIn("Tidak ada sambungan",
            client.get(BASE + 'luring').get_data(as_text=True))
        self.assertEqual(
            client.get(BASE + 'static/app.css').status_code, 200)
        self.assertEqual(
            client.get(BASE + 'static/routes.py').status_code, 404)


del ModuleTestCase
