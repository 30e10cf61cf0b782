# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The small markup of a letter's body, parsed into blocks (free of
reportlab: render.py draws them, escaping every text).

Blocks are separated by blank lines:

- a paragraph: lines of text, its line breaks kept;
- a list: lines starting with a marker ("1.", "2)", "a.", "-", "•"), printed
  as typed; lines indented under an item continue it, or make a nested list
  when they start with a marker;
- fields: lines "key : value" (a space before the colon), their values
  aligned (an undangan's hari/tanggal, pukul, tempat, acara);
- a table: lines between "|", "| No | Nama |"; a line of dashes
  "|---|---|" under the first row makes it a heading;
- a section: a line "Label:" alone (at most three words) and, from the
  next line on, the blocks it labels, up to the next section or a
  paragraph after a blank line (Dasar, Kepada, Untuk of a surat perintah;
  Menimbang, Mengingat of a keputusan); without blocks, a heading
  ("MEMUTUSKAN:") or plain text ("Dengan hormat:").

Inline: **bold**, *italic*, __underline__; a backslash keeps the next
character as it is (\\*).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

MARKER = re.compile(r'^(\d{1,3}[.)]|[a-zA-Z][.)]|[-\u2022])\s+(.*)$')
FIELD = re.compile(r'^([^:|\s][^:|]{0,39}?)\s+:\s*(.*)$')
SECTION = re.compile(r'^([A-Za-z][\w/]*(?: [\w/]+){0,2})\s*:$')
TABLE_RULE = re.compile(r'^\|[\s:|-]*-[\s:|-]*\|$')
INLINE = re.compile(
    r'\\(?P<escaped>.)'
    r'|\*\*(?P<bold>.+?)\*\*(?!\*)'
    r'|__(?P<underline>.+?)__'
    r'|\*(?P<italic>[^*\s](?:.*?[^*\s])?)\*')


@dataclass
class Run:
    "A piece of text and its styles"
    text: str
    bold: bool = False
    italic: bool = False
    underline: bool = False


@dataclass
class Paragraph:
    lines: list  # of lists of Run


@dataclass
class Item:
    marker: str
    lines: list  # of lists of Run
    children: list = field(default_factory=list)  # nested List blocks


@dataclass
class List:
    items: list


@dataclass
class Fields:
    rows: list  # of (key runs, list of value lines)


@dataclass
class Table:
    rows: list  # of lists of cells, each a list of Run
    header: bool = False


@dataclass
class Section:
    label: str
    blocks: list


def inline(text, bold=False, italic=False, underline=False):
    "The runs of text"
    runs, position = [], 0

    def add(text, **styles):
        if text:
            runs.append(Run(text, **{
                        'bold': bold, 'italic': italic,
                        'underline': underline, **styles}))
    for match in INLINE.finditer(text):
        add(text[position:match.start()])
        position = match.end()
        if match['escaped'] is not None:
            add(match['escaped'])
        elif match['bold'] is not None:
            runs += inline(match['bold'], True, italic, underline)
        elif match['underline'] is not None:
            runs += inline(match['underline'], bold, italic, True)
        else:
            runs += inline(match['italic'], bold, True, underline)
    add(text[position:])
    return runs


def plain(runs):
    return ''.join(r.text for r in runs)


def _indent(line):
    return len(line) - len(line.lstrip(' '))


def _is_table(text):
    return len(text) >= 2 and text.startswith('|') and text.endswith('|')


def _cells(text):
    cells, current, escaped = [], '', False
    for char in text[1:-1]:
        if escaped:
            current += '\\' + char
            escaped = False
        elif char == '\\':
            escaped = True
        elif char == '|':
            cells.append(current)
            current = ''
        else:
            current += char
    cells.append(current + ('\\' if escaped else ''))
    return [inline(c.strip()) for c in cells]


def parse(text):
    "The blocks of text"
    lines = (text or '').replace('\r\n', '\n').replace('\r', '\n')
    lines = lines.replace('\t', '    ').split('\n')
    blocks = []
    # (block, whether a blank line came before it)
    flat = list(_flat_blocks([line.rstrip() for line in lines]))
    index = 0
    while index < len(flat):
        block, _ = flat[index]
        index += 1
        if isinstance(block, Section):
            while index < len(flat):
                child, after_blank = flat[index]
                # "Dengan hormat:" and a blank line is no section
                if isinstance(child, Section) or (after_blank and (
                            not block.blocks
                            or isinstance(child, Paragraph))):
                    break
                block.blocks.append(child)
                index += 1
        blocks.append(block)
    return blocks


def _flat_blocks(lines):
    index, after_blank = 0, False
    while index < len(lines):
        line = lines[index]
        text = line.strip()
        if not text:
            index += 1
            after_blank = True
            continue
        if _indent(line) == 0 and SECTION.match(text):
            yield Section(SECTION.match(text)[1], []), after_blank
            index += 1
        elif _is_table(text):
            rows, header = [], False
            while index < len(lines) and _is_table(lines[index].strip()):
                row = lines[index].strip()
                if TABLE_RULE.match(row):
                    header = header or len(rows) == 1
                else:
                    rows.append(_cells(row))
                index += 1
            yield Table(rows, header), after_blank
        elif MARKER.match(text):
            index, block = _list(lines, index)
            yield block, after_blank
        elif FIELD.match(text):
            rows = []
            while index < len(lines):
                line = lines[index]
                match = FIELD.match(line.strip())
                if match and _indent(line) == 0:
                    rows.append((inline(match[1]), [inline(match[2])]))
                elif rows and line.strip() and _indent(line) > 0:
                    rows[-1][1].append(inline(line.strip()))
                else:
                    break
                index += 1
            yield Fields(rows), after_blank
        else:
            paragraph = []
            while index < len(lines):
                text = lines[index].strip()
                if not text or (paragraph and (
                            MARKER.match(text) or _is_table(text)
                            or FIELD.match(text) or SECTION.match(text))):
                    break
                paragraph.append(inline(text))
                index += 1
            yield Paragraph(paragraph), after_blank
        after_blank = False


def _list(lines, index):
    """The list starting at lines[index]: its items at that indentation,
    deeper lines continuing them or nested in them"""
    base = _indent(lines[index])
    items = []
    while index < len(lines):
        line = lines[index]
        text = line.strip()
        if not text:
            # A blank line ends the list unless an item of it follows
            following = index + 1
            while following < len(lines) and not lines[following].strip():
                following += 1
            if (following < len(lines)
                    and _indent(lines[following]) >= base
                    and MARKER.match(lines[following].strip())):
                index = following
                continue
            break
        indent = _indent(line)
        match = MARKER.match(text)
        if indent < base:
            break
        if match and indent == base:
            items.append(Item(match[1], [inline(match[2])]))
            index += 1
        elif match and indent > base and items:
            index, nested = _list(lines, index)
            items[-1].children.append(nested)
        elif items and (indent > base or not (
                    _is_table(text) or SECTION.match(text)
                    or FIELD.match(text))):
            # Continuation, also unindented right under the item
            if items[-1].children:
                break
            items[-1].lines.append(inline(text))
            index += 1
        else:
            break
    return index, List(items)
