# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .delegation import PREFIXES


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def get_esurat_positions(cls, user_id=None):
        "Positions held today plus those delegated to the user today"
        pool = Pool()
        Delegation = pool.get('esurat.delegation')
        if user_id is None:
            user_id = Transaction().user
        positions = super().get_esurat_positions(user_id)
        delegated = Delegation.delegated_positions(user_id)
        if delegated:
            positions = sorted(set(positions) | set(delegated))
        return positions

    @classmethod
    def _acting_prefix(cls, position, user_id=None):
        pool = Pool()
        Delegation = pool.get('esurat.delegation')
        Holding = pool.get('esurat.position.holding')
        if user_id is None:
            user_id = Transaction().user
        if position.id in Holding.user_positions(user_id):
            return super()._acting_prefix(position, user_id)
        kind = Delegation.delegated_positions(user_id).get(position.id)
        return PREFIXES.get(kind, '')
