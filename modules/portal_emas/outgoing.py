# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.pool import Pool, PoolMeta


class Outgoing(metaclass=PoolMeta):
    __name__ = 'esurat.outgoing'

    @classmethod
    def _signed(cls, outgoings):
        pool = Pool()
        Request = pool.get('portal.request')
        super()._signed(outgoings)
        Request.outgoing_signed(outgoings)
