# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public pages of Portal Emas, under /<database>/portal/, no login.

They call only the public API of the models (public_*, from_token,
from_number), which validates everything before writing anything; a
refused POST is rolled back whole and its form shown again, filled in,
with the reason.  Every form carries a single-use token (formtoken.py);
every request counts against the rate limits of its address, shared by
all server processes (esurat_base's limiter); pages are plain HTML with
the verification page's security headers: no script, no resource from
elsewhere, the style sheet inlined."""
import re
from functools import wraps
from pathlib import Path
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import RequestEntityTooLarge

from trytond import config
from trytond.exceptions import UserError
from trytond.i18n import gettext
from trytond.modules.esurat_base.ratelimit import RateLimiter
from trytond.modules.esurat_signing.render import format_date_id
from trytond.modules.esurat_signing.routes import HEADERS, local_datetime
from trytond.protocols.wrappers import (
    HTTPStatus, Response, redirect, set_max_request_size, with_pool,
    with_transaction)
from trytond.transaction import Transaction
from trytond.wsgi import app

from . import formtoken

ROOT = Path(__file__).parent
CONTEXT = {'language': 'id'}
# Every page of an address, and the forms it sends, per minute; shared by
# the server processes of the database
PAGES = RateLimiter(
    config.getint('portal_emas', 'page_rate_limit', default=60),
    period=60, name='portal')
POSTS = RateLimiter(
    config.getint('portal_emas', 'post_rate_limit', default=10),
    period=60, name='portal-post')
# A request's documents (five photos of a phone camera) and a complaint's
# photo, with the rest of their forms; each document has its own cap too
MAX_REQUEST = config.getint(
    'portal_emas', 'max_request_size', default=30 * 1024 * 1024)
MAX_COMPLAINT = 12 * 1024 * 1024
TEMPLATES = Environment(
    loader=FileSystemLoader(ROOT / 'templates'),
    autoescape=select_autoescape(default=True, default_for_string=True))
STYLE = (ROOT / 'static' / 'portal.css').read_text()
ACCEPT = {'pdf': 'application/pdf', 'jpeg': 'image/jpeg', 'png': 'image/png'}
INFORMATION_PAGE = 10
TOKEN = re.compile(r'[\w-]{20,64}', re.ASCII)


def _date(value):
    return format_date_id(value) if value else ''


def _datetime(value):
    return local_datetime(value) if value else ''


TEMPLATES.filters.update(date_id=_date, datetime_id=_datetime)


def _message(name, **kwargs):
    return gettext(f'portal_emas.msg_page_{name}', **kwargs)


class Page:
    "A request to the portal: its pages, forms and the browser's cookie"

    def __init__(self, request, pool):
        self.request = request
        self.pool = pool
        self.base = f'/{pool.database_name}/portal/'
        self.cookie = formtoken.browser_key(request)

    def allowed(self):
        address = self.request.remote_addr or ''
        allowed = PAGES.allow(address)
        if self.request.method == 'POST':
            allowed = POSTS.allow(address) and allowed
        return allowed

    def form_token(self):
        "A fresh single-use token for a form shown on this page"
        FormToken = self.pool.get('portal.form.token')
        if not self.cookie:
            self.cookie = formtoken.new_browser_key()
        return FormToken.issue(self.cookie)

    def consume(self, form):
        "Whether the POST's form is a fresh one of this browser (spent now)"
        FormToken = self.pool.get('portal.form.token')
        return FormToken.consume(self.cookie, form.get(formtoken.FIELD, ''))

    def render(self, name, status=HTTPStatus.OK, form=False, **values):
        if form:
            values['token'] = self.form_token()
        body = TEMPLATES.get_template(name).render(
            base=self.base, style=STYLE, field=formtoken.FIELD, **values)
        response = Response(
            body, status=status, content_type='text/html; charset=utf-8',
            headers=HEADERS)
        if form:
            # Renewed with each form: it outlives the form's token
            response.set_cookie(
                formtoken.COOKIE, self.cookie,
                max_age=int(formtoken.LIFETIME.total_seconds()),
                path=self.base, secure=self.request.is_secure,
                httponly=True, samesite='Lax')
        return response

    def refuse(self, name, error, status=HTTPStatus.BAD_REQUEST, form=None,
            **values):
        """The form of name again, filled in with what form sent, and error:
        nothing the POST did is kept, but its token is spent"""
        Transaction().rollback()
        if form is not None:
            self.consume(form)
        return self.render(name, status=status, form=True, error=error,
            values=form or {}, **values)

    def error(self, status, name):
        return self.render(
            'error.html', status=status, message=_message(name))

    def not_found(self):
        return self.error(HTTPStatus.NOT_FOUND, 'not_found')

    def redirect(self, path):
        return redirect(self.base + path, code=303)


def public(func):
    """The page func(page, ...) of an activated portal, for an address
    within its rate limits"""
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        try:
            pool.get('portal.form.token')
        except KeyError:
            return Response(status=HTTPStatus.NOT_FOUND)
        page = Page(request, pool)
        if not page.allowed():
            response = page.error(HTTPStatus.TOO_MANY_REQUESTS, 'too_many')
            response.headers['Retry-After'] = '60'
            return response
        return func(page, *args, **kwargs)
    return wrapper


def _posted(page, name, **values):
    """The POST's form, or the page of name refusing it: too large, or not
    a fresh form of this browser"""
    try:
        form = page.request.form
        page.request.files
    except RequestEntityTooLarge:
        return None, page.refuse(
            name, _message('too_large', size=MAX_REQUEST // (1024 * 1024)),
            status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE, **values)
    if not page.consume(form):
        return None, page.refuse(
            name, _message('expired'), status=HTTPStatus.FORBIDDEN,
            form=form, **values)
    return form, None


def _file(upload):
    "(name, bytes) of an uploaded file, or None when none was chosen"
    if not upload or not upload.filename:
        return None
    # From the start: Tryton runs the page again when the transaction
    # restarts to take the lock of the numbering
    upload.stream.seek(0)
    return upload.filename, upload.read()


def _download(name, mimetype, data):
    return Response(data, content_type=mimetype, headers={
            **HEADERS,
            'Content-Security-Policy': "default-src 'none'; sandbox",
            'Content-Disposition': (
                f"attachment; filename*=UTF-8''{quote(name)}"),
            })


# Home and services --------------------------------------------------------

@app.route('/<database_name>/portal/', methods={'GET'})
@with_pool
@with_transaction(readonly=True, context=CONTEXT)
@public
def home(page):
    Service = page.pool.get('portal.service')
    Information = page.pool.get('portal.information')
    return page.render('home.html',
        services=[s.public_info() for s in Service.public_services()],
        information=Information.public_list(limit=3))


def _service(page, code):
    Service = page.pool.get('portal.service')
    for service in Service.public_services():
        if service.code == code:
            return service


@app.route('/<database_name>/portal/layanan/<code>', methods={'GET'})
@with_pool
@with_transaction(readonly=True, context=CONTEXT)
@public
def service(page, code):
    service = _service(page, code)
    if not service:
        return page.not_found()
    return page.render('service.html', service=service.public_info())


# Requests -----------------------------------------------------------------

def _documents(request, info):
    "{requirement id: (name, bytes)} of the files chosen in the form"
    documents = {}
    for requirement in info['requirements']:
        upload = _file(request.files.get(f"dokumen_{requirement['id']}"))
        if upload:
            documents[requirement['id']] = upload
    return documents


def _data(form, info):
    return {f['name']: form.get(f"isian_{f['name']}", '')
        for f in info['fields']}


@app.route('/<database_name>/portal/layanan/<code>/ajukan',
    methods={'GET', 'POST'})
@set_max_request_size(MAX_REQUEST)
@with_pool
@with_transaction(readonly=False, context=CONTEXT)
@public
def request_form(page, code):
    Request = page.pool.get('portal.request')
    Area = page.pool.get('portal.area')
    service = _service(page, code)
    if not service:
        return page.not_found()
    info = service.public_info()
    shown = {'service': info, 'areas': Area.public_rts(), 'accept': ACCEPT}
    if page.request.method == 'GET':
        return page.render('request_form.html', form=True, values={}, **shown)
    form, refused = _posted(page, 'request_form.html', **shown)
    if refused:
        return refused
    citizen = {name: form.get(name, '') for name in [
            'nik', 'name', 'address', 'area', 'phone', 'email']}
    try:
        _, token = Request.public_submit(
            service, citizen, _data(form, info),
            _documents(page.request, info))
    except UserError as error:
        return page.refuse('request_form.html', error.message, form=form,
            **shown)
    return page.redirect(f'permohonan/{token}?baru=1')


def _request(page, token):
    Request = page.pool.get('portal.request')
    return Request.from_token(token) if TOKEN.fullmatch(token) else None


@app.route('/<database_name>/portal/permohonan/<token>', methods={'GET'})
@with_pool
@with_transaction(readonly=True, context=CONTEXT)
@public
def request_page(page, token):
    request = _request(page, token)
    if not request:
        return page.not_found()
    return page.render('request.html', request=request.public_info(),
        link=page.request.base_url, new='baru' in page.request.args,
        completed='lengkap' in page.request.args, token=token)


@app.route('/<database_name>/portal/permohonan/<token>/lengkapi',
    methods={'GET', 'POST'})
@set_max_request_size(MAX_REQUEST)
@with_pool
@with_transaction(readonly=False, context=CONTEXT)
@public
def complete_form(page, token):
    "The citizen completes a request returned as incomplete"
    Request = page.pool.get('portal.request')
    request = _request(page, token)
    if not request:
        return page.not_found()
    info = request.public_info()
    if not info['complete_form']:
        return page.redirect(f'permohonan/{token}')
    shown = {'request': info, 'service': info['complete_form'],
        'accept': ACCEPT, 'request_token': token}
    if page.request.method == 'GET':
        return page.render('complete_form.html', form=True, values={},
            **shown)
    form, refused = _posted(page, 'complete_form.html', **shown)
    if refused:
        return refused
    try:
        Request.public_complete(request, _data(form, info['complete_form']),
            _documents(page.request, info['complete_form']))
    except UserError as error:
        return page.refuse('complete_form.html', error.message, form=form,
            **shown)
    return page.redirect(f'permohonan/{token}?lengkap=1')


@app.route('/<database_name>/portal/permohonan/<token>/surat.pdf',
    methods={'GET'})
@with_pool
@with_transaction(readonly=True, context=CONTEXT)
@public
def signed_pdf(page, token):
    request = _request(page, token)
    signed = request.public_signed_pdf() if request else None
    if not signed:
        return page.not_found()
    name, data = signed
    return _download(name or 'surat.pdf', 'application/pdf', data)


@app.route('/<database_name>/portal/lacak', methods={'GET', 'POST'})
@with_pool
@with_transaction(readonly=False, context=CONTEXT)
@public
def track(page):
    """A request found by its number and the citizen's NIK, shown here:
    its link (token) is never given out this way"""
    Request = page.pool.get('portal.request')
    if page.request.method == 'GET':
        return page.render('track.html', form=True, values={})
    form, refused = _posted(page, 'track.html')
    if refused:
        return refused
    request = Request.from_number(
        form.get('nomor', '')[:30], form.get('nik', '')[:16])
    if not request:
        return page.refuse('track.html', _message('track_not_found'),
            status=HTTPStatus.NOT_FOUND, form=form)
    return page.render('request.html', request=request.public_info(),
        link=None, new=False, completed=False, token=None)


# Complaints ---------------------------------------------------------------

@app.route('/<database_name>/portal/pengaduan', methods={'GET', 'POST'})
@set_max_request_size(MAX_COMPLAINT)
@with_pool
@with_transaction(readonly=False, context=CONTEXT)
@public
def complaint_form(page):
    Complaint = page.pool.get('portal.complaint')
    shown = {'categories': Complaint.public_categories()}
    if page.request.method == 'GET':
        return page.render('complaint_form.html', form=True, values={},
            **shown)
    form, refused = _posted(page, 'complaint_form.html', **shown)
    if refused:
        return refused
    values = {name: form.get(name, '') for name in [
            'category', 'subject', 'description', 'location', 'name',
            'phone', 'email']}
    values['anonymous'] = bool(form.get('anonymous'))
    try:
        _, token = Complaint.public_submit(
            values, _file(page.request.files.get('foto')))
    except UserError as error:
        return page.refuse('complaint_form.html', error.message, form=form,
            **shown)
    return page.redirect(f'pengaduan/{token}?baru=1')


@app.route('/<database_name>/portal/pengaduan/<token>',
    methods={'GET', 'POST'})
@with_pool
@with_transaction(readonly=False, context=CONTEXT)
@public
def complaint_page(page, token):
    "A complaint's tracking page and the reporter's one reply"
    Complaint = page.pool.get('portal.complaint')
    complaint = (Complaint.from_token(token) if TOKEN.fullmatch(token)
        else None)
    if not complaint:
        return page.not_found()
    shown = {'new': 'baru' in page.request.args, 'complaint_token': token,
        'link': page.request.base_url}
    if page.request.method == 'GET':
        info = complaint.public_info()
        return page.render('complaint.html', form=info['can_reply'],
            complaint=info, values={}, **shown)
    form, refused = _posted(
        page, 'complaint.html', complaint=complaint.public_info(), **shown)
    if refused:
        return refused
    try:
        Complaint.public_reply(complaint, form.get('balasan', ''))
    except UserError as error:
        return page.refuse('complaint.html', error.message, form=form,
            complaint=complaint.public_info(), **shown)
    return page.redirect(f'pengaduan/{token}')


# Public information ---------------------------------------------------------

@app.route('/<database_name>/portal/informasi', methods={'GET'})
@with_pool
@with_transaction(readonly=True, context=CONTEXT)
@public
def information_list(page):
    Information = page.pool.get('portal.information')
    categories = dict(Information.fields_get(
            ['category'])['category']['selection'])
    category = page.request.args.get('kategori', '')
    if category not in categories:
        category = ''
    number = page.request.args.get('hal', '0')
    number = int(number) if number.isdigit() and len(number) < 6 else 0
    items = Information.public_list(category=category or None,
        offset=number * INFORMATION_PAGE, limit=INFORMATION_PAGE + 1)
    args = {'kategori': category} if category else {}
    return page.render('information_list.html',
        items=items[:INFORMATION_PAGE], categories=categories,
        category=category, number=number,
        next_url=(urlencode({**args, 'hal': number + 1})
            if len(items) > INFORMATION_PAGE else None),
        prev_url=urlencode({**args, 'hal': number - 1}) if number else None)


@app.route('/<database_name>/portal/informasi/<int:info_id>',
    methods={'GET'})
@with_pool
@with_transaction(readonly=True, context=CONTEXT)
@public
def information(page, info_id):
    Information = page.pool.get('portal.information')
    item = Information.public_get(info_id)
    if not item:
        return page.not_found()
    return page.render('information.html', item=item)


@app.route('/<database_name>/portal/informasi/<int:info_id>/lampiran/'
    '<int:attachment_id>', methods={'GET'})
@with_pool
@with_transaction(readonly=True, context=CONTEXT)
@public
def information_attachment(page, info_id, attachment_id):
    Information = page.pool.get('portal.information')
    attachment = Information.public_attachment(info_id, attachment_id)
    if not attachment:
        return page.not_found()
    return _download(*attachment)


@app.route('/<database_name>/portal/cek-surat', methods={'GET'})
def check_letter(request, database_name):
    "The verification of a letter by its number and date (esurat_signing)"
    query = urlencode({k: request.args.get(k, '')[:100]
            for k in ['nomor', 'tanggal'] if k in request.args})
    return redirect(
        f'/{database_name}/verify' + (f'?{query}' if query else ''),
        code=303)
