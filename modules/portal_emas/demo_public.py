# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Demo complaints and public information of Portal Emas (idempotent),
after the demo of esurat_base.

    python -m trytond.modules.portal_emas.demo_public -c trytond.conf -d esurat

The complaint coordinator `koordinator.pengaduan` (Diskominfo, Bidang
IKP), the complaint handler of the Dinas Kesehatan `pengaduan.dinkes` and
the information officer `ppid.kominfo`, all with the demo password; three
complaints (one anonymous, disposed to the Dinas Kesehatan and waiting for
its answer) and three items of public information, one still a draft."""
from trytond.modules.esurat_base.demo import DEMO_PASSWORD, run_demo
from trytond.pool import Pool
from trytond.transaction import Transaction

# login: name, unit code, portal group
USERS = {
    'koordinator.pengaduan': (
        "Koordinator Pengaduan", 'Diskominfo.IKP',
        'group_portal_coordinator'),
    'pengaduan.dinkes': (
        "Penangan Pengaduan Dinkes", 'Dinkes', 'group_portal_handler'),
    'ppid.kominfo': ("PPID Diskominfo", 'Diskominfo.IKP',
        'group_portal_publisher'),
    }
# subject: category, description, location, anonymous, name, email, to
COMPLAINTS = [
    ("Ramp kursi roda Puskesmas Kota patah", 'health',
        "Ramp di pintu masuk Puskesmas Kota patah sejak dua minggu; "
        "pengguna kursi roda tidak dapat masuk.", "Puskesmas Kota", True,
        "Siti Aminah", 'siti.aminah@example.com', 'Dinkes'),
    ("Sampah menumpuk di pasar", 'cleanliness',
        "Sampah di sisi timur Pasar Baru tidak diangkut selama seminggu.",
        "Pasar Baru", False, "Ahmad Fauzi", 'ahmad.fauzi@example.com', None),
    ("Lampu jalan mati", 'infrastructure',
        "Tiga lampu jalan di Jl. Merdeka mati.", "Jl. Merdeka", True, '', '',
        None),
    ]
# title: category, summary, state
INFORMATION = [
    ("Laporan Kinerja Diskominfo 2025", 'berkala',
        "Capaian kinerja Dinas Komunikasi dan Informatika tahun 2025.",
        'published'),
    ("Peringatan dini cuaca ekstrem", 'serta_merta',
        "Hujan lebat disertai angin kencang diperkirakan tiga hari ke depan.",
        'published'),
    ("Daftar Informasi Publik 2026", 'setiap_saat',
        "Daftar informasi yang tersedia setiap saat.", 'draft'),
    ]


def _users():
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Unit = pool.get('esurat.unit')
    User = pool.get('res.user')
    users, created = {}, 0
    for login, (name, code, group) in USERS.items():
        group_id = ModelData.get_id('portal_emas', group)
        unit, = Unit.search([('code', '=', code)], limit=1) or [None]
        user, = User.search([('login', '=', login)], limit=1) or [None]
        if not user:
            user = User(
                login=login, name=name, password=DEMO_PASSWORD,
                esurat_unit=unit, groups=[group_id])
            user.save()
            created += 1
        users[login] = user
    return users, created


def populate():
    "Portal accounts, complaints and public information; only once"
    pool = Pool()
    Complaint = pool.get('portal.complaint')
    Information = pool.get('portal.information')
    ModelData = pool.get('ir.model.data')
    Unit = pool.get('esurat.unit')
    users, created = _users()
    if not Complaint.search([], limit=1):
        coordinator = users['koordinator.pengaduan']
        for (subject, category, description, location, anonymous, name,
                email, agency) in COMPLAINTS:
            complaint, _ = Complaint.public_submit({
                    'category': ModelData.get_id(
                        'portal_emas', f'complaint_category_{category}'),
                    'subject': subject, 'description': description,
                    'location': location, 'anonymous': anonymous,
                    'name': name, 'phone': '', 'email': email,
                    })
            if agency:
                unit, = Unit.search([('code', '=', agency)], limit=1)
                with Transaction().set_user(coordinator.id):
                    Complaint.verify([complaint])
                    Complaint.dispose_to([complaint], unit)
            created += 1
    if not Information.search([], limit=1):
        unit = users['ppid.kominfo'].esurat_unit
        for title, category, summary, state in INFORMATION:
            item = Information(
                title=title, category=category, summary=summary,
                body=summary, unit=unit)
            item.save()
            if state == 'published':
                Information.publish([item])
            created += 1
    return created


if __name__ == '__main__':
    run_demo('portal_emas', __doc__.splitlines()[0], populate)
