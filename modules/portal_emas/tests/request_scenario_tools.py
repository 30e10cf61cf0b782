# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Proteus helpers of the citizen request scenarios, on esurat_base's
organisation and esurat_signing's setup::

    >>> configure_signing()
    >>> config = activate_modules(['portal_emas', 'esurat_disposition'],
    ...     create_organisation, load_indonesian, setup_signing,
    ...     create_territory)
    >>> org = get_territory()

The territory is Kecamatan Sukamaju with its Camat and Sekcam, and
Kelurahan Sukamaju with its Lurah and RW 001 / RT 001, each with its
head; the Camat, the Lurah and the Kepala Dinas Kesehatan sign."""
from proteus import Model
from proteus.config import get_config

from trytond.modules.esurat_base.tests.scenario_tools import (
    get_organisation, hold)
from trytond.modules.esurat_signing.tests.scenario_tools import (
    request_certificate)
from trytond.pool import Pool
from trytond.transaction import Transaction, TransactionError

__all__ = ['create_territory', 'get_territory', 'public', 'NIK']

NIK = '3201014501900002'
# login: name, portal group, esurat group (or None)
USERS = {
    'camat': ("Camat Sukamaju", 'group_portal_staff',
        'group_esurat_official'),
    'sekcam': ("Sekcam Sukamaju", 'group_portal_staff',
        'group_esurat_official'),
    'lurah': ("Lurah Sukamaju", 'group_portal_staff',
        'group_esurat_official'),
    'rw1': ("Ketua RW 001", 'group_portal_area_head', None),
    'rt1': ("Ketua RT 001", 'group_portal_area_head', None),
    }


def create_territory(config=None):
    """The Kecamatan and Kelurahan with their heads, service staff and
    certificates, RW 001 and RT 001 with their heads; the Kepala Dinas
    Kesehatan serves as OPD staff and signs"""
    Area = Model.get('portal.area', config=config)
    Group = Model.get('res.group', config=config)
    ModelData = Model.get('ir.model.data', config=config)
    Position = Model.get('esurat.position', config=config)
    Unit = Model.get('esurat.unit', config=config)
    User = Model.get('res.user', config=config)
    if not config:
        config = get_config()
    org = get_organisation(config)

    def group(module, xml_id):
        return Group(ModelData.get_id(module, xml_id, config.context))

    kecamatan = Unit(
        name="Kecamatan Sukamaju", short_name="Kec. Sukamaju",
        code='KEC.SKM', kind='kecamatan', parent=org.pemda,
        city="Sukamaju", street="Jl. Raya Sukamaju No. 1")
    kecamatan.save()
    kelurahan = Unit(
        name="Kelurahan Sukamaju", short_name="Kel. Sukamaju",
        code='KEL.SKM', kind='kelurahan', parent=kecamatan,
        city="Sukamaju")
    kelurahan.save()
    users = {}
    for login, (name, portal, esurat) in USERS.items():
        users[login] = user = User(login=login, name=name)
        user.groups.append(group('portal_emas', portal))
        if esurat:
            user.groups.append(group('esurat_base', esurat))
        user.save()
    kadinkes = User(org.kadinkes.id)
    kadinkes.groups.append(group('portal_emas', 'group_portal_staff'))
    kadinkes.save()
    positions = {}
    for key, name, unit, level, reports_to in [
            ('camat', "Camat Sukamaju", kecamatan, 'agency_head',
                org.p_sekda),
            ('sekcam', "Sekretaris Kecamatan Sukamaju", kecamatan,
                'agency_secretary', 'camat'),
            ('lurah', "Lurah Sukamaju", kelurahan, 'agency_head', 'camat'),
            ]:
        positions[key] = position = Position(
            name=name, unit=unit, level=level,
            reports_to=positions.get(reports_to, reports_to))
        position.save()
        hold(position, users[key], config=config)
    rw = Area(kind='rw', number='001', kelurahan=kelurahan,
        head=users['rw1'])
    rw.save()
    Area(kind='rt', number='001', kelurahan=kelurahan, parent=rw,
        head=users['rt1']).save()
    for login in ['camat', 'lurah']:
        request_certificate(users[login], config=config)
    request_certificate(org.kadinkes, config=config)


def get_territory(config=None):
    "get_organisation with the territory's units, users and areas"
    Area = Model.get('portal.area', config=config)
    Unit = Model.get('esurat.unit', config=config)
    User = Model.get('res.user', config=config)
    org = get_organisation(config)
    org.kecamatan, = Unit.find([('code', '=', 'KEC.SKM')])
    org.kelurahan, = Unit.find([('code', '=', 'KEL.SKM')])
    for login in USERS:
        setattr(org, login, User.find([('login', '=', login)])[0])
    org.rw, = Area.find([('kind', '=', 'rw')])
    org.rt, = Area.find([('kind', '=', 'rt')])
    return org


def public(config, call):
    """Run call(pool) as the public pages do: in a transaction of its own,
    as root, restarted when it asks for locks, committed"""
    extras = {}
    while True:
        with Transaction().start(
                config.database_name, 0, context={'language': 'id'},
                **extras) as transaction:
            try:
                result = call(Pool())
            except TransactionError as error:
                transaction.rollback()
                error.fix(extras)
                continue
            transaction.commit()
            return result
