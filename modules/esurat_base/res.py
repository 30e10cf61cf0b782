from sql import Null

from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction

from .exceptions import UserGroupError

# Groups an OPD administrator may give to the users of their agency
DELEGABLE_GROUPS = {
    'group_esurat_opd_admin',
    'group_esurat_official',
    'group_esurat_staff',
    }


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    esurat_unit = fields.Many2One(
        'esurat.unit', "Organisation Unit", ondelete='RESTRICT',
        help="The unit the user works in; "
        "its agency scopes what an administrator manages.")
    esurat_agency = fields.Function(
        fields.Many2One('esurat.unit', "Agency"), 'get_esurat_agency',
        searcher='search_esurat_agency')
    nip = fields.Char(
        "NIP", size=18, strip=True,
        help="Civil servant identification number (18 digits).")
    esurat_holdings = fields.One2Many(
        'esurat.position.holding', 'user', "Positions Held")

    _esurat_agencies_cache = Cache('res_user.esurat_agencies', context=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._preferences_fields.append('esurat_unit')
        cls._context_fields.append('esurat_unit')

    def get_esurat_agency(self, name):
        if self.esurat_unit and self.esurat_unit.agency:
            return self.esurat_unit.agency.id

    @classmethod
    def search_esurat_agency(cls, name, clause):
        return [('esurat_unit.agency' + clause[0][len(name):], *clause[1:])]

    @classmethod
    def get_esurat_positions(cls, user_id=None):
        "Ids of the positions the user holds today"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        if user_id is None:
            user_id = Transaction().user
        return Holding.user_positions(user_id)

    @classmethod
    def acts_as(cls, position, user_id=None):
        "Whether the user may act as position today"
        return bool(position) and position.id in cls.get_esurat_positions(
            user_id)

    @classmethod
    def acting_title(cls, position, user_id=None):
        """How the user signs when acting as position, e.g.
        "Plh. Kepala Dinas Kesehatan" or just the position's name"""
        prefix = cls._acting_prefix(position, user_id)
        return f'{prefix} {position.name}' if prefix else position.name

    @classmethod
    def _acting_prefix(cls, position, user_id=None):
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        if user_id is None:
            user_id = Transaction().user
        holdings = Holding.search([
                ('user', '=', user_id),
                ('position', '=', position.id),
                ('current', '=', True),
                ], order=[('kind', 'ASC')], limit=1)
        if holdings:
            return {'plt': 'Plt.', 'plh': 'Plh.'}.get(holdings[0].kind, '')
        return ''

    @classmethod
    def is_esurat_administrator(cls):
        "Whether the current user administers e-Surat or an agency"
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        groups = set(cls.get_groups())
        return bool(groups & {
                ModelData.get_id('res', 'group_admin'),
                ModelData.get_id('esurat_base', 'group_esurat_admin'),
                ModelData.get_id('esurat_base', 'group_esurat_opd_admin'),
                })

    @classmethod
    def get_esurat_agencies(cls, user_id=None):
        "Ids of the agencies the user administers (the agency of their unit)"
        pool = Pool()
        Unit = pool.get('esurat.unit')
        if user_id is None:
            user_id = Transaction().user
        agencies = cls._esurat_agencies_cache.get(user_id)
        if agencies is None:
            user = cls.__table__()
            unit = Unit.__table__()
            cursor = Transaction().connection.cursor()
            cursor.execute(*user.join(
                    unit, condition=user.esurat_unit == unit.id).select(
                    unit.agency,
                    where=(user.id == user_id) & (unit.agency != Null)))
            agencies = [a for a, in cursor]
            cls._esurat_agencies_cache.set(user_id, agencies)
        return agencies

    @classmethod
    def on_modification(cls, mode, users, field_names=None):
        pool = Pool()
        Rule = pool.get('ir.rule')
        super().on_modification(mode, users, field_names)
        if mode != 'write' or 'esurat_unit' in field_names:
            cls._esurat_agencies_cache.clear()
            Rule._domain_get_cache.clear()

    @classmethod
    def check_modification(cls, mode, users, values=None, external=False):
        super().check_modification(
            mode, users, values=values, external=external)
        if not external:
            return
        if mode == 'create':
            cls.check_esurat_groups(
                {g.id for u in users for g in u.groups}, users)
        elif mode == 'write' and 'groups' in values:
            added = set()
            for action, *args in values['groups']:
                if action in {'add', 'set'}:
                    added.update(args[0])
                elif action != 'remove':
                    added.add(None)
            cls.check_esurat_groups(added, users)

    @classmethod
    def check_esurat_groups(cls, group_ids, users):
        """An OPD administrator who is not a super administrator may only
        give the groups of officials, staff and OPD administrators"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        groups = set(cls.get_groups())
        if (ModelData.get_id('res', 'group_admin') in groups
                or ModelData.get_id('esurat_base', 'group_esurat_admin')
                in groups):
            return
        allowed = {
            ModelData.get_id('esurat_base', name)
            for name in DELEGABLE_GROUPS}
        for group_id in group_ids - allowed:
            group = Group(group_id).rec_name if group_id else '?'
            raise UserGroupError(gettext(
                    'esurat_base.msg_user_group_forbidden',
                    group=group, user=users[0].rec_name))
