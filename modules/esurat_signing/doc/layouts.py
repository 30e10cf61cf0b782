# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Draw the first page of each layout's sample letter (tests/letters.py)
into this folder as PNG, and the draft preview of one:

    .venv/bin/python modules/esurat_signing/doc/layouts.py
"""
import dataclasses
import io
from pathlib import Path

import pypdfium2
from PIL import Image

from trytond.modules.esurat_signing import render
from trytond.modules.esurat_signing.tests.letters import TYPES, letter

HERE = Path(__file__).parent
# 100 dpi, 16 grey levels: readable, and each page well under 100 KB
SCALE = 100 / 72
GREYS = 16


def page_png(pdf):
    document = pypdfium2.PdfDocument(pdf)
    try:
        image = document[0].render(scale=SCALE, grayscale=True).to_pil()
    finally:
        document.close()
    image = image.convert('L').quantize(GREYS, dither=Image.Dither.NONE)
    output = io.BytesIO()
    image.save(output, 'PNG', optimize=True, bits=4)
    return output.getvalue()


def main():
    letters = {code: letter(code) for code in TYPES}
    letters['preview'] = dataclasses.replace(
        letter('surat_undangan'), draft=True, verify_url='',
        number="400.7/.../DINKES/2026")
    for name, data in letters.items():
        path = HERE / f'{name}.png'
        path.write_bytes(page_png(render.render_letter(data)))
        print(f'{path.name}: {path.stat().st_size // 1024} KB')


if __name__ == '__main__':
    main()
