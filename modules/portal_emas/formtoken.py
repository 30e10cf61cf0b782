# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Single-use tokens of the public forms.

A browser gets a random value in a cookie of the portal (HttpOnly, limited
to the portal's path); each form it is shown carries a fresh nonce, and the
database keeps only the SHA-256 of the cookie with the nonce.  A POST is
accepted once: its cookie and nonce must hash to a stored, unexpired row,
which the POST deletes in its own transaction, so the submission and the
spending of the token commit together.  Another site's form knows neither
the cookie nor a nonce; a form sent twice finds its row gone."""
import datetime
import hashlib
import secrets

from trytond.model import Index, ModelSQL, fields
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.transaction import Transaction

COOKIE = 'portal_emas'
FIELD = 'formulir'
# Filling in a form on a weak signal, with photos to take, takes a while
LIFETIME = datetime.timedelta(hours=3)


def _digest(cookie, nonce):
    return hashlib.sha256(f'{cookie}:{nonce}'.encode()).hexdigest()


def browser_key(request):
    "The value of the portal's cookie when it is one of ours, else None"
    value = request.cookies.get(COOKIE, '')
    return value if len(value) == 43 else None


def new_browser_key():
    return secrets.token_urlsafe(32)


class FormToken(ClientWriteMixin, ModelSQL):
    "The hash of a nonce of a public form, until it is used or expires"
    __name__ = 'portal.form.token'
    __string__ = "Form Token"

    digest = fields.Char("Digest", required=True, readonly=True)
    expires = fields.DateTime("Expires", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.update({
                Index(t, (t.digest, Index.Equality())),
                Index(t, (t.expires, Index.Range())),
                })

    @classmethod
    def issue(cls, cookie):
        """A new nonce for a form shown to the browser of cookie; the
        expired ones go"""
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        now = datetime.datetime.now()
        cursor.execute(*table.delete(where=table.expires < now))
        nonce = secrets.token_urlsafe(24)
        cursor.execute(*table.insert(
                [table.digest, table.expires],
                [[_digest(cookie, nonce), now + LIFETIME]]))
        return nonce

    @classmethod
    def consume(cls, cookie, nonce):
        "Whether cookie and nonce are of an unused form; spends it"
        if not cookie or not nonce or len(nonce) > 64:
            return False
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        digest = _digest(cookie, nonce)
        cursor.execute(*table.select(
                table.id,
                where=(table.digest == digest)
                & (table.expires >= datetime.datetime.now())))
        ids = [i for i, in cursor]
        if not ids:
            return False
        cursor.execute(*table.delete(where=table.id.in_(ids)))
        # Of two POSTs of one form at once, the second deletes nothing
        return cursor.rowcount == len(ids)
