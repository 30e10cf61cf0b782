# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The filestore checked against the database: a file missing or changed is
an error for who reads it and a problem for the administrator, never an
empty or a forged file; a periodic check compares every stored file with
its SHA-256, and files no record points to are removed after a grace
period."""
import datetime
import logging
import os

from sql import Column, Literal, Null

from trytond import config
from trytond.filestore import filestore
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

from .access import ClientWriteMixin
from .exceptions import FilestoreError
from .scan import sha256

logger = logging.getLogger(__name__)


def file_fields(Model):
    """The names of the Binary fields of Model kept in the filestore, each
    with the name of the field holding its SHA-256 or None: by convention a
    model's `sha256` field fingerprints its single filestore field"""
    names = [n for n, f in Model._fields.items()
        if isinstance(f, fields.Binary) and f.file_id]
    digest = ('sha256' if len(names) == 1
        and isinstance(Model._fields.get('sha256'), fields.Char) else None)
    return {n: digest for n in names}


def store_prefix(field):
    return (field.store_prefix if field.store_prefix is not None
        else Transaction().database.name)


def stored(file_id, prefix):
    try:
        filestore.size(file_id, prefix=prefix)
    except OSError:
        return False
    return True


def orphan_grace():
    """How old a file no record points to must be before it is removed:
    [esurat] orphan_grace_days (0 never removes); a younger one may belong
    to a transaction not yet committed"""
    days = config.getint('esurat', 'orphan_grace_days', default=7)
    return datetime.timedelta(days=days) if days > 0 else None


class FilestoreMixin:
    """Reading a filestore field of the model whose file is missing or no
    longer has its SHA-256 raises FilestoreError and records the problem
    (sizes, as lists read them, are left as they are)"""
    __slots__ = ()

    @classmethod
    def read(cls, ids, fields_names):
        rows = super().read(ids, fields_names)
        context = Transaction().context
        names = [n for n in file_fields(cls)
            if n in fields_names
            and context.get(f'{cls.__name__}.{n}') != 'size']
        if rows and names:
            cls._check_files(rows, names)
        return rows

    @classmethod
    def _check_files(cls, rows, names):
        pool = Pool()
        Issue = pool.get('esurat.filestore.issue')
        digests = file_fields(cls)
        values = {r['id']: r for r in rows}
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        for name in names:
            field, digest = cls._fields[name], digests[name]
            cursor.execute(*table.select(
                    table.id, Column(table, field.file_id),
                    Column(table, digest) if digest else Literal(None),
                    where=fields.SQL_OPERATORS['in'](table.id, list(values))
                    & (Column(table, field.file_id) != Null)
                    & (Column(table, field.file_id) != '')))
            for record_id, file_id, expected in cursor.fetchall():
                data = values[record_id][name]
                if data is None:
                    if stored(file_id, store_prefix(field)):
                        # Withheld by the model, not lost
                        continue
                    kind = 'missing'
                elif expected and sha256(bytes(data)) != expected:
                    kind = 'changed'
                else:
                    continue
                record = cls(record_id)
                Issue.report(record, name, file_id, store_prefix(field), kind)
                raise FilestoreError(gettext(
                        f'esurat_base.msg_filestore_{kind}',
                        name=Issue.file_name_of(record, name) or file_id))


class Issue(ClientWriteMixin, ModelSQL, ModelView):
    """A file of the filestore found missing, changed or left without a
    record: by a user's reading, by the periodic check or by the removal of
    orphans.  A problem stays open until a check finds the file right again
    or its record gone; a removed orphan is recorded closed."""
    __name__ = 'esurat.filestore.issue'
    __string__ = "Filestore Problem"

    resource = fields.Reference(
        "Record", selection='get_resources', readonly=True)
    field = fields.Char("Field", readonly=True)
    file_id = fields.Char("File ID", readonly=True)
    prefix = fields.Char("Prefix", readonly=True)
    file_name = fields.Char("File Name", readonly=True)
    kind = fields.Selection([
            ('missing', "Missing"),
            ('changed', "Changed"),
            ('orphan', "Orphan (Removed)"),
            ], "Problem", required=True, readonly=True, sort=False)
    state = fields.Selection([
            ('open', "Open"),
            ('closed', "Closed"),
            ], "State", required=True, readonly=True, sort=False)
    found_at = fields.DateTime("Found At", readonly=True)
    seen_at = fields.DateTime(
        "Last Seen At", readonly=True,
        help="When a reading or a check last found the problem.")
    closed_at = fields.DateTime("Closed At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('id', 'DESC')]
        cls._sql_indexes.add(
            Index(t,
                (t.state, Index.Equality(cardinality='low')),
                where=t.state == 'open'))

    @classmethod
    def default_state(cls):
        return 'open'

    @classmethod
    def get_resources(cls):
        pool = Pool()
        Model = pool.get('ir.model')
        return [(None, '')] + Model.get_name_items()

    def get_rec_name(self, name):
        kind = self.__class__.fields_get(['kind'])['kind']['selection']
        return f"{dict(kind)[self.kind]}: {self.file_name or self.file_id}"

    @staticmethod
    def file_name_of(record, field):
        "The name of the file of field of record, if the model names it"
        filename = record._fields[field].filename
        if filename:
            with without_check_access():
                return getattr(record.__class__(record.id), filename, None)

    @classmethod
    def report(cls, record, field, file_id, prefix, kind):
        """Record the problem of the file of field of record, in a
        transaction of its own committed whatever becomes of the caller's
        (a user's reading fails), and tell the super administrators the
        first time"""
        values = {
            'resource': str(record), 'field': field, 'file_id': file_id,
            'prefix': prefix, 'kind': kind,
            'file_name': cls.file_name_of(record, field),
            }
        transaction = Transaction()
        # A record of the caller's transaction goes with it; SQLite in
        # memory has one connection for every transaction
        if (record.id in transaction.create_records[record.__name__]
                or transaction.database.name == ':memory:'):
            cls._report(values)
            return
        with transaction.new_transaction():
            cls._report(values)

    @classmethod
    @without_check_access
    def _report(cls, values):
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Notification = pool.get('esurat.notification')
        User = pool.get('res.user')
        now = datetime.datetime.now()
        issues = cls.search([
                ('resource', '=', values['resource']),
                ('field', '=', values['field']),
                ('kind', '=', values['kind']),
                ('state', '=', 'open'),
                ], limit=1)
        if issues:
            cls.write(issues, {'seen_at': now})
            return
        issue, = cls.create([{**values, 'found_at': now, 'seen_at': now}])
        logger.error(
            "file %(file_id)s of %(resource)s %(field)s is %(kind)s in the "
            "filestore", values)
        admins = User.search([('groups', '=', ModelData.get_id(
                        'esurat_base', 'group_esurat_admin'))])
        Notification.send(
            'esurat_base.msg_notify_filestore_problem', issue, users=admins,
            name=issue.rec_name)

    @classmethod
    def filestore_models(cls):
        "The (model, field, digest field) of every filestore field"
        pool = Pool()
        for _, Model in pool.iterobject():
            if (issubclass(Model, ModelSQL)
                    and not callable(getattr(Model, 'table_query', None))):
                for name, digest in file_fields(Model).items():
                    yield Model, name, digest

    @classmethod
    def check_files(cls):
        """Cron: compare every file of the filestore with its SHA-256 (or
        find it at least, for a field without one); record what is missing
        or changed and close the problems found right again"""
        cursor = Transaction().connection.cursor()
        found = set()
        for Model, name, digest in cls.filestore_models():
            field = Model._fields[name]
            prefix = store_prefix(field)
            table = Model.__table__()
            cursor.execute(*table.select(
                    table.id, Column(table, field.file_id),
                    Column(table, digest) if digest else Literal(None),
                    where=(Column(table, field.file_id) != Null)
                    & (Column(table, field.file_id) != ''),
                    order_by=[table.id.asc]))
            for record_id, file_id, expected in cursor.fetchall():
                try:
                    data = filestore.get(file_id, prefix=prefix)
                except OSError:
                    kind = 'missing'
                else:
                    if not expected or sha256(data) == expected:
                        continue
                    kind = 'changed'
                found.add((f'{Model.__name__},{record_id}', name, kind))
                cls.report(Model(record_id), name, file_id, prefix, kind)
        now = datetime.datetime.now()
        cls.write([i for i in cls.search([
                        ('state', '=', 'open'),
                        ('kind', 'in', ['missing', 'changed']),
                        ])
                if (str(i.resource), i.field, i.kind) not in found], {
                'state': 'closed', 'closed_at': now})

    @classmethod
    def remove_orphans(cls):
        """Cron: remove the files of the filestore's e-Surat prefixes that
        no record of the database points to, once older than the grace
        period; record each removal"""
        grace = orphan_grace()
        # Only Tryton's own filestore lays files out where this looks
        if grace is None or config.get('database', 'class'):
            return
        limit = (datetime.datetime.now() - grace).timestamp()
        now = datetime.datetime.now()
        removed = []
        for prefix, known in cls._known_files().items():
            for file_id, path in cls._stored_files(prefix):
                if file_id in known:
                    continue
                try:
                    if os.stat(path).st_mtime >= limit:
                        continue
                    os.remove(path)
                except FileNotFoundError:
                    continue
                removed.append({
                        'file_id': file_id, 'prefix': prefix,
                        'kind': 'orphan', 'state': 'closed',
                        'found_at': now, 'seen_at': now, 'closed_at': now,
                        })
        cls.create(removed)

    @classmethod
    def _known_files(cls):
        """The file ids each prefix has in the database: those of the
        records and those waiting for Tryton's own removal"""
        pool = Pool()
        Queue = pool.get('ir.filestore.queue')
        cursor = Transaction().connection.cursor()
        known = {}
        for Model, name, _ in cls.filestore_models():
            field = Model._fields[name]
            table = Model.__table__()
            cursor.execute(*table.select(
                    Column(table, field.file_id),
                    where=Column(table, field.file_id) != Null))
            known.setdefault(store_prefix(field), set()).update(
                i for i, in cursor)
        queue = Queue.__table__()
        cursor.execute(*queue.select(queue.prefix, queue.file_id))
        for prefix, file_id in cursor:
            known.get(prefix or Transaction().database.name, set()).add(
                file_id)
        return known

    @staticmethod
    def _stored_files(prefix):
        """The (file id, path) of the files stored under prefix; only
        Tryton's own ids (with a dash) are ever removed, as Tryton does"""
        root = os.path.join(filestore.path, prefix)
        for directory, _, names in os.walk(root):
            for name in names:
                if '-' in name:
                    yield name, os.path.join(directory, name)
