# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.esurat_base.tools import public_url
from trytond.pool import PoolMeta
from trytond.transaction import Transaction

# The models whose page /<db>/m/buka/<model>/<id> opens (routes.open_record)
OPENED = {'esurat.disposition', 'esurat.outgoing', 'esurat.letter'}


class Notification(metaclass=PoolMeta):
    __name__ = 'esurat.notification'

    @classmethod
    def link(cls, record):
        # The public address, as the QR codes: a notification made by the
        # cron or a queued task has no request to take the host from
        if record.__name__ in OPENED:
            return (f'{public_url()}/{Transaction().database.name}'
                f'/m/buka/{record.__name__}/{record.id}')
        return super().link(record)
