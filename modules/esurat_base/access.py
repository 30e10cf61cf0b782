# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What a client may write.

Tryton's views show a field read-only, but the server accepts any value a
client sends for it.  In e-Surat the read-only fields are the ones the
workflow owns (states, numbers, who acted, when and as what, links set by
wizards), so the server refuses them from clients the same way the view
does: a field whose definition is read-only, or whose ``states['readonly']``
holds for the record as stored, cannot be written through a call made with
access checks.  Buttons and wizards run without access checks and keep
writing them.
"""
from collections.abc import Mapping

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool
from trytond.pyson import PYSONDecoder, PYSONEncoder
from trytond.transaction import Transaction, without_check_access

from .exceptions import FieldReadonlyError

# Written by Tryton itself on every create and write
_META_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


class _RecordEnv(Mapping):
    "The values of a record as PYSON's Eval sees them in a client view"

    def __init__(self, record=None, values=None):
        self._record = record
        self._values = values or {}

    def _value(self, name):
        if name == 'context':
            return Transaction().context
        if name in self._values:
            return self._values[name]
        if name.startswith('_parent_'):
            parent = self._value(name[len('_parent_'):])
            if parent is None or self._record is None:
                return {}
            if isinstance(parent, int):
                Parent = getattr(
                    self._record.__class__, name[len('_parent_'):]
                    ).get_target()
                parent = Parent(parent)
            return _RecordEnv(parent)
        if self._record is None:
            raise KeyError(name)
        field = self._record._fields.get(name)
        if field is None and name != 'id':
            raise KeyError(name)
        value = getattr(self._record, name)
        if isinstance(value, tuple):
            return [getattr(v, 'id', v) for v in value]
        return getattr(value, 'id', value)

    def __getitem__(self, name):
        return self._value(name)

    def __contains__(self, name):
        try:
            self._value(name)
        except KeyError:
            return False
        return True

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __bool__(self):
        # PYSONDecoder replaces a false context by an empty one
        return True


def _is_empty(value):
    return value is None or value is False or value == '' or value == []


class ClientWriteMixin:
    """Refuse what the view shows read-only when a client writes it

    Copies made by a client start with the read-only fields at their
    default, as a new record would; copies and exports made by a client
    pass the record rules first."""
    __slots__ = ()

    @classmethod
    def _client_readonly(cls, name, env):
        field = cls._fields[name]
        if field.readonly:
            return True
        readonly = field.states.get('readonly')
        if readonly is None or isinstance(readonly, bool):
            return bool(readonly)
        decoder = PYSONDecoder(env)
        return bool(decoder.decode(PYSONEncoder().encode(readonly)))

    @classmethod
    def _client_writable_fields(cls):
        "Names of read-only fields a client may still send (none here)"
        return set()

    @classmethod
    def _owner_fields(cls):
        """Names of the Many2One fields that link a record to the record it
        is part of (the inverse of a One2Many): moving a recipient, a file or
        a step to another letter is never a client's edit"""
        pool = Pool()
        names = set()
        for name, field in cls._fields.items():
            if field._type != 'many2one':
                continue
            Target = pool.get(field.model_name)
            for target_field in Target._fields.values():
                if (target_field._type == 'one2many'
                        and target_field.model_name == cls.__name__
                        and target_field.field == name):
                    names.add(name)
                    break
        return names

    @classmethod
    def _refuse_client_field(cls, name):
        raise FieldReadonlyError(gettext(
                'esurat_base.msg_field_readonly', **cls.__names__(name)))

    @classmethod
    def _check_client_values(cls, values, records=None):
        allowed = _META_FIELDS | cls._client_writable_fields()
        names = [n for n in values if n not in allowed]
        if not names:
            return
        if records is None:
            defaults = cls.default_get(
                list(cls._fields.keys()), with_rec_name=False)
            env = _RecordEnv(values={**defaults, **values})
        for name in names:
            if name not in cls._fields:
                continue
            if records is None:
                if (_is_empty(values[name])
                        or values[name] == defaults.get(name)):
                    continue
                if cls._client_readonly(name, env):
                    cls._refuse_client_field(name)
            elif name in cls._owner_fields():
                cls._refuse_client_field(name)
            else:
                for record in records:
                    if cls._client_readonly(name, _RecordEnv(record)):
                        cls._refuse_client_field(name)

    @classmethod
    def create(cls, vlist):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            with without_check_access():
                for values in vlist:
                    cls._check_client_values(values)
        return super().create(vlist)

    @classmethod
    def check_modification(cls, mode, records, values=None, external=False):
        super().check_modification(
            mode, records, values=values, external=external)
        if external and mode == 'write' and values:
            cls._check_client_values(values, records)

    @classmethod
    def copy(cls, records, default=None):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            # Tryton's copy reads the originals without access checks
            cls.read([r.id for r in records], ['id'])
            default = default.copy() if default is not None else {}
            defaults = cls.default_get(
                list(cls._fields.keys()), with_rec_name=False)
            for name, field in cls._fields.items():
                if (field.readonly and name not in _META_FIELDS
                        and not isinstance(field, fields.Function)
                        and field._type not in {'one2many', 'many2many'}):
                    default.setdefault(name, defaults.get(name))
        return super().copy(records, default=default)

    @classmethod
    def export_data(cls, records, fields_names, header=False):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            # Tryton evaluates the record rules of an export in Python, where
            # a rule on a computed field always holds: ask the database
            cls.read([r.id for r in records], ['id'])
            Pool().get('esurat.activity').add(
                'export', cls.__name__,
                [r.id for r in records] if len(records) == 1 else None,
                detail=f"{len(records)}: {', '.join(fields_names)}")
        return super().export_data(records, fields_names, header=header)
