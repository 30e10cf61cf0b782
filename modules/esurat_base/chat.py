# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from itertools import groupby

from trytond.model import ChatMixin as _ChatMixin
from trytond.model.chat import ChatMessage
from trytond.transaction import Transaction

# What e-Surat writes once for every reader (chat threads, mail to people
# outside the government) is in Indonesian, whatever the language of who
# caused it; the database language stays English for Tryton's translation
# tools.
LANGUAGE = 'id'


class ChatMixin(_ChatMixin):
    """Tryton's ChatMixin whose thread entries are written in Indonesian.

    A thread is read by everyone who may see its record, so an entry is
    written once in LANGUAGE.  Tryton translates entries in a queued task
    and ir.queue drops the language that chat_post took from chat_language,
    so the task sets it again."""
    __slots__ = ()

    def chat_language(self, audience='internal'):
        return LANGUAGE

    @classmethod
    def _chat_dispatch(cls, records, message):
        audience = ChatMessage(*message).audience
        for language, group in groupby(
                records, key=lambda r: r.chat_language(audience)):
            with Transaction().set_context(language=language):
                super()._chat_dispatch(list(group), message)
