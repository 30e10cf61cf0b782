# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from sql import Null

from trytond import config
from trytond.cache import Cache
from trytond.i18n import gettext
from trytond.model import ModelView, dualmethod, fields
from trytond.pool import Pool, PoolMeta
from trytond.res.user import gen_password
from trytond.transaction import Transaction

from .chat import LANGUAGE
from .exceptions import UserAccountError, UserGroupError
from .position import acting_title
from .tools import public_url

# Groups an OPD administrator may give to the users of their agency
DELEGABLE_GROUPS = {
    'group_esurat_opd_admin',
    'group_esurat_official',
    'group_esurat_staff',
    }
# Groups of the administrators above an OPD administrator
SUPER_GROUPS = {
    ('res', 'group_admin'),
    ('esurat_base', 'group_esurat_admin'),
    }
# Set by the owner (preferences) or by the reset email, never by another
# user: whoever sets a password can log in as its owner
PASSWORD_FIELDS = {
    'password', 'password_hash', 'password_reset', 'password_reset_expire'}
# What Tryton's password getter returns: writing it back changes nothing
UNCHANGED_PASSWORD = 'x' * 10


class User(metaclass=PoolMeta):
    __name__ = 'res.user'

    # Not a preference: set_preferences writes preferences without access
    # checks, and the unit scopes what an administrator manages
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
    rank = fields.Char(
        "Rank", strip=True,
        help="Pangkat/golongan as printed under the name on signed letters, "
        "e.g. Pembina Utama Muda (IV/c).")
    esurat_holdings = fields.One2Many(
        'esurat.position.holding', 'user', "Positions Held")

    _esurat_agencies_cache = Cache('res_user.esurat_agencies', context=False)

    @classmethod
    def default_language(cls):
        "New accounts read e-Surat in Indonesian once it is loaded"
        pool = Pool()
        Lang = pool.get('ir.lang')
        languages = Lang.search([
                ('code', '=', LANGUAGE),
                ('translatable', '=', True),
                ], limit=1)
        if languages:
            language, = languages
            return language.id

    def get_esurat_agency(self, name):
        if self.esurat_unit and self.esurat_unit.agency:
            return self.esurat_unit.agency.id

    @classmethod
    def search_esurat_agency(cls, name, clause):
        return [('esurat_unit.agency' + clause[0][len(name):], *clause[1:])]

    @classmethod
    def get_esurat_positions(cls, user_id=None):
        "Ids of the positions the user holds or acts for today"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        if user_id is None:
            user_id = Transaction().user
        return Holding.user_positions(user_id)

    @classmethod
    def acting_kind(cls, position, user_id=None):
        """How the user holds position today: 'definitive', 'plt', 'plh' or
        'assistant', None when not at all"""
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        if user_id is None:
            user_id = Transaction().user
        if not position:
            return None
        return Holding.user_acting(user_id).get(position.id)

    @classmethod
    def acts_as(cls, position, user_id=None):
        "Whether the user may act as position today, an assistant included"
        return cls.acting_kind(position, user_id) is not None

    @classmethod
    def may_approve_as(cls, position, user_id=None):
        """Whether the user approves, initials or signs for position today:
        its holder, Plt or Plh, never its assistant (a.n.)"""
        return cls.acting_kind(position, user_id) in {
            'definitive', 'plt', 'plh'}

    @classmethod
    def acting_title(cls, position, user_id=None):
        """How the user signs when acting as position, e.g.
        "Plh. Kepala Dinas Kesehatan" or just the position's name"""
        return acting_title(cls.acting_kind(position, user_id), position.name)

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
    def is_esurat_super_administrator(cls, user_id=None):
        """Whether the user (the current one by default) administers every
        agency: the e-Surat super administrators and Tryton's administrators"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        transaction = Transaction()
        if user_id is None:
            user_id = transaction.user
        if not user_id:
            return True
        with transaction.set_user(user_id):
            groups = set(cls.get_groups())
        return bool(groups & {
                ModelData.get_id(module, name)
                for module, name in SUPER_GROUPS})

    @classmethod
    def check_modification(cls, mode, users, values=None, external=False):
        super().check_modification(
            mode, users, values=values, external=external)
        if not external:
            return
        if mode == 'create':
            cls.check_esurat_groups(
                {g.id for u in users for g in u.groups}, users)
            return
        if mode != 'write':
            return
        cls.check_esurat_manage(users)
        cls.check_esurat_password_values(values)
        if values.get('esurat_unit'):
            cls.check_esurat_unit(values['esurat_unit'])
        if ('email' in values
                and not cls.is_esurat_super_administrator()
                and any(u.email != values['email'] for u in users)):
            raise UserAccountError(gettext('esurat_base.msg_user_email'))
        if 'groups' in values:
            added = set()
            for action, *args in values['groups']:
                if action in {'add', 'set'}:
                    added.update(args[0])
                elif action != 'remove':
                    added.add(None)
            cls.check_esurat_groups(added, users)

    @classmethod
    def create(cls, vlist):
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            # Refused before anything is stored
            for values in vlist:
                cls.check_esurat_password_values(values)
        return super().create(vlist)

    @classmethod
    def check_esurat_password_values(cls, values):
        "Nobody gives a password to another user, not even to a new one"
        for name in PASSWORD_FIELDS & values.keys():
            if name == 'password' and values[name] == UNCHANGED_PASSWORD:
                continue
            if name != 'password' and not values[name]:
                continue
            raise UserAccountError(gettext('esurat_base.msg_user_password'))

    @classmethod
    def check_esurat_unit(cls, unit_id):
        """An OPD administrator places users in its own agency only (the
        record rule also refuses it, but after the write)"""
        pool = Pool()
        Unit = pool.get('esurat.unit')
        if cls.is_esurat_super_administrator():
            return
        unit = Unit(unit_id)
        if not unit.agency or unit.agency.id not in cls.get_esurat_agencies():
            raise UserAccountError(gettext('esurat_base.msg_user_unit'))

    @classmethod
    def check_esurat_manage(cls, users):
        """An OPD administrator manages the users below them: never a super
        administrator, not even one working in their agency"""
        if cls.is_esurat_super_administrator():
            return
        for user in users:
            if cls.is_esurat_super_administrator(user.id):
                raise UserAccountError(gettext('esurat_base.msg_user_above'))

    @dualmethod
    @ModelView.button
    def reset_password(cls, users, length=8, from_=None):
        """Sends a temporary password to the user's own address: from a
        client only for the users the caller manages

        As Tryton's, but the email goes through the outbox, like every
        e-Surat email, instead of being sent at the commit: the request
        never waits for the mail server, and a server that hangs or fails
        delays the email, not the caller.  It is sent from [email] from
        (from_ is not used)."""
        pool = Pool()
        Mail = pool.get('esurat.mail')
        transaction = Transaction()
        # The button checked the caller's access and runs this without
        # access checks: a user is always one who must manage the users
        if transaction.user:
            cls.check_esurat_manage(users)
        length = max(length, config.getint('password', 'length', default=0))
        timeout = config.getint('password', 'reset_timeout')
        for user in users:
            user.password_reset = gen_password(length=length)
            user.password_reset_expire = (
                datetime.datetime.now() + datetime.timedelta(seconds=timeout))
        cls.save(users)
        mails = []
        for user in users:
            if not user.email:
                continue
            language = user.language.code if user.language else LANGUAGE
            with transaction.set_context(language=language):
                mails.append(user._reset_password_mail(timeout))
        Mail.enqueue_batch(mails)

    def _reset_password_mail(self, timeout):
        """The outbox values of the email that gives the user its temporary
        password, valid timeout seconds, in the language of the context"""
        if timeout % 3600:
            validity = gettext('esurat_base.msg_reset_password_minutes',
                minutes=timeout // 60)
        else:
            validity = gettext('esurat_base.msg_reset_password_hours',
                hours=timeout // 3600)
        return {
            'to': self.email,
            'subject': gettext('esurat_base.msg_reset_password_subject'),
            'body': gettext('esurat_base.msg_reset_password_body',
                name=self.name or self.login,
                login=self.login,
                password=self.password_reset,
                url=f'{public_url()}/#{Transaction().database.name}',
                validity=validity),
            }

    @classmethod
    def check_esurat_groups(cls, group_ids, users):
        """An OPD administrator who is not a super administrator may only
        give the groups of officials, staff and OPD administrators"""
        pool = Pool()
        ModelData = pool.get('ir.model.data')
        Group = pool.get('res.group')
        if cls.is_esurat_super_administrator():
            return
        allowed = {
            ModelData.get_id('esurat_base', name)
            for name in DELEGABLE_GROUPS}
        for group_id in group_ids - allowed:
            group = Group(group_id).rec_name if group_id else '?'
            raise UserGroupError(gettext(
                    'esurat_base.msg_user_group_forbidden',
                    group=group, user=users[0].rec_name))


class EmailResetPassword(metaclass=PoolMeta):
    __name__ = 'res.user.email_reset_password'

    @classmethod
    def check_access(cls, action, model, ids):
        """The email holds the temporary password: no user may render it,
        over RPC (report execute) or as an attachment (ir.email send)"""
        if Transaction().user:
            raise UserAccountError(
                gettext('esurat_base.msg_user_reset_password_report'))
        super().check_access(action, model, ids)


class Session(metaclass=PoolMeta):
    __name__ = 'ir.session'

    @classmethod
    def check(cls, user, key, domain=None):
        """A session also expires after [session] timeout seconds without a
        call: Tryton's max_age counts from the login, and its timeout only
        guards sensitive calls, while Session.reset refreshes the session
        of every call made within timeout"""
        valid = super().check(user, key, domain=domain)
        idle = config.getint('session', 'timeout')
        if not valid or not idle:
            return valid
        # Tryton's check has just put the session's last reset in this
        # cache: no other query on the path of every call
        last = cls._session_reset_cache.get(key)
        if last is not None and datetime.datetime.now() - last > (
                datetime.timedelta(seconds=idle)):
            cls.delete(cls.search([
                        ('create_uid', '=', user),
                        ('key', '=', key),
                        domain or [],
                        ]))
            return False
        return valid
