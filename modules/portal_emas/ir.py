# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.append(
            ('portal.request|notify_overdue',
                "Notify Overdue Citizen Requests"))


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        context = super()._get_context(model_name)
        if Transaction().user:
            context['portal_units'] = cls.portal_units()
        return context

    @classmethod
    def portal_units(cls):
        """Ids of the agencies where the current user holds or acts for a
        position today: the Kelurahan, Kecamatan and OPD whose requests
        they see (the rules' cache key has the user's positions already)"""
        pool = Pool()
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        with without_check_access():
            positions = Position.browse(User.get_esurat_positions())
            return sorted({(p.unit.agency or p.unit).id for p in positions})
