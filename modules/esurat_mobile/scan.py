# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Scans shown in the page: each page of a letter file as a WebP image.

PDF pages are rendered with pypdfium2 (PDFium, the renderer of Chromium),
JPG and PNG scans are scaled down with Pillow, at a phone's width.  The
images are cached on disk under the file's SHA-256 (taken at upload and
never changed), so a page is rendered once whoever opens it; the cache is
read only after the file record itself was read with the user's access
checks, so it reveals nothing to someone who may not open the letter.

An outgoing letter is shown as it will print: its PDF (the report's) is
kept under the letter's id and rendered the same way."""
import datetime
import hashlib
import os
import re
import tempfile
from io import BytesIO
from pathlib import Path

from trytond import config
from trytond.pool import Pool
from trytond.transaction import Transaction

# Wide enough for a 3x phone screen of 360 CSS px to read typed text
WIDTH = 1080
QUALITY = 60
# At most this many colours: a rendered document rather than a photograph
FEW_COLORS = 4096
# A scan has at most this many pages shown; the rest is downloaded
MAX_PAGES = 30
KEY = re.compile(r'[0-9a-f]{64}')


def cache_dir(database):
    base = config.get('esurat_mobile', 'cache', default=None)
    if base is None:
        base = os.path.join(
            config.get('database', 'path'), 'esurat_mobile', database)
    return Path(base)


def _cached(path, make):
    "The bytes of path under the cache, made by make() the first time"
    if path.exists():
        return path.read_bytes()
    data = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written aside and renamed: a concurrent reader never sees half a file
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix='.tmp')
    with os.fdopen(fd, 'wb') as file:
        file.write(data)
    os.replace(tmp, path)
    return data


def page_image(database, letter_file, page):
    "The WebP bytes of page (from 0) of letter_file, rendered once"
    path = cache_dir(database) / letter_file.sha256[:2] / (
        f'{letter_file.sha256}-{page}-{WIDTH}.webp')
    return _cached(path, lambda: _render(
            bytes(letter_file.data), letter_file.mimetype, page))


def _preview_dir(database, outgoing_id):
    # One folder per reader: the preview prints the block of who will sign,
    # which depends on who reads it (a Plh previewing sees themselves)
    user_id = Transaction().user
    return (cache_dir(database) / 'konsep' / str(int(outgoing_id))
        / str(int(user_id)))


def preview(database, outgoing, make):
    """(key, pages) of the PDF make() returns for outgoing, made once per
    writing of the letter and per day (the draft prints today's date); the
    previews of its former texts are removed"""
    pool = Pool()
    User = pool.get('res.user')
    # Also the positions the reader acts for today: a Plh who starts during
    # the day then sees their own signature block
    key = hashlib.sha256(
        f'{outgoing.id}|{outgoing.write_date or outgoing.create_date}|'
        f'{datetime.date.today()}|{outgoing.state}|'
        f'{User.get_esurat_positions()}'.encode()).hexdigest()
    folder = _preview_dir(database, outgoing.id)
    path = folder / f'{key}.pdf'
    if not path.exists() and folder.exists():
        for old in folder.iterdir():
            old.unlink(missing_ok=True)
    data = _cached(path, make)
    import pypdfium2
    pdf = pypdfium2.PdfDocument(data)
    try:
        return key, min(len(pdf), MAX_PAGES)
    finally:
        pdf.close()


def preview_image(database, outgoing_id, key, page):
    "The WebP bytes of page of the preview key of outgoing_id, or None"
    folder = _preview_dir(database, outgoing_id)
    pdf = folder / f'{key}.pdf'
    if not KEY.fullmatch(key) or not pdf.exists():
        return None
    return _cached(folder / f'{key}-{page}-{WIDTH}.webp',
        lambda: _render(pdf.read_bytes(), 'application/pdf', page))


def page_count(letter_file):
    if letter_file.mimetype == 'application/pdf':
        return min(letter_file.pages or 1, MAX_PAGES)
    return 1


def _render(data, mimetype, page):
    from PIL import Image
    if mimetype == 'application/pdf':
        import pypdfium2
        pdf = pypdfium2.PdfDocument(data)
        try:
            pdf_page = pdf[page]
            scale = WIDTH / pdf_page.get_width()
            image = pdf_page.render(scale=scale).to_pil()
            pdf_page.close()
        finally:
            pdf.close()
    else:
        image = Image.open(BytesIO(data))
        image.thumbnail((WIDTH, WIDTH * 3))
    if image.mode not in {'L', 'RGB'}:
        image = image.convert('RGB')
    # A page of a born-digital PDF is a few colours (text, a logo): there
    # lossless is several times smaller than lossy; a photographed scan has
    # thousands of colours, where lossless is large and slow to encode
    candidates = [{'quality': QUALITY}]
    if image.getcolors(FEW_COLORS) is not None:
        candidates.append({'lossless': True})
    results = []
    for options in candidates:
        buffer = BytesIO()
        image.save(buffer, format='WEBP', **options)
        results.append(buffer.getvalue())
    return min(results, key=len)
