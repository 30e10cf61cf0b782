# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""PostgreSQL connections that recover at once from a database restart.

trytond 8.0 pools its connections with psycopg_pool and checks each one
before handing it out (``check=ConnectionPool.check_connection``), but the
pool reacts to a failed check by discarding that one connection and pausing
before it tries the next: 1, 2, 4, 8, 16 s.  A restart or a failover breaks
every idle connection at once, so after the pool grew under load each call
tries five broken connections in its 30 s and fails (HTTP 503, logins 404)
until all were tried: minutes of outage with the database back.

trytond-worker listens for its tasks on a connection of its own, outside
the pool, and never replaces it: after a restart it would fail to pull,
ten times a second, for ever.  It exits instead, and its supervisor
(docker's ``restart: unless-stopped``, systemd's ``Restart=always``)
starts it again with new connections."""
import functools
import logging

import psycopg_pool

logger = logging.getLogger(__name__)


class WorkerConnectionLost(Exception):
    "The connection trytond-worker listens on is gone: restart the worker"


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
        _exit_worker_on_lost_connection()


def _exit_worker_on_lost_connection():
    from trytond import worker
    Queue = worker.Queue
    if getattr(Queue.pull, 'exits_on_lost_connection', False):
        return
    # Its loop pulls after every wake-up (a lost connection wakes it too)
    Queue.pull = _exit_on_lost_connection(Queue.pull)


def _exit_on_lost_connection(method):
    "method of trytond-worker's Queue, raising WorkerConnectionLost"
    from trytond import backend

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except backend.DatabaseOperationalError:
            if self.connection.closed:
                # Out of the worker's loop, which would catch this one
                logger.critical(
                    "the connection of trytond-worker to %s is lost: "
                    "exiting to be restarted", self.database.name)
                raise WorkerConnectionLost(self.database.name)
            raise
    wrapper.exits_on_lost_connection = True
    return wrapper
