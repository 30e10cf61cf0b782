# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pool of PostgreSQL connections after every connection broke, as a
database restart breaks them (tests/test_crash.py restarts a real server)"""
import os
import time
import unittest

from trytond import backend, config

from ..database import ConnectionPool, WorkerConnectionLost


@unittest.skipUnless(backend.name == 'postgresql', 'PostgreSQL connections')
class DatabasePoolTestCase(unittest.TestCase):

    def test_pool_in_trytond(self):
        "trytond pools the connections of its databases with ours"
        from trytond.backend.postgresql import database

        # (this module is imported under two names, as its package and
        # as trytond.modules.esurat_base)
        self.assertTrue(
            hasattr(database.ConnectionPool, '_check_all_if_broken'))

    def test_broken_connections_replaced_at_once(self):
        """Every pooled connection killed by the server: the next
        connection taken works without waiting for each broken one"""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        params = conninfo_to_dict(config.get('database', 'uri'))
        params['dbname'] = 'postgres'
        name = f'esurat-test-pool-{os.getpid()}'
        pool = ConnectionPool(make_conninfo(**params),
            kwargs={'application_name': name}, min_size=10, max_size=10,
            check=ConnectionPool.check_connection, open=True)
        self.addCleanup(pool.close)
        pool.wait()
        with psycopg.connect(make_conninfo(**params),
                autocommit=True) as admin:
            killed, = admin.execute(
                'SELECT count(pg_terminate_backend(pid)) '
                'FROM pg_stat_activity WHERE application_name = %s',
                [name]).fetchone()
        self.assertEqual(killed, 10)

        started = time.monotonic()
        with pool.connection() as connection:
            connection.execute('SELECT 1')
        # psycopg's own pool pauses 1, 2, 4, 8 s after each broken one
        self.assertLess(time.monotonic() - started, 1)
        self.assertEqual(pool.get_stats().get('connections_lost'), 10)

    def test_worker_exits_on_lost_connection(self):
        """trytond-worker's listening connection killed by the server: its
        queue raises WorkerConnectionLost, which its loop does not catch
        (it would pull in vain for ever), instead of an operational error"""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo

        from trytond.tests.test_tryton import DB_NAME, activate_module
        from trytond.worker import Queue
        activate_module(['esurat_base'])
        params = conninfo_to_dict(config.get('database', 'uri'))
        params['dbname'] = 'postgres'
        queue = Queue(DB_NAME, None)
        self.addCleanup(queue.connection.close)
        queue.pull()
        with psycopg.connect(make_conninfo(**params),
                autocommit=True) as admin:
            admin.execute('SELECT pg_terminate_backend(%s)',
                [queue.connection.info.backend_pid])
        with self.assertRaises(WorkerConnectionLost):
            queue.pull()
