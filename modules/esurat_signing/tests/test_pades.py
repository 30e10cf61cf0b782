# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Unit tests of pades.py and render.py (no database)"""
import datetime
import io
import random
import re
import unittest
import zlib

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import NameOID
from PIL import Image
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from trytond.modules.esurat_signing import markup, pades, render
from trytond.modules.esurat_signing.tests import letters
from trytond.modules.esurat_signing.tests.tools import page_texts, qr_codes

UTC = datetime.UTC
NIP = '198001012005011001'
URL = 'https://esurat.example.go.id/db/verify/q7Jf0mZk2VbXr9LtS4cWn8YhD1eG'
FOOTER = (
    "Dokumen ini ditandatangani secara elektronik menggunakan sertifikat "
    "elektronik yang diterbitkan oleh Otoritas Uji. Keaslian dapat diperiksa "
    "di https://esurat.example.go.id/db/verify.")
PARAGRAPH = (
    "Sehubungan dengan pelaksanaan program peningkatan mutu pelayanan "
    "kesehatan masyarakat, setiap unit kerja diminta menyusun rencana tindak "
    "lanjut hasil evaluasi triwulan ketiga dan menyampaikannya tepat waktu.")


def logo():
    image = Image.new('RGBA', (60, 70), (0, 0, 0, 0))
    image.paste((20, 90, 160, 255), (10, 10, 50, 60))
    output = io.BytesIO()
    image.save(output, 'PNG')
    return output.getvalue()


def letter(layout='letter', **values):
    "A letter of layout, values replacing the defaults"
    return render.LetterData(**{
            'layout': layout,
            'letterhead': render.Letterhead(
                "PEMERINTAH KABUPATEN SUKAMAJU", "DINAS KESEHATAN",
                "Jalan Merdeka Nomor 17", "Telepon (021) 555-0101", logo()),
            'place': "Sukamaju",
            'date': datetime.date(2026, 11, 23),
            'number': "000.1.2/123/426.101/2026",
            'subject': "Rapat Koordinasi",
            'body': PARAGRAPH,
            'signer': render.SignerBlock(
                "Sekretaris", "dr. Budi Santoso", NIP, 'a.n.',
                "Kepala Dinas Kesehatan"),
            'verify_url': URL,
            'footer': FOOTER,
            'urgency': "Segera",
            'addressees': ("Kepala Puskesmas Sukamaju",),
            'copies': ("Bupati Sukamaju", "Inspektur"),
            'sender': "Kepala Dinas",
            'title': "Surat Edaran",
            **values})


def page_count(pdf):
    return PdfFileReader(io.BytesIO(pdf)).root['/Pages']['/Count']


def content(pdf):
    "The content streams of all pages, decompressed"
    reader = PdfFileReader(io.BytesIO(pdf))
    streams = []
    for index in range(page_count(pdf)):
        page = reader.root['/Pages']['/Kids'][index]
        contents = page['/Contents']
        if isinstance(contents, generic.ArrayObject):
            streams.extend(c.data for c in contents)
        else:
            streams.append(contents.data)
    return b'\n'.join(streams)


class RenderTestCase(unittest.TestCase):
    "The letter PDF"

    def test_format_date_id(self):
        self.assertEqual(
            render.format_date_id(datetime.date(2026, 11, 23)),
            '23 November 2026')
        self.assertEqual(
            render.format_date_id(datetime.date(2027, 1, 3)), '3 Januari 2027')

    def test_letter(self):
        pdf = render.render_letter(letter())
        self.assertTrue(pdf.startswith(b'%PDF'))
        self.assertEqual(page_count(pdf), 1)
        text = content(pdf)
        for expected in [
                b'PEMERINTAH KABUPATEN SUKAMAJU', b'DINAS KESEHATAN',
                b'Sukamaju, 23 November 2026', b'Nomor',
                b'000.1.2/123/426.101/2026', b'Sifat', b'Segera', b'Hal',
                b'Yth. Kepala Puskesmas Sukamaju', b'di Tempat',
                b'a.n. KEPALA DINAS KESEHATAN', b'(Sekretaris,)',
                b'Ditandatangani secara elektronik', b'dr. Budi Santoso',
                b'NIP. ' + NIP.encode(), b'Tembusan:', b'1. Bupati Sukamaju',
                b'Otoritas Uji']:
            self.assertIn(expected, text)
        self.assertNotIn(b'- 2 -', text)
        # The logo is an image XObject of the first page
        reader = PdfFileReader(io.BytesIO(pdf))
        resources = reader.root['/Pages']['/Kids'][0]['/Resources']
        images = [
            x for x in resources['/XObject'].values()
            if x.get_object()['/Subtype'] == '/Image']
        self.assertEqual(len(images), 1)

    def test_broken_logo(self):
        "A unit without lambang, or with a broken one: a warning, a letter"
        for logo_ in [b'not an image', None]:
            with self.subTest(logo=logo_), self.assertLogs(
                    render.logger, 'WARNING'):
                pdf = render.render_letter(letter(
                        letterhead=render.Letterhead(
                            "PEMERINTAH KABUPATEN SUKAMAJU",
                            "DINAS KESEHATAN", logo=logo_)))
                self.assertIn(b'DINAS KESEHATAN', content(pdf))

    def test_layouts(self):
        memo = content(render.render_letter(letter('memo', title='')))
        for expected in [b'NOTA DINAS', b'Dari', b'Kepala Dinas',
                b'Tanggal', b'23 November 2026', b'Tembusan']:
            self.assertIn(expected, memo)
        self.assertNotIn(b'Sukamaju, 23 November', memo)
        titled = content(render.render_letter(letter('titled')))
        for expected in [b'SURAT EDARAN', b'NOMOR 000.1.2/123/426.101/2026',
                b'TENTANG', b'RAPAT KOORDINASI',
                b'Sukamaju, 23 November 2026']:
            self.assertIn(expected, titled)
        self.assertNotIn(b'Yth.', titled)
        statement = content(render.render_letter(
                    letter('statement', title="Surat Keterangan")))
        self.assertIn(b'SURAT KETERANGAN', statement)
        self.assertNotIn(b'TENTANG', statement)
        # esurat_base's layout names are understood
        decree = content(render.render_letter(letter('decree')))
        self.assertIn(b'TENTANG', decree)

    def test_signer_prefix(self):
        text = content(render.render_letter(letter(
                    signer=render.SignerBlock(
                        "Kepala Dinas Kesehatan", "Siti", prefix='Plt.'))))
        self.assertIn(b'(Plt. KEPALA DINAS KESEHATAN,)', text)
        self.assertNotIn(b'NIP.', text)

    def test_signature_block(self):
        """Jabatan in capitals ended by a comma, the a.n. line under it as
        written, pangkat/golongan between name and NIP"""
        page, = page_texts(render.render_letter(letter(
                    signer=render.SignerBlock(
                        "Sekretaris Daerah", "Ir. Ahmad", NIP, 'a.n.',
                        "Bupati Sukamaju",
                        rank="Pembina Utama Muda (IV/c)"))))
        self.assertIn(
            "a.n. BUPATI SUKAMAJU Sekretaris Daerah, Kode QR", page.replace(
                "Ditandatangani secara elektronik", "Kode QR"))
        self.assertIn(
            f"Ir. Ahmad Pembina Utama Muda (IV/c) NIP. {NIP}", page)
        self.assertNotIn("SEKRETARIS DAERAH", page)
        page, = page_texts(render.render_letter(letter(
                    signer=render.SignerBlock(
                        "Kepala Dinas Kesehatan", "dr. Siti", NIP))))
        self.assertIn("KEPALA DINAS KESEHATAN, Ditandatangani", page)
        self.assertIn(f"dr. Siti NIP. {NIP}", page)

    def test_copies_numbered_when_several(self):
        one, = page_texts(render.render_letter(letter(
                    copies=("Bupati Sukamaju",))))
        self.assertIn("Tembusan: Bupati Sukamaju", one)
        self.assertNotIn("1. Bupati", one)
        two, = page_texts(render.render_letter(letter()))
        self.assertIn("Tembusan: 1. Bupati Sukamaju 2. Inspektur", two)

    def test_long_letter(self):
        body = '\n\n'.join([PARAGRAPH] * 30)
        pdf = render.render_letter(letter(body=body))
        self.assertGreaterEqual(page_count(pdf), 2)
        text = content(pdf)
        self.assertIn(b'- 2 -', text)
        self.assertNotIn(b'- 1 -', text)
        # The statement is at the foot of every page, below the text
        pages = page_texts(pdf)
        self.assertEqual(len(pages), page_count(pdf))
        for page in pages:
            self.assertTrue(page.endswith(FOOTER), page[-200:])
            self.assertEqual(page.count("Otoritas Uji"), 1)

    def test_user_text_escaped(self):
        body = 'Harga <b>naik</b> & turun <i>\nbaris <font size="40">2'
        pdf = render.render_letter(letter(
                body=body, subject='A & <B>'), compress=False)
        # Paragraph shows the text in pieces: join them
        text = re.sub(rb'\)\s*Tj\s*\(', b'', content(pdf))
        self.assertIn(b'Harga <b>naik</b> & turun <i>', text)
        self.assertIn(b'baris <font size="40">2', text)
        self.assertIn(b'A & <B>', text)
        # Unencodable characters do not break rendering either
        render.render_letter(letter(body='\u2265 \U0001f600 \u201cx\u201d'))

    def test_uncompressed(self):
        pdf = render.render_letter(letter(), compress=False)
        self.assertIn(b'Otoritas Uji', pdf)
        self.assertIn(b'Ditandatangani secara elektronik', pdf)

    def test_qr_code(self):
        "The QR code drawn is the one of the verification URL"
        text = content(render.render_letter(letter())).decode('latin-1')
        runs = re.findall(r'^(\d+) -(\d+) (\d+) -1(?:\.04)? re$', text,
            re.MULTILINE)
        self.assertTrue(runs)
        expected = render.qr_matrix(URL)
        drawn = [[False] * len(expected) for _ in expected]
        for column, row, width in runs:
            for index in range(int(column), int(column) + int(width)):
                drawn[int(row)][index] = True
        self.assertEqual(drawn, [[bool(m) for m in row] for row in expected])

    def test_qr_code_scans(self):
        "A QR reader finds the verification URL on the rendered page"
        self.assertEqual(qr_codes(render.render_letter(letter())), [URL])


def where(pdf, *texts):
    """(page, x, top) of the first occurrence of each text, in reading
    order: sorting by (page, -top) gives the order on paper"""
    import pypdfium2
    document = pypdfium2.PdfDocument(pdf)
    found = []
    try:
        for text in texts:
            for index in range(len(document)):
                textpage = document[index].get_textpage()
                match = textpage.search(text, match_case=True).get_next()
                if match:
                    # The font's box, not the glyph's ink: one origin
                    left, _, _, top = textpage.get_charbox(
                        match[0], loose=True)
                    found.append((index, round(left, 1), round(top, 1)))
                    break
            else:
                raise AssertionError(f"{text!r} not in the PDF")
    finally:
        document.close()
    return found


def centres(pdf, *texts):
    "The horizontal centre of the first occurrence of each text"
    import pypdfium2
    document = pypdfium2.PdfDocument(pdf)
    found = []
    try:
        for text in texts:
            for index in range(len(document)):
                textpage = document[index].get_textpage()
                match = textpage.search(text, match_case=True).get_next()
                if match:
                    start, count = match
                    left = textpage.get_charbox(start, loose=True)[0]
                    right = textpage.get_charbox(
                        start + count - 1, loose=True)[2]
                    found.append((left + right) / 2)
                    break
            else:
                raise AssertionError(f"{text!r} not in the PDF")
    finally:
        document.close()
    return found


class LayoutTestCase(unittest.TestCase):
    """Each layout puts its blocks where Tata Naskah Dinas has them (read
    back from the PDF as a reader does)"""

    def assertInOrder(self, pdf, *texts):
        "texts in reading order: lower on the page, or further on a line"
        places = list(zip(texts, where(pdf, *texts)))
        for (_, (page, x, top)), (_, (next_page, next_x, next_top)) in zip(
                places, places[1:]):
            self.assertTrue(
                (next_page, -next_top) > (page, -top + 2)
                or (next_page == page and abs(next_top - top) <= 2
                    and next_x > x), places)

    def assertAligned(self, pdf, *texts):
        "texts start at the same x"
        places = list(zip(texts, where(pdf, *texts)))
        xs = [x for _, (_, x, _) in places]
        self.assertLess(max(xs) - min(xs), 0.5, places)

    def render(self, code, **values):
        return render.render_letter(letters.letter(code, **values))

    def test_surat_dinas(self):
        pdf = self.render('surat_dinas')
        self.assertInOrder(
            pdf, "Sukamaju, 1 Desember 2026", "Nomor :", "Hal :",
            "Yth. Kepala Puskesmas", "di Tempat", "Sehubungan",
            "1. daftar", "a. jumlah", "Daftar aplikasi", "Demikian",
            "KEPALA DINAS KESEHATAN,", "dr. Hendra")
        # Nested list items and the table's rows, in their columns
        self.assertAligned(pdf, "daftar aplikasi yang", "data infra", "a.")
        self.assertAligned(
            pdf, "Jenis Data", "Daftar aplikasi", "Infrastruktur")
        text = ' '.join(page_texts(pdf))
        self.assertIn("paling lambat tanggal 15 Desember 2026:", text)
        self.assertNotIn("**", text)

    def test_surat_undangan(self):
        "The acara block: keys, colons and values in their columns"
        pdf = self.render('surat_undangan')
        self.assertInOrder(
            pdf, "Yth.", "1. Kepala Puskesmas Sukamaju", "di Tempat",
            "Dalam rangka", "hari/tanggal", "pukul", "tempat", "acara :",
            "Mengingat", "KEPALA DINAS KESEHATAN,")
        self.assertAligned(pdf, "hari/tanggal", "pukul", "tempat", "acara")
        self.assertAligned(
            pdf, "Senin, 7", "09.00 WIB", "Aula Dinas",
            "Gedung B", "Rapat Koordinasi")
        (_, key, _), (_, value, _) = where(pdf, "hari/tanggal", "Senin")
        self.assertGreater(value - key, 2 * render.cm)

    def test_nota_dinas(self):
        pdf = self.render('nota_dinas')
        self.assertInOrder(
            pdf, "NOTA DINAS", "Yth.", "Dari", "Tembusan", "Tanggal",
            "Nomor :", "Hal :", "Bersama ini", "imunisasi", "kunjungan",
            "KEPALA DINAS KESEHATAN,")
        self.assertAligned(pdf, "imunisasi", "kunjungan")
        self.assertNotIn("Sukamaju, 1 Desember", page_texts(pdf)[0])

    def test_surat_perintah(self):
        """Dasar, MEMERINTAHKAN:, Kepada (the addressees), Untuk, their
        texts aligned; no TENTANG; issued at the foot"""
        pdf = self.render('surat_perintah')
        self.assertInOrder(
            pdf, "SURAT PERINTAH", "NOMOR 400.7/123/DINKES/2026", "Dasar",
            "MEMERINTAHKAN:", "Kepada", "dr. Andi Wijaya", "Rina Marlina",
            "Untuk", "melaksanakan", "Dikeluarkan di Sukamaju",
            "pada tanggal 1 Desember 2026", "KEPALA DINAS KESEHATAN,")
        self.assertAligned(pdf, "Dasar", "Kepada", "Untuk")
        self.assertAligned(pdf, "a. Peraturan", "1. dr. Andi", "1. melaks")
        # Title, number and the order centred over the text
        middle = (render.PAGE_WIDTH + render.MARGIN_LEFT
            - render.MARGIN_RIGHT) / 2
        for centre in centres(pdf, "SURAT PERINTAH",
                "NOMOR 400.7/123/DINKES/2026", "MEMERINTAHKAN:"):
            self.assertAlmostEqual(centre, middle, delta=1)
        text = ' '.join(page_texts(pdf))
        # Each label with its colon; no addressee block, Hal nor TENTANG
        self.assertRegex(text, r"Dasar : a\. Peraturan .* MEMERINTAHKAN: "
            r"Kepada : 1\. dr\. Andi .* Untuk : 1\. melaksanakan")
        for absent in ["TENTANG", "Pendataan Sarana", "Yth.", "Hal :",
                "Sifat", "di Tempat"]:
            self.assertNotIn(absent, text)
        # A surat tugas assigns; a Kepada written by the drafter is kept
        pdf = self.render(
            'surat_perintah', letter_type='surat_tugas', title="SURAT TUGAS",
            body="Dasar:\nNota Dinas.\n\nKepada:\nBudi\n\nUntuk:\nHadir.")
        self.assertInOrder(pdf, "SURAT TUGAS", "Dasar", "MENUGASKAN:",
            "Kepada", "Budi", "Untuk", "Hadir.")
        self.assertNotIn("Andi", page_texts(pdf)[0])

    def test_surat_edaran(self):
        pdf = self.render('surat_edaran')
        self.assertInOrder(
            pdf, "Yth. Kepala Puskesmas se-Kabupaten", "di Tempat",
            "SURAT EDARAN", "NOMOR", "TENTANG", "KEWASPADAAN DEMAM",
            "Dalam rangka", "1. menggiatkan", "Demikian Surat Edaran",
            "Dikeluarkan di Sukamaju", "KEPALA DINAS KESEHATAN,")

    def test_keputusan(self):
        pdf = self.render('keputusan')
        self.assertInOrder(
            pdf, "KEPUTUSAN KEPALA DINAS KESEHATAN", "NOMOR", "TENTANG",
            "TIM KOORDINASI SPBE", "KEPALA DINAS KESEHATAN,", "Menimbang",
            "Mengingat", "MEMUTUSKAN:", "Menetapkan", "KESATU", "KEDUA",
            "Ditetapkan di Sukamaju", "pada tanggal 1 Desember 2026")
        self.assertAligned(
            pdf, "Menimbang", "Mengingat", "Menetapkan", "KESATU", "KEDUA")
        self.assertAligned(pdf, "a. bahwa untuk", "1. Undang", "Membentuk")

    def test_surat_keterangan(self):
        pdf = self.render('surat_keterangan')
        self.assertInOrder(
            pdf, "SURAT KETERANGAN", "NOMOR", "Yang bertanda", "nama",
            "NIP :", "jabatan", "benar bertugas", "Sukamaju, 1 Desember 2026")
        self.assertAligned(pdf, "Siti Rahmawati", "199001012015032001",
            "Perawat Ahli")
        self.assertNotIn("TENTANG", page_texts(pdf)[0])

    def test_surat_pengantar(self):
        """The table of what is sent under its own heading, numbered by the
        letter (the drafter's numbers and heading row left out), then the
        sender's signature and the receiver's receipt"""
        pdf = self.render('surat_pengantar')
        self.assertInOrder(
            pdf, "Sukamaju, 1 Desember 2026", "Yth. Kepala Dinas Kesehatan",
            "di Tempat", "SURAT PENGANTAR", "NOMOR 400.7/123/DINKES/2026",
            "Naskah Dinas/Barang yang Dikirimkan", "Banyaknya", "Keterangan",
            "1. Laporan Capaian", "1 (satu) berkas", "Untuk diketahui",
            "2. Data Sasaran", "KEPALA DINAS KESEHATAN,",
            "Diterima tanggal", "Penerima,")
        self.assertAligned(pdf, "No ", "1. Laporan", "2. Data")
        self.assertAligned(
            pdf, "Banyaknya", "1 (satu) berkas", "2 (dua) berkas")
        text = ' '.join(page_texts(pdf))
        self.assertEqual(text.count("Naskah Dinas/Barang"), 1)
        self.assertNotIn("Hal :", text)
        # Without a table, each list item is an item sent
        pdf = self.render(
            'surat_pengantar', body="1. Surat Keputusan\n2. Peta lokasi")
        self.assertInOrder(
            pdf, "Keterangan", "1. Surat Keputusan", "2. Peta lokasi")

    def test_telaah_staf(self):
        "Kepada, Dari, ..., Perihal; its parts numbered and aligned"
        pdf = self.render('telaah_staf', enclosures="1 (satu) berkas")
        self.assertInOrder(
            pdf, "TELAAH STAF", "Kepada Yth.", "Dari", "Tanggal", "Nomor :",
            "Lampiran : 1 (satu) berkas", "Perihal :",
            "1. Persoalan", "2. Praanggapan", "3. Fakta yang Mempengaruhi",
            "1. vaksin", "4. Analisis", "5. Kesimpulan", "6. Saran",
            "KEPALA DINAS KESEHATAN,")
        self.assertAligned(
            pdf, "1. Persoalan", "2. Praanggapan", "6. Saran")
        self.assertAligned(pdf, "Cakupan", "Target", "Menugaskan")
        text = page_texts(pdf)[0]
        self.assertNotIn("Tembusan", text)
        self.assertNotIn("Sukamaju, 1 Desember", text)

    def test_markup_escaped(self):
        """reportlab's tags and entities in any block print as typed; the
        markup's own marks print when escaped or unpaired"""
        hostile = (
            '<b>x</b> & &amp; <font size="40"> <para> <br/> <img src="a"/>')
        body = '\n\n'.join([
                hostile,
                f'1. {hostile}\n   a. {hostile}',
                f'hari : {hostile}',
                f'| {hostile} | <i> |',
                f'Dasar:\n{hostile}',
                '\\*bintang\\* **tebal *miring***  2 * 3 * 4 __',
                ])
        page, = page_texts(self.render('surat_dinas', body=body))
        self.assertEqual(page.count(hostile), 6, page)
        self.assertIn("*bintang* tebal miring 2 * 3 * 4 __", page)
        blocks = markup.parse('**a *b*** c')
        self.assertEqual(
            [(r.text, r.bold, r.italic) for r in blocks[0].lines[0]],
            [('a ', True, False), ('b', True, True), (' c', False, False)])

    def test_prose_stays_prose(self):
        """A sentence ending with a colon, or with colons inside, is text;
        a short line ending with one and a blank line labels nothing"""
        body = (
            "Dengan hormat:\n\n"
            "Bersama ini kami sampaikan hal berikut:\n"
            "pukul 10:00 di ruang rapat.")
        blocks = markup.parse(body)
        self.assertEqual(
            [(type(b), getattr(b, 'blocks', None)) for b in blocks],
            [(markup.Section, []), (markup.Paragraph, None)])
        self.assertEqual(len(blocks[1].lines), 2)
        self.assertAligned(
            self.render('surat_dinas', body=body), "Dengan hormat:",
            "Bersama ini", "pukul 10:00")

    def test_preview(self):
        "A draft: KONSEP on every page, no QR code, no signed caption"
        body = '\n\n'.join([PARAGRAPH] * 30)
        pdf = self.render(
            'surat_undangan', body=body, draft=True, verify_url='')
        pages = page_texts(pdf)
        self.assertGreaterEqual(len(pages), 2)
        for index, page in enumerate(pages):
            self.assertIn("KONSEP", page)
            self.assertEqual(qr_codes(pdf, page=index), [])
        self.assertNotIn("Ditandatangani secara elektronik", pages[-1])
        self.assertNotIn("KONSEP", ' '.join(page_texts(
                    self.render('surat_undangan'))))


class PadesTestCase(unittest.TestCase):
    "Certificates, signatures and their validation"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        now = datetime.datetime.now(UTC)
        cls.validity = (
            now - datetime.timedelta(minutes=5),
            now + datetime.timedelta(days=30))
        cls.ca = pades.DevelopmentCA.create("Test CA", 'ca secret')
        cls.issued = cls.ca.issue(
            "Budi Santoso", NIP, 'user secret', *cls.validity)
        cls.signer = pades.LocalSigner(
            cls.issued.certificate_pem, cls.issued.encrypted_key_pem,
            'user secret', cls.ca.certificate_pem)
        cls.pdf = render.render_letter(letter())
        cls.signed = cls.signer.sign(
            cls.pdf, reason="Rapat Koordinasi", location="Sukamaju",
            name="Budi Santoso")

    def validate(self, pdf, trust=None, revoked=frozenset()):
        return pades.validate(
            pdf, trust or self.ca.certificate_pem, revoked=revoked)

    def test_ca(self):
        ca = self.ca
        self.assertIn(b'ENCRYPTED', ca.encrypted_key_pem)
        certificate = x509.load_pem_x509_certificate(ca.certificate_pem)
        self.assertTrue(certificate.extensions.get_extension_for_class(
                x509.BasicConstraints).value.ca)
        usage = certificate.extensions.get_extension_for_class(
            x509.KeyUsage).value
        self.assertTrue(usage.key_cert_sign and usage.crl_sign)

        loaded = pades.DevelopmentCA.load(
            ca.certificate_pem, ca.encrypted_key_pem, 'ca secret',
            revoked={42})
        self.assertEqual(loaded.certificate_pem, ca.certificate_pem)
        self.assertEqual(loaded.revoked, frozenset({42}))
        with self.assertRaises(pades.WrongPassphrase):
            pades.DevelopmentCA.load(
                ca.certificate_pem, ca.encrypted_key_pem, 'wrong')

    def test_issue(self):
        issued = self.issued
        self.assertIn(b'ENCRYPTED', issued.encrypted_key_pem)
        self.assertNotIn(b'BEGIN PRIVATE KEY', issued.encrypted_key_pem)
        certificate = x509.load_pem_x509_certificate(issued.certificate_pem)
        self.assertEqual(certificate.serial_number, issued.serial)
        self.assertGreater(issued.serial, 2 ** 64)
        subject = certificate.subject
        self.assertEqual(subject.get_attributes_for_oid(
                NameOID.COMMON_NAME)[0].value, "Budi Santoso")
        self.assertEqual(subject.get_attributes_for_oid(
                NameOID.SERIAL_NUMBER)[0].value, NIP)
        self.assertEqual(subject.get_attributes_for_oid(
                NameOID.ORGANIZATION_NAME)[0].value, "e-Surat Development")
        usage = certificate.extensions.get_extension_for_class(
            x509.KeyUsage).value
        self.assertTrue(usage.digital_signature and usage.content_commitment)
        self.assertFalse(usage.key_cert_sign)
        self.assertEqual(
            certificate.not_valid_after_utc.replace(microsecond=0),
            self.validity[1].replace(microsecond=0))
        ca = x509.load_pem_x509_certificate(self.ca.certificate_pem)
        self.assertEqual(certificate.issuer, ca.subject)
        ca.public_key().verify(
            certificate.signature, certificate.tbs_certificate_bytes,
            PKCS1v15(), certificate.signature_hash_algorithm)

    def test_signer(self):
        self.assertIsInstance(self.signer, pades.Signer)
        self.assertEqual(self.signer.serial, self.issued.serial)
        self.assertEqual(self.signer.subject, "Budi Santoso")
        with self.assertRaises(pades.WrongPassphrase):
            pades.LocalSigner(
                self.issued.certificate_pem, self.issued.encrypted_key_pem,
                'wrong', self.ca.certificate_pem)
        # The key of the CA does not belong to the user's certificate
        with self.assertRaises(pades.WrongPassphrase):
            pades.LocalSigner(
                self.issued.certificate_pem, self.ca.encrypted_key_pem,
                'ca secret', self.ca.certificate_pem)

    def test_sign_validate(self):
        signed = self.signed
        self.assertTrue(signed.startswith(self.pdf))
        reader = PdfFileReader(io.BytesIO(signed))
        signature, = reader.embedded_signatures
        self.assertEqual(signature.field_name, 'Signature1')
        self.assertEqual(
            signature.sig_object['/SubFilter'], '/ETSI.CAdES.detached')
        self.assertEqual(signature.sig_object['/Reason'], "Rapat Koordinasi")
        self.assertEqual(signature.sig_object['/Location'], "Sukamaju")

        validation = self.validate(signed)
        self.assertTrue(validation.intact)
        self.assertTrue(validation.valid)
        self.assertTrue(validation.trusted)
        self.assertFalse(validation.revoked)
        self.assertEqual(validation.signer, "Budi Santoso")
        self.assertEqual(validation.serial, self.issued.serial)
        self.assertLess(
            abs(validation.signed_at - datetime.datetime.now(UTC)),
            datetime.timedelta(minutes=5))
        self.assertEqual(self.ca.validate(signed), validation)

    def test_sign_twice_same_signer(self):
        "A warm signer signs again, each signature valid"
        other = self.signer.sign(render.render_letter(letter(body="Lain.")))
        validation = self.validate(other)
        self.assertTrue(validation.intact and validation.valid)

    def test_modified_byte(self):
        signed = self.signed
        # In the letter's own bytes, and just before the signature
        for index in [len(self.pdf) // 2, signed.index(b'/Contents') - 40]:
            forged = bytearray(signed)
            forged[index] ^= 1
            try:
                validation = self.validate(bytes(forged))
            except pades.MalformedPDF:
                continue
            self.assertFalse(
                validation.intact and validation.valid, index)

    def test_appended(self):
        validation = self.validate(self.signed + b'\n%% extra\n')
        self.assertFalse(validation.intact)

        writer = IncrementalPdfFileWriter(io.BytesIO(self.signed))
        info = writer.trailer['/Info']
        info['/Title'] = generic.TextStringObject("Diubah")
        writer.update_container(info)
        output = io.BytesIO()
        writer.write(output)
        validation = self.validate(output.getvalue())
        self.assertFalse(validation.intact)
        # The signature over the revision it covers still holds
        self.assertTrue(validation.valid)

    def test_other_ca(self):
        other = pades.DevelopmentCA.create("Other CA", 'other')
        issued = other.issue("Mallory", NIP, 'mallory', *self.validity)
        signer = pades.LocalSigner(
            issued.certificate_pem, issued.encrypted_key_pem, 'mallory',
            other.certificate_pem)
        signed = signer.sign(self.pdf)
        validation = self.validate(signed)
        self.assertTrue(validation.intact)
        self.assertFalse(validation.trusted)
        self.assertFalse(validation.valid)
        self.assertEqual(validation.signer, "Mallory")
        # Trusted once its CA is in the trust list
        validation = self.validate(
            signed, trust=[self.ca.certificate_pem, other.certificate_pem])
        self.assertTrue(validation.trusted and validation.valid)

    def test_revoked(self):
        validation = self.validate(
            self.signed, revoked=frozenset({self.issued.serial}))
        self.assertTrue(validation.revoked)
        validation = self.validate(self.signed, revoked={1, 2})
        self.assertFalse(validation.revoked)

    def test_unsigned(self):
        self.assertEqual(self.validate(self.pdf), pades.Validation(
                intact=False, valid=False, trusted=False, revoked=False,
                signer=None, serial=None, signed_at=None))

    def test_malformed(self):
        signed = self.signed
        for data in [
                b'', b'garbage', b'%PDF-1.7\n', self.pdf[:len(self.pdf) // 2],
                signed[:-20], zlib.compress(signed)]:
            with self.assertRaises(pades.MalformedPDF):
                self.validate(data)
        # Cut inside the signature's revision, what remains is the letter
        # before signing: nothing signed
        validation = self.validate(signed[:len(self.pdf) + 100])
        self.assertFalse(validation.intact or validation.valid)

    def test_hostile(self):
        """Random damage gives an invalid Validation or MalformedPDF for a
        file pyHanko cannot read, nothing else"""
        randomizer = random.Random(8)
        signed = self.signed
        # The signature value itself, where the zero padding is not covered
        byte_range = re.search(
            rb'/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)', signed)
        hole = range(int(byte_range[1]), int(byte_range[2]))
        covered = [i for i in range(len(signed)) if i not in hole]
        outcomes = set()
        for _ in range(25):
            forged = bytearray(signed)
            for index in randomizer.sample(covered, randomizer.randint(1, 4)):
                forged[index] ^= randomizer.randrange(1, 256)
            try:
                validation = self.validate(bytes(forged))
            except pades.MalformedPDF as error:
                # validate turns every exception into MalformedPDF: only a
                # refusal of the file by the PDF or CMS parser is expected
                self.assertIsInstance(error.__cause__, (PdfError, ValueError))
                outcomes.add('malformed')
            else:
                self.assertFalse(validation.intact and validation.valid)
                outcomes.add('invalid')
        # Both halves ran
        self.assertEqual(outcomes, {'malformed', 'invalid'})
