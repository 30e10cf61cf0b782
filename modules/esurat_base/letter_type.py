# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import (
    DeactivableMixin, ModelSQL, ModelView, Unique, fields, sequence_ordered)

from .access import ClientWriteMixin


class LetterType(
        ClientWriteMixin, DeactivableMixin, sequence_ordered(), ModelSQL,
        ModelView):
    __name__ = 'esurat.letter.type'
    __string__ = "Letter Type"

    name = fields.Char("Name", required=True)
    code = fields.Char("Code", required=True)
    layout = fields.Selection([
            ('letter', "Letter"),
            ('memo', "Memo / Nota Dinas"),
            ('decree', "Decree / Instruction"),
            ('order', "Order / Assignment (Surat Perintah, Surat Tugas)"),
            ('circular', "Circular / Announcement"),
            ('statement', "Statement / Certificate"),
            ('report', "Report / Minutes"),
            ], "Layout", required=True,
        help="Block order and letterhead used when the letter is rendered.")
    own_register = fields.Boolean(
        "Own Register",
        help="Number the letters of this type in a register of their own in "
        "each unit, instead of the unit's common register (as a Perkada may "
        "require for decrees or orders).")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'esurat_base.msg_letter_type_code_unique'),
            ]

    @classmethod
    def default_layout(cls):
        return 'letter'

    @classmethod
    def default_own_register(cls):
        return False
