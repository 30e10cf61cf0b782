# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql import Null

from trytond.modules.esurat_base.position import TOP_LEVELS
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if Transaction().user and model_name.startswith('esurat.report.'):
            all_, agencies = cls._esurat_report_scope()
            context['esurat_report_all'] = all_
            context['esurat_report_agencies'] = agencies
        return context

    @classmethod
    def _esurat_report_scope(cls):
        """Whether the user's positions see the figures of every agency
        (the regional head, the vice and the Sekda, or who acts for them),
        and the agencies whose head they are or act for.

        It follows the positions of the day, which are part of the rules'
        cache key (esurat_base), so a Plh of the Sekda sees what the Sekda
        sees for as long as the holding is in force."""
        pool = Pool()
        User = pool.get('res.user')
        Position = pool.get('esurat.position')
        Unit = pool.get('esurat.unit')
        position_ids = User.get_esurat_positions()
        if not position_ids:
            return False, []
        position = Position.__table__()
        unit = Unit.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*position.join(
                unit, condition=position.unit == unit.id).select(
                position.level, unit.agency,
                where=position.id.in_(position_ids)))
        all_, agencies = False, set()
        for level, agency in cursor:
            if level in TOP_LEVELS:
                all_ = True
            elif level == 'agency_head' and agency is not Null:
                agencies.add(agency)
        return all_, sorted(a for a in agencies if a)


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('esurat.disposition|escalate_late',
                "Escalate Late Dispositions"))
