# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, Index, ModelSQL, ModelView, Unique, fields)
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.pyson import Eval
from trytond.transaction import without_check_access

from .exceptions import AreaValidationError


class Area(ClientWriteMixin, DeactivableMixin, ModelSQL, ModelView):
    "A Rukun Warga or Rukun Tetangga of a Kelurahan, with its head's account"
    __name__ = 'portal.area'
    __string__ = "RT/RW Area"

    kind = fields.Selection([
            ('rw', "RW (Rukun Warga)"),
            ('rt', "RT (Rukun Tetangga)"),
            ], "Kind", required=True, sort=False)
    number = fields.Char(
        "Number", required=True, size=3, strip=True,
        help="Three digits, e.g. 001.")
    kelurahan = fields.Many2One(
        'esurat.unit', "Kelurahan", required=True, ondelete='RESTRICT',
        domain=[('kind', '=', 'kelurahan')])
    kecamatan = fields.Function(
        fields.Many2One('esurat.unit', "Kecamatan"), 'get_kecamatan')
    parent = fields.Many2One(
        'portal.area', "RW", ondelete='RESTRICT',
        domain=[
            ('kind', '=', 'rw'),
            ('kelurahan', '=', Eval('kelurahan', -1)),
            ],
        states={
            'required': Eval('kind') == 'rt',
            'invisible': Eval('kind') != 'rt',
            })
    children = fields.One2Many('portal.area', 'parent', "RT")
    head = fields.Many2One(
        'res.user', "Head's Account", ondelete='RESTRICT',
        help="The account of the Ketua RT/RW, "
        "a member of the group Portal Emas: RT/RW Head.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [
            ('kelurahan', 'ASC'), ('kind', 'DESC'), ('number', 'ASC'),
            ('id', 'ASC')]
        cls._sql_constraints += [
            ('kelurahan_kind_parent_number_unique',
                Unique(t, t.kelurahan, t.kind, t.parent, t.number),
                'portal_emas.msg_area_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.head, Index.Range())),
                Index(t, (t.parent, Index.Range())),
                })

    @classmethod
    def default_kind(cls):
        return 'rt'

    def get_kecamatan(self, name):
        unit = self.kelurahan.parent if self.kelurahan else None
        if unit and unit.kind == 'kecamatan':
            return unit.id

    @property
    def rw(self):
        return self.parent if self.kind == 'rt' else self

    def get_rec_name(self, name):
        parts = []
        if self.kind == 'rt':
            parts.append(f'RT {self.number}')
            if self.parent:
                parts.append(f'RW {self.parent.number}')
        else:
            parts.append(f'RW {self.number}')
        label = ' / '.join(parts)
        if self.kelurahan:
            label += ', ' + (self.kelurahan.short_name or self.kelurahan.name)
        return label

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value, *_ = clause
        return ['OR',
            ('number', operator, value),
            ('kelurahan.rec_name', operator, value),
            ]

    @classmethod
    def validate(cls, areas):
        super().validate(areas)
        for area in areas:
            if not (area.number.isdigit() and len(area.number) == 3):
                raise AreaValidationError(gettext(
                        'portal_emas.msg_area_number', number=area.number))
            if area.kind == 'rt' and (
                    not area.parent or area.parent.kind != 'rw'
                    or area.parent.kelurahan != area.kelurahan):
                raise AreaValidationError(gettext(
                        'portal_emas.msg_area_parent',
                        area=area.rec_name))
            if area.kind == 'rw' and area.parent:
                raise AreaValidationError(gettext(
                        'portal_emas.msg_area_rw_parent',
                        area=area.rec_name))

    @classmethod
    @without_check_access
    def public_rts(cls):
        """(id, label) of the active RTs for the request form, by
        Kelurahan, RW and RT"""
        areas = cls.search([
                ('kind', '=', 'rt'),
                ('parent.active', '=', True),
                ('kelurahan.active', '=', True),
                ])
        areas.sort(key=lambda a: (
                a.kelurahan.name, a.parent.number, a.number))
        return [(a.id, a.rec_name) for a in areas]
