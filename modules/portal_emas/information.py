# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Workflow, fields
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.filestore import FilestoreMixin
from trytond.modules.esurat_base.letter_file import inspect_upload
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from .exceptions import InformationError

# The most items a public page lists at once
MAX_LIMIT = 100


class Information(ClientWriteMixin, Workflow, ModelSQL, ModelView):
    """Public information (UU 14/2008): published by the information
    officers (PPID), shown on the public pages while published and within
    its dates"""
    __name__ = 'portal.information'
    __string__ = "Public Information"
    _rec_name = 'title'

    _states = {'readonly': Eval('state') != 'draft'}
    title = fields.Char("Title", required=True, states=_states)
    category = fields.Selection([
            ('berkala', "Periodic (Berkala)"),
            ('serta_merta', "Immediate (Serta Merta)"),
            ('setiap_saat', "Available at Any Time (Setiap Saat)"),
            ], "Category", required=True, sort=False, states=_states)
    category_string = category.translated('category')
    summary = fields.Text("Summary", states=_states)
    body = fields.Text("Body", states=_states)
    unit = fields.Many2One(
        'esurat.unit', "Publishing Unit", required=True, ondelete='RESTRICT',
        states=_states)
    publish_date = fields.Date(
        "Publish Date", states=_states,
        help="Shown from this day; today when published without one.")
    withdraw_date = fields.Date(
        "Withdraw Date", states={'readonly': Eval('state') == 'withdrawn'},
        help="No longer shown from this day.")
    attachments = fields.One2Many(
        'portal.information.attachment', 'information', "Attachments",
        states=_states)
    state = fields.Selection([
            ('draft', "Draft"),
            ('published', "Published"),
            ('withdrawn', "Withdrawn"),
            ], "State", required=True, readonly=True, sort=False)
    del _states

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('publish_date', 'DESC NULLS FIRST'), ('id', 'DESC')]
        cls._sql_indexes.add(Index(t,
                (t.state, Index.Equality(cardinality='low')),
                (t.publish_date, Index.Range(order='DESC'))))
        cls._transitions |= {
            ('draft', 'published'),
            ('published', 'withdrawn'),
            ('withdrawn', 'draft'),
            }
        cls._buttons.update({
                'publish': {
                    'invisible': Eval('state') != 'draft',
                    'depends': ['state'],
                    },
                'withdraw': {
                    'invisible': Eval('state') != 'published',
                    'depends': ['state'],
                    },
                'draft': {
                    'invisible': Eval('state') != 'withdrawn',
                    'icon': 'tryton-undo',
                    'depends': ['state'],
                    },
                })

    @classmethod
    def default_state(cls):
        return 'draft'

    @classmethod
    def default_category(cls):
        return 'setiap_saat'

    @classmethod
    @ModelView.button
    @Workflow.transition('published')
    def publish(cls, items):
        today = datetime.date.today()
        for item in items:
            if not item.body and not item.attachments:
                raise InformationError(gettext(
                        'portal_emas.msg_information_empty',
                        title=item.title))
        cls.write([i for i in items if not i.publish_date], {
                'publish_date': today,
                })
        cls.write([i for i in items
                if i.withdraw_date and i.withdraw_date <= today], {
                'withdraw_date': None,
                })

    @classmethod
    @ModelView.button
    @Workflow.transition('withdrawn')
    def withdraw(cls, items):
        cls.write(items, {'withdraw_date': datetime.date.today()})

    @classmethod
    @ModelView.button
    @Workflow.transition('draft')
    def draft(cls, items):
        cls.write(items, {'withdraw_date': None})

    # Public API of the pages

    @classmethod
    def _public_domain(cls):
        today = datetime.date.today()
        return [
            ('state', '=', 'published'),
            ('publish_date', '<=', today),
            ['OR',
                ('withdraw_date', '=', None),
                ('withdraw_date', '>', today),
                ],
            ]

    @classmethod
    def _public_item(cls, id_):
        "The item of id_ if it is shown to the public, or None"
        try:
            id_ = int(id_)
        except (TypeError, ValueError):
            return None
        items = cls.search(
            [('id', '=', id_), *cls._public_domain()], limit=1)
        return items[0] if items else None

    def _public_dict(self):
        return {
            'id': self.id,
            'title': self.title,
            'category': self.category,
            'category_label': self.category_string,
            'summary': self.summary,
            'unit': self.unit.name,
            'publish_date': self.publish_date,
            }

    @classmethod
    @without_check_access
    def public_list(cls, category=None, offset=0, limit=20):
        "The shown items, newest first, of category when given"
        domain = cls._public_domain()
        if category:
            domain.append(('category', '=', category))
        items = cls.search(
            domain, offset=max(int(offset or 0), 0),
            limit=min(max(int(limit or 0), 1), MAX_LIMIT))
        return [i._public_dict() for i in items]

    @classmethod
    @without_check_access
    def public_get(cls, id_):
        "What the public page of the item id_ shows, or None"
        item = cls._public_item(id_)
        if item:
            return {
                **item._public_dict(),
                'body': item.body,
                'attachments': [{
                        'id': a.id,
                        'name': a.name,
                        'mimetype': a.mimetype,
                        'size': a.size,
                        } for a in item.attachments],
                }

    @classmethod
    @without_check_access
    def public_attachment(cls, info_id, attachment_id):
        "(filename, mimetype, bytes) of a shown item's attachment, or None"
        item = cls._public_item(info_id)
        if item:
            for attachment in item.attachments:
                if str(attachment.id) == str(attachment_id):
                    return (
                        attachment.name, attachment.mimetype,
                        bytes(attachment.data))


class Attachment(FilestoreMixin, ClientWriteMixin, ModelSQL, ModelView):
    __name__ = 'portal.information.attachment'
    __string__ = "Public Information Attachment"

    _states = {'readonly': Eval('id', -1) >= 0}
    information = fields.Many2One(
        'portal.information', "Information", required=True,
        ondelete='CASCADE')
    name = fields.Char("File Name", required=True, states=_states)
    data = fields.Binary(
        "File", filename='name', file_id='file_id', store_prefix='portal',
        required=True, states=_states)
    del _states
    file_id = fields.Char("File ID", readonly=True)
    mimetype = fields.Char("Type", readonly=True)
    size = fields.Integer("Size (bytes)", readonly=True)
    sha256 = fields.Char("SHA-256", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('information')
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.information, Index.Range())))

    @classmethod
    def preprocess_values(cls, mode, values):
        values = super().preprocess_values(mode, values)
        if mode == 'create':
            # Typed by content, as scans are: PDF, JPEG or PNG
            upload = inspect_upload(
                values.get('data'), values.get('name') or 'lampiran')
            del upload['pages']
            values.update(upload)
        return values

    @classmethod
    def check_modification(
            cls, mode, attachments, values=None, external=False):
        super().check_modification(
            mode, attachments, values=values, external=external)
        # What the public has seen is withdrawn, never changed underneath
        for attachment in attachments:
            if attachment.information.state != 'draft':
                raise InformationError(gettext(
                        'portal_emas.msg_information_attachment_locked',
                        title=attachment.information.title))
