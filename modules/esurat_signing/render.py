# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The letter PDF (Tata Naskah Dinas layouts) with reportlab, free of Tryton.

Only the body goes through Platypus (justification and page breaks); the
letterhead, the field tables, the signature block and the QR code are drawn
directly on the canvas, which is several times cheaper.  The body is the
small markup of markup.py: its texts are escaped before any Paragraph
markup is built, so a body never reaches reportlab's own tags.
"""
from __future__ import annotations

import datetime
import hashlib
import io
import logging
import os
import threading
from dataclasses import dataclass
from xml.sax.saxutils import escape

import qrcode
from PIL import Image as PILImage
from PIL import ImageOps
from qrcode.constants import ERROR_CORRECT_M
from reportlab import rl_config
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm, inch
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate, CondPageBreak, Flowable, Frame, PageTemplate, Paragraph,
    Spacer, Table, TableStyle)

from trytond.modules.esurat_base.position import PREFIXES
from trytond.modules.esurat_signing import markup

# Binary streams instead of ASCII85: smaller files, and reportlab's
# pure-Python ASCII85 encoder was a tenth of the rendering time.  Set once
# for the process (a per-call toggle would race between threads).
rl_config.useA85 = 0

logger = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = A4
# domain.md states no margins; 2.5 cm all round (administrators bind on the
# left, so MARGIN_LEFT is the one regions most often change to 3 cm)
MARGIN_LEFT = MARGIN_RIGHT = MARGIN_TOP = MARGIN_BOTTOM = 2.5 * cm
# Liberation Sans (Debian's fonts-liberation) has Arial's metrics, the
# usual face of naskah dinas; Helvetica, its look-alike built into every PDF
# reader, when it is not installed
FONT_DIRS = (
    '/usr/share/fonts/truetype/liberation',
    '/usr/share/fonts/truetype/liberation2',
    )
FONT_FILES = {
    'LiberationSans': 'LiberationSans-Regular.ttf',
    'LiberationSans-Bold': 'LiberationSans-Bold.ttf',
    'LiberationSans-Italic': 'LiberationSans-Italic.ttf',
    'LiberationSans-BoldItalic': 'LiberationSans-BoldItalic.ttf',
    }


def _register_fonts():
    "The regular and bold font names, Liberation Sans when available"
    for directory in FONT_DIRS:
        paths = {
            name: os.path.join(directory, file)
            for name, file in FONT_FILES.items()}
        if all(os.path.exists(p) for p in paths.values()):
            for name, path in paths.items():
                pdfmetrics.registerFont(TTFont(name, path))
            pdfmetrics.registerFontFamily(
                'LiberationSans', normal='LiberationSans',
                bold='LiberationSans-Bold', italic='LiberationSans-Italic',
                boldItalic='LiberationSans-BoldItalic')
            return 'LiberationSans', 'LiberationSans-Bold'
    logger.warning(
        "Liberation Sans not found in %s: letters use Helvetica",
        ', '.join(FONT_DIRS))
    return 'Helvetica', 'Helvetica-Bold'


FONT_SIZE = 12
LEADING = 15
SMALL_SIZE = 7.5
FONT, FONT_BOLD = _register_fonts()
QR_SIZE = 2.4 * cm
LOGO_SIZE = 2.4 * cm

MONTHS = (
    'Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli',
    'Agustus', 'September', 'Oktober', 'November', 'Desember')

# The layouts of esurat.letter.type (esurat_base) map onto ours
LAYOUT_ALIASES = {
    'report': 'titled',
    }
DEFAULT_TITLES = {
    'memo': 'NOTA DINAS',
    }
# What a surat perintah or surat tugas says before its Kepada
ORDER_VERBS = {
    'surat_tugas': 'MENUGASKAN:',
    }
DEFAULT_ORDER_VERB = 'MEMERINTAHKAN:'
# The heading of a surat pengantar's table of what it sends
TRANSMITTAL_HEADING = (
    'No', 'Naskah Dinas/Barang yang Dikirimkan', 'Banyaknya', 'Keterangan')
# The lines above the signature of the layouts dated where they are issued
ISSUED = {
    'decree': 'Ditetapkan di',
    'order': 'Dikeluarkan di',
    'circular': 'Dikeluarkan di',
    }
# Drafts carry it across every page (the preview)
WATERMARK = 'KONSEP'


class Unnumbered:
    """The sequence of a draft's number, not given before signing: dots,
    whatever format spec the pattern gives it ({sequence:04d})"""

    def __format__(self, spec):
        return '...'


SIGNED_CAPTION = "Ditandatangani secara elektronik"
DEFAULT_ADDRESSEE_PLACE = 'di Tempat'


@dataclass
class Letterhead:
    title: str
    name: str
    address: str = ''
    contacts: str = ''
    logo: bytes | None = None


@dataclass
class SignerBlock:
    position: str
    name: str
    nip: str = ''
    prefix: str = ''
    on_behalf: str = ''
    # pangkat/golongan, e.g. "Pembina Utama Muda (IV/c)"
    rank: str = ''


@dataclass
class LetterData:
    layout: str
    letterhead: Letterhead
    place: str
    date: datetime.date
    number: str
    subject: str
    body: str
    signer: SignerBlock
    verify_url: str
    urgency: str = ''
    confidentiality: str = ''
    enclosures: str = ''
    addressees: tuple = ()
    addressee_place: str = DEFAULT_ADDRESSEE_PLACE
    copies: tuple = ()
    sender: str = ''
    title: str = ''
    # The electronic-signature statement printed at the foot of every page
    footer: str = ''
    # The code of the letter type (surat_tugas...), for what its layout
    # words differently
    letter_type: str = ''
    # A draft: KONSEP across every page, no QR code
    draft: bool = False
    # The enclosures (lampiran) as PDFs (enclosure_pdf), their pages after
    # the letter's, so that its signature covers them
    appendices: tuple = ()


def format_date_id(date):
    "date in Indonesian: 23 November 2026"
    return f'{date.day} {MONTHS[date.month - 1]} {date.year}'


# Drawing helpers ------------------------------------------------------------

def _lines(text, font, size, width):
    "text wrapped to width, keeping its own line breaks"
    lines = []
    for line in (text or '').splitlines() or ['']:
        lines.extend(simpleSplit(line, font, size, width) or [''])
    return lines


_logos = {}


def logo_jpeg(data, pixels):
    """The logo flattened on white and scaled to fit pixels, as JPEG bytes
    (None if unreadable), prepared once per process per logo and size
    (the PDF and the verification page)"""
    key = (hashlib.sha256(data).digest(), pixels)
    if key not in _logos:
        if len(_logos) >= 32:
            _logos.clear()
        try:
            image = PILImage.open(io.BytesIO(data))
            image.load()
        except (OSError, ValueError, PILImage.DecompressionBombError):
            # A broken logo must not stop letters from being signed
            logger.warning("unreadable letterhead logo ignored")
            _logos[key] = None
            return None
        image = image.convert('RGBA')
        image.thumbnail((pixels, pixels), PILImage.LANCZOS)
        flat = PILImage.new('RGB', image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel('A'))
        output = io.BytesIO()
        flat.save(output, 'JPEG', quality=92, subsampling=0)
        _logos[key] = output.getvalue()
    return _logos[key]


def _logo(data):
    """The logo ready to draw (None if unreadable).

    Scaled to 300 dpi at its printed size and kept as JPEG: reportlab
    embeds JPEG data as it is, while any other image is zlib-compressed
    again in every document (milliseconds for a large logo)."""
    jpeg = logo_jpeg(data, round(LOGO_SIZE / inch * 300))
    return ImageReader(io.BytesIO(jpeg)) if jpeg else None


def qr_matrix(text):
    """The QR code modules of text, without quiet zone.

    Mask pattern 0 is fixed: any mask is valid for readers, and scoring the
    eight masks would cost five times more than the encoding itself."""
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECT_M, border=0, mask_pattern=0)
    code.add_data(text)
    code.make(fit=True)
    return code.modules


def draw_qr(canvas, text, x, y, size):
    """Draw the QR code of text as one vector path, lower left at x, y.

    The path is written in module units (one unit a module, rows going
    down), which keeps the operators short integers instead of formatting
    a thousand floats.  Each run of dark modules in a row is one rectangle,
    overlapping the row below slightly so that viewers show no seams."""
    modules = qr_matrix(text)
    count = len(modules)
    operators = []
    for row_index, row in enumerate(modules):
        # the last row must not overlap the quiet zone
        height = '1' if row_index == count - 1 else '1.04'
        column = 0
        while column < count:
            if row[column]:
                start = column
                while column < count and row[column]:
                    column += 1
                operators.append(
                    f'{start} -{row_index} {column - start} -{height} re')
            else:
                column += 1
    operators.append('f')
    step = size / count
    canvas.saveState()
    canvas.setFillColorRGB(0, 0, 0)
    canvas.transform(step, 0, 0, step, x, y + size)
    canvas.addLiteral('\n'.join(operators))
    canvas.restoreState()


class FieldTable(Flowable):
    "Rows of label : value, values wrapped (Nomor, Sifat, Hal...)"

    def __init__(self, rows, label_width=2.6 * cm):
        super().__init__()
        self.rows = rows
        self.label_width = label_width

    def wrap(self, available_width, available_height):
        value_width = available_width - self.label_width - 0.4 * cm
        self._wrapped = [
            (label, _lines(value, FONT, FONT_SIZE, value_width))
            for label, value in self.rows]
        self.width = available_width
        self.height = sum(len(v) for _, v in self._wrapped) * LEADING
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        canvas.setFont(FONT, FONT_SIZE)
        y = self.height - FONT_SIZE
        for label, lines in self._wrapped:
            canvas.drawString(0, y, label)
            canvas.drawString(self.label_width, y, ':')
            for line in lines:
                canvas.drawString(self.label_width + 0.4 * cm, y, line)
                y -= LEADING


class TextLines(Flowable):
    "Plain lines, left, right or centred, optionally bold (no markup)"

    def __init__(self, lines, align='left', bold=False, size=FONT_SIZE):
        super().__init__()
        self.text = '\n'.join(lines)
        self.align = align
        self.font = FONT_BOLD if bold else FONT
        self.size = size

    def wrap(self, available_width, available_height):
        self.width = available_width
        self._lines = _lines(self.text, self.font, self.size, self.width)
        self.height = len(self._lines) * self.size * 1.25
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        canvas.setFont(self.font, self.size)
        y = self.height - self.size
        for line in self._lines:
            width = stringWidth(line, self.font, self.size)
            if self.align == 'center':
                x = (self.width - width) / 2
            elif self.align == 'right':
                x = self.width - width
            else:
                x = 0
            canvas.drawString(x, y, line)
            y -= self.size * 1.25


class SignatureBlock(Flowable):
    """Place and date (optional), position, QR code where the wet signature
    would be, name, pangkat/golongan and NIP, centred in the right half of
    the frame"""

    def __init__(self, signer, verify_url, dateline=''):
        super().__init__()
        self.signer = signer
        self.verify_url = verify_url
        self.dateline = dateline

    def _heading(self):
        """The jabatan, ended by a comma (Tata Naskah Dinas): in capitals,
        except the signer's own position under "a.n. <SUPERIOR>", which is
        printed as given"""
        signer = self.signer
        if signer.prefix == PREFIXES['assistant']:
            lines = [
                f'{signer.prefix} {(signer.on_behalf or "").upper()}'.strip(),
                signer.position or '']
        else:
            lines = [
                f'{signer.prefix} {(signer.position or "").upper()}'.strip()]
        lines[-1] = lines[-1].rstrip(',') + ','
        return lines

    def _below_name(self):
        "pangkat/golongan and NIP, under the name"
        lines = []
        if self.signer.rank:
            lines.append(self.signer.rank)
        if self.signer.nip:
            lines.append(f'NIP. {self.signer.nip}')
        return lines

    def wrap(self, available_width, available_height):
        self.width = available_width
        self.block_width = available_width * 0.48
        self.left = available_width - self.block_width
        heading = []
        if self.dateline:
            heading.extend(_lines(
                    self.dateline, FONT, FONT_SIZE, self.block_width))
        for line in self._heading():
            heading.extend(_lines(line, FONT, FONT_SIZE, self.block_width))
        self._heading_lines = heading
        self._name_lines = _lines(
            self.signer.name, FONT_BOLD, FONT_SIZE, self.block_width)
        self.height = (
            (len(heading) + len(self._name_lines)
                + len(self._below_name())) * LEADING
            + QR_SIZE + SMALL_SIZE + 14 + LEADING)
        return self.width, self.height

    def draw(self):
        canvas = self.canv
        center = self.left + self.block_width / 2
        y = self.height - FONT_SIZE
        canvas.setFont(FONT, FONT_SIZE)
        for line in self._heading_lines:
            canvas.drawCentredString(center, y, line)
            y -= LEADING
        top = y + FONT_SIZE - 6
        y = top - QR_SIZE - SMALL_SIZE - 2
        # A draft keeps the room of the signature, empty
        if self.verify_url:
            draw_qr(canvas, self.verify_url, center - QR_SIZE / 2,
                top - QR_SIZE, QR_SIZE)
            canvas.setFont(FONT, SMALL_SIZE)
            canvas.drawCentredString(center, y, SIGNED_CAPTION)
        y -= LEADING + 8
        canvas.setFont(FONT_BOLD, FONT_SIZE)
        canvas.setLineWidth(0.6)
        for line in self._name_lines:
            canvas.drawCentredString(center, y, line)
            width = stringWidth(line, FONT_BOLD, FONT_SIZE)
            canvas.line(center - width / 2, y - 1.5, center + width / 2,
                y - 1.5)
            y -= LEADING
        canvas.setFont(FONT, FONT_SIZE)
        for line in self._below_name():
            canvas.drawCentredString(center, y, line)
            y -= LEADING


# Document -------------------------------------------------------------------

def _letterhead_lines(letterhead):
    """(font, size, line) of the letterhead text, centred between the logo
    and its mirror: title and unit name bold, address and contacts small"""
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT - 2 * (LOGO_SIZE + 8)
    lines = []
    for text, font, size in [
            ((letterhead.title or '').upper(), FONT_BOLD, 14),
            ((letterhead.name or '').upper(), FONT_BOLD, 16),
            (letterhead.address, FONT, 9),
            (letterhead.contacts, FONT, 9)]:
        lines.extend(
            (font, size, line) for line in _lines(text, font, size, width)
            if line)
    return lines


def _letterhead_height(letterhead):
    "From the top margin to the double rule"
    height = sum(size * 1.2 for _, size, _ in _letterhead_lines(letterhead))
    if letterhead.logo:
        height = max(height, LOGO_SIZE)
    return height + 8


def _draw_letterhead(canvas, letterhead, height):
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    top = PAGE_HEIGHT - MARGIN_TOP
    center = MARGIN_LEFT + width / 2
    logo = _logo(letterhead.logo) if letterhead.logo else None
    if logo:
        canvas.drawImage(
            logo, MARGIN_LEFT, top - LOGO_SIZE, LOGO_SIZE, LOGO_SIZE,
            preserveAspectRatio=True, anchor='c')
    y = top
    for font, size, line in _letterhead_lines(letterhead):
        y -= size * 1.2
        canvas.setFont(font, size)
        canvas.drawCentredString(center, y + size * 0.2, line)
    rule = top - height
    canvas.setLineWidth(2)
    canvas.line(MARGIN_LEFT, rule + 2.5, MARGIN_LEFT + width, rule + 2.5)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN_LEFT, rule, MARGIN_LEFT + width, rule)


def _footer_lines(text):
    if not text:
        return []
    return _lines(
        text, FONT, SMALL_SIZE, PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT)


def _footer_height(lines):
    "Above the bottom margin: the rule, the lines and some space"
    return len(lines) * (SMALL_SIZE + 2) + 0.5 * cm if lines else 0


def _draw_footer(canvas, lines):
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    y = MARGIN_BOTTOM + _footer_height(lines) - 6
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN_LEFT, y, MARGIN_LEFT + width, y)
    canvas.setFont(FONT, SMALL_SIZE)
    y -= SMALL_SIZE + 3
    for line in lines:
        canvas.drawString(MARGIN_LEFT, y, line)
        y -= SMALL_SIZE + 2


def _draw_watermark(canvas):
    "KONSEP across the page, light enough to read the text under it"
    canvas.saveState()
    canvas.setFillColorRGB(0.82, 0.82, 0.82)
    canvas.setFont(FONT_BOLD, 110)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(45)
    canvas.drawCentredString(0, -40, WATERMARK)
    canvas.restoreState()


# Body ------------------------------------------------------------------------

BODY_STYLE = ParagraphStyle(
    'body', fontName=FONT, fontSize=FONT_SIZE, leading=LEADING,
    alignment=TA_JUSTIFY)
# Markers, keys and colons: never justified (a lone word would be spread)
LABEL_STYLE = ParagraphStyle('label', BODY_STYLE, alignment=TA_LEFT)
CELL_STYLE = ParagraphStyle(
    'cell', BODY_STYLE, alignment=TA_LEFT, fontSize=FONT_SIZE - 1,
    leading=LEADING - 1)
CENTER_STYLE = ParagraphStyle('center', BODY_STYLE, alignment=TA_CENTER)
BLOCK_SPACE = 6
ITEM_SPACE = 2
# Room between a label and its colon, and the colon and the value
LABEL_GAP = 0.3 * cm


def _markup(lines):
    """reportlab markup of lines of runs: every text escaped, styles only
    our own tags"""
    parts = []
    for runs in lines:
        line = ''
        for run in runs:
            text = escape(run.text)
            if run.bold:
                text = f'<b>{text}</b>'
            if run.italic:
                text = f'<i>{text}</i>'
            if run.underline:
                text = f'<u>{text}</u>'
            line += text
        parts.append(line)
    return '<br/>'.join(parts)


def _text_width(runs, size=FONT_SIZE):
    return sum(
        stringWidth(r.text, FONT_BOLD if r.bold else FONT, size)
        for r in runs)


class Hanging(Flowable):
    """Flowables indented by indent, with labels (x, Paragraph) at the top
    of the first line: a list item's marker, a field's key and colon.

    It splits between and inside its flowables, so that a long list item
    or section runs on over a page break."""

    def __init__(self, labels, content, indent):
        super().__init__()
        self.labels = labels
        self.content = content
        self.indent = indent

    def _label_widths(self):
        xs = [x for x, _ in self.labels] + [self.indent]
        return [xs[i + 1] - xs[i] for i in range(len(self.labels))]

    def wrap(self, available_width, available_height):
        self.width = available_width
        inner = available_width - self.indent
        self._sizes = [f.wrap(inner, available_height) for f in self.content]
        label_height = max(
            (label.wrap(max(width, 1), available_height)[1]
                for (_, label), width in zip(
                    self.labels, self._label_widths())), default=0)
        content_height = sum(h for _, h in self._sizes) + ITEM_SPACE * max(
            len(self._sizes) - 1, 0)
        self.height = max(label_height, content_height)
        return self.width, self.height

    def split(self, available_width, available_height):
        self.wrap(available_width, available_height)
        if self.height <= available_height:
            return [self]
        inner = available_width - self.indent
        used, first = 0, []
        for index, (flowable, (_, height)) in enumerate(
                zip(self.content, self._sizes)):
            if used + height <= available_height:
                first.append(flowable)
                used += height + ITEM_SPACE
                continue
            parts = flowable.split(inner, available_height - used)
            if parts:
                first.append(parts[0])
                rest = list(parts[1:]) + self.content[index + 1:]
            else:
                rest = self.content[index:]
            break
        if not first:
            return []
        return [
            Hanging(self.labels, first, self.indent),
            Hanging([], rest, self.indent)]

    def draw(self):
        canvas = self.canv
        for x, label in self.labels:
            label.drawOn(canvas, x, self.height - label.height)
        y = self.height
        for flowable, (_, height) in zip(self.content, self._sizes):
            y -= height
            flowable.drawOn(canvas, self.indent, y)
            y -= ITEM_SPACE


class BodyTable(Flowable):
    """A table of the body, full width, its columns as wide as their
    texts ask, the heading row repeated on every page"""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def _table(self, width):
        rows = self.block.rows
        count = max(len(r) for r in rows)
        rows = [r + [[]] * (count - len(r)) for r in rows]
        wants = [
            min(max(max(_text_width(row[c], CELL_STYLE.fontSize)
                        for row in rows), 1 * cm), width)
            for c in range(count)]
        widths = [width * w / sum(wants) for w in wants]
        cells = []
        for index, row in enumerate(rows):
            heading = self.block.header and index == 0
            cells.append([
                    Paragraph(_markup([[
                                    markup.Run(
                                        r.text, r.bold or heading,
                                        r.italic, r.underline)
                                    for r in cell]]), CELL_STYLE)
                    for cell in row])
        table = Table(
            cells, colWidths=widths,
            repeatRows=1 if self.block.header else 0)
        table.setStyle(TableStyle([
                    ('GRID', (0, 0), (-1, -1), 0.5, (0, 0, 0)),
                    ('VALIGN', (0, 0), (-1, -1), 'TOP'),
                    ]))
        return table

    def wrap(self, available_width, available_height):
        self._table_ = self._table(available_width)
        self.width, self.height = self._table_.wrap(
            available_width, available_height)
        return self.width, self.height

    def split(self, available_width, available_height):
        return self._table(available_width).split(
            available_width, available_height)

    def draw(self):
        self._table_.drawOn(self.canv, 0, 0)


def _label(text, style=LABEL_STYLE):
    return Paragraph(escape(text), style)


def _labelled(rows, label_width):
    """Hanging blocks of (label, flowables) rows: labels in a column of
    label_width, then a colon, then the flowables, all aligned"""
    colon = label_width + LABEL_GAP
    indent = colon + stringWidth(':', FONT, FONT_SIZE) + LABEL_GAP
    return [
        Hanging([(0, label), (colon, _label(':'))], content, indent)
        for label, content in rows]


def _label_width(labels, width):
    "The column of labels: the widest, at most 40 % of width"
    return min(
        max((_text_width(runs) for runs in labels), default=0), width * 0.4)


def body_flowables(blocks, width):
    "Flowables of the markup blocks, width the frame's"
    flowables = []
    sections = [b for b in blocks if isinstance(b, markup.Section)]
    section_width = _label_width(
        [markup.inline(b.label) for b in sections if b.blocks], width)
    for block in blocks:
        if isinstance(block, markup.Paragraph):
            flowables.append(Paragraph(_markup(block.lines), BODY_STYLE))
        elif isinstance(block, markup.List):
            flowables += _list_flowables(block, width)
        elif isinstance(block, markup.Fields):
            key_width = _label_width([k for k, _ in block.rows], width)
            flowables += _labelled([
                    (Paragraph(_markup([key]), LABEL_STYLE),
                        [Paragraph(_markup(value), LABEL_STYLE)])
                    for key, value in block.rows], key_width)
        elif isinstance(block, markup.Table):
            if block.rows:
                flowables.append(BodyTable(block))
        elif isinstance(block, markup.Section):
            if not block.blocks:
                # MEMUTUSKAN:, MEMERINTAHKAN: centred between sections;
                # "Dengan hormat:" as written
                flowables.append(Paragraph(
                        escape(block.label + ':'),
                        CENTER_STYLE if block.label.isupper()
                        else BODY_STYLE))
            else:
                flowables += _labelled([
                        (_label(block.label), body_flowables(
                                block.blocks, width - section_width))],
                    section_width)
        flowables.append(Spacer(0, BLOCK_SPACE))
    return flowables[:-1]


def _list_flowables(block, width):
    marker_width = max(
        stringWidth(i.marker, FONT, FONT_SIZE) for i in block.items)
    indent = marker_width + LABEL_GAP
    flowables = []
    for item in block.items:
        content = [Paragraph(_markup(item.lines), BODY_STYLE)]
        for child in item.children:
            content += _list_flowables(child, width - indent)
        flowables.append(Hanging([(0, _label(item.marker))], content, indent))
    return flowables


def _body(data, blocks=None):
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    if blocks is None:
        blocks = markup.parse(data.body)
    return body_flowables(blocks, width)


# Layouts ---------------------------------------------------------------------

def _numbered(items):
    items = [i for i in items if i]
    if len(items) == 1:
        return items
    return [f'{n}. {item}' for n, item in enumerate(items, 1)]


def _nature(data):
    "The Sifat line: urgency and confidentiality"
    return ' / '.join(v for v in (data.urgency, data.confidentiality) if v)


def _addressee_block(data, label='Yth.'):
    addressees = _numbered(data.addressees)
    if not addressees:
        return []
    lines = [label] + addressees if len(addressees) > 1 else [
        f'{label} {addressees[0]}']
    if data.addressee_place:
        lines.append(data.addressee_place)
    return [TextLines(lines), Spacer(0, LEADING)]


def _dateline(data, layout):
    date = format_date_id(data.date)
    if layout in ISSUED:
        return f'{ISSUED[layout]} {data.place}\npada tanggal {date}'
    return f'{data.place}, {date}'


def _story_letter(data):
    "Surat dinas, surat undangan, surat pengantar..."
    story = [
        TextLines([_dateline(data, 'letter')], align='right'),
        Spacer(0, 4),
        FieldTable([
                ('Nomor', data.number),
                ('Sifat', _nature(data) or '-'),
                ('Lampiran', data.enclosures or '-'),
                ('Hal', data.subject),
                ]),
        Spacer(0, LEADING),
        ]
    story += _addressee_block(data)
    story += _body(data)
    story += _closing(data)
    story += _copies(data)
    return story


def _runs_of(lines):
    "The lines (lists of runs) of a paragraph or an item as one cell"
    runs = []
    for line in lines:
        if runs:
            runs.append(markup.Run(' '))
        runs += line
    return runs


def _transmittal_items(blocks):
    """The items a surat pengantar sends, each (naskah, banyaknya,
    keterangan) cells, and the blocks that are not items: the rows of the
    body's tables (a heading row and a number column of the drafter's are
    left out), else its list items or paragraphs, one item each"""
    items, rest = [], []
    tables = [b for b in blocks if isinstance(b, markup.Table)]
    for block in blocks:
        if isinstance(block, markup.Table):
            for row in block.rows[1:] if block.header else block.rows:
                if len(row) > 3 and markup.plain(row[0]).rstrip(
                        '.').isdigit():
                    row = row[1:]
                items.append((row + [[]] * 3)[:3])
        elif not tables and isinstance(block, markup.List):
            items += [[_runs_of(i.lines), [], []] for i in block.items]
        elif not tables and isinstance(block, markup.Paragraph):
            items.append([_runs_of(block.lines), [], []])
        else:
            rest.append(block)
    return items, rest


def _story_transmittal(data):
    """Surat pengantar: place and date, Yth., SURAT PENGANTAR and NOMOR,
    the table of what is sent (No., Naskah Dinas/Barang, Banyaknya,
    Keterangan), the sender's signature and the receipt for the
    receiver"""
    items, rest = _transmittal_items(markup.parse(data.body))
    table = markup.Table(
        [[markup.inline(h) for h in TRANSMITTAL_HEADING]]
        + [[markup.inline(f'{n}.')] + cells
            for n, cells in enumerate(items, 1)],
        header=True)
    story = [
        TextLines([_dateline(data, 'letter')], align='right'),
        Spacer(0, LEADING),
        ]
    story += _addressee_block(data)
    story += _heading(data.title or 'SURAT PENGANTAR', data.number)
    story += _body(data, [table] + rest)
    story += _closing(data)
    story += [
        Spacer(0, LEADING),
        TextLines([
                'Diterima tanggal ....................',
                'Penerima,', '', '', '',
                '(......................................)',
                'NIP.']),
        ]
    story += _copies(data)
    return story


def _story_staff_study(data):
    """Telaah staf: TELAAH STAF, Kepada, Dari, Tanggal, Nomor, Lampiran,
    Perihal; its parts (Persoalan, Praanggapan, Fakta yang Mempengaruhi,
    Analisis, Kesimpulan, Saran) numbered in the order written"""
    blocks = markup.parse(data.body)
    number = 0
    for index, block in enumerate(blocks):
        if isinstance(block, markup.Section) and block.blocks:
            number += 1
            blocks[index] = markup.Section(
                f'{number}. {block.label}', block.blocks)
    story = [
        TextLines([(data.title or 'TELAAH STAF').upper()], align='center',
            bold=True, size=FONT_SIZE + 2),
        Spacer(0, LEADING),
        FieldTable([
                ('Kepada Yth.',
                    '\n'.join(_numbered(data.addressees)) or '-'),
                ('Dari', data.sender or data.signer.position),
                ('Tanggal', format_date_id(data.date)),
                ('Nomor', data.number),
                ('Lampiran', data.enclosures or '-'),
                ('Perihal', data.subject),
                ]),
        _Rule(),
        ]
    story += _body(data, blocks)
    story += _closing(data)
    return story


def _story_memo(data):
    title = data.title or DEFAULT_TITLES['memo']
    story = [
        TextLines([title.upper()], align='center', bold=True,
            size=FONT_SIZE + 2),
        Spacer(0, LEADING),
        FieldTable([
                ('Yth.', '\n'.join(_numbered(data.addressees)) or '-'),
                ('Dari', data.sender or data.signer.position),
                ('Tembusan', '\n'.join(_numbered(data.copies)) or '-'),
                ('Tanggal', format_date_id(data.date)),
                ('Nomor', data.number),
                ('Sifat', _nature(data) or '-'),
                ('Lampiran', data.enclosures or '-'),
                ('Hal', data.subject),
                ]),
        _Rule(),
        ]
    story += _body(data)
    story += _closing(data)
    return story


def _heading(title, number, about=''):
    "Title, NOMOR and, when about, TENTANG and the subject, centred"
    story = []
    if title:
        story.append(TextLines(
                [title.upper()], align='center', bold=True,
                size=FONT_SIZE + 2))
    story.append(TextLines([f'NOMOR {number}'], align='center'))
    if about:
        story += [
            Spacer(0, LEADING / 2),
            TextLines(['TENTANG'], align='center'),
            TextLines([about.upper()], align='center'),
            ]
    story.append(Spacer(0, LEADING))
    return story


def _story_titled(data, layout, about=True):
    "Laporan, berita acara, notulen (about) and surat keterangan"
    story = _heading(data.title, data.number, about and data.subject)
    story += _body(data)
    story += _closing(data, dateline=_dateline(data, layout))
    story += _copies(data)
    return story


def _insert_heading(blocks, label, before):
    """blocks with the centred heading label (MEMUTUSKAN:) before the
    first section among before, unless the drafter wrote it"""
    labels = [b.label.lower() for b in blocks
        if isinstance(b, markup.Section)]
    if label.rstrip(':').lower() in labels:
        return blocks
    for index, block in enumerate(blocks):
        if (isinstance(block, markup.Section)
                and block.label.lower() in before):
            return blocks[:index] + [
                markup.Section(label.rstrip(':'), [])] + blocks[index:]
    return blocks


def _story_decree(data):
    """Keputusan, instruksi: the issuing official in the title and above
    the considerations (Menimbang, Mengingat), MEMUTUSKAN: before
    Menetapkan"""
    issuer = (data.sender or data.signer.position).upper()
    title = f'{data.title} {issuer}'.strip()
    story = _heading(title, data.number, data.subject)
    story += [
        TextLines([f'{issuer},'], align='center'),
        Spacer(0, LEADING / 2),
        ]
    blocks = _insert_heading(
        markup.parse(data.body), 'MEMUTUSKAN:', {'menetapkan'})
    story += _body(data, blocks)
    story += _closing(data, dateline=_dateline(data, 'decree'))
    story += _copies(data)
    return story


def _story_order(data):
    """Surat perintah, surat tugas: no TENTANG; Dasar, then the order
    (MEMERINTAHKAN: or MENUGASKAN:), Kepada, Untuk, each a label with its
    aligned text. Without a Kepada section, the addressees are the Kepada"""
    story = _heading(data.title, data.number)
    verb = ORDER_VERBS.get(data.letter_type, DEFAULT_ORDER_VERB)
    blocks = markup.parse(data.body)
    labels = {
        b.label.lower() for b in blocks if isinstance(b, markup.Section)}
    if 'kepada' not in labels and data.addressees:
        kepada = markup.Section('Kepada', [markup.List([
                        markup.Item(f'{n}.', [markup.inline(a)])
                        for n, a in enumerate(data.addressees, 1)])
                    if len(data.addressees) > 1
                    else markup.Paragraph([markup.inline(
                                data.addressees[0])])])
        position = next((
                i for i, b in enumerate(blocks)
                if isinstance(b, markup.Section)
                and b.label.lower() == 'untuk'), None)
        if position is None:
            # After Dasar and whatever follows it, before the closing text
            position = next((
                    i + 1 for i, b in reversed(list(enumerate(blocks)))
                    if isinstance(b, markup.Section)), 0)
        blocks = blocks[:position] + [kepada] + blocks[position:]
    blocks = _insert_heading(blocks, verb, {'kepada'})
    story += _body(data, blocks)
    story += _closing(data, dateline=_dateline(data, 'order'))
    story += _copies(data)
    return story


def _story_circular(data):
    """Surat edaran, pengumuman: the addressees first (Yth.), then title,
    NOMOR, TENTANG and the text, issued at the foot"""
    story = _addressee_block(data)
    story += _heading(data.title, data.number, data.subject)
    story += _body(data)
    story += _closing(data, dateline=_dateline(data, 'circular'))
    story += _copies(data)
    return story


def _closing(data, dateline=''):
    block = SignatureBlock(data.signer, data.verify_url, dateline=dateline)
    # The signature block stays whole: a new page when it does not fit
    _, height = block.wrap(
        PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT, PAGE_HEIGHT)
    return [Spacer(0, LEADING), CondPageBreak(height), block]


def _copies(data):
    "Tembusan, under the signature"
    copies = [c for c in data.copies if c]
    if not copies:
        return []
    return [
        Spacer(0, LEADING / 2),
        TextLines(['Tembusan:'] + _numbered(copies), size=FONT_SIZE - 1)]


class _Rule(Flowable):
    "A thin full-width rule with some space around it"

    def wrap(self, available_width, available_height):
        self.width = available_width
        self.height = LEADING
        return self.width, self.height

    def draw(self):
        self.canv.setLineWidth(0.8)
        self.canv.line(0, self.height / 2, self.width, self.height / 2)


STORIES = {
    'letter': _story_letter,
    'memo': _story_memo,
    'decree': _story_decree,
    'order': _story_order,
    'circular': _story_circular,
    'titled': lambda data: _story_titled(data, 'titled'),
    'statement': lambda data: _story_titled(data, 'statement', about=False),
    }


# Letter types whose form Permendagri 1/2023 gives apart from their layout's
# (a surat pengantar is a letter, a telaah staf a memo, for their registers)
TYPE_STORIES = {
    'surat_pengantar': _story_transmittal,
    'telaah_staf': _story_staff_study,
    }


def render_letter(data, compress=True):
    """The letter as PDF bytes.

    compress=False writes uncompressed content streams (for tests)."""
    layout = LAYOUT_ALIASES.get(data.layout, data.layout)
    story = TYPE_STORIES.get(
        data.letter_type, STORIES.get(layout, _story_letter))(data)

    if not data.letterhead.logo:
        # Tata Naskah Dinas puts the lambang daerah in the kop; a letter
        # without it is still signed rather than blocked
        logger.warning(
            "letter %s rendered without lambang: %s has no logo",
            data.number, data.letterhead.name)
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    head_height = _letterhead_height(data.letterhead)
    footer = _footer_lines(data.footer)
    bottom = MARGIN_BOTTOM + _footer_height(footer)
    first = Frame(
        MARGIN_LEFT, bottom, width,
        PAGE_HEIGHT - MARGIN_TOP - head_height - 0.5 * cm - bottom,
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
        id='first')
    later = Frame(
        MARGIN_LEFT, bottom, width,
        PAGE_HEIGHT - MARGIN_TOP - bottom,
        leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0,
        id='later')

    def first_page(canvas, document):
        # Under the text, which stays readable through it
        if data.draft:
            _draw_watermark(canvas)
        _draw_letterhead(canvas, data.letterhead, head_height)

    def later_page(canvas, document):
        if data.draft:
            _draw_watermark(canvas)
        canvas.setFont(FONT, FONT_SIZE - 1)
        canvas.drawCentredString(
            PAGE_WIDTH / 2, PAGE_HEIGHT - MARGIN_TOP + 0.8 * cm,
            f'- {canvas.getPageNumber()} -')

    def page_end(canvas, document):
        # On every page: a page taken out of the letter still says how it
        # was signed and where to check it
        if footer:
            _draw_footer(canvas, footer)

    output = io.BytesIO()
    document = BaseDocTemplate(
        output, pagesize=A4, pageCompression=1 if compress else 0,
        title=data.subject, author=data.letterhead.name,
        subject=data.number, creator='e-Surat',
        leftMargin=MARGIN_LEFT, rightMargin=MARGIN_RIGHT,
        topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM,
        pageTemplates=[
            PageTemplate('first', [first], onPage=first_page,
                onPageEnd=page_end, autoNextPageTemplate='later'),
            PageTemplate('later', [later], onPage=later_page,
                onPageEnd=page_end),
            ])
    document.build(story)
    if data.appendices:
        return append_pages(output.getvalue(), data.appendices)
    return output.getvalue()


# Enclosures ----------------------------------------------------------------

_DIGITS = [
    '', 'satu', 'dua', 'tiga', 'empat', 'lima', 'enam', 'tujuh', 'delapan',
    'sembilan', 'sepuluh', 'sebelas']


def number_words(number):
    "A number below 1 000 in Indonesian words: 12 is dua belas"
    if number < 12:
        return _DIGITS[number]
    if number < 20:
        return f'{_DIGITS[number - 10]} belas'
    for size, word in [(100, 'puluh'), (1000, 'ratus')]:
        if number < size:
            base = size // 10
            head, rest = divmod(number, base)
            words = ('se' + word if head == 1 and base == 100
                else f'{_DIGITS[head]} {word}')
            return f'{words} {number_words(rest)}' if rest else words
    raise ValueError(number)


def enclosure_count(count):
    "The Lampiran line for count files: 2 (dua) berkas"
    return f'{count} ({number_words(count)}) berkas'


class EnclosureError(ValueError):
    "A PDF whose pages cannot be taken into the letter (encrypted, broken)"


_pdfium_lock = threading.Lock()


def enclosure_pdf(data, mimetype):
    """An enclosure (a scan's PDF, JPEG or PNG, as esurat_base's scan
    checks them) as PDF bytes: an image becomes an A4 page, fitted within
    the letter's margins and turned as its camera says"""
    if mimetype == 'application/pdf':
        # Opened now: an encrypted PDF passes the scan checks but has no
        # pages to give
        with _pdfium_lock:
            document = _open_pdf(data)
            document.close()
        return data
    image = PILImage.open(io.BytesIO(data))
    # Read from the header: a picture is decoded only when it must turn
    orientation = image.getexif().get(0x0112, 1)
    if orientation != 1:
        image = ImageOps.exif_transpose(image)
    width, height = image.size
    page = A4 if height >= width else landscape(A4)
    room_w = page[0] - MARGIN_LEFT - MARGIN_RIGHT
    room_h = page[1] - MARGIN_TOP - MARGIN_BOTTOM
    scale = min(room_w / width, room_h / height)
    output = io.BytesIO()
    canvas = Canvas(output, pagesize=page)
    # A JPEG that needs no turning is embedded as it is, not re-encoded
    source = (io.BytesIO(data)
        if mimetype == 'image/jpeg' and orientation == 1 else image)
    canvas.drawImage(
        ImageReader(source), (page[0] - width * scale) / 2,
        (page[1] - height * scale) / 2, width * scale, height * scale)
    canvas.showPage()
    canvas.save()
    return output.getvalue()


def _open_pdf(data):
    import pypdfium2
    try:
        return pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        raise EnclosureError(str(error))


def append_pages(pdf, appendices):
    "pdf with the pages of the PDFs appendices after its own"
    # PDFium is not thread-safe, and Tryton's server may run threads
    with _pdfium_lock:
        document = _open_pdf(pdf)
        try:
            for appendix in appendices:
                source = _open_pdf(appendix)
                try:
                    document.import_pages(source)
                finally:
                    source.close()
            output = io.BytesIO()
            document.save(output)
        finally:
            document.close()
    return output.getvalue()
