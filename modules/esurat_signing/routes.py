# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public verification pages, no login, nothing written:

- /<database>/verify/<token>: GET shows whether the token (the QR code's)
  belongs to a signed letter, who issued and signed it; POST with a PDF
  tells whether that file is the signed original, byte for byte, and, when
  it is not, whether its own signature validates (esurat.signature's
  check_upload);
- /<database>/verify/<token>/pdf: the signed original, except for rahasia
  and cancelled letters;
- /<database>/verify?nomor=...&tanggal=...: a letter found by its exact
  number and date, for a reader of a paper copy without the QR code.

All share one rate limit per address."""
import base64
import datetime
import re
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
# The logo of the agency is inlined (one request per page, nothing else to
# rate limit)
HEADERS = {
    'Content-Security-Policy': (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
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
    'cancelled', 'revoked', 'footer', 'issued_by', 'letter_type',
    'addressees', 'copies', 'certificate', 'certificate_valid',
    'certificate_invalid', 'download', 'technical', 'serial', 'choose',
    'chosen', 'lookup', 'lookup_number', 'lookup_date', 'search',
    'not_found', 'lookup_hint']
LOGO_PIXELS = 128


def _texts():
    return {
        name: gettext(f'esurat_signing.msg_verify_{name}',
            size=MAX_UPLOAD // (1024 * 1024))
        for name in MESSAGES}


def local_datetime(value):
    "A stored (UTC) datetime shown in the region's time zone"
    zone = zoneinfo.ZoneInfo(
        config.get('esurat', 'timezone', default='Asia/Jakarta'))
    local = value.replace(tzinfo=datetime.timezone.utc).astimezone(zone)
    return f'{render.format_date_id(local.date())} {local:%H:%M} {local:%Z}'


def _logo(data):
    "The agency's logo as a small JPEG data URI (None if unreadable)"
    jpeg = render.logo_jpeg(data, LOGO_PIXELS)
    if not jpeg:
        return None
    return 'data:image/jpeg;base64,' + base64.b64encode(jpeg).decode()


def _letter(signature):
    "What the page shows of the signed letter of signature"
    agency = signature.agency
    return {
        'signature': signature,
        'government': signature.government,
        'agency': agency.name,
        'logo': _logo(bytes(agency.logo)) if agency.logo else None,
        'date': render.format_date_id(signature.date),
        'signed_at': local_datetime(signature.signed_at),
        'downloadable': _downloadable(signature),
        }


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
    # Relative to /<database>/verify/<token>
    lookup_href = '../verify'
    if not signature:
        return _page(
            HTTPStatus.NOT_FOUND, signature=None, lookup_href=lookup_href)
    check = None
    if request.method == 'POST':
        check = _check_upload(request, signature)
    return _page(
        HTTPStatus.OK, check=check, lookup_href=lookup_href,
        **_letter(signature))


def _downloadable(signature):
    "Whether the signed original is handed out to anybody with the QR code"
    return bool(
        signature and not signature.restricted and not signature.cancelled)


@app.route('/<database_name>/verify/<token>/pdf', methods={'GET'})
@with_pool
@with_transaction(readonly=True, context={'language': 'id'})
def download(request, pool, token):
    "The signed original, as it was signed"
    try:
        Signature = pool.get('esurat.signature')
    except KeyError:
        return Response(status=HTTPStatus.NOT_FOUND)
    if not LIMITER.allow(request.remote_addr):
        return _page(HTTPStatus.TOO_MANY_REQUESTS, error='too_many')
    signature = Signature.by_token(token)
    # A rahasia or cancelled letter answers as an unknown token does
    if not _downloadable(signature):
        return _page(HTTPStatus.NOT_FOUND, signature=None)
    # The name comes from the number, whose pattern an administrator writes
    file_name = re.sub(
        r'[^\w.-]', '_', signature.file_name or 'surat.pdf', flags=re.ASCII)
    return Response(
        bytes(signature.pdf), status=HTTPStatus.OK,
        content_type='application/pdf', headers={
            **HEADERS,
            'Content-Disposition': f'attachment; filename="{file_name}"',
            })


def _lookup_date(value):
    try:
        return datetime.date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@app.route('/<database_name>/verify', methods={'GET'})
@with_pool
@with_transaction(readonly=True, context={'language': 'id'})
def lookup(request, pool):
    """A letter found by its number and date: the verdict and what the QR
    code's page shows, but neither the original nor its token; of a
    rahasia letter only the verdict"""
    try:
        Signature = pool.get('esurat.signature')
    except KeyError:
        return Response(status=HTTPStatus.NOT_FOUND)
    if not LIMITER.allow(request.remote_addr):
        return _page(HTTPStatus.TOO_MANY_REQUESTS, error='too_many')
    number = (request.args.get('nomor') or '').strip()
    date = request.args.get('tanggal') or ''
    query = {'number': number, 'date': date}
    if not number and not date:
        return _page(HTTPStatus.OK, lookup=query, signature=None)
    signature = Signature.lookup(number, _lookup_date(date))
    if not signature:
        return _page(
            HTTPStatus.NOT_FOUND, lookup=query, signature=None,
            error='not_found')
    # The original and the token stay with the holders of the QR code
    return _page(HTTPStatus.OK, lookup=query, **{
            **_letter(signature), 'downloadable': False})
