# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The letter PDF (Tata Naskah Dinas layouts) with reportlab, free of Tryton.

Only the body paragraphs go through Platypus ``Paragraph`` (justification
and page breaks); the letterhead, the field tables, the signature block and
the QR code are drawn directly on the canvas, which is several times
cheaper.  User text is escaped before any Paragraph markup is built.
"""
from __future__ import annotations

import datetime
import hashlib
import io
from dataclasses import dataclass
from xml.sax.saxutils import escape

import qrcode
from PIL import Image as PILImage
from qrcode.constants import ERROR_CORRECT_M
from reportlab import rl_config
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm, inch
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import (
    BaseDocTemplate, CondPageBreak, Flowable, Frame, PageTemplate, Paragraph,
    Spacer)

from trytond.modules.esurat_base.position import PREFIXES

# Binary streams instead of ASCII85: smaller files, and reportlab's
# pure-Python ASCII85 encoder was a tenth of the rendering time.  Set once
# for the process (a per-call toggle would race between threads).
rl_config.useA85 = 0

PAGE_WIDTH, PAGE_HEIGHT = A4
# domain.md states no margins; 2.5 cm all round (administrators bind on the
# left, so MARGIN_LEFT is the one regions most often change to 3 cm)
MARGIN_LEFT = MARGIN_RIGHT = MARGIN_TOP = MARGIN_BOTTOM = 2.5 * cm
FOOTER_HEIGHT = 1.0 * cm
FONT = 'Helvetica'
FONT_BOLD = 'Helvetica-Bold'
FONT_SIZE = 11
LEADING = 14
SMALL_SIZE = 7.5
QR_SIZE = 2.4 * cm
LOGO_SIZE = 2.4 * cm

MONTHS = (
    'Januari', 'Februari', 'Maret', 'April', 'Mei', 'Juni', 'Juli',
    'Agustus', 'September', 'Oktober', 'November', 'Desember')

# The layouts of esurat.letter.type (esurat_base) map onto ours
LAYOUT_ALIASES = {
    'decree': 'titled',
    'report': 'titled',
    }
DEFAULT_TITLES = {
    'memo': 'NOTA DINAS',
    }

FOOTER_TEXT = (
    "Dokumen ini ditandatangani secara elektronik. Keaslian dapat "
    "diperiksa dengan memindai kode QR atau di {url}.")
SIGNED_CAPTION = "Ditandatangani secara elektronik"


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
    addressee_place: str = 'di Tempat'
    copies: tuple = ()
    sender: str = ''
    title: str = ''


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


def _logo(data):
    """The logo ready to draw (None if unreadable), prepared once per
    process per logo.

    Flattened on white and scaled to 300 dpi at its printed size, then kept
    as JPEG: reportlab embeds JPEG data as it is, while any other image is
    zlib-compressed again in every document (milliseconds for a large
    logo)."""
    digest = hashlib.sha256(data).digest()
    if digest not in _logos:
        if len(_logos) >= 32:
            _logos.clear()
        try:
            image = PILImage.open(io.BytesIO(data))
            image.load()
        except (OSError, ValueError, PILImage.DecompressionBombError):
            # A broken logo must not stop letters from being signed
            _logos[digest] = None
            return None
        image = image.convert('RGBA')
        pixels = round(LOGO_SIZE / inch * 300)
        image.thumbnail((pixels, pixels), PILImage.LANCZOS)
        flat = PILImage.new('RGB', image.size, (255, 255, 255))
        flat.paste(image, mask=image.getchannel('A'))
        output = io.BytesIO()
        flat.save(output, 'JPEG', quality=92, subsampling=0)
        _logos[digest] = ImageReader(io.BytesIO(output.getvalue()))
    return _logos[digest]


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
    would be, name and NIP, centred in the right half of the frame"""

    def __init__(self, signer, verify_url, dateline=''):
        super().__init__()
        self.signer = signer
        self.verify_url = verify_url
        self.dateline = dateline

    def _heading(self):
        signer = self.signer
        position = (signer.position or '').upper()
        if signer.prefix == PREFIXES['assistant']:
            return [
                f'{signer.prefix} {(signer.on_behalf or "").upper()}'.strip(),
                position]
        if signer.prefix:
            return [f'{signer.prefix} {position}']
        return [position]

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
                + (1 if self.signer.nip else 0)) * LEADING
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
        draw_qr(canvas, self.verify_url, center - QR_SIZE / 2,
            top - QR_SIZE, QR_SIZE)
        y = top - QR_SIZE - SMALL_SIZE - 2
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
        if self.signer.nip:
            canvas.setFont(FONT, FONT_SIZE)
            canvas.drawCentredString(center, y, f'NIP. {self.signer.nip}')


class _LastPage(Flowable):
    "Zero-size marker: the page it lands on gets the signature footer"

    def wrap(self, available_width, available_height):
        return 0, 0

    def draw(self):
        self.canv._esurat_last_page = True


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


def _draw_footer(canvas, url):
    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    y = MARGIN_BOTTOM + FOOTER_HEIGHT - 6
    canvas.setLineWidth(0.4)
    canvas.line(MARGIN_LEFT, y, MARGIN_LEFT + width, y)
    canvas.setFont(FONT, SMALL_SIZE)
    y -= SMALL_SIZE + 3
    for line in simpleSplit(
            FOOTER_TEXT.format(url=url), FONT, SMALL_SIZE, width):
        canvas.drawString(MARGIN_LEFT, y, line)
        y -= SMALL_SIZE + 2


BODY_STYLE = ParagraphStyle(
    'body', fontName=FONT, fontSize=FONT_SIZE, leading=LEADING,
    alignment=TA_JUSTIFY, spaceAfter=6)


def _paragraphs(text):
    "User text as Paragraphs: blank lines split, single newlines kept"
    paragraphs = []
    blocks, current = [], []
    for line in (text or '').replace('\r\n', '\n').split('\n'):
        if line.strip():
            current.append(line.rstrip())
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    for block in blocks:
        markup = '<br/>'.join(escape(line) for line in block)
        paragraphs.append(Paragraph(markup, BODY_STYLE))
    return paragraphs


def _numbered(items):
    items = [i for i in items if i]
    if len(items) == 1:
        return items
    return [f'{n}. {item}' for n, item in enumerate(items, 1)]


def _nature(data):
    "The Sifat line: urgency and confidentiality"
    return ' / '.join(v for v in (data.urgency, data.confidentiality) if v)


def _story_letter(data):
    dateline = f'{data.place}, {format_date_id(data.date)}'
    story = [
        TextLines([dateline], align='right'),
        Spacer(0, 4),
        FieldTable([
                ('Nomor', data.number),
                ('Sifat', _nature(data) or '-'),
                ('Lampiran', data.enclosures or '-'),
                ('Hal', data.subject),
                ]),
        Spacer(0, LEADING),
        ]
    addressees = _numbered(data.addressees)
    if addressees:
        lines = ['Yth.'] + addressees if len(addressees) > 1 else [
            f'Yth. {addressees[0]}']
        if data.addressee_place:
            lines.append(data.addressee_place)
        story += [TextLines(lines), Spacer(0, LEADING)]
    story += _paragraphs(data.body)
    story += _closing(data)
    story += _copies(data)
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
    story += _paragraphs(data.body)
    story += _closing(data)
    return story


def _story_titled(data, about=True):
    story = []
    if data.title:
        story.append(TextLines(
                [data.title.upper()], align='center', bold=True,
                size=FONT_SIZE + 2))
    story.append(TextLines([f'NOMOR {data.number}'], align='center'))
    if about and data.subject:
        story += [
            Spacer(0, LEADING / 2),
            TextLines(['TENTANG'], align='center'),
            TextLines([data.subject.upper()], align='center'),
            ]
    story.append(Spacer(0, LEADING))
    story += _paragraphs(data.body)
    story += _closing(
        data, dateline=f'{data.place}, {format_date_id(data.date)}')
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
        TextLines(['Tembusan:'] + [
                f'{n}. {c}' for n, c in enumerate(copies, 1)],
            size=FONT_SIZE - 1)]


class _Rule(Flowable):
    "A thin full-width rule with some space around it"

    def wrap(self, available_width, available_height):
        self.width = available_width
        self.height = LEADING
        return self.width, self.height

    def draw(self):
        self.canv.setLineWidth(0.8)
        self.canv.line(0, self.height / 2, self.width, self.height / 2)


def render_letter(data, compress=True):
    """The letter as PDF bytes.

    compress=False writes uncompressed content streams (for tests)."""
    layout = LAYOUT_ALIASES.get(data.layout, data.layout)
    if layout == 'memo':
        story = _story_memo(data)
    elif layout == 'titled':
        story = _story_titled(data)
    elif layout == 'statement':
        story = _story_titled(data, about=False)
    else:
        story = _story_letter(data)

    width = PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    head_height = _letterhead_height(data.letterhead)
    bottom = MARGIN_BOTTOM + FOOTER_HEIGHT
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
        _draw_letterhead(canvas, data.letterhead, head_height)

    def later_page(canvas, document):
        canvas.setFont(FONT, FONT_SIZE - 1)
        canvas.drawCentredString(
            PAGE_WIDTH / 2, PAGE_HEIGHT - MARGIN_TOP + 0.8 * cm,
            f'- {canvas.getPageNumber()} -')

    def page_end(canvas, document):
        if getattr(canvas, '_esurat_last_page', False):
            _draw_footer(canvas, data.verify_url)
            canvas._esurat_last_page = False

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
    document.build(story + [_LastPage()])
    return output.getvalue()
