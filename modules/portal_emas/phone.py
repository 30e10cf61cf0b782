# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The citizens' requests in esurat_mobile's phone app, /<database>/m/
permohonan: the queue of the logged-in user (an RT or RW head, the staff of
a Kelurahan, Kecamatan or OPD), a request with its documents and steps, and
approve, return (belum lengkap, with a note) and reject (with a reason).

The pages run as the user with access checks on, through the app's own
session, CSRF token, templates and flash messages; the actions are sao's
buttons and wizards, whose server checks (record rules, button access, who
acts at the waiting step) hold unchanged.  Active only with esurat_mobile
activated too."""
from functools import wraps
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from trytond.exceptions import UserError, UserWarning
from trytond.i18n import gettext
from trytond.modules.esurat_mobile import routes as mobile
from trytond.protocols.wrappers import with_pool, with_transaction
from trytond.transaction import Transaction
from trytond.wsgi import app

QUEUE_SIZE = 50
TEMPLATES = Environment(
    loader=ChoiceLoader([
            FileSystemLoader(Path(__file__).parent / 'templates' / 'phone'),
            mobile.TEMPLATES.loader]),
    autoescape=mobile.TEMPLATES.autoescape)
TEMPLATES.filters.update(mobile.TEMPLATES.filters)


def _render(request, name, **values):
    return mobile.render(request, TEMPLATES.get_template(name), **values)


def portal(func):
    "A page of the app about requests, when portal_emas is activated"
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        try:
            pool.get('portal.request')
        except KeyError:
            return mobile.not_found(request)
        return func(request, pool, *args, **kwargs)
    return wrapper


def _request(pool, request_id):
    "The request when the user may read it, else None"
    Request = pool.get('portal.request')
    requests = Request.search([('id', '=', request_id)], limit=1)
    return requests[0] if requests else None


@app.route('/<database_name>/m/permohonan', methods={'GET'})
@with_pool
@mobile.authenticated
@with_transaction(user='request', context=mobile.CONTEXT)
@portal
def queue(request, pool):
    "The requests waiting for the user, the longest waiting first"
    Request = pool.get('portal.request')
    requests = Request.search([('to_act', '=', True)],
        order=[('submitted_at', 'ASC'), ('id', 'ASC')], limit=QUEUE_SIZE)
    return _render(request, 'requests.html', requests=requests)


@app.route('/<database_name>/m/permohonan/<int:request_id>',
    methods={'GET'})
@with_pool
@mobile.authenticated
@with_transaction(user='request', context=mobile.CONTEXT)
@portal
def request_page(request, pool, request_id):
    record = _request(pool, request_id)
    if record is None:
        return mobile.not_found(request)
    return _render(request, 'request.html', record=record)


@app.route('/<database_name>/m/permohonan/<int:request_id>/berkas/'
    '<int:document_id>', methods={'GET'})
@with_pool
@mobile.authenticated
@with_transaction(user='request', context=mobile.CONTEXT)
@portal
def document(request, pool, request_id, document_id):
    "A document of a request the user may read"
    Document = pool.get('portal.request.document')
    documents = Document.search([
            ('id', '=', document_id), ('request', '=', request_id)], limit=1)
    if not documents:
        return mobile.not_found(request)
    document, = documents
    return mobile.file_response(
        bytes(document.data), document.mimetype, document.name,
        restricted=True)


def _act(request, pool, request_id, action, message):
    """Run action(record) on the request and go back to the queue with
    message, or to the request with the server's refusal"""
    record = _request(pool, request_id)
    if record is None:
        return mobile.not_found(request)
    try:
        action(record)
    except (UserError, UserWarning) as error:
        Transaction().rollback()
        return mobile.redirect_to(
            request, f'permohonan/{request_id}', error.message, 'error')
    return mobile.redirect_to(request, 'permohonan',
        gettext(f'portal_emas.msg_phone_{message}', number=record.number))


@app.route('/<database_name>/m/permohonan/<int:request_id>/setujui',
    methods={'POST'})
@with_pool
@mobile.authenticated
@with_transaction(user='request', context=mobile.CONTEXT)
@portal
def approve(request, pool, request_id):
    Request = pool.get('portal.request')
    return _act(request, pool, request_id,
        lambda r: Request.approve([r]), 'approved')


def _wizard(pool, button, wizard, state, field, value):
    "Press button, then run wizard to its state with field set to value"
    Request = pool.get('portal.request')

    def run(record):
        if not value:
            raise UserError(gettext(f'portal_emas.msg_phone_{field}'))
        getattr(Request, button)([record])
        mobile.run_wizard(pool, wizard, record,
            {state: {'start': {field: value}}})
    return run


@app.route('/<database_name>/m/permohonan/<int:request_id>/kembalikan',
    methods={'POST'})
@with_pool
@mobile.authenticated
@with_transaction(user='request', context=mobile.CONTEXT)
@portal
def send_back(request, pool, request_id):
    "Return as incomplete (belum lengkap): sao's Return button and wizard"
    note = request.form.get('catatan', '').strip()[:2000]
    return _act(request, pool, request_id, _wizard(
            pool, 'return_', 'portal.request.return', 'return_',
            'note', note), 'returned')


@app.route('/<database_name>/m/permohonan/<int:request_id>/tolak',
    methods={'POST'})
@with_pool
@mobile.authenticated
@with_transaction(user='request', context=mobile.CONTEXT)
@portal
def reject(request, pool, request_id):
    "Reject with a reason: sao's Reject button and wizard"
    reason = request.form.get('alasan', '').strip()[:2000]
    return _act(request, pool, request_id, _wizard(
            pool, 'reject', 'portal.request.reject', 'reject',
            'reason', reason), 'rejected')
