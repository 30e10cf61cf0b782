# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Telling citizens what happened to their request.

By email through esurat_base's outbox when the citizen gave an address,
and by WhatsApp/SMS through a messenger: any class with ``send(phone,
text)`` named by ``[portal_emas] messenger`` (``package.module:Class``,
built with no argument).  No gateway is reachable here: the default is the
development sink, which appends one JSON line per message to the file
``[portal_emas] message_sink`` (nothing is sent when it is not set).
Messages leave after the commit, through the queue, so a rolled back
action tells nobody."""
import datetime
import importlib
import json
import logging

from trytond import config
from trytond.i18n import gettext
from trytond.model import Model
from trytond.modules.esurat_base.tools import public_url
from trytond.pool import Pool
from trytond.transaction import Transaction

logger = logging.getLogger(__name__)


class FileSink:
    "The development messenger: one JSON line per message in a file"

    def __init__(self, path=None):
        self.path = path or config.get(
            'portal_emas', 'message_sink', default='')

    def send(self, phone, text):
        if not self.path:
            logger.info("no message sink: message to %s not sent", phone)
            return
        line = json.dumps({
                'at': datetime.datetime.now().isoformat(timespec='seconds'),
                'to': phone,
                'text': text,
                }, ensure_ascii=False)
        with open(self.path, 'a', encoding='utf-8') as sink:
            sink.write(line + '\n')


def messenger():
    "The messenger of the configuration"
    name = config.get('portal_emas', 'messenger', default='')
    if not name:
        return FileSink()
    module, _, attribute = name.partition(':')
    return getattr(importlib.import_module(module), attribute)()


def tracking_url():
    "The public page where a citizen tracks a request by number and NIK"
    return (f'{public_url()}/{Transaction().database.name}'
        '/portal/lacak')


class Messaging(Model):
    "Tells citizens about their requests, by email and WhatsApp/SMS"
    __name__ = 'portal.messaging'
    __string__ = "Citizen Messaging"

    @classmethod
    def text(cls, request, message, **variables):
        """The Indonesian text of message about request: what happened and
        where to follow it (never the link's token, which is not stored)"""
        return '\n\n'.join([
                gettext(message, 'id', number=request.number,
                    service=request.service.name, **variables),
                gettext('portal_emas.msg_citizen_track', 'id',
                    url=tracking_url()),
                ])

    @classmethod
    def tell(cls, request, message, **variables):
        pool = Pool()
        Mail = pool.get('esurat.mail')
        Request = pool.get('portal.request')
        text = cls.text(request, message, **variables)
        if request.email:
            Mail.enqueue(
                [request.email],
                gettext('portal_emas.msg_citizen_subject', 'id',
                    number=request.number, service=request.service.name),
                text, resource=request)
        Request.__queue__.send_messages([request], text)
