# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fill a database with a realistic demo Kabupaten (idempotent).

    python -m trytond.modules.esurat_base.demo -c trytond.conf -d esurat

Units, positions and users are matched on their code, name or login and
created only when missing; letters are generated once, on the first run.
Each module built on esurat_base fills in its own part with its demo.py,
run the same way after this one (bin/demo runs them all, in dependency
order); run_demo is their command line.
"""
import argparse
import datetime
import random
from io import BytesIO

from trytond import config
from trytond.pool import Pool
from trytond.transaction import Transaction

from .tools import run_committed
from .unit import AGENCY_KINDS

DEMO_PASSWORD = 'demo-esurat-2026'
REGION = "Kabupaten Sukamaju"

# (code, name, short name, kind, parent code): the codes are the agencies'
# own abbreviations, which numbers carry ("400.7/8/Diskominfo/2026"), never
# classification codes
UNITS = [
    ('SKM', "Pemerintah Kabupaten Sukamaju", "Pemkab Sukamaju", 'pemda', None),
    ('Setda', "Sekretariat Daerah", "Setda", 'setda', 'SKM'),
    ('Setda.Umum', "Bagian Umum", "Bag. Umum", 'division', 'Setda'),
    ('Setda.Hukum', "Bagian Hukum", "Bag. Hukum", 'division', 'Setda'),
    ('Setda.Org', "Bagian Organisasi", "Bag. Organisasi", 'division',
        'Setda'),
    ('Disdikbud', "Dinas Pendidikan dan Kebudayaan", "Disdikbud", 'opd',
        'SKM'),
    ('Dinkes', "Dinas Kesehatan", "Dinkes", 'opd', 'SKM'),
    ('Dinkes.Yankes', "Bidang Pelayanan Kesehatan", "Bid. Yankes", 'division',
        'Dinkes'),
    ('Diskominfo', "Dinas Komunikasi dan Informatika", "Diskominfo", 'opd',
        'SKM'),
    ('Diskominfo.Sekr', "Sekretariat Diskominfo", "Sekretariat", 'division',
        'Diskominfo'),
    ('Diskominfo.Aptika', "Bidang Aplikasi Informatika", "Bid. Aptika",
        'division', 'Diskominfo'),
    ('Diskominfo.eGov', "Seksi Tata Kelola e-Government", "Seksi e-Gov",
        'section', 'Diskominfo.Aptika'),
    ('Diskominfo.IKP', "Bidang Informasi dan Komunikasi Publik", "Bid. IKP",
        'division', 'Diskominfo'),
    ('DPUPR', "Dinas Pekerjaan Umum dan Penataan Ruang", "Dinas PUPR", 'opd',
        'SKM'),
    ('Bappeda', "Badan Perencanaan Pembangunan Daerah", "Bappeda", 'opd',
        'SKM'),
    ('BKPSDM', "Badan Kepegawaian dan Pengembangan SDM", "BKPSDM", 'opd',
        'SKM'),
    ('Disdukcapil', "Dinas Kependudukan dan Pencatatan Sipil", "Disdukcapil",
        'opd', 'SKM'),
    ('KEC.SKM', "Kecamatan Sukamaju Kota", "Kec. Sukamaju Kota",
        'kecamatan', 'SKM'),
    ('KEL.SKM.01', "Kelurahan Sukamaju", "Kel. Sukamaju", 'kelurahan',
        'KEC.SKM'),
    ('KEL.SKM.02', "Kelurahan Mekarsari", "Kel. Mekarsari", 'kelurahan',
        'KEC.SKM'),
    ('KEL.SKM.03', "Kelurahan Cibeureum", "Kel. Cibeureum", 'kelurahan',
        'KEC.SKM'),
    ('KEC.CRM', "Kecamatan Cirumput", "Kec. Cirumput", 'kecamatan', 'SKM'),
    ('KEL.CRM.01', "Kelurahan Cirumput", "Kel. Cirumput", 'kelurahan',
        'KEC.CRM'),
    ('KEL.CRM.02', "Kelurahan Sindangsari", "Kel. Sindangsari", 'kelurahan',
        'KEC.CRM'),
    ]

# (key, position name, unit code, level, reports to key,
#  holder login, holder name, holding kind, groups)
OFFICIAL, STAFF, OPD_ADMIN, MAIN_OPERATOR, ADMIN = (
    'group_esurat_official', 'group_esurat_staff', 'group_esurat_opd_admin',
    'group_esurat_main_operator', 'group_esurat_admin')
POSITIONS = [
    ('bupati', "Bupati Sukamaju", 'SKM', 'regional_head', None,
        'bupati', "H. Ahmad Suryana, S.H., M.Si.", 'definitive', [OFFICIAL]),
    ('wabup', "Wakil Bupati Sukamaju", 'SKM', 'vice_head', 'bupati',
        'wabup', "Dra. Hj. Euis Kurniasih", 'definitive', [OFFICIAL]),
    ('sekda', "Sekretaris Daerah", 'Setda', 'secretary', 'bupati',
        'sekda', "Dr. Ir. Bambang Hermawan, M.T.", 'definitive', [OFFICIAL]),
    ('asisten1', "Asisten Pemerintahan dan Kesra", 'Setda', 'assistant',
        'sekda', 'asisten1', "Drs. Dedi Supriadi, M.Si.", 'definitive',
        [OFFICIAL]),
    ('asisten2', "Asisten Perekonomian dan Pembangunan", 'Setda',
        'assistant', 'sekda', 'asisten2', "Ir. Rina Marlina, M.M.",
        'definitive', [OFFICIAL]),
    ('kabag_umum', "Kepala Bagian Umum", 'Setda.Umum', 'division_head',
        'sekda', 'kabag.umum', "Asep Saepudin, S.Sos.", 'definitive',
        [OFFICIAL]),
    ('op_umum', "Pengadministrasi Umum", 'Setda.Umum', 'staff',
        'kabag_umum', 'umum.setda', "Neneng Rohaeti", 'definitive',
        [STAFF, MAIN_OPERATOR]),
    ('kabag_hukum', "Kepala Bagian Hukum", 'Setda.Hukum', 'division_head',
        'asisten1', 'kabag.hukum', "Yudi Prasetyo, S.H., M.H.", 'definitive',
        [OFFICIAL]),
    ('kabag_org', "Kepala Bagian Organisasi", 'Setda.Org',
        'division_head', 'asisten1', 'kabag.org', "Lilis Suryani, S.IP.",
        'definitive', [OFFICIAL]),
    ('kadisdik', "Kepala Dinas Pendidikan dan Kebudayaan", 'Disdikbud',
        'agency_head', 'asisten1', 'kadis.pendidikan',
        "Dr. Hj. Nurhayati, M.Pd.", 'definitive', [OFFICIAL]),
    ('op_disdik', "Pengelola Surat Disdikbud", 'Disdikbud', 'staff',
        'kadisdik', 'op.pendidikan', "Rudi Hartono", 'definitive',
        [STAFF, OPD_ADMIN]),
    ('kadinkes', "Kepala Dinas Kesehatan", 'Dinkes', 'agency_head',
        'asisten1', 'kadis.kesehatan', "dr. Hendra Gunawan, M.Kes.",
        'definitive', [OFFICIAL]),
    ('kabid_yankes', "Kepala Bidang Pelayanan Kesehatan", 'Dinkes.Yankes',
        'division_head', 'kadinkes', 'kabid.yankes',
        "drg. Siti Aminah, M.K.M.", 'definitive', [OFFICIAL]),
    ('op_dinkes', "Pengelola Surat Dinkes", 'Dinkes', 'staff', 'kadinkes',
        'op.kesehatan', "Dewi Lestari, A.Md.", 'definitive',
        [STAFF, OPD_ADMIN]),
    ('kadiskominfo', "Kepala Dinas Komunikasi dan Informatika", 'Diskominfo',
        'agency_head', 'asisten2', 'kadis.kominfo',
        "Iwan Setiawan, S.T., M.Kom.", 'definitive', [OFFICIAL]),
    ('sekdis_kominfo', "Sekretaris Diskominfo", 'Diskominfo.Sekr',
        'agency_secretary', 'kadiskominfo', 'sekdis.kominfo',
        "Yanti Rosmiati, S.E.", 'definitive', [OFFICIAL]),
    ('kabid_aptika', "Kepala Bidang Aplikasi Informatika", 'Diskominfo.Aptika',
        'division_head', 'kadiskominfo', 'kabid.aptika',
        "Agus Salim, S.Kom., M.T.", 'definitive', [OFFICIAL]),
    ('kasi_egov', "Kepala Seksi Tata Kelola e-Government", 'Diskominfo.eGov',
        'section_head', 'kabid_aptika', 'kasi.egov', "Fajar Nugraha, S.Kom.",
        'definitive', [OFFICIAL]),
    ('staf_aptika', "Pranata Komputer Ahli Pertama", 'Diskominfo.eGov',
        'staff', 'kasi_egov', 'staf.aptika', "Rizky Ramadhan, S.Kom.",
        'definitive', [STAFF]),
    ('kabid_ikp', "Kepala Bidang Informasi dan Komunikasi Publik",
        'Diskominfo.IKP', 'division_head', 'kadiskominfo', 'kabid.ikp',
        "Maya Sari, S.I.Kom.", 'plt', [OFFICIAL]),
    ('op_kominfo', "Pengelola Surat Diskominfo", 'Diskominfo.Sekr', 'staff',
        'sekdis_kominfo', 'op.kominfo', "Tati Sumiati", 'definitive',
        [STAFF, OPD_ADMIN]),
    ('kadispupr', "Kepala Dinas PUPR", 'DPUPR', 'agency_head', 'asisten2',
        'kadis.pupr', "Ir. Budi Santoso, M.T.", 'definitive', [OFFICIAL]),
    ('op_pupr', "Pengelola Surat Dinas PUPR", 'DPUPR', 'staff', 'kadispupr',
        'op.pupr', "Ujang Komarudin", 'definitive', [STAFF, OPD_ADMIN]),
    ('kabappeda', "Kepala Bappeda", 'Bappeda', 'agency_head', 'asisten2',
        'ka.bappeda', "Dr. Eko Prasetyo, S.E., M.Si.", 'definitive',
        [OFFICIAL]),
    ('op_bappeda', "Pengelola Surat Bappeda", 'Bappeda', 'staff', 'kabappeda',
        'op.bappeda', "Rina Agustina", 'definitive', [STAFF, OPD_ADMIN]),
    ('kabkpsdm', "Kepala BKPSDM", 'BKPSDM', 'agency_head', 'sekda',
        'ka.bkpsdm', "Drs. Wawan Hermawan, M.M.", 'definitive', [OFFICIAL]),
    ('op_bkpsdm', "Pengelola Surat BKPSDM", 'BKPSDM', 'staff', 'kabkpsdm',
        'op.bkpsdm', "Sri Wahyuni", 'definitive', [STAFF, OPD_ADMIN]),
    ('kadisduk', "Kepala Dinas Kependudukan dan Pencatatan Sipil",
        'Disdukcapil', 'agency_head', 'asisten1', 'kadis.dukcapil',
        "Hendi Kurniawan, S.Sos., M.Si.", 'definitive', [OFFICIAL]),
    ('op_dukcapil', "Pengelola Surat Disdukcapil", 'Disdukcapil', 'staff',
        'kadisduk', 'op.dukcapil', "Ika Kartika", 'definitive',
        [STAFF, OPD_ADMIN]),
    ('camat_skm', "Camat Sukamaju Kota", 'KEC.SKM', 'agency_head',
        'asisten1', 'camat.sukamaju', "Dadang Sudrajat, S.IP., M.Si.",
        'definitive', [OFFICIAL]),
    ('sekcam_skm', "Sekretaris Kecamatan Sukamaju Kota", 'KEC.SKM',
        'agency_secretary', 'camat_skm', 'sekcam.sukamaju',
        "Eti Suhaeti, S.Sos.", 'definitive', [OFFICIAL, OPD_ADMIN]),
    ('lurah_skm', "Lurah Sukamaju", 'KEL.SKM.01', 'agency_head',
        'camat_skm', 'lurah.sukamaju', "Cecep Hidayat, S.Sos.",
        'definitive', [OFFICIAL, OPD_ADMIN]),
    ('lurah_mks', "Lurah Mekarsari", 'KEL.SKM.02', 'agency_head',
        'camat_skm', 'lurah.mekarsari', "Nia Kurniati, S.E.", 'definitive',
        [OFFICIAL, OPD_ADMIN]),
    ('lurah_cbr', "Lurah Cibeureum", 'KEL.SKM.03', 'agency_head',
        'camat_skm', 'lurah.cibeureum', "Dodi Firmansyah, S.IP.",
        'definitive', [OFFICIAL, OPD_ADMIN]),
    ('camat_crm', "Camat Cirumput", 'KEC.CRM', 'agency_head', 'asisten1',
        'camat.cirumput', "Tatang Rustandi, S.Sos.", 'definitive',
        [OFFICIAL]),
    ('sekcam_crm', "Sekretaris Kecamatan Cirumput", 'KEC.CRM',
        'agency_secretary', 'camat_crm', 'sekcam.cirumput',
        "Yayah Rokayah, S.AP.", 'definitive', [OFFICIAL, OPD_ADMIN]),
    ('lurah_crm', "Lurah Cirumput", 'KEL.CRM.01', 'agency_head',
        'camat_crm', 'lurah.cirumput', "Ujang Sobari, S.IP.", 'definitive',
        [OFFICIAL, OPD_ADMIN]),
    ('lurah_sds', "Lurah Sindangsari", 'KEL.CRM.02', 'agency_head',
        'camat_crm', 'lurah.sindangsari', "Endah Purnamasari, S.Sos.",
        'definitive', [OFFICIAL, OPD_ADMIN]),
    ('kabid_sekolah', "Kepala Bidang Pembinaan Sekolah Dasar", 'Disdikbud',
        'division_head', 'kadisdik', 'kabid.sd', "Oman Abdurahman, M.Pd.",
        'definitive', [OFFICIAL]),
    ('kabid_p2p', "Kepala Bidang Pencegahan dan Pengendalian Penyakit",
        'Dinkes', 'division_head', 'kadinkes', 'kabid.p2p',
        "dr. Linda Permatasari", 'definitive', [OFFICIAL]),
    ('kasi_surveilans', "Kepala Seksi Surveilans dan Imunisasi", 'Dinkes',
        'section_head', 'kabid_p2p', 'kasi.surveilans',
        "Ahmad Fauzi, S.K.M.", 'definitive', [OFFICIAL]),
    ]
EXTRA_USERS = [
    ('superadmin', "Administrator Diskominfo", 'Diskominfo.Sekr', [ADMIN]),
    ]

# Codes of demo databases made before the codes were abbreviations
FORMER_CODES = {
    'Setda.Umum': '000.SETDA.UMUM',
    'Setda.Hukum': '000.SETDA.HKM',
    'Setda.Org': '000.SETDA.ORG',
    'Setda': '000.SETDA',
    'Dinkes.Yankes': '400.7.1',
    'Disdukcapil': '400.12',
    'Disdikbud': '400.3',
    'Dinkes': '400.7',
    'Diskominfo.eGov': '500.12.2.1',
    'Diskominfo.Sekr': '500.12.1',
    'Diskominfo.Aptika': '500.12.2',
    'Diskominfo.IKP': '500.12.3',
    'Diskominfo': '500.12',
    'DPUPR': '600.1',
    'Bappeda': '000.7',
    'BKPSDM': '800.1',
    }

SENDERS = [
    ("Kementerian Dalam Negeri", '000.1/{n}/SJ'),
    ("Kementerian Komunikasi dan Digital", 'B-{n}/KOMDIGI/DJAI/HM.01.01'),
    ("Kementerian Kesehatan", 'PM.01.02/{n}/2026'),
    ("Gubernur Jawa Barat", '400.7/{n}/Dinkes'),
    ("Badan Pusat Statistik Kabupaten Sukamaju", 'B-{n}/32xx/KP.200'),
    ("DPRD Kabupaten Sukamaju", '005/{n}/DPRD'),
    ("Kepolisian Resor Sukamaju", 'B/{n}/XI/2026/Polres'),
    ("PT PLN (Persero) UP3 Sukamaju", '{n}/DIS.01.01/UP3-SKM/2026'),
    ("Universitas Padjadjaran", '{n}/UN6.RKT/TU/2026'),
    ("BPJS Kesehatan Cabang Sukamaju", '{n}/III-04/1126'),
    ("Badan Siber dan Sandi Negara", 'B-{n}/BSSN/D2/PP.01.04'),
    ("Arsip Nasional Republik Indonesia", 'B-{n}/KA/KR.02.00/2026'),
    ]
SUBJECTS = [
    ("Undangan rapat koordinasi penyelenggaraan SPBE",
        "Rapat koordinasi evaluasi SPBE tingkat provinsi; mohon dihadiri "
        "kepala perangkat daerah atau pejabat yang ditunjuk.",
        '500.12', 'surat_undangan'),
    ("Permintaan data stunting semester II",
        "Permintaan data prevalensi stunting per kelurahan untuk bahan "
        "rapat percepatan penurunan stunting.", '400.7', 'surat_dinas'),
    ("Pemberitahuan pemeliharaan jaringan listrik",
        "Pemadaman bergilir untuk pemeliharaan gardu induk pada hari Sabtu.",
        '000.1', 'pengumuman'),
    ("Sosialisasi tanda tangan elektronik BSrE",
        "Sosialisasi penggunaan sertifikat elektronik bagi pejabat "
        "penandatangan naskah dinas.", '500.12', 'surat_edaran'),
    ("Permohonan narasumber pelatihan kearsipan",
        "Permohonan narasumber bimbingan teknis pengelolaan arsip dinamis.",
        '000.5', 'surat_dinas'),
    ("Laporan kejadian banjir di Kecamatan Cirumput",
        "Laporan kejadian banjir dan kebutuhan logistik pengungsi.",
        '300', 'laporan'),
    ("Usulan formasi CPNS tahun anggaran 2027",
        "Penyampaian usulan kebutuhan formasi aparatur sipil negara.",
        '800.1', 'surat_dinas'),
    ("Penyampaian hasil audit keuangan triwulan III",
        "Hasil pemeriksaan atas pengelolaan keuangan daerah triwulan III.",
        '700', 'laporan'),
    ("Undangan musyawarah perencanaan pembangunan kecamatan",
        "Pelaksanaan Musrenbang kecamatan untuk RKPD tahun 2027.",
        '000.7', 'surat_undangan'),
    ("Permohonan data kependudukan untuk penelitian",
        "Permohonan data agregat kependudukan untuk penelitian mahasiswa "
        "pascasarjana.", '400.12', 'surat_dinas'),
    ("Edaran penggunaan aplikasi e-Surat",
        "Seluruh perangkat daerah menggunakan e-Surat untuk naskah dinas "
        "mulai bulan depan.", '000.8', 'surat_edaran'),
    ("Pemberitahuan jadwal imunisasi serentak",
        "Pelaksanaan bulan imunisasi anak sekolah di seluruh sekolah dasar.",
        '400.7', 'pengumuman'),
    ("Permintaan pengamanan kegiatan hari jadi kabupaten",
        "Koordinasi pengamanan rangkaian kegiatan hari jadi.",
        '300', 'surat_dinas'),
    ("Penyampaian rancangan peraturan bupati",
        "Rancangan perbup tentang tata naskah dinas elektronik untuk "
        "dibahas bersama.", '100.3', 'nota_dinas'),
    ]
STATES = ['draft'] * 2 + ['registered'] * 4 + ['distributed'] * 3 + [
    'archived']


def _get(Model, domain):
    records = Model.search(domain, limit=1)
    return records[0] if records else None


def _nip(rng, index):
    birth = datetime.date(1970, 1, 1) + datetime.timedelta(
        days=rng.randrange(0, 9000))
    appointed = f'{rng.randrange(1995, 2020)}{rng.randrange(1, 13):02d}'
    return f'{birth:%Y%m%d}{appointed}{rng.choice("12")}{index:03d}'


# A usual pangkat/golongan of each level (the Bupati, elected, has none)
RANKS = {
    'secretary': "Pembina Utama Madya (IV/d)",
    'assistant': "Pembina Utama Muda (IV/c)",
    'agency_head': "Pembina Utama Muda (IV/c)",
    'agency_secretary': "Pembina Tingkat I (IV/b)",
    'division_head': "Pembina (IV/a)",
    'section_head': "Penata Tingkat I (III/d)",
    'staff': "Penata Muda (III/a)",
    }


def populate_org():
    "Units, positions, users and holdings; return the letter-registering units"
    pool = Pool()
    Unit = pool.get('esurat.unit')
    Position = pool.get('esurat.position')
    Holding = pool.get('esurat.position.holding')
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    Lang = pool.get('ir.lang')
    rng = random.Random(2026)
    lang, = Lang.search([('code', '=', 'id')], limit=1)

    units = {}
    for code, name, short_name, kind, parent in UNITS:
        unit = _get(Unit, [('code', 'in', [code, FORMER_CODES.get(code)])])
        if unit and unit.code != code:
            unit.code = code
            unit.save()
        if not unit:
            unit = Unit(
                code=code, name=name, short_name=short_name, kind=kind,
                parent=units[parent] if parent else None,
                letterhead_title=f"PEMERINTAH {REGION.upper()}",
                street="Jl. Raya Sukamaju No. 1", city="Sukamaju",
                postal_code='46111', phone='(0265) 123456',
                email=''.join(c for c in short_name.lower() if c.isalnum())
                + '@sukamajukab.go.id',
                website='https://sukamajukab.go.id')
            unit.save()
        units[code] = unit

    # bin/run gives the users an address of its mail catcher, where they
    # read the emails of their notifications; the tests' demo has none
    email_domain = config.get('esurat', 'demo_email_domain', default='')

    def user(login, name, unit_code, groups, index):
        record = _get(User, [('login', '=', login)])
        if not record:
            record = User(
                login=login, name=name, password=DEMO_PASSWORD,
                esurat_unit=units[unit_code], language=lang,
                nip=_nip(rng, index),
                groups=[ModelData.get_id('esurat_base', g) for g in groups])
            record.save()
        if email_domain and not record.email:
            record.email = f'{login}@{email_domain}'
            record.save()
        return record

    positions = {}
    for index, (key, name, unit_code, level, reports_to, login, holder,
            kind, groups) in enumerate(POSITIONS, 1):
        position = _get(Position, [
                ('name', '=', name), ('unit', '=', units[unit_code].id)])
        if not position:
            position = Position(
                name=name, unit=units[unit_code], level=level,
                reports_to=positions[reports_to] if reports_to else None)
            position.save()
        positions[key] = position
        account = user(login, holder, unit_code, groups, index)
        if not account.rank and kind == 'definitive' and level in RANKS:
            account.rank = RANKS[level]
            account.save()
        if not Holding.search([('position', '=', position.id)], limit=1):
            Holding(
                position=position, user=account, kind=kind, state='approved',
                reason=None if kind == 'definitive' else 'vacancy',
                start_date=datetime.date(2024, 1, 2)).save()
    for index, (login, name, unit_code, groups) in enumerate(
            EXTRA_USERS, len(POSITIONS) + 1):
        user(login, name, unit_code, groups, index)
    populate_plh()
    admin = User(ModelData.get_id('res', 'user_admin'))
    if admin.language != lang:
        admin.language = lang
        admin.save()
    return [u for u in units.values() if u.is_agency], positions


def populate_plh():
    """The Kepala Dinas Kesehatan is on leave: the Kabid Yankes is Plh,
    requested by the holder and approved by the Sekda"""
    pool = Pool()
    Holding = pool.get('esurat.position.holding')
    Position = pool.get('esurat.position')
    User = pool.get('res.user')
    today = datetime.date.today()
    kadinkes = _get(Position, [('name', '=', "Kepala Dinas Kesehatan")])
    kabid = _get(User, [('login', '=', 'kabid.yankes')])
    if not kadinkes or not kabid or Holding.search([
                ('position', '=', kadinkes.id), ('kind', '=', 'plh')],
            limit=1):
        return
    holding = Holding(
        position=kadinkes, user=kabid, kind='plh', reason='leave',
        start_date=today - datetime.timedelta(days=1),
        end_date=today + datetime.timedelta(days=5), note="Cuti tahunan")
    holding.save()
    Holding.request([holding])
    approvers = Holding.search([
            ('position', '=', holding.approver_position.id),
            ('current', '=', True)], limit=1)
    with Transaction().set_user(approvers[0].user.id if approvers else 0):
        Holding.approve([holding])


def _scan(subject, agenda):
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont('Helvetica-Bold', 12)
    pdf.drawString(72, 780, "SALINAN PINDAI (DEMO)")
    pdf.setFont('Helvetica', 11)
    pdf.drawString(72, 750, subject[:90])
    pdf.drawString(72, 730, f"Agenda: {agenda or '-'}")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def populate_letters(positions, count=200):
    "About count incoming letters in every state, once"
    pool = Pool()
    Letter = pool.get('esurat.letter')
    LetterFile = pool.get('esurat.letter.file')
    Classification = pool.get('esurat.classification')
    LetterType = pool.get('esurat.letter.type')
    Urgency = pool.get('esurat.letter.urgency')
    Confidentiality = pool.get('esurat.letter.confidentiality')
    if Letter.search([], limit=1):
        return 0
    # Registering takes each agency's lock, and on PostgreSQL a first lock
    # restarts the transaction: take them all at once, restart once
    Unit = pool.get('esurat.unit')
    Unit.lock(Unit.search([('kind', 'in', list(AGENCY_KINDS))]))
    rng = random.Random(83)
    today = datetime.date.today()
    heads = [p for p in positions.values()
        if p.level in {'regional_head', 'secretary', 'agency_head'}]
    urgencies = Urgency.search([])
    normal, = Confidentiality.search([('code', '=', 'biasa')])
    secret, = Confidentiality.search([('code', '=', 'rahasia')])
    letters, targets = [], []
    for i in range(count):
        head = rng.choice(heads)
        # The Bupati's and Sekda's mail is registered by Setda's Bagian Umum
        unit = head.unit.agency or positions['sekda'].unit
        sender, pattern = rng.choice(SENDERS)
        subject, summary, code, type_code = rng.choice(SUBJECTS)
        received = today - datetime.timedelta(days=rng.randrange(0, 120))
        subordinates = [
            p for p in positions.values()
            if p.reports_to == head and p.level != 'staff']
        letter = Letter(
            unit=unit, sender=sender,
            sender_number=pattern.format(n=rng.randrange(10, 2000)),
            sender_date=received - datetime.timedelta(
                days=rng.randrange(1, 8)),
            received_date=received, subject=subject, summary=summary,
            classification=Classification.search(
                [('code', '=', code)], limit=1)[0],
            letter_type=LetterType.search(
                [('code', '=', type_code)], limit=1)[0],
            urgency=rng.choice(urgencies),
            confidentiality=secret if rng.random() < 0.08 else normal,
            addressees=[{'position': head, 'kind': 'to'}],
            copies=[{'position': p, 'kind': 'cc'}
                for p in rng.sample(subordinates, min(1, len(subordinates)))],
            )
        letters.append(letter)
        targets.append(rng.choice(STATES))
    Letter.save(letters)
    operators = {}
    for letter in sorted(
            (l for l, t in zip(letters, targets) if t != 'draft'),
            key=lambda l: (l.received_date, l.id)):
        if letter.unit not in operators:
            operators[letter.unit] = _operator(letter.unit)
        with Transaction().set_user(operators[letter.unit].id):
            Letter.register([letter])
    Letter.distribute([
            l for l, t in zip(letters, targets)
            if t in {'distributed', 'archived'}])
    Letter.archive([l for l, t in zip(letters, targets) if t == 'archived'])
    LetterFile.create([{
                'letter': l.id, 'name': f'scan-{l.id}.pdf',
                'data': _scan(l.subject, l.agenda_number)}
            for l in letters[:count // 2]])
    return len(letters)


# Examples for the calendar: the last days off of 2026 (SKB of the Menteri
# Agama, Ketenagakerjaan and PANRB No. 1497, 2 and 5 of 2025)
HOLIDAYS = [
    (datetime.date(2026, 12, 24), "Cuti Bersama Kelahiran Yesus Kristus",
        'joint_leave'),
    (datetime.date(2026, 12, 25), "Kelahiran Yesus Kristus", 'national'),
    ]


def populate_holidays():
    "The example holidays missing; return how many were added"
    pool = Pool()
    Holiday = pool.get('esurat.holiday')
    existing = {h.date for h in Holiday.search(
            [('date', 'in', [d for d, _, _ in HOLIDAYS])])}
    return len(Holiday.create([
                {'date': d, 'name': name, 'kind': kind}
                for d, name, kind in HOLIDAYS if d not in existing]))


def _operator(unit):
    pool = Pool()
    User = pool.get('res.user')
    ModelData = pool.get('ir.model.data')
    groups = [
        ModelData.get_id('esurat_base', 'group_esurat_opd_admin'),
        ModelData.get_id('esurat_base', 'group_esurat_main_operator')]
    operators = User.search([
            ('esurat_unit.agency', '=', unit.id),
            ('groups', 'in', groups)], limit=1)
    return operators[0] if operators else User(0)


def _run(database, func):
    return run_committed(database, func, context={'language': 'id'})


def start_demo(description, arguments=()):
    """Parse the command line of a demo script (-c, -d and the
    (name, add_argument keywords) of arguments) and initialise the pool"""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument('-c', '--config', required=True)
    parser.add_argument('-d', '--database', required=True)
    for name, keywords in arguments:
        parser.add_argument(name, **keywords)
    args = parser.parse_args()

    from trytond import config
    config.update_etc(args.config)
    Pool(args.database).init()
    return args


def run_demo(module, description, populate):
    """The command line of module's demo script: run populate in its own
    committed transaction, in Indonesian, and tell how many records it
    added"""
    args = start_demo(description)
    count = _run(args.database, populate)
    print(f"Demo data of {module}: {count} records added.")


def main():
    args = start_demo(__doc__.splitlines()[0], [
            ('--letters', {'type': int, 'default': 200})])
    _run(args.database, populate_org)
    _run(args.database, populate_holidays)

    def letters():
        _, positions = populate_org()
        return populate_letters(positions, args.letters)
    created = _run(args.database, letters)
    print(f"Demo data ready ({created} letters added).")
    print(f"Demo logins (password: {DEMO_PASSWORD}):")
    for login, role in [
            ('superadmin', "super admin"),
            ('op.kominfo', "OPD admin, Diskominfo"),
            ('umum.setda', "main operator, Setda"),
            ('sekda', "official: Sekretaris Daerah"),
            ('kadis.kominfo', "official: Kepala Diskominfo"),
            ('kabid.aptika', "official: Kabid Aptika"),
            ('kabid.ikp', "official: Plt. Kabid IKP"),
            ('staf.aptika', "staff, Diskominfo"),
            ('kadis.kesehatan', "official of another OPD: Kepala Dinkes"),
            ('kabid.yankes', "official: Kabid Yankes, Plh. Kepala Dinkes"),
            ('kasi.surveilans', "official: Kasi Surveilans, Dinkes"),
            ]:
        print(f"  {login:<16} {role}")


if __name__ == '__main__':
    main()
