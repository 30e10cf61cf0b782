# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""A letter of each layout as the drafter writes it (render.LetterData):
read back by the render tests and drawn into doc/ by doc/layouts.py."""
import datetime
import io

from PIL import Image, ImageDraw

from trytond.modules.esurat_signing import render

NIP = '197803152005011002'
URL = 'https://surat.sukamaju.go.id/esurat/verify/q7Jf0mZk2VbXr9LtS4cWn8YhD1eG'
FOOTER = (
    "Dokumen ini ditandatangani secara elektronik menggunakan sertifikat "
    "elektronik yang diterbitkan oleh Otoritas Sertifikat Pengembangan "
    "e-Surat (bukan BSrE-BSSN). Sesuai Pasal 5 ayat (1) Undang-Undang Nomor "
    "11 Tahun 2008, informasi elektronik dan/atau hasil cetaknya merupakan "
    "alat bukti hukum yang sah. Keaslian dokumen dapat diperiksa dengan "
    "memindai kode QR atau di https://surat.sukamaju.go.id/esurat/verify "
    "dengan nomor dan tanggal surat.")


def lambang():
    "A stand-in for the lambang daerah: a shield"
    image = Image.new('RGBA', (240, 280), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(20, 20), (220, 20), (220, 150), (120, 260), (20, 150)],
        fill=(30, 100, 60, 255), outline=(200, 160, 20, 255), width=10)
    draw.ellipse((80, 60, 160, 140), fill=(230, 190, 40, 255))
    output = io.BytesIO()
    image.save(output, 'PNG')
    return output.getvalue()


BODIES = {
    'surat_dinas': (
        "Sehubungan dengan pelaksanaan Sistem Pemerintahan Berbasis "
        "Elektronik (SPBE), kami mohon Saudara menyampaikan data berikut "
        "paling lambat tanggal **15 Desember 2026**:\n\n"
        "1. daftar aplikasi yang digunakan unit kerja;\n"
        "2. data infrastruktur jaringan:\n"
        "   a. jumlah titik akses;\n"
        "   b. kapasitas bandwidth.\n\n"
        "| No | Jenis Data | Format |\n"
        "|---|---|---|\n"
        "| 1 | Daftar aplikasi | Lembar kerja |\n"
        "| 2 | Infrastruktur | Formulir terlampir |\n\n"
        "Demikian disampaikan, atas perhatian dan kerja sama Saudara "
        "diucapkan terima kasih."),
    'surat_undangan': (
        "Dalam rangka evaluasi pelaksanaan program kesehatan masyarakat "
        "tahun 2026, kami mengundang Saudara untuk hadir pada:\n\n"
        "hari/tanggal : Senin, 7 Desember 2026\n"
        "pukul : 09.00 WIB s.d. selesai\n"
        "tempat : Aula Dinas Kesehatan\n"
        "    Gedung B, Jalan Pahlawan Nomor 3\n"
        "acara : Rapat Koordinasi Evaluasi Program\n\n"
        "Mengingat pentingnya acara tersebut, kehadiran Saudara *tidak "
        "dapat diwakilkan*.\n\n"
        "Demikian undangan ini disampaikan, atas perhatian Saudara "
        "diucapkan terima kasih."),
    'nota_dinas': (
        "Bersama ini kami laporkan capaian program triwulan III:\n\n"
        "- imunisasi dasar lengkap 92 %;\n"
        "- kunjungan ibu hamil 88 %.\n\n"
        "Mohon arahan Bapak untuk tindak lanjutnya."),
    'surat_perintah': (
        "Dasar:\n"
        "a. Peraturan Bupati Sukamaju Nomor 12 Tahun 2025 tentang "
        "Kedudukan, Susunan Organisasi, Tugas dan Fungsi Dinas Kesehatan;\n"
        "b. Daftar Pelaksanaan Anggaran Dinas Kesehatan Tahun 2026.\n\n"
        "Untuk:\n"
        "1. melaksanakan pendataan sarana kesehatan di Kecamatan Sukamaju "
        "pada tanggal 8 sampai dengan 10 Desember 2026;\n"
        "2. melaporkan hasilnya kepada Kepala Dinas Kesehatan."),
    'surat_edaran': (
        "Dalam rangka meningkatkan kewaspadaan terhadap demam berdarah "
        "dengue pada musim hujan, dengan ini diminta kepada Saudara untuk:\n\n"
        "1. menggiatkan pemberantasan sarang nyamuk setiap Jumat;\n"
        "2. melaporkan kasus baru dalam 1 × 24 jam.\n\n"
        "Demikian Surat Edaran ini untuk dilaksanakan."),
    'keputusan': (
        "Menimbang:\n"
        "a. bahwa untuk kelancaran pelaksanaan SPBE perlu dibentuk Tim "
        "Koordinasi;\n"
        "b. bahwa berdasarkan pertimbangan sebagaimana dimaksud dalam huruf "
        "a, perlu menetapkan Keputusan Kepala Dinas.\n\n"
        "Mengingat:\n"
        "1. Undang-Undang Nomor 23 Tahun 2014 tentang Pemerintahan Daerah;\n"
        "2. Peraturan Presiden Nomor 95 Tahun 2018 tentang SPBE.\n\n"
        "Menetapkan:\n"
        "KEPUTUSAN KEPALA DINAS KESEHATAN TENTANG TIM KOORDINASI SPBE.\n\n"
        "KESATU:\n"
        "Membentuk Tim Koordinasi SPBE dengan susunan sebagaimana "
        "tercantum dalam Lampiran.\n\n"
        "KEDUA:\n"
        "Keputusan ini mulai berlaku pada tanggal ditetapkan."),
    'surat_keterangan': (
        "Yang bertanda tangan di bawah ini menerangkan bahwa:\n\n"
        "nama : Siti Rahmawati, S.Kep.\n"
        "NIP : 199001012015032001\n"
        "jabatan : Perawat Ahli Pertama\n\n"
        "benar bertugas di Puskesmas Sukamaju sejak 1 Maret 2015.\n\n"
        "Demikian surat keterangan ini dibuat untuk dipergunakan "
        "sebagaimana mestinya."),
    'surat_pengantar': (
        "| No | Naskah Dinas/Barang | Banyaknya | Keterangan |\n"
        "|---|---|---|---|\n"
        "| 1 | Laporan Capaian Program Imunisasi Triwulan III | 1 (satu) "
        "berkas | Untuk diketahui |\n"
        "| 2 | Data Sasaran Imunisasi 2027 | 2 (dua) berkas | Untuk "
        "ditindaklanjuti |"),
    'telaah_staf': (
        "Persoalan:\n"
        "Cakupan imunisasi dasar lengkap triwulan III baru 71 %.\n\n"
        "Praanggapan:\n"
        "Target tahunan 95 % masih dapat dicapai.\n\n"
        "Fakta yang Mempengaruhi:\n"
        "1. vaksin tersedia di semua puskesmas;\n"
        "2. dua puskesmas kekurangan tenaga vaksinator.\n\n"
        "Analisis:\n"
        "Kekurangan tenaga menurunkan jumlah sesi posyandu.\n\n"
        "Kesimpulan:\n"
        "Perlu tambahan tenaga vaksinator sementara.\n\n"
        "Saran:\n"
        "Menugaskan vaksinator dari puskesmas terdekat."),
    }

# (layout of esurat.letter.type, title, subject, addressees) per type code
TYPES = {
    'surat_dinas': ('letter', "SURAT DINAS",
        "Permintaan Data SPBE", ("Kepala Puskesmas Sukamaju",)),
    'surat_undangan': ('letter', "SURAT UNDANGAN", "Undangan",
        ("Kepala Puskesmas Sukamaju", "Kepala Puskesmas Cibeber")),
    'nota_dinas': ('memo', "NOTA DINAS", "Laporan Capaian Triwulan III",
        ("Sekretaris Daerah",)),
    'surat_perintah': ('order', "SURAT PERINTAH", "Pendataan Sarana",
        ("dr. Andi Wijaya, Kepala Seksi Pelayanan Kesehatan",
            "Rina Marlina, S.K.M., Pengelola Data")),
    'surat_edaran': ('circular', "SURAT EDARAN",
        "Kewaspadaan Demam Berdarah Dengue",
        ("Kepala Puskesmas se-Kabupaten Sukamaju",)),
    'keputusan': ('decree', "KEPUTUSAN", "Tim Koordinasi SPBE", ()),
    'surat_keterangan': ('statement', "SURAT KETERANGAN", "Keterangan Kerja",
        ()),
    'surat_pengantar': ('letter', "SURAT PENGANTAR",
        "Pengiriman Laporan Imunisasi", ("Kepala Dinas Kesehatan Provinsi",)),
    'telaah_staf': ('memo', "TELAAH STAF", "Kekurangan Tenaga Vaksinator",
        ("Kepala Dinas Kesehatan",)),
    }


def letter(code, **values):
    "The sample letter of the letter type code, values replacing its own"
    layout, title, subject, addressees = TYPES[code]
    return render.LetterData(**{
            'layout': layout,
            'letter_type': code,
            'letterhead': render.Letterhead(
                "PEMERINTAH KABUPATEN SUKAMAJU", "DINAS KESEHATAN",
                "Jalan Merdeka Nomor 17, Sukamaju 43111",
                "Telepon (0263) 555-0101, Pos-el dinkes@sukamaju.go.id",
                lambang()),
            'place': "Sukamaju",
            'date': datetime.date(2026, 12, 1),
            'number': "400.7/123/DINKES/2026",
            'subject': subject,
            'body': BODIES[code],
            'signer': render.SignerBlock(
                "Kepala Dinas Kesehatan", "dr. Hendra Gunawan, M.Kes.", NIP,
                rank="Pembina Utama Muda (IV/c)"),
            'verify_url': URL,
            'footer': FOOTER,
            'urgency': "Biasa",
            'addressees': addressees,
            'copies': ("Bupati Sukamaju", "Sekretaris Daerah"),
            'sender': "Kepala Dinas Kesehatan",
            'title': title,
            **values})
