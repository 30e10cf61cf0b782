# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.transaction import Transaction, without_check_access

from .exceptions import FileValidationError, LetterAccessError
from .filestore import FilestoreMixin
from .letter_file import inspect_upload
from .scan import sha256

# What decides whether an attachment is a file e-Surat accepts
_FILE_FIELDS = {'resource', 'type', 'data', 'name', 'link'}


def _model_name(resource):
    "The model of a Reference value as a client or the server sends it"
    if not resource:
        return None
    if isinstance(resource, str):
        return resource.split(',', 1)[0]
    if isinstance(resource, (list, tuple)):
        return resource[0]
    return getattr(resource, '__name__', None)


class Attachment(FilestoreMixin, metaclass=PoolMeta):
    """Files clipped to e-Surat records are checked like scans

    The paperclip of the client accepts any file under any name; on an
    e-Surat record only what a scan may be (PDF, JPG, PNG recognised by
    their content, within the configured size) is kept, named after its
    real type, and links are refused.  Every file's SHA-256 is kept, for
    the filestore's checks."""
    __name__ = 'ir.attachment'

    sha256 = fields.Char("SHA-256", readonly=True)

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        # The fingerprint is the server's, of the data it stores
        values.pop('sha256', None)
        if 'data' in values:
            data = values['data']
            if isinstance(data, str):
                data = data.encode()
            values['sha256'] = sha256(bytes(data)) if data else None
        return values

    @classmethod
    def _esurat_values(cls, values, record=None):
        "values with the name fixed, or FileValidationError"
        def get(name):
            if name in values:
                return values[name]
            if record is not None:
                return getattr(record, name)
            if name == 'resource':
                return Transaction().context.get('resource')
            return cls.default_get([name], with_rec_name=False).get(name)
        model = _model_name(get('resource'))
        if not model or not model.startswith('esurat.'):
            return values
        name = get('name') or 'lampiran'
        if get('type') != 'data':
            raise FileValidationError(gettext(
                    'esurat_base.msg_attachment_link', name=name))
        info = inspect_upload(get('data'), name)
        return {**values, 'name': info['name']}

    @classmethod
    def create(cls, vlist):
        with without_check_access():
            vlist = [cls._esurat_values(v) for v in vlist]
        return super().create(vlist)

    @classmethod
    def write(cls, *args):
        actions = iter(args)
        checked = []
        with without_check_access():
            for records, values in zip(actions, actions):
                if not _FILE_FIELDS & values.keys():
                    checked.extend((records, values))
                    continue
                for record in records:
                    checked.extend(
                        ([record], cls._esurat_values(values, record)))
        super().write(*checked)

    @classmethod
    def _hidden_letters(cls, ids):
        """Ids of the letters whose content the current user must not see
        among the resources of the attachments of ids"""
        pool = Pool()
        Letter = pool.get('esurat.letter')
        transaction = Transaction()
        if not transaction.user or not transaction.check_access:
            return set()
        with without_check_access():
            letters = {
                a.resource.id for a in cls.browse(ids)
                if _model_name(a.resource) == 'esurat.letter'}
        return set(Letter.hidden_content_ids(list(letters), checked=True))

    @classmethod
    def check_access(cls, ids, mode='read'):
        """The files clipped to a rahasia letter are as hidden as its scans:
        reading them needs the right to read the letter's content"""
        pool = Pool()
        Letter = pool.get('esurat.letter')
        super().check_access(ids, mode=mode)
        hidden = cls._hidden_letters(ids)
        if hidden:
            raise LetterAccessError(gettext(
                    'esurat_base.msg_attachment_restricted',
                    letter=Letter(min(hidden)).agenda_number or ''))

    @classmethod
    def search(
            cls, domain, offset=0, limit=None, order=None, count=False,
            **kwargs):
        # Not even listed: their ids and number tell that a rahasia letter
        # has files (Tryton's search already keeps those whose record the
        # user may read)
        transaction = Transaction()
        if (kwargs.get('query') or not transaction.user
                or not transaction.check_access):
            return super().search(
                domain, offset=offset, limit=limit, order=order,
                count=count, **kwargs)
        records = super().search(
            domain, offset=offset, limit=limit, order=order, **kwargs)
        hidden = cls._hidden_letters([r.id for r in records])
        if hidden:
            with without_check_access():
                records = [r for r in cls.browse(records)
                    if not (_model_name(r.resource) == 'esurat.letter'
                        and r.resource.id in hidden)]
        return len(records) if count else records
