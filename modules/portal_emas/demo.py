# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo territory, service staff and a request of Portal Emas (idempotent),
after the demos of esurat_base and esurat_signing.

    python -m trytond.modules.portal_emas.demo -c trytond.conf -d esurat

Kelurahan Sukamaju and Mekarsari of Kecamatan Sukamaju Kota get RW 001
with RT 001 and RT 002, each with its head's account, and the service
staff of Pasal 11(1)b (operator, customer service, Kasi Pelayanan,
Sekretaris Kelurahan) next to the Lurah, Sekcam and Camat of esurat_base's
demo; every account has the demo password.  One request for a surat
keterangan domisili waits at RT 001 of Kelurahan Sukamaju.  The complaints
and public information of demo_public follow."""
import datetime
from io import BytesIO

from trytond.modules.esurat_base.demo import DEMO_PASSWORD, run_demo
from trytond.pool import Pool

from . import demo_public

# code of the Kelurahan: login suffix
KELURAHAN = {'KEL.SKM.01': 'sukamaju', 'KEL.SKM.02': 'mekarsari'}
# login prefix: position name prefix, level, reports to (prefix or 'lurah')
STAFF = [
    ('seklur', "Sekretaris Kelurahan", 'agency_secretary', 'lurah'),
    ('kasi.pelayanan', "Kepala Seksi Pelayanan Kelurahan", 'section_head',
        'seklur'),
    ('operator', "Operator Layanan Kelurahan", 'staff', 'kasi.pelayanan'),
    ('cs', "Petugas Pelayanan Kelurahan", 'staff', 'kasi.pelayanan'),
    ]
NIK = '3201014501900002'


def _get(Model, domain):
    records = Model.search(domain, limit=1)
    return records[0] if records else None


def _user(login, name, unit, groups):
    pool = Pool()
    User = pool.get('res.user')
    user = _get(User, [('login', '=', login)])
    if not user:
        user = User(
            login=login, name=name, password=DEMO_PASSWORD,
            esurat_unit=unit, groups=groups)
        user.save()
    elif set(groups) - {g.id for g in user.groups}:
        user.groups = list({g.id for g in user.groups} | set(groups))
        user.save()
    return user


def _position(name, unit, level, reports_to, user):
    pool = Pool()
    Position = pool.get('esurat.position')
    Holding = pool.get('esurat.position.holding')
    position = _get(Position, [('name', '=', name), ('unit', '=', unit.id)])
    if not position:
        position = Position(
            name=name, unit=unit, level=level, reports_to=reports_to)
        position.save()
    if not Holding.search([('position', '=', position.id)], limit=1):
        Holding(
            position=position, user=user, kind='definitive',
            state='approved', start_date=datetime.date(2024, 1, 2)).save()
    return position


def _photo(text):
    from PIL import Image, ImageDraw
    image = Image.new('RGB', (800, 500), 'white')
    ImageDraw.Draw(image).text((40, 40), text, fill='black')
    buffer = BytesIO()
    image.save(buffer, format='JPEG')
    return buffer.getvalue()


def populate():
    "RT/RW, service staff and a first request; only what is missing"
    pool = Pool()
    Area = pool.get('portal.area')
    Unit = pool.get('esurat.unit')
    Service = pool.get('portal.service')
    Request = pool.get('portal.request')
    ModelData = pool.get('ir.model.data')
    head_group = ModelData.get_id('portal_emas', 'group_portal_area_head')
    staff_group = ModelData.get_id('portal_emas', 'group_portal_staff')
    official = ModelData.get_id('esurat_base', 'group_esurat_official')
    esurat_staff = ModelData.get_id('esurat_base', 'group_esurat_staff')
    created = 0
    for code, suffix in KELURAHAN.items():
        kelurahan = _get(Unit, [('code', '=', code)])
        lurah = kelurahan.head_position() if kelurahan else None
        if not lurah:
            continue
        # The Lurah, Sekcam and Camat of esurat_base's demo serve too
        heads = [lurah]
        kecamatan = kelurahan.parent
        heads += [p for p in kecamatan.positions
            if p.level in {'agency_head', 'agency_secretary'}]
        for position in heads:
            for holding in position.holdings:
                user = holding.user
                _user(user.login, user.name, user.esurat_unit, [staff_group])
        positions = {'lurah': lurah}
        for prefix, name, level, reports_to in STAFF:
            user = _user(
                f'{prefix}.{suffix}', f"{name} {suffix.title()}", kelurahan,
                [official if level != 'staff' else esurat_staff,
                    staff_group])
            positions[prefix] = _position(
                f"{name} {suffix.title()}", kelurahan, level,
                positions[reports_to], user)
        rw = _get(Area, [
                ('kelurahan', '=', kelurahan.id), ('kind', '=', 'rw'),
                ('number', '=', '001')])
        if not rw:
            rw = Area(
                kind='rw', number='001', kelurahan=kelurahan,
                head=_user(f'rw1.{suffix}', f"Ketua RW 001 {suffix.title()}",
                    kelurahan, [head_group]))
            rw.save()
            created += 1
        for number in ['001', '002']:
            if not _get(Area, [
                        ('parent', '=', rw.id), ('number', '=', number)]):
                Area(
                    kind='rt', number=number, kelurahan=kelurahan, parent=rw,
                    head=_user(
                        f'rt{int(number)}.rw1.{suffix}',
                        f"Ketua RT {number}/RW 001 {suffix.title()}",
                        kelurahan, [head_group])).save()
                created += 1
    services = Service.search([('published', '=', False)])
    Service.write(services, {'published': True})
    rt = _get(Area, [
            ('kind', '=', 'rt'), ('number', '=', '001'),
            ('kelurahan.code', '=', 'KEL.SKM.01')])
    if rt and not Request.search([], limit=1):
        service = Service(ModelData.get_id('portal_emas', 'service_domisili'))
        Request.public_submit(service, {
                'nik': NIK, 'name': "Siti Aminah",
                'address': "Jl. Melati No. 5", 'area': rt.id,
                'phone': '081234567890', 'email': 'siti.aminah@example.com',
                }, {
                'keperluan': "Pembukaan rekening bank",
                'lama_tinggal': '5',
                }, {r.id: (f'{r.name}.jpg', _photo(r.name))
                for r in service.requirements if r.required})
        created += 1
    return created + len(services) + demo_public.populate()


if __name__ == '__main__':
    run_demo('portal_emas', __doc__.splitlines()[0], populate)
