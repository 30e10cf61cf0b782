# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, check_access

from .exceptions import ChatAccessError


class Rule(metaclass=PoolMeta):
    __name__ = 'ir.rule'

    @classmethod
    def _get_context(cls, model_name):
        pool = Pool()
        User = pool.get('res.user')
        context = super()._get_context(model_name)
        if Transaction().user:
            context['esurat_user'] = Transaction().user
            context['esurat_positions'] = User.get_esurat_positions()
            context['esurat_agencies'] = User.get_esurat_agencies()
        return context

    @classmethod
    def _get_cache_key(cls, model_names):
        pool = Pool()
        User = pool.get('res.user')
        key = super()._get_cache_key(model_names)
        if Transaction().user:
            key = (*key,
                Transaction().user,
                tuple(User.get_esurat_positions()),
                tuple(User.get_esurat_agencies()))
        return key


class Cron(metaclass=PoolMeta):
    __name__ = 'ir.cron'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.method.selection.extend([
                ('esurat.mail|send_pending', "Send Pending Emails"),
                ('esurat.position.holding|update_states',
                    "Start and End Position Holdings"),
                ])


class ChatChannel(metaclass=PoolMeta):
    __name__ = 'ir.chat.channel'

    @classmethod
    def check_access(cls, resource):
        """Read the thread of an e-Surat record only if the record is
        readable, and the thread of a letter only if its content is visible
        to the user (its entries are about what the letter says)"""
        pool = Pool()
        super().check_access(resource)
        model, id_ = str(resource).split(',')
        if model.startswith('esurat.'):
            Model = pool.get(model)
            with check_access():
                Model.read([int(id_)], ['id'])
            if Transaction().user and cls._esurat_content_hidden(
                    Model, int(id_)):
                raise ChatAccessError(gettext(
                        'esurat_base.msg_chat_content_restricted'))

    @classmethod
    def _esurat_content_hidden(cls, Model, id_):
        "Whether the letter of the record (or the letter itself) is masked"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        if Model.__name__ == Letter.__name__:
            letter_id = id_
        else:
            field = Model._fields.get('letter')
            if (getattr(field, 'model_name', None) != Letter.__name__
                    or isinstance(field, fields.Function)):
                return False
            letter = Model(id_).letter
            if not letter:
                return False
            letter_id = letter.id
        return bool(Letter.hidden_content_ids([letter_id], checked=True))

    @classmethod
    def subscribe(cls, resource, username=None):
        "Another user may follow an e-Surat thread only if they may read it"
        pool = Pool()
        User = pool.get('res.user')
        if username is not None and str(resource).startswith('esurat.'):
            cls.check_access(resource)
            for user in User.search([('login', '=', username)]):
                with Transaction().set_user(user.id):
                    cls.check_access(resource)
        super().subscribe(resource, username=username)

    @classmethod
    def subscribe_email(cls, resource, email):
        """No outside address follows an e-Surat thread: its emails would
        carry the record's name and public entries out of e-Surat, which
        notifies its users itself (esurat.mail)"""
        if str(resource).startswith('esurat.'):
            cls.check_access(resource)
            raise ChatAccessError(gettext(
                    'esurat_base.msg_chat_email_refused'))
        super().subscribe_email(resource, email)
