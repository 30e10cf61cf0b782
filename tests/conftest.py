# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fixtures of the browser tests: a real e-Surat server and Debian's chromium.

``esurat`` (session): sao installed by bin/install-sao, a fresh database
created like bin/run does (esurat_signing and its dependencies, Indonesian,
the demo Kabupaten, a development CA), and trytond serving it and sao on a
free port of 127.0.0.1, sending its email to a real SMTP server on loopback
whose messages the tests read (``esurat.mailbox``); stopped at the end.
The database is SQLite in a temporary directory, or, when
TRYTOND_DATABASE_URI is a postgresql:// URI (as bin/test and .ci/run set
it), a new database on that server, dropped at the end.

``browser`` (session): /usr/bin/chromium, headless, driven by Playwright.
Playwright never downloads a browser here; a missing chromium is a failure
(CI installs it through .ci/run), not a skip.
"""
import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / '.venv' / 'bin'
SAO = ROOT / 'var' / 'sao' / 'package'
SCREENSHOTS = ROOT / 'var' / 'screenshots'
CHROMIUM = Path('/usr/bin/chromium')
CHROMIUM_ARGS = [
    '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run',
    ]
DATABASE = 'esurat_browser'
ADMIN_PASSWORD = 'admin-esurat-2026'
DEMO_PASSWORD = 'demo-esurat-2026'


def _database_uri():
    """The database server of the tests: bin/test exports
    TRYTOND_DATABASE_URI for PostgreSQL (unset or sqlite:// otherwise)"""
    uri = os.environ.get('TRYTOND_DATABASE_URI', '')
    return uri if uri.startswith('postgresql') else 'sqlite://'


def _pg_execute(uri, database, *statements):
    "Run statements with autocommit in database of the server at uri"
    import psycopg
    from psycopg.conninfo import conninfo_to_dict, make_conninfo
    params = conninfo_to_dict(uri)
    params['dbname'] = database
    with psycopg.connect(make_conninfo(**params), autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


def _pg_create(uri, name):
    "A new UTF-8 database name with pg_trgm when the server provides it"
    import psycopg
    _pg_execute(uri, 'postgres',
        f'DROP DATABASE IF EXISTS "{name}"',
        f'CREATE DATABASE "{name}" ENCODING \'UTF8\'')
    try:
        # Trusted since PostgreSQL 13; .ci/run also puts it in template1
        _pg_execute(uri, name, 'CREATE EXTENSION IF NOT EXISTS pg_trgm')
    except psycopg.Error as error:
        print(f'pg_trgm not available ({error}); letter search uses LIKE',
            file=sys.stderr)


def _pg_drop(uri, name):
    import psycopg
    try:
        _pg_execute(uri, 'postgres',
            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except psycopg.Error as error:
        print(f'could not drop database {name}: {error}', file=sys.stderr)


def _environ():
    """The environment of the server commands: bin/test exports settings
    for the unit tests (TRYTOND_DATABASE__PATH, TRYTOND_DATABASE_URI,
    DB_CACHE, ...) that would override the configuration written here;
    the database URI is passed on through that configuration instead"""
    env = {k: v for k, v in os.environ.items()
        if not k.startswith('TRYTOND') and k not in {'DB_CACHE', 'DB_NAME'}}
    env['PYTHONUNBUFFERED'] = '1'
    return env


def _run(args, log, **kwargs):
    with open(log, 'ab') as out:
        out.write(f'\n$ {" ".join(map(str, args))}\n'.encode())
        out.flush()
        result = subprocess.run(
            list(map(str, args)), stdout=out, stderr=subprocess.STDOUT,
            cwd=ROOT, check=False, **kwargs)
    if result.returncode:
        pytest.fail(
            f'{args[0]} failed ({result.returncode}); last lines of {log}:\n'
            + _tail(log))


def _tail(path, lines=40):
    try:
        text = Path(path).read_text(errors='replace')
    except OSError:
        return ''
    return '\n'.join(text.splitlines()[-lines:])


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class RPCError(Exception):
    pass


class Server:
    "A running e-Surat server and a small JSON-RPC client for it"
    Error = RPCError
    demo_password = DEMO_PASSWORD

    def __init__(self, url, database, log, backend, mailbox=None):
        self.url = url
        self.database = database
        self.log = log
        self.backend = backend
        # The messages the server sent (None on an external server)
        self.mailbox = mailbox

    def log_tail(self, lines=40):
        return _tail(self.log, lines) if self.log else ''

    def login(self, login, password=DEMO_PASSWORD):
        "A JSON-RPC session of login, as sao opens it"
        return RPCSession(self, login, password)


class RPCSession:
    """Like sao: POST /<db>/session/login sets the session cookie, then
    POST /<db>/rpc/ with it"""

    def __init__(self, server, login, password):
        self.server = server
        self.login = login
        self._id = 0
        self._cookie = None
        self.context = {}
        response = self._post('session/login', {
                'method': 'common.db.login',
                'params': [login, {'password': password}, 'id'],
                })
        self.user_id = response['result'][0]
        for header in response['headers'].get_all('Set-Cookie') or []:
            name, _, rest = header.partition('=')
            if name.strip() == 'tryton_session':
                self._cookie = 'tryton_session=' + rest.split(';', 1)[0]
        assert self._cookie, 'no session cookie'
        self.context = self('model.res.user.get_preferences', True)

    def _post(self, path, payload):
        self._id += 1
        request = urllib.request.Request(
            f'{self.server.url}/{self.server.database}/{path}',
            data=json.dumps(dict(payload, id=self._id)).encode(),
            headers={'Content-Type': 'application/json'}, method='POST')
        if self._cookie:
            request.add_header('Cookie', self._cookie)
        with urllib.request.urlopen(request, timeout=60) as response:
            answer = json.load(response)
            headers = response.headers
        if answer.get('error'):
            raise RPCError(answer['error'])
        return {'result': answer['result'], 'headers': headers}

    def __call__(self, method, *args):
        "Call method with args and the user's context, like sao"
        return self._post('rpc/', {
                'method': method,
                'params': [*args, self.context],
                })['result']


@pytest.fixture(scope='session')
def esurat(tmp_path_factory):
    """A fresh e-Surat with the demo data served on 127.0.0.1, or the one
    running at ESURAT_TEST_SERVER=http://host:port/database (with the demo
    data, e.g. from bin/run) while working on the tests"""
    existing = os.environ.get('ESURAT_TEST_SERVER')
    if existing:
        url, _, database = existing.rstrip('/').rpartition('/')
        yield Server(url, database, None, 'external')
        return
    started = time.monotonic()
    work = tmp_path_factory.mktemp('esurat-server')
    log = work / 'server.log'
    env = _environ()
    _run([ROOT / 'bin' / 'install-sao'], log, env=env)
    assert (SAO / 'index.html').exists(), 'sao is not installed'

    port = _free_port()
    db_dir = work / 'db'
    db_dir.mkdir()
    uri = _database_uri()
    backend = re.split(r'[:+]', uri, maxsplit=1)[0]
    if backend == 'postgresql':
        # One database per run, so that runs on a shared server never meet
        database = f'{DATABASE}_{os.getpid()}'
        _pg_create(uri, database)
    else:
        database = DATABASE
        # trytond-admin needs the SQLite file to exist
        (db_dir / f'{database}.sqlite').touch()
    from trytond.modules.esurat_base.tests.tools import SMTPServer
    smtp = SMTPServer().__enter__()
    conf = work / 'trytond.conf'
    # As bin/run writes it (path holds the filestore on PostgreSQL too)
    conf.write_text(f"""\
[database]
uri = {uri}
path = {db_dir}
language = en
retry = 40

[web]
listen = 127.0.0.1:{port}
root = {SAO}
hostname = 127.0.0.1:{port}

[session]

[email]
uri = {smtp.uri}
from = e-Surat Kabupaten Sukamaju <e-surat@sukamaju.example>

[esurat]
dev_ca_passphrase = {secrets.token_urlsafe(24)}
""")
    conf.chmod(0o600)
    process = None
    try:
        passfile = work / 'adminpass'
        passfile.write_text(ADMIN_PASSWORD + '\n')
        # Every module, as bin/run activates them
        modules = sorted(
            p.parent.name for p in (ROOT / 'modules').glob('*/tryton.cfg'))
        _run([
                VENV / 'trytond-admin', '-c', conf, '-d', database,
                '-u', *modules, '--activate-dependencies',
                '-l', 'id', '--email', 'admin@example.com', '-p'],
            log, env=dict(env, TRYTONPASSFILE=str(passfile)))
        _run([ROOT / 'bin' / 'demo', conf, database], log, env=env)
        prepared = time.monotonic() - started

        with open(log, 'ab') as out:
            process = subprocess.Popen(
                [str(VENV / 'trytond'), '-c', str(conf)],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                env=dict(env, TRYTOND_DATABASE_NAMES=database))
        url = f'http://127.0.0.1:{port}'
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f'trytond stopped ({process.returncode}):\n' + _tail(log))
            try:
                with urllib.request.urlopen(url + '/', timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                pytest.fail('trytond did not answer in 60 s:\n' + _tail(log))
            time.sleep(0.2)
        print(f'\ne-Surat at {url} on {backend} (database and demo in '
            f'{prepared:.0f} s, log {log})', file=sys.stderr)
        yield Server(url, database, log, backend, mailbox=smtp.messages)
    finally:
        smtp.__exit__(None, None, None)
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if backend == 'postgresql':
            _pg_drop(uri, database)


@pytest.fixture(scope='session')
def browser():
    "Debian's chromium, headless"
    if not CHROMIUM.exists():
        pytest.fail(
            f'{CHROMIUM} is missing: install the Debian package chromium '
            '(apt-get install chromium; .ci/run does it). Playwright must '
            'not download a browser.')
    # Never let Playwright fetch its own browsers
    os.environ.setdefault('PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD', '1')
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope='session')
def screenshots():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob('*.png'):
        old.unlink()
    return SCREENSHOTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    "Keep each phase's report on the test (fixtures look at it)"
    report = yield
    setattr(item, f'report_{report.when}', report)
    return report
