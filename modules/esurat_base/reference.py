# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import functools

from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)

from .access import ClientWriteMixin
from .letter_access import LetterReadableMixin


class _CodedMixin(DeactivableMixin, sequence_ordered()):
    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char("Code", required=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'esurat_base.msg_reference_code_unique'),
            ]


class Urgency(ClientWriteMixin, _CodedMixin, ModelSQL, ModelView):
    __name__ = 'esurat.letter.urgency'
    __string__ = "Letter Urgency"


class Confidentiality(ClientWriteMixin, _CodedMixin, ModelSQL, ModelView):
    __name__ = 'esurat.letter.confidentiality'
    __string__ = "Letter Confidentiality"

    restricted = fields.Boolean(
        "Restricted",
        help="The content (subject, summary, scans) is shown only to holders "
        "of the addressed positions.")

    @classmethod
    def default_restricted(cls):
        return False

    @classmethod
    def on_write(cls, confidentialities, values):
        callbacks = super().on_write(confidentialities, values)
        if 'restricted' in values:
            # Rare (the administrator's setting): every record is checked,
            # only those that change are written
            for Model in LetterReadableMixin.letter_readable_models():
                callbacks.append(functools.partial(
                        Model.sync_letter_restricted, None))
        return callbacks
