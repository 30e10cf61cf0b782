# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Null
from sql.conditionals import Coalesce

from trytond import backend, config
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
                ('ir.queue|resume_stalled', "Resume Stalled Tasks"),
                ('esurat.filestore.issue|check_files',
                    "Check the Files of the Filestore"),
                ('esurat.filestore.issue|remove_orphans',
                    "Remove Orphan Files of the Filestore"),
                ])


def queue_task_timeout():
    """How long a task may stay unfinished: [esurat] queue_task_timeout
    (minutes); past it the process that was to run it is taken for dead"""
    return datetime.timedelta(
        minutes=config.getint('esurat', 'queue_task_timeout', default=30))


class Queue(metaclass=PoolMeta):
    __name__ = 'ir.queue'

    @classmethod
    def resume_stalled(cls):
        """Cron: run again the tasks unfinished past the timeout: started by
        a worker that died, or never started because the process that was
        to run them after its commit died.  Each is claimed first, so that
        two crons or a worker never take the same one.  A task that failed
        with a user error is left to Tryton's error list."""
        pool = Pool()
        Error = pool.get('ir.error')
        transaction = Transaction()
        queue = cls.__table__()
        cursor = transaction.connection.cursor()
        cursor.execute(*queue.select(queue.id,
                where=cls._stalled_where(queue),
                order_by=[queue.id.asc], limit=100))
        ids = [i for i, in cursor]
        failed = {int(e.origin) for e in Error.search([
                    ('origin', 'in', [f'{cls.__name__},{i}' for i in ids]),
                    ])}
        for task_id in ids:
            if task_id not in failed and cls._claim_stalled(task_id):
                # Run after the commit, each in its own transaction, as the
                # cron runs the tasks it queues
                transaction.tasks.append(task_id)

    @classmethod
    def _stalled_where(cls, queue):
        limit = datetime.datetime.now() - queue_task_timeout()
        return ((queue.finished_at == Null)
            & (Coalesce(
                    queue.dequeued_at, queue.scheduled_at, queue.enqueued_at)
                < limit))

    @classmethod
    def _claim_stalled(cls, task_id):
        """Mark the task started now if it is still stalled, and commit it;
        return whether this cron got it"""
        transaction = Transaction()
        database = transaction.database
        table, row = cls.__table__(), cls.__table__()
        claimable = row.select(row.id,
            where=(row.id == task_id) & cls._stalled_where(row))
        if database.has_select_for():
            claimable.for_ = database.get_select_for_skip_locked()('UPDATE')
        try:
            with transaction.new_transaction() as claim:
                cursor = claim.connection.cursor()
                cursor.execute(*table.update(
                        [table.dequeued_at], [datetime.datetime.now()],
                        where=table.id.in_(claimable)))
                return cursor.rowcount == 1
        except backend.DatabaseOperationalError:
            # A worker or another cron took it meanwhile
            return False


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
