# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What signing does when esurat_disposition is activated too"""
from trytond.pool import Pool, PoolMeta


class Outgoing(metaclass=PoolMeta):
    __name__ = 'esurat.outgoing'

    @classmethod
    def _acts_as_assistant(cls, position, user_id):
        # Assistants are delegations; a position held is never an assistant's
        pool = Pool()
        Delegation = pool.get('esurat.delegation')
        Holding = pool.get('esurat.position.holding')
        if super()._acts_as_assistant(position, user_id):
            return True
        if position.id in Holding.user_positions(user_id):
            return False
        return Delegation.delegated_positions(user_id).get(
            position.id) == 'assistant'
