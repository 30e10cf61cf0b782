# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal
from sql.functions import CurrentTimestamp

from trytond import backend
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .access import ClientWriteMixin


class LetterAccess(ClientWriteMixin, ModelSQL):
    """The positions that may open a letter, one row each, kept by the
    server from what gives access (its addressees and copies here; the
    modules above add theirs, as dispositions do).  The record rules read
    it by an index on the position, so checking a user's access costs the
    rows of their positions, not a scan of every letter."""
    __name__ = 'esurat.letter.access'
    __string__ = "Letter Access"

    letter = fields.Many2One(
        'esurat.letter', "Letter", required=True, readonly=True,
        ondelete='CASCADE')
    position = fields.Many2One(
        'esurat.position', "Position", required=True, readonly=True,
        ondelete='CASCADE')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('letter_position_unique', Unique(t, t.letter, t.position),
                'esurat_base.msg_letter_access_unique'),
            ]
        cls._sql_indexes.update({
                Index(t,
                    (t.position, Index.Equality()),
                    (t.letter, Index.Range())),
                })

    @classmethod
    def __register__(cls, module):
        created = not backend.TableHandler.table_exist(cls._table)
        super().__register__(module)
        if created:
            # Letters made before the table existed
            cls.refresh(None)

    @classmethod
    def letters_query(cls, positions):
        "SQL query of the ids of the letters positions may open"
        table = cls.__table__()
        if not positions:
            return table.select(table.letter, where=Literal(False))
        return table.select(
            table.letter,
            where=fields.SQL_OPERATORS['in'](table.position, list(positions)))

    @classmethod
    def refresh(cls, letter_ids):
        """Compute again who may open the letters of letter_ids (None: every
        letter) from Letter.access_sources"""
        pool = Pool()
        Letter = pool.get('esurat.letter')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        if letter_ids is None:
            slices = [None]
        else:
            slices = grouped_slice(
                sorted({int(i) for i in letter_ids if i is not None}),
                backend.MAX_QUERY_PARAMS)
        for sub_ids in slices:
            if sub_ids is None:
                where = Literal(True)
            else:
                sub_ids = list(sub_ids)
                where = fields.SQL_OPERATORS['in'](table.letter, sub_ids)
            cursor.execute(*table.delete(where=where))
            sources = Letter.access_sources(sub_ids)
            # A position may be addressed and disposed to: one row
            cursor.execute(*table.insert(
                    [table.letter, table.position,
                        table.create_uid, table.create_date],
                    sources.select(
                        sources.letter, sources.position,
                        Literal(0), CurrentTimestamp(),
                        group_by=[sources.letter, sources.position])))


class LetterReadableMixin:
    """readable_by of a model whose records follow their letter's access
    (field letter): a record rule ('readable_by', 'in', positions) is then
    checked on the record's own letter column against the access table,
    not by running the letter's rules again"""
    __slots__ = ()

    readable_by = fields.Function(
        fields.Many2One('esurat.position', "Readable By"),
        'get_readable_by', searcher='search_readable_by')

    @classmethod
    def get_readable_by(cls, records, name):
        # Where Tryton evaluates the rule in Python (export)
        pool = Pool()
        Letter = pool.get('esurat.letter')
        letters = Letter.get_readable_by(
            list({r.letter for r in records}), name)
        return {r.id: letters[r.letter.id] for r in records}

    @classmethod
    def search_readable_by(cls, name, clause):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        _, operator, value = clause[:3]
        if operator not in {'=', 'in'}:
            return [('id', '=', None)]
        if not isinstance(value, (list, tuple)):
            value = [value] if value is not None else []
        return [('letter', 'in', Letter._readable_letters_query(
                    [int(v) for v in value]))]
