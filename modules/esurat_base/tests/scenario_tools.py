# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Proteus helpers of the e-Surat scenarios, as company's ``create_company``.

The setup functions are given to ``activate_modules``, which keeps the
database they make as a template (``DB_CACHE``), so every scenario with the
same modules and setup starts from a copy instead of building it again::

    >>> config = activate_modules('esurat_base', create_organisation)
    >>> org = get_organisation()

The organisation is a small Kabupaten: the Setda with the Sekda and the
super administrator, Diskominfo with its Kepala Dinas, a Kabid, a staff
member and an operator, and the Dinas Kesehatan with its Kepala Dinas and
operator."""
import datetime
from types import SimpleNamespace

from proteus import Model
from proteus.config import get_config

__all__ = [
    'load_indonesian', 'hold', 'create_organisation', 'get_organisation']

# Definitive holdings started before any letter of a scenario
START = datetime.date(2024, 1, 1)

# key: name, short name, code, kind, parent key
UNITS = {
    'pemda': ("Pemerintah Kabupaten Uji", None, 'UJI', 'pemda', None),
    'setda': ("Sekretariat Daerah", None, 'SETDA', 'setda', 'pemda'),
    'kominfo': (
        "Dinas Komunikasi dan Informatika", "Diskominfo", '500.12', 'opd',
        'pemda'),
    'aptika': (
        "Bidang Aptika", None, '500.12.2', 'division', 'kominfo'),
    'dinkes': ("Dinas Kesehatan", "Dinkes", '400.7', 'opd', 'pemda'),
    }
# login (the key): name, unit key, group; their NIP ends with their index
USERS = {
    'superadmin': ("Super Admin", 'setda', 'group_esurat_admin'),
    'sekda': ("Sekda", 'setda', 'group_esurat_official'),
    'operator': ("Operator Kominfo", 'kominfo', 'group_esurat_opd_admin'),
    'kadis': ("Kadis Kominfo", 'kominfo', 'group_esurat_official'),
    'kabid': ("Kabid Aptika", 'aptika', 'group_esurat_official'),
    'staff': ("Staf Aptika", 'aptika', 'group_esurat_staff'),
    'op_dinkes': ("Operator Dinkes", 'dinkes', 'group_esurat_opd_admin'),
    'kadinkes': ("Kadis Kesehatan", 'dinkes', 'group_esurat_official'),
    }
NIP = '1980010120050110%02d'
# key (p_<holder's login>): name, unit key, level, reports to, holder
POSITIONS = {
    'p_sekda': ("Sekretaris Daerah", 'setda', 'secretary', None, 'sekda'),
    'p_kadis': (
        "Kepala Dinas Kominfo", 'kominfo', 'agency_head', 'p_sekda', 'kadis'),
    'p_kabid': (
        "Kepala Bidang Aptika", 'aptika', 'division_head', 'p_kadis',
        'kabid'),
    'p_staff': ("Pranata Komputer", 'aptika', 'staff', 'p_kabid', 'staff'),
    'p_kadinkes': (
        "Kepala Dinas Kesehatan", 'dinkes', 'agency_head', 'p_sekda',
        'kadinkes'),
    }


def load_indonesian(config=None):
    "Load the Indonesian translations, for scenarios that read Indonesian"
    Lang = Model.get('ir.lang', config=config)
    indonesian, = Lang.find([('code', '=', 'id')])
    indonesian.click('load_translations')


def hold(position, user, kind='definitive', start=None, end=None,
        config=None):
    """Make user hold position as kind from start to end, as the current
    user records it; every holding of the scenarios is made here.

    An appointment (definitive) is confirmed at once; an acting holding
    (Plt, Plh, assistant, for leave) stays a draft, to be requested and
    approved."""
    Holding = Model.get('esurat.position.holding', config=config)
    holding = Holding(
        position=position, user=user, kind=kind,
        reason=None if kind == 'definitive' else 'leave',
        start_date=start or START, end_date=end)
    holding.save()
    if kind == 'definitive':
        holding.click('confirm')
    return holding


def create_organisation(config=None):
    "Create the units, users and positions of the organisation"
    Group = Model.get('res.group', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    Position = Model.get('esurat.position', config=config)
    Unit = Model.get('esurat.unit', config=config)
    User = Model.get('res.user', config=config)
    if not config:
        config = get_config()

    units = {}
    for key, (name, short_name, code, kind, parent) in UNITS.items():
        units[key] = Unit(
            name=name, short_name=short_name, code=code, kind=kind,
            parent=units.get(parent))
        units[key].save()
    users = {}
    for index, (login, (name, unit, group)) in enumerate(USERS.items()):
        users[login] = user = User(
            login=login, name=name, esurat_unit=units[unit],
            nip=NIP % index)
        user.groups.append(Group(ModelData.get_id(
                    'esurat_base', group, config.context)))
        user.save()
    positions = {}
    for key, (name, unit, level, reports_to, holder) in POSITIONS.items():
        positions[key] = position = Position(
            name=name, unit=units[unit], level=level,
            reports_to=positions.get(reports_to))
        position.save()
        hold(position, users[holder], config=config)


def get_organisation(config=None):
    """The organisation as a namespace: units, users by login and positions
    (p_<holder's login>)"""
    Position = Model.get('esurat.position', config=config)
    Unit = Model.get('esurat.unit', config=config)
    User = Model.get('res.user', config=config)
    org = SimpleNamespace()
    for key, (_, _, code, _, _) in UNITS.items():
        setattr(org, key, Unit.find([('code', '=', code)])[0])
    for login in USERS:
        setattr(org, login, User.find([('login', '=', login)])[0])
    for key, (name, *_) in POSITIONS.items():
        setattr(org, key, Position.find([('name', '=', name)])[0])
    return org
