# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import json
from pathlib import Path

from trytond.model.exceptions import AccessError
from trytond.modules.esurat_base.tests.policy import PolicyTestMixin
from trytond.modules.esurat_base.tests.tools import (
    as_user, create_org, letter_values, reference, run_queue)
from trytond.modules.esurat_signing.tests.tools import (
    SigningTestMixin, create_signing_org)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

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


del ModuleTestCase
