# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a rahasia outgoing letter says, shown only to the people on it.

The subject, body, text versions and signed PDF of a letter whose
confidentiality is restricted are masked for everyone but its drafter, the
positions of its route, its signer (a.n.) and its addressees, on every path
a client has, as esurat_base does for incoming letters:

- search and order: the texts are esurat_base's content fields
  (``ContentChar``, ``ContentText``), which call the model's
  ``_hidden_content_sql`` (``hidden_content_sql`` below), also through
  dotted domains and orders of other models;
- read: ``mask_rows`` from the model's read;
- export: Tryton's export leaves out a field its states make invisible, so
  the content fields are invisible (``EXPORT_HIDDEN``) when the
  ``content_hidden`` function field (``get_content_hidden``) says so for
  the user; the client's views do not have ``_check_access`` in their
  context and are not affected.

A model using them inherits RestrictedContentMixin and defines
_content_fields (masked on read; binary ones emptied) and _content_outgoing
(its Many2One to the outgoing letter, None on the letter itself)."""
from sql import Column

from trytond import backend
from trytond.modules.esurat_base.letter import CONTENT_MASK
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction, without_check_access

EXPORT_HIDDEN = (Eval('content_hidden', False)
    & Eval('context', {}).get('_check_access', False))


def content_checked():
    "Whether the call answers a client, whose rights mask the content"
    transaction = Transaction()
    return bool(transaction.user) and transaction.check_access


def _outgoing_column(Model, table):
    if Model._content_outgoing is None:
        return table.id
    return Column(table, Model._content_outgoing)


def hidden_content_sql(Model, tables):
    """SQL condition, true on the rows of Model whose content the current
    user must not see; None for root"""
    pool = Pool()
    Outgoing = pool.get('esurat.outgoing')
    if not Transaction().user:
        return None
    table, _ = tables[None]
    domain = Outgoing.content_domain()
    with without_check_access():
        visible = Outgoing.search(domain, order=[], query=True)
    return ~_outgoing_column(Model, table).in_(visible)


def hidden_content_ids(Model, ids, checked=None):
    """Ids among ids of Model whose content the current user must not see;
    only calls made with access checks (checked) are restricted"""
    pool = Pool()
    Outgoing = pool.get('esurat.outgoing')
    if checked is None:
        checked = content_checked()
    ids = [i for i in ids if i is not None and i >= 0]
    if not ids or not checked:
        return set()
    table = Model.__table__()
    outgoing = _outgoing_column(Model, table)
    cursor = Transaction().connection.cursor()
    outgoing_ids = {}
    for sub_ids in grouped_slice(ids, backend.MAX_QUERY_PARAMS):
        cursor.execute(*table.select(
                table.id, outgoing, where=table.id.in_(list(sub_ids))))
        outgoing_ids.update(cursor)
    hidden = Outgoing.hidden_outgoing_ids(
        {o for o in outgoing_ids.values() if o is not None})
    return {i for i, o in outgoing_ids.items() if o in hidden}


def mask_rows(Model, ids, rows, fields_names):
    "Mask in rows read from Model the content the user must not see"
    masked = Model._content_fields & set(fields_names)
    hidden = hidden_content_ids(Model, ids) if masked else set()
    for row in rows:
        if row['id'] in hidden:
            for name in masked:
                if Model._fields[name]._type == 'binary':
                    row[name] = None
                else:
                    row[name] = CONTENT_MASK
    return rows


def get_content_hidden(Model, records):
    """content_hidden of records for the current user, root excepted: also
    for the records server code and exports use"""
    hidden = hidden_content_ids(
        Model, [r.id for r in records], checked=Transaction().user != 0)
    return {r.id: r.id in hidden for r in records}


class RestrictedContentMixin:
    "Mask the content of a rahasia outgoing letter on the model's paths"
    __slots__ = ()
    _content_fields = set()
    _content_outgoing = 'outgoing'

    @classmethod
    def read(cls, ids, fields_names):
        return mask_rows(
            cls, ids, super().read(ids, fields_names), fields_names)

    @classmethod
    def _hidden_content_sql(cls, tables):
        return hidden_content_sql(cls, tables)

    @classmethod
    def get_content_hidden(cls, records, name):
        return get_content_hidden(cls, records)
