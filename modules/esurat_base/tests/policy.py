# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The access policy of a module, read from its README and checked.

Each e-Surat module's README has an "Access policy" section with two
tables (see esurat_base/README.md): the rights of each role on each model
the module defines with the fields a client may write, and the secret
fields no client may read.  ``PolicyTestMixin`` compares them with what the
server enforces, deny by default: a model or a writable field that the
policy does not name fails the test, and so does a role that has more (or
less) than the policy gives it.
"""
import re
from pathlib import Path

from trytond.model import ModelSingleton, ModelSQL, fields
from trytond.model.exceptions import AccessError
from trytond.modules import get_module_info
from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction
from trytond.transaction import Transaction, check_access, without_check_access

from ..access import ClientWriteMixin

ROLES = {
    'super admin': 'group_esurat_admin',
    'OPD admin': 'group_esurat_opd_admin',
    'main operator': 'group_esurat_main_operator',
    'official': 'group_esurat_official',
    'staff': 'group_esurat_staff',
    }
PERMS = {'r': 'read', 'w': 'write', 'c': 'create', 'd': 'delete'}
_META_FIELDS = {'id', 'create_uid', 'create_date', 'write_uid', 'write_date'}


def _stored(Model):
    "Whether Model has a table of its own that clients read and write"
    return (issubclass(Model, ModelSQL)
        and not callable(getattr(Model, 'table_query', None)))


def _rows(text, marker):
    "The rows of the markdown table that follows <!-- marker -->"
    start = text.index(f'<!-- {marker} -->')
    rows = []
    for line in text[start:].splitlines()[1:]:
        line = line.strip()
        if not line.startswith('|'):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip('|').split('|')]
        if set(cells[0]) <= {'-', ' '}:
            continue
        rows.append(cells)
    return rows[0], rows[1:]


def _names(cell):
    return {n.strip('` ') for n in re.split(r'[,\s]+', cell)
        if n.strip('` ') and n.strip() != '—'}


def _read_policy(readme):
    """Return ({model: {role: perms}}, {model: writable fields},
    {model: secret fields}, {action: roles}) from the README at readme;
    models of other modules that the module extends have only their
    writable fields"""
    text = Path(readme).read_text(encoding='utf-8')
    header, rows = _rows(text, 'policy:models')
    roles = header[1:-1]
    assert set(roles) == set(ROLES), roles
    rights, writable = {}, {}
    for model, *cells, fields_ in rows:
        model = model.strip('`')
        rights[model] = {
            role: set(cell) - {'-'} for role, cell in zip(roles, cells)}
        writable[model] = _names(fields_)
    if '<!-- policy:extended -->' in text:
        _, rows = _rows(text, 'policy:extended')
        for model, fields_ in rows:
            writable[model.strip('`')] = _names(fields_)
    actions = {}
    if '<!-- policy:actions -->' in text:
        _, rows = _rows(text, 'policy:actions')
        for action, roles in rows:
            actions[action.strip('`')] = {
                r.strip() for r in roles.split(',') if r.strip()} - {'—'}
    secret = {}
    if '<!-- policy:secret -->' in text:
        _, rows = _rows(text, 'policy:secret')
        for model, field, *_ in rows:
            secret.setdefault(model.strip('`'), set()).add(field.strip('`'))
    return rights, writable, secret, actions


def read_actions(readme):
    "Return {wizard or report: roles that may run it} of the README"
    return _read_policy(readme)[3]


def read_policy(readme):
    "Return the rights, writable fields and secret fields of the README"
    return _read_policy(readme)[:3]


class PolicyTestMixin:
    "Check the module's models against the policy of its README"
    policy_readme = None

    def _policy_users(self):
        pool = Pool()
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        users = {}
        for role, xml_id in ROLES.items():
            user = User(
                login=f'policy.{xml_id}', name=role,
                groups=[ModelData.get_id('esurat_base', xml_id)])
            user.save()
            users[role] = user
        return users

    def _module_models(self):
        "Names of the stored models the module defines"
        pool = Pool()
        IrModel = pool.get('ir.model')
        return [m.name for m in IrModel.search([('module', '=', self.module)])
            if _stored(pool.get(m.name))]

    def _extended_models(self):
        """{model: (rights of its module's policy, stored fields the module
        adds)} of the e-Surat models of other modules the module extends"""
        pool = Pool()
        ModelField = pool.get('ir.model.field')
        extended = {}
        for field in ModelField.search([
                    ('module', '=', self.module),
                    ('model_ref.module', '!=', self.module),
                    ]):
            Model = pool.get(field.model)
            definition = Model._fields.get(field.name)
            if (not _stored(Model) or not issubclass(Model, ClientWriteMixin)
                    or definition is None or field.name in _META_FIELDS
                    or isinstance(definition, fields.Function)):
                continue
            if field.model not in extended:
                owner = get_module_info(field.model_ref.module)['directory']
                rights, _, _ = read_policy(Path(owner) / 'README.md')
                extended[field.model] = rights[field.model], []
            extended[field.model][1].append(field.name)
        return extended

    @with_transaction()
    def test_access_policy(self):
        "Rights of every role on every model are those of the policy"
        pool = Pool()
        ModelAccess = pool.get('ir.model.access')
        rights, _, _ = read_policy(self.policy_readme)
        models = self._module_models()
        self.assertEqual(
            sorted(set(models) - set(rights)), [],
            msg="models without a policy (deny by default)")
        self.assertEqual(
            sorted(set(rights) - set(models)), [],
            msg="policy of models the module does not define")
        users = self._policy_users()
        for role, user in users.items():
            with Transaction().set_user(user.id):
                access = ModelAccess.get_access(models)
            for model in models:
                granted = {
                    letter for letter, perm in PERMS.items()
                    if access[model][perm]}
                with self.subTest(model=model, role=role):
                    self.assertEqual(granted, rights[model][role])

    @with_transaction()
    def test_client_writable_fields(self):
        """A client writes only the fields the policy names; every other
        field is read-only and refused by ClientWriteMixin"""
        pool = Pool()
        ModelField = pool.get('ir.model.field')
        _, writable, _ = read_policy(self.policy_readme)
        models = self._module_models()
        for model in models:
            with self.subTest(model=model):
                self.assertTrue(
                    issubclass(pool.get(model), ClientWriteMixin),
                    msg=f"{model} does not refuse read-only fields")
        for field in ModelField.search([('module', '=', self.module)]):
            Model = pool.get(field.model)
            if not issubclass(Model, ClientWriteMixin):
                # Tryton's own models (res.user...) have their own checks
                continue
            with self.subTest(model=field.model):
                self.assertIn(
                    field.model, writable,
                    msg="extended model without a policy (deny by default)")
            if field.model not in writable:
                continue
            definition = Model._fields.get(field.name)
            if (definition is None or field.name in _META_FIELDS
                    or (isinstance(definition, fields.Function)
                        and not definition.setter)):
                continue
            with self.subTest(model=field.model, field=field.name):
                if field.name in writable[field.model]:
                    self.assertFalse(
                        definition.readonly,
                        msg="the policy lets clients write a read-only field")
                else:
                    self.assertTrue(
                        definition.readonly,
                        msg="a field the policy does not let clients write "
                        "must be read-only")

    @with_transaction()
    def test_secret_fields(self):
        "No role reads, searches, orders or exports a secret field"
        pool = Pool()
        FieldAccess = pool.get('ir.model.field.access')
        _, _, secret = read_policy(self.policy_readme)
        users = self._policy_users()
        for model, names in secret.items():
            for role, user in users.items():
                with Transaction().set_user(user.id):
                    access = FieldAccess.get_access([model])[model]
                for name in names:
                    perms = access.get(name, {'read': True, 'write': True})
                    with self.subTest(model=model, field=name, role=role):
                        self.assertFalse(perms['read'])
                        self.assertFalse(perms['write'])

    def policy_fixture(self):
        """Create records of the module's models for test_policy_calls;
        modules override it (the records of each model are found by
        search)"""

    def _client_value(self, record, name):
        "The value a client would send to rewrite field name as it is"
        field = record._fields[name]
        if field._type in {'one2many', 'many2many'}:
            return []
        value = getattr(record, name)
        return getattr(value, 'id', value)

    @with_transaction()
    def test_policy_calls(self):
        """Every role tries every call a client can make on a record of
        every model: read, search, order, export, write of each field,
        create, copy and delete; what the policy does not allow fails.
        Models of other modules that the module extends are tried with the
        rights of their module's policy, writing the fields it adds."""
        pool = Pool()
        rights, writable, secret = read_policy(self.policy_readme)
        self.policy_fixture()
        users = self._policy_users()
        models = {}
        for model in self._module_models():
            models[model] = rights[model], [
                n for n, f in pool.get(model)._fields.items()
                if n not in _META_FIELDS
                and not isinstance(f, fields.Function)]
        models.update(self._extended_models())
        for model, (model_rights, stored) in models.items():
            Model = pool.get(model)
            records = Model.search([], limit=1, order=[('id', 'DESC')])
            if not records and not issubclass(Model, ModelSingleton):
                # Without a record the write of each field goes untried:
                # a failure for the module's models, shown for the others
                message = f"policy_fixture makes no {model}"
                if model in rights:
                    self.fail(message)
                with self.subTest(model=model):
                    self.skipTest(message)
            for role, user in users.items():
                perms = model_rights[role]
                with self.subTest(model=model, role=role), \
                        Transaction().set_user(user.id), check_access():
                    self._try_calls(
                        Model, records, perms, stored,
                        writable[model], secret.get(model, set()))

    def _try_calls(self, Model, records, perms, stored, writable, secret):
        if 'r' not in perms:
            with self.assertRaises(AccessError):
                Model.search([])
        else:
            Model.search([], order=[('id', 'ASC')])
            for name in secret:
                # read() may also leave the field out for clients that read
                # every field of a model (proteus)
                try:
                    rows = Model.read([r.id for r in records], [name])
                except AccessError:
                    pass
                else:
                    self.assertFalse(
                        [r for r in rows if name in r], msg=name)
                for call in [
                        lambda: Model.search([(name, '=', 'x')]),
                        lambda: Model.search([], order=[(name, 'ASC')]),
                        lambda: Model.export_data(
                            Model.browse([r.id for r in records]), [name]),
                        ]:
                    with self.assertRaises(AccessError, msg=name):
                        call()
        # A singleton is only ever written (its create takes a table lock)
        singleton = issubclass(Model, ModelSingleton)
        if 'c' not in perms and not singleton:
            with self.assertRaises(AccessError):
                Model.create([{}])
        if 'd' not in perms and not singleton:
            with self.assertRaises(AccessError):
                Model.delete(list(records))
        if not records or singleton:
            # a singleton's fields are checked by test_client_writable_fields
            return
        record = records[0]
        if 'c' not in perms and not singleton:
            with self.assertRaises(AccessError):
                Model.copy([record])
        for name in stored:
            if 'w' in perms and name in writable:
                continue
            with without_check_access():
                value = self._client_value(record, name)
            with self.assertRaises(AccessError, msg=name):
                Model.write([record], {name: value})

    @with_transaction()
    def test_action_groups(self):
        """Every wizard and report of the module runs for the roles of the
        policy and no other (an action without groups would follow the
        write access of its model)"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        ActionGroup = pool.get('ir.action-res.group')
        policy = read_actions(self.policy_readme)
        groups = {
            ModelData.get_id('esurat_base', xml_id): role
            for role, xml_id in ROLES.items()}
        found = {}
        for model in ['ir.action.wizard', 'ir.action.report']:
            Action = pool.get(model)
            for data in ModelData.search([
                        ('model', '=', model),
                        ('module', '=', self.module)]):
                action = Action(data.db_id)
                found[data.fs_id] = {
                    groups.get(g.group.id, g.group.name)
                    for g in ActionGroup.search([
                            ('action', '=', action.action.id)])}
        self.assertEqual(found, policy)
