# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Files citizens upload: typed by their content (as scans are), and
photos re-encoded, so that a phone camera's 12 megapixels and its EXIF
(GPS position, device serial) never reach the filestore."""
from io import BytesIO

from trytond.i18n import gettext
from trytond.modules.esurat_base import scan
from trytond.modules.esurat_base.letter_file import inspect_upload

from .exceptions import UploadError

# The longer side of a stored photo, in pixels: a document stays legible
MAX_SIDE = 1600
KINDS = {'pdf': scan.PDF, 'jpeg': scan.JPEG, 'png': scan.PNG}


def shrink_photo(data, mimetype, max_side=MAX_SIDE):
    """data (JPEG or PNG) upright, at most max_side pixels on its longer
    side and without metadata; other types are returned as they are"""
    from PIL import Image, ImageOps
    if mimetype not in {scan.JPEG, scan.PNG}:
        return data
    image = ImageOps.exif_transpose(Image.open(BytesIO(data)))
    image.thumbnail((max_side, max_side))
    output = BytesIO()
    if mimetype == scan.JPEG:
        image.convert('RGB').save(
            output, 'JPEG', quality=85, optimize=True)
    else:
        image.save(output, 'PNG', optimize=True)
    return output.getvalue()


def prepare_upload(data, name, kinds):
    """The values (name, data, mimetype, size, pages, sha256) of the file
    a citizen uploaded, or UploadError / FileValidationError before
    anything is stored; kinds are those accepted: 'pdf', 'jpeg', 'png'"""
    data = bytes(data or b'')
    mimetype = scan.sniff(data)
    if data and mimetype not in {KINDS[k] for k in kinds}:
        raise UploadError(gettext(
                'portal_emas.msg_upload_type', name=name,
                kinds=', '.join(k.upper() for k in kinds)))
    # Parsed whole before it is re-encoded: a broken or oversized file is
    # refused with the scans' own messages
    inspect_upload(data, name)
    data = shrink_photo(data, mimetype)
    values = inspect_upload(data, name)
    values['data'] = data
    return values
