# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
from pathlib import Path

from trytond import config
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError
from trytond.modules.esurat_base.tests.policy import PolicyTestMixin
from trytond.modules.esurat_base.tests.tools import (
    SMTPServer, add_kasi, as_user, create_org, create_user, letter_values,
    reference, run_queue)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction, without_check_access

TODAY = datetime.date.today()


def instruction(n=1):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Instruction = pool.get('esurat.disposition.instruction')
    return Instruction(ModelData.get_id(
            'esurat_disposition', f'instruction_{n:02d}'))


class EsuratDispositionTestCase(PolicyTestMixin, ModuleTestCase):
    "Test e-Surat disposition module"
    module = 'esurat_disposition'
    policy_readme = Path(__file__).parents[1] / 'README.md'

    def setup_org(self):
        return add_kasi(create_org())

    def policy_fixture(self):
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        self.send(org.u_kadis, self.delivery(letter, org.p_kadis),
            [org.p_kabid])

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
        # A recalled disposition no longer opens the letter; the other one
        # still does
        Letter = pool.get('esurat.letter')
        with as_user(org.u_kabid):
            self.assertEqual(Disposition.search([('mine', '=', True)]), [])
            self.assertEqual(Letter.search([('id', '=', letter.id)]), [])
        with as_user(org.u_kasi):
            self.assertEqual(
                Letter.search([('id', '=', letter.id)]), [letter])

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
    def test_restricted_report_not_in_thread(self):
        "The thread of a rahasia letter does not get the follow-up report"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Channel = pool.get('ir.chat.channel')
        org = self.setup_org()
        letter = self.letter_to(
            org, org.p_kadis, unit=org.kominfo,
            confidentiality=reference('confidentiality_secret'),
            subject="Pemeriksaan khusus")
        to_kabid, = self.send(
            org.u_kadis, self.delivery(letter, org.p_kadis), [org.p_kabid])
        with as_user(org.u_kabid):
            Disposition.write(
                [Disposition(to_kabid.id)],
                {'report': "Pemeriksaan menemukan selisih kas"})
            Disposition.done([Disposition(to_kabid.id)])
        run_queue()
        with Transaction().set_user(org.u_kadis.id):
            thread = [m['content'] for m in Channel.get(
                    f'esurat.letter,{letter.id}')]
        self.assertTrue(any('***' in m for m in thread))
        self.assertFalse(any('selisih' in m for m in thread))
        self.assertEqual(
            Disposition(to_kabid.id).report,
            "Pemeriksaan menemukan selisih kas")

        # Who may read the letter still finds it by its subject
        with as_user(org.u_kabid):
            found = Disposition.search(
                [('letter.subject', 'ilike', '%Pemeriksaan%')])
            self.assertIn(Disposition(to_kabid.id), found)
            self.assertEqual(set(found), set(Disposition.search([])))

    @with_transaction()
    def test_plh_acts_on_the_inbox(self):
        "A Plh acts for the Kepala Dinas on leave; history keeps both"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        Disposition = pool.get('esurat.disposition')
        User = pool.get('res.user')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        delivery = self.delivery(letter, org.p_kadis)

        with as_user(org.u_operator):
            holding, = Holding.create([{
                        'position': org.p_kadis.id,
                        'user': org.u_kabid.id,
                        'kind': 'plh', 'reason': 'leave',
                        'start_date': TODAY,
                        'end_date': TODAY + datetime.timedelta(days=5)}])
            Holding.request([holding])
        self.assertEqual(holding.approver_position, org.p_sekda)
        with as_user(org.u_kabid):
            self.assertEqual(
                Disposition.search([('mine', '=', True)]), [])
        for user in [org.u_kadis, org.u_kabid]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Holding.approve([Holding(holding.id)])
        with as_user(org.u_sekda):
            Holding.approve([Holding(holding.id)])
        holding = Holding(holding.id)
        self.assertEqual(holding.state, 'active')
        self.assertEqual(holding.approved_as, "Sekretaris Daerah")

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
                Holding.create([{
                            'position': org.p_kadis.id,
                            'user': org.u_kasi.id, 'kind': 'assistant',
                            'reason': 'assistance', 'start_date': TODAY,
                            'end_date': TODAY}])
        with self.assertRaises(UserError):
            Holding.create([{
                        'position': org.p_kadis.id,
                        'user': org.u_kasi.id, 'kind': 'plh',
                        'reason': 'leave',
                        'start_date': TODAY + datetime.timedelta(days=2),
                        'end_date': TODAY + datetime.timedelta(days=9)}])

        # It ends by itself; history is unchanged
        Holding.write([holding], {
                'end_date': TODAY - datetime.timedelta(days=1),
                'start_date': TODAY - datetime.timedelta(days=3)})
        Holding.update_states()
        self.assertEqual(Holding(holding.id).state, 'ended')
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
            record, = Letter.read([letter.id], ['may_dispose'])
            self.assertTrue(record['may_dispose'])
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
    def test_register_and_distribute_delivers(self):
        """The operator's one action puts the letter into the addressee's
        inbox (whose tabs all show their count) and their letters' To Do
        tab until they are done with it"""
        pool = Pool()
        ActWindow = pool.get('ir.action.act_window')
        Disposition = pool.get('esurat.disposition')
        Letter = pool.get('esurat.letter')
        ModelData = pool.get('ir.model.data')
        org = self.setup_org()
        letter, = Letter.create([letter_values(org.kominfo, [org.p_kadis])])
        with as_user(org.u_operator):
            Letter.register_and_distribute([Letter(letter.id)])
        with as_user(org.u_kadis):
            item, = Disposition.search(
                [('mine', '=', True), ('unread', '=', True)])
            self.assertEqual((item.letter, item.kind), (letter, 'delivery'))
            # the letter waits for the Kepala Dinas until the item is done
            self.assertEqual(Letter.search([('to_do', '=', True)]), [letter])
            self.assertEqual(Letter(letter.id).to_do, True)
            Disposition.done([item])
            self.assertEqual(Letter.search([('to_do', '=', True)]), [])
            self.assertEqual(
                Letter.search([('to_do', '=', False)]), [letter])
            self.assertEqual(Letter(letter.id).to_do, False)

        inbox = ActWindow(ModelData.get_id('esurat_disposition', 'act_inbox'))
        self.assertTrue(all(d.count for d in inbox.act_window_domains))

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

    # Hostile clients ---------------------------------------------------

    def dispose_session(self, user, record, data, start=True):
        """Run Dispose on record as user over the calls the client makes:
        the start view (unless start is False), then send with data laid
        over what the start view gave"""
        pool = Pool()
        Dispose = pool.get('esurat.disposition.dispose', type='wizard')
        with as_user(user), Transaction().set_context(
                active_model=record.__name__, active_id=record.id,
                active_ids=[record.id]):
            session_id, _, _ = Dispose.create()
            # Like the RPC of execute: the wizard checks access itself
            with without_check_access():
                values = {}
                if start:
                    defaults = Dispose.execute(
                        session_id, {}, 'start')['view']['defaults']
                    values = {
                        k: v for k, v in defaults.items() if '.' not in k}
                values.update(data)
                Dispose.execute(session_id, {'start': values}, 'send')

    def forged_value(self, name, field, disposition, targets):
        "A value of field's type other than disposition's"
        current = getattr(disposition, name)
        if field._type == 'many2one':
            return targets[field.model_name]
        if field._type in {'char', 'text'}:
            return "Palsu"
        if field._type == 'integer':
            return 99
        if field._type == 'boolean':
            return not current
        if field._type == 'date':
            return TODAY + datetime.timedelta(days=30)
        if field._type in {'datetime', 'timestamp'}:
            return datetime.datetime(2020, 1, 1)
        if field._type == 'selection':
            return next(v for v, _ in field.selection if v != current)
        if field._type == 'many2many':
            return [('add', [instruction(1).id])]
        if field._type == 'one2many':
            return [('add', [targets['esurat.disposition']])]
        self.fail(f"No forged value for {name} ({field._type})")

    @with_transaction()
    def test_recipient_writes_only_the_report(self):
        "The recipient writes no workflow field, only the report at work"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Letter = pool.get('esurat.letter')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        secret = self.letter_to(
            org, org.p_kadinkes, unit=org.dinkes, sender_number='R-9',
            confidentiality=reference('confidentiality_secret'),
            subject="Pemeriksaan khusus Dinkes")
        to_kabid, = self.send(
            org.u_kadis, self.delivery(letter, org.p_kadis), [org.p_kabid],
            deadline=TODAY + datetime.timedelta(days=5))
        other = self.delivery(secret, org.p_kadinkes)
        targets = {
            'esurat.letter': secret.id,
            'esurat.disposition': other.id,
            'esurat.position': org.p_kadinkes.id,
            'res.user': org.u_kadinkes.id,
            }
        report_fields = {'report', 'report_file', 'report_file_name'}
        names = [n for n, f in Disposition._fields.items()
            if not hasattr(f, 'getter')
            and n not in report_fields | {
                'id', 'create_uid', 'create_date', 'write_uid',
                'write_date'}]
        with as_user(org.u_kabid):
            Disposition.mark_read([Disposition(to_kabid.id)])
        before = Disposition.read([to_kabid.id, other.id], names)
        with as_user(org.u_kabid):
            for name in names:
                value = self.forged_value(
                    name, Disposition._fields[name], to_kabid, targets)
                with self.subTest(field=name):
                    with self.assertRaises(AccessError):
                        Disposition.write(
                            [Disposition(to_kabid.id)], {name: value})
            self.assertEqual(
                Letter.search([('id', '=', secret.id)]), [])
            # What the form lets them write while working on it
            Disposition.write(
                [Disposition(to_kabid.id)], {'report': "Sudah dikerjakan"})
        self.assertEqual(Disposition.read([to_kabid.id, other.id], names),
            before)
        self.assertEqual(Disposition(to_kabid.id).report, "Sudah dikerjakan")
        with as_user(org.u_kabid):
            Disposition.done([Disposition(to_kabid.id)])
            with self.assertRaises(AccessError):
                Disposition.write(
                    [Disposition(to_kabid.id)], {'report': "Diubah"})
        # Nor on a recalled item
        to_kasi, = self.send(
            org.u_kadis, self.delivery(letter, org.p_kadis), [org.p_kasi])
        with as_user(org.u_kadis):
            Disposition.recall([Disposition(to_kasi.id)])
        with as_user(org.u_kasi):
            with self.assertRaises(AccessError):
                Disposition.write(
                    [Disposition(to_kasi.id)], {'report': "Ditarik"})
        self.assertEqual(
            (Disposition(to_kabid.id).report, Disposition(to_kasi.id).report),
            ("Sudah dikerjakan", None))

    @with_transaction()
    def test_report_file_sniffed(self):
        "The report's attachment is a real PDF, JPG or PNG"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        from trytond.modules.esurat_base.exceptions import FileValidationError
        from trytond.modules.esurat_base.tests.tools import pdf_bytes
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        to_kabid, = self.send(
            org.u_kadis, self.delivery(letter, org.p_kadis), [org.p_kabid])
        with as_user(org.u_kabid):
            Disposition.mark_read([Disposition(to_kabid.id)])
            with self.assertRaises(FileValidationError):
                Disposition.write([Disposition(to_kabid.id)], {
                        'report_file': b'MZ\x90\x00' + b'\x00' * 500,
                        'report_file_name': 'laporan.pdf'})
            self.assertIsNone(Disposition(to_kabid.id).report_file)
            Disposition.write([Disposition(to_kabid.id)], {
                    'report_file': pdf_bytes(),
                    'report_file_name': 'laporan.exe'})
        self.assertEqual(
            Disposition(to_kabid.id).report_file_name, 'laporan.pdf')

    @with_transaction()
    def test_dispositions_not_created_by_clients(self):
        "No disposition nor instruction link is made or changed by a client"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Link = pool.get('esurat.disposition-esurat.disposition.instruction')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)
        to_kabid, = self.send(
            org.u_kadis, self.delivery(letter, org.p_kadis), [org.p_kabid])
        count = Disposition.search([], count=True)
        link, = Link.search([('disposition', '=', to_kabid.id)])
        for user in [org.u_kabid, org.u_kadis, org.u_operator,
                org.u_superadmin]:
            with self.subTest(user=user.login), as_user(user):
                with self.assertRaises(AccessError):
                    Disposition.create([{
                                'letter': letter.id,
                                'kind': 'disposition',
                                'from_position': org.p_kadis.id,
                                'from_title': "Kepala Dinas",
                                'to_position': org.p_kabid.id,
                                }])
                with self.assertRaises(AccessError):
                    Disposition.copy([Disposition(to_kabid.id)])
                with self.assertRaises(AccessError):
                    Link.create([{
                                'disposition': to_kabid.id,
                                'instruction': instruction(2).id}])
        with as_user(org.u_kabid):
            with self.assertRaises(AccessError):
                Link.write([Link(link.id)], {'instruction': instruction(1).id})
            with self.assertRaises(AccessError):
                Link.delete([Link(link.id)])
        self.assertEqual(Disposition.search([], count=True), count)
        self.assertEqual(
            Disposition(to_kabid.id).instructions, (instruction(5),))

    @with_transaction()
    def test_dispose_wizard_revalidates(self):
        "Parent, recorded, from and to sent to Dispose are checked again"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Letter = pool.get('esurat.letter')
        Position = pool.get('esurat.position')
        Dispose = pool.get('esurat.disposition.dispose', type='wizard')
        org = self.setup_org()
        umum = create_user(
            'umum', "Operator Umum", org.setda,
            ['group_esurat_main_operator'])
        setda_letter = self.letter_to(org, org.p_sekda)
        own_letter = self.letter_to(
            org, org.p_kadis, unit=org.kominfo, sender_number='K-1')
        secret = self.letter_to(
            org, org.p_sekda, sender_number='R-1',
            confidentiality=reference('confidentiality_secret'))
        to_sekda = self.delivery(setda_letter, org.p_sekda)
        to_kadis = self.delivery(own_letter, org.p_kadis)
        forged = {
            'parent': to_sekda.id,
            'from_position': org.p_sekda.id,
            'recorded': True,
            'to_positions': [org.p_kadis.id],
            'instructions': [instruction(5).id],
            }
        # The issue's attack: an OPD operator records "a disposition from
        # the Sekda" on a Setda letter it cannot read, to its agency
        with self.assertRaises(AccessError):
            self.dispose_session(
                org.u_operator, own_letter, forged, start=False)
        with self.assertRaises(AccessError):
            self.dispose_session(org.u_operator, setda_letter, forged)
        # The main operator may record for the Sekda, but on the letter it
        # runs on only, and not on a rahasia letter
        with self.assertRaises(AccessError):
            self.dispose_session(umum, setda_letter, {
                    'parent': to_kadis.id,
                    'to_positions': [org.p_kadis.id]})
        with self.assertRaises(AccessError):
            self.dispose_session(umum, secret, {
                    'to_positions': [org.p_kadis.id]})
        # An official neither records nor borrows another item, position
        # or authority
        for data in [
                {'recorded': True},
                {'parent': to_sekda.id},
                {'from_position': org.p_sekda.id},
                {'to_positions': [org.p_kadinkes.id]},
                {'instructions': [-1]},
                ]:
            with self.subTest(data=data):
                with self.assertRaises(UserError):
                    self.dispose_session(org.u_kadis, own_letter, {
                            'to_positions': [org.p_kabid.id], **data})
        with as_user(org.u_kadis), Transaction().set_context(
                active_model='esurat.position', active_id=org.p_kabid.id,
                active_ids=[org.p_kabid.id]):
            session_id, _, _ = Dispose.create()
            with self.assertRaises(AccessError), without_check_access():
                Dispose.execute(session_id, {}, 'start')
        self.assertEqual(
            Disposition.search([('kind', '=', 'disposition')]), [])
        with as_user(org.u_operator):
            self.assertEqual(
                Letter.search([('id', '=', setda_letter.id)]), [])
        self.assertEqual(Position(org.p_kadis.id).level, 'agency_head')

        # What the start view proposes goes through
        self.dispose_session(
            org.u_kadis, own_letter, {'to_positions': [org.p_kabid.id]})
        disposition, = Disposition.search([('kind', '=', 'disposition')])
        self.assertEqual(
            (disposition.parent, disposition.to_position),
            (to_kadis, org.p_kabid))

    @with_transaction()
    def test_dispose_start_changes_nothing(self):
        "Opening and cancelling Dispose leaves the letter as it was"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Letter = pool.get('esurat.letter')
        Dispose = pool.get('esurat.disposition.dispose', type='wizard')
        org = self.setup_org()
        letter, = Letter.create([letter_values(org.kominfo, [org.p_kadis])])
        Letter.register([letter])
        with as_user(org.u_kadis), Transaction().set_context(
                active_model='esurat.letter', active_id=letter.id,
                active_ids=[letter.id]):
            session_id, _, _ = Dispose.create()
            with without_check_access():
                defaults = Dispose.execute(
                    session_id, {}, 'start')['view']['defaults']
                Dispose.execute(session_id, {}, 'end')
            Dispose.delete(session_id)
        self.assertEqual(
            (defaults['parent'], defaults['from_position']),
            (None, org.p_kadis.id))
        self.assertEqual(Letter(letter.id).state, 'registered')
        self.assertEqual(
            Disposition.search([('letter', '=', letter.id)]), [])

        # Sending distributes it and disposes from the new delivery
        self.dispose_session(
            org.u_kadis, letter, {'to_positions': [org.p_kabid.id]})
        self.assertEqual(Letter(letter.id).state, 'distributed')
        disposition, = Disposition.search([
                ('letter', '=', letter.id), ('kind', '=', 'disposition')])
        self.assertEqual(
            disposition.parent, self.delivery(letter, org.p_kadis))

    @with_transaction()
    def test_official_disposes_from_letter_form(self):
        "The Dispose button of the letter works for the official"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Letter = pool.get('esurat.letter')
        Open = pool.get('esurat.disposition.open', type='wizard')
        Dispose = pool.get('esurat.disposition.dispose', type='wizard')
        org = self.setup_org()
        letter = self.letter_to(org, org.p_kadis, unit=org.kominfo)

        def may_dispose(user):
            with as_user(user):
                record, = Letter.read([letter.id], ['may_dispose'])
                return record['may_dispose']
        with as_user(org.u_kadis):
            self.assertTrue(Letter.dispose([Letter(letter.id)]))
        self.dispose_session(
            org.u_kadis, letter, {'to_positions': [org.p_kabid.id]})
        disposition, = Disposition.search([('kind', '=', 'disposition')])
        # The button shows where the wizard would work: the addressee;
        # not the operator who registered it for a Kepala Dinas (no
        # paper disposition to record), nor the Kabid, who disposes his
        # own item from it
        self.assertTrue(may_dispose(org.u_kadis))
        self.assertFalse(may_dispose(org.u_operator))
        self.assertFalse(may_dispose(org.u_kabid))
        # An operator opens an item of its agency from a list; it stays
        # unread for its recipient
        with as_user(org.u_operator), Transaction().set_context(
                active_model='esurat.disposition', active_id=disposition.id,
                active_ids=[disposition.id]):
            session_id, _, _ = Open.create()
            with without_check_access():
                Open.execute(session_id, {}, 'start')
        self.assertEqual(Disposition(disposition.id).state, 'sent')
        # Someone without an e-Surat role runs neither
        guest = create_user('tamu', "Tamu", org.kominfo)
        for Wizard in [Dispose, Open]:
            with self.subTest(wizard=Wizard.__name__):
                with as_user(guest), Transaction().set_context(
                        active_model='esurat.letter', active_id=letter.id,
                        active_ids=[letter.id]):
                    with self.assertRaises(AccessError):
                        Wizard.create()


del ModuleTestCase
