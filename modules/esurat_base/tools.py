# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Small helpers shared by the e-Surat modules."""
from trytond import config
from trytond.transaction import Transaction, TransactionError
from trytond.url import HOSTNAME, ROOT_PATH


def public_url():
    """The address people reach e-Surat at: [esurat] public_url, else
    [web] hostname.

    Never the host of the current request: a letter signed from
    localhost:8103 would carry that address for ever, and a notification
    sent by the cron has no request."""
    url = config.get('esurat', 'public_url', default='')
    if not url:
        secure = (config.get('ssl', 'certificate')
            or config.get('ssl', 'privatekey'))
        url = f'http{"s" if secure else ""}://{HOSTNAME}{ROOT_PATH or ""}'
    return url.rstrip('/')


def rec_name_domain(clause, names):
    "Domain that applies a rec_name clause to each field of names"
    _, operator, operand, *extra = clause
    if operator.startswith('!') or operator.startswith('not '):
        bool_op = 'AND'
    else:
        bool_op = 'OR'
    return [bool_op] + [(name, operator, operand, *extra) for name in names]


def run_committed(database, func, user=0, context=None):
    """Run func in its own transaction and commit it, restarting it when it
    asks for record locks, then run the tasks it queued, as Tryton's RPC
    layer does"""
    from trytond.worker import run_task
    extras = {}
    while True:
        with Transaction().start(
                database, user, context=context, **extras) as transaction:
            try:
                result = func()
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            tasks = list(transaction.tasks)
            transaction.tasks.clear()
        for task_id in tasks:
            run_task(database, task_id)
        return result
