# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import hashlib
import json
import re
import secrets

from sql import Null
from sql.aggregate import Max

from trytond.i18n import gettext
from trytond.model import Index, ModelSQL, ModelView, Unique, Workflow, fields
from trytond.model.exceptions import ValidationError
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.filestore import FilestoreMixin
from trytond.modules.esurat_base.position import LEVELS
from trytond.pool import Pool
from trytond.pyson import Eval, If
from trytond.transaction import Transaction, without_check_access
from trytond.wizard import Button, StateTransition, StateView, Wizard

from .exceptions import (
    RequestAccessError, RequestError, RequestValidationError)
from .service import STAGE_KINDS, render_template
from .upload import prepare_upload

NIK = re.compile(r'\d{16}')
PHONE = re.compile(r'(\+62|62|0)8\d{7,12}')
EMAIL = re.compile(r'[^@\s]+@[^@\s]+\.[^@\s]+')
TEXT_SIZES = {'name': 100, 'address': 250, 'data': 500}
OPEN_STATES = {'waiting', 'incomplete', 'drafting'}
LEVEL_RANK = {level: i for i, (level, _) in enumerate(LEVELS)}


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def check_nik(nik):
    """Whether nik has the form of a Nomor Induk Kependudukan: 16 digits,
    a province code, and a birth date (day plus 40 for women)"""
    if not nik or not NIK.fullmatch(nik):
        return False
    day, month = int(nik[6:8]), int(nik[8:10])
    if day > 40:
        day -= 40
    return 11 <= int(nik[:2]) <= 94 and 1 <= day <= 31 and 1 <= month <= 12


def _invalid(message, **variables):
    return RequestValidationError(
        gettext(f'portal_emas.{message}', **variables))


class Request(ClientWriteMixin, Workflow, ModelSQL, ModelView):
    "A letter a citizen asked for through the portal"
    __name__ = 'portal.request'
    __string__ = "Citizen Request"
    _rec_name = 'number'

    number = fields.Char("Number", readonly=True)
    number_year = fields.Integer("Year", readonly=True)
    number_sequence = fields.Integer("Sequence", readonly=True)
    service = fields.Many2One(
        'portal.service', "Service", required=True, readonly=True,
        ondelete='RESTRICT')
    nik = fields.Char("NIK", size=16, required=True, readonly=True)
    name = fields.Char("Name", required=True, readonly=True)
    address = fields.Char("Address", required=True, readonly=True)
    phone = fields.Char("Phone/WhatsApp", required=True, readonly=True)
    email = fields.Char("Email", readonly=True)
    area = fields.Many2One(
        'portal.area', "RT", required=True, readonly=True,
        ondelete='RESTRICT', domain=[('kind', '=', 'rt')])
    rw = fields.Many2One(
        'portal.area', "RW", required=True, readonly=True,
        ondelete='RESTRICT')
    kelurahan = fields.Many2One(
        'esurat.unit', "Kelurahan", required=True, readonly=True,
        ondelete='RESTRICT')
    kecamatan = fields.Many2One(
        'esurat.unit', "Kecamatan", readonly=True, ondelete='RESTRICT')
    data = fields.Dict('portal.service.field', "Data", readonly=True)
    data_text = fields.Function(fields.Text("Data"), 'get_data_text')
    documents = fields.One2Many(
        'portal.request.document', 'request', "Documents", readonly=True)
    token_hash = fields.Char("Token Hash", readonly=True)
    state = fields.Selection([
            ('waiting', "Waiting"),
            ('incomplete', "Incomplete"),
            ('rejected', "Rejected"),
            ('drafting', "Letter in Approval"),
            ('done', "Done"),
            ], "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    current_step = fields.Function(
        fields.Many2One('portal.request.step', "Waiting At"),
        'get_current_step')
    steps = fields.One2Many(
        'portal.request.step', 'request', "Steps", readonly=True)
    outgoing = fields.Many2One(
        'esurat.outgoing', "Output Letter", readonly=True,
        ondelete='RESTRICT')
    # What the form shows of the letter: its people may not read the
    # outgoing letter itself (an RT head, a Lurah off its route)
    outgoing_number = fields.Function(
        fields.Char("Output Letter Number"), 'get_outgoing_number')
    submitted_at = fields.DateTime("Submitted At", readonly=True)
    due_date = fields.Date("Due Date", readonly=True)
    overdue_notified = fields.Boolean("Overdue Notified", readonly=True)
    overdue = fields.Function(
        fields.Boolean("Overdue"), 'get_overdue', searcher='search_overdue')
    to_act = fields.Function(
        fields.Boolean(
            "Waiting for Me",
            help="Requests waiting at a stage where the user acts."),
        'get_to_act', searcher='search_to_act')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order = [('submitted_at', 'DESC'), ('id', 'DESC')]
        cls._sql_constraints += [
            ('number_unique', Unique(t, t.number_year, t.number_sequence),
                'portal_emas.msg_request_number_unique'),
            ]
        cls._sql_indexes.update({
                Index(t, (t.token_hash, Index.Equality(cardinality='high'))),
                Index(t, (t.number, Index.Equality(cardinality='high'))),
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                Index(t, (t.kelurahan, Index.Range())),
                Index(t, (t.due_date, Index.Range())),
                })
        cls._transitions |= {
            ('waiting', 'incomplete'),
            ('incomplete', 'waiting'),
            ('waiting', 'rejected'),
            ('waiting', 'drafting'),
            ('drafting', 'done'),
            }
        acting = {
            'invisible': (Eval('state') != 'waiting') | ~Eval('to_act'),
            'depends': ['state', 'to_act'],
            }
        cls._buttons.update({
                'approve': acting,
                'return_': acting,
                'reject': acting,
                })

    @classmethod
    def default_state(cls):
        return 'waiting'

    @classmethod
    def view_attributes(cls):
        return super().view_attributes() + [
            ('/tree', 'visual', If(Eval('overdue', False), 'danger',
                    If(Eval('to_act', False), 'success', ''))),
            ]

    def get_rec_name(self, name):
        return f'{self.number} - {self.service.name}'

    @classmethod
    def search_rec_name(cls, name, clause):
        _, operator, value, *_ = clause
        return ['OR',
            ('number', operator, value),
            ('name', operator, value),
            ]

    def get_outgoing_number(self, name):
        if self.outgoing:
            return self.outgoing.number

    @property
    def data_display(self):
        "The data as the letter and the form show it (dates as 31-12-2026)"
        return {
            k: v.strftime('%d-%m-%Y') if isinstance(v, datetime.date) else v
            for k, v in (self.data or {}).items()}

    def get_data_text(self, name):
        labels = {f.name: f.string for f in self.service.data_fields}
        return '\n'.join(
            f'{labels.get(k, k)}: {v}' for k, v in self.data_display.items())

    @classmethod
    def get_current_step(cls, requests, name):
        pool = Pool()
        Step = pool.get('portal.request.step')
        result = {r.id: None for r in requests}
        for step in Step.search([
                    ('request', 'in', [r.id for r in requests]),
                    ('state', '=', 'waiting'),
                    ]):
            result[step.request.id] = step.id
        return result

    def get_overdue(self, name):
        return bool(self.state in OPEN_STATES and self.due_date
            and self.due_date < datetime.date.today())

    @classmethod
    def search_overdue(cls, name, clause):
        _, operator, value = clause
        domain = [
            ('state', 'in', list(OPEN_STATES)),
            ('due_date', '<', datetime.date.today()),
            ]
        if (operator == '=') == bool(value):
            return domain
        return ['NOT', domain]

    @classmethod
    def notify_overdue(cls):
        """Cron: tell the people of the stage where each request passed
        its service level, once per request"""
        pool = Pool()
        Notification = pool.get('esurat.notification')
        requests = cls.search([
                ('overdue', '=', True),
                ('state', '=', 'waiting'),
                ('overdue_notified', '!=', True),
                ])
        Notification.send_batch([
                Notification.notice(
                    'portal_emas.msg_notify_request_overdue', r,
                    users=r.current_step.actors(), number=r.number,
                    service=r.service.name, due=r.due_date.strftime(
                        '%d-%m-%Y'))
                for r in requests if r.current_step])
        cls.write(requests, {'overdue_notified': True})

    @classmethod
    def actor_domain(cls):
        "Domain of the steps where the current user acts"
        pool = Pool()
        Rule = pool.get('ir.rule')
        user_id = Transaction().user
        return ['OR',
            ('area.head', '=', user_id),
            ('unit', 'in', Rule.portal_units()),
            ]

    @classmethod
    def get_to_act(cls, requests, name):
        pool = Pool()
        Step = pool.get('portal.request.step')
        with without_check_access():
            waiting = {s.request.id for s in Step.search([
                        ('request', 'in', [r.id for r in requests]),
                        ('state', '=', 'waiting'),
                        cls.actor_domain(),
                        ])}
        return {r.id: r.id in waiting for r in requests}

    @classmethod
    def search_to_act(cls, name, clause):
        _, operator, value = clause
        where = [('state', '=', 'waiting'), cls.actor_domain()]
        if (operator == '=') == bool(value):
            return [('steps', 'where', where)]
        return [('steps', 'not where', where)]

    # Route -------------------------------------------------------------

    @property
    def stages(self):
        return list(self.service.stages)

    def next_stage(self, stage):
        "The stage after stage (the first when None), or None"
        stages = self.stages
        if stage is None:
            return stages[0] if stages else None
        index = stages.index(stage) + 1
        return stages[index] if index < len(stages) else None

    def stage_place(self, stage):
        "(area, unit) of the request at stage"
        return {
            'rt': (self.area, None),
            'rw': (self.rw, None),
            'kelurahan': (None, self.kelurahan),
            'kecamatan': (None, self.kecamatan),
            'opd': (None, stage.agency),
            }[stage.kind]

    def open_stage(self, stage):
        """Make the request wait at stage: a step there, an incoming letter
        in an OPD's inbox, its people told.  An RT or RW without a head's
        account is skipped, with a note."""
        pool = Pool()
        Step = pool.get('portal.request.step')
        now = datetime.datetime.now()
        while stage:
            area, unit = self.stage_place(stage)
            step = Step(
                request=self, stage=stage, kind=stage.kind, area=area,
                unit=unit, state='waiting', received_at=now)
            if stage.kind in {'rt', 'rw'} and not area.head:
                step.state = 'skipped'
                step.acted_at = now
                step.note = gettext('portal_emas.msg_step_no_head', 'id',
                    area=area.rec_name)
                step.save()
                stage = self.next_stage(stage)
                continue
            if not unit and stage.kind not in {'rt', 'rw'}:
                raise RequestError(gettext(
                        'portal_emas.msg_step_no_unit',
                        request=self.rec_name, stage=stage.label))
            if stage.kind == 'opd':
                step.letter = self.register_letter(unit)
            step.save()
            step.notify_staff()
            return step
        self.draft_output()

    def check_actor(self, step):
        """How the current user acts at step ("Ketua RT 001 / RW 002…", or
        the title of their position there), or RequestAccessError"""
        pool = Pool()
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        user_id = Transaction().user
        if not user_id:
            return ''
        if step.kind in {'rt', 'rw'}:
            if step.area.head and step.area.head.id == user_id:
                # Stored: in the users' language, whoever reads it later
                return gettext('portal_emas.msg_acted_as_head', 'id',
                    area=step.area.rec_name)
        else:
            position = step.acting_position(user_id)
            if position:
                return User.acting_title(Position(position), user_id)
        raise RequestAccessError(gettext(
                'portal_emas.msg_request_not_yours',
                request=self.rec_name))

    def waiting_step(self):
        step = self.current_step
        if self.state != 'waiting' or not step:
            raise RequestError(gettext(
                    'portal_emas.msg_request_not_waiting',
                    request=self.rec_name))
        return step

    def act(self, state, note=None):
        "Record the current user's action at the waiting step"
        step = self.waiting_step()
        step.acted_as = self.check_actor(step)
        step.acted_by = Transaction().user or None
        step.acted_at = datetime.datetime.now()
        step.state = state
        step.note = note
        step.save()
        return step

    @classmethod
    @ModelView.button
    @without_check_access
    def approve(cls, requests):
        pool = Pool()
        Messaging = pool.get('portal.messaging')
        for request in requests:
            step = request.act('approved')
            Messaging.tell(request, 'portal_emas.msg_citizen_approved',
                stage=step.label)
            request.open_stage(request.next_stage(step.stage))

    @classmethod
    @ModelView.button_action('portal_emas.wizard_request_return')
    def return_(cls, requests):
        pass

    @classmethod
    @ModelView.button_action('portal_emas.wizard_request_reject')
    def reject(cls, requests):
        pass

    @classmethod
    @without_check_access
    def send_back(cls, requests, note):
        "Return the requests to their citizens as incomplete (belum lengkap)"
        pool = Pool()
        Messaging = pool.get('portal.messaging')
        note = (note or '').strip()
        if not note:
            raise RequestError(gettext('portal_emas.msg_request_note'))
        for request in requests:
            request.act('returned', note)
            Messaging.tell(request, 'portal_emas.msg_citizen_incomplete',
                note=note)
        cls.incomplete(requests)

    @classmethod
    @without_check_access
    def reject_with(cls, requests, reason):
        pool = Pool()
        Messaging = pool.get('portal.messaging')
        reason = (reason or '').strip()
        if not reason:
            raise RequestError(gettext('portal_emas.msg_request_reason'))
        for request in requests:
            request.act('rejected', reason)
            Messaging.tell(request, 'portal_emas.msg_citizen_rejected',
                reason=reason)
        cls.rejected(requests)

    @classmethod
    @Workflow.transition('incomplete')
    def incomplete(cls, requests):
        pass

    @classmethod
    @Workflow.transition('rejected')
    def rejected(cls, requests):
        pass

    @classmethod
    @Workflow.transition('waiting')
    def resume(cls, requests):
        "Back to the stage that returned each request"
        pool = Pool()
        Step = pool.get('portal.request.step')
        for request in requests:
            returned, = Step.search([
                    ('request', '=', request.id),
                    ('state', '=', 'returned'),
                    ], order=[('id', 'DESC')], limit=1)
            request.open_stage(returned.stage)

    @classmethod
    @Workflow.transition('done')
    def signed(cls, requests):
        pool = Pool()
        Messaging = pool.get('portal.messaging')
        for request in requests:
            Messaging.tell(request, 'portal_emas.msg_citizen_done')

    # Output letter -----------------------------------------------------

    def template_variables(self):
        variables = {
            'number': self.number,
            'service': self.service.name,
            'nik': self.nik,
            'name': self.name,
            'address': self.address,
            'phone': self.phone,
            'email': self.email or '',
            'rt': self.area.number,
            'rw': self.rw.number,
            'kelurahan': self.kelurahan.name,
            'kecamatan': self.kecamatan.name if self.kecamatan else '',
            }
        variables.update(self.data_display)
        return variables

    def signer_unit(self):
        "The unit of the last stage, whose head signs"
        return self.stage_place(self.stages[-1])[1]

    def draft_output(self):
        """Draft the letter of the service for the head of the signing unit,
        by the user who approved the last stage, and submit it for its route
        of approval (esurat_signing's)"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Step = pool.get('portal.request.step')
        user_id = Transaction().user
        unit = self.signer_unit()
        signer = unit.head_position()
        if not signer:
            raise RequestError(gettext(
                    'portal_emas.msg_request_no_signer',
                    request=self.rec_name, unit=unit.rec_name))
        last = Step(Step.search([
                    ('request', '=', self.id),
                    ('state', '=', 'approved'),
                    ], order=[('id', 'DESC')], limit=1)[0])
        drafter_position = last.acting_position(user_id) if user_id else None
        variables = self.template_variables()
        with Transaction().set_context(language='id'):
            service = self.service.__class__(self.service.id)
        outgoing = Outgoing(
            drafter=user_id or None,
            drafter_position=drafter_position or signer,
            signer_position=signer,
            letter_type=service.letter_type,
            classification=service.classification,
            subject=render_template(
                service.subject_template, variables).strip()[:250],
            body=render_template(service.body_template, variables).strip(),
            recipients=[{
                    'kind': 'external',
                    'name': self.name,
                    'address': self.address,
                    'email': self.email or None,
                    }])
        outgoing.save()
        Outgoing.submit([outgoing])
        self.outgoing = outgoing
        self.state = 'drafting'
        self.save()

    def register_letter(self, agency):
        """The request as an incoming letter in agency's inbox: registered
        and distributed to its head, the documents as its files"""
        pool = Pool()
        Letter = pool.get('esurat.letter')
        File = pool.get('esurat.letter.file')
        head = agency.head_position()
        if not head:
            raise RequestError(gettext(
                    'portal_emas.msg_request_no_signer',
                    request=self.rec_name, unit=agency.rec_name))
        with Transaction().set_context(language='id'):
            service = self.service.__class__(self.service.id)
            summary = '\n'.join([
                    gettext('portal_emas.msg_letter_summary',
                        name=self.name, nik=self.nik, address=self.address,
                        area=self.area.rec_name, phone=self.phone),
                    self.data_text])
        letter = Letter(
            unit=agency,
            sender=self.name,
            sender_number=self.number,
            sender_date=self.submitted_at.date(),
            received_date=datetime.date.today(),
            subject=f'{service.name} ({self.number})',
            summary=summary,
            classification=service.classification,
            letter_type=service.letter_type,
            recipients=[{'position': head.id, 'kind': 'to'}])
        letter.save()
        File.create([{
                    'letter': letter.id,
                    'name': d.name,
                    'data': d.data,
                    } for d in self.documents])
        Letter.register_and_distribute([letter])
        return letter

    # Public API (the pages) --------------------------------------------

    @classmethod
    def _check_citizen(cls, citizen):
        pool = Pool()
        Area = pool.get('portal.area')
        nik = (citizen.get('nik') or '').strip()
        if not check_nik(nik):
            raise _invalid('msg_request_nik')
        values = {'nik': nik}
        for name in ['name', 'address']:
            value = ' '.join((citizen.get(name) or '').split())
            if not value:
                raise _invalid('msg_request_required',
                    field=gettext(f'portal_emas.msg_label_{name}'))
            if len(value) > TEXT_SIZES[name]:
                raise _invalid('msg_request_too_long',
                    field=gettext(f'portal_emas.msg_label_{name}'),
                    size=TEXT_SIZES[name])
            values[name] = value
        phone = re.sub(r'[\s.()-]', '', citizen.get('phone') or '')
        if not PHONE.fullmatch(phone):
            raise _invalid('msg_request_phone')
        values['phone'] = phone
        email = (citizen.get('email') or '').strip()
        if email and (not EMAIL.fullmatch(email) or len(email) > 100):
            raise _invalid('msg_request_email')
        values['email'] = email or None
        try:
            area_id = int(citizen.get('area'))
        except (TypeError, ValueError):
            area_id = None
        areas = Area.search([
                ('id', '=', area_id),
                ('kind', '=', 'rt'),
                ('parent.active', '=', True),
                ]) if area_id else []
        if not areas:
            raise _invalid('msg_request_area')
        area, = areas
        values.update({
                'area': area.id,
                'rw': area.parent.id,
                'kelurahan': area.kelurahan.id,
                'kecamatan': area.kecamatan.id if area.kecamatan else None,
                })
        return values

    @classmethod
    def _check_data(cls, service, data, only=None):
        """The values of data (typed strings) for the fields of service (of
        only those named in only)"""
        data = data or {}
        values = {}
        for field in service.data_fields:
            if only is not None and field.name not in only:
                continue
            text = str(data.get(field.name) or '').strip()
            if not text:
                if field.required and field.type_ != 'boolean':
                    raise _invalid('msg_request_required', field=field.string)
                if field.type_ == 'boolean':
                    values[field.name] = False
                continue
            if len(text) > TEXT_SIZES['data']:
                raise _invalid('msg_request_too_long',
                    field=field.string, size=TEXT_SIZES['data'])
            try:
                values[field.name] = cls._convert(field, text)
            except ValueError:
                raise _invalid('msg_request_field_value', field=field.string)
        return values

    @classmethod
    def _convert(cls, field, text):
        if field.type_ == 'integer':
            return int(text)
        if field.type_ == 'date':
            try:
                return datetime.date.fromisoformat(text)
            except ValueError:
                return datetime.datetime.strptime(text, '%d-%m-%Y').date()
        if field.type_ == 'selection':
            if text not in {k for k, _ in json.loads(field.selection_json)}:
                raise ValueError(text)
            return text
        if field.type_ == 'boolean':
            return text.lower() in {'1', 'on', 'true', 'ya', 'yes'}
        return ' '.join(text.split())

    @classmethod
    def _check_documents(cls, service, documents, complete=False):
        """The values of the documents {requirement id: (file name, bytes)}
        for service: sniffed by content, of an accepted type and size,
        photos shrunk; every required one present unless complete (only
        what was asked again is sent)"""
        documents = documents or {}
        requirements = {r.id: r for r in service.requirements}
        values = []
        for key, upload in documents.items():
            try:
                requirement = requirements[int(key)]
            except (KeyError, TypeError, ValueError):
                raise _invalid('msg_request_requirement')
            filename, data = upload
            if not data:
                continue
            data = bytes(data)
            if len(data) > requirement.max_size * 1024 * 1024:
                raise _invalid('msg_document_too_large',
                    requirement=requirement.name, max=requirement.max_size)
            try:
                info = prepare_upload(
                    data, filename or requirement.name,
                    requirement.accepted_types)
            except ValidationError as error:
                raise RequestValidationError(error.message)
            values.append({
                    'requirement': requirement.id,
                    'name': info['name'],
                    'data': info['data'],
                    'mimetype': info['mimetype'],
                    'size': info['size'],
                    'sha256': info['sha256'],
                    })
        if not complete:
            given = {v['requirement'] for v in values}
            for requirement in service.requirements:
                if requirement.required and requirement.id not in given:
                    raise _invalid('msg_document_missing',
                        requirement=requirement.name)
        return values

    @classmethod
    def _next_sequence(cls, year):
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(
                Max(table.number_sequence),
                where=(table.number_year == year)
                & (table.number_sequence != Null)))
        last, = cursor.fetchone()
        return (last or 0) + 1

    @classmethod
    def public_submit(cls, service, citizen, data, documents):
        """Store the request of a citizen (see the portal's README) and
        return it with the token of its link; everything is checked before
        anything is written"""
        pool = Pool()
        Service = pool.get('portal.service')
        Document = pool.get('portal.request.document')
        Holiday = pool.get('esurat.holiday')
        Messaging = pool.get('portal.messaging')
        with without_check_access(), \
                Transaction().set_context(language='id'):
            service_id = getattr(service, 'id', service)
            services = Service.search([
                    ('id', '=', service_id),
                    ('published', '=', True),
                    ]) if isinstance(service_id, int) else []
            if not services or not services[0].route_valid:
                raise _invalid('msg_request_service')
            service, = services
            values = cls._check_citizen(citizen)
            values['data'] = cls._check_data(service, data)
            files = cls._check_documents(service, documents)
            # Strict numbers: one submission at a time takes the next one
            cls.lock()
            now = datetime.datetime.now()
            sequence = cls._next_sequence(now.year)
            token = secrets.token_urlsafe(32)
            request, = cls.create([{
                        **values,
                        'service': service.id,
                        'number': f'PE-{now.year}-{sequence:06d}',
                        'number_year': now.year,
                        'number_sequence': sequence,
                        'token_hash': token_hash(token),
                        'submitted_at': now,
                        'due_date': Holiday.add_working_days(
                            now.date(), service.service_level),
                        }])
            Document.create([{**f, 'request': request.id} for f in files])
            Messaging.tell(request, 'portal_emas.msg_citizen_submitted')
            request.open_stage(request.next_stage(None))
            return cls(request.id), token

    @classmethod
    def from_token(cls, token):
        "The request of the link's token, or None"
        if not token or not isinstance(token, str) or len(token) > 100:
            return None
        digest = token_hash(token)
        with without_check_access():
            requests = cls.search([('token_hash', '=', digest)], limit=1)
        if requests and secrets.compare_digest(
                requests[0].token_hash, digest):
            return requests[0]
        return None

    @classmethod
    def from_number(cls, number, nik):
        "The request of number when nik is its citizen's, or None"
        if not number or not nik or not isinstance(number, str):
            return None
        with without_check_access():
            requests = cls.search(
                [('number', '=', number.strip().upper())], limit=1)
        # A number alone is guessable: the NIK is compared in constant time
        if requests and secrets.compare_digest(
                requests[0].nik.encode(), str(nik).strip().encode()):
            return requests[0]
        return None

    def public_info(self):
        "What the tracking page shows"
        with without_check_access(), \
                Transaction().set_context(language='id'):
            request = self.__class__(self.id)
            steps = []
            for step in request.steps:
                steps.append({
                        'label': step.label,
                        'state': step.state,
                        'state_label': step.state_string,
                        'date': step.acted_at or step.received_at,
                        'note': (step.note if step.state in {
                                'returned', 'rejected'} else None),
                        })
            reached = {s.stage for s in request.steps}
            pending = gettext('portal_emas.msg_step_pending')
            if request.state in OPEN_STATES:
                for stage in request.stages:
                    if stage not in reached:
                        steps.append({
                                'label': stage.label, 'state': 'pending',
                                'state_label': pending, 'date': None,
                                'note': None})
            incomplete = request.state == 'incomplete'
            returned = [s for s in request.steps if s.state == 'returned']
            signed = request.state == 'done'
            return {
                'number': request.number,
                'service': request.service.name,
                'state': request.state,
                'state_label': request.state_string,
                'submitted': request.submitted_at,
                'due': request.due_date,
                'steps': steps,
                'missing_note': (returned[-1].note
                    if incomplete and returned else None),
                'complete_form': (request.service.public_info()
                    if incomplete else None),
                'signed': signed,
                'verify_url': (request.outgoing.signature.verify_url
                    if signed else None),
                }

    @classmethod
    def public_complete(cls, request, data, documents):
        """The citizen completes a returned request: the given data and
        documents replace the earlier ones, and it goes back to the stage
        that returned it"""
        pool = Pool()
        Document = pool.get('portal.request.document')
        Messaging = pool.get('portal.messaging')
        with without_check_access(), \
                Transaction().set_context(language='id'):
            request = cls(request.id)
            if request.state != 'incomplete':
                raise _invalid('msg_request_not_incomplete')
            service = request.service
            given = {k for k, v in (data or {}).items() if str(v).strip()}
            values = cls._check_data(service, data, only=given)
            files = cls._check_documents(service, documents, complete=True)
            if not values and not files:
                raise _invalid('msg_request_nothing')
            if values:
                request.data = {**(request.data or {}), **values}
                request.save()
            replaced = {f['requirement'] for f in files}
            Document.delete([
                    d for d in request.documents
                    if d.requirement.id in replaced])
            Document.create([{**f, 'request': request.id} for f in files])
            Messaging.tell(request, 'portal_emas.msg_citizen_completed')
            cls.resume([request])

    def public_signed_pdf(self):
        "(file name, bytes) of the signed letter, or None"
        with without_check_access():
            request = self.__class__(self.id)
            if request.state != 'done' or not request.outgoing:
                return None
            signature = request.outgoing.signature
            return signature.file_name, bytes(signature.pdf)

    @classmethod
    def outgoing_signed(cls, outgoings):
        "The requests whose output letter is among outgoings are done"
        with without_check_access():
            requests = cls.search([
                    ('outgoing', 'in', [o.id for o in outgoings]),
                    ('state', '=', 'drafting'),
                    ])
        if requests:
            cls.signed(requests)

    @classmethod
    def send_messages(cls, requests, text):
        "Queued: send text to the requests' phones through the messenger"
        from .messaging import messenger
        sender = messenger()
        for request in requests:
            sender.send(request.phone, text)


class Step(ClientWriteMixin, ModelSQL, ModelView):
    "A stage a request reached, and what was done there"
    __name__ = 'portal.request.step'
    __string__ = "Request Step"

    request = fields.Many2One(
        'portal.request', "Request", required=True, readonly=True,
        ondelete='CASCADE')
    stage = fields.Many2One(
        'portal.service.stage', "Stage", required=True, readonly=True,
        ondelete='RESTRICT')
    kind = fields.Selection(
        STAGE_KINDS, "Kind", required=True, readonly=True, sort=False)
    area = fields.Many2One(
        'portal.area', "RT/RW", readonly=True, ondelete='RESTRICT')
    unit = fields.Many2One(
        'esurat.unit', "Unit", readonly=True, ondelete='RESTRICT')
    state = fields.Selection([
            ('waiting', "Waiting"),
            ('approved', "Approved"),
            ('returned', "Returned (Incomplete)"),
            ('rejected', "Rejected"),
            ('skipped', "Skipped"),
            ], "State", required=True, readonly=True, sort=False)
    state_string = state.translated('state')
    received_at = fields.DateTime("Received At", readonly=True)
    acted_at = fields.DateTime("Acted At", readonly=True)
    acted_by = fields.Many2One(
        'res.user', "Acted By", readonly=True, ondelete='RESTRICT')
    acted_as = fields.Char("Acted As", readonly=True)
    note = fields.Text("Note", readonly=True)
    letter = fields.Many2One(
        'esurat.letter', "Incoming Letter", readonly=True,
        ondelete='RESTRICT')
    letter_number = fields.Function(
        fields.Char("Agenda Number",
            help="Of the incoming letter the request became at an OPD."),
        'get_letter_number')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('request')
        t = cls.__table__()
        cls._order = [('request', 'DESC'), ('id', 'ASC')]
        cls._sql_indexes.update({
                Index(t, (t.request, Index.Range())),
                Index(t, (t.area, Index.Range())),
                Index(t, (t.unit, Index.Range())),
                Index(t, (t.state, Index.Equality(cardinality='low'))),
                })

    def get_letter_number(self, name):
        if self.letter:
            return self.letter.agenda_number

    @property
    def label(self):
        if self.area:
            return self.area.rec_name
        if self.unit:
            return self.unit.name
        return self.stage.label

    def get_rec_name(self, name):
        return f'{self.label} ({self.state_string})'

    def acting_position(self, user_id):
        """The highest position user_id holds or acts for in the step's
        unit (its agency), or None"""
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        Position = pool.get('esurat.position')
        if not self.unit:
            return None
        with without_check_access():
            positions = Position.search([
                    ('id', 'in', list(Holding.user_acting(user_id))),
                    ['OR',
                        ('unit', '=', self.unit.id),
                        ('unit.agency', '=', self.unit.id)],
                    ])
        if positions:
            return min(positions, key=lambda p: (
                    LEVEL_RANK[p.level], p.id)).id

    def actors(self):
        "The users who act at the step"
        pool = Pool()
        Holding = pool.get('esurat.position.holding')
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        ModelData = pool.get('ir.model.data')
        if self.area:
            return [self.area.head] if self.area.head else []
        positions = Position.search([
                ['OR',
                    ('unit', '=', self.unit.id),
                    ('unit.agency', '=', self.unit.id)],
                ])
        users = set().union(*Holding.position_users(
                [p.id for p in positions]).values()) if positions else set()
        staff = ModelData.get_id('portal_emas', 'group_portal_staff')
        return User.search([
                ('id', 'in', list(users)),
                ('groups', '=', staff),
                ])

    def notify_staff(self):
        "Tell who acts at the step that the request waits for them"
        pool = Pool()
        Notification = pool.get('esurat.notification')
        Notification.send(
            'portal_emas.msg_notify_request_waiting', self.request,
            users=self.actors(), number=self.request.number,
            service=self.request.service.name, stage=self.label)


class Document(FilestoreMixin, ClientWriteMixin, ModelSQL, ModelView):
    "A document a citizen uploaded for a requirement"
    __name__ = 'portal.request.document'
    __string__ = "Request Document"

    request = fields.Many2One(
        'portal.request', "Request", required=True, readonly=True,
        ondelete='CASCADE')
    requirement = fields.Many2One(
        'portal.service.requirement', "Requirement", required=True,
        readonly=True, ondelete='RESTRICT')
    name = fields.Char("File Name", required=True, readonly=True)
    data = fields.Binary(
        "File", filename='name', file_id='file_id', store_prefix='esurat',
        required=True, readonly=True)
    file_id = fields.Char("File ID", readonly=True)
    mimetype = fields.Char("Type", readonly=True)
    size = fields.Integer("Size (bytes)", readonly=True)
    sha256 = fields.Char("SHA-256", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('request')
        t = cls.__table__()
        cls._order = [('request', 'DESC'), ('id', 'ASC')]
        cls._sql_indexes.add(Index(t, (t.request, Index.Range())))


class ReturnStart(ModelView):
    "Return a request as incomplete"
    __name__ = 'portal.request.return.start'
    __string__ = "Return Request"

    note = fields.Text(
        "What Is Missing", required=True,
        help="The citizen reads it on the tracking page.")


class Return(Wizard):
    "Return a request as incomplete (belum lengkap)"
    __name__ = 'portal.request.return'
    start = StateView('portal.request.return.start',
        'portal_emas.request_return_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Return", 'return_', 'tryton-back', default=True),
            ])
    return_ = StateTransition()

    def transition_return_(self):
        self.model.send_back(self.records, self.start.note)
        return 'end'


class RejectStart(ModelView):
    "Reject a request"
    __name__ = 'portal.request.reject.start'
    __string__ = "Reject Request"

    reason = fields.Text(
        "Reason", required=True,
        help="The citizen reads it on the tracking page.")


class Reject(Wizard):
    "Reject a request with a reason"
    __name__ = 'portal.request.reject'
    start = StateView('portal.request.reject.start',
        'portal_emas.request_reject_start_view_form', [
            Button("Cancel", 'end', 'tryton-cancel'),
            Button("Reject", 'reject', 'tryton-cancel', default=True),
            ])
    reject = StateTransition()

    def transition_reject(self):
        self.model.reject_with(self.records, self.start.reason)
        return 'end'
