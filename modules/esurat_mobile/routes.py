# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the phone app, under /<database>/m/.

Each page authenticates the session cookie (session.py) and then runs in a
transaction of the logged-in user with access checks on, as an RPC call
of sao does: the record rules, model, field and button access hold
unchanged.  Actions call the models' own buttons and wizards and answer
with a redirect to a page that shows what happened (redirect after POST),
so a reload never sends a form twice and lists are never stale."""
import datetime
import zoneinfo
from functools import lru_cache, wraps
from io import BytesIO
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape

from trytond import config
from trytond.exceptions import ConcurrencyException, UserError, UserWarning
from trytond.i18n import gettext
from trytond.modules.esurat_base.letter_file import inspect_upload
from trytond.modules.esurat_signing.render import format_date_id
from trytond.pool import Pool
from trytond.protocols.wrappers import (
    HTTPStatus, Response, redirect, set_max_request_size, with_pool,
    with_transaction)
from trytond.transaction import Transaction, without_check_access
from trytond.wsgi import app

from . import scan, session
from .mobile import ABBREVIATIONS, TABS

ROOT = Path(__file__).parent
# A report's photo or file, within esurat_base's default scan size
MAX_UPLOAD = 20 * 1024 * 1024
# A message of a thread, as long as a few paragraphs typed on a phone
MAX_MESSAGE = 4000
TEMPLATES = Environment(
    loader=FileSystemLoader(ROOT / 'templates'),
    autoescape=select_autoescape(default=True, default_for_string=True))
CONTEXT = {'_check_access': True, 'language': 'id'}
HEADERS = {
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'self'; script-src 'self'; "
        "img-src 'self'; connect-src 'self'; manifest-src 'self'; "
        "worker-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'none'"),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    }
STATIC = {
    'app.css': 'text/css; charset=utf-8',
    'app.js': 'text/javascript; charset=utf-8',
    }
FLASH_COOKIE = 'esurat_m_pesan'
# The states the pages show, in the models' own (translated) words
SELECTIONS = {
    'states': ('esurat.disposition', 'state'),
    'outgoing_states': ('esurat.outgoing', 'state'),
    'step_states': ('esurat.outgoing.approval', 'state'),
    }


def _selections():
    """{name: {value: label}} of SELECTIONS in the transaction's language
    (none for the pages made outside a transaction: errors, login)"""
    if not Transaction().database:
        return dict.fromkeys(SELECTIONS, {})
    pool = Pool()
    result = {}
    for name, (model, field) in SELECTIONS.items():
        Model = pool.get(model)
        result[name] = dict(
            Model.fields_get([field])[field]['selection'])
    return result


def _local(value):
    "A stored (UTC) datetime in the region's time zone, to the minute"
    if not value:
        return ''
    zone = zoneinfo.ZoneInfo(
        config.get('esurat', 'timezone', default='Asia/Jakarta'))
    local = value.replace(tzinfo=datetime.timezone.utc).astimezone(zone)
    return f'{local.day}/{local.month} {local:%H.%M}'


def _date(value):
    return format_date_id(value) if value else ''


def _waited(value):
    "How long a step has waited, in days or hours"
    if value.days:
        return f'{value.days} hari'
    return f'{value.seconds // 3600} jam'


TEMPLATES.filters.update(local=_local, date_id=_date, waited=_waited)


def _render(request, name, status=HTTPStatus.OK, **values):
    return render(
        request, TEMPLATES.get_template(name), status,
        **_selections(), **values)


def render(request, template, status=HTTPStatus.OK, **values):
    """template (of the app's layout, also for the pages other modules add
    to the app) as the app's response: with the app's base path, the
    session's CSRF token and the flash message, which it consumes"""
    database = request.view_args['database_name']
    values.setdefault('flash', read_flash(request))
    key = (session.read_cookie(request) or (None, ''))[1]
    body = template.render(
        base=session.app_path(database), csrf=session.csrf_token(key),
        **values)
    response = Response(
        body, status=status, content_type='text/html; charset=utf-8',
        headers=HEADERS)
    if values['flash']:
        response.delete_cookie(FLASH_COOKIE, path=session.app_path(database))
    return response


def read_flash(request):
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    kind, _, text = unquote(value).partition(':')
    return {'kind': 'error' if kind == 'error' else 'ok', 'text': text[:500]}


def redirect_to(request, path, message=None, kind='ok'):
    database = request.view_args['database_name']
    response = redirect(session.app_path(database) + path, code=303)
    if message:
        response.set_cookie(
            FLASH_COOKIE, quote(f'{kind}:{message}'), max_age=60,
            path=session.app_path(database), httponly=True, samesite='Lax',
            secure=request.is_secure)
    return response


def not_found(request):
    return _render(request, 'error.html', status=HTTPStatus.NOT_FOUND,
        flash=None, reason='not_found')


def authenticated(func):
    """Run func as the user of the session cookie, whose POSTs must carry
    the session's CSRF token; without a session, go to the login page"""
    @wraps(func)
    def wrapper(request, pool, *args, **kwargs):
        try:
            pool.get('esurat.mobile')
        except KeyError:
            return Response(status=HTTPStatus.NOT_FOUND)
        database = pool.database_name
        user_id = session.check(request, database)
        if not user_id:
            next_ = request.full_path if request.method == 'GET' else ''
            target = session.app_path(database) + 'masuk'
            if next_.startswith(session.app_path(database)):
                target += '?' + urlencode({'lanjut': next_.rstrip('?')})
            response = redirect(target, code=303)
            session.delete_cookies(request, response, database)
            return response
        if request.method == 'POST' and not session.csrf_valid(request):
            return _render(request, 'error.html',
                status=HTTPStatus.FORBIDDEN, flash=None, reason='expired')
        # with_transaction(user='request') starts the transaction as him
        request.__dict__['user_id'] = user_id
        return func(request, pool, *args, **kwargs)
    return wrapper


def _acting(request, pool):
    """(positions, current): the positions the user acts as today and the
    one chosen with the switch (None: all); the server checks the choice"""
    Mobile = pool.get('esurat.mobile')
    positions = Mobile.positions()
    chosen = request.args.get('jabatan') or request.cookies.get(
        session.POSITION_COOKIE)
    current = None
    for position in positions:
        if str(position['id']) == chosen:
            current = position
    if current is None and len(positions) == 1:
        current = positions[0]
    return positions, current


# Login and logout ----------------------------------------------------

@app.route('/<database_name>/m/masuk', methods={'GET', 'POST'})
@with_pool
def login(request, pool):
    try:
        pool.get('esurat.mobile')
    except KeyError:
        return Response(status=HTTPStatus.NOT_FOUND)
    database = pool.database_name
    next_ = request.values.get('lanjut', '')
    if (not next_.startswith(session.app_path(database))
            or '//' in next_ or '\\' in next_):
        next_ = session.app_path(database)
    token = session.login_token(request)
    error, status, login_name = None, HTTPStatus.OK, ''
    if request.method == 'POST':
        login_name = request.form.get('login', '').strip()[:512]
        if not session.login_token_valid(request):
            error, status = 'expired', HTTPStatus.FORBIDDEN
        else:
            try:
                new = session.login(
                    request, database, login_name,
                    request.form.get('password', ''))
            except session.TooManyAttempts:
                new = None
                error, status = 'throttled', HTTPStatus.TOO_MANY_REQUESTS
            else:
                if not new:
                    error, status = 'wrong', HTTPStatus.UNAUTHORIZED
            if new:
                response = redirect(next_, code=303)
                session.set_cookie(request, response, database, *new)
                response.delete_cookie(
                    session.LOGIN_COOKIE, path=session.app_path(database))
                return response
    body = TEMPLATES.get_template('login.html').render(
        base=session.app_path(database), csrf=token, error=error,
        login=login_name, next=next_, flash=None)
    response = Response(
        body, status=status, content_type='text/html; charset=utf-8',
        headers=HEADERS)
    session.set_login_cookie(request, response, database, token)
    return response


@app.route('/<database_name>/m/keluar', methods={'POST'})
@with_pool
@authenticated
def logout(request, pool):
    database = pool.database_name
    session.logout(request, database)
    response = redirect(session.app_path(database) + 'masuk', code=303)
    session.delete_cookies(request, response, database)
    return response


# Home, position and inbox -----------------------------------------------

@app.route('/<database_name>/m/', methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def home(request, pool):
    Mobile = pool.get('esurat.mobile')
    User = pool.get('res.user')
    positions, current = _acting(request, pool)
    shown = [current] if current else positions
    counters = Mobile.counters([p['id'] for p in shown])
    user = User(Transaction().user)
    return _render(request, 'home.html', user=user.name,
        positions=positions, current=current, shown=shown,
        counters=counters, links=Mobile.home_links())


@app.route('/<database_name>/m/jabatan', methods={'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def switch_position(request, pool):
    positions, _ = _acting(request, pool)
    chosen = request.form.get('jabatan', '')
    response = redirect_to(request, '')
    for position in positions:
        if str(position['id']) == chosen:
            session.set_position_cookie(
                request, response, pool.database_name, position['id'])
            return response
    # All positions
    response.delete_cookie(
        session.POSITION_COOKIE,
        path=session.app_path(pool.database_name))
    return response


@app.route('/<database_name>/m/kotak', methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def inbox(request, pool):
    Mobile = pool.get('esurat.mobile')
    positions, current = _acting(request, pool)
    tab = request.args.get('tab', 'all')
    if tab not in TABS:
        tab = 'all'
    query = request.args.get('q', '')[:100]
    page = request.args.get('hal', '0')
    page = int(page) if page.isdigit() else 0
    position_ids = [current['id']] if current else [
        p['id'] for p in positions]
    rows, more = Mobile.inbox(position_ids, tab, query, page)
    titles = {p['id']: p['title'] for p in positions}
    args = {'tab': tab, 'q': query}
    if current:
        args['jabatan'] = current['id']
    return _render(request, 'inbox.html', rows=rows, more=more, page=page,
        tab=tab, query=query, current=current, positions=positions,
        titles=titles, many=len(position_ids) > 1,
        next_url=urlencode({**args, 'hal': page + 1}),
        prev_url=urlencode({**args, 'hal': page - 1}))


@app.route('/<database_name>/m/konsep', methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def outgoing(request, pool):
    "Outgoing letters waiting for my initials or signature, or returned"
    Mobile = pool.get('esurat.mobile')
    positions, current = _acting(request, pool)
    tab = request.args.get('tab', 'initial')
    position_ids = [current['id']] if current else [
        p['id'] for p in positions]
    if tab == 'returned':
        return _render(request, 'outgoing.html', tab=tab, current=current,
            returned=Mobile.returned())
    if tab not in {'initial', 'sign'}:
        tab = 'initial'
    return _render(request, 'outgoing.html', tab=tab, current=current,
        steps=Mobile.waiting(position_ids, tab))


@app.route('/<database_name>/m/konsep/<int:outgoing_id>', methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def draft(request, pool, outgoing_id):
    """An outgoing letter: the latest return note, the letter as it will
    print, its recipients, route, versions and thread, and what I may do"""
    Mobile = pool.get('esurat.mobile')
    outgoing = Mobile.outgoing(outgoing_id)
    if outgoing is None:
        return not_found(request)
    steps = Mobile.route(outgoing)
    preview_key, pages, preview_error = None, 0, None
    try:
        preview_key, pages = scan.preview(
            pool.database_name, outgoing, lambda: _print(pool, outgoing))
    except UserError as error:
        preview_error = error.message
    mine = Mobile.my_step(steps)
    return _render(request, 'draft.html', outgoing=outgoing, steps=steps,
        returned=Mobile.latest_return(steps), mine=mine,
        may_edit=Mobile.may_edit(outgoing, mine),
        may_submit=Mobile.may_submit(outgoing),
        versions=Mobile.versions(outgoing),
        thread=Mobile.thread(outgoing), thread_url=f'konsep/{outgoing.id}',
        preview_key=preview_key, pages=pages, preview_error=preview_error)


def _print(pool, outgoing):
    """The PDF of outgoing through Tryton's report machinery, as the user:
    the signed letter once signed, the KONSEP preview before"""
    name = ('esurat.outgoing.letter' if outgoing.state == 'signed'
        else 'esurat.outgoing.preview')
    Report = pool.get(name, type='report')
    _, content, _, _ = Report.execute([outgoing.id], {
            'model': outgoing.__name__, 'id': outgoing.id,
            'ids': [outgoing.id]})
    return bytes(content)


@app.route('/<database_name>/m/konsep/<int:outgoing_id>/pratinjau/'
    '<key>/<int:page>.webp', methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def draft_page(request, pool, outgoing_id, key, page):
    "A page of the letter as it will print, for who may read the letter"
    Mobile = pool.get('esurat.mobile')
    outgoing = Mobile.outgoing(outgoing_id)
    if outgoing is None or page >= scan.MAX_PAGES:
        return not_found(request)
    try:
        data = scan.preview_image(pool.database_name, outgoing.id, key, page)
    except IndexError:
        data = None
    if data is None:
        return not_found(request)
    return file_response(data, 'image/webp',
        restricted=outgoing.confidentiality.restricted)


def _outgoing_action(request, pool, outgoing_id, action, message,
        error_path='', offered=None):
    """Run action(outgoing) on the letter the user may read (and for whom
    the page offers it: offered(outgoing)) and go back to it with message,
    or to error_path with the server's refusal"""
    Mobile = pool.get('esurat.mobile')
    outgoing = Mobile.outgoing(outgoing_id)
    if outgoing is None or (offered and not offered(outgoing)):
        return not_found(request)
    try:
        result = action(outgoing)
    except (UserError, UserWarning) as error:
        Transaction().rollback()
        return redirect_to(request, f'konsep/{outgoing_id}{error_path}',
            error.message, 'error')
    return redirect_to(request, f'konsep/{outgoing_id}', message(result))


@app.route('/<database_name>/m/konsep/<int:outgoing_id>/paraf',
    methods={'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def initial(request, pool, outgoing_id):
    "Initial (paraf) the draft: sao's Approve button"
    Outgoing = pool.get('esurat.outgoing')
    User = pool.get('res.user')

    def approve(outgoing):
        position = outgoing.current_approval.position if (
            outgoing.current_approval) else None
        Outgoing.approve([outgoing])
        return User.acting_title(position) if position else ''
    return _outgoing_action(request, pool, outgoing_id, approve,
        lambda title: gettext('esurat_mobile.msg_initialled', title=title))


def run_wizard(pool, name, outgoing, values):
    """Run the wizard name on outgoing as sao does after the button: create
    (with access checks), its start state, then its button's state with
    values ({state: {field: value}}), and delete the session"""
    Wizard = pool.get(name, type='wizard')
    with Transaction().set_context(
            active_model=outgoing.__name__, active_id=outgoing.id,
            active_ids=[outgoing.id]):
        session_id, start, _ = Wizard.create()
        # As sao's RPC call: the wizard checks its access itself
        with without_check_access():
            Wizard.execute(session_id, {}, start)
            (state, data), = values.items()
            Wizard.execute(session_id, data, state)
            Wizard.delete(session_id)


@app.route('/<database_name>/m/konsep/<int:outgoing_id>/kembalikan',
    methods={'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def send_back(request, pool, outgoing_id):
    "Return the draft with a note: sao's Return button and wizard"
    Outgoing = pool.get('esurat.outgoing')
    note = request.form.get('catatan', '').strip()

    def return_(outgoing):
        if not note:
            raise UserError(gettext('esurat_mobile.msg_return_note'))
        Outgoing.return_([outgoing])
        run_wizard(pool, 'esurat.outgoing.return', outgoing,
            {'return_': {'start': {'note': note}}})
        return outgoing.drafter.name if outgoing.drafter else ''
    return _outgoing_action(request, pool, outgoing_id, return_,
        lambda name: gettext('esurat_mobile.msg_returned', drafter=name))


@app.route('/<database_name>/m/konsep/<int:outgoing_id>/ubah',
    methods={'GET', 'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def edit(request, pool, outgoing_id):
    """Edit the subject and body as sao's form saves them: a write with
    the access checks and the timestamp of the text the form was opened
    with; esurat_signing decides who may write and keeps an approver's
    change as a version"""
    Mobile = pool.get('esurat.mobile')
    Outgoing = pool.get('esurat.outgoing')
    outgoing = Mobile.outgoing(outgoing_id)
    if outgoing is None:
        return not_found(request)
    mine = Mobile.my_step(Mobile.route(outgoing))
    if not Mobile.may_edit(outgoing, mine):
        return not_found(request)

    def form(subject, body, error=None):
        row, = Outgoing.read([outgoing.id], ['_timestamp'])
        return _render(request, 'edit.html',
            status=HTTPStatus.UNPROCESSABLE_ENTITY if error else HTTPStatus.OK,
            outgoing=outgoing, mine=mine, subject=subject, body=body,
            timestamp=row['_timestamp'], error=error)
    if request.method == 'GET':
        return form(outgoing.subject, outgoing.body)
    # A subject is one line, whatever the phone's keyboard sent
    subject = ' '.join(request.form.get('perihal', '').split())
    # Blank lines around the text go, an indented first line stays
    body = request.form.get('isi', '').replace('\r\n', '\n').strip(
        '\n').rstrip()
    transaction = Transaction()
    # As sao's save: refused when the text changed since the form opened
    transaction.timestamp = {
        str(outgoing): request.form.get('versi') or None}
    try:
        Outgoing.write([outgoing], {
                'subject': subject or None,
                'body': body if body.strip() else None})
    except (UserError, UserWarning, ConcurrencyException) as error:
        transaction.rollback()
        return form(subject, body, error=(
                gettext('esurat_mobile.msg_edit_conflict')
                if isinstance(error, ConcurrencyException)
                else error.message))
    return redirect_to(request, f'konsep/{outgoing_id}',
        gettext('esurat_mobile.msg_text_saved'))


@app.route('/<database_name>/m/konsep/<int:outgoing_id>/ajukan',
    methods={'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def submit(request, pool, outgoing_id):
    "Submit the draft (again after a return): sao's Submit button"
    Mobile = pool.get('esurat.mobile')
    Outgoing = pool.get('esurat.outgoing')

    def submit(outgoing):
        Outgoing.submit([outgoing])
        approval = Outgoing(outgoing.id).current_approval
        return approval.position.rec_name if approval else ''
    return _outgoing_action(request, pool, outgoing_id, submit,
        lambda name: gettext('esurat_mobile.msg_submitted', position=name),
        offered=Mobile.may_submit)


@app.route('/<database_name>/m/konsep/<int:outgoing_id>/tandatangan',
    methods={'GET', 'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def sign(request, pool, outgoing_id):
    """Sign with the passphrase: sao's Sign button and wizard, which keeps
    the passphrase out of its stored session; the app neither stores nor
    sends it back"""
    Mobile = pool.get('esurat.mobile')
    Outgoing = pool.get('esurat.outgoing')
    outgoing = Mobile.outgoing(outgoing_id)
    if outgoing is None:
        return not_found(request)
    mine = Mobile.my_step(Mobile.route(outgoing))
    if not mine or mine['kind'] != 'sign':
        return not_found(request)
    if request.method == 'GET':
        return _render(request, 'sign.html', outgoing=outgoing, step=mine)

    def sign(outgoing):
        Outgoing.sign([outgoing])
        run_wizard(pool, 'esurat.outgoing.sign', outgoing, {
                'sign': {'start': {
                        'passphrase': request.form.get('frasa', '')}}})
        return Outgoing(outgoing.id).number
    return _outgoing_action(request, pool, outgoing_id, sign,
        lambda number: gettext('esurat_mobile.msg_signed', number=number),
        error_path='/tandatangan')


@app.route('/<database_name>/m/konsep/<int:outgoing_id>/utas',
    methods={'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def draft_post(request, pool, outgoing_id):
    Mobile = pool.get('esurat.mobile')
    outgoing = Mobile.outgoing(outgoing_id)
    if outgoing is None:
        return not_found(request)
    return _post(request, pool, outgoing, f'konsep/{outgoing_id}')


def _post(request, pool, record, back):
    "Post the form's message to record's thread and go back to its page"
    Mobile = pool.get('esurat.mobile')
    content = request.form.get('pesan', '').strip()[:MAX_MESSAGE]
    if not content:
        return redirect_to(request, back,
            gettext('esurat_mobile.msg_message_empty'), 'error')
    try:
        Mobile.post(record, content)
    except (UserError, UserWarning) as error:
        Transaction().rollback()
        return redirect_to(request, back, error.message, 'error')
    return redirect_to(request, back + '#utas',
        gettext('esurat_mobile.msg_message_posted'))


@app.route('/<database_name>/m/buka/<model>/<int:record_id>',
    methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def open_record(request, pool, model, record_id):
    """The app's page of a record a notification is about: an item, an
    outgoing letter, or a letter (the user's item of it)"""
    Mobile = pool.get('esurat.mobile')
    path = None
    if model == 'esurat.disposition' and _item(pool, record_id):
        path = f'item/{record_id}'
    elif model == 'esurat.outgoing' and Mobile.outgoing(record_id):
        path = f'konsep/{record_id}'
    elif model == 'esurat.letter':
        item = Mobile.letter_item(record_id)
        path = f'item/{item.id}' if item else None
    if path is None:
        return not_found(request)
    return redirect_to(request, path)


# An item and its actions -----------------------------------------------

def _item(pool, item_id):
    "The item, or None when the user may not read it"
    return pool.get('esurat.mobile').item(item_id)


def _own_open_item(pool, item_id):
    """The item when it is addressed to a position the user acts as and
    still open (what dispose and report done act on), else None"""
    Mobile = pool.get('esurat.mobile')
    User = pool.get('res.user')
    item = _item(pool, item_id)
    if (item is None or not User.acts_as(item.to_position)
            or not Mobile.is_open(item)):
        return None
    return item


@app.route('/<database_name>/m/item/<int:item_id>', methods={'GET'})
@with_pool
@authenticated
# Opening one's own item records its reading, as sao's Open Disposition
@with_transaction(user='request', context=CONTEXT, readonly=False)
def item(request, pool, item_id):
    Mobile = pool.get('esurat.mobile')
    User = pool.get('res.user')
    LetterFile = pool.get('esurat.letter.file')
    Attachment = pool.get('ir.attachment')
    item = _item(pool, item_id)
    if item is None:
        return not_found(request)
    letter = item.letter
    mine = User.acts_as(item.to_position)
    files = LetterFile.search([('letter', '=', letter.id)])
    # The paperclip of a letter whose content is hidden is hidden too
    # (esurat_base refuses reading its files); its search does not say so
    attachments = [] if letter.content_hidden else Attachment.search([
            ('resource', '=', str(letter)), ('type', '=', 'data')])
    steps = Mobile.tracking(letter.id)
    return _render(request, 'item.html', item=item, letter=letter,
        thread=Mobile.thread(letter), thread_url=f'item/{item.id}',
        mine=mine, acting=User.acting_title(item.to_position) if mine else '',
        is_open=Mobile.is_open(item), files=files, steps=steps,
        attachments=attachments, content_hidden=letter.content_hidden,
        pages={f.id: scan.page_count(f) for f in files},
        my_positions=set(User.get_esurat_positions()))


@app.route('/<database_name>/m/item/<int:item_id>/utas', methods={'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def item_post(request, pool, item_id):
    "Post to the thread of the item's letter"
    item = _item(pool, item_id)
    if item is None:
        return not_found(request)
    return _post(request, pool, item.letter, f'item/{item_id}')


@app.route('/<database_name>/m/item/<int:item_id>/disposisi',
    methods={'GET', 'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def dispose(request, pool, item_id):
    Mobile = pool.get('esurat.mobile')
    User = pool.get('res.user')
    Instruction = pool.get('esurat.disposition.instruction')
    item = _own_open_item(pool, item_id)
    if item is None:
        return not_found(request)
    if request.method == 'POST':
        return _send(request, pool, item)
    recipients = Mobile.recipients(item)
    query = request.args.get('q', '')[:100]
    if query:
        recipients = Mobile.match(recipients, query)
    return _render(request, 'dispose.html', item=item,
        acting=User.acting_title(item.to_position),
        recipients=recipients, query=query, abbreviations=ABBREVIATIONS,
        instructions=Instruction.search([]),
        picks=Mobile.deadline_picks())


def _ids(request, name):
    return [int(v) for v in request.form.getlist(name) if v.isdigit()]


def _send(request, pool, item):
    """Send the disposition through sao's Dispose wizard: its start state
    derives the source on the server, its send state checks everything"""
    Dispose = pool.get('esurat.disposition.dispose', type='wizard')
    Position = pool.get('esurat.position')
    to_ids = _ids(request, 'kepada')
    deadline = request.form.get('tenggat', '')
    try:
        deadline = (datetime.date.fromisoformat(deadline)
            if deadline else None)
    except ValueError:
        deadline = None
    transaction = Transaction()
    try:
        with transaction.set_context(
                active_model='esurat.disposition', active_id=item.id,
                active_ids=[item.id]):
            session_id, _, _ = Dispose.create()
            # As sao's RPC call: the wizard checks its access itself
            with without_check_access():
                start = Dispose.execute(session_id, {}, 'start')
                # What the form was opened with, as sao sends it back
                values = {k: v for k, v in start['view']['defaults'].items()
                    if not k.endswith('.')}
                values.update({
                        'to_positions': to_ids,
                        'instructions': _ids(request, 'instruksi'),
                        'note': (
                            request.form.get('catatan', '').strip() or None),
                        'deadline': deadline,
                        })
                Dispose.execute(session_id, {'start': values}, 'send')
                Dispose.delete(session_id)
    except (UserError, UserWarning) as error:
        transaction.rollback()
        return redirect_to(request, f'item/{item.id}/disposisi',
            error.message, 'error')
    names = ', '.join(p.rec_name for p in Position.browse(to_ids))
    return redirect_to(request, f'item/{item.id}',
        gettext('esurat_mobile.msg_disposition_sent', to=names))


@app.route('/<database_name>/m/item/<int:item_id>/mulai', methods={'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def start(request, pool, item_id):
    Disposition = pool.get('esurat.disposition')
    item = _item(pool, item_id)
    if item is None:
        return not_found(request)
    try:
        Disposition.start([item])
    except (UserError, UserWarning) as error:
        Transaction().rollback()
        return redirect_to(request, f'item/{item_id}', error.message,
            'error')
    return redirect_to(request, f'item/{item_id}',
        gettext('esurat_mobile.msg_started'))


@app.route('/<database_name>/m/item/<int:item_id>/selesai',
    methods={'GET', 'POST'})
@set_max_request_size(MAX_UPLOAD + 64 * 1024)
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def done(request, pool, item_id):
    Disposition = pool.get('esurat.disposition')
    User = pool.get('res.user')
    item = _own_open_item(pool, item_id)
    if item is None:
        return not_found(request)
    if request.method == 'GET':
        return _render(request, 'done.html', item=item,
            acting=User.acting_title(item.to_position))
    values = {'report': request.form.get('laporan', '').strip() or None}
    upload = request.files.get('berkas')
    data = upload.read(MAX_UPLOAD + 1) if upload else b''
    if len(data) > MAX_UPLOAD:
        return redirect_to(request, f'item/{item_id}/selesai',
            gettext('esurat_mobile.msg_upload_too_large'), 'error')
    if data:
        values['report_file'] = data
        values['report_file_name'] = upload.filename or 'laporan'
    try:
        Disposition.write([item], values)
        Disposition.done([item])
    except (UserError, UserWarning) as error:
        Transaction().rollback()
        return redirect_to(request, f'item/{item_id}/selesai',
            error.message, 'error')
    return redirect_to(request, f'item/{item_id}',
        gettext('esurat_mobile.msg_done'))


@app.route('/<database_name>/m/item/<int:item_id>/tarik', methods={'POST'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def recall(request, pool, item_id):
    "Recall item_id, a disposition sent from the item the page shows"
    Disposition = pool.get('esurat.disposition')
    item = _item(pool, item_id)
    if item is None:
        return not_found(request)
    back = request.form.get('kembali', '')
    back = f'item/{back}' if back.isdigit() else ''
    try:
        Disposition.recall([item])
    except (UserError, UserWarning) as error:
        Transaction().rollback()
        return redirect_to(request, back, error.message, 'error')
    return redirect_to(request, back, gettext(
            'esurat_mobile.msg_recalled', to=item.to_position.rec_name))


# Files -----------------------------------------------------------------

def file_response(data, mimetype, name=None, restricted=False):
    headers = {
        'X-Content-Type-Options': 'nosniff',
        # A rahasia scan is not kept on a phone that others may pick up
        'Cache-Control': (
            'no-store' if restricted else 'private, max-age=86400'),
        'Content-Security-Policy': "default-src 'none'; sandbox",
        }
    if name:
        headers['Content-Disposition'] = (
            f"attachment; filename*=UTF-8''{quote(name)}")
    return Response(data, content_type=mimetype, headers=headers)


@app.route('/<database_name>/m/berkas/<int:file_id>/<int:page>.webp',
    methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def file_page(request, pool, file_id, page):
    LetterFile = pool.get('esurat.letter.file')
    files = LetterFile.search([('id', '=', file_id)], limit=1)
    if not files or page >= scan.page_count(files[0]):
        return not_found(request)
    return file_response(
        scan.page_image(pool.database_name, files[0], page), 'image/webp',
        restricted=files[0].letter.restricted)


@app.route('/<database_name>/m/berkas/<int:file_id>', methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def file_download(request, pool, file_id):
    LetterFile = pool.get('esurat.letter.file')
    files = LetterFile.search([('id', '=', file_id)], limit=1)
    if not files:
        return not_found(request)
    file, = files
    return file_response(bytes(file.data), file.mimetype, file.name,
        restricted=file.letter.restricted)


@app.route('/<database_name>/m/lampiran/<int:attachment_id>',
    methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def attachment_download(request, pool, attachment_id):
    "A file of a letter's paperclip, readable as its letter is"
    Attachment = pool.get('ir.attachment')
    attachments = Attachment.search([
            ('id', '=', attachment_id),
            ('resource', 'like', 'esurat.letter,%'),
            ('type', '=', 'data'),
            ], limit=1)
    if not attachments:
        return not_found(request)
    attachment, = attachments
    # Read as the user: instances read without access checks, and the
    # check of a rahasia letter's paperclip is on reading its data
    try:
        row, = Attachment.read([attachment.id], ['data', 'name'])
    except UserError:
        return not_found(request)
    data = bytes(row['data'])
    info = inspect_upload(data, row['name'])
    return file_response(data, info['mimetype'], info['name'],
        restricted=attachment.resource.restricted)


@app.route('/<database_name>/m/laporan/<int:item_id>', methods={'GET'})
@with_pool
@authenticated
@with_transaction(user='request', context=CONTEXT)
def report_download(request, pool, item_id):
    item = _item(pool, item_id)
    if item is None or not item.report_file:
        return not_found(request)
    data = bytes(item.report_file)
    info = inspect_upload(data, item.report_file_name or 'laporan')
    return file_response(data, info['mimetype'], info['name'])


# Installable app: static files, manifest, icons, offline page ------------

@app.route('/<database_name>/m/static/<name>', methods={'GET'})
def static(request, database_name, name):
    if name not in STATIC:
        return Response(status=HTTPStatus.NOT_FOUND)
    return Response((ROOT / 'static' / name).read_bytes(),
        content_type=STATIC[name],
        headers={'Cache-Control': 'public, max-age=3600',
            'X-Content-Type-Options': 'nosniff'})


@app.route('/<database_name>/m/sw.js', methods={'GET'})
def service_worker(request, database_name):
    # Served from the app's path so that its scope is the app
    return Response((ROOT / 'static' / 'sw.js').read_bytes(),
        content_type='text/javascript; charset=utf-8',
        headers={'Cache-Control': 'no-cache',
            'X-Content-Type-Options': 'nosniff'})


@app.route('/<database_name>/m/manifest.webmanifest', methods={'GET'})
def manifest(request, database_name):
    import json
    base = session.app_path(database_name)
    body = json.dumps({
            'name': "e-Surat",
            'short_name': "e-Surat",
            'lang': 'id',
            'start_url': base,
            'scope': base,
            'display': 'standalone',
            'background_color': '#ffffff',
            'theme_color': '#0b5394',
            'icons': [{
                    'src': f'{base}ikon-{size}.png', 'sizes': f'{size}x{size}',
                    'type': 'image/png', 'purpose': 'any maskable'}
                for size in (192, 512)],
            })
    return Response(body, content_type='application/manifest+json',
        headers={'Cache-Control': 'public, max-age=3600'})


@lru_cache(maxsize=2)
def _icon(size):
    "The app's icon: a white envelope on the app's blue, drawn once"
    from PIL import Image, ImageDraw
    image = Image.new('RGB', (size, size), '#0b5394')
    draw = ImageDraw.Draw(image)
    left, top = size * 0.22, size * 0.32
    right, bottom = size * 0.78, size * 0.68
    width = max(2, size // 24)
    draw.rectangle([left, top, right, bottom], outline='white', width=width)
    draw.line([(left, top), (size / 2, size * 0.52), (right, top)],
        fill='white', width=width)
    buffer = BytesIO()
    image.save(buffer, format='PNG', optimize=True)
    return buffer.getvalue()


@app.route('/<database_name>/m/ikon-<int:size>.png', methods={'GET'})
def icon(request, database_name, size):
    if size not in {192, 512}:
        return Response(status=HTTPStatus.NOT_FOUND)
    return Response(_icon(size), content_type='image/png',
        headers={'Cache-Control': 'public, max-age=86400'})


@app.route('/<database_name>/m/luring', methods={'GET'})
def offline(request, database_name):
    body = TEMPLATES.get_template('offline.html').render(
        base=session.app_path(database_name))
    return Response(body, content_type='text/html; charset=utf-8',
        headers=HEADERS)
