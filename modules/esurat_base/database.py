# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""PostgreSQL connections that recover at once from a database restart.

trytond 8.0 pools its connections with psycopg_pool and checks each one
before handing it out (``check=ConnectionPool.check_connection``), but the
pool reacts to a failed check by discarding that one connection and pausing
before it tries the next: 1, 2, 4, 8, 16 s.  A restart or a failover breaks
every idle connection at once, so after the pool grew under load each call
tries five broken connections in its 30 s and fails (HTTP 503, logins 404)
until all were tried: minutes of outage with the database back."""
import psycopg_pool


class ConnectionPool(psycopg_pool.ConnectionPool):
    """psycopg's pool where a connection that fails its check has every idle
    connection checked at once: the broken ones are replaced together, and
    the call waits for a new connection once, not for each broken one"""

    def __init__(self, *args, check=None, **kwargs):
        if check is not None:
            check = self._check_all_if_broken
        super().__init__(*args, check=check, **kwargs)

    def _check_all_if_broken(self, connection):
        try:
            self.check_connection(connection)
        except Exception:
            # The others broke with it (they were opened before it broke):
            # check() tests each idle connection and replaces the broken
            # ones in the pool's workers, while the pool discards this one
            self.check()
            raise


def install():
    """Make trytond pool its PostgreSQL connections with ConnectionPool

    Its backend creates a database's pool with the ConnectionPool of its
    module on the first connection, after Pool.start imported the modules
    (trytond, trytond-worker and trytond-cron)."""
    from trytond import backend
    if backend.name == 'postgresql':
        from trytond.backend.postgresql import database
        database.ConnectionPool = ConnectionPool
