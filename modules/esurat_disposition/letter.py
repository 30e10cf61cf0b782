# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Literal, Null
from sql.aggregate import Count, Max
from sql.conditionals import Case
from sql.operators import Exists

from trytond import backend
from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .disposition import LEADER_LEVELS, OPEN_STATES


class Letter(metaclass=PoolMeta):
    __name__ = 'esurat.letter'

    dispositions = fields.One2Many(
        'esurat.disposition', 'letter', "Dispositions", readonly=True)
    progress = fields.Function(fields.Selection([
                (None, ""),
                ('waiting', "Waiting"),
                ('in_progress', "In Progress"),
                ('overdue', "Overdue"),
                ('done', "Done"),
                ], "Progress"), 'get_progress')
    disposed_agency = fields.Function(
        fields.Many2One('esurat.unit', "Disposed To Agency"),
        'get_disposed_agency')
    may_dispose = fields.Function(
        fields.Boolean("May Dispose"), 'get_may_dispose')
    progress_text = fields.Function(
        fields.Char("Dispositions Done"), 'get_progress')

    @classmethod
    def __register__(cls, module):
        pool = Pool()
        Access = pool.get('esurat.letter.access')
        Disposition = pool.get('esurat.disposition')
        super().__register__(module)
        # Databases whose dispositions predate the access table
        access = Access.__table__()
        disposition = Disposition.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*disposition.select(
                disposition.letter,
                where=(disposition.state != 'recalled')
                & ~Exists(access.select(
                        Literal(1),
                        where=(access.letter == disposition.letter)
                        & (access.position == disposition.to_position))),
                limit=1))
        if cursor.fetchone():
            Access.refresh(None)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'dispose': {
                    'invisible': ~Eval('may_dispose', False),
                    'depends': ['may_dispose'],
                    },
                })

    @classmethod
    def access_sources(cls, letter_ids=None):
        "Also the positions the letters are disposed to (not recalled) or by"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        query = super().access_sources(letter_ids)
        disposition = Disposition.__table__()
        where = Literal(True)
        if letter_ids is not None:
            where = fields.SQL_OPERATORS['in'](
                disposition.letter, list(letter_ids))
        return (query
            | disposition.select(
                disposition.letter.as_('letter'),
                disposition.to_position.as_('position'),
                where=where & (disposition.state != 'recalled'))
            | disposition.select(
                disposition.letter.as_('letter'),
                disposition.from_position.as_('position'),
                where=where & (disposition.from_position != Null)))

    @classmethod
    def disposed_into(cls, letter, agencies):
        """SQL condition: the letter of the column letter has an item, even
        recalled, to a position of one of agencies.  Correlated on the row
        and on the agencies' positions, so that checking a letter is one
        index-only probe of (letter, to_position), instead of hashing every
        letter that ever reached the agency"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Position = pool.get('esurat.position')
        Unit = pool.get('esurat.unit')
        disposition = Disposition.__table__()
        position = Position.__table__()
        unit = Unit.__table__()
        agencies = list(agencies)
        if not agencies:
            return Literal(False)
        cursor = Transaction().connection.cursor()
        cursor.execute(*position.join(
                unit, condition=position.unit == unit.id).select(
                position.id,
                where=fields.SQL_OPERATORS['in'](unit.agency, agencies)))
        positions = [p for p, in cursor]
        if not positions:
            return Literal(False)
        return Exists(disposition.select(Literal(1),
                where=(disposition.letter == letter)
                & fields.SQL_OPERATORS['in'](
                    disposition.to_position, positions)))

    @classmethod
    def get_disposed_agency(cls, letters, name):
        # One of the user's agencies the letter was disposed into: the rule
        # ('disposed_agency', 'in', agencies) then also holds where Tryton
        # evaluates it in Python (export) instead of in SQL
        pool = Pool()
        User = pool.get('res.user')
        agencies = list(User.get_esurat_agencies())
        result = dict.fromkeys(l.id for l in letters)
        if not agencies:
            return result
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        condition = cls.disposed_into(table.id, agencies)
        for sub_ids in grouped_slice(list(result), backend.MAX_QUERY_PARAMS):
            cursor.execute(*table.select(table.id,
                    where=fields.SQL_OPERATORS['in'](table.id, list(sub_ids))
                    & condition))
            for id_, in cursor:
                result[id_] = agencies[0]
        return result

    @classmethod
    def domain_disposed_agency(cls, domain, tables):
        table, _ = tables[None]
        _, operator, value = domain[:3]
        if operator not in {'=', 'in'}:
            return Literal(False)
        if not isinstance(value, (list, tuple)):
            value = [value] if value is not None else []
        return cls.disposed_into(table.id, [int(v) for v in value])

    @classmethod
    def to_do_domain(cls, to_do=True):
        """For officials and staff, the letters of their inbox's open items
        (delivered or disposed to their positions, not done)"""
        pool = Pool()
        User = pool.get('res.user')
        if cls.is_operator():
            return super().to_do_domain(to_do)
        return [('dispositions', 'where' if to_do else 'not where', [
                    ('to_position', 'in', list(User.get_esurat_positions())),
                    ('state', 'in', list(OPEN_STATES)),
                    ])]

    @classmethod
    def get_progress(cls, letters, names):
        """How far the dispositions of each letter are, in one query:
        done when every disposition is done, overdue when one is late"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        table = Disposition.__table__()
        cursor = Transaction().connection.cursor()
        today = Literal(datetime.date.today())
        open_ = table.state.in_(list(OPEN_STATES))
        result = {n: {l.id: None for l in letters} for n in names}
        ids = [l.id for l in letters]
        cursor.execute(*table.select(
                table.letter,
                Count(table.id),
                Count(Case((table.state == 'done', table.id))),
                Max(Case((open_ & (table.deadline < today), Literal(1)),
                        else_=Literal(0))),
                Max(Case(
                        (table.state.in_(['read', 'in_progress', 'done']),
                            Literal(1)),
                        else_=Literal(0))),
                where=table.letter.in_(ids)
                & (table.kind == 'disposition')
                & (table.state != 'recalled'),
                group_by=[table.letter]))
        for letter, total, done, late, started in cursor:
            if 'progress' in result:
                if done == total:
                    progress = 'done'
                elif late:
                    progress = 'overdue'
                elif started:
                    progress = 'in_progress'
                else:
                    progress = 'waiting'
                result['progress'][letter] = progress
            if 'progress_text' in result:
                result['progress_text'][letter] = f'{done}/{total}'
        return result

    @classmethod
    def distribute(cls, letters):
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        super().distribute(letters)
        for letter in letters:
            Disposition.deliver(letter)

    def dispose_source(self):
        """(position, item, recorded) the user disposes the letter from:
        the position, its open item (None while the letter is only
        registered: it is distributed when sent) and whether an operator
        records the disposition a leader gave on paper; None when the user
        may not dispose it"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        User = pool.get('res.user')
        if self.state == 'distributed':
            candidates = [(d.to_position, d) for d in Disposition.search([
                        ('letter', '=', self.id),
                        ('kind', '=', 'delivery'),
                        ('state', 'in', list(OPEN_STATES)),
                        ], order=[('id', 'ASC')])]
        elif self.state == 'registered':
            candidates = [(r.position, None) for r in self.recipients]
        else:
            return None
        positions = set(User.get_esurat_positions())
        for position, item in candidates:
            if position.id in positions:
                return position, item, False
        if self.may_record_disposition():
            for position, item in candidates:
                if position.level in LEADER_LEVELS:
                    return position, item, True
        return None

    def may_record_disposition(self):
        """Whether the user may record a leader's paper disposition on the
        letter: an operator of the agency that registered it, who can read
        its content"""
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        operators = {ModelData.get_id('esurat_base', g) for g in [
                'group_esurat_main_operator', 'group_esurat_opd_admin',
                'group_esurat_admin']}
        return bool(
            operators & set(User.get_groups())
            and self.unit.id in User.get_esurat_agencies()
            and not self.hidden_content_ids([self.id], checked=True))

    def get_may_dispose(self, name):
        # Shown on the form only: a few queries for the one letter read
        return self.dispose_source() is not None

    @classmethod
    @ModelView.button_action('esurat_disposition.wizard_dispose')
    def dispose(cls, letters):
        pass
