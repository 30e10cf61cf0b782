# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import json

from jinja2 import TemplateError, Undefined
from jinja2.sandbox import SandboxedEnvironment

from trytond.i18n import gettext
from trytond.model import (
    DeactivableMixin, DictSchemaMixin, ModelSQL, ModelView, Unique, fields,
    sequence_ordered)
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.pyson import Eval
from trytond.transaction import Transaction, without_check_access

from .exceptions import ServiceValidationError

FILE_TYPES = {'pdf', 'jpeg', 'png'}
# What a citizen can type in a plain form without JavaScript
FIELD_TYPES = {'char', 'integer', 'date', 'selection', 'boolean'}
STAGE_KINDS = [
    ('rt', "RT"),
    ('rw', "RW"),
    ('kelurahan', "Kelurahan"),
    ('kecamatan', "Kecamatan"),
    ('opd', "OPD"),
    ]
# The stage whose unit's head signs the output letter
SIGNER_STAGES = {'lurah': 'kelurahan', 'camat': 'kecamatan', 'opd': 'opd'}

# Templates are written by administrators and rendered with the citizen's
# data: sandboxed, and the letter's markup is plain text (no autoescape)
_TEMPLATES = SandboxedEnvironment(autoescape=False, undefined=Undefined)


def render_template(text, variables):
    return _TEMPLATES.from_string(text or '').render(**variables)


class Service(ClientWriteMixin, DeactivableMixin, ModelSQL, ModelView):
    "A letter citizens request through the portal"
    __name__ = 'portal.service'
    __string__ = "Portal Service"

    name = fields.Char("Name", required=True)
    code = fields.Char(
        "Code", required=True, strip=True,
        help="Used in the service's address, e.g. domisili.")
    description = fields.Text("Description")
    published = fields.Boolean(
        "Published", help="Shown on the public pages.")
    requirements = fields.One2Many(
        'portal.service.requirement', 'service', "Required Documents")
    data_fields = fields.One2Many(
        'portal.service.field', 'service', "Data Fields")
    stages = fields.One2Many(
        'portal.service.stage', 'service', "Route")
    letter_type = fields.Many2One(
        'esurat.letter.type', "Letter Type", required=True,
        ondelete='RESTRICT')
    classification = fields.Many2One(
        'esurat.classification', "Classification", required=True,
        ondelete='RESTRICT')
    subject_template = fields.Char(
        "Subject Template", required=True,
        help="Jinja2, e.g. Surat Keterangan Domisili a.n. {{ name }}.")
    body_template = fields.Text(
        "Body Template", required=True,
        help="Jinja2 in the letter's markup; variables: number, nik, name, "
        "address, phone, email, rt, rw, kelurahan, kecamatan and the "
        "names of the data fields.")
    signer = fields.Selection([
            ('lurah', "Lurah"),
            ('camat', "Camat"),
            ('opd', "OPD Head"),
            ], "Signed By", required=True)
    service_level = fields.Integer(
        "Service Level (working days)", required=True,
        domain=[('service_level', '>', 0)],
        help="Working days, Monday to Friday, from submission to the "
        "signed letter.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('name', 'ASC'), ('id', 'ASC')]
        cls._sql_constraints += [
            ('code_unique', Unique(t, t.code),
                'portal_emas.msg_service_code_unique'),
            ]

    @classmethod
    def default_published(cls):
        return False

    @classmethod
    def default_signer(cls):
        return 'lurah'

    @classmethod
    def default_service_level(cls):
        return 3

    @classmethod
    def validate(cls, services):
        super().validate(services)
        for service in services:
            # Data files create a service before its stages: a service is
            # offered only once its route is right (route_valid)
            if service.stages:
                service.check_route()
            service.check_templates()

    def check_route(self):
        kinds = [s.kind for s in self.stages]
        # The letter is drafted where the route ends, for that unit's head
        if not kinds or kinds[-1] != SIGNER_STAGES[self.signer]:
            raise ServiceValidationError(gettext(
                    'portal_emas.msg_service_signer_stage',
                    service=self.name))

    @property
    def route_valid(self):
        try:
            self.check_route()
        except ServiceValidationError:
            return False
        return True

    def check_templates(self):
        for text in [self.subject_template, self.body_template]:
            try:
                _TEMPLATES.parse(text or '')
            except TemplateError as error:
                raise ServiceValidationError(gettext(
                        'portal_emas.msg_service_template',
                        service=self.name, error=str(error)))

    @classmethod
    @without_check_access
    def public_services(cls):
        "The published services, by name"
        return [s for s in cls.search(
                [('published', '=', True)], order=[('name', 'ASC')])
            if s.route_valid]

    def public_info(self):
        "What the public pages show of the service"
        with without_check_access(), Transaction().set_context(
                language='id'):
            service = self.__class__(self.id)
            return {
                'id': service.id,
                'code': service.code,
                'name': service.name,
                'description': service.description or '',
                'service_level': service.service_level,
                'requirements': [{
                        'id': r.id,
                        'name': r.name,
                        'description': r.description or '',
                        'required': bool(r.required),
                        'accepted': r.accepted_types,
                        'max_size': r.max_size,
                        } for r in service.requirements],
                'fields': [{
                        'name': f.name,
                        'string': f.string,
                        'type_': f.type_,
                        'required': bool(f.required),
                        'selection': [tuple(v)
                            for v in json.loads(f.selection_json)]
                        if f.type_ == 'selection' else [],
                        } for f in service.data_fields],
                'stages': [s.label for s in service.stages],
                }


class Requirement(ClientWriteMixin, sequence_ordered(), ModelSQL, ModelView):
    "A document the citizen uploads for a service"
    __name__ = 'portal.service.requirement'
    __string__ = "Service Requirement"

    service = fields.Many2One(
        'portal.service', "Service", required=True, ondelete='CASCADE')
    name = fields.Char("Name", required=True)
    description = fields.Text("Description")
    required = fields.Boolean("Required")
    accepted = fields.Char(
        "Accepted Types", required=True,
        help="Comma-separated: pdf, jpeg, png.")
    max_size = fields.Integer(
        "Maximum Size (MB)", required=True,
        domain=[('max_size', '>', 0)])

    @classmethod
    def default_required(cls):
        return True

    @classmethod
    def default_accepted(cls):
        return 'pdf,jpeg,png'

    @classmethod
    def default_max_size(cls):
        return 5

    @property
    def accepted_types(self):
        return [t.strip() for t in (self.accepted or '').split(',')
            if t.strip()]

    @classmethod
    def validate(cls, requirements):
        super().validate(requirements)
        for requirement in requirements:
            types = requirement.accepted_types
            if not types or set(types) - FILE_TYPES:
                raise ServiceValidationError(gettext(
                        'portal_emas.msg_requirement_accepted',
                        requirement=requirement.name))


class Field(ClientWriteMixin, DictSchemaMixin, sequence_ordered(), ModelSQL,
        ModelView):
    "A piece of data the citizen types for a service"
    __name__ = 'portal.service.field'
    __string__ = "Service Data Field"

    service = fields.Many2One(
        'portal.service', "Service", required=True, ondelete='CASCADE')
    required = fields.Boolean("Required")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('service_name_unique', Unique(t, t.service, t.name),
                'portal_emas.msg_field_unique'),
            ]

    @classmethod
    def default_type_(cls):
        return 'char'

    @classmethod
    def validate(cls, records):
        super().validate(records)
        for record in records:
            if record.type_ not in FIELD_TYPES or not (
                    record.name.isidentifier()):
                raise ServiceValidationError(gettext(
                        'portal_emas.msg_field_type', field=record.string))


class Stage(ClientWriteMixin, sequence_ordered(), ModelSQL, ModelView):
    "A stage of a service's route"
    __name__ = 'portal.service.stage'
    __string__ = "Service Stage"

    service = fields.Many2One(
        'portal.service', "Service", required=True, ondelete='CASCADE')
    kind = fields.Selection(STAGE_KINDS, "Kind", required=True, sort=False)
    agency = fields.Many2One(
        'esurat.unit', "OPD", ondelete='RESTRICT',
        domain=[('kind', '=', 'opd')],
        states={
            'required': Eval('kind') == 'opd',
            'invisible': Eval('kind') != 'opd',
            })

    @classmethod
    def default_kind(cls):
        return 'rt'

    @property
    def label(self):
        if self.kind == 'opd' and self.agency:
            return self.agency.short_name or self.agency.name
        return dict(STAGE_KINDS)[self.kind]

    def get_rec_name(self, name):
        return self.label

    @classmethod
    def validate(cls, stages):
        super().validate(stages)
        for stage in stages:
            if stage.kind == 'opd' and not stage.agency:
                raise ServiceValidationError(gettext(
                        'portal_emas.msg_stage_agency',
                        service=stage.service.name))
