# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Checks and conversions of scanned letters, independent of the ORM.

The type of a file is decided by its content, never by its name.
"""
import hashlib
from io import BytesIO

PDF = 'application/pdf'
JPEG = 'image/jpeg'
PNG = 'image/png'
EXTENSIONS = {PDF: 'pdf', JPEG: 'jpg', PNG: 'png'}


class ScanError(ValueError):
    "The content is not a usable scan; args[0] is a message id"


def sniff(data):
    "Return the MIME type of data from its magic bytes, or None"
    if data.startswith(b'%PDF-'):
        return PDF
    if data.startswith(b'\xff\xd8\xff'):
        return JPEG
    if data.startswith(b'\x89PNG\r\n\x1a\n'):
        return PNG
    return None


def pdf_pages(data):
    "Return the number of pages of a PDF, or raise ScanError"
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader

    # A deeply nested object exhausts the parser's recursion: that PDF is
    # as unreadable as a broken one
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        pages = int(reader.root['/Pages']['/Count'])
    except (PdfError, KeyError, ValueError, TypeError, AttributeError,
            IndexError, OSError, RecursionError):
        raise ScanError('msg_file_pdf_malformed')
    if pages < 1:
        raise ScanError('msg_file_pdf_malformed')
    return pages


def _open_image(data):
    from PIL import Image, UnidentifiedImageError
    try:
        image = Image.open(BytesIO(data))
        image.verify()
        # verify() leaves the image unusable: open it again to load it
        image = Image.open(BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError):
        raise ScanError('msg_file_image_malformed')
    return image


def inspect(data, max_size):
    """Return (mimetype, pages) of a scan or raise ScanError

    Accepts PDF, JPEG and PNG whose structure can be read."""
    if not data:
        raise ScanError('msg_file_empty')
    if len(data) > max_size:
        raise ScanError('msg_file_too_large')
    mimetype = sniff(data)
    if mimetype is None:
        raise ScanError('msg_file_type')
    if mimetype == PDF:
        return mimetype, pdf_pages(data)
    _open_image(data)
    return mimetype, 1


def images_to_pdf(images, resolution=150):
    "Combine JPEG/PNG images (bytes) into one PDF, a page per image"
    pages = []
    for data in images:
        if sniff(data) not in {JPEG, PNG}:
            raise ScanError('msg_file_combine_type')
        image = _open_image(data)
        if image.mode not in {'RGB', 'L'}:
            image = image.convert('RGB')
        pages.append(image)
    if not pages:
        raise ScanError('msg_file_empty')
    buffer = BytesIO()
    pages[0].save(
        buffer, format='PDF', save_all=True, append_images=pages[1:],
        resolution=resolution)
    return buffer.getvalue()


def sha256(data):
    return hashlib.sha256(data).hexdigest()
