# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class Notification(metaclass=PoolMeta):
    __name__ = 'esurat.notification'

    @classmethod
    def position_users(cls, position_ids):
        "The delegates acting for a position today are told as its holders"
        pool = Pool()
        Delegation = pool.get('esurat.delegation')
        result = super().position_users(position_ids)
        for position, delegates in Delegation.delegates_of(
                position_ids).items():
            result[position].update(delegates)
        return result
