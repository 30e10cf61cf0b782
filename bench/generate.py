# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Create a PostgreSQL database of e-Surat at the scale of a large Kabupaten.

    .venv/bin/python bench/generate.py --database esurat_bench \\
        --uri postgresql://postgres@127.0.0.1:5432/ --scale 0.01

The database is a copy of a template activated by trytond-admin with
esurat_signing, esurat_disposition and esurat_mobile in Indonesian (as
bin/run does), kept on the server under a name derived from the modules'
files, so that it is activated again only when they change.  It is then
filled by bulk SQL (INSERT ... SELECT over generate_series, COPY): at scale
1.0, 60 agencies, ~1,500 units, ~10,000 users holding their positions,
1,000,000 incoming letters and ~5,000,000 deliveries and dispositions; the
Sekda's position has ~100,000 items, a Kepala Dinas ~20,000, a Kabid ~3,000.
What the server stores as computed (the unit's agency, the letter's words,
agenda numbers and the units' agenda counters, the disposition's priority
and titles) is computed here as the code does.  Every user's password is
BENCH_PASSWORD.
"""
import argparse
import datetime
import hashlib
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from string import Formatter

import psycopg

ROOT = Path(__file__).resolve().parent.parent
BENCH_PASSWORD = 'bench-esurat-2026'
ADMIN_PASSWORD = 'admin-bench-2026'
# esurat_mobile for the pages of the phone app (bench/mobile.py)
MODULES = ['esurat_signing', 'esurat_disposition', 'esurat_mobile']
REGION = "Kabupaten Sukamaju"
# Letters, deliveries and dispositions start here (before: nothing)
START_DATE = datetime.date(2024, 1, 2)
# Days of mail in the database, ending today
DAYS = 1095
# Letters younger than this are still being worked on
RECENT_DAYS = 60

# (name, short name) of the regional agencies (OPD)
OPDS = [
    ("Dinas Pendidikan", "Disdik"),
    ("Dinas Kesehatan", "Dinkes"),
    ("Dinas Pekerjaan Umum dan Penataan Ruang", "DPUPR"),
    ("Dinas Perumahan dan Kawasan Permukiman", "Disperkim"),
    ("Satuan Polisi Pamong Praja", "Satpol PP"),
    ("Dinas Sosial", "Dinsos"),
    ("Dinas Tenaga Kerja", "Disnaker"),
    ("Dinas Pemberdayaan Perempuan dan Perlindungan Anak", "DP3A"),
    ("Dinas Ketahanan Pangan", "DKP"),
    ("Dinas Lingkungan Hidup", "DLH"),
    ("Dinas Kependudukan dan Pencatatan Sipil", "Disdukcapil"),
    ("Dinas Pemberdayaan Masyarakat dan Desa", "DPMD"),
    ("Dinas Pengendalian Penduduk dan Keluarga Berencana", "DPPKB"),
    ("Dinas Perhubungan", "Dishub"),
    ("Dinas Komunikasi dan Informatika", "Diskominfo"),
    ("Dinas Koperasi dan Usaha Mikro", "Diskop UM"),
    ("Dinas Penanaman Modal dan Pelayanan Terpadu Satu Pintu", "DPMPTSP"),
    ("Dinas Kepemudaan dan Olahraga", "Dispora"),
    ("Dinas Kebudayaan dan Pariwisata", "Disbudpar"),
    ("Dinas Perpustakaan dan Kearsipan", "Dispusip"),
    ("Dinas Perikanan", "Diskan"),
    ("Dinas Pertanian", "Distan"),
    ("Dinas Perdagangan", "Disdag"),
    ("Dinas Perindustrian", "Disperin"),
    ("Dinas Pemadam Kebakaran", "Damkar"),
    ("Badan Perencanaan Pembangunan Daerah", "Bappeda"),
    ("Badan Pengelolaan Keuangan dan Aset Daerah", "BPKAD"),
    ("Badan Pendapatan Daerah", "Bapenda"),
    ("Badan Kepegawaian dan Pengembangan Sumber Daya Manusia", "BKPSDM"),
    ("Badan Penanggulangan Bencana Daerah", "BPBD"),
    ("Badan Kesatuan Bangsa dan Politik", "Kesbangpol"),
    ("Badan Riset dan Inovasi Daerah", "Brida"),
    ("Inspektorat Daerah", "Inspektorat"),
    ("Sekretariat DPRD", "Setwan"),
    ("Rumah Sakit Umum Daerah Sukamaju", "RSUD"),
    ]
PLACES = [
    "Sukamaju Kota", "Cirumput", "Cibeureum", "Mekarsari", "Sindangsari",
    "Karangsari", "Sukaraja", "Cikoneng", "Pasirjaya", "Margahayu",
    "Sukahurip", "Cisaat", "Cijambu", "Babakan", "Sukasari", "Cimanggu",
    ]
BIDANG = [
    "Perencanaan dan Evaluasi", "Pelayanan", "Pembinaan", "Pengembangan",
    "Pengendalian", "Sarana dan Prasarana", "Data dan Informasi",
    "Pengawasan",
    ]
SEKSI = ["Program", "Pelaksanaan", "Pemantauan"]
SUBBAGIAN = [
    "Subbagian Umum dan Kepegawaian", "Subbagian Keuangan",
    "Subbagian Perencanaan"]
SEKSI_KECAMATAN = [
    "Seksi Pemerintahan", "Seksi Ketenteraman dan Ketertiban",
    "Seksi Pemberdayaan Masyarakat", "Seksi Kesejahteraan Sosial",
    "Seksi Pelayanan Umum", "Seksi Ekonomi dan Pembangunan"]
SEKSI_KELURAHAN = SEKSI_KECAMATAN[:5]
BAGIAN = [
    ("Bagian Umum", 0), ("Bagian Pemerintahan", 0), ("Bagian Hukum", 0),
    ("Bagian Kesejahteraan Rakyat", 0), ("Bagian Perekonomian", 1),
    ("Bagian Administrasi Pembangunan", 1),
    ("Bagian Pengadaan Barang dan Jasa", 1), ("Bagian Organisasi", 2),
    ("Bagian Protokol dan Komunikasi", 2)]
ASISTEN = [
    "Asisten Pemerintahan dan Kesejahteraan Rakyat",
    "Asisten Perekonomian dan Pembangunan",
    "Asisten Administrasi Umum"]
STAFF_TITLES = [
    "Pengadministrasi Umum", "Analis Kebijakan", "Pranata Komputer",
    "Pengelola Data", "Penyusun Program", "Arsiparis", "Pengolah Data",
    "Bendahara", "Analis Keuangan", "Penata Laporan"]
# Staff per section at scale 1.0: ~10,000 users in all
STAFF_PER_SECTION = 7.4
FIRST_NAMES = [
    "Agus", "Ahmad", "Asep", "Bambang", "Budi", "Cecep", "Dadang", "Dedi",
    "Dewi", "Dian", "Eka", "Endang", "Euis", "Fajar", "Hendra", "Ika",
    "Iwan", "Lilis", "Maya", "Neneng", "Nia", "Nurhayati", "Rina", "Rizky",
    "Rudi", "Siti", "Sri", "Tati", "Ujang", "Wawan", "Yanti", "Yudi",
    ]
LAST_NAMES = [
    "Setiawan", "Hidayat", "Kurniawan", "Suryana", "Permana", "Nugraha",
    "Saputra", "Rahmawati", "Lestari", "Wahyuni", "Hermawan", "Gunawan",
    "Sudrajat", "Rosmiati", "Firmansyah", "Sobari", "Rustandi", "Kartika",
    "Susanti", "Maulana", "Ramadhan", "Prasetyo", "Santoso", "Purnamasari",
    ]
DEGREES = [
    "S.Sos.", "S.T., M.T.", "S.E., M.M.", "S.H., M.H.", "S.Kom.", "S.IP.",
    "Dr., M.Si.", "S.Pd., M.Pd.", "dr., M.Kes.", "S.AP."]

SENDERS = [
    "Kementerian Dalam Negeri", "Kementerian Keuangan",
    "Kementerian Kesehatan", "Kementerian Pendidikan Dasar dan Menengah",
    "Kementerian Komunikasi dan Digital",
    "Kementerian Pendayagunaan Aparatur Negara dan Reformasi Birokrasi",
    "Gubernur Jawa Barat", "Sekretariat Daerah Provinsi Jawa Barat",
    "DPRD Kabupaten Sukamaju", "Kepolisian Resor Sukamaju",
    "Komando Distrik Militer 0612", "Kejaksaan Negeri Sukamaju",
    "Pengadilan Negeri Sukamaju", "Badan Pusat Statistik Kabupaten Sukamaju",
    "BPJS Kesehatan Cabang Sukamaju", "PT PLN (Persero) UP3 Sukamaju",
    "Badan Pemeriksa Keuangan Perwakilan Jawa Barat",
    "Badan Siber dan Sandi Negara", "Arsip Nasional Republik Indonesia",
    "Universitas Padjadjaran", "Bank BJB Cabang Sukamaju",
    "Kantor Pertanahan Kabupaten Sukamaju", "Kementerian Agama Kabupaten",
    "Lembaga Administrasi Negara", "Ombudsman RI Perwakilan Jawa Barat",
    "Pemerintah Kabupaten Tetangga", "Kantor Pelayanan Pajak Pratama",
    "Yayasan Peduli Pendidikan Sukamaju", "Karang Taruna Kabupaten",
    "Forum Anak Daerah Sukamaju",
    ]
SENDER_CODES = [
    "SJ", "KU", "KES", "DIKDAS", "KOMDIGI", "MENPAN", "GUB", "SETDA.PROV",
    "DPRD", "POLRES", "KODIM", "KEJARI", "PN", "BPS", "BPJS", "PLN", "BPK",
    "BSSN", "ANRI", "UNPAD", "BJB", "ATR", "KEMENAG", "LAN", "ORI", "PEMKAB",
    "KPP", "YPPS", "KT", "FAD"]
SUBJECTS = [
    "Undangan rapat koordinasi", "Permintaan data", "Pemberitahuan",
    "Permohonan narasumber", "Laporan pelaksanaan", "Usulan kegiatan",
    "Penyampaian hasil evaluasi", "Edaran", "Permohonan izin",
    "Undangan sosialisasi", "Permohonan audiensi", "Penyampaian laporan",
    "Permintaan klarifikasi", "Pemberitahuan jadwal", "Permohonan bantuan",
    "Penyampaian rancangan", "Undangan bimbingan teknis",
    "Permohonan rekomendasi", "Penyampaian surat keputusan",
    "Permintaan tindak lanjut",
    ]
TOPICS = [
    "penyelenggaraan SPBE", "percepatan penurunan stunting",
    "pemeliharaan jaringan listrik", "tanda tangan elektronik BSrE",
    "pengelolaan arsip dinamis", "penanganan banjir",
    "formasi CPNS tahun anggaran berikutnya", "audit keuangan triwulan",
    "musyawarah perencanaan pembangunan", "data kependudukan",
    "imunisasi anak sekolah", "pengamanan hari jadi kabupaten",
    "tata naskah dinas elektronik", "reformasi birokrasi",
    "pengadaan barang dan jasa", "pajak bumi dan bangunan",
    "bantuan sosial pangan", "perbaikan jalan kabupaten",
    "pengelolaan sampah", "pelayanan terpadu satu pintu",
    "kesiapsiagaan bencana", "pendidikan anak usia dini",
    "penanggulangan kemiskinan", "inovasi pelayanan publik",
    "keterbukaan informasi publik", "ketahanan pangan daerah",
    "penataan ruang wilayah", "pemilihan kepala desa",
    "program keluarga berencana", "pengembangan UMKM",
    ]
SUMMARIES = [
    "Mohon dihadiri oleh kepala perangkat daerah atau pejabat yang ditunjuk.",
    "Data disampaikan paling lambat akhir bulan ini sebagai bahan rapat.",
    "Untuk diketahui dan disebarluaskan kepada unit kerja terkait.",
    "Mohon ditindaklanjuti sesuai ketentuan yang berlaku.",
    "Bersama ini kami sampaikan laporan untuk menjadi perhatian.",
    "Kegiatan dilaksanakan di aula kantor bupati pukul 09.00 WIB.",
    "Mohon kesediaan menyampaikan tanggapan dan saran secara tertulis.",
    "Terlampir jadwal dan daftar peserta yang diundang.",
    ]
REPORTS = [
    "Sudah dilaksanakan, laporan terlampir.", "Sudah dihadiri.",
    "Data sudah disampaikan.", "Sudah dikoordinasikan dengan bidang terkait.",
    "Sudah ditindaklanjuti sesuai disposisi."]
# (level of the position disposing, % of its items disposed further,
#  % of those disposed to two positions instead of one)
DISPOSING = {
    'regional_head': (75, 10),
    'secretary': (85, 30),
    'assistant': (60, 10),
    'agency_head': (90, 50),
    'agency_secretary': (70, 20),
    'division_head': (85, 25),
    'section_head': (75, 50),
    }
# Permille of the letters registered by the Setda (for the Bupati/Sekda)
SETDA_PERMILLE = 110
# What the server derives from the data in bulk, run as the code does it
# once the data is in: (model, class method, arguments), when the model
# exists
DERIVED = [
    ('esurat.letter.access', 'refresh', (None,)),
    ('esurat.letter.file', 'sync_letter_restricted', (None,)),
    ('esurat.disposition', 'sync_letter_restricted', (None,)),
    ('esurat.disposition', 'fill_paths', ()),
    ]


class Org:
    "The units, positions and users, built in Python (thousands of rows)"

    def __init__(self, scale, rng):
        self.rng = rng
        self.units = []       # dicts, id = index + 1
        self.positions = []   # dicts, id = index + 1
        self.users = []       # dicts, id = index + first_user_id
        self.agencies = []    # dicts: unit, kind, head, secretary, operator
        self.spp = max(1, round(STAFF_PER_SECTION * scale))
        self.scale = scale

    def unit(self, name, short_name, code, kind, parent, agency):
        unit = {
            'id': len(self.units) + 1, 'name': name,
            'short_name': short_name, 'code': code, 'kind': kind,
            'parent': parent['id'] if parent else None,
            'agency': None}
        self.units.append(unit)
        if agency is None and kind in {
                'setda', 'opd', 'kecamatan', 'kelurahan'}:
            agency = unit
        unit['agency'] = agency['id'] if agency else None
        return unit

    def position(self, name, unit, level, reports_to, login, groups=(
            'group_esurat_official',), operator=False):
        position = {
            'id': len(self.positions) + 1, 'name': name, 'unit': unit['id'],
            'level': level,
            'reports_to': reports_to['id'] if reports_to else None,
            'operator': operator, 'user': None}
        self.positions.append(position)
        first = self.rng.choice(FIRST_NAMES)
        last = self.rng.choice(LAST_NAMES)
        name = f"{first} {last}"
        if level != 'staff':
            name += ", " + self.rng.choice(DEGREES)
        user = {
            'login': login, 'name': name, 'unit': unit['id'],
            'groups': groups, 'position': position,
            'nip': self.nip(len(self.users))}
        self.users.append(user)
        position['user'] = user
        return position

    def nip(self, index):
        birth = datetime.date(1968, 1, 1) + datetime.timedelta(
            days=self.rng.randrange(0, 10000))
        appointed = (
            f'{self.rng.randrange(1992, 2022)}{self.rng.randrange(1, 13):02d}')
        sex = self.rng.choice("12")
        return f'{birth:%Y%m%d}{appointed}{sex}{index % 1000:03d}'

    def sections(self, parent, names, head, slug, agency):
        "Sections under parent, headed by one who reports to head, with staff"
        for i, name in enumerate(names, 1):
            code = f"{parent['code']}.{i}"
            unit = self.unit(name, None, code, 'section', parent, agency)
            kasi = self.position(
                f"Kepala {name}", unit, 'section_head', head,
                f"kasi.{slug}.{code.split('.', 1)[1]}")
            for j in range(self.spp):
                title = STAFF_TITLES[j % len(STAFF_TITLES)]
                self.position(
                    f"{title} {name}", unit, 'staff', kasi,
                    f"staf.{slug}.{code.split('.', 1)[1]}.{j + 1}",
                    groups=('group_esurat_staff',))

    def build(self, agency_count):
        pemda = self.unit(
            "Pemerintah Kabupaten Sukamaju", "Pemkab Sukamaju", 'SKM',
            'pemda', None, None)
        bupati = self.position(
            "Bupati Sukamaju", pemda, 'regional_head', None, 'bupati')
        self.bupati = bupati
        self.wabup = self.position(
            "Wakil Bupati Sukamaju", pemda, 'vice_head', bupati, 'wabup')
        setda = self.unit(
            "Sekretariat Daerah", "Setda", 'SETDA', 'setda', pemda, None)
        sekda = self.position(
            "Sekretaris Daerah", setda, 'secretary', bupati, 'sekda')
        self.sekda = sekda
        self.asisten = [
            self.position(name, setda, 'assistant', sekda, f'asisten{i}')
            for i, name in enumerate(ASISTEN, 1)]
        operator = None
        for i, (name, asisten) in enumerate(BAGIAN, 1):
            bagian = self.unit(
                name, name.replace("Bagian", "Bag."), f'SETDA.{i}',
                'division', setda, setda)
            kabag = self.position(
                f"Kepala {name}", bagian, 'division_head',
                self.asisten[asisten], f'kabag.setda.{i}')
            self.sections(
                bagian, [f"Subbagian {s} {name[7:]}" for s in SEKSI],
                kabag, 'setda', setda)
            if i == 1:
                operator = self.position(
                    "Pengadministrasi Umum Bagian Umum", bagian, 'staff',
                    kabag, 'umum.setda', groups=(
                        'group_esurat_staff', 'group_esurat_main_operator'),
                    operator=True)
        self.agencies.append({
                'unit': setda, 'kind': 'setda', 'head': sekda,
                'secretary': None, 'operator': operator})
        # The others: OPD 60 %, Kecamatan and Kelurahan 20 % each
        others = agency_count - 1
        kelurahan = others // 5
        kecamatan = max(1, kelurahan) if others > 2 else 0
        opd = others - kecamatan - kelurahan
        for i in range(opd):
            name, short = OPDS[i % len(OPDS)]
            if i >= len(OPDS):
                name, short = f"{name} {i // len(OPDS) + 1}", f"{short}{i}"
            self.agency_opd(pemda, name, short, i)
        camats = []
        for i in range(kecamatan):
            place = PLACES[i % len(PLACES)]
            if i >= len(PLACES):
                place = f"{place} {i // len(PLACES) + 1}"
            camats.append(self.agency_area(
                pemda, 'kecamatan', place, f'KEC.{i + 1:02d}',
                self.asisten[0], SEKSI_KECAMATAN))
        for i in range(kelurahan):
            place = PLACES[(i + 7) % len(PLACES)]
            kec_unit, camat = camats[i % len(camats)]
            self.agency_area(
                kec_unit, 'kelurahan', f"{place} {i + 1}",
                f"KEL.{i + 1:02d}", camat, SEKSI_KELURAHAN)

    def agency_opd(self, pemda, name, short, index):
        code = f'OPD.{index + 1:02d}'
        slug = ''.join(c for c in short.lower() if c.isalnum())
        unit = self.unit(name, short, code, 'opd', pemda, None)
        head = self.position(
            f"Kepala {name}", unit, 'agency_head',
            self.asisten[index % len(self.asisten)], f'kadis.{slug}')
        sekretariat = self.unit(
            f"Sekretariat {short}", "Sekretariat", f'{code}.1', 'division',
            unit, unit)
        secretary = self.position(
            f"Sekretaris {short}", sekretariat, 'agency_secretary', head,
            f'sekdis.{slug}')
        self.sections(
            sekretariat, [f"{s} {short}" for s in SUBBAGIAN], secretary,
            slug, unit)
        for i, bidang in enumerate(BIDANG, 2):
            division = self.unit(
                f"Bidang {bidang}", None, f'{code}.{i}', 'division', unit,
                unit)
            kabid = self.position(
                f"Kepala Bidang {bidang} {short}", division,
                'division_head', head, f'kabid.{slug}.{i - 1}')
            self.sections(
                division, [f"Seksi {s} {bidang}" for s in SEKSI], kabid,
                slug, unit)
        operator = self.position(
            f"Pengelola Surat {short}", sekretariat, 'staff', secretary,
            f'op.{slug}', groups=(
                'group_esurat_staff', 'group_esurat_opd_admin'),
            operator=True)
        self.agencies.append({
                'unit': unit, 'kind': 'opd', 'head': head,
                'secretary': secretary, 'operator': operator})

    def agency_area(self, parent, kind, place, code, reports_to, seksi):
        "A Kecamatan or a Kelurahan: its head, secretary, sections, operator"
        slug = ''.join(c for c in place.lower() if c.isalnum())
        if kind == 'kecamatan':
            name, head_title, prefix = (
                f"Kecamatan {place}", f"Camat {place}", 'camat')
        else:
            name, head_title, prefix = (
                f"Kelurahan {place}", f"Lurah {place}", 'lurah')
        short = name.replace("Kecamatan", "Kec.").replace("Kelurahan", "Kel.")
        unit = self.unit(name, short, code, kind, parent, None)
        head = self.position(
            head_title, unit, 'agency_head', reports_to, f'{prefix}.{slug}')
        secretary = self.position(
            f"Sekretaris {name}", unit, 'agency_secretary', head,
            f'sek{prefix[:3]}.{slug}', groups=(
                'group_esurat_official', 'group_esurat_opd_admin'))
        self.sections(unit, seksi, head, slug, unit)
        if kind == 'kecamatan':
            sekretariat = self.unit(
                f"Sekretariat {name}", "Sekretariat", f'{code}.9',
                'division', unit, unit)
            self.sections(
                sekretariat, [f"{s} {short}" for s in SUBBAGIAN[:2]],
                secretary, slug + '.sek', unit)
        operator = self.position(
            f"Pengelola Surat {short}", unit, 'staff', secretary,
            f'op.{prefix}.{slug}', groups=(
                'group_esurat_staff', 'group_esurat_opd_admin'),
            operator=True)
        self.agencies.append({
                'unit': unit, 'kind': kind, 'head': head,
                'secretary': secretary, 'operator': operator})
        return unit, head


def modules_digest():
    "Digest of what activation depends on: the modules' files and trytond"
    import trytond
    digest = hashlib.sha256(trytond.__version__.encode())
    for path in sorted((ROOT / 'modules').rglob('*')):
        if (path.is_file() and '__pycache__' not in path.parts
                and not any(p.endswith('.egg-info') for p in path.parts)
                and path.suffix in {'.py', '.xml', '.cfg', '.po', '.toml'}):
            digest.update(str(path.relative_to(ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def connect(uri, database, autocommit=False):
    return psycopg.connect(
        f'{uri.rstrip("/")}/{database}', autocommit=autocommit)


def write_config(path, uri, filestore):
    path.write_text(
        "[database]\n"
        f"uri = {uri}\n"
        f"path = {filestore}\n"
        "language = en\n"
        "retry = 40\n"
        "[esurat]\n"
        "dev_ca_passphrase = bench-ca-passphrase\n"
        "verify_rate_limit = 1000000\n")


def create_database(uri, database, rebuild, work):
    """Copy the activated template of the current modules into database,
    activating a new template first when needed"""
    template = f'esurat_bench_tpl_{modules_digest()}'
    with connect(uri, 'postgres', autocommit=True) as conn:
        names = {n for n, in conn.execute(
                "SELECT datname FROM pg_database "
                "WHERE datname LIKE 'esurat\\_bench\\_tpl\\_%'")}
        if rebuild and template in names:
            conn.execute(f'DROP DATABASE "{template}"')
            names.discard(template)
        for name in names - {template}:
            conn.execute(f'DROP DATABASE "{name}"')
        if template not in names:
            conn.execute(f'CREATE DATABASE "{template}" ENCODING \'UTF8\'')
            config = work / 'admin.conf'
            write_config(config, uri, work / 'filestore')
            passfile = work / 'adminpass'
            passfile.write_text(ADMIN_PASSWORD + '\n')
            try:
                subprocess.run([
                        str(ROOT / '.venv' / 'bin' / 'trytond-admin'),
                        '-c', str(config), '-d', template,
                        '-u', *MODULES, '--activate-dependencies', '-l', 'id',
                        '--email', 'admin@example.com', '-p'],
                    check=True, env={**os.environ, 'TRYTONPASSFILE': str(
                            passfile)})
            except BaseException:
                conn.execute(f'DROP DATABASE IF EXISTS "{template}"')
                raise
        conn.execute(f'DROP DATABASE IF EXISTS "{database}"')
        conn.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')


def h(expression, salt, modulo):
    "SQL: a deterministic pseudo-random integer in [0, modulo) of expression"
    return (f"mod(hashint8extended(({expression})::bigint, {salt}) "
        f"& 2147483647, {modulo})::int")


def agenda_number_sql(pattern):
    """SQL expression of format_number(pattern) over the columns seq, code,
    year and month of the letters and cls_code of their classification"""
    columns = {
        'sequence': 'seq::text', 'unit_code': 'code', 'year': 'year::text',
        'month': 'month::text', 'classification': 'cls_code',
        'month_roman': (
            "(ARRAY['I','II','III','IV','V','VI','VII','VIII','IX','X',"
            "'XI','XII'])[month]"),
        }
    parts = []
    for literal, name, spec, conversion in Formatter().parse(pattern):
        if literal:
            parts.append("'" + literal.replace("'", "''") + "'")
        if name is not None:
            if spec or conversion:
                sys.exit(f"Agenda pattern {pattern!r}: formats unsupported")
            parts.append(columns[name])
    return ' || '.join(parts) or "''"


class Generator:

    def __init__(self, conn, scale, verbose=True):
        self.conn = conn
        self.scale = scale
        self.verbose = verbose
        self.today = datetime.date.today()

    def step(self, label, func, *args):
        start = time.perf_counter()
        result = func(*args)
        if self.verbose:
            print(f"  {label:<40} {time.perf_counter() - start:7.1f} s",
                flush=True)
        return result

    def execute(self, query, params=None):
        return self.conn.execute(query, params)

    def scalar(self, query, params=None):
        return self.execute(query, params).fetchone()[0]

    def ids(self, table, column='code'):
        return dict(self.execute(f'SELECT {column}, id FROM "{table}"'))

    def copy(self, table, columns, rows):
        names = ', '.join(f'"{c}"' for c in columns)
        with self.conn.cursor() as cursor:
            with cursor.copy(
                    f'COPY "{table}" ({names}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)

    # Organisation ------------------------------------------------------

    def org(self, org):
        now = datetime.datetime.now()
        groups = dict(self.execute(
                "SELECT fs_id, db_id FROM ir_model_data "
                "WHERE module = 'esurat_base' AND model = 'res.group'"))
        lang = self.scalar("SELECT id FROM ir_lang WHERE code = 'id'")
        menu = self.scalar("SELECT menu FROM res_user WHERE login = 'admin'")
        self.copy('esurat_unit', [
                'id', 'name', 'short_name', 'code', 'kind', 'parent',
                'agency', 'active', 'letterhead_title', 'city', 'create_date',
                'create_uid'], [
                (u['id'], u['name'], u['short_name'], u['code'], u['kind'],
                    u['parent'], u['agency'], True,
                    f"PEMERINTAH {REGION.upper()}", "Sukamaju", now, 0)
                for u in org.units])
        self.copy('esurat_position', [
                'id', 'name', 'unit', 'level', 'reports_to', 'active',
                'create_date', 'create_uid'], [
                (p['id'], p['name'], p['unit'], p['level'], p['reports_to'],
                    True, now, 0)
                for p in org.positions])
        first = self.scalar("SELECT max(id) + 1 FROM res_user")
        # One hash for every user: computing thousands would take minutes
        password_hash = self.password_hash()
        for i, user in enumerate(org.users):
            user['id'] = first + i
        self.copy('res_user', [
                'id', 'login', 'name', 'active', 'password_hash', 'language',
                'menu', 'esurat_unit', 'nip', 'email', 'create_date',
                'create_uid'], [
                (u['id'], u['login'], u['name'], True, password_hash, lang,
                    menu, u['unit'], u['nip'],
                    f"{u['login']}@sukamajukab.go.id", now, 0)
                for u in org.users])
        self.copy('res_user-res_group', ['user', 'group', 'create_date'], [
                (u['id'], groups[g], now)
                for u in org.users for g in u['groups']])
        self.copy('esurat_position_holding', [
                'position', 'user', 'kind', 'state', 'start_date',
                'create_date', 'create_uid'], [
                (u['position']['id'], u['id'], 'definitive', 'approved',
                    START_DATE, now, 0)
                for u in org.users])
        self.plan_tables(org)

    @staticmethod
    def password_hash():
        from trytond.res.user import PASSWORD_HASH
        return PASSWORD_HASH.hash(BENCH_PASSWORD)

    def plan_tables(self, org):
        """Temporary tables that drive the mail: agencies, who may dispose
        to whom, who holds what"""
        self.execute(
            "CREATE TEMP TABLE bench_agency (idx int PRIMARY KEY, "
            "unit int, code text, short_name text, kind text, head int, "
            "secretary int, operator_user int)")
        self.copy('bench_agency', [
                'idx', 'unit', 'code', 'short_name', 'kind', 'head',
                'secretary', 'operator_user'], [
                (i, a['unit']['id'], a['unit']['code'],
                    a['unit']['short_name'] or a['unit']['name'], a['kind'],
                    a['head']['id'],
                    a['secretary']['id'] if a['secretary'] else None,
                    a['operator']['user']['id'])
                for i, a in enumerate(org.agencies)])
        # Weighted draw of the agency of a non-Setda letter
        weights = {'opd': 4, 'kecamatan': 2, 'kelurahan': 1}
        slots = [i for i, a in enumerate(org.agencies) if a['kind'] != 'setda'
            for _ in range(weights[a['kind']])]
        self.execute("CREATE TEMP TABLE bench_slot (slot int PRIMARY KEY, "
            "agency int)")
        self.copy('bench_slot', ['slot', 'agency'], enumerate(slots))
        self.slots = len(slots)
        # Who disposes to whom: the direct reports of a position (staff
        # included, operators excepted); the Sekda also to every agency head
        # and the Bupati mostly to the Sekda
        reports = {}
        for p in org.positions:
            if p['reports_to'] and not p['operator']:
                reports.setdefault(p['reports_to'], []).append(p['id'])
        heads = [a['head']['id'] for a in org.agencies if a['kind'] != 'setda'
            and org.positions[a['head']['id'] - 1]['reports_to'] in {
                x['id'] for x in org.asisten}]
        reports[org.sekda['id']] = reports.get(org.sekda['id'], []) + heads
        reports[org.bupati['id']] = [org.sekda['id']] * 3 + [org.wabup['id']]
        self.execute("CREATE TEMP TABLE bench_subs (position int PRIMARY KEY,"
            " subs int[], n int, p_dispose int, p_two int)")
        levels = {p['id']: p['level'] for p in org.positions}
        self.copy('bench_subs', ['position', 'subs', 'n', 'p_dispose',
                'p_two'], [
                (pid, subs, len(subs), *DISPOSING[levels[pid]])
                for pid, subs in reports.items() if levels[pid] in DISPOSING])
        self.execute("CREATE TEMP TABLE bench_holder (position int PRIMARY "
            "KEY, \"user\" int, name text)")
        self.copy('bench_holder', ['position', 'user', 'name'], [
                (u['position']['id'], u['id'], u['position']['name'])
                for u in org.users])
        self.execute("ANALYZE bench_agency; ANALYZE bench_slot; "
            "ANALYZE bench_subs; ANALYZE bench_holder")

    # Letters -----------------------------------------------------------

    def letters(self, count, org):
        refs = {}
        for table in ['esurat_letter_urgency', 'esurat_letter_confidentiality',
                'esurat_letter_type']:
            refs[table] = self.ids(table)
        classifications = [i for i, in self.execute(
                "SELECT id FROM esurat_classification ORDER BY id")]
        urgency = refs['esurat_letter_urgency']
        types = sorted(refs['esurat_letter_type'].values())
        conf = refs['esurat_letter_confidentiality']
        setda = 0
        self.execute(f"""
            CREATE TEMP TABLE bench_letter AS
            SELECT g AS id, x.agency, x.age,
                CASE WHEN x.agency = {setda}
                    THEN CASE WHEN {h('g', 3, 100)} < 65
                        THEN {org.sekda['id']} ELSE {org.bupati['id']} END
                    ELSE a.head END AS to_pos,
                CASE WHEN {h('g', 4, 100)} >= 30 THEN NULL
                    WHEN x.agency <> {setda} THEN a.secretary
                    WHEN {h('g', 3, 100)} < 65
                        THEN (%(asisten)s::int[])[1 + {h('g', 5, 3)}]
                    ELSE {org.sekda['id']} END AS cc_pos,
                CASE WHEN x.age < 14 THEN
                        CASE WHEN {h('g', 6, 100)} < 15 THEN 'draft'
                            WHEN {h('g', 6, 100)} < 35 THEN 'registered'
                            ELSE 'distributed' END
                    WHEN x.age > 90 AND {h('g', 6, 100)} < 20 THEN 'archived'
                    ELSE 'distributed' END AS state
            FROM generate_series(1, %(count)s) g
            CROSS JOIN LATERAL (SELECT
                CASE WHEN {h('g', 1, 1000)} < {SETDA_PERMILLE} THEN {setda}
                    ELSE (SELECT agency FROM bench_slot
                        WHERE slot = {h('g', 2, self.slots)}) END AS agency,
                {h('g', 7, DAYS)} AS age) x
            JOIN bench_agency a ON a.idx = x.agency""", {
                'count': count, 'asisten': [p['id'] for p in org.asisten]})
        self.execute("ALTER TABLE bench_letter ADD PRIMARY KEY (id)")
        pattern = self.agenda_pattern()
        ts_config = self.ts_config()
        self.execute(f"""
            INSERT INTO esurat_letter (id, unit, state, received_date,
                sender_date, sender, sender_number, subject, summary,
                search_text, classification, letter_type, urgency,
                confidentiality, agenda_sequence, agenda_year, agenda_date,
                agenda_number, registered_by, create_date, create_uid,
                write_date, write_uid)
            SELECT id, unit, state, received, sender_date, sender,
                sender_number, subject, summary,
                to_tsvector(%(ts_config)s::regconfig,
                    concat_ws(' ', subject, sender, sender_number, summary)),
                classification, letter_type, urgency, confidentiality,
                seq, year, agenda_date,
                CASE WHEN seq IS NOT NULL THEN {pattern} END,
                CASE WHEN seq IS NOT NULL THEN operator_user END,
                created, operator_user, created, operator_user
            FROM (
                SELECT d.*, CASE WHEN d.state <> 'draft' THEN row_number()
                        OVER (PARTITION BY d.unit, d.state = 'draft', d.year
                            ORDER BY d.received, d.id) END AS seq,
                    CASE WHEN d.state <> 'draft' THEN d.received END
                        AS agenda_date,
                    c.code AS cls_code
                FROM (
                    SELECT l.id, a.unit, a.code, a.operator_user, l.state,
                        r.received,
                        r.received - {h('l.id', 8, 8)} AS sender_date,
                        extract(year FROM r.received)::int AS year,
                        extract(month FROM r.received)::int AS month,
                        s.sender,
                        s.code || '/' || (100 + {h('l.id', 10, 9000)})
                            || '/' || extract(year FROM r.received)
                            AS sender_number,
                        (%(subjects)s::text[])[
                                1 + {h('l.id', 11, len(SUBJECTS))}]
                            || ' ' || (%(topics)s::text[])[
                                1 + {h('l.id', 12, len(TOPICS))}]
                            AS subject,
                        (%(summaries)s::text[])[
                            1 + {h('l.id', 13, len(SUMMARIES))}] AS summary,
                        (%(classifications)s::int[])[
                            1 + {h('l.id', 14, len(classifications))}]
                            AS classification,
                        (%(types)s::int[])[
                            1 + {h('l.id', 15, len(types))}]
                            AS letter_type,
                        CASE WHEN {h('l.id', 16, 100)} < 70 THEN %(biasa)s
                            WHEN {h('l.id', 16, 100)} < 90 THEN %(segera)s
                            ELSE %(sangat_segera)s END AS urgency,
                        CASE WHEN {h('l.id', 17, 100)} < 3 THEN %(rahasia)s
                            WHEN {h('l.id', 17, 100)} < 4
                                THEN %(sangat_rahasia)s
                            WHEN {h('l.id', 17, 100)} < 10 THEN %(terbatas)s
                            ELSE %(normal)s END AS confidentiality,
                        r.received + time '08:00'
                            + {h('l.id', 18, 480)} * interval '1 minute'
                            AS created
                    FROM bench_letter l
                    JOIN bench_agency a ON a.idx = l.agency
                    CROSS JOIN LATERAL (SELECT
                        %(today)s::date - l.age AS received) r
                    CROSS JOIN LATERAL (SELECT
                        (%(senders)s::text[])[1 + {h('l.id', 9, len(SENDERS))}]
                            AS sender,
                        (%(sender_codes)s::text[])[
                            1 + {h('l.id', 9, len(SENDERS))}] AS code) s
                    ) d
                JOIN esurat_classification c ON c.id = d.classification
                ) q""", {
                'ts_config': ts_config, 'today': self.today,
                'subjects': SUBJECTS, 'topics': TOPICS,
                'summaries': SUMMARIES, 'senders': SENDERS,
                'sender_codes': SENDER_CODES,
                'classifications': classifications,
                'types': types,
                'biasa': urgency['biasa'], 'segera': urgency['segera'],
                'sangat_segera': urgency['sangat_segera'],
                'rahasia': conf['rahasia'],
                'sangat_rahasia': conf['sangat_rahasia'],
                'terbatas': conf['terbatas'], 'normal': conf['biasa'],
                })

    def agenda_pattern(self):
        "The configured pattern, or the default of the code, as SQL"
        from trytond.modules.esurat_base.configuration import (
            DEFAULT_AGENDA_PATTERN)
        pattern = self.execute(
            "SELECT agenda_pattern FROM esurat_configuration "
            "WHERE id = 1").fetchone()
        return agenda_number_sql(
            (pattern and pattern[0]) or DEFAULT_AGENDA_PATTERN)

    def ts_config(self):
        """The text search configuration of the Words field: that of the
        database language (trytond's _search_full_text_language)"""
        language = self.scalar(
            "SELECT language FROM ir_configuration WHERE id = 1")
        if not language:
            from trytond import config
            language = config.get('database', 'language')
        row = self.execute(
            "SELECT COALESCE(pg_text_search, 'simple') FROM ir_lang "
            "WHERE code = %s", (language,)).fetchone()
        return row[0] if row else 'simple'

    def recipients(self):
        self.execute("""
            INSERT INTO esurat_letter_recipient (letter, position, kind,
                create_date, create_uid)
            SELECT l.id, r.position, r.kind, e.create_date, e.create_uid
            FROM bench_letter l
            JOIN esurat_letter e ON e.id = l.id
            CROSS JOIN LATERAL (VALUES (l.to_pos, 'to'), (l.cc_pos, 'cc'))
                r(position, kind)
            WHERE r.position IS NOT NULL""")

    # Dispositions ------------------------------------------------------

    def state_sql(self, alias):
        """SQL of the state of rows of alias (columns id, age,
        letter_state, will_dispose, kind)"""
        r = h(f'{alias}.id', 20, 100)
        return f"""CASE
            WHEN {alias}.letter_state = 'archived' THEN 'done'
            WHEN {alias}.will_dispose THEN CASE
                WHEN {alias}.age > {RECENT_DAYS} AND {r} < 70 THEN 'done'
                ELSE 'in_progress' END
            WHEN {alias}.kind = 'disposition' AND {r} < 1 THEN 'recalled'
            WHEN {alias}.age > {RECENT_DAYS} THEN CASE
                WHEN {r} < 92 THEN 'done' WHEN {r} < 95 THEN 'in_progress'
                WHEN {r} < 98 THEN 'read' ELSE 'sent' END
            ELSE CASE WHEN {r} < 30 THEN 'sent' WHEN {r} < 50 THEN 'read'
                WHEN {r} < 70 THEN 'in_progress' ELSE 'done' END
            END"""

    def level(self, source):
        """Insert one level of items from source (a query of id, letter,
        parent, kind, is_copy, from_position, from_user, from_title,
        to_position, priority, deadline, created, age, letter_state) and
        return how many were inserted"""
        self.execute(
            "DROP TABLE IF EXISTS bench_prev; "
            "ALTER TABLE IF EXISTS bench_next RENAME TO bench_prev")
        first = self.scalar(
            "SELECT COALESCE(max(id), 0) FROM esurat_disposition")
        self.execute(f"""
            CREATE TEMP TABLE bench_next AS
            SELECT w.*, {self.state_sql('w')} AS state
            FROM (
                SELECT n.*, COALESCE(
                        n.letter_state IN ('distributed', 'archived')
                        AND NOT n.is_copy
                        AND {h('n.id', 21, 100)} < b.p_dispose, false)
                        AS will_dispose
                FROM (SELECT s.*, {first} + row_number() OVER () AS id
                    FROM ({source}) s) n
                LEFT JOIN bench_subs b ON b.position = n.to_position) w""")
        return self.execute(f"""
            INSERT INTO esurat_disposition (id, letter, parent, kind,
                is_copy, from_position, from_user, from_title, to_position,
                priority, deadline, state, unread, read_at, read_by,
                read_as, done_at, done_by, done_as, report, recalled_at,
                reminded, overdue_notified, create_date, create_uid,
                write_date, write_uid)
            SELECT n.id, n.letter, n.parent, n.kind, n.is_copy,
                n.from_position, n.from_user, n.from_title, n.to_position,
                n.priority, n.deadline, n.state, n.state = 'sent',
                CASE WHEN n.state IN ('read', 'in_progress', 'done')
                    THEN t.read_at END,
                CASE WHEN n.state IN ('read', 'in_progress', 'done')
                    THEN hd."user" END,
                CASE WHEN n.state IN ('read', 'in_progress', 'done')
                    THEN hd.name END,
                CASE WHEN n.state = 'done' THEN t.done_at END,
                CASE WHEN n.state = 'done' THEN hd."user" END,
                CASE WHEN n.state = 'done' THEN hd.name END,
                CASE WHEN n.state = 'done' AND n.kind = 'disposition'
                    THEN (%(reports)s::text[])[
                        1 + {h('n.id', 22, len(REPORTS))}] END,
                CASE WHEN n.state = 'recalled' THEN t.read_at END,
                n.state = 'done' OR n.deadline < %(today)s,
                n.deadline < %(today)s AND n.state IN (
                    'sent', 'read', 'in_progress'),
                n.created, COALESCE(n.from_user, 0),
                COALESCE(t.done_at, t.read_at, n.created), hd."user"
            FROM bench_next n
            LEFT JOIN bench_holder hd ON hd.position = n.to_position
            CROSS JOIN LATERAL (SELECT
                n.created + (1 + {h('n.id', 23, 20)}) * interval '1 hour'
                    AS read_at,
                n.created + (2 + {h('n.id', 24, 90)}) * interval '1 hour'
                    AS done_at) t""", {
                'reports': REPORTS, 'today': self.today}).rowcount

    def deliveries(self):
        "The items of the recipients of every distributed letter"
        return self.level("""
            SELECT r.letter, NULL::int AS parent, 'delivery' AS kind,
                r.kind = 'cc' AS is_copy, NULL::int AS from_position,
                a.operator_user AS from_user, a.short_name AS from_title,
                r.position AS to_position, u.sequence AS priority,
                NULL::date AS deadline,
                e.create_date + interval '10 minutes' AS created,
                l.age, l.state AS letter_state
            FROM esurat_letter_recipient r
            JOIN bench_letter l ON l.id = r.letter
            JOIN bench_agency a ON a.idx = l.agency
            JOIN esurat_letter e ON e.id = r.letter
            JOIN esurat_letter_urgency u ON u.id = e.urgency
            WHERE l.state IN ('distributed', 'archived')
            ORDER BY r.letter, r.id""")

    def dispositions(self):
        "The dispositions of the items that are disposed, level by level"
        return self.level(f"""
            SELECT p.letter, p.id AS parent, 'disposition' AS kind,
                false AS is_copy, p.to_position AS from_position,
                hp."user" AS from_user, hp.name AS from_title,
                b.subs[1 + ({h('p.id', 25, 'b.n')} + k) % b.n]
                    AS to_position,
                p.priority,
                CASE WHEN {h('p.id', 26, 100)} < 40
                    THEN p.created::date + 3 + {h('p.id', 27, 25)}
                    END AS deadline,
                p.created + (1 + {h('p.id', 28, 47)}) * interval '1 hour'
                    AS created,
                p.age, p.letter_state
            FROM bench_prev p
            JOIN bench_subs b ON b.position = p.to_position
            JOIN bench_holder hp ON hp.position = p.to_position
            CROSS JOIN generate_series(0, 1) k
            WHERE p.will_dispose
                AND (k = 0 OR ({h('p.id', 29, 100)} < b.p_two AND b.n > 1))
            ORDER BY p.id, k""")

    def instructions(self):
        instructions = [i for i, in self.execute(
                "SELECT id FROM esurat_disposition_instruction ORDER BY id")]
        self.execute(f"""
            INSERT INTO "esurat_disposition-esurat_disposition_instruction"
                (disposition, instruction, create_date, create_uid)
            SELECT d.id, (%(instructions)s::int[])[
                    1 + {h('d.id', 30, len(instructions))}],
                d.create_date, d.create_uid
            FROM esurat_disposition d WHERE d.kind = 'disposition'""", {
                'instructions': instructions})

    # Finishing ---------------------------------------------------------

    def signature(self, org):
        "A signed outgoing letter for the verification page"
        refs = self.execute("""SELECT
            (SELECT min(id) FROM esurat_classification),
            (SELECT min(id) FROM esurat_letter_type),
            (SELECT id FROM esurat_letter_urgency WHERE code = 'biasa'),
            (SELECT id FROM esurat_letter_confidentiality
                WHERE code = 'biasa')""").fetchone()
        sekda = org.sekda
        subject = "Penyampaian hasil evaluasi penyelenggaraan SPBE"
        number = f"000.1/1/SETDA/{self.today.year}"
        outgoing = self.scalar("""
            INSERT INTO esurat_outgoing (body, classification,
                letter_type, urgency, confidentiality, signer_position,
                drafter, drafter_position, state, subject, number, date,
                create_date, create_uid)
            VALUES (%s, %s, %s, %s, %s, %s, %s, %s, 'signed', %s, %s, %s,
                now(), 0) RETURNING id""", (
                "Bersama ini kami sampaikan hasil evaluasi.", *refs,
                sekda['id'], sekda['user']['id'], sekda['id'], subject,
                number, self.today))
        signature = self.scalar("""
            INSERT INTO esurat_signature (outgoing, number, date, subject,
                restricted, signer, signer_name, signer_nip, signer_title,
                position, signed_at, sha256, token, cancelled, file_name,
                create_date, create_uid)
            VALUES (%s, %s, %s, %s, false, %s, %s, %s, %s, %s,
                now() AT TIME ZONE 'UTC', %s, %s, false, %s, now(), 0)
            RETURNING id""", (
                outgoing, number, self.today, subject, sekda['user']['id'],
                sekda['user']['name'], sekda['user']['nip'], sekda['name'],
                sekda['id'], hashlib.sha256(number.encode()).hexdigest(),
                bench_token(), number.replace('/', '-') + '.pdf'))
        self.execute(
            "UPDATE esurat_outgoing SET signature = %s WHERE id = %s",
            (signature, outgoing))

    def sequences(self):
        "The units' agenda counters and the tables' id sequences"
        self.execute("""
            INSERT INTO esurat_unit_sequence (unit, year, kind, last_number,
                create_date, create_uid)
            SELECT unit, agenda_year, 'agenda', max(agenda_sequence), now(), 0
            FROM esurat_letter WHERE agenda_sequence IS NOT NULL
            GROUP BY unit, agenda_year""")
        for table in ['esurat_unit', 'esurat_position', 'res_user',
                'res_user-res_group', 'esurat_position_holding',
                'esurat_letter', 'esurat_letter_recipient',
                'esurat_disposition', 'esurat_unit_sequence',
                'esurat_disposition-esurat_disposition_instruction',
                'esurat_outgoing', 'esurat_signature']:
            self.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f"(SELECT COALESCE(max(id), 0) + 1 FROM \"{table}\"), false)")

    def drop_indexes(self, tables):
        "Drop the plain indexes of tables; return their definitions"
        rows = self.execute("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
                AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                    WHERE c.conname = i.indexname)""", (tables,)).fetchall()
        for name, _ in rows:
            self.execute(f'DROP INDEX "{name}"')
        return [definition for _, definition in rows]


def refresh_derived(database):
    "Fill what the code keeps derived from the data (DERIVED)"
    from trytond.pool import Pool
    from trytond.transaction import Transaction
    pool = Pool(database)
    pool.init()
    done = []
    with Transaction().start(database, 0) as transaction:
        for model, method, args in DERIVED:
            try:
                Model = pool.get(model)
            except KeyError:
                continue
            getattr(Model, method)(*args)
            done.append(f'{model}.{method}')
        transaction.commit()
    return done


def bench_token():
    "The verification token of the bench's signature (fixed: run.py uses it)"
    return 'bench' + hashlib.sha256(b'esurat-bench').hexdigest()[:27]


def generate(uri, database, scale, rebuild=False):
    started = time.perf_counter()
    timings = {}
    with tempfile.TemporaryDirectory(prefix='esurat-bench-') as work:
        work = Path(work)
        start = time.perf_counter()
        print(f"Database {database} at scale {scale}", flush=True)
        create_database(uri, database, rebuild, work)
        timings['activation'] = time.perf_counter() - start
        print(f"  {'activated database (template copy)':<40} "
            f"{timings['activation']:7.1f} s", flush=True)
        write_config(work / 'trytond.conf', uri, work / 'filestore')
        from trytond import config
        config.update_etc(str(work / 'trytond.conf'))
        agencies = max(9, round(60 * scale))
        org = Org(scale, random.Random(2026))
        org.build(agencies)
        start = time.perf_counter()
        with connect(uri, database) as conn:
            gen = Generator(conn, scale)
            gen.execute("SET session_replication_role = replica")
            gen.execute("SET maintenance_work_mem = '512MB'")
            gen.execute("SET synchronous_commit = off")
            big = ['esurat_letter', 'esurat_letter_recipient',
                'esurat_disposition',
                'esurat_disposition-esurat_disposition_instruction']
            indexes = gen.drop_indexes(big)
            gen.step(
                f"org: {len(org.units)} units, {len(org.users)} users",
                gen.org, org)
            letters = max(1, round(1_000_000 * scale))
            gen.step(f"{letters} letters", gen.letters, letters, org)
            gen.step("recipients", gen.recipients)
            count = gen.step("deliveries", gen.deliveries)
            total, depth = count, 0
            while count:
                depth += 1
                count = gen.step(
                    f"dispositions, level {depth}", gen.dispositions)
                total += count
            print(f"  ({total} deliveries and dispositions)")
            gen.step("instructions", gen.instructions)
            gen.step("signature for the verification page", gen.signature,
                org)
            gen.step("sequences", gen.sequences)
            gen.step(f"{len(indexes)} indexes", lambda: [
                    gen.execute(d) for d in indexes])
            conn.commit()
        start_derived = time.perf_counter()
        derived = refresh_derived(database)
        print(f"  {', '.join(derived) or 'nothing derived':<40} "
            f"{time.perf_counter() - start_derived:7.1f} s", flush=True)
        with connect(uri, database, autocommit=True) as conn:
            start_analyze = time.perf_counter()
            conn.execute("VACUUM ANALYZE")
            print(f"  {'VACUUM ANALYZE':<40} "
                f"{time.perf_counter() - start_analyze:7.1f} s")
        timings['data'] = time.perf_counter() - start
    timings['total'] = time.perf_counter() - started
    print(f"Generated in {timings['total']:.1f} s "
        f"(activation {timings['activation']:.1f} s, "
        f"data {timings['data']:.1f} s)")
    return timings


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0])
    parser.add_argument(
        '--uri', default=os.environ.get('TRYTOND_DATABASE_URI'),
        help="PostgreSQL server, e.g. postgresql://postgres@127.0.0.1:5432/ "
        "(default: TRYTOND_DATABASE_URI)")
    parser.add_argument('--database', default='esurat_bench')
    parser.add_argument('--scale', type=float, default=0.01)
    parser.add_argument(
        '--rebuild-template', action='store_true',
        help="activate the modules again even if they did not change")
    args = parser.parse_args()
    if not args.uri or not args.uri.startswith('postgresql'):
        parser.error("a postgresql:// --uri is needed")
    generate(args.uri, args.database, args.scale, args.rebuild_template)


if __name__ == '__main__':
    main()
