# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
import unittest
from collections import Counter
from pathlib import Path

from trytond import backend, config
from trytond.exceptions import UserError
from trytond.filestore import filestore
from trytond.model.exceptions import AccessError, ValidationError
from trytond.model.modelview import AccessButtonError
from trytond.pool import Pool
from trytond.tests.test_tryton import (
    DB_NAME, ModuleTestCase, TestCase, activate_module, drop_db,
    with_transaction)
from trytond.transaction import Transaction, check_access

from ..exceptions import (
    ChatAccessError, FieldReadonlyError, FilestoreError, LetterAccessError,
    PositionAccessError, UserAccountError)
from ..holiday import WorkingCalendar, working_window
from ..numbering import format_number
from ..ratelimit import RateLimiter
from ..tools import run_committed
from .policy import PolicyTestMixin
from .tools import (
    SilentServer, SMTPServer, add_kasi, as_user, create_org, create_position,
    create_user, free_port, image_bytes, letter_values, load_indonesian,
    pdf_bytes, reference, run_queue)

# A printf placeholder of a message: %(name)s, %s, %d, %r...
PLACEHOLDER = re.compile(r'%(?:\([a-z_]+\))?[-#0 +]*\d*(?:\.\d+)?[sdirf%]')

TODAY = datetime.date.today()


def register(letters):
    pool = Pool()
    Letter = pool.get('esurat.letter')
    Letter.register(letters)
    return letters


class EsuratBaseTestCase(PolicyTestMixin, ModuleTestCase):
    "Test e-Surat base module"
    module = 'esurat_base'
    policy_readme = Path(__file__).parents[1] / 'README.md'

    def policy_fixture(self):
        pool = Pool()
        Mail = pool.get('esurat.mail')
        Issue = pool.get('esurat.filestore.issue')
        org = create_org()
        letter = self.create_letter(org)
        file = self.create_file(letter, 'surat.pdf', pdf_bytes())
        register([letter])
        Mail.create([{
                    'to': 'kadis@example.com', 'subject': "Surat",
                    'body': "Isi", 'resource': str(letter)}])
        Issue.report(file, 'data', file.file_id, 'esurat', 'changed')
        pool.get('esurat.rate.limit').hit('policy', 1, 3, 0)
        pool.get('esurat.holiday').create([{
                    'date': datetime.date(2026, 8, 17),
                    'name': "Proklamasi Kemerdekaan"}])
        pool.get('esurat.activity').add(
            'login', user=org.u_operator.id, login=org.u_operator.login)

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

    @with_transaction()
    def test_letter_access_follows_recipients(self):
        """Who may open a letter is kept with its addressees and copies:
        added, moved and removed ones at once, in the same transaction"""
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        Letter = pool.get('esurat.letter')
        Recipient = pool.get('esurat.letter.recipient')
        org = create_org()
        letter = self.create_letter(org, copies=[org.p_kabid])
        other = self.create_letter(org, addressees=[org.p_kadinkes])

        def access(letter):
            return sorted(a.position.id for a in Access.search(
                    [('letter', '=', letter.id)]))

        self.assertEqual(
            access(letter), sorted([org.p_kadis.id, org.p_kabid.id]))
        copy, = [r for r in Letter(letter.id).recipients if r.kind == 'cc']
        Recipient.write([copy], {'position': org.p_staff.id})
        self.assertEqual(
            access(letter), sorted([org.p_kadis.id, org.p_staff.id]))
        Recipient.write([copy], {'letter': other.id})
        self.assertEqual(access(letter), [org.p_kadis.id])
        self.assertEqual(
            access(other), sorted([org.p_kadinkes.id, org.p_staff.id]))
        Recipient.delete([copy])
        self.assertEqual(access(other), [org.p_kadinkes.id])
        # Nothing else is touched, and the table is what its sources say
        Access.refresh(None)
        self.assertEqual(access(letter), [org.p_kadis.id])
        self.assertEqual(access(other), [org.p_kadinkes.id])

    @with_transaction()
    def test_letter_restricted_follows_letter(self):
        """A file knows whether its letter is rahasia and registered, at
        once, whatever changes: the letter's state or confidentiality, or
        the confidentiality's own setting"""
        pool = Pool()
        Confidentiality = pool.get('esurat.letter.confidentiality')
        Letter = pool.get('esurat.letter')
        LetterFile = pool.get('esurat.letter.file')
        org = create_org()
        letter = self.create_letter(
            org, confidentiality=reference('confidentiality_secret'))
        self.create_file(letter, 'audit.pdf', pdf_bytes())
        other = self.create_letter(org)
        other_file = self.create_file(other, 'biasa.pdf', pdf_bytes())

        def restricted():
            return {f.name: f.letter_restricted for f in LetterFile.search([])}

        # A draft: the operator still attaches and reads its scans
        self.assertEqual(
            restricted(), {'audit.pdf': False, 'biasa.pdf': False})
        with as_user(org.u_operator):
            self.assertEqual(len(LetterFile.search([])), 2)
        register([letter, other])
        self.assertEqual(restricted(), {'audit.pdf': True, 'biasa.pdf': False})
        late = self.create_file(letter, 'lampiran.pdf', pdf_bytes())
        self.assertTrue(late.letter_restricted)
        names = ['audit.pdf', 'biasa.pdf', 'lampiran.pdf']
        with as_user(org.u_operator):
            self.assertEqual(LetterFile.search([]), [other_file])
        with as_user(org.u_kadis):
            self.assertEqual(len(LetterFile.search([])), 3)

        Letter.write([Letter(letter.id)],
            {'confidentiality': reference('confidentiality_normal')})
        self.assertEqual(restricted(), dict.fromkeys(names, False))
        normal = Confidentiality(reference('confidentiality_normal'))
        Confidentiality.write([normal], {'restricted': True})
        self.assertEqual(restricted(), dict.fromkeys(names, True))
        with as_user(org.u_operator):
            self.assertEqual(LetterFile.search([]), [])
        # What a rule reads is the letter's, not what a client sends
        with as_user(org.u_operator), self.assertRaises(AccessError):
            LetterFile.write(
                [LetterFile(other_file.id)], {'letter_restricted': False})
        Confidentiality.write([normal], {'restricted': False})
        self.assertEqual(restricted(), dict.fromkeys(names, False))

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
    def test_numbers_per_letter_type_register(self):
        """A letter type with its own register counts apart in each unit;
        the others share the unit's common register"""
        pool = Pool()
        LetterType = pool.get('esurat.letter.type')
        UnitSequence = pool.get('esurat.unit.sequence')
        org = create_org()
        own, first, second = LetterType.search([], limit=3)
        LetterType.write([own], {'own_register': True})
        year = TODAY.year

        def next_(unit, letter_type):
            return UnitSequence.next_number(
                unit, year, 'agenda', letter_type)

        self.assertEqual(
            [next_(org.kominfo, t) for t in [first, second, own, own,
                    None, first]],
            [1, 2, 1, 2, 3, 4])
        self.assertEqual(next_(org.dinkes, own), 1)
        self.assertEqual(len(UnitSequence.search(
                    [('unit', '=', org.kominfo.id)])), 2)

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
        self.assertFalse(UnitSequence.search([
                    ('unit', '=', org.kominfo.id),
                    ('last_number', '>', 0),
                    ]))

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
    def test_file_lost_or_changed_in_filestore(self):
        """A scan removed from the filestore, or changed there, is an error
        in Indonesian for whoever opens it, never an empty or a forged file,
        and a problem listed for the super administrator alone; the
        periodic check finds it too, and closes it once the file is back"""
        pool = Pool()
        LetterFile = pool.get('esurat.letter.file')
        Issue = pool.get('esurat.filestore.issue')
        load_indonesian()
        org = create_org()
        letter = self.create_letter(org)
        data = pdf_bytes()
        file = self.create_file(letter, 'surat.pdf', data)
        path = filestore._filename(file.file_id, 'esurat')
        os.remove(path)
        with as_user(org.u_operator), \
                Transaction().set_context(language='id'):
            with self.assertRaisesRegex(
                    FilestoreError,
                    '^Berkas "surat.pdf" tidak ada di penyimpanan berkas'):
                LetterFile.read([file.id], ['data'])
            # Lists read sizes only and still open
            with Transaction().set_context(
                    {'esurat.letter.file.data': 'size'}):
                LetterFile.read([file.id], ['name', 'data'])
            with self.assertRaises(AccessError):
                Issue.search([])
        with as_user(org.u_superadmin):
            issue, = Issue.search([])
            self.assertEqual(
                (issue.kind, issue.state, issue.resource, issue.file_name),
                ('missing', 'open', file, 'surat.pdf'))

        Path(path).write_bytes(pdf_bytes(text="Palsu"))
        with as_user(org.u_staff), Transaction().set_context(language='id'), \
                self.assertRaisesRegex(FilestoreError, 'telah berubah'):
            LetterFile(file.id).data
        Issue.check_files()
        self.assertEqual(
            [(i.kind, i.state) for i in Issue.search([])],
            [('changed', 'open'), ('missing', 'closed')])

        Path(path).write_bytes(data)
        Issue.check_files()
        self.assertEqual(
            {i.state for i in Issue.search([])}, {'closed'})
        self.assertEqual(bytes(LetterFile(file.id).data), data)

    @with_transaction()
    def test_orphan_files_removed_after_grace(self):
        """A file of the filestore that no record points to is removed once
        older than [esurat] orphan_grace_days, and the removal recorded; a
        younger one and the files of records are kept"""
        pool = Pool()
        Issue = pool.get('esurat.filestore.issue')
        Attachment = pool.get('ir.attachment')
        database_path = config.get('database', 'path')
        self.addCleanup(config.set, 'database', 'path', database_path)
        config.set('database', 'path', tempfile.mkdtemp())
        self.addCleanup(shutil.rmtree, filestore.path)
        org = create_org()
        letter = self.create_letter(org)
        file = self.create_file(letter, 'surat.pdf', pdf_bytes())
        attachment, = Attachment.create([{
                    'resource': str(letter), 'name': 'lampiran.pdf',
                    'data': pdf_bytes(text="Lampiran")}])
        self.assertEqual(
            attachment.sha256, hashlib.sha256(attachment.data).hexdigest())
        old = filestore.set(b'replayed delivery', prefix='esurat')
        young = filestore.set(b'uncommitted upload', prefix='esurat')
        week_ago = time.time() - 8 * 24 * 3600
        kept = [(file.file_id, 'esurat'), (attachment.file_id, DB_NAME)]
        for file_id, prefix in kept + [(old, 'esurat')]:
            os.utime(filestore._filename(file_id, prefix), (week_ago,) * 2)
        Issue.remove_orphans()
        self.assertFalse(os.path.exists(filestore._filename(old, 'esurat')))
        for file_id, prefix in kept + [(young, 'esurat')]:
            self.assertTrue(
                os.path.exists(filestore._filename(file_id, prefix)))
        issue, = Issue.search([])
        self.assertEqual(
            (issue.kind, issue.file_id, issue.state),
            ('orphan', old, 'closed'))

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

    @with_transaction()
    def test_combine_images_checks_the_letter(self):
        """Combining scans is refused on an archived letter, on another
        agency's letter and on a rahasia letter whose content the operator
        may not see; nobody without an operator role runs it"""
        pool = Pool()
        Combine = pool.get('esurat.letter.scan.combine', type='wizard')
        Letter = pool.get('esurat.letter')
        org = create_org()
        archived = self.create_letter(org)
        Letter.archive([archived])
        secret = self.create_letter(
            org, sender_number='B-2',
            confidentiality=reference('confidentiality_secret'))
        register([secret])
        of_dinkes = self.create_letter(
            org, unit=org.dinkes, addressees=[org.p_kadinkes],
            sender_number='B-3')

        def combine(user, letter):
            with Transaction().set_user(user.id), Transaction().set_context(
                    active_model='esurat.letter', active_id=letter.id,
                    active_ids=[letter.id]):
                session_id, _, _ = Combine.create()
                Combine.execute(session_id, {
                        'start': {
                            'name': 'scan',
                            'pages': [{'image': image_bytes('PNG'),
                                    'filename': 'a.png'}],
                            },
                        }, 'combine')

        for user, letter in [
                (org.u_operator, archived),
                (org.u_operator, secret),
                (org.u_operator, of_dinkes),
                (org.u_kadis, secret),
                ]:
            with self.subTest(user=user.login, letter=letter.sender_number):
                with self.assertRaises(AccessError):
                    combine(user, letter)
        for letter in [archived, secret, of_dinkes]:
            self.assertEqual(Letter(letter.id).files, ())
        combine(org.u_op_dinkes, of_dinkes)
        self.assertEqual(len(Letter(of_dinkes.id).files), 1)

    def nested_pdf(self, depth):
        "A PDF whose page tree holds an array nested depth times"
        nested = b'[' * depth + b']' * depth
        objects = [
            b'1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n',
            b'2 0 obj\n<< /Type /Pages /Kids [] /Count 1 /X ' + nested
            + b' >>\nendobj\n']
        pdf, offsets = b'%PDF-1.4\n', []
        for obj in objects:
            offsets.append(len(pdf))
            pdf += obj
        xref = len(pdf)
        pdf += b'xref\n0 3\n0000000000 65535 f \n' + b''.join(
            b'%010d 00000 n \n' % o for o in offsets)
        return pdf + (b'trailer\n<< /Size 3 /Root 1 0 R >>\n'
            b'startxref\n%d\n%%%%EOF\n' % xref)

    @with_transaction()
    def test_scan_deeply_nested_pdf(self):
        "A PDF nested beyond the parser's recursion is an unreadable PDF"
        pool = Pool()
        LetterFile = pool.get('esurat.letter.file')
        from ..exceptions import FileValidationError
        org = create_org()
        letter = self.create_letter(org)
        self.assertEqual(
            self.create_file(letter, 'dangkal.pdf', self.nested_pdf(10)).pages,
            1)
        with as_user(org.u_operator):
            with self.assertRaisesRegex(
                    FileValidationError, 'not a readable PDF'):
                self.create_file(letter, 'dalam.pdf', self.nested_pdf(50000))
        self.assertEqual(LetterFile.search([], count=True), 1)

    @with_transaction()
    def test_scan_name_fixed_once_stored(self):
        "A stored scan keeps the name of its real type"
        pool = Pool()
        LetterFile = pool.get('esurat.letter.file')
        org = create_org()
        letter = self.create_letter(org)
        file = self.create_file(letter, 'surat.pdf', pdf_bytes())
        with as_user(org.u_operator):
            with self.assertRaises(FieldReadonlyError):
                LetterFile.write([LetterFile(file.id)], {'name': 'surat.exe'})
        self.assertEqual(LetterFile(file.id).name, 'surat.pdf')

    @with_transaction()
    def test_attachments_sniffed(self):
        "The paperclip of an e-Surat record takes only real PDF/JPG/PNG"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        from ..exceptions import FileValidationError
        org = create_org()
        letter = self.create_letter(org)
        resource = f'esurat.letter,{letter.id}'
        executable = b'MZ\x90\x00\x03' + os.urandom(2000)
        other, = Attachment.create([{
                    'resource': f'res.user,{org.u_operator.id}',
                    'name': 'catatan.exe', 'data': executable}])
        with as_user(org.u_operator):
            for values in [
                    {'name': 'surat.pdf', 'data': executable},
                    {'name': 'surat.pdf', 'data': b'%PDF-1.7\n'
                        + os.urandom(500)},
                    {'name': 'surat.pdf', 'data': self.nested_pdf(50000)},
                    {'name': 'surat.pdf', 'type': 'link',
                        'link': 'https://contoh.invalid/surat.pdf'},
                    ]:
                with self.subTest(values=values.get('data', b'')[:8]):
                    with self.assertRaises(FileValidationError):
                        Attachment.create([{'resource': resource, **values}])
            # The client's paperclip puts the record in the context
            with Transaction().set_context(resource=resource):
                with self.assertRaises(FileValidationError):
                    Attachment.create(
                        [{'name': 'surat.pdf', 'data': executable}])
            image, = Attachment.create([{
                        'resource': resource, 'name': 'surat.pdf',
                        'data': image_bytes('PNG')}])
            self.assertEqual(image.name, 'surat.png')
            for values in [
                    {'data': executable},
                    {'type': 'link', 'link': 'https://contoh.invalid/'},
                    ]:
                with self.subTest(write=list(values)):
                    with self.assertRaises(FileValidationError):
                        Attachment.write([image], values)
            Attachment.write([image], {'name': 'lampiran.exe'})
            self.assertEqual(Attachment(image.id).name, 'lampiran.png')
            # Nor by moving another record's attachment onto a letter
            with self.assertRaises(FileValidationError):
                Attachment.write([other], {'resource': resource})
        self.assertEqual(
            [(a.name, bytes(a.data)) for a in Attachment.search(
                    [('resource', '=', resource)])],
            [('lampiran.png', image_bytes('PNG'))])

    @with_transaction()
    def test_leader_letters_registered_by_setda(self):
        "An OPD may not register mail for the Bupati, Wakil or Sekda"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        from ..exceptions import LetterRegisterError
        org = create_org()
        to_sekda = self.create_letter(org, addressees=[org.p_sekda])
        copy_bupati = self.create_letter(
            org, sender_number='B-2', copies=[org.p_bupati])
        with as_user(org.u_operator):
            for letter in [to_sekda, copy_bupati]:
                with self.subTest(letter=letter.sender_number):
                    with self.assertRaisesRegex(
                            LetterRegisterError, 'Regional Secretariat'):
                        Letter.register([Letter(letter.id)])
        self.assertEqual(
            [Letter(l.id).state for l in [to_sekda, copy_bupati]],
            ['draft', 'draft'])
        self.assertEqual(Letter(to_sekda.id).agenda_number, None)
        umum = create_user(
            'umum', "Operator Umum", org.setda, ['group_esurat_main_operator'])
        setda = self.create_letter(
            org, unit=org.setda, addressees=[org.p_sekda])
        with as_user(umum):
            Letter.register([Letter(setda.id)])
        self.assertEqual(Letter(setda.id).state, 'registered')

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

    @with_transaction()
    def test_classification_search(self):
        "A classification is found by its code or by words of its name"
        pool = Pool()
        Classification = pool.get('esurat.classification')
        kominfo = Classification(reference('classification_500_12'))
        for text, found in [
                ('500.12', True), ('500', True),
                ('Komunikasi Informatika', True), ('informatika komun', True),
                ('Komunikasi Pertanian', False), ('600', False)]:
            with self.subTest(text=text):
                result = Classification.search(
                    [('rec_name', 'ilike', f'%{text}%')])
                self.assertEqual(kominfo in result, found)
        self.assertNotIn(kominfo, Classification.search(
                [('rec_name', 'not ilike', '%Komunikasi Informatika%')]))

    @with_transaction()
    def test_classification_codes(self):
        """The shipped codes of Permendagri 83/2022: every code is filed
        under the code it extends, the second level is complete, and the
        deeper codes of a letter's daily use are there"""
        pool = Pool()
        Classification = pool.get('esurat.classification')
        codes = {c.code: c for c in Classification.search([])}
        for code, classification in codes.items():
            with self.subTest(code=code):
                parent = code.rpartition('.')[0] or None
                self.assertEqual(
                    classification.parent and classification.parent.code,
                    parent)
        second = {c for c in codes if c.count('.') == 1}
        # 000.1-9, 100.1-3, 200.1-2, 300.1-2, 400.1-14, 500.1-18,
        # 600.1-4, 700.1, 800.1-2, 900.1
        self.assertEqual(len(second), 56)
        self.assertEqual(codes['800.1.11.1'].name,
            "Surat Perintah Dinas/Surat Tugas")
        self.assertEqual(codes['100.3.5.2'].name, "Surat Perintah Bupati")
        # Found by the words of a deeper code's name
        self.assertEqual(
            [c.code for c in Classification.search(
                    [('rec_name', 'ilike', '%cuti tahunan%')])],
            ['800.1.11.4'])

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
    def test_register_and_distribute(self):
        """One action registers and distributes, with the checks of both;
        only the letter's agency's operators run it"""
        pool = Pool()
        Letter = pool.get('esurat.letter')
        from ..exceptions import LetterRegisterError
        org = create_org()
        letter = self.create_letter(org)
        no_addressee = self.create_letter(
            org, sender_number='B-2', addressees=[])
        for user, error in [
                # the draft is not theirs to read, nor the button to press
                (org.u_kadis, UserError),
                (org.u_op_dinkes, AccessError),
                (org.u_operator, LetterRegisterError)]:
            with self.subTest(user=user.login), as_user(user):
                target = no_addressee if user == org.u_operator else letter
                with self.assertRaises(error):
                    Letter.register_and_distribute([Letter(target.id)])
        for draft in [letter, no_addressee]:
            draft = Letter(draft.id)
            self.assertEqual((draft.state, draft.agenda_number),
                ('draft', None))
        with as_user(org.u_operator):
            Letter.register_and_distribute([Letter(letter.id)])
        letter = Letter(letter.id)
        self.assertEqual(letter.state, 'distributed')
        self.assertEqual(letter.agenda_number, f'1/500.12/{TODAY.year}')
        self.assertEqual(letter.registered_by, org.u_operator)
        # the form says so beside the buttons
        self.assertEqual(letter.outcome,
            f"Registered as 1/500.12/{TODAY.year} and distributed to "
            "1 positions.")
        with as_user(org.u_kadis):
            self.assertEqual(Letter.search([]), [letter])

    @with_transaction()
    def test_list_opens_on_the_roles_work(self):
        """The letters list opens on what the role does next, and every
        tab shows its count"""
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        Letter = pool.get('esurat.letter')
        ModelData = pool.get('ir.model.data')
        org = create_org()
        draft = self.create_letter(org)
        registered = self.create_letter(org, sender_number='B-2')
        distributed = self.create_letter(org, sender_number='B-3')
        register([registered, distributed])
        Letter.distribute([distributed])

        action = ActWindow(ModelData.get_id('esurat_base', 'act_letter_form'))
        first, *_ = action.act_window_domains
        self.assertEqual(first.domain, "[[\"to_do\", \"=\", true]]")
        self.assertTrue(all(d.count for d in action.act_window_domains))
        for user, to_do in [
                (org.u_operator, {draft, registered}),
                (org.u_superadmin, {draft, registered}),
                (org.u_kadis, {distributed}),
                (org.u_op_dinkes, set())]:
            with self.subTest(user=user.login), as_user(user):
                self.assertEqual(
                    set(Letter.search([('to_do', '=', True)])), to_do)
                self.assertEqual(
                    {l for l in Letter.search([]) if l.to_do}, to_do)

    @with_transaction()
    def test_operator_desk_in_indonesian(self):
        """The operator's letter screen reads Indonesian, and Tryton's email
        archive, unused by e-Surat, is off their Relate menu"""
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        Button = pool.get('ir.model.button')
        Keyword = pool.get('ir.action.keyword')
        Letter = pool.get('esurat.letter')
        ModelData = pool.get('ir.model.data')
        load_indonesian()
        org = create_org()
        letter = self.create_letter(org)

        def relate(user):
            with as_user(user), Transaction().set_context(language='id'):
                Keyword._get_keyword_cache.clear()
                return {k['name'] for k in Keyword.get_keyword(
                        'form_relate', ('esurat.letter', letter.id))}

        self.assertNotIn("Arsip Surel", relate(org.u_operator))
        self.assertIn("Arsip Surel", relate(org.u_superadmin))

        with as_user(org.u_operator), \
                Transaction().set_context(language='id'):
            arch = Letter.fields_view_get(view_type='form')['arch']
            archive, = Button.search([
                    ('model', '=', 'esurat.letter'),
                    ('name', '=', 'archive')])
            tabs = ActWindow(ModelData.get_id(
                    'esurat_base', 'act_letter_form')).act_window_domains
            self.assertEqual(tabs[0].name, "Perlu Ditangani")
        self.assertIn('string="Registrasikan dan Distribusikan"', arch)
        self.assertIn('confirm="Arsipkan surat ini?', arch)
        self.assertTrue(archive.confirm.startswith("Arsipkan surat ini?"))

    @with_transaction()
    def test_restricted_attachments(self):
        "Paperclip files of a rahasia letter are as hidden as its scans"
        pool = Pool()
        Attachment = pool.get('ir.attachment')
        from ..exceptions import LetterAccessError
        org = create_org()
        secret = self.create_letter(
            org, subject="Hasil audit investigasi",
            confidentiality=reference('confidentiality_secret'))
        with as_user(org.u_operator):
            attachment, = Attachment.create([{
                        'resource': str(secret), 'name': 'audit.pdf',
                        'data': pdf_bytes(text="Temuan audit")}])
        register([secret])
        with as_user(org.u_kadis):
            data, = Attachment.read([attachment.id], ['data'])
            self.assertTrue(data['data'].startswith(b'%PDF'))
        with as_user(org.u_kadis):
            self.assertEqual(
                Attachment.search([('resource', '=', str(secret))]),
                [attachment])
        for user in [org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                for names in [['data'], ['name']]:
                    with self.assertRaises(LetterAccessError):
                        Attachment.read([attachment.id], names)
                # Not even listed or counted
                for domain in [[], [('resource', '=', str(secret))]]:
                    self.assertEqual(Attachment.search(domain), [])
                    self.assertEqual(Attachment.search_count(domain), 0)

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

    def create_secret(self, org, **values):
        "A registered rahasia letter to the Kepala Dinas, with a scan"
        values.setdefault('subject', "Hasil audit investigasi")
        values.setdefault('summary', "Temuan audit keuangan")
        secret = self.create_letter(
            org, confidentiality=reference('confidentiality_secret'),
            **values)
        file = self.create_file(secret, 'audit.pdf', pdf_bytes())
        register([secret])
        return secret, file

    @with_transaction()
    def test_restricted_export(self):
        "Exports leave out the content of masked letters, on every path"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        Recipient = pool.get('esurat.letter.recipient')
        LetterFile = pool.get('esurat.letter.file')
        org = create_org()
        secret, file = self.create_secret(org)
        names = ['agenda_number', 'subject', 'summary', 'search_text',
            'rec_name', 'files/data', 'files/name', 'files/sha256']

        for user in [org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                rows = (Letter.export_data([Letter(secret.id)], names)
                    + Letter.export_data_domain(
                        [('id', '=', secret.id)], names)
                    + Recipient.export_data_domain([], [
                            'letter/subject', 'letter/summary',
                            'letter/search_text', 'letter/rec_name',
                            'letter', 'letter/files/data']))
                self.assertTrue(rows)
                self.assertEqual(rows[0][0], secret.agenda_number)
                for row in rows:
                    for value in row:
                        self.assertNotIn('audit', str(value).lower())
                        self.assertNotIsInstance(value, bytes)
                with self.assertRaises(AccessError):
                    LetterFile.export_data([LetterFile(file.id)], ['data'])
        # The addressee exports what it reads
        with as_user(org.u_kadis):
            row, = Recipient.export_data_domain([], ['letter/subject'])
            self.assertEqual(row, ["Hasil audit investigasi"])

    @with_transaction()
    def test_restricted_order(self):
        "A masked letter sorts as if its content were ***"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        Recipient = pool.get('esurat.letter.recipient')
        org = create_org()
        first, _ = self.create_secret(
            org, sender_number='R-1', subject="Zaman audit", summary="Z")
        second, _ = self.create_secret(
            org, sender_number='R-2', subject="Awal audit", summary="A")

        def ordered(field):
            letters = Letter.search(
                [('id', 'in', [first.id, second.id])],
                order=[(field, 'ASC'), ('id', 'ASC')])
            recipients = Recipient.search(
                [], order=[(f'letter.{field}', 'ASC'), ('id', 'ASC')])
            return letters, [r.letter for r in recipients]

        for field in ['subject', 'summary', 'search_text']:
            with self.subTest(field=field):
                with as_user(org.u_operator):
                    self.assertEqual(
                        ordered(field), ([first, second], [first, second]))
        with as_user(org.u_kadis):
            self.assertEqual(
                ordered('subject'), ([second, first], [second, first]))

    @with_transaction()
    def test_restricted_related_domains(self):
        "Dotted domains of other models find nothing in masked letters"
        pool = Pool()
        Recipient = pool.get('esurat.letter.recipient')
        org = create_org()
        self.create_secret(org)
        clauses = [
            ('letter.subject', 'ilike', '%audit%'),
            ('letter.summary', 'ilike', '%audit%'),
            ('letter.rec_name', 'ilike', '%audit%'),
            ('letter.search_text', 'ilike', 'audit'),
            ('letter.subject', 'not ilike', '%zzz%'),
            ('letter.files.name', 'ilike', '%audit%'),
            ]
        threshold = config.get('database', 'subquery_threshold')
        self.addCleanup(
            config.set, 'database', 'subquery_threshold', threshold)
        # Tryton joins the target table or uses a sub-query depending on
        # its size: both paths
        for value in ['0', '1000000']:
            config.set('database', 'subquery_threshold', value)
            for clause in clauses:
                with self.subTest(clause=clause, threshold=value):
                    with as_user(org.u_operator):
                        self.assertEqual(
                            Recipient.search([clause], count=True), 0)
                    with as_user(org.u_kadis):
                        self.assertEqual(
                            Recipient.search([clause], count=True), 1)

    @with_transaction()
    def test_duplicate_only_among_readable(self):
        "The duplicate check shows no letter the official may not open"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        org = create_org()
        secret, _ = self.create_secret(
            org, unit=org.dinkes, addressees=[org.p_kadinkes])
        values = {
            'unit': org.dinkes.id, 'sender': secret.sender,
            'sender_number': secret.sender_number}
        for user in [org.u_kadis, org.u_operator]:
            with self.subTest(user=user.login), as_user(user):
                changes = Letter(**values).on_change_with(
                    ['duplicate_of'])._changed_values()
                self.assertIsNone(changes.get('duplicate_of'))
                self.assertNotIn('audit', str(changes).lower())
        # The operator of the agency is told, without the content
        with as_user(org.u_op_dinkes):
            changes = Letter(**values).on_change_with(
                ['duplicate_of'])._changed_values()
            self.assertEqual(changes['duplicate_of'], secret.id)
            self.assertNotIn('audit', str(changes).lower())

    @with_transaction()
    def test_restricted_chat(self):
        "The thread of a masked letter is closed; no email follows threads"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        Follower = pool.get('ir.chat.follower')
        org = create_org()
        secret, _ = self.create_secret(org)
        plain = self.create_letter(org, sender_number='B-9')
        register([plain])
        run_queue()
        resource = f'esurat.letter,{secret.id}'

        for user in [org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), \
                    Transaction().set_user(user.id):
                with self.assertRaises(ChatAccessError):
                    Channel.get(resource)
                with self.assertRaises(ChatAccessError):
                    Channel.subscribe(resource)
                with self.assertRaises(ChatAccessError):
                    Channel.post(resource, "Apa isinya?")
        with Transaction().set_user(org.u_kadis.id):
            self.assertTrue(Channel.get(resource))
            for letter in [secret, plain]:
                with self.assertRaises(ChatAccessError):
                    Channel.subscribe_email(
                        f'esurat.letter,{letter.id}', 'luar@example.com')
            # Nor another user who may not read it
            with self.assertRaises(AccessError):
                Channel.subscribe(resource, username=org.u_operator.login)
            Channel.subscribe(resource)
        followers = Follower.search([])
        self.assertEqual(
            [(f.user, f.email) for f in followers], [(org.u_kadis, None)])

    @with_transaction()
    def test_mail_outbox_content_unreadable(self):
        "The outbox shows where mails went, never what they said"
        pool = Pool()
        Mail = pool.get('esurat.mail')
        org = create_org()
        mail, = Mail.enqueue(
            ['kadis@sukamajukab.go.id'], "001/500.12 - Hasil audit",
            "Hasil audit investigasi", attachment=b'%PDF-1.7 surat',
            attachment_name='audit.pdf')
        with as_user(org.u_superadmin):
            row, = Mail.read([mail.id], ['to', 'state'])
            self.assertEqual(row['to'], 'kadis@sukamajukab.go.id')
            for name in ['subject', 'body', 'attachment', 'attachment_name']:
                with self.subTest(name=name):
                    with self.assertRaises(AccessError):
                        Mail.read([mail.id], [name])
                    with self.assertRaises(AccessError):
                        Mail.search([(name, '!=', None)])
                    with self.assertRaises(AccessError):
                        Mail.search([], order=[(name, 'ASC')])
                    with self.assertRaises(AccessError):
                        Mail.export_data([Mail(mail.id)], [name])
            self.assertNotIn(
                'audit',
                str(Mail.fields_view_get(view_type='form')).lower())
        with as_user(org.u_operator):
            with self.assertRaises(AccessError):
                Mail.read([mail.id], ['to'])

    @with_transaction()
    def test_restricted_no_unmask(self):
        "No write, recipient or copy unmasks a registered rahasia letter"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        Recipient = pool.get('esurat.letter.recipient')
        LetterFile = pool.get('esurat.letter.file')
        org = create_org()
        p_operator = create_position(
            "Pengadministrasi Umum", org.kominfo, 'staff', org.p_kadis,
            org.u_operator)
        secret, file = self.create_secret(org)
        recipient, = secret.recipients
        draft = self.create_letter(org, sender_number='B-7')

        with as_user(org.u_operator):
            letter = Letter(secret.id)
            for values in [
                    {'confidentiality': reference('confidentiality_normal')},
                    {'copies': [('create', [{'position': p_operator.id}])]},
                    {'recipients': [('delete', [recipient.id])]},
                    {'files': [('create', [{
                                        'name': 'b.pdf',
                                        'data': pdf_bytes()}])]},
                    ]:
                with self.subTest(values=values):
                    with self.assertRaises(AccessError):
                        Letter.write([letter], values)
            with self.assertRaises(FieldReadonlyError):
                Letter.write([letter], {'state': 'draft'})
            with self.assertRaises(LetterAccessError):
                Recipient.create([{
                            'letter': secret.id, 'position': p_operator.id,
                            'kind': 'cc'}])
            with self.assertRaises(LetterAccessError):
                Recipient.write(
                    [Recipient(recipient.id)], {'position': p_operator.id})
            with self.assertRaises(AccessError):
                Recipient.delete([Recipient(recipient.id)])
            with self.assertRaises(LetterAccessError):
                Letter.copy([letter])
            with self.assertRaises(LetterAccessError):
                Letter.copy([letter], default={
                        'confidentiality': reference(
                            'confidentiality_normal')})
            with self.assertRaises(AccessError):
                LetterFile.copy(
                    [LetterFile(file.id)], default={'letter': draft.id})
            # What does not unmask stays possible
            Letter.write([letter], {'sender': "Inspektorat Daerah"})
        # Another agency copies nothing it cannot open
        with as_user(org.u_op_dinkes):
            with self.assertRaises(AccessError):
                Letter.copy([Letter(draft.id)])

        self.assertEqual(
            secret.confidentiality.id, reference('confidentiality_secret'))
        self.assertEqual(
            [(r.position, r.kind) for r in secret.recipients],
            [(org.p_kadis, 'to')])
        self.assertEqual(secret.files, (file,))
        self.assertEqual(Letter.search([], count=True), 2)
        self.assertEqual(LetterFile.search([], count=True), 1)
        with as_user(org.u_operator):
            row, = Letter.read([secret.id], ['subject'])
            self.assertEqual(row['subject'], '***')

    # Organisation ------------------------------------------------------

    @with_transaction()
    def test_working_days(self):
        "Weekends and holidays are skipped, the range read in one query"
        pool = Pool()
        Holiday = pool.get('esurat.holiday')
        Holiday.create([
                {'date': datetime.date(2026, 12, 24), 'kind': 'joint_leave',
                    'name': "Cuti Bersama Natal"},
                {'date': datetime.date(2026, 12, 25),
                    'name': "Kelahiran Yesus Kristus"},
                ])
        tuesday = datetime.date(2026, 12, 22)
        monday = datetime.date(2026, 12, 28)
        self.assertEqual(
            Holiday.add_working_days(tuesday, 1), datetime.date(2026, 12, 23))
        # Thursday and Friday are holidays, then the weekend
        self.assertEqual(Holiday.add_working_days(tuesday, 2), monday)
        self.assertEqual(Holiday.add_working_days(monday, -2), tuesday)
        self.assertEqual(Holiday.add_working_days(tuesday, 0), tuesday)
        self.assertEqual(Holiday.working_days_between(tuesday, monday), 2)
        self.assertEqual(Holiday.working_days_between(monday, tuesday), 0)
        queries = []

        def load(start, end):
            queries.append((start, end))
            return Holiday._holidays(start, end)
        # A year of working days from one query of the holidays
        calendar = WorkingCalendar(load, *working_window(tuesday, 250))
        end = calendar.add(tuesday, 250)
        self.assertEqual(calendar.between(tuesday, end), 250)
        self.assertEqual(len(queries), 1)
        self.assertNotIn(datetime.date(2026, 12, 24), [
                calendar.add(tuesday, n) for n in range(5)])
        # A day is entered once (last: the error ends the transaction)
        with self.assertRaises(UserError):
            Holiday.create([{'date': monday, 'name': "Libur"}] * 2)

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
                    'kind': 'plh', 'reason': 'leave', 'state': 'approved',
                    'start_date': today,
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

    # Accounts ----------------------------------------------------------

    @with_transaction()
    def test_preferences_cannot_move_unit(self):
        "Preferences change neither unit nor groups; own password still can"
        pool = Pool()
        User = pool.get('res.user')
        org = create_org()
        groups = list(org.u_operator.groups)
        # set_preferences runs without access checks, as over RPC
        with Transaction().set_user(org.u_operator.id):
            self.assertNotIn(
                'esurat_unit', User.get_preferences(context_only=True))
            User.set_preferences({
                    'esurat_unit': org.dinkes.id,
                    'groups': [reference('group_esurat_admin')],
                    'password': 'sandi-baru-2026',
                    })
            self.assertEqual(User.get_esurat_agencies(), [org.kominfo.id])
        operator = User(org.u_operator.id)
        self.assertEqual(operator.esurat_unit, org.kominfo)
        self.assertEqual(list(operator.groups), groups)
        _, password_hash, _ = User._get_login('op_kominfo')
        valid, _ = User.check_password('sandi-baru-2026', password_hash)
        self.assertTrue(valid)

    @with_transaction()
    def test_opd_admin_cannot_take_over_accounts(self):
        "An OPD admin neither sets passwords nor touches admins above it"
        pool = Pool()
        User = pool.get('res.user')
        org = create_org()
        boss = create_user(
            'super_kominfo', "Super Kominfo", org.kominfo,
            ['group_esurat_admin'])
        # With an address each, so that the reset button shows for both
        # and only the rule of who manages whom refuses the boss's
        for user, email in [
                (org.u_staff, 'staf@example.com'),
                (boss, 'super@example.com')]:
            user.email = email
            user.save()
        with as_user(org.u_operator):
            for target, values in [
                    (boss, {'password': 'ambil-alih-2026'}),
                    (boss, {'name': "Ubah"}),
                    (boss, {'login': 'bos'}),
                    (org.u_staff, {'password': 'ambil-alih-2026'}),
                    (org.u_staff, {'password': ''}),
                    (org.u_staff, {'email': 'operator@example.com'}),
                    (org.u_operator, {'password': 'sandi-saya-2026'}),
                    ]:
                with self.subTest(target=target.login, values=values):
                    with self.assertRaises(UserAccountError):
                        User.write([User(target.id)], values)
            for name in ['password_hash', 'password_reset']:
                with self.subTest(field=name):
                    with self.assertRaises(AccessError):
                        User.write([User(org.u_staff.id)], {name: 'x'})
                    with self.assertRaises(AccessError):
                        User.read([org.u_staff.id], [name])
                    with self.assertRaises(AccessError):
                        User.search([(name, 'like', 'a%')])
            with self.assertRaises(UserAccountError):
                User.create([{
                            'login': 'baru', 'name': "Baru",
                            'esurat_unit': org.bidang.id,
                            'password': 'sandi-baru-2026'}])
            # Moving oneself into another agency
            with self.assertRaises(UserAccountError):
                User.write(
                    [User(org.u_operator.id)], {'esurat_unit': org.dinkes.id})
            with self.assertRaises(UserAccountError):
                User.reset_password([User(boss.id)])
            # The Tryton way: a temporary password by email to the user
            User.reset_password([User(org.u_staff.id)])
            # The password getter's placeholder written back changes nothing
            User.write([User(org.u_staff.id)], {
                    'password': 'x' * 10, 'name': "Staf Aplikasi"})
        boss = User(boss.id)
        self.assertEqual((boss.name, boss.login, boss.password_hash), (
                "Super Kominfo", 'super_kominfo', None))
        self.assertEqual(User(org.u_operator.id).esurat_unit, org.kominfo)
        staff = User(org.u_staff.id)
        self.assertEqual(staff.email, 'staf@example.com')
        self.assertIsNone(staff.password_hash)
        self.assertTrue(staff.password_reset)
        self.assertFalse(User.search([('login', '=', 'baru')]))
        # The super administrator manages its peers' accounts
        with as_user(org.u_superadmin):
            User.write([boss], {'email': 'bos@example.com'})

    @with_transaction()
    def test_reset_password_email_not_executable(self):
        "Nobody renders the reset email, which holds the temporary password"
        pool = Pool()
        User = pool.get('res.user')
        Report = pool.get('res.user.email_reset_password', type='report')
        Email = pool.get('ir.email')
        ActionReport = pool.get('ir.action.report')
        org = create_org()
        org.u_staff.email = 'staf@example.com'
        org.u_staff.save()
        User.reset_password([org.u_staff])
        action, = ActionReport.search([
                ('report_name', '=', 'res.user.email_reset_password')])
        for user in [org.u_staff, org.u_operator, org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(UserAccountError):
                    Report.execute([org.u_staff.id], {})
                with self.assertRaises(UserAccountError):
                    Email.send(
                        to='penyerang@example.com', subject="Sandi",
                        record=('res.user', org.u_staff.id),
                        reports=[action.id])

    @with_transaction()
    def test_reset_password_through_outbox(self):
        """The reset email goes through the outbox, in Indonesian: stored by
        the reset, which a mail server that is down never fails, and sent
        once when the server is back"""
        pool = Pool()
        User = pool.get('res.user')
        Mail = pool.get('esurat.mail')
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        load_indonesian()
        org = create_org()
        org.u_staff.email = 'staf@example.com'
        org.u_staff.save()

        config.set('email', 'uri', f'smtp://127.0.0.1:{free_port()}')
        with as_user(org.u_operator):
            User.reset_password([User(org.u_staff.id)])
        password = User(org.u_staff.id).password_reset
        mail, = Mail.search([('to', '=', 'staf@example.com')])
        self.assertEqual(mail.state, 'pending')
        self.assertEqual(mail.subject, "e-Surat: kata sandi sementara Anda")
        self.assertIn("Yth. Staf Aptika,", mail.body)
        self.assertIn(f"Kata sandi sementara: {password}\n", mail.body)
        self.assertIn("dalam 24 jam", mail.body)
        run_queue()
        self.assertEqual((mail.state, mail.attempts), ('pending', 1))

        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            Mail.write([mail], {'next_attempt': datetime.datetime.now()})
            Mail.send_pending()
            Mail.send_pending()
        self.assertEqual(mail.state, 'sent')
        message, = server.messages
        self.assertEqual(message['To'], 'staf@example.com')
        self.assertEqual(
            message['Subject'], "e-Surat: kata sandi sementara Anda")
        self.assertIn(password, message.get_body().get_content())

    @with_transaction()
    def test_session_expires_when_idle(self):
        "A session left idle longer than [session] timeout is refused"
        pool = Pool()
        Session = pool.get('ir.session')
        org = create_org()
        with Transaction().set_user(org.u_staff.id):
            idle_key = Session.new()
            active_key = Session.new()
        idle, = Session.search([('key', '=', idle_key)])
        table = Session.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.update(
                [table.create_date, table.write_date],
                [datetime.datetime.now() - datetime.timedelta(hours=2)] * 2,
                where=table.id == idle.id))
        Session._session_reset_cache.clear()
        self.assertFalse(Session.check(org.u_staff.id, idle_key))
        self.assertFalse(Session.search([('key', '=', idle_key)]))
        self.assertTrue(Session.check(org.u_staff.id, active_key))

    # Holdings ----------------------------------------------------------

    def transfer(self, user, values):
        "Run the Transfer wizard as user over RPC (no access checks inside)"
        pool = Pool()
        Transfer = pool.get('esurat.position.transfer', type='wizard')
        holding = values['holding']
        with Transaction().set_user(user.id), Transaction().set_context(
                active_model='esurat.position.holding',
                active_id=holding, active_ids=[holding]):
            session_id, _, _ = Transfer.create()
            Transfer.execute(session_id, {'start': values}, 'transfer')

    @with_transaction()
    def test_transfer_checks_what_the_client_sends(self):
        "Mutasi: positions and users within the operator's authority only"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        org = create_org()
        p_operator = create_position(
            "Pranata Humas", org.kominfo, 'staff', org.p_kadis, org.u_operator)
        o_holding, = p_operator.holdings
        kabid, = org.p_kabid.holdings
        kadinkes, = org.p_kadinkes.holdings
        today = datetime.date.today()
        count = Holding.search_count([])
        for holding, position, error in [
                (o_holding, org.p_sekda, PositionAccessError),
                (o_holding, org.p_kadis, PositionAccessError),
                (kabid, org.p_sekda, PositionAccessError),
                (kabid, org.p_kadinkes, PositionAccessError),
                (kadinkes, org.p_kabid, PositionAccessError),
                ]:
            with self.subTest(
                    holding=holding.rec_name, position=position.name):
                with self.assertRaises(error):
                    self.transfer(org.u_operator, {
                            'holding': holding.id, 'position': position.id,
                            'kind': 'plt', 'date': today})
        # Nothing missing, and a transfer is an appointment or a Plt: a Plh
        # or an assistant has an end the wizard does not ask for
        for kind, position in [
                ('definitive', None), ('plh', p_operator),
                ('assistant', p_operator)]:
            with self.subTest(kind=kind), self.assertRaises(ValidationError):
                self.transfer(org.u_operator, {
                        'holding': kabid.id,
                        'position': position.id if position else None,
                        'kind': kind, 'date': today})
        self.assertEqual(Holding.search_count([]), count)
        self.assertEqual(Holding(kabid.id).end_date, None)
        # A staff member may not run the wizard at all
        with self.assertRaises(AccessError):
            self.transfer(org.u_staff, {
                    'holding': kabid.id, 'position': org.p_kadis.id,
                    'kind': 'plh', 'date': today})
        # Within its agency, for someone else, the transfer goes through; a
        # Plt waits for the head of the agency
        self.transfer(org.u_operator, {
                'holding': kabid.id, 'position': p_operator.id,
                'kind': 'plt', 'date': today + datetime.timedelta(days=1)})
        self.assertEqual(Holding.search_count([]), count + 1)
        new, = Holding.search([
                ('position', '=', p_operator.id),
                ('user', '=', org.u_kabid.id)])
        self.assertEqual(
            (new.state, new.approver_position), ('requested', org.p_kadis))

    @with_transaction()
    def test_acting_requested_by_the_holder(self):
        """The Kabid hands his position to the Kasi while on leave; the
        Kepala Dinas approves; the Plh acts at once but hands on nothing"""
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        User = pool.get('res.user')
        org = add_kasi(create_org())
        week = TODAY + datetime.timedelta(days=7)
        plh = {
            'position': org.p_kabid.id, 'user': org.u_kasi.id,
            'kind': 'plh', 'reason': 'leave',
            'start_date': TODAY, 'end_date': week}
        with as_user(org.u_kabid):
            # Appointments and other positions are not his to give
            for values in [
                    {**plh, 'kind': 'definitive', 'reason': None},
                    {**plh, 'position': org.p_kadis.id},
                    ]:
                with self.subTest(values=values):
                    with self.assertRaises(PositionAccessError):
                        Holding.create([values])
            holding, = Holding.create([plh])
            with self.assertRaises(AccessButtonError):
                Holding.confirm([holding])
            Holding.request([holding])
        holding = Holding(holding.id)
        self.assertEqual(
            (holding.state, holding.approver_position),
            ('requested', org.p_kadis))
        self.assertNotIn(
            org.p_kabid.id, User.get_esurat_positions(org.u_kasi.id))
        self.assertIn(org.u_kadis, [
                n.user for n in Transaction().user_notifications])
        with as_user(org.u_kadis):
            Holding.approve([holding])
        holding = Holding(holding.id)
        self.assertEqual(
            (holding.state, holding.approved_by, holding.approved_as),
            ('active', org.u_kadis, "Kepala Dinas"))
        self.assertIn(org.p_kabid.id, User.get_esurat_positions(org.u_kasi.id))
        self.assertEqual(
            User.acting_title(org.p_kabid, org.u_kasi.id),
            "Plh. Kepala Bidang Aptika")
        self.assertTrue(User.may_approve_as(org.p_kabid, org.u_kasi.id))
        # The Plh hands the position on to nobody, nor ends it; another
        # agency's official reads it but does not cancel it
        with as_user(org.u_kasi):
            with self.assertRaises(PositionAccessError):
                Holding.create([{**plh, 'user': org.u_staff.id}])
            with self.assertRaises(PositionAccessError):
                Holding.cancel([holding])
        with as_user(org.u_kadinkes):
            self.assertEqual(Holding.search([('id', '=', holding.id)]),
                [holding])
            with self.assertRaises(PositionAccessError):
                Holding.cancel([holding])
        self.assertEqual(Holding(holding.id).state, 'active')
        # Approved: the holder ends it earlier, never later
        with as_user(org.u_kabid):
            with self.assertRaises(PositionAccessError):
                Holding.write([holding], {
                        'end_date': week + datetime.timedelta(days=7)})
            with self.assertRaises(PositionAccessError):
                Holding.write([holding], {'end_date': None})
            Holding.write([holding], {'end_date': TODAY})
        self.assertEqual(Holding(holding.id).end_date, TODAY)

    @with_transaction()
    def test_appointment_confirmed_by_administrator(self):
        """An OPD administrator records an appointment and confirms it; an
        acting holding goes to its approver instead"""
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        org = create_org()
        newcomer = create_user('baru', "Pegawai Baru", org.bidang)
        vacant, = Position.create([{
                    'name': "Analis Kebijakan", 'unit': org.bidang.id,
                    'level': 'staff', 'reports_to': org.p_kabid.id}])
        with as_user(org.u_operator):
            appointment, acting = Holding.create([{
                        'position': vacant.id, 'user': newcomer.id,
                        'start_date': TODAY,
                        }, {
                        'position': org.p_kabid.id, 'user': newcomer.id,
                        'kind': 'plh', 'reason': 'leave',
                        'start_date': TODAY, 'end_date': TODAY,
                        }])
            self.assertEqual(
                User.get_esurat_positions(newcomer.id), [])
            for button, holding in [
                    (Holding.request, appointment),
                    (Holding.confirm, acting),
                    (Holding.approve, acting),
                    ]:
                with self.subTest(button=button.__name__):
                    with self.assertRaises(AccessButtonError):
                        button([holding])
            Holding.confirm([appointment])
        appointment = Holding(appointment.id)
        self.assertEqual(
            (appointment.state, appointment.approved_by),
            ('active', org.u_operator))
        self.assertEqual(User.get_esurat_positions(newcomer.id), [vacant.id])
        # Approved holdings are cancelled, not deleted
        with as_user(org.u_operator):
            with self.assertRaises(PositionAccessError):
                Holding.delete([appointment])
            Holding.delete([acting])

    @with_transaction()
    def test_acting_hostile_client(self):
        "Acting holdings: workflow fields, who acts and the approver"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        org = add_kasi(create_org())
        week = TODAY + datetime.timedelta(days=7)
        values = {
            'position': org.p_kabid.id, 'user': org.u_kasi.id,
            'kind': 'plh', 'reason': 'leave',
            'start_date': TODAY, 'end_date': week}
        count = Holding.search_count([])
        with as_user(org.u_kabid):
            # Born approved, or with its own approver: refused before
            # anything is stored
            for forged in [
                    {'state': 'approved'},
                    {'approver_position': org.p_kabid.id},
                    {'approved_by': org.u_kabid.id},
                    ]:
                with self.subTest(forged=forged):
                    with self.assertRaises(FieldReadonlyError):
                        Holding.create([{**values, **forged}])
            self.assertEqual(Holding.search_count([]), count)
            holding, = Holding.create([values])
            with self.assertRaises(FieldReadonlyError):
                Holding.write([holding], {
                        'approver_position': org.p_kabid.id})
        # Whoever is to act changes nothing of the holding, even a draft
        with as_user(org.u_kasi):
            for changes in [
                    {'end_date': TODAY + datetime.timedelta(days=90)},
                    {'position': org.p_kadis.id},
                    {'note': "Diperpanjang"},
                    ]:
                with self.subTest(changes=changes):
                    with self.assertRaises(AccessError):
                        Holding.write([Holding(holding.id)], changes)
        with as_user(org.u_kabid):
            Holding.request([holding])
        holding = Holding(holding.id)
        self.assertEqual(
            (holding.end_date, holding.position, holding.note),
            (week, org.p_kabid, None))
        # The server chose the head of the agency
        self.assertEqual(holding.approver_position, org.p_kadis)
        with as_user(org.u_kasi):
            with self.assertRaises(PositionAccessError):
                Holding.approve([Holding(holding.id)])
        self.assertEqual(Holding(holding.id).state, 'requested')
        with as_user(org.u_kadis):
            Holding.approve([Holding(holding.id)])
        self.assertEqual(Holding(holding.id).state, 'active')

    @with_transaction()
    def test_acting_approved_only_by_the_approver(self):
        "Neither the one who is to act nor an assistant approves"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        org = add_kasi(create_org())
        week = TODAY + datetime.timedelta(days=7)
        # The Kasi assists (a.n.) the Kepala Dinas
        assistant, = Holding.create([{
                    'position': org.p_kadis.id, 'user': org.u_kasi.id,
                    'kind': 'assistant', 'reason': 'assistance',
                    'start_date': TODAY, 'end_date': week}])
        Holding.request([assistant])
        with as_user(org.u_sekda):
            Holding.approve([Holding(assistant.id)])
        self.assertEqual(Holding(assistant.id).state, 'active')
        # The Kabid asks for the Kepala Dinas himself as its Plh: he would
        # approve his own holding
        with as_user(org.u_kabid):
            own, = Holding.create([{
                        'position': org.p_kabid.id,
                        'user': org.u_kadis.id, 'kind': 'plh',
                        'reason': 'leave', 'start_date': TODAY,
                        'end_date': week}])
            Holding.request([own])
        self.assertEqual(Holding(own.id).approver_position, org.p_kadis)
        for user, error in [
                (org.u_kadis, PositionAccessError),
                (org.u_kasi, PositionAccessError),
                (org.u_staff, AccessButtonError),
                ]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(error):
                    Holding.approve([Holding(own.id)])
        self.assertEqual(Holding(own.id).state, 'requested')
        # Nobody names itself, administrators included
        with as_user(org.u_operator):
            with self.assertRaises(PositionAccessError):
                Holding.create([{
                            'position': org.p_kasi.id,
                            'user': org.u_operator.id, 'kind': 'plh',
                            'reason': 'leave',
                            'start_date': week, 'end_date': week}])

    @with_transaction()
    def test_holding_create_checked(self):
        "An operator gives no holding to itself nor outside its authority"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        Position = pool.get('esurat.position')
        org = create_org()
        today = datetime.date.today()
        kabid, = org.p_kabid.holdings
        p_operator = create_position(
            "Pranata Humas", org.kominfo, 'staff', org.p_kadis, org.u_operator)
        o_holding, = p_operator.holdings
        o_holding.end_date = today
        o_holding.save()
        count = Holding.search_count([])
        with as_user(org.u_operator):
            for position, user in [
                    (org.p_kadis, org.u_operator),
                    (org.p_sekda, org.u_operator),
                    (org.p_sekda, org.u_kabid),
                    (org.p_kadis, org.u_kadinkes),
                    ]:
                with self.subTest(position=position.name, user=user.login):
                    with self.assertRaises(PositionAccessError):
                        Holding.create([{
                                    'position': position.id,
                                    'user': user.id, 'kind': 'plh',
                                    'reason': 'leave', 'start_date': today,
                                    'end_date': today}])
            # A holding never moves to another user, and the operator does
            # not extend its own
            with self.assertRaises(FieldReadonlyError):
                Holding.write([Holding(kabid.id)], {
                        'user': org.u_operator.id})
            with self.assertRaises(PositionAccessError):
                Holding.write([Holding(o_holding.id)], {
                        'end_date': today + datetime.timedelta(days=365)})
            with self.assertRaises(PositionAccessError):
                Position.create([{
                            'name': "Sekda Tandingan", 'unit': org.kominfo.id,
                            'level': 'secretary'}])
            with self.assertRaises(PositionAccessError):
                Position.write(
                    [Position(org.p_kadis.id)], {'level': 'regional_head'})
            # The Kabid as Plh of the Kepala Dinas is the operator's to give
            Holding.create([{
                        'position': org.p_kadis.id, 'user': org.u_kabid.id,
                        'kind': 'plh', 'reason': 'leave', 'start_date': today,
                        'end_date': today}])
        self.assertEqual(Holding.search_count([]), count + 1)
        self.assertEqual(Holding(kabid.id).user, org.u_kabid)
        self.assertEqual(Holding(o_holding.id).end_date, today)
        self.assertEqual(Position(org.p_kadis.id).level, 'agency_head')

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

    @with_transaction()
    def test_mail_server_that_never_answers(self):
        """A mail server that accepts and never answers delays the mail by
        the configured timeout, once, and the cron sends it later"""
        pool = Pool()
        Mail = pool.get('esurat.mail')
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        if not config.has_section('esurat'):
            config.add_section('esurat')
        self.addCleanup(
            config.set, 'esurat', 'smtp_timeout',
            config.get('esurat', 'smtp_timeout', default='10'))
        mail, = Mail.enqueue(
            ['kadis@sukamajukab.go.id'], "Disposisi baru",
            "Ada disposisi baru untuk Anda.")

        with SilentServer() as server:
            config.set('esurat', 'smtp_timeout', '1')
            config.set('email', 'uri', server.uri)
            start = time.monotonic()
            run_queue()
            self.assertLess(time.monotonic() - start, 5)
            self.assertEqual((mail.state, mail.attempts), ('pending', 1))
            self.assertIn("timed out", mail.last_error)

            # The uri's own timeout comes first
            config.set('esurat', 'smtp_timeout', '60')
            config.set('email', 'uri', f'{server.uri}?timeout=1')
            Mail.write([mail], {'next_attempt': datetime.datetime.now()})
            start = time.monotonic()
            Mail.send_pending()
            self.assertLess(time.monotonic() - start, 5)
            self.assertEqual((mail.state, mail.attempts), ('pending', 2))
            self.assertEqual(len(server.connections), 2)

        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            Mail.write([mail], {'next_attempt': datetime.datetime.now()})
            Mail.send_pending()
            Mail.send_pending()
        self.assertEqual((mail.state, mail.attempts), ('sent', 3))
        message, = server.messages
        self.assertEqual(message['To'], 'kadis@sukamajukab.go.id')
        self.assertTrue(message['Message-ID'])

    @with_transaction()
    def test_mail_retry(self):
        """The super administrator's retry sends the mail after the commit,
        not in the request, and never a mail sent or being sent"""
        pool = Pool()
        Mail = pool.get('esurat.mail')
        org = create_org()
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        failed, sending, sent = Mail.create([{
                    'to': f'{state}@sukamajukab.go.id', 'subject': "Surat",
                    'body': "Isi", 'state': state, 'attempts': 12,
                    'claimed_at': datetime.datetime.now(),
                    } for state in ['failed', 'sending', 'sent']])

        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            with as_user(org.u_superadmin):
                for mail in [sending, sent]:
                    with self.subTest(state=mail.state):
                        with self.assertRaises(AccessButtonError):
                            Mail.retry([Mail(mail.id)])
                Mail.retry([Mail(failed.id)])
                self.assertEqual(server.messages, [])
            run_queue()
        message, = server.messages
        self.assertEqual(message['To'], 'failed@sukamajukab.go.id')
        self.assertEqual(
            [m.state for m in Mail.browse([failed, sending, sent])],
            ['sent', 'sending', 'sent'])

    @with_transaction()
    def test_notification_batch(self):
        """Notices to several positions make one queued task and one email
        per address; each user is told in their language"""
        pool = Pool()
        Notification = pool.get('esurat.notification')
        Mail = pool.get('esurat.mail')
        Lang = pool.get('ir.lang')
        load_indonesian()
        org = create_org()
        english, = Lang.search([('code', '=', 'en')])
        org.u_kadis.language = english
        for user in [org.u_kadis, org.u_kabid, org.u_staff]:
            user.email = f'{user.login}@sukamajukab.go.id'
            user.save()
        registered = self.create_letter(org)
        distributed = self.create_letter(org, sender_number='B-2')
        transaction = Transaction()
        tasks = len(transaction.tasks)
        Notification.send_batch([
                Notification.notice(
                    'esurat_base.msg_letter_registered_chat', registered,
                    positions=[org.p_kadis, org.p_kabid, org.p_staff,
                        org.p_kadinkes],
                    agenda='1/500.12/2026'),
                Notification.notice(
                    'esurat_base.msg_letter_distributed_chat', distributed,
                    positions=[org.p_kabid], users=[org.u_kabid]),
                ])
        self.assertEqual(len(transaction.tasks), tasks + 1)
        mails = {m.to: m for m in Mail.search([])}
        self.assertEqual(sorted(mails), [
                'kabid_aptika@sukamajukab.go.id',
                'kadis_kominfo@sukamajukab.go.id',
                'staf_aptika@sukamajukab.go.id'])
        self.assertEqual(
            mails['kadis_kominfo@sukamajukab.go.id'].subject,
            "Registered with agenda number 1/500.12/2026.")
        self.assertEqual(
            mails['staf_aptika@sukamajukab.go.id'].subject,
            "Diregistrasi dengan nomor agenda 1/500.12/2026.")
        digest = mails['kabid_aptika@sukamajukab.go.id']
        self.assertEqual(digest.subject, "e-Surat: 2 notifikasi")
        self.assertIn(
            "Diregistrasi dengan nomor agenda 1/500.12/2026.", digest.body)
        self.assertIn(
            "Telah didistribusikan kepada pihak yang dituju.", digest.body)
        self.assertIn(distributed.__href__, digest.body)
        self.assertEqual(
            sorted((n.user.login, n.label)
                for n in transaction.user_notifications), [
                ('kabid_aptika',
                    "Diregistrasi dengan nomor agenda 1/500.12/2026."),
                ('kabid_aptika',
                    "Telah didistribusikan kepada pihak yang dituju."),
                ('kadis_kesehatan',
                    "Diregistrasi dengan nomor agenda 1/500.12/2026."),
                ('kadis_kominfo',
                    "Registered with agenda number 1/500.12/2026."),
                ('staf_aptika',
                    "Diregistrasi dengan nomor agenda 1/500.12/2026."),
                ])

        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            run_queue()
        self.assertEqual(len(server.messages), 3)
        self.assertTrue(all(m.state == 'sent' for m in mails.values()))
        # Subject, original sender and urgency, as in the client; without
        # a module serving pages no link but the client's
        bodies = {m['To']: m.get_body().get_content()
            for m in server.messages}
        for to, lines in [
                ('kadis_kominfo@sukamajukab.go.id', [
                        "Subject: Undangan rapat koordinasi SPBE",
                        "From: Kementerian Komunikasi dan Digital",
                        "Urgency: Normal"]),
                ('staf_aptika@sukamajukab.go.id', [
                        "Perihal: Undangan rapat koordinasi SPBE",
                        "Dari: Kementerian Komunikasi dan Digital",
                        "Sifat: Biasa"]),
                ]:
            with self.subTest(to=to):
                body = bodies[to]
                self.assertEqual(body.splitlines()[2:5], lines, body)
                self.assertNotIn('/m/', body)
                self.assertNotIn("Buka:", body)
                self.assertIn(registered.__href__, body)
        # The same in one line, stored as the commit stores it
        notifications = transaction.user_notifications
        pool.get('res.notification').save(notifications)
        self.assertEqual(
            {n.description for n in notifications
                if n.user.login == 'staf_aptika'},
            {"Perihal: Undangan rapat koordinasi SPBE · Dari: Kementerian "
                "Komunikasi dan Digital · Sifat: Biasa"})

    @with_transaction()
    def test_notification_of_rahasia_letter(self):
        "Neither the email nor the client notification says a rahasia subject"
        pool = Pool()
        Notification = pool.get('esurat.notification')
        Mail = pool.get('esurat.mail')
        org = create_org()
        org.u_kadis.email = 'kadis@sukamajukab.go.id'
        org.u_kadis.save()
        letter, = register([self.create_letter(
                    org, subject="Audit keamanan jaringan",
                    confidentiality=reference('confidentiality_secret'))])
        Notification.send(
            'esurat_base.msg_letter_distributed_chat', letter,
            positions=[org.p_kadis], exclude=0)
        mail, = Mail.search([('to', '=', 'kadis@sukamajukab.go.id')])
        notification, = Transaction().user_notifications
        for text in [mail.body, notification.description]:
            self.assertIn("Subject: ***", text)
            self.assertIn("From: Kementerian Komunikasi dan Digital", text)
            self.assertNotIn("Audit", text)

    @with_transaction()
    def test_client_cannot_write_workflow_fields(self):
        "What the form shows read-only is refused from any client call"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        Recipient = pool.get('esurat.letter.recipient')
        org = create_org()
        letter = self.create_letter(org)
        other = self.create_letter(org, sender_number='B-2')
        register([letter])
        number = letter.agenda_number

        with as_user(org.u_operator):
            for values in [
                    {'agenda_number': '1/FORGED/2026'},
                    {'agenda_sequence': 99},
                    {'state': 'draft'},
                    {'registered_by': org.u_kadis.id},
                    {'search_text': "kata palsu"},
                    {'unit': org.dinkes.id},
                    ]:
                with self.subTest(values=values):
                    with self.assertRaises(FieldReadonlyError):
                        Letter.write([Letter(letter.id)], values)
            # A recipient or a file never moves to another letter
            recipient, = Letter(letter.id).recipients
            with self.assertRaises(FieldReadonlyError):
                Recipient.write([recipient], {'letter': other.id})
            # A new letter cannot be born registered or numbered
            for values in [
                    {'state': 'registered'},
                    {'agenda_number': '7/FORGED/2026'},
                    {'registered_by': org.u_kadis.id},
                    ]:
                with self.subTest(values=values):
                    with self.assertRaises(FieldReadonlyError):
                        Letter.create([letter_values(
                                    org.kominfo, [org.p_kadis],
                                    sender_number='B-9', **values)])
            # What the draft's form lets the operator edit stays editable
            Letter.write([Letter(other.id)], {'subject': "Perihal baru"})
            # A copy starts as a new draft, whatever the original's state
            copy, = Letter.copy([Letter(letter.id)])
            self.assertEqual(
                (copy.state, copy.agenda_number, copy.registered_by),
                ('draft', None, None))
        letter = Letter(letter.id)
        self.assertEqual(
            (letter.agenda_number, letter.state, letter.unit),
            (number, 'registered', org.kominfo))
        self.assertEqual(Letter(other.id).subject, "Perihal baru")

        # Archived letters are read-only by their states
        Letter.archive([letter])
        with as_user(org.u_operator):
            with self.assertRaises(FieldReadonlyError):
                Letter.write([Letter(letter.id)], {'sender': "Pihak lain"})
        self.assertEqual(
            Letter(letter.id).sender, "Kementerian Komunikasi dan Digital")

    # Indonesian --------------------------------------------------------

    @with_transaction()
    def test_access_error_in_indonesian(self):
        "Tryton's own access refusal reaches an Indonesian user in Indonesian"
        pool = Pool()
        Unit = pool.get('esurat.unit')
        User = pool.get('res.user')
        language = load_indonesian()
        org = create_org()
        self.assertEqual(org.u_staff.language, language)
        with as_user(org.u_staff), Transaction().set_context(
                User.get_preferences(context_only=True)):
            with self.assertRaises(AccessError) as cm:
                Unit.write([Unit(org.kominfo.id)], {'name': "Dinas Jahat"})
        self.assertEqual(
            cm.exception.message,
            'Anda tidak diizinkan mengakses "Unit Kerja".')
        self.assertEqual(
            cm.exception.description, "Sebagai anggota kelompok: Staf e-Surat")
        self.assertEqual(
            Unit(org.kominfo.id).name, "Dinas Komunikasi dan Informatika")

    @with_transaction()
    def test_tryton_messages_in_indonesian(self):
        """Every message of ir and res is in Indonesian, with the placeholders
        of the English text, also after the next update reloads ir's own
        (incomplete) translations; none is skipped"""
        pool = Pool()
        Lang = pool.get('ir.lang')
        Message = pool.get('ir.message')
        ModelData = pool.get('ir.model.data')
        language = load_indonesian()
        Lang.load_translations([language])
        records = ModelData.search([
                ('model', '=', 'ir.message'),
                ('module', 'in', ['ir', 'res']),
                ])
        self.assertGreaterEqual(len(records), 155)
        for record in records:
            message = Message(record.db_id)
            translation = message._get_translation('id')
            with self.subTest(message=f'{record.module}.{record.fs_id}'):
                self.assertTrue(translation and translation.value)
                self.assertEqual(
                    sorted(PLACEHOLDER.findall(translation.value)),
                    sorted(PLACEHOLDER.findall(message.text)))

    @with_transaction()
    def test_chat_entry_in_indonesian(self):
        """A thread entry written by the queue is in Indonesian, although the
        database language is English and so is the operator's"""
        pool = Pool()
        Configuration = pool.get('ir.configuration')
        Letter = pool.get('esurat.letter')
        ChatMessage = pool.get('ir.chat.message')
        load_indonesian()
        org = create_org()
        letter = self.create_letter(org)
        self.assertEqual(Configuration.get_language(), 'en')
        with as_user(org.u_operator), \
                Transaction().set_context(language='en'):
            Letter.register([Letter(letter.id)])
        run_queue()
        entry, = ChatMessage.search([('channel.resource', '=', str(letter))])
        self.assertEqual(
            entry.content,
            f"Diregistrasi dengan nomor agenda {letter.agenda_number}.")


class RateLimiterTestCase(TestCase):
    """The rate limiter of the anonymous pages: one count in the database
    for every server process"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        activate_module(['esurat_base'])

    @with_transaction()
    def test_limit_shared_by_processes(self):
        "Two limiters of one name (two processes) share one count per key"
        first, second = (RateLimiter(3, name='test-shared') for _ in '12')
        self.assertEqual(
            [first.allow('10.0.0.1'), second.allow('10.0.0.1'),
                first.allow('10.0.0.1'), second.allow('10.0.0.1'),
                first.allow('10.0.0.1')],
            [True, True, True, False, False])
        self.assertTrue(second.allow('10.0.0.2'), "other addresses pass")
        self.assertTrue(
            RateLimiter(3, name='test-other').allow('10.0.0.1'),
            "another limiter counts apart")

    @with_transaction()
    def test_rolled_back_request_counts(self):
        "A request rolled back still counts; no address is stored"
        pool = Pool()
        RateLimit = pool.get('esurat.rate.limit')
        limiter = RateLimiter(2, name='test-rollback')
        transaction = Transaction()
        for _ in range(2):
            self.assertTrue(limiter.allow('192.0.2.9'))
            transaction.rollback()
        self.assertFalse(limiter.allow('192.0.2.9'))
        keys = [r.key for r in RateLimit.search([])]
        self.assertTrue(keys)
        self.assertFalse([k for k in keys if '192.0.2.9' in k])
        # Nor its plain hash, which 2**32 tries would give back
        plain = hashlib.sha256(
            b'test-rollback\x0060\x00192.0.2.9').hexdigest()
        self.assertFalse([k for k in keys if plain in k])
        limiter.reset()
        self.assertTrue(limiter.allow('192.0.2.9'), "reset forgets")

    @with_transaction()
    def test_windows_and_purge(self):
        """The previous window counts for what is left of it; the first hit
        of a window purges the expired rows"""
        pool = Pool()
        RateLimit = pool.get('esurat.rate.limit')
        self.assertEqual(RateLimit.hit('k', 10, 12, 0), (0, 1))
        self.assertEqual(RateLimit.hit('k', 10, 12, 0), (0, 2))
        self.assertEqual(RateLimit.hit('k', 11, 13, 0), (2, 1))
        self.assertEqual(RateLimit.hit('k', 13, 15, 0), (0, 1))
        RateLimit.hit('other', 20, 22, 14)
        self.assertEqual(
            sorted(r.slot for r in RateLimit.search([('key', '=', 'k')])),
            [13])

    def test_outside_transaction_counts_in_process(self):
        "Without a database, the count stays in the process"
        limiter = RateLimiter(1, name='test-local')
        self.assertEqual(
            [limiter.allow('10.0.0.1'), limiter.allow('10.0.0.1')],
            [True, False])

    @unittest.skipUnless(
        backend.name == 'postgresql',
        "the threads of a SQLite test have each their own memory database")
    def test_concurrent_processes_lose_no_hit(self):
        "Hits counted at once on several connections are all counted"
        limiter = RateLimiter(1000, name='test-concurrent')
        barrier = threading.Barrier(4)
        errors = []

        def flood():
            try:
                barrier.wait(timeout=30)
                with Transaction().start(DB_NAME, 0):
                    for _ in range(10):
                        limiter.allow('198.51.100.1')
            except Exception as error:
                errors.append(error)
        threads = [threading.Thread(target=flood) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        self.assertEqual(errors, [])

        def hits():
            RateLimit = Pool().get('esurat.rate.limit')
            return sum(r.hits for r in RateLimit.search([
                        ('key', '=', limiter._key('198.51.100.1'))]))
        self.assertEqual(run_committed(DB_NAME, hits), 40)


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


@unittest.skipIf(
    DB_NAME == ':memory:',
    "SQLite in memory has one connection: the problem cannot be committed "
    "apart from the failing call")
class FilestoreCommittedTestCase(unittest.TestCase):
    "A committed file lost from the filestore, as a user meets it"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        cls.addClassCleanup(drop_db)
        activate_module(['esurat_base'])

    def test_lost_file_reported_once(self):
        """Opening a scan lost from the filestore fails in Indonesian; the
        problem stays recorded although the call rolls back, and the super
        administrator is told once however often it is opened"""
        def setup():
            pool = Pool()
            LetterFile = pool.get('esurat.letter.file')
            load_indonesian()
            org = create_org()
            letter, = pool.get('esurat.letter').create([
                    letter_values(org.kominfo, [org.p_kadis])])
            file, = LetterFile.create([{
                        'letter': letter.id, 'name': 'surat.pdf',
                        'data': pdf_bytes()}])
            return org.u_operator.id, org.u_superadmin.id, file.id
        operator, admin, file_id = run_committed(DB_NAME, setup)

        def lose():
            pool = Pool()
            os.remove(filestore._filename(
                    pool.get('esurat.letter.file')(file_id).file_id,
                    'esurat'))
        run_committed(DB_NAME, lose)

        def open_file():
            pool = Pool()
            LetterFile = pool.get('esurat.letter.file')
            with check_access(), Transaction().set_context(language='id'):
                LetterFile.read([file_id], ['data'])
        for _ in range(2):
            with self.assertRaisesRegex(
                    FilestoreError, 'tidak ada di penyimpanan berkas'):
                run_committed(DB_NAME, open_file, user=operator)

        def reported():
            pool = Pool()
            Issue = pool.get('esurat.filestore.issue')
            Notification = pool.get('res.notification')
            return (
                [(str(i.resource), i.kind, i.state) for i in Issue.search([])],
                len(Notification.search([('user', '=', admin)])))
        self.assertEqual(run_committed(DB_NAME, reported), (
                [(f'esurat.letter.file,{file_id}', 'missing', 'open')], 1))


class MailSenderTestCase(unittest.TestCase):
    """Senders of the outbox at once, on committed mails: each mail is
    claimed, in a transaction of its own, by one sender"""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_db()
        activate_module(['esurat_base'])

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        drop_db()

    def setUp(self):
        super().setUp()
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        if not config.has_section('esurat'):
            config.add_section('esurat')
        self.addCleanup(
            config.set, 'esurat', 'mail_sending_timeout',
            config.get('esurat', 'mail_sending_timeout', default='15'))

    @staticmethod
    def committed(func):
        return run_committed(DB_NAME, func)

    def create_mails(self, prefix, count, **values):
        "Commit count pending mails to prefix-<n>@example.com; their ids"
        def create():
            pool = Pool()
            Mail = pool.get('esurat.mail')
            return [m.id for m in Mail.create([{
                            'to': f'{prefix}-{i}@example.com',
                            'subject': "Disposisi baru", 'body': "Isi",
                            **values,
                            } for i in range(count)])]
        return self.committed(create)

    def outcome(self, ids):
        "(to, state, attempts) of the mails of ids, as committed"
        def read():
            pool = Pool()
            Mail = pool.get('esurat.mail')
            return [(m.to, m.state, m.attempts) for m in Mail.browse(ids)]
        return self.committed(read)

    def received(self, server):
        "How many messages the server got per recipient"
        return Counter(m['To'] for m in server.messages)

    def test_mail_claimed_by_one_sender(self):
        """The cron found pending mails that the queued task sends before
        the cron gets to them: the cron sends none of them again"""
        ids = self.create_mails('claim', 3)

        def cron():
            pool = Pool()
            Mail = pool.get('esurat.mail')
            mails = Mail.browse(ids)
            self.assertEqual({m.state for m in mails}, {'pending'})
            # The task of the commit sends them meanwhile
            with Transaction().new_transaction():
                Mail.send(Mail.browse(ids))
            Mail.send(mails)
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            self.committed(cron)
        self.assertEqual(self.received(server), {
                f'claim-{i}@example.com': 1 for i in range(3)})
        self.assertEqual(self.outcome(ids), [
                (f'claim-{i}@example.com', 'sent', 1) for i in range(3)])

    def test_mail_of_a_dead_sender(self):
        """A mail sending for longer than [esurat] mail_sending_timeout
        (its sender died) is sent by the next cron run, once; a mail a live
        sender is sending is left to it"""
        now = datetime.datetime.now()
        dead, = self.create_mails(
            'dead', 1, state='sending', attempts=1,
            claimed_at=now - datetime.timedelta(minutes=20))
        live, = self.create_mails(
            'live', 1, state='sending', attempts=1,
            claimed_at=now - datetime.timedelta(minutes=1))

        def cron():
            Pool().get('esurat.mail').send_pending()
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            config.set('esurat', 'mail_sending_timeout', '30')
            self.committed(cron)
            self.assertEqual(server.messages, [])
            config.set('esurat', 'mail_sending_timeout', '15')
            self.committed(cron)
            self.committed(cron)
        self.assertEqual(self.received(server), {'dead-0@example.com': 1})
        self.assertEqual(self.outcome([dead, live]), [
                ('dead-0@example.com', 'sent', 2),
                ('live-0@example.com', 'sending', 1)])

    @unittest.skipUnless(
        backend.name == 'postgresql',
        "the threads of a SQLite test have each their own memory database")
    def test_mails_sent_once_by_two_senders(self):
        """The queued task and the cron send the same pending mails at once
        through a slow mail server: each arrives once and is sent"""
        count = 6
        ids = self.create_mails('twice', count)
        barrier = threading.Barrier(2)
        errors = []

        def task():
            pool = Pool()
            Mail = pool.get('esurat.mail')
            Mail.send(Mail.browse(ids))

        def cron():
            Pool().get('esurat.mail').send_pending()

        def sender(func):
            try:
                barrier.wait(timeout=30)
                self.committed(func)
            except Exception as error:
                errors.append(error)
        with SMTPServer(delay=0.2) as server:
            config.set('email', 'uri', server.uri)
            threads = [
                threading.Thread(target=sender, args=(f,))
                for f in [task, cron]]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        self.assertEqual(errors, [])
        self.assertEqual(self.received(server), {
                f'twice-{i}@example.com': 1 for i in range(count)})
        self.assertEqual(self.outcome(ids), [
                (f'twice-{i}@example.com', 'sent', 1) for i in range(count)])


del ModuleTestCase
