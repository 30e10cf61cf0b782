# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import ModelSQL, ModelView, fields, sequence_ordered
from trytond.modules.esurat_base import scan
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.exceptions import FileValidationError
from trytond.modules.esurat_base.filestore import FilestoreMixin
from trytond.modules.esurat_base.letter_file import (
    CONTENT_DERIVED, inspect_upload)
from trytond.pyson import Eval

from . import render
from .content import EXPORT_HIDDEN, RestrictedContentMixin
from .outgoing import check_letter_editable


class Enclosure(
        FilestoreMixin, RestrictedContentMixin, ClientWriteMixin,
        sequence_ordered(), ModelSQL, ModelView):
    """A lampiran of an outgoing letter as a file: its pages follow the
    letter's in the PDF that is signed and delivered

    Its access is the letter's (__access__): who may read or edit the letter
    may read or edit its enclosures, and a rahasia letter's are masked like
    its text."""
    __name__ = 'esurat.outgoing.enclosure'
    __string__ = "Enclosure File"

    _stored = {'readonly': Eval('id', -1) >= 0}
    outgoing = fields.Many2One(
        'esurat.outgoing', "Outgoing Letter", required=True,
        ondelete='CASCADE', states=_stored)
    # Its extension is the type found in the content
    name = fields.Char(
        "File Name", required=True,
        states={**_stored, 'invisible': EXPORT_HIDDEN})
    data = fields.Binary(
        "File", filename='name', file_id='file_id', store_prefix='esurat',
        required=True, states={**_stored, 'invisible': EXPORT_HIDDEN})
    file_id = fields.Char("File ID", readonly=True)
    mimetype = fields.Char("Type", readonly=True)
    size = fields.Integer("Size (bytes)", readonly=True)
    pages = fields.Integer("Pages", readonly=True)
    sha256 = fields.Char("SHA-256", readonly=True)
    content_hidden = fields.Function(
        fields.Boolean("Content Hidden"), 'get_content_hidden')
    del _stored

    _content_fields = {'name', 'data'}
    _content_outgoing = 'outgoing'

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('outgoing')

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            data = values.get('data')
            info = inspect_upload(data, values.get('name') or 'lampiran')
            try:
                if info['mimetype'] == scan.PDF:
                    render.enclosure_pdf(
                        data.encode() if isinstance(data, str)
                        else bytes(data), scan.PDF)
            except render.EnclosureError:
                raise FileValidationError(gettext(
                        'esurat_signing.msg_enclosure_unreadable',
                        name=info['name']))
            values.update(info)
        return values

    @classmethod
    def check_modification(cls, mode, enclosures, values=None,
            external=False):
        super().check_modification(
            mode, enclosures, values=values, external=external)
        if mode == 'write' and CONTENT_DERIVED & set(values):
            raise FileValidationError(gettext(
                    'esurat_base.msg_file_immutable',
                    name=enclosures[0].name))
        if external:
            check_letter_editable(enclosures, values)

    def as_pdf(self):
        "The pages the letter's PDF takes from the enclosure"
        return render.enclosure_pdf(bytes(self.data), self.mimetype)
