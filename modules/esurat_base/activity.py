# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The activity log of e-Surat (Perbup Probolinggo 83/2017 Pasal 13).

One row per event: who, when, as which position, from which address, on
which record.  Tryton's own log (``ir.model.log``: writes, buttons, wizards
and transitions) is copied here as it is stored, with the position and the
agency of the moment; what Tryton does not log is added by hooks: logins
and failed logins, opening a letter, downloading a scan, exports and
reading this log.

Events of a read are written in a short transaction of their own (a read
call runs in a read-only one), as one INSERT ... SELECT: the record's name
and the position come from the database in the same statement.
"""
import datetime

from sql import Literal
from sql.aggregate import Min
from sql.conditionals import Coalesce

from trytond import backend
from trytond.exceptions import RateLimitException
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .access import ClientWriteMixin

# Masks a name wherever a record cannot be named without its content
NO_NAME = '***'


class Activity(ClientWriteMixin, ModelSQL, ModelView):
    """An event of the activity log; written by the server only, never
    changed nor deleted"""
    __name__ = 'esurat.activity'
    __string__ = "Activity"
    _log = False

    date = fields.Timestamp("Date", required=True, readonly=True)
    user = fields.Many2One(
        'res.user', "User", readonly=True, ondelete='SET NULL')
    login = fields.Char(
        "Login", readonly=True, strip=False,
        help="As typed, for failed logins; the user's login otherwise.")
    action = fields.Selection([
            ('login', "Login"),
            ('login_failed', "Failed Login"),
            ('open', "Opened"),
            ('download', "Downloaded File"),
            ('export', "Exported"),
            ('monitor', "Read Activity Monitoring"),
            ('register', "Registered"),
            ('distribute', "Distributed"),
            ('disposition', "Disposition"),
            ('approval', "Approval"),
            ('signature', "Signature"),
            ('write', "Modified"),
            ('delete', "Deleted"),
            ('button', "Clicked on"),
            ('wizard', "Launched"),
            ('transition', "Transitioned to"),
            ], "Action", required=True, readonly=True, sort=False)
    model = fields.Selection(
        'get_models', "Model", readonly=True)
    record = fields.Integer("Record ID", readonly=True)
    record_name = fields.Char(
        "Record", readonly=True,
        help="The letter's agenda or sender number: never a subject.")
    detail = fields.Char(
        "Detail", readonly=True,
        help="The button, wizard step, state or fields of Tryton's log, "
        "the rows read or exported.")
    position = fields.Many2One(
        'esurat.position', "Position", readonly=True, ondelete='SET NULL',
        help="The position the user acted as, where known.")
    agency = fields.Many2One(
        'esurat.unit', "Agency", readonly=True, ondelete='SET NULL',
        help="The agency of the user's unit at the time.")
    ip_address = fields.Char("IP Address", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('date', 'DESC'), ('id', 'DESC')]
        cls._sql_indexes.update({
                Index(t, (t.date, Index.Range(order='DESC'))),
                Index(t,
                    (t.agency, Index.Equality()),
                    (t.date, Index.Range(order='DESC'))),
                Index(t,
                    (t.user, Index.Equality()),
                    (t.date, Index.Range(order='DESC'))),
                })

    @classmethod
    def _log_actions(cls):
        """{(model, event, target): action} of Tryton's events, the target
        of a wizard by its name; the modules above add theirs"""
        return {
            ('esurat.letter', 'button', 'register'): 'register',
            ('esurat.letter', 'button', 'register_and_distribute'):
            'register',
            ('esurat.letter', 'button', 'distribute'): 'distribute',
            }

    @classmethod
    def get_models(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return [(None, '')] + Model.get_name_items()

    @classmethod
    def read(cls, ids, fields_names):
        result = super().read(ids, fields_names)
        if Transaction().check_access and set(fields_names) - {'id'}:
            cls.add('monitor', detail=str(len(ids)))
        return result

    @classmethod
    def add(cls, action, model=None, ids=None, user=None, login=None,
            detail=None):
        """Log action of user (the current one) on the records of model;
        in a transaction of its own when the current one is read-only"""
        transaction = Transaction()
        if transaction.readonly:
            # The INSERT commits at once; not on the memory database, whose
            # one connection is the request's (see ratelimit.py)
            autocommit = not (
                backend.name == 'sqlite'
                and transaction.database.name == ':memory:')
            with transaction.new_transaction(autocommit=autocommit):
                cls._insert(action, model, ids, user, login, detail)
        else:
            cls._insert(action, model, ids, user, login, detail)

    @classmethod
    def _insert(cls, action, model, ids, user, login, detail):
        pool = Pool()
        User = pool.get('res.user')
        LetterAccess = pool.get('esurat.letter.access')
        transaction = Transaction()
        if user is None:
            user = transaction.user
        positions, agency = [], None
        if user:
            positions = User.get_esurat_positions(user)
            agencies = User.get_esurat_agencies(user)
            agency = agencies[0] if agencies else None
        ip_address, _ = transaction.remote_address()
        ip_address = str(ip_address) if ip_address else None
        table = cls.__table__()
        columns = [
            table.create_uid, table.create_date, table.date, table.user,
            table.login, table.action, table.model, table.detail,
            table.agency, table.ip_address]
        now = datetime.datetime.now()
        values = [
            transaction.user, now, now, user or None, login, action, model,
            detail, agency, ip_address]
        query = None
        # A deleted record is gone: its events carry its id only
        if model and ids and action != 'delete':
            Model = pool.get(model)
            query = (Model._activity_records(ids)
                if hasattr(Model, '_activity_records') else None)
        cursor = transaction.connection.cursor()
        if query is None:
            position = positions[0] if positions else None
            cursor.execute(*table.insert(
                    columns + [table.record, table.position],
                    [values + [id_, position] for id_ in (ids or [None])]))
            return
        # The position through which the user may open the letter, else
        # the first they hold
        access = LetterAccess.__table__()
        position = Literal(positions[0] if positions else None)
        if positions:
            position = Coalesce(access.select(
                    Min(access.position),
                    where=(access.letter == query.letter)
                    & access.position.in_(positions)), position)
        cursor.execute(*table.insert(
                columns + [table.record, table.record_name, table.position],
                query.select(
                    *(Literal(v) for v in values),
                    query.id, query.name, position)))

    @classmethod
    def add_logs(cls, logs):
        "Copy Tryton's log records of e-Surat models"
        actions = cls._log_actions()
        by_key = {}
        for log in logs:
            if not log.resource or not log.user:
                continue
            model = log.resource.__name__
            if not model.startswith('esurat.'):
                continue
            # The names of the fields written, never their values
            target = log.target or None
            key = target or ''
            if log.event == 'wizard':
                key = key.split(':')[0]
            action = actions.get((model, log.event, key), log.event)
            by_key.setdefault(
                (model, action, target, log.user.id), []).append(
                log.resource.id)
        for (model, action, detail, user), ids in by_key.items():
            cls._insert(action, model, ids, user, None, detail)


class ActivityRecordMixin:
    """A model whose events name their record: ``_activity_records``
    returns a query of (id, name, letter) for ids.  A read of one record
    with one of ``_activity_open_fields`` is its form being opened: the
    lazy fields of the form, which sao and the desktop client never
    prefetch for the record's neighbours in the list"""
    __slots__ = ()
    _activity_open_fields = set()

    @classmethod
    def _activity_records(cls, ids):
        raise NotImplementedError

    @classmethod
    def read(cls, ids, fields_names):
        pool = Pool()
        Activity = pool.get('esurat.activity')
        result = super().read(ids, fields_names)
        if (Transaction().check_access and len(ids) == 1
                and cls._activity_open_fields & set(fields_names)):
            Activity.add('open', cls.__name__, ids)
        return result


class Letter(ActivityRecordMixin, metaclass=PoolMeta):
    __name__ = 'esurat.letter'
    _activity_open_fields = {'addressees', 'files'}

    @classmethod
    def _activity_records(cls, ids):
        table = cls.__table__()
        return table.select(
            table.id.as_('id'),
            Coalesce(table.agenda_number, table.sender_number).as_('name'),
            table.id.as_('letter'),
            where=table.id.in_(ids))


class LetterFile(ActivityRecordMixin, metaclass=PoolMeta):
    __name__ = 'esurat.letter.file'

    @classmethod
    def _activity_records(cls, ids):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        table = cls.__table__()
        letter = Letter.__table__()
        # Not the file's name: a scan is often named after its subject
        return table.join(letter, condition=table.letter == letter.id
            ).select(
                table.id.as_('id'),
                Coalesce(letter.agenda_number, letter.sender_number,
                    NO_NAME).as_('name'),
                letter.id.as_('letter'),
                where=table.id.in_(ids))

    @classmethod
    def read(cls, ids, fields_names):
        pool = Pool()
        Activity = pool.get('esurat.activity')
        result = super().read(ids, fields_names)
        context = Transaction().context
        if (Transaction().check_access and ids and 'data' in fields_names
                and context.get(f'{cls.__name__}.data') != 'size'):
            Activity.add('download', cls.__name__, ids)
        return result


class ModelLog(metaclass=PoolMeta):
    __name__ = 'ir.model.log'

    @classmethod
    def create(cls, vlist):
        pool = Pool()
        Activity = pool.get('esurat.activity')
        logs = super().create(vlist)
        Activity.add_logs(logs)
        return logs


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    @classmethod
    def get_login(cls, login, parameters):
        pool = Pool()
        Activity = pool.get('esurat.activity')
        try:
            user_id = super().get_login(login, parameters)
        except RateLimitException:
            # Tryton commits the attempts it refuses, and so this event
            Activity.add(
                'login_failed', user=cls._activity_login_user(login),
                login=login, detail='rate limit')
            raise
        if user_id:
            Activity.add('login', user=user_id, login=login)
        else:
            Activity.add(
                'login_failed', user=cls._activity_login_user(login),
                login=login)
        return user_id

    @classmethod
    def _activity_login_user(cls, login):
        "The account tried, when there is one, for its agency to see"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                table.id, where=table.login == login, limit=1))
        row = cursor.fetchone()
        return row[0] if row else 0
