import datetime

from trytond import config
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.esurat_base.tests.tools import (
    SMTPServer, as_user, create_org, create_position, create_user, letter_values,
    reference, run_queue)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

TODAY = datetime.date.today()


def instruction(n=1):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Instruction = pool.get('esurat.disposition.instruction')
    return Instruction(ModelData.get_id(
            'esurat_disposition', f'instruction_{n:02d}'))


class EsuratDispositionTestCase(ModuleTestCase):
    "Test e-Surat disposition module"
    module = 'esurat_disposition'

    def setup_org(self):
        org = create_org()
        org.u_kasi = create_user(
            'kasi', "Kasi e-Gov", org.bidang, ['group_esurat_official'])
        org.p_kasi = create_position(
            "Kepala Seksi e-Gov", org.bidang, 'section_head', org.p_kabid,
            org.u_kasi)
        org.p_staff.reports_to = org.p_kasi
        org.p_staff.save()
        return org

    def letter_to(self, org, position, unit=None, **values):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        letter, = Letter.create([letter_values(
                    unit or org.setda, [position], **values)])
        Letter.register([letter])
        Letter.distribute([letter])
        return letter

    def delivery(self, letter, position):
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        delivery, = Disposition.search([
                ('letter', '=', letter.id), ('kind', '=', 'delivery'),
                ('to_position', '=', position.id)])
        return delivery

    def send(self, user, parent, positions, **kwargs):
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        with as_user(user):
            return Disposition.send(
                Disposition(parent.id), positions,
                instructions=kwargs.pop('instructions', [instruction(5)]),
                **kwargs)

    @with_transaction()
    def test_chain_of_command_to_done(self):
        "Sekda → Kepala Dinas → Kabid → Kasi → done, all tracked"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Letter = pool.get('esurat.letter')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_sekda)
        delivery = self.delivery(letter, org.p_sekda)
        self.assertEqual(letter.state, 'distributed')
        self.assertEqual((delivery.state, delivery.unread), ('sent', True))

        with as_user(org.u_sekda):
            Disposition.mark_read([Disposition(delivery.id)])
        delivery = Disposition(delivery.id)
        self.assertEqual(delivery.state, 'read')
        self.assertEqual(delivery.read_by, org.u_sekda)
        self.assertEqual(delivery.read_as, "Sekretaris Daerah")

        to_kadis, = self.send(
            org.u_sekda, delivery, [org.p_kadis],
            deadline=TODAY + datetime.timedelta(days=3), note="Segera")
        self.assertEqual(to_kadis.from_title, "Sekretaris Daerah")
        self.assertEqual(to_kadis.from_user, org.u_sekda)
        self.assertEqual(Disposition(delivery.id).state, 'in_progress')

        to_kabid, = self.send(org.u_kadis, to_kadis, [org.p_kabid])
        to_kasi, = self.send(org.u_kabid, to_kabid, [org.p_kasi])
        self.assertEqual(Letter(letter.id).progress, 'in_progress')
        self.assertEqual(Letter(letter.id).progress_text, '0/3')

        with as_user(org.u_kasi):
            Disposition.write(
                [Disposition(to_kasi.id)], {'report': "Sudah dihadiri"})
            Disposition.done([Disposition(to_kasi.id)])
        to_kasi = Disposition(to_kasi.id)
        self.assertEqual(to_kasi.state, 'done')
        self.assertEqual(to_kasi.done_as, "Kepala Seksi e-Gov")
        self.assertEqual(to_kasi.read_by, org.u_kasi)
        for disposition, user in [(to_kabid, org.u_kabid),
                (to_kadis, org.u_kadis)]:
            with as_user(user):
                Disposition.write(
                    [Disposition(disposition.id)], {'report': "Selesai"})
                Disposition.done([Disposition(disposition.id)])
        self.assertEqual(Letter(letter.id).progress, 'done')
        # The tree: delivery → Sekda's disposition → Kadis's → Kabid's
        self.assertEqual(delivery.children, (to_kadis,))
        self.assertEqual(Disposition(to_kadis.id).children, (to_kabid,))
        self.assertEqual(Disposition(to_kabid.id).children, (to_kasi,))

    @with_transaction()
    def test_authority_and_bad_input(self):
        "Disposing outside one's authority or into the past is refused"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        delivery = self.delivery(letter, org.p_kadis)
        count = Disposition.search([], count=True)
        for user, parent, positions, error in [
                (org.u_kadis, delivery, [org.p_kadinkes], AccessError),
                (org.u_kadis, delivery, [org.p_sekda], AccessError),
                (org.u_kabid, delivery, [org.p_staff], AccessError),
                (org.u_kadis, delivery, [], UserError),
                ]:
            with self.subTest(user=user.login, to=positions):
                with self.assertRaises(error):
                    self.send(user, parent, positions)
        with self.assertRaisesRegex(UserError, 'past'):
            self.send(org.u_kadis, delivery, [org.p_kabid],
                deadline=TODAY - datetime.timedelta(days=1))
        self.assertEqual(Disposition.search([], count=True), count)

        # Anywhere below in the chain is fine, a leader reaches any head
        self.send(org.u_kadis, delivery, [org.p_kasi, org.p_staff])
        letter = self.letter_to(org, org.p_sekda)
        self.send(org.u_sekda, self.delivery(letter, org.p_sekda),
            [org.p_kadinkes, org.p_kadis])

    @with_transaction()
    def test_report_only_by_recipient(self):
        "Nobody reports on someone else's disposition"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        to_kabid, = self.send(
            org.u_kadis, self.delivery(letter, org.p_kadis), [org.p_kabid])
        for user in [org.u_kasi, org.u_kadis, org.u_kadinkes]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Disposition.write(
                        [Disposition(to_kabid.id)], {'report': "Bukan saya"})
                with self.assertRaises(UserError):
                    Disposition.done([Disposition(to_kabid.id)])
        with as_user(org.u_kabid):
            with self.assertRaisesRegex(UserError, 'report'):
                Disposition.done([Disposition(to_kabid.id)])

    @with_transaction()
    def test_recall_unread_only(self):
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        delivery = self.delivery(letter, org.p_kadis)
        first, second = self.send(
            org.u_kadis, delivery, [org.p_kabid, org.p_kasi])
        with as_user(org.u_kabid):
            with self.assertRaises(AccessError):
                Disposition.recall([Disposition(first.id)])
        with as_user(org.u_kadis):
            Disposition.recall([Disposition(first.id)])
        self.assertEqual(Disposition(first.id).state, 'recalled')
        with as_user(org.u_kasi):
            Disposition.mark_read([Disposition(second.id)])
        with as_user(org.u_kadis):
            with self.assertRaises(UserError):
                Disposition.recall([Disposition(second.id)])
        self.assertEqual(Disposition(second.id).state, 'read')
        # A recalled disposition no longer opens the letter
        with as_user(org.u_kabid):
            self.assertEqual(Disposition.search([('mine', '=', True)]), [])

    @with_transaction()
    def test_access(self):
        "Recipients and senders see; another agency sees nothing"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Letter = pool.get('esurat.letter')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        to_kabid, = self.send(
            org.u_kadis, self.delivery(letter, org.p_kadis), [org.p_kabid])
        with as_user(org.u_kabid):
            self.assertEqual(Letter.search([]), [letter])
            self.assertIn(to_kabid, Disposition.search([]))
        with as_user(org.u_kadinkes):
            self.assertEqual(Letter.search([]), [])
            self.assertEqual(Disposition.search([]), [])
        with as_user(org.u_op_dinkes):
            self.assertEqual(Disposition.search([]), [])

    @with_transaction()
    def test_restricted_along_the_tree(self):
        "Rahasia stays rahasia for the agency's operator along the tree"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        org = self.setup_org()
        letter = self.letter_to(
            org, org.p_kadis, unit=org.kominfo,
            confidentiality=reference('confidentiality_secret'),
            subject="Pemeriksaan khusus")
        to_kabid, = self.send(
            org.u_kadis, self.delivery(letter, org.p_kadis), [org.p_kabid])
        with as_user(org.u_kabid):
            self.assertEqual(
                Disposition(to_kabid.id).letter_subject,
                "Pemeriksaan khusus")
        with as_user(org.u_operator):
            self.assertEqual(Disposition.search([]), [])

    @with_transaction()
    def test_delegation_plh(self):
        "A Plh acts for the Kepala Dinas on leave; history keeps both"
        pool = Pool()
        Delegation = pool.get('esurat.delegation')
        Disposition = pool.get('esurat.disposition')
        User = pool.get('res.user')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        delivery = self.delivery(letter, org.p_kadis)

        with as_user(org.u_operator):
            delegation, = Delegation.create([{
                        'position': org.p_kadis.id,
                        'delegate': org.u_kabid.id,
                        'kind': 'plh', 'reason': 'leave',
                        'start_date': TODAY,
                        'end_date': TODAY + datetime.timedelta(days=5)}])
            Delegation.request([delegation])
        self.assertEqual(delegation.approver_position, org.p_sekda)
        with as_user(org.u_kabid):
            self.assertEqual(
                Disposition.search([('mine', '=', True)]), [])
        for user in [org.u_kadis, org.u_kabid]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Delegation.approve([Delegation(delegation.id)])
        with as_user(org.u_sekda):
            Delegation.approve([Delegation(delegation.id)])
        delegation = Delegation(delegation.id)
        self.assertEqual(delegation.state, 'active')
        self.assertEqual(delegation.approved_as, "Sekretaris Daerah")

        with as_user(org.u_kabid):
            self.assertEqual(
                Disposition.search([('mine', '=', True)]), [delivery])
        self.assertEqual(
            User.acting_title(org.p_kadis, org.u_kabid.id),
            "Plh. Kepala Dinas")
        to_kasi, = self.send(org.u_kabid, delivery, [org.p_kasi])
        self.assertEqual(to_kasi.from_title, "Plh. Kepala Dinas")
        self.assertEqual(to_kasi.from_user, org.u_kabid)
        self.assertEqual(to_kasi.from_position, org.p_kadis)

        # A delegate does not delegate onward; periods do not overlap
        with as_user(org.u_kabid):
            with self.assertRaises(AccessError):
                Delegation.create([{
                            'position': org.p_kadis.id,
                            'delegate': org.u_kasi.id, 'kind': 'assistant',
                            'reason': 'assistance', 'start_date': TODAY,
                            'end_date': TODAY}])
        with self.assertRaises(UserError):
            Delegation.create([{
                        'position': org.p_kadis.id,
                        'delegate': org.u_kasi.id, 'kind': 'plh',
                        'reason': 'leave',
                        'start_date': TODAY + datetime.timedelta(days=2),
                        'end_date': TODAY + datetime.timedelta(days=9)}])

        # It ends by itself; history is unchanged
        Delegation.write([delegation], {
                'end_date': TODAY - datetime.timedelta(days=1),
                'start_date': TODAY - datetime.timedelta(days=3)})
        Delegation.update_states()
        self.assertEqual(Delegation(delegation.id).state, 'ended')
        with as_user(org.u_kabid):
            self.assertNotIn(
                delivery, Disposition.search([('mine', '=', True)]))
        self.assertEqual(
            Disposition(to_kasi.id).from_title, "Plh. Kepala Dinas")

    @with_transaction()
    def test_main_operator_records_leader_disposition(self):
        "Bagian Umum records the Sekda's paper disposition"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Letter = pool.get('esurat.letter')
        Dispose = pool.get('esurat.disposition.dispose', type='wizard')
        org = self.setup_org()
        umum = create_user(
            'umum', "Operator Umum", org.setda,
            ['group_esurat_main_operator'])
        letter = self.letter_to(org, org.p_sekda)
        with as_user(umum):
            session_id, _, _ = Dispose.create()
            with Transaction().set_context(
                    active_model='esurat.letter', active_id=letter.id,
                    active_ids=[letter.id]):
                result = Dispose.execute(session_id, {}, 'start')
                values = result['view']['defaults']
                self.assertTrue(values['recorded'])
                self.assertEqual(values['from_position'], org.p_sekda.id)
                Dispose.execute(session_id, {'start': {
                            'parent': values['parent'],
                            'from_position': values['from_position'],
                            'allowed': values['allowed'],
                            'recorded': True,
                            'to_positions': [org.p_kadis.id],
                            'instructions': [instruction(5).id],
                            'today': TODAY,
                            }}, 'send')
        disposition, = Disposition.search([
                ('letter', '=', letter.id), ('kind', '=', 'disposition')])
        self.assertEqual(disposition.from_title, "Sekretaris Daerah")
        self.assertEqual(disposition.recorded_by, umum)
        self.assertIsNone(disposition.from_user)
        # The receiving agency's operator and head see it at once
        with as_user(org.u_operator):
            self.assertEqual(Letter.search([]), [letter])
        with as_user(org.u_kadis):
            self.assertEqual(
                Disposition.search([('mine', '=', True)]), [disposition])

    @with_transaction()
    def test_inbox_order(self):
        "Unread first, then the most urgent, then the nearest deadline"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        org = self.setup_org()
        normal = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        urgent = self.letter_to(
            org, org.p_kadis, unit=org.kominfo, sender_number='U-1',
            urgency=reference('urgency_very_urgent'))
        read = self.letter_to(
            org, org.p_kadis, unit=org.kominfo, sender_number='R-1',
            urgency=reference('urgency_very_urgent'))
        with as_user(org.u_kadis):
            Disposition.mark_read([Disposition(
                        self.delivery(read, org.p_kadis).id)])
            inbox = Disposition.search([('mine', '=', True)])
            self.assertEqual(
                [d.letter for d in inbox], [urgent, normal, read])
            self.assertEqual(Disposition.search(
                    [('mine', '=', True), ('unread', '=', True)],
                    count=True), 2)

    @with_transaction()
    def test_notifications_and_email(self):
        "New disposition, report, tomorrow and overdue reach people"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Mail = pool.get('esurat.mail')
        org = self.setup_org()
        for user in [org.u_kadis, org.u_kabid]:
            user.email = f'{user.login}@sukamajukab.go.id'
            user.save()
        transaction = Transaction()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        email_uri = config.get('email', 'uri')
        self.addCleanup(config.set, 'email', 'uri', email_uri)
        with SMTPServer() as server:
            config.set('email', 'uri', server.uri)
            to_kabid, = self.send(
                org.u_kadis, self.delivery(letter, org.p_kadis),
                [org.p_kabid], deadline=TODAY + datetime.timedelta(days=1))
            run_queue()
            Disposition.send_reminders()
            Disposition.send_reminders()
            Disposition.write([to_kabid], {'deadline': TODAY
                    - datetime.timedelta(days=1)})
            Disposition.send_reminders()
            run_queue()
        labels = [(n.user.id, n.label) for n in transaction.user_notifications]
        self.assertIn(
            (org.u_kadis.id,
                "New letter or disposition from Diskominfo"), labels)
        self.assertIn(
            (org.u_kabid.id,
                "New letter or disposition from Kepala Dinas"), labels)
        self.assertEqual(len([l for u, l in labels
                    if u == org.u_kabid.id and 'due tomorrow' in l]), 1)
        self.assertEqual(
            {u for u, l in labels if 'overdue' in l},
            {org.u_kabid.id, org.u_kadis.id})
        subjects = {(m['To'], m['Subject']) for m in server.messages}
        self.assertIn(
            ('kabid_aptika@sukamajukab.go.id',
                "New letter or disposition from Kepala Dinas"), subjects)
        self.assertTrue(all(m.state == 'sent' for m in Mail.search([])))


del ModuleTestCase
