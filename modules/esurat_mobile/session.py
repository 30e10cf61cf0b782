# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The session of the phone app: Tryton's own.

Logging in is trytond's ``security.login`` (res.user.get_login with its
login attempts throttling) and creates an ``ir.session``; every request
checks it with ``security.check`` (max_age, and e-Surat's idle timeout)
and refreshes it with ``security.reset``, exactly as the RPC layer does
for sao; logging out deletes it.  The key travels in a cookie of its own:
HttpOnly, SameSite=Lax (a link from a notification email opens the app
logged in, which Tryton's Strict cookie would not), Secure over https,
limited to the app's path.

Every POST carries a CSRF token: an HMAC of the session key, so it is
worthless with another session and dies with its session.  The login form
has a token of its own, the same random value in a cookie and in the form.
"""
import hashlib
import hmac
import secrets

from trytond import config, security
from trytond.exceptions import LoginException, RateLimitException

COOKIE = 'esurat_m'
LOGIN_COOKIE = 'esurat_m_login'
POSITION_COOKIE = 'esurat_m_jabatan'


class TooManyAttempts(Exception):
    "Tryton's login refused to check the password: too many attempts"


def app_path(database):
    return f'/{database}/m/'


def read_cookie(request):
    "(user_id, key) of the session cookie, or None"
    value = request.cookies.get(COOKIE, '')
    user_id, _, key = value.partition(':')
    if not user_id.isdigit() or not key:
        return None
    return int(user_id), key


def _context(request):
    return {'_request': request.context}


def check(request, database):
    """The id of the user of a valid session, or None; the session is
    refreshed as every RPC call refreshes it"""
    session = read_cookie(request)
    if not session:
        return None
    user_id, key = session
    user = security.check(database, user_id, key, context=_context(request))
    if user:
        security.reset(database, key, _context(request))
    return user


def login(request, database, login_name, password):
    """(user_id, key) of a new session, or None for a wrong login or
    password; raises TooManyAttempts when Tryton throttles the login"""
    try:
        session = security.login(
            database, login_name, {'password': password},
            context=_context(request))
    except RateLimitException:
        raise TooManyAttempts()
    except LoginException:
        # Another authentication step (sao's) is asked: not in this app
        return None
    return session or None


def logout(request, database):
    session = read_cookie(request)
    if session:
        user_id, key = session
        security.logout(database, user_id, key, context=_context(request))


def _cookie_options(request, database):
    return {
        'path': app_path(database),
        'domain': config.get('session', 'cookie_domain'),
        'secure': request.is_secure,
        'httponly': True,
        'samesite': 'Lax',
        }


def set_cookie(request, response, database, user_id, key):
    response.set_cookie(
        COOKIE, f'{user_id}:{key}',
        max_age=config.getint('session', 'max_age'),
        **_cookie_options(request, database))


def delete_cookies(request, response, database):
    for name in [COOKIE, POSITION_COOKIE]:
        response.delete_cookie(name, **_cookie_options(request, database))


def set_position_cookie(request, response, database, position_id):
    response.set_cookie(
        POSITION_COOKIE, str(position_id),
        max_age=config.getint('session', 'max_age'),
        **_cookie_options(request, database))


def csrf_token(key):
    "The token of the forms of the session of key"
    return hmac.new(
        key.encode(), b'esurat_mobile.csrf', hashlib.sha256).hexdigest()


def csrf_valid(request):
    "Whether the POST carries the token of the session it is sent with"
    session = read_cookie(request)
    sent = request.form.get('csrf', '')
    return bool(session and sent
        and hmac.compare_digest(sent, csrf_token(session[1])))


def login_token(request):
    "The login form's token: the one of its cookie, else a new one"
    token = request.cookies.get(LOGIN_COOKIE, '')
    if len(token) != 43:
        token = secrets.token_urlsafe(32)
    return token


def set_login_cookie(request, response, database, token):
    response.set_cookie(
        LOGIN_COOKIE, token, max_age=3600,
        **_cookie_options(request, database))


def login_token_valid(request):
    cookie = request.cookies.get(LOGIN_COOKIE, '')
    sent = request.form.get('csrf', '')
    return bool(cookie and sent and hmac.compare_digest(cookie, sent))
