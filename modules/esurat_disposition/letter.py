# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Literal
from sql.aggregate import Count, Max
from sql.conditionals import Case

from trytond.model import ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval
from trytond.transaction import Transaction

from .disposition import OPEN_STATES


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
    progress_text = fields.Function(
        fields.Char("Dispositions Done"), 'get_progress')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._buttons.update({
                'dispose': {
                    'invisible': ~Eval('state').in_(
                        ['registered', 'distributed']),
                    'depends': ['state'],
                    },
                })

    @classmethod
    def _readable_letters_query(cls, positions):
        "Also the letters disposed to or by positions"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        query = super()._readable_letters_query(positions)
        if not positions:
            return query
        disposition = Disposition.__table__()
        in_ = fields.SQL_OPERATORS['in']
        return query | disposition.select(
            disposition.letter,
            where=(in_(disposition.to_position, list(positions))
                & (disposition.state != 'recalled'))
            | in_(disposition.from_position, list(positions)))

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

    @classmethod
    @ModelView.button_action('esurat_disposition.wizard_dispose')
    def dispose(cls, letters):
        pass
