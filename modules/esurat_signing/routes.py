# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public verification page: /<database>/verify/<token>.

No login.  GET shows whether the token belongs to a signed letter; POST
with a PDF also tells whether that file is the signed original, byte for
byte, and, when it is not, whether its own signature validates
(esurat.signature's check_upload).  Nothing is written."""
import datetime
import zoneinfo
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from werkzeug.exceptions import RequestEntityTooLarge

from trytond import config
from trytond.i18n import gettext
from trytond.modules.esurat_base.ratelimit import RateLimiter
from trytond.protocols.wrappers import (
    HTTPStatus, Response, set_max_request_size, with_pool, with_transaction)
from trytond.wsgi import app

from . import render

# A signed letter with its scans and logo stays well below this
MAX_UPLOAD = 10 * 1024 * 1024
LIMITER = RateLimiter(
    config.getint('esurat', 'verify_rate_limit', default=30), period=60)
TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / 'templates'),
    autoescape=select_autoescape(default=True, default_for_string=True))
HEADERS = {
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    'X-Content-Type-Options': 'nosniff',
    # Not no-referrer: browsers then send "Origin: null" with the upload
    # form, which trytond's origin check refuses
    'Referrer-Policy': 'same-origin',
    'Cache-Control': 'no-store',
    }
MESSAGES = [
    'title', 'genuine', 'unknown', 'number', 'date', 'subject', 'withheld',
    'signer', 'position', 'signed_at', 'sha256', 'upload', 'check',
    'same', 'different', 'signature_valid', 'signature_invalid',
    'no_signature', 'not_pdf', 'no_file', 'too_large', 'too_many',
    'cancelled', 'revoked', 'footer']


def _texts():
    return {
        name: gettext(f'esurat_signing.msg_verify_{name}',
            size=MAX_UPLOAD // (1024 * 1024))
        for name in MESSAGES}


def _local(value):
    "A stored (UTC) datetime shown in the region's time zone"
    zone = zoneinfo.ZoneInfo(
        config.get('esurat', 'timezone', default='Asia/Jakarta'))
    local = value.replace(tzinfo=datetime.timezone.utc).astimezone(zone)
    return f'{render.format_date_id(local.date())} {local:%H:%M} {local:%Z}'


def _page(status, **values):
    body = TEMPLATES.get_template('verify.html').render(t=_texts(), **values)
    return Response(
        body, status=status, content_type='text/html; charset=utf-8',
        headers=HEADERS)


def _check_upload(request, signature):
    """The verdict on the uploaded file: the request's size and presence
    here, the file itself by the signature"""
    try:
        upload = request.files.get('document')
    except RequestEntityTooLarge:
        return {'error': 'too_large'}
    data = upload.read(MAX_UPLOAD + 1) if upload else b''
    if not data:
        return {'error': 'no_file'}
    if len(data) > MAX_UPLOAD:
        return {'error': 'too_large'}
    return signature.check_upload(data)


@app.route('/<database_name>/verify/<token>', methods={'GET', 'POST'})
@set_max_request_size(MAX_UPLOAD + 64 * 1024)
@with_pool
@with_transaction(readonly=True, context={'language': 'id'})
def verify(request, pool, token):
    try:
        Signature = pool.get('esurat.signature')
    except KeyError:
        return Response(status=HTTPStatus.NOT_FOUND)
    if not LIMITER.allow(request.remote_addr):
        return _page(HTTPStatus.TOO_MANY_REQUESTS, error='too_many')
    signature = Signature.by_token(token)
    if not signature:
        return _page(HTTPStatus.NOT_FOUND, signature=None)
    check = None
    if request.method == 'POST':
        check = _check_upload(request, signature)
    return _page(
        HTTPStatus.OK, signature=signature, check=check,
        date=render.format_date_id(signature.date),
        signed_at=_local(signature.signed_at))
