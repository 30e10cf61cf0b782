# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Activity monitoring (Perbup Probolinggo 83/2017 Pasal 13): the events of
the modules below named by what they mean, and opening an inbox item or
an outgoing letter logged like opening a letter (esurat_base)."""
from sql import Cast, Literal
from sql.conditionals import Coalesce

from trytond.modules.esurat_base.activity import NO_NAME, ActivityRecordMixin
from trytond.pool import Pool, PoolMeta


class Activity(metaclass=PoolMeta):
    __name__ = 'esurat.activity'

    @classmethod
    def _log_actions(cls):
        return super()._log_actions() | {
            ('esurat.letter', 'wizard', 'esurat.disposition.dispose'):
            'disposition',
            ('esurat.disposition', 'wizard', 'esurat.disposition.dispose'):
            'disposition',
            ('esurat.outgoing', 'button', 'approve'): 'approval',
            # Not the Sign wizard: the mobile app signs without it
            ('esurat.outgoing', 'transition', 'state:signed'): 'signature',
            }


class Disposition(ActivityRecordMixin, metaclass=PoolMeta):
    __name__ = 'esurat.disposition'
    _activity_open_fields = {'letter_summary', 'children'}

    @classmethod
    def _activity_records(cls, ids):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        table = cls.__table__()
        letter = Letter.__table__()
        return table.join(letter, condition=table.letter == letter.id
            ).select(
                table.id.as_('id'),
                Coalesce(letter.agenda_number, letter.sender_number,
                    NO_NAME).as_('name'),
                letter.id.as_('letter'),
                where=table.id.in_(ids))


class Outgoing(ActivityRecordMixin, metaclass=PoolMeta):
    __name__ = 'esurat.outgoing'
    _activity_open_fields = {'recipients', 'approvals'}

    @classmethod
    def _activity_records(cls, ids):
        table = cls.__table__()
        # A draft has no number yet; its id names it
        return table.select(
            table.id.as_('id'),
            Coalesce(table.number, NO_NAME).as_('name'),
            # Typed: PostgreSQL compares it with the letters' ids
            Cast(Literal(None), 'INTEGER').as_('letter'),
            where=table.id.in_(ids))
