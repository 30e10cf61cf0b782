# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import json
from pathlib import Path

from trytond.model.exceptions import AccessError
from trytond.modules.esurat_base.tests.policy import PolicyTestMixin
from trytond.modules.esurat_base.tests.tools import (
    as_user, create_org, letter_values, pdf_bytes, read_form, reference,
    run_queue)
from trytond.modules.esurat_signing.tests.tools import (
    SigningTestMixin, create_signing_org)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, without_check_access

MODELS = [
    'esurat.report.agency', 'esurat.report.agency.time_series',
    'esurat.report.position']


def letter_to(org, position, unit, **values):
    "A letter of unit registered and distributed to position"
    pool = Pool()
    Letter = pool.get('esurat.letter')
    letter, = Letter.create([letter_values(unit, [position], **values)])
    Letter.register([letter])
    Letter.distribute([letter])
    return letter


def activity(**clause):
    "The events matching clause, as root sees them"
    pool = Pool()
    Activity = pool.get('esurat.activity')
    with without_check_access():
        return Activity.search([(k, '=', v) for k, v in clause.items()])


def rows(model, fields_=None):
    "Every row of the model the current user may read, as a client reads"
    pool = Pool()
    Model = pool.get(model)
    records = Model.search([])
    return Model.read(
        [r.id for r in records], fields_ or list(Model._fields))


class EsuratReportTestCase(
        SigningTestMixin, PolicyTestMixin, ModuleTestCase):
    "Test e-Surat report module"
    module = 'esurat_report'
    policy_readme = Path(__file__).parents[1] / 'README.md'

    def policy_fixture(self):
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        org = create_org()
        letter_to(org, org.p_kadis, org.kominfo)
        # A month later the item is escalated to the Kepala Dinas' superior
        Disposition.escalate_late(
            date=datetime.date.today() + datetime.timedelta(days=30))

    def two_agencies(self):
        org = create_org()
        letter_to(org, org.p_kadis, org.kominfo)
        letter_to(org, org.p_kadinkes, org.dinkes,
            sender_number='B-7/UJI/2026')
        return org

    @with_transaction()
    def test_opd_admin_sees_own_agency(self):
        "An OPD administrator finds and reads only their agency's figures"
        pool = Pool()
        Agency = pool.get('esurat.report.agency')
        org = self.two_agencies()
        with as_user(org.u_superadmin):
            self.assertEqual(
                {r['agency'] for r in rows('esurat.report.agency')},
                {org.kominfo.id, org.dinkes.id})
        with as_user(org.u_operator):
            for model in MODELS:
                with self.subTest(model=model):
                    self.assertEqual(
                        {r['agency'] for r in rows(model, ['agency'])},
                        {org.kominfo.id})
            # Asking for the other agency's row by its id is refused
            with self.assertRaises(AccessError):
                Agency.read([org.dinkes.id], ['letters'])
            # and filtering on it finds nothing
            with Transaction().set_context(agency=org.dinkes.id):
                self.assertEqual(Agency.search([]), [])
            self.assertEqual(
                Agency.search_count([('agency', '=', org.dinkes.id)]), 0)

    @with_transaction()
    def test_who_sees_which_agencies(self):
        """The Sekda sees every agency, a Kepala Dinas their own, staff no
        figure at all"""
        org = self.two_agencies()
        for user, agencies in [
                (org.u_sekda, {org.kominfo.id, org.dinkes.id}),
                (org.u_kadinkes, {org.dinkes.id}),
                (org.u_kabid, set()),
                ]:
            with self.subTest(user=user.login), as_user(user):
                self.assertEqual(
                    {r['agency'] for r in rows('esurat.report.agency')},
                    agencies)
        with as_user(org.u_staff):
            for model in MODELS:
                with self.subTest(model=model), \
                        self.assertRaises(AccessError):
                    rows(model)

    @with_transaction()
    def test_rahasia_counted_never_described(self):
        "A rahasia letter is in the counts; its subject is in no field"
        pool = Pool()
        org = create_org()
        subject = "Penyidikan pegawai Kominfo"
        letter_to(org, org.p_kadis, org.kominfo, subject=subject,
            summary=subject,
            confidentiality=reference('confidentiality_secret'))
        with as_user(org.u_superadmin):
            agency, = rows('esurat.report.agency')
            self.assertEqual(agency['letters'], 1)
            self.assertEqual(agency['items'], 1)
            for model in MODELS:
                with self.subTest(model=model):
                    text = json.dumps(rows(model), default=str)
                    self.assertNotIn(subject, text)
                    self.assertNotIn('subject', pool.get(model)._fields)

    @with_transaction()
    def test_outgoing_figures(self):
        """Drafts, signatures with the time from the last submission, the
        returns and the deliveries of the signing agency"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Approval = pool.get('esurat.outgoing.approval')
        Signature = pool.get('esurat.signature')
        org = create_signing_org()
        self.draft(org)
        outgoing = self.draft(org, recipients=[
                {'kind': 'internal', 'position': org.p_kadinkes.id},
                {'kind': 'external', 'name': "PT Uji",
                    'address': "Jl. Raya 2"},
                ])
        self.submit(org, outgoing)
        with as_user(org.u_kasi):
            Outgoing.send_back([Outgoing(outgoing.id)], "Perbaiki perihal")
        self.submit(org, outgoing)
        for user in [org.u_kasi, org.u_kabid, org.u_sekdis]:
            self.approve(user, outgoing)
        outgoing = self.sign(org.u_kadis, outgoing)
        run_queue()
        # The activity log is written at commit, as the return's transition
        Transaction()._store_log_records()
        # and so the approvals and the signature of the activity monitor
        self.assertEqual(
            {(e.user, e.position) for e in activity(action='approval')},
            {(org.u_kasi, org.p_kasi), (org.u_kabid, org.p_kabid),
                (org.u_sekdis, org.p_sekdis)})
        signature, = activity(action='signature')
        self.assertEqual(
            (signature.user, signature.agency, signature.record_name),
            (org.u_kadis, org.kominfo, outgoing.number))
        # Submitted again at 08:00, signed at 11:30: 3.5 hours
        day = outgoing.signature.signed_at.replace(
            hour=8, minute=0, second=0, microsecond=0)
        approval, signature = Approval.__table__(), Signature.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*approval.update(
                [approval.received_at], [day],
                where=approval.outgoing == outgoing.id))
        cursor.execute(*signature.update(
                [signature.signed_at],
                [day + datetime.timedelta(hours=3, minutes=30)],
                where=signature.id == outgoing.signature.id))
        with as_user(org.u_superadmin):
            figures = {r['agency']: r for r in rows('esurat.report.agency')}
        kominfo = figures[org.kominfo.id]
        self.assertEqual(
            [kominfo[n] for n in ['drafted', 'signed', 'returns',
                    'internal', 'email', 'printed']],
            [2, 1, 1, 1, 0, 1])
        self.assertEqual(kominfo['returns_per_letter'], 1)
        self.assertAlmostEqual(kominfo['signature_median'], 3.5)
        # The internal delivery is a letter registered in Dinkes
        self.assertEqual(figures[org.dinkes.id]['letters'], 1)

    @with_transaction()
    def test_activity_monitoring(self):
        """Logins, failed logins, opening a letter, downloading its scan,
        exports, Tryton's own events and reading the monitor are logged
        with the user's position and agency; a rahasia letter's subject is
        in no event; an OPD administrator sees their agency's events only;
        nobody changes the log"""
        pool = Pool()
        User = pool.get('res.user')
        Letter = pool.get('esurat.letter')
        LetterFile = pool.get('esurat.letter.file')
        Activity = pool.get('esurat.activity')
        Disposition = pool.get('esurat.disposition')
        org = create_org()
        subject = "Penyidikan pegawai Kominfo"
        letter, secret = Letter.create([
                letter_values(org.kominfo, [org.p_kadis]),
                letter_values(org.kominfo, [org.p_kadis], subject=subject,
                    summary=subject, sender_number='R-1/UJI/2026',
                    confidentiality=reference('confidentiality_secret')),
                ])
        scan, secret_scan = LetterFile.create([
                {'letter': letter.id, 'name': 'scan.pdf',
                    'data': pdf_bytes()},
                {'letter': secret.id, 'name': f'{subject}.pdf',
                    'data': pdf_bytes()},
                ])
        with as_user(org.u_operator):
            # A button from a client: Tryton's log, copied at commit
            Letter.register([letter, secret])
        Letter.distribute([letter, secret])
        Transaction()._store_log_records()
        register, = activity(action='register', record=letter.id)
        self.assertEqual(
            (register.user, register.agency, register.record_name),
            (org.u_operator, org.kominfo, letter.agenda_number))

        User.write([org.u_kadis], {'password': 'Kominfo-Uji-2026'})
        with Transaction().set_context(
                _request={'remote_addr': '10.1.2.3'}):
            self.assertEqual(
                User.get_login('kadis_kominfo',
                    {'password': 'Kominfo-Uji-2026'}), org.u_kadis.id)
            self.assertIsNone(
                User.get_login('kadis_kominfo', {'password': 'salah'}))
            self.assertIsNone(
                User.get_login('tidak_ada', {'password': 'salah'}))
        login, = activity(action='login')
        self.assertEqual(
            (login.user, login.agency, login.position, login.ip_address),
            (org.u_kadis, org.kominfo, org.p_kadis, '10.1.2.3'))
        failed = activity(action='login_failed')
        self.assertEqual(
            sorted((e.login, e.user and e.user.id) for e in failed),
            [('kadis_kominfo', org.u_kadis.id), ('tidak_ada', None)])

        with as_user(org.u_kadis):
            # A list of letters, and the size of the scans, are no event
            Letter.read([letter.id, secret.id], ['agenda_number', 'subject'])
            with Transaction().set_context(
                    {'esurat.letter.file.data': 'size'}):
                LetterFile.read([scan.id], ['data'])
            self.assertEqual(activity(action='open'), [])
            self.assertEqual(activity(action='download'), [])
            for record in [letter, secret]:
                read_form(Letter, [record.id])
            item, = Disposition.search([('letter', '=', letter.id)])
            read_form(Disposition, [item.id])
            LetterFile.read([scan.id, secret_scan.id], ['name', 'data'])
        with as_user(org.u_operator):
            Letter.export_data([letter], ['agenda_number', 'subject'])
        opened = activity(action='open', model='esurat.letter')
        self.assertEqual(
            {(e.record, e.record_name, e.position, e.agency)
                for e in opened},
            {(letter.id, letter.agenda_number, org.p_kadis, org.kominfo),
                (secret.id, secret.agenda_number, org.p_kadis,
                    org.kominfo)})
        opened_item, = activity(action='open', model='esurat.disposition')
        self.assertEqual(
            (opened_item.record, opened_item.record_name,
                opened_item.position),
            (item.id, letter.agenda_number, org.p_kadis))
        self.assertEqual(
            {(e.record, e.record_name, e.user, e.position)
                for e in activity(action='download')},
            {(scan.id, letter.agenda_number, org.u_kadis, org.p_kadis),
                (secret_scan.id, secret.agenda_number, org.u_kadis,
                    org.p_kadis)})
        export, = activity(action='export')
        self.assertEqual(
            (export.user, export.model, export.record, export.detail),
            (org.u_operator, 'esurat.letter', letter.id,
                '1: agenda_number, subject'))

        # A Dinkes event, for the scopes below
        with Transaction().set_context(
                _request={'remote_addr': '10.1.2.4'}):
            User.get_login('op_dinkes', {'password': 'salah'})
        dinkes, = activity(action='login_failed', agency=org.dinkes.id)

        with as_user(org.u_superadmin):
            events = Activity.search([])
            values = Activity.read(
                [e.id for e in events], list(Activity._fields))
            self.assertNotIn(subject, json.dumps(values, default=str))
            self.assertIn(dinkes.id, [e.id for e in events])
        monitor, = activity(action='monitor')
        self.assertEqual(
            (monitor.user, monitor.agency, monitor.detail),
            (org.u_superadmin, org.setda, str(len(events))))

        with as_user(org.u_operator):
            events = Activity.search([])
            self.assertEqual({e.agency for e in events}, {org.kominfo})
            self.assertNotIn(dinkes.id, [e.id for e in events])
            with self.assertRaises(AccessError):
                Activity.read([dinkes.id], ['login'])
            self.assertEqual(
                Activity.search([('agency', '=', org.dinkes.id)]), [])
        with as_user(org.u_op_dinkes):
            self.assertEqual(
                {e.agency for e in Activity.search([])}, {org.dinkes})
        for user in [org.u_kadis, org.u_staff]:
            with as_user(user), self.assertRaises(AccessError):
                Activity.search([])

        # Append-only: not even the super administrator changes it
        for user in [org.u_superadmin, org.u_operator]:
            with as_user(user):
                with self.assertRaises(AccessError):
                    Activity.write([Activity(login.id)], {'login': 'lain'})
                with self.assertRaises(AccessError):
                    Activity.delete([Activity(login.id)])
                with self.assertRaises(AccessError):
                    Activity.create([{
                                'date': datetime.datetime.now(),
                                'action': 'login'}])


del ModuleTestCase
