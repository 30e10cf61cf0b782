# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Rate limiting of the anonymous pages (verification, Portal Emas).

The count is a row of the database per key (the client address) and time
window, written in a short transaction of its own: every trytond process
of the database shares it, and a request rolled back (an error, a refused
form) still counts.  The limit is a sliding window, estimated from the
hits of the current window and the share of the previous one that still
falls within the period; refused hits count too, so that a client which
keeps flooding stays refused.

Only where no database is shared does the count stay in the process: a
call outside any transaction, or a database that refuses the write (SQLite
locked by the request's own writes, a standby during a failover); these
are logged.  On SQLite's ``:memory:`` database (the unit tests), the new
transaction shares the request's only connection: its commit also commits
what the request wrote before, so pages check the limit before writing.
"""
import hashlib
import hmac
import logging
import os
import secrets
import threading
import time
from collections import defaultdict

from sql import Conflict, Literal

from trytond import backend, config
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .access import ClientWriteMixin

logger = logging.getLogger(__name__)


class RateLimit(ClientWriteMixin, ModelSQL):
    """The hits of a key in a window of a rate limiter, for every server
    process; the key is hashed: no address is stored"""
    __name__ = 'esurat.rate.limit'
    __string__ = "Rate Limit"

    key = fields.Char("Key", required=True, readonly=True, strip=False)
    slot = fields.Integer("Window", required=True, readonly=True)
    hits = fields.Integer("Hits", required=True, readonly=True)
    expires = fields.Integer(
        "Expires", required=True, readonly=True,
        help="In minutes since the epoch: the row is purged afterwards.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('key_slot_unique', Unique(t, t.key, t.slot),
                'esurat_base.msg_rate_limit_unique'),
            ]
        cls._sql_indexes.add(Index(t, (t.expires, Index.Range())))

    @classmethod
    def hit(cls, key, slot, expires, minute):
        """Count a hit of key in slot and return the hits of the slot before
        it and of slot, in the current transaction; expires and minute (the
        current one) are in minutes since the epoch"""
        transaction = Transaction()
        table = cls.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*table.insert(
                [table.key, table.slot, table.hits, table.expires],
                [[key, slot, 1, expires]],
                on_conflict=Conflict(
                    table, indexed_columns=[table.key, table.slot],
                    columns=[table.hits],
                    values=[table.hits + Literal(1)])))
        cursor.execute(*table.select(
                table.slot, table.hits,
                where=(table.key == key)
                & table.slot.in_([slot - 1, slot])))
        hits = dict(cursor)
        if hits.get(slot) == 1:
            # The first hit of a key in its window purges the expired rows
            cursor.execute(*table.delete(where=table.expires < minute))
        return hits.get(slot - 1, 0), hits.get(slot, 0)

    @classmethod
    def clear(cls, prefix):
        "Forget the hits of the keys of prefix"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.delete(where=table.key.like(prefix + '%')))


_salt = None
_salt_lock = threading.Lock()


def salt():
    """The secret the keys are hashed with, so that the table does not give
    the addresses back (there are only 2**32 IPv4 addresses to try):
    `[esurat] rate_limit_salt`, else a random one made once in the
    filestore, which every app server of an installation shares (never in
    the database, which is what it protects)"""
    global _salt
    with _salt_lock:
        if _salt is None:
            _salt = config.get('esurat', 'rate_limit_salt', default='')
            if _salt:
                _salt = _salt.encode()
            else:
                _salt = _salt_file()
        return _salt


def _salt_file():
    directory = os.path.join(
        config.get('database', 'path'), 'esurat_base')
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, 'rate-limit.salt')
    try:
        # O_EXCL: of processes starting at once, one writes it
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, 'w') as file:
            file.write(secrets.token_hex(32))
    for _ in range(50):
        with open(path) as file:
            value = file.read().strip()
        if value:
            return value.encode()
        # Another process created it and is writing it
        time.sleep(0.01)
    raise RuntimeError(f"empty rate limit salt file {path}")


class RateLimiter:
    "At most limit hits per key in period seconds, over all processes"

    def __init__(self, limit, period=60, name=''):
        self.limit = limit
        self.period = period
        # Limiters of the same name share their counts
        self.name = name
        self._databases = set()
        self._local = defaultdict(list)
        self._lock = threading.Lock()

    def _key(self, key):
        digest = hmac.new(
            salt(), f'{self.name}\0{self.period}\0{key}'.encode(),
            hashlib.sha256).hexdigest()
        return self._prefix() + digest

    def _prefix(self):
        return hashlib.sha256(
            f'{self.name}\0{self.period}'.encode()).hexdigest()[:8] + ':'

    def allow(self, key):
        "Record a hit of key; False when it is over the limit"
        now = time.time()
        slot, elapsed = divmod(now, self.period)
        slot = int(slot)
        database = Transaction().database
        if database is None:
            return self._allow_local(key, now)
        try:
            previous, current = self._hit(database.name, key, slot, now)
        except backend.DatabaseOperationalError:
            logger.warning(
                "rate limit of %r counted in the process only",
                self.name, exc_info=True)
            return self._allow_local(key, now)
        share = 1 - elapsed / self.period
        return previous * share + current <= self.limit

    def _hit(self, database_name, key, slot, now):
        self._databases.add(database_name)
        # In minutes, rounded up: the next window still reads this one
        expires = int((slot + 2) * self.period // 60) + 1
        # Each statement commits at once, holding the row for no longer
        # (PostgreSQL's repeatable read would refuse concurrent upserts);
        # not on the memory database, whose one connection is the request's
        autocommit = not (
            backend.name == 'sqlite' and database_name == ':memory:')
        with Transaction().new_transaction(autocommit=autocommit):
            RateLimit = Pool().get('esurat.rate.limit')
            return RateLimit.hit(
                self._key(key), slot, expires, int(now // 60))

    def _allow_local(self, key, now):
        start = now - self.period
        with self._lock:
            hits = self._local[key] = [
                t for t in self._local[key] if t > start]
            hits.append(now)
            return len(hits) <= self.limit

    def reset(self):
        "Forget every count of this limiter (for tests)"
        with self._lock:
            self._local.clear()
        for database_name in self._databases:
            with Transaction(new=True).start(
                    database_name, 0) as transaction:
                Pool().get('esurat.rate.limit').clear(self._prefix())
                transaction.commit()
