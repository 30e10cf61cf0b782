# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields, tree)

from .access import ClientWriteMixin


class Classification(
        ClientWriteMixin, DeactivableMixin, tree(), ModelSQL, ModelView):
    __name__ = 'esurat.classification'
    __string__ = "Archive Classification"
    _rec_name = 'code'

    code = fields.Char("Code", required=True, strip=True)
    name = fields.Char("Name", required=True)
    parent = fields.Many2One(
        'esurat.classification', "Parent", ondelete='RESTRICT')
    children = fields.One2Many(
        'esurat.classification', 'parent', "Children")
    retention_active = fields.Integer(
        "Active Retention (years)",
        domain=['OR',
            ('retention_active', '=', None),
            ('retention_active', '>=', 0)])
    retention_inactive = fields.Integer(
        "Inactive Retention (years)",
        domain=['OR',
            ('retention_inactive', '=', None),
            ('retention_inactive', '>=', 0)])
    final_disposition = fields.Selection([
            (None, ""),
            ('destroy', "Destroy (Musnah)"),
            ('permanent', "Permanent"),
            ('review', "Review (Dinilai Kembali)"),
            ], "Final Disposition")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order.insert(0, ('code', 'ASC'))
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'esurat_base.msg_classification_code_unique'),
            ]
        cls._sql_indexes.add(
            Index(t, (t.code, Index.Similarity(begin=True))))

    def get_rec_name(self, name):
        return f'{self.code} {self.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, operand, *extra = clause
        if operator.startswith('!') or operator.startswith('not '):
            bool_op = 'AND'
        else:
            bool_op = 'OR'
        code_value = operand
        name_domain = [('name', operator, operand, *extra)]
        if operator.endswith('like') and isinstance(operand, str):
            # "000.1" finds the code and everything below it
            code_value = operand.strip('%') + '%'
            # "komunikasi informatika" finds "Komunikasi dan Informatika":
            # every word, in any order
            words = operand.strip('%').split()
            if len(words) > 1:
                name_domain = [
                    'AND' if bool_op == 'OR' else 'OR',
                    *(('name', operator, f'%{w}%', *extra) for w in words)]
        return [bool_op,
            ('code', operator, code_value, *extra),
            name_domain,
            ]
