import datetime
import os
import threading
import unittest

from trytond import backend, config
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, activate_module, drop_db, with_transaction)
from trytond.transaction import Transaction, check_access

from ..numbering import format_number
from ..ratelimit import RateLimiter
from ..tools import run_committed
from .tools import (
    SMTPServer, as_user, create_org, create_user, free_port, image_bytes,
    letter_values, pdf_bytes, reference, run_queue)


def register(letters):
    pool = Pool()
    Letter = pool.get('esurat.letter')
    Letter.register(letters)
    return letters


class EsuratBaseTestCase(ModuleTestCase):
    "Test e-Surat base module"
    module = 'esurat_base'

    def create_letter(self, org, **values):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        values.setdefault('addressees', [org.p_kadis])
        addressees = values.pop('addressees')
        copies = values.pop('copies', [])
        unit = values.pop('unit', org.kominfo)
        letter, = Letter.create([letter_values(
                    unit, addressees, copies, **values)])
        return letter

    # Numbering ---------------------------------------------------------

    def test_format_number(self):
        "Agenda patterns accept only the documented placeholders"
        self.assertEqual(format_number(
                '{sequence:03d}/{unit_code}/{month_roman}/{year}',
                sequence=7, unit_code='400.7', year=2026, month=11),
            '007/400.7/XI/2026')
        with self.assertRaises(KeyError):
            format_number('{sequence}/{__class__}', sequence=1,
                unit_code='X', year=2026, month=1)
        with self.assertRaises(KeyError):
            format_number('{sequence.real}', sequence=1,
                unit_code='X', year=2026, month=1)

    @with_transaction()
    def test_agenda_numbers_per_unit_and_year(self):
        "Each unit numbers its agenda from 1 every year, without gaps"
        org = create_org()
        letters = [
            self.create_letter(org, sender_number=f'B-{i}/2026')
            for i in range(3)]
        dinkes = self.create_letter(
            org, unit=org.dinkes, addressees=[org.p_kadinkes])
        register(letters + [dinkes])
        year = datetime.date.today().year
        self.assertEqual(
            [l.agenda_number for l in letters],
            [f'{i}/500.12/{year}' for i in (1, 2, 3)])
        self.assertEqual(dinkes.agenda_number, f'1/400.7/{year}')
        self.assertTrue(all(l.state == 'registered' for l in letters))
        self.assertTrue(all(l.registered_by for l in letters))

        next_year = self.create_letter(org, sender_number='B-9/2027')
        next_year.assign_agenda_number(datetime.date(year + 1, 1, 2))
        self.assertEqual(next_year.agenda_sequence, 1)
        self.assertEqual(next_year.agenda_year, year + 1)

    @with_transaction()
    def test_agenda_pattern_per_unit(self):
        "A unit's own pattern overrides the configuration"
        org = create_org()
        org.dinkes.agenda_pattern = 'AG-{sequence:04d}/{month_roman}/{year}'
        org.dinkes.save()
        letter = self.create_letter(
            org, unit=org.dinkes, addressees=[org.p_kadinkes])
        register([letter])
        today = datetime.date.today()
        self.assertTrue(letter.agenda_number.startswith('AG-0001/'))
        self.assertTrue(letter.agenda_number.endswith(f'/{today.year}'))

    @with_transaction()
    def test_invalid_agenda_pattern(self):
        "An unusable pattern is refused with a message"
        pool = Pool()
        Configuration = pool.get('esurat.configuration')
        config = Configuration(1)
        for pattern in ['{unit_code}/{year}', '{sequence}/{unknown}',
                '{sequence}/{year']:
            config.agenda_pattern = pattern
            with self.assertRaises(ValidationError):
                config.save()

    # Bad input ---------------------------------------------------------

    @with_transaction()
    def test_received_date_in_future(self):
        "A received date in the future is refused"
        org = create_org()
        tomorrow = datetime.date.today() + datetime.timedelta(days=1)
        with self.assertRaisesRegex(ValidationError, 'future'):
            self.create_letter(org, received_date=tomorrow)

    @with_transaction()
    def test_letter_date_after_received(self):
        "A letter cannot be dated after it was received"
        org = create_org()
        with self.assertRaises(ValidationError):
            self.create_letter(
                org, sender_date=datetime.date.today(),
                received_date=datetime.date.today()
                - datetime.timedelta(days=1))

    @with_transaction()
    def test_register_without_addressee(self):
        "Registration needs an addressed position; no number is used"
        pool = Pool()
        UnitSequence = pool.get('esurat.unit.sequence')
        org = create_org()
        letter = self.create_letter(org, addressees=[], copies=[org.p_kabid])
        with self.assertRaises(UserError):
            register([letter])
        self.assertEqual(letter.state, 'draft')
        self.assertEqual(UnitSequence.last_number_of(
                org.kominfo, datetime.date.today().year, 'agenda'), 0)

    @with_transaction()
    def test_duplicate_needs_reason(self):
        "The same number from the same sender needs a reason to register"
        org = create_org()
        first = self.create_letter(org)
        register([first])
        second = self.create_letter(
            org, sender="  kementerian komunikasi dan digital ")
        self.assertEqual(second.duplicate_of, first)
        with self.assertRaisesRegex(UserError, first.agenda_number):
            register([second])
        self.assertEqual(second.state, 'draft')
        self.assertIsNone(second.agenda_number)

        second.duplicate_reason = "Surat dikirim ulang dengan lampiran baru"
        second.save()
        register([second])
        self.assertEqual(second.state, 'registered')

        # Another agency may register the same letter
        other = self.create_letter(
            org, unit=org.dinkes, addressees=[org.p_kadinkes])
        self.assertIsNone(other.duplicate_of)

    @with_transaction()
    def test_letters_are_never_deleted(self):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        org = create_org()
        letter = self.create_letter(org)
        with self.assertRaises(AccessError):
            Letter.delete([letter])
        Letter.archive([letter])
        self.assertEqual(letter.state, 'archived')

    # Files -------------------------------------------------------------

    def create_file(self, letter, name, data):
        pool = Pool()
        LetterFile = pool.get('esurat.letter.file')
        file, = LetterFile.create([{
                    'letter': letter.id, 'name': name, 'data': data}])
        return file

    @with_transaction()
    def test_scan_types_sniffed(self):
        "PDF, JPG and PNG are accepted by content, whatever their name"
        org = create_org()
        letter = self.create_letter(org)
        pdf = pdf_bytes(pages=2)
        file = self.create_file(letter, 'surat.pdf', pdf)
        self.assertEqual(
            (file.mimetype, file.pages, file.size),
            ('application/pdf', 2, len(pdf)))
        import hashlib
        self.assertEqual(file.sha256, hashlib.sha256(pdf).hexdigest())
        jpeg = self.create_file(letter, 'halaman1.pdf', image_bytes('JPEG'))
        self.assertEqual(
            (jpeg.mimetype, jpeg.name), ('image/jpeg', 'halaman1.jpg'))
        png = self.create_file(letter, 'halaman2', image_bytes('PNG'))
        self.assertEqual(
            (png.mimetype, png.name), ('image/png', 'halaman2.png'))

    @with_transaction()
    def test_scan_bad_input(self):
        "Executables, empty, broken and oversized files are refused"
        pool = Pool()
        LetterFile = pool.get('esurat.letter.file')
        Configuration = pool.get('esurat.configuration')
        org = create_org()
        letter = self.create_letter(org)
        executable = b'MZ\x90\x00\x03' + os.urandom(2000)
        for name, data, message in [
                ('surat.pdf', executable, 'not a PDF, JPG or PNG'),
                ('kosong.pdf', b'', 'empty'),
                ('rusak.pdf', b'%PDF-1.7\n' + os.urandom(500),
                    'not a readable PDF'),
                ('rusak.jpg', b'\xff\xd8\xff\xe0' + os.urandom(300),
                    'not a readable JPG'),
                ]:
            with self.subTest(name=name):
                with self.assertRaisesRegex(ValidationError, message):
                    self.create_file(letter, name, data)
        config = Configuration(1)
        config.max_scan_size = 1
        config.save()
        with self.assertRaisesRegex(ValidationError, '1 MB'):
            self.create_file(
                letter, 'besar.png',
                image_bytes('PNG', size=(800, 800)) + os.urandom(1_100_000))
        self.assertEqual(LetterFile.search([], count=True), 0)

    @with_transaction()
    def test_scan_immutable_and_checked(self):
        "A stored scan cannot be replaced and tampering is detected"
        pool = Pool()
        LetterFile = pool.get('esurat.letter.file')
        org = create_org()
        letter = self.create_letter(org)
        file = self.create_file(letter, 'surat.pdf', pdf_bytes())
        LetterFile.check_integrity([file])
        with self.assertRaises(ValidationError):
            LetterFile.write([file], {'data': pdf_bytes(text="Palsu")})
        register([letter])
        with self.assertRaises(ValidationError):
            LetterFile.delete([file])

        # Change the bytes behind the ORM's back, as a disk fault would
        table = LetterFile.__table__()
        cursor = Transaction().connection.cursor()
        other = self.create_file(
            self.create_letter(org, sender_number='X-2'), 'lain.pdf',
            pdf_bytes(text="Lain"))
        cursor.execute(*table.update(
                [table.file_id], [other.file_id],
                where=table.id == file.id))
        file = LetterFile(file.id)
        self.assertFalse(file.integrity_ok())
        with self.assertRaisesRegex(ValidationError, 'SHA-256'):
            LetterFile.check_integrity([file])

    @with_transaction()
    def test_combine_images(self):
        "Several scanned images become one PDF with a page each"
        pool = Pool()
        Combine = pool.get('esurat.letter.scan.combine', type='wizard')
        org = create_org()
        letter = self.create_letter(org)
        session_id, _, _ = Combine.create()
        combine = Combine(session_id)
        with Transaction().set_context(
                active_model='esurat.letter', active_id=letter.id,
                active_ids=[letter.id]):
            combine.execute(session_id, {
                    'start': {
                        'name': 'scan',
                        'pages': [
                            {'image': image_bytes('JPEG'),
                                'filename': 'a.jpg'},
                            {'image': image_bytes('PNG', color='gray'),
                                'filename': 'b.png'},
                            ],
                        },
                    }, 'combine')
        file, = letter.files
        self.assertEqual((file.name, file.pages), ('scan.pdf', 2))
        self.assertEqual(file.mimetype, 'application/pdf')

    # Search ------------------------------------------------------------

    @with_transaction()
    def test_search(self):
        "Letters are found by number, sender, words, dates and state"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        org = create_org()
        spbe = self.create_letter(org)
        flood = self.create_letter(
            org, sender="BPBD Provinsi", sender_number='360/77/BPBD',
            subject="Kesiapsiagaan banjir",
            summary="Permintaan data posko pengungsian",
            received_date=datetime.date.today()
            - datetime.timedelta(days=10),
            sender_date=datetime.date.today() - datetime.timedelta(days=12),
            classification=reference('classification_300'))
        register([spbe, flood])
        for domain, result in [
                ([('search_text', 'ilike', 'pengungsian')], [flood]),
                ([('search_text', 'ilike', 'koordinasi')], [spbe]),
                ([('rec_name', 'ilike', '%BPBD%')], [flood]),
                ([('agenda_number', '=', spbe.agenda_number)], [spbe]),
                ([('sender_number', 'ilike', '360/%')], [flood]),
                ([('received_date', '<', datetime.date.today())], [flood]),
                ([('classification.code', '=', '300')], [flood]),
                ([('unit', '=', org.kominfo.id),
                        ('state', '=', 'registered')], [flood, spbe]),
                ]:
            with self.subTest(domain=domain):
                self.assertEqual(
                    sorted(Letter.search(domain), key=lambda l: l.id),
                    sorted(result, key=lambda l: l.id))

    # Access ------------------------------------------------------------

    @with_transaction()
    def test_access_by_role(self):
        "Who sees which letters"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        org = create_org()
        to_kadis = self.create_letter(org, copies=[org.p_staff])
        to_kabid = self.create_letter(
            org, sender_number='B-2', addressees=[org.p_kabid])
        to_dinkes = self.create_letter(
            org, unit=org.dinkes, addressees=[org.p_kadinkes])
        register([to_kadis, to_kabid, to_dinkes])
        # Not registered yet: only the operators see it
        draft = self.create_letter(
            org, sender_number='B-3', addressees=[org.p_kadis])

        def visible(user):
            with as_user(user):
                return set(Letter.search([]))

        self.assertEqual(visible(org.u_kadis), {to_kadis})
        self.assertEqual(visible(org.u_kabid), {to_kabid})
        self.assertEqual(visible(org.u_staff), {to_kadis})
        self.assertEqual(visible(org.u_kadinkes), {to_dinkes})
        self.assertEqual(
            visible(org.u_operator), {to_kadis, to_kabid, draft})
        self.assertEqual(visible(org.u_op_dinkes), {to_dinkes})
        self.assertEqual(
            visible(org.u_superadmin),
            {to_kadis, to_kabid, to_dinkes, draft})
        self.assertEqual(visible(org.u_sekda), set())

        # An official of another agency cannot read by id either
        with as_user(org.u_kadinkes):
            with self.assertRaises(AccessError):
                Letter.read([to_kadis.id], ['subject'])
        # Officials cannot change letters, operators only their agency's
        with as_user(org.u_kadis):
            with self.assertRaises(AccessError):
                Letter.write([Letter(to_kadis.id)], {'subject': "Ubah"})
        with as_user(org.u_op_dinkes):
            with self.assertRaises(AccessError):
                Letter.write([Letter(to_kadis.id)], {'subject': "Ubah"})
            with self.assertRaises(AccessError):
                Letter.create([letter_values(org.kominfo, [org.p_kadis])])
        with as_user(org.u_operator):
            Letter.write([Letter(to_kadis.id)], {'summary': "Diperbaiki"})
        # Only operators register
        draft = self.create_letter(org, sender_number='B-3')
        with as_user(org.u_kadis):
            with self.assertRaises(UserError):
                Letter.register([Letter(draft.id)])
        with as_user(org.u_operator):
            Letter.register([Letter(draft.id)])

    @with_transaction()
    def test_restricted_content(self):
        "Rahasia content is only for the holders of addressed positions"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        LetterFile = pool.get('esurat.letter.file')
        org = create_org()
        secret = self.create_letter(
            org, subject="Hasil audit investigasi", summary="Temuan",
            confidentiality=reference('confidentiality_secret'))
        file = self.create_file(secret, 'audit.pdf', pdf_bytes())
        register([secret])

        with as_user(org.u_kadis):
            row, = Letter.read([secret.id], ['subject', 'summary', 'rec_name'])
            self.assertEqual(row['subject'], "Hasil audit investigasi")
            self.assertEqual(
                Letter.search([('search_text', 'ilike', 'audit')]), [secret])
            self.assertEqual(len(LetterFile.search([])), 1)

        for user in [org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                row, = Letter.read(
                    [secret.id], ['subject', 'summary', 'rec_name',
                        'agenda_number', 'content_hidden'])
                self.assertEqual(row['subject'], '***')
                self.assertEqual(row['summary'], '***')
                self.assertNotIn('audit', row['rec_name'])
                self.assertTrue(row['agenda_number'])
                self.assertTrue(row['content_hidden'])
                self.assertEqual(
                    Letter.search([('subject', 'ilike', '%audit%')]), [])
                self.assertEqual(
                    Letter.search([('search_text', 'ilike', 'audit')]), [])
                self.assertEqual(
                    Letter.search([('rec_name', 'ilike', '%audit%')]), [])
                self.assertEqual(LetterFile.search([]), [])
                with self.assertRaises(AccessError):
                    LetterFile.read([file.id], ['data'])
                with self.assertRaises(AccessError):
                    Letter.write([Letter(secret.id)], {'subject': "X"})
        # The operator still manages the letter itself
        with as_user(org.u_operator):
            Letter.distribute([Letter(secret.id)])

    # Organisation ------------------------------------------------------

    @with_transaction()
    def test_unit_agency(self):
        "Every unit knows its agency, also after it moves"
        org = create_org()
        self.assertEqual(org.bidang.agency, org.kominfo)
        self.assertEqual(org.kominfo.agency, org.kominfo)
        self.assertIsNone(org.pemda.agency)
        org.bidang.parent = org.dinkes
        org.bidang.save()
        self.assertEqual(org.bidang.agency, org.dinkes)

    @with_transaction()
    def test_unit_head_position(self):
        "A unit's head is its highest active position, not a sub-unit's"
        pool = Pool()
        Unit = pool.get('esurat.unit')
        org = create_org()
        self.assertEqual(org.kominfo.head_position(), org.p_kadis)
        self.assertEqual(org.bidang.head_position(), org.p_kabid)
        org.p_kabid.active = False
        org.p_kabid.save()
        self.assertEqual(Unit(org.bidang.id).head_position(), org.p_staff)
        empty = Unit(name="Bidang Baru", code='400.7.9', kind='division',
            parent=org.dinkes)
        empty.save()
        self.assertIsNone(empty.head_position())

    @with_transaction()
    def test_holding_overlap(self):
        "A position has one definitive holder at a time"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        org = create_org()
        other = create_user('calon', "Calon Kadis", org.kominfo)
        today = datetime.date.today()
        # A Plh alongside the holder is fine
        Holding.create([{
                    'position': org.p_kadis.id, 'user': other.id,
                    'kind': 'plh', 'start_date': today,
                    'end_date': today + datetime.timedelta(days=5)}])
        self.assertEqual(
            Pool().get('esurat.position')(org.p_kadis.id).holder_names,
            "Kadis Kominfo, Plh. Calon Kadis")
        with self.assertRaises(ValidationError):
            Holding.create([{
                        'position': org.p_kadis.id, 'user': other.id,
                        'kind': 'definitive',
                        'start_date': datetime.date(2025, 6, 1)}])

    @with_transaction()
    def test_transfer_moves_access_at_once(self):
        "Mutasi: the mailbox stays with the position, access follows"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        Holding = pool.get('esurat.position.holding')
        Transfer = pool.get('esurat.position.transfer', type='wizard')
        org = create_org()
        to_kabid = self.create_letter(org, addressees=[org.p_kabid])
        to_kadinkes = self.create_letter(
            org, unit=org.dinkes, addressees=[org.p_kadinkes])
        register([to_kabid, to_kadinkes])
        with as_user(org.u_kabid):
            self.assertEqual(Letter.search([]), [to_kabid])

        # The Kadinkes retires: the Kabid moves to Dinkes from today
        old_kadinkes, = org.p_kadinkes.holdings
        old_kadinkes.end_date = datetime.date.today() - datetime.timedelta(1)
        old_kadinkes.save()
        holding, = Holding.search([('user', '=', org.u_kabid.id)])
        session_id, _, _ = Transfer.create()
        with Transaction().set_context(
                active_model='esurat.position.holding',
                active_id=holding.id, active_ids=[holding.id]):
            Transfer.execute(session_id, {
                    'start': {
                        'holding': holding.id,
                        'position': org.p_kadinkes.id,
                        'kind': 'definitive',
                        'date': datetime.date.today(),
                        },
                    }, 'transfer')
        holdings = Holding.search(
            [('user', '=', org.u_kabid.id)], order=[('start_date', 'ASC')])
        self.assertEqual(len(holdings), 2)
        self.assertEqual(
            holdings[0].end_date,
            datetime.date.today() - datetime.timedelta(days=1))
        self.assertEqual(holdings[1].position, org.p_kadinkes)
        with as_user(org.u_kabid):
            self.assertEqual(Letter.search([]), [to_kadinkes])
        # The letter to the Kabid waits for the next holder of the position
        self.assertEqual(to_kabid.addressees[0].position, org.p_kabid)

    @with_transaction()
    def test_opd_admin_scope(self):
        "An OPD admin manages positions and users of their agency only"
        pool = Pool()
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        org = create_org()
        with as_user(org.u_operator):
            position, = Position.create([{
                        'name': "Analis Data", 'unit': org.bidang.id,
                        'level': 'staff', 'reports_to': org.p_kabid.id}])
            with self.assertRaises(AccessError):
                Position.create([{
                            'name': "Staf", 'unit': org.dinkes.id,
                            'level': 'staff'}])
            with self.assertRaises(AccessError):
                Position.write(
                    [Position(org.p_kadinkes.id)], {'name': "Ubah"})
            user, = User.create([{
                        'login': 'analis', 'name': "Analis",
                        'esurat_unit': org.bidang.id,
                        'groups': [('add', [
                                    reference('group_esurat_staff')])],
                        }])
            with self.assertRaises(AccessError):
                User.create([{
                            'login': 'jahat', 'name': "Jahat",
                            'esurat_unit': org.bidang.id,
                            'groups': [('add', [
                                        reference('group_esurat_admin')])],
                            }])
            with self.assertRaises(AccessError):
                User.write([User(org.u_kadinkes.id)], {'name': "Ubah"})


    # Email -------------------------------------------------------------

    @with_transaction()
    def test_mail_outbox_survives_a_failing_server(self):
        "Mail is kept while the server is down and sent once it is back"
        pool = Pool()
        Mail = pool.get('esurat.mail')
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)

        config.set('email', 'uri', f'smtp://127.0.0.1:{free_port()}')
        mail, = Mail.enqueue(
            ['kadis@sukamajukab.go.id', ''], "Disposisi baru",
            "Ada disposisi baru untuk Anda.",
            attachment=b'%PDF-1.7 surat', attachment_name='surat.pdf')
        run_queue()
        self.assertEqual((mail.state, mail.attempts), ('pending', 1))
        self.assertTrue(mail.last_error)
        self.assertGreater(mail.next_attempt, datetime.datetime.now())

        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            Mail.send_pending()
            self.assertEqual(mail.state, 'pending', "not due yet")
            Mail.write([mail], {'next_attempt': datetime.datetime.now()})
            Mail.send_pending()
        self.assertEqual((mail.state, mail.attempts), ('sent', 2))
        message, = server.messages
        self.assertEqual(message['To'], 'kadis@sukamajukab.go.id')
        self.assertEqual(message['Subject'], "Disposisi baru")
        self.assertIn("disposisi baru", message.get_body().get_content())
        attachment, = message.iter_attachments()
        self.assertEqual(attachment.get_filename(), 'surat.pdf')
        self.assertEqual(attachment.get_content_type(), 'application/pdf')
        self.assertEqual(attachment.get_content(), b'%PDF-1.7 surat')


class RateLimiterTestCase(unittest.TestCase):
    "The rate limiter of the anonymous pages"

    def test_limit_per_key_and_window(self):
        limiter = RateLimiter(3, period=60)
        self.assertEqual(
            [limiter.allow('10.0.0.1') for _ in range(4)],
            [True, True, True, False])
        self.assertTrue(limiter.allow('10.0.0.2'), "other addresses pass")
        limiter.period = 0
        self.assertTrue(limiter.allow('10.0.0.1'), "a new window")


@unittest.skipUnless(
    backend.name == 'postgresql', "SQLite serialises every writer")
class EsuratConcurrencyTestCase(unittest.TestCase):
    "Concurrent registrations on a real PostgreSQL server"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(['esurat_base'])

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    @staticmethod
    def committed(func, user=0):
        return run_committed(DB_NAME, func, user=user)

    def test_twenty_concurrent_registrations(self):
        "20 operators register at once: 20 distinct consecutive numbers"
        count = 20
        # As in the shipped configuration: a registration waits for the
        # unit's lock through Tryton's restarts (see bin/run and README)
        retry = config.get('database', 'retry')
        config.set('database', 'retry', '40')
        self.addCleanup(config.set, 'database', 'retry', retry)

        def setup():
            pool = Pool()
            Letter = pool.get('esurat.letter')
            org = create_org()
            letters = Letter.create([
                    letter_values(
                        org.kominfo, [org.p_kadis], sender_number=f'C-{i}')
                    for i in range(count)])
            return org.u_operator.id, [l.id for l in letters]
        operator, letter_ids = self.committed(setup)

        barrier = threading.Barrier(count)
        errors = []

        def register_one(letter_id):
            def work():
                pool = Pool()
                Letter = pool.get('esurat.letter')
                with check_access():
                    Letter.register([Letter(letter_id)])
            try:
                barrier.wait(timeout=30)
                self.committed(work, user=operator)
            except Exception as error:
                errors.append(error)
        threads = [
            threading.Thread(target=register_one, args=(i,))
            for i in letter_ids]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        self.assertEqual(errors, [])

        def numbers():
            pool = Pool()
            Letter = pool.get('esurat.letter')
            return sorted(
                (l.agenda_sequence, l.state)
                for l in Letter.browse(letter_ids))
        self.assertEqual(
            self.committed(numbers),
            [(i, 'registered') for i in range(1, count + 1)])


del ModuleTestCase
