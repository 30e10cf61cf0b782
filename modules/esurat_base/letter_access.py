# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Literal
from sql.conditionals import Coalesce
from sql.functions import CurrentTimestamp
from sql.operators import Exists

from trytond import backend
from trytond.model import Index, ModelSQL, Unique, fields
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .access import ClientWriteMixin


def letter_slices(letter_ids):
    """The ids of letter_ids in slices a query takes, or [None] for every
    letter (letter_ids None)"""
    if letter_ids is None:
        return [None]
    return grouped_slice(
        sorted({int(i) for i in letter_ids if i is not None}),
        backend.MAX_QUERY_PARAMS)


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
    def readable(cls, letter, positions):
        """SQL condition: some of positions may open the letter of the
        column letter.  Correlated on the row, so that the database looks up
        the rows asked for (or joins, when it asks for many) instead of
        hashing every letter the positions may open."""
        table = cls.__table__()
        positions = list(positions)
        if not positions:
            return Literal(False)
        return Exists(table.select(
                Literal(1),
                where=(table.letter == letter)
                & fields.SQL_OPERATORS['in'](table.position, positions)))

    @classmethod
    def readable_domain(cls, letter, domain):
        "readable(letter) for a domain clause ('readable_by', 'in', ids)"
        _, operator, value = domain[:3]
        if operator not in {'=', 'in'}:
            return Literal(False)
        if not isinstance(value, (list, tuple)):
            value = [value] if value is not None else []
        return cls.readable(letter, [int(v) for v in value])

    @classmethod
    def refresh(cls, letter_ids):
        """Compute again who may open the letters of letter_ids (None: every
        letter) from Letter.access_sources"""
        pool = Pool()
        Letter = pool.get('esurat.letter')
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        slices = letter_slices(letter_ids)
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
        'get_readable_by')
    # Stored with the record so that the rule "a restricted letter's
    # records only through its positions" is a test of the row itself:
    # through the letter (letter.confidentiality.restricted), Tryton
    # evaluates it as a UNION over the whole table
    letter_restricted = fields.Boolean(
        "Letter Restricted", readonly=True,
        help="The letter is rahasia and registered: only the positions that "
        "may open it read this record.")

    @classmethod
    def __register__(cls, module):
        created = not cls.__table_handler__(module).column_exist(
            'letter_restricted')
        super().__register__(module)
        if created:
            # Records made before the column existed
            cls.sync_letter_restricted(None)

    @classmethod
    def preprocess_values(cls, mode, values):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        values = super().preprocess_values(mode, values)
        if values.get('letter') is not None:
            values['letter_restricted'] = Letter(
                values['letter']).content_restricted
        return values

    @classmethod
    def letter_readable_models(cls):
        "The models whose records follow their letter's access"
        return [Model for _, Model in Pool().iterobject()
            if issubclass(Model, LetterReadableMixin)
            and not Model._is_table_query()]

    @classmethod
    def sync_letter_restricted(cls, letter_ids):
        """Copy again onto the records of the letters of letter_ids (None:
        every letter) whether their letter is restricted"""
        pool = Pool()
        Letter = pool.get('esurat.letter')
        table = cls.__table__()
        letter = Letter.__table__()
        transaction = Transaction()
        cursor = transaction.connection.cursor()
        # Correlated and in two statements, so that the database joins
        # (a migration sets it on millions of rows) and writes only the
        # rows that change; NULL reads as false, as Tryton's domains do
        restricted = Exists(letter.select(
                Literal(1),
                where=(letter.id == table.letter)
                & Letter.restricted_condition(letter)))
        flagged = Coalesce(table.letter_restricted, False)
        slices = letter_slices(letter_ids)
        for sub_ids in slices:
            where = Literal(True)
            if sub_ids is not None:
                where = fields.SQL_OPERATORS['in'](
                    table.letter, list(sub_ids))
            cursor.execute(*table.update(
                    [table.letter_restricted], [True],
                    where=where & ~flagged & restricted))
            cursor.execute(*table.update(
                    [table.letter_restricted], [False],
                    where=where & flagged & ~restricted))
        # Written behind the ORM: what it read before is stale, as after a
        # write
        transaction.counter += 1
        for cache in transaction.cache.values():
            cache.pop(cls.__name__, None)

    @classmethod
    def get_readable_by(cls, records, name):
        # Where Tryton evaluates the rule in Python (export)
        pool = Pool()
        Letter = pool.get('esurat.letter')
        letters = Letter.get_readable_by(
            list({r.letter for r in records}), name)
        return {r.id: letters[r.letter.id] for r in records}

    @classmethod
    def domain_readable_by(cls, domain, tables):
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        table, _ = tables[None]
        return Access.readable_domain(table.letter, domain)
