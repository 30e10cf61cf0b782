# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.pyson import Eval
from trytond.transaction import Transaction, check_access, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from . import scan
from .access import ClientWriteMixin
from .exceptions import FilestoreError, FileValidationError
from .filestore import FilestoreMixin
from .letter_access import LetterReadableMixin

# Fields computed from the content and never written by anyone
CONTENT_DERIVED = {'data', 'file_id', 'mimetype', 'size', 'pages', 'sha256'}


def inspect_upload(data, name):
    """The values describing an uploaded file, or FileValidationError

    The type comes from the content (scan.inspect); the name gets the
    extension of that type.  Used for scans and for every other file put
    on an e-Surat record."""
    pool = Pool()
    Configuration = pool.get('esurat.configuration')
    if isinstance(data, str):
        data = data.encode()
    data = bytes(data or b'')
    with without_check_access():
        configuration = Configuration(1)
        max_bytes = configuration.max_scan_bytes
        max_size = configuration.max_scan_size
    try:
        mimetype, pages = scan.inspect(data, max_bytes)
    except scan.ScanError as error:
        raise FileValidationError(gettext(
                f'esurat_base.{error.args[0]}', name=name, max=max_size))
    stem = name.rsplit('.', 1)[0] if '.' in name else name
    return {
        'name': f'{stem}.{scan.EXTENSIONS[mimetype]}',
        'mimetype': mimetype,
        'size': len(data),
        'pages': pages,
        'sha256': scan.sha256(data),
        }


class LetterFile(
        FilestoreMixin, LetterReadableMixin, ClientWriteMixin, ModelSQL,
        ModelView):
    __name__ = 'esurat.letter.file'
    __string__ = "Letter File"

    letter = fields.Many2One(
        'esurat.letter', "Letter", required=True, ondelete='RESTRICT')
    # Its extension is the type found in the content: fixed once stored
    name = fields.Char(
        "File Name", required=True,
        states={'readonly': Eval('id', -1) >= 0})
    data = fields.Binary(
        "File", filename='name', file_id='file_id', store_prefix='esurat',
        required=True,
        states={'readonly': Eval('id', -1) >= 0})
    file_id = fields.Char("File ID", readonly=True)
    mimetype = fields.Char("Type", readonly=True)
    size = fields.Integer("Size (bytes)", readonly=True)
    pages = fields.Integer("Pages", readonly=True)
    sha256 = fields.Char(
        "SHA-256", readonly=True,
        help="Fingerprint of the file taken at upload; "
        "any later change of the stored file is detected.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('letter')
        t = cls.__table__()
        cls._order = [('letter', 'DESC'), ('id', 'ASC')]
        cls._sql_indexes.update({
                Index(t, (t.letter, Index.Range())),
                Index(t, (t.sha256, Index.Equality(cardinality='high'))),
                })
        cls._buttons.update({
                'check_integrity': {},
                })

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            values.update(inspect_upload(
                    values.get('data'), values.get('name') or 'scan'))
        return values

    @classmethod
    def check_modification(cls, mode, files, values=None, external=False):
        super().check_modification(
            mode, files, values=values, external=external)
        if mode == 'write' and CONTENT_DERIVED & set(values):
            raise FileValidationError(gettext(
                    'esurat_base.msg_file_immutable',
                    name=files[0].name))
        if mode == 'delete':
            for file in files:
                if file.letter.state != 'draft':
                    raise FileValidationError(gettext(
                            'esurat_base.msg_file_delete_registered',
                            name=file.name,
                            letter=file.letter.rec_name))

    @classmethod
    def _check_readable(cls, files):
        # Tryton's copy reads without access checks and its export
        # evaluates the record rules in Python, where the dotted rule on the
        # letter's confidentiality holds for every file: check them in SQL
        transaction = Transaction()
        if transaction.user and transaction.check_access:
            cls.read([f.id for f in files], ['id'])

    @classmethod
    def export_data(cls, files, fields_names, header=False):
        cls._check_readable(files)
        return super().export_data(files, fields_names, header=header)

    @classmethod
    def copy(cls, files, default=None):
        cls._check_readable(files)
        return super().copy(files, default=default)

    def integrity_ok(self):
        "Whether the stored bytes still have the fingerprint of the upload"
        try:
            return bool(self.data) and scan.sha256(self.data) == self.sha256
        except FilestoreError:
            return False

    @classmethod
    @ModelView.button
    def check_integrity(cls, files):
        for file in files:
            if not file.integrity_ok():
                raise FileValidationError(gettext(
                        'esurat_base.msg_file_integrity',
                        name=file.name, letter=file.letter.rec_name))


class CombineStart(ModelView):
    __name__ = 'esurat.letter.scan.combine.start'
    __string__ = "Combine Scanned Images"

    name = fields.Char("File Name", required=True)
    pages = fields.One2Many(
        'esurat.letter.scan.combine.page', None, "Pages",
        help="Images (JPG or PNG) in page order.")


class CombinePage(ModelView):
    __name__ = 'esurat.letter.scan.combine.page'
    __string__ = "Scanned Page"

    image = fields.Binary("Image", filename='filename', required=True)
    filename = fields.Char("File Name")


class Combine(Wizard):
    __name__ = 'esurat.letter.scan.combine'

    start = StateView(
        'esurat.letter.scan.combine.start',
        'esurat_base.letter_scan_combine_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Combine into PDF", 'combine', 'tryton-ok', default=True),
            ])
    combine = StateTransition()

    def default_start(self, fields):
        return {'name': 'scan.pdf'}

    def transition_combine(self):
        pool = Pool()
        Letter = pool.get('esurat.letter')
        images = [bytes(p.image) for p in self.start.pages if p.image]
        try:
            pdf = scan.images_to_pdf(images)
        except scan.ScanError as error:
            raise FileValidationError(gettext(
                    f'esurat_base.{error.args[0]}', name=self.start.name,
                    max=''))
        # Through the letter, as the user: the wizard runs without access
        # checks, and an archived letter or one whose content the user may
        # not see takes no new file
        with check_access():
            Letter.write([Letter(self.record.id)], {
                    'files': [('create', [{
                                    'name': self.start.name,
                                    'data': pdf,
                                    }])],
                    })
        return 'end'
