# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo dispositions in every state (idempotent), after esurat_base's.

    python -m trytond.modules.esurat_disposition.demo -c trytond.conf -d esurat
"""
import datetime
import random

from trytond.modules.esurat_base.demo import run_demo
from trytond.pool import Pool
from trytond.transaction import Transaction

REPORTS = [
    "Sudah ditindaklanjuti; data terlampir dikirim melalui surel dinas.",
    "Rapat telah dihadiri; notulen disampaikan kepada pimpinan.",
    "Bahan jawaban sudah disiapkan dan diserahkan ke sekretariat.",
    ]


def _holder(position):
    pool = Pool()
    Holding = pool.get('esurat.position.holding')
    holdings = Holding.search([
            ('position', '=', position.id), ('current', '=', True)], limit=1)
    return holdings[0].user if holdings else None


def populate():
    "Dispositions in every state; only once"
    pool = Pool()
    Disposition = pool.get('esurat.disposition')
    Instruction = pool.get('esurat.disposition.instruction')
    if Disposition.search([('kind', '=', 'disposition')], limit=1):
        return 0
    rng = random.Random(55)
    today = datetime.date.today()
    instructions = Instruction.search([])
    created = 0
    deliveries = Disposition.search([
            ('kind', '=', 'delivery'), ('is_copy', '=', False),
            ('letter.state', '=', 'distributed')], order=[('id', 'ASC')])
    for index, delivery in enumerate(deliveries):
        head = delivery.to_position
        head_user = _holder(head)
        targets = [p for p in Disposition.allowed_targets(head)
            if p.reports_to == head and _holder(p)]
        if not head_user or not targets or index % 4 == 3:
            continue
        with Transaction().set_user(head_user.id):
            Disposition.mark_read([delivery])
            sent = Disposition.send(
                delivery, rng.sample(targets, min(len(targets), 2)),
                instructions=rng.sample(instructions, 2),
                note="Mohon segera ditindaklanjuti.",
                deadline=today + datetime.timedelta(days=rng.randrange(1, 10)))
        created += len(sent)
        for disposition in sent:
            user = _holder(disposition.to_position)
            fate = rng.choice(['sent', 'read', 'further', 'done', 'done'])
            with Transaction().set_user(user.id):
                if fate == 'sent':
                    continue
                Disposition.mark_read([disposition])
                if fate == 'further':
                    below = [p for p in Disposition.allowed_targets(
                                disposition.to_position) if _holder(p)]
                    if below:
                        created += len(Disposition.send(
                                disposition, below[:1],
                                instructions=instructions[:1]))
                elif fate == 'done':
                    disposition.report = rng.choice(REPORTS)
                    disposition.save()
                    Disposition.done([disposition])
        if index % 9 == 0:
            # Given with a deadline that has now passed
            late = Disposition.search([
                    ('parent', '=', delivery.id), ('state', '!=', 'done')],
                limit=1)
            if late:
                table = Disposition.__table__()
                cursor = Transaction().connection.cursor()
                cursor.execute(*table.update(
                        [table.deadline],
                        [today - datetime.timedelta(days=2)],
                        where=table.id == late[0].id))

    # One sent by mistake and recalled before anyone read it
    fresh = Disposition.search([
            ('kind', '=', 'disposition'), ('state', '=', 'sent')],
        order=[('id', 'ASC')], limit=1)
    if fresh:
        with Transaction().set_user(fresh[0].from_user.id):
            Disposition.recall(fresh)

    return created


if __name__ == '__main__':
    run_demo('esurat_disposition', __doc__.splitlines()[0], populate)
