# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Benchmark of rendering and signing a two-page letter.

Run: ``.venv/bin/python bench/sign_bench.py [-n 50]`` from the repository
root.  Needs no Tryton configuration or database: the module's ``pades.py``
and ``render.py`` are loaded by file path.  Prints median and p95 in
milliseconds for the letter rendered without its QR code, the QR code
alone, the letter with its QR code, the PAdES signature (warm signer) and
render + signature; then the one-off costs (loading the encrypted key into a
cold signer, issuing a certificate).
"""
import argparse
import datetime
import importlib.util
import io
import statistics
import sys
import time
from pathlib import Path

MODULE = Path(__file__).resolve().parent.parent / 'modules' / 'esurat_signing'


def load(name):
    spec = importlib.util.spec_from_file_location(
        f'esurat_signing_{name}', MODULE / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


pades = load('pades')
render = load('render')

PARAGRAPH = (
    "Sehubungan dengan pelaksanaan program peningkatan mutu pelayanan "
    "kesehatan masyarakat di Kabupaten Sukamaju, bersama ini kami sampaikan "
    "bahwa setiap unit kerja diminta menyusun rencana tindak lanjut hasil "
    "evaluasi triwulan ketiga dan menyampaikannya paling lambat tanggal "
    "30 November 2026. Rencana tersebut memuat sasaran, kegiatan, "
    "penanggung jawab, jadwal dan kebutuhan anggaran.")


def logo():
    "A small PNG logo, as a unit would upload"
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        return None
    image = Image.new('RGBA', (240, 270), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(120, 0), (240, 60), (225, 240), (120, 270), (15, 240), (0, 60)],
        fill=(20, 90, 160, 255))
    draw.ellipse((70, 85, 170, 185), fill=(250, 200, 0, 255))
    output = io.BytesIO()
    image.save(output, 'PNG')
    return output.getvalue()


def letter():
    "A letter of two pages"
    return render.LetterData(
        layout='letter',
        letterhead=render.Letterhead(
            "PEMERINTAH KABUPATEN SUKAMAJU", "DINAS KESEHATAN",
            "Jalan Merdeka Nomor 17, Sukamaju 12345",
            "Telepon (021) 555-0101, Pos-el dinkes@sukamajukab.go.id",
            logo=logo()),
        place="Sukamaju", date=datetime.date(2026, 11, 23),
        number="000.1.2/123/426.101/2026",
        subject="Rencana Tindak Lanjut Evaluasi Triwulan III",
        body='\n\n'.join([PARAGRAPH] * 10),
        signer=render.SignerBlock(
            "Sekretaris", "dr. Budi Santoso, M.Kes.",
            "198001012005011001", 'a.n.', "Kepala Dinas Kesehatan"),
        verify_url=(
            "https://esurat.sukamajukab.go.id/verify/"
            "q7Jf0mZk2VbXr9LtS4cWn8YhD1eGaU3pO6iTzKxQwEs"),
        urgency="Segera", enclosures="1 (satu) berkas",
        addressees=("Kepala Puskesmas se-Kabupaten Sukamaju",),
        copies=("Bupati Sukamaju", "Inspektur Kabupaten Sukamaju"))


def measure(function, runs):
    "Median and p95 in milliseconds of function over runs calls"
    function()  # warm caches (fonts, logo) as a running server has them
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
    return statistics.median(timings), p95


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-n', type=int, default=50, help="runs per step")
    runs = parser.parse_args(argv).n

    passphrase = 'bench passphrase'
    ca = pades.DevelopmentCA.create("e-Surat Bench CA", 'ca passphrase')
    now = datetime.datetime.now(datetime.UTC)
    start = time.perf_counter()
    issued = ca.issue(
        "dr. Budi Santoso, M.Kes.", '198001012005011001', passphrase,
        now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1))
    issue_ms = (time.perf_counter() - start) * 1000

    def cold_signer():
        return pades.LocalSigner(
            issued.certificate_pem, issued.encrypted_key_pem, passphrase,
            ca.certificate_pem)

    signer = cold_signer()
    data = letter()
    pdf = render.render_letter(data)
    signed = signer.sign(pdf)
    pages = pdf.count(b'/Type /Page\n') or pdf.count(b'/Type /Page ')

    draw_qr = render.draw_qr
    render.draw_qr = lambda *args, **kwargs: None
    try:
        without_qr = measure(lambda: render.render_letter(data), runs)
    finally:
        render.draw_qr = draw_qr
    rows = [
        ("render without QR", without_qr),
        ("QR (encoding)", measure(
                lambda: render.qr_matrix(data.verify_url), runs)),
        ("render with QR", measure(lambda: render.render_letter(data), runs)),
        ("signature (warm signer)", measure(lambda: signer.sign(pdf), runs)),
        ("total: render + signature", measure(
                lambda: signer.sign(render.render_letter(data)), runs)),
        ("validate", measure(
                lambda: pades.validate(signed, ca.certificate_pem),
                max(runs // 5, 3))),
        ]
    cold = measure(cold_signer, max(runs // 10, 3))

    print(f"Letter: {pages} pages, {len(pdf)} bytes; {runs} runs; "
        f"Python {sys.version.split()[0]}")
    print(f"{'step':<28}{'median ms':>10}{'p95 ms':>10}")
    for label, (median, p95) in rows:
        print(f"{label:<28}{median:>10.1f}{p95:>10.1f}")
    print(f"{'cold signer (key load)':<28}{cold[0]:>10.1f}{cold[1]:>10.1f}")
    print(f"{'issue a certificate (once)':<28}{issue_ms:>10.1f}")


if __name__ == '__main__':
    main()
