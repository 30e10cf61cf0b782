# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Fixtures of the browser tests: a real e-Surat server and Debian's chromium.

``esurat`` (session): sao installed by bin/install-sao, a fresh database
created like bin/run does (esurat_signing and its dependencies, Indonesian,
the demo Kabupaten, a development CA), and trytond serving it and sao on a
free port of 127.0.0.1, sending its email to a real SMTP server on loopback
whose messages the tests read (``esurat.mailbox``); stopped at the end.
The database and its demo data are prepared in a thread from the end of
the collection, on the core the module tests leave free (``Demo``).
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
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / '.venv' / 'bin'
SAO = ROOT / 'var' / 'sao' / 'package'
# Another folder for a run beside this one (.ci/run runs SQLite and
# PostgreSQL at once)
SCREENSHOTS = ROOT / os.environ.get('ESURAT_SCREENSHOTS', 'var/screenshots')
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

    # From template0, as trytond creates its databases: a database with a
    # connection cannot be copied, and the module tests running meanwhile
    # connect to template1 to list the databases
    _pg_execute(uri, 'postgres',
        f'DROP DATABASE IF EXISTS "{name}"',
        f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')
    try:
        # Trusted since PostgreSQL 13
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


def _tail(path, lines=40):
    try:
        text = Path(path).read_text(errors='replace')
    except OSError:
        return ''
    return '\n'.join(text.splitlines()[-lines:])


class RPCError(Exception):
    pass


class Server:
    "A running e-Surat server and a small JSON-RPC client for it"
    Error = RPCError
    demo_password = DEMO_PASSWORD

    def __init__(self, url, database, log, backend, mailbox=None,
            conf=None, env=None):
        self.url = url
        self.database = database
        self.log = log
        self.backend = backend
        # The messages the server sent (None on an external server)
        self.mailbox = mailbox
        # Its configuration file and the environment of its commands, for
        # tests that start servers of their own on its database (None on an
        # external server)
        self.conf = conf
        self.env = env

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


class Demo:
    """The demo e-Surat of the browser tests, prepared in a thread from the
    end of the collection: the database and its demo data take a minute of
    one core, while the module tests, which run first, use the other one.
    ``serve`` waits for them and starts trytond; ``close`` stops all and
    drops the database."""

    def __init__(self, work):
        self.started = time.monotonic()
        self.work = work
        self.log = work / 'server.log'
        self.env = _environ()
        self.uri = _database_uri()
        self.backend = re.split(r'[:+]', self.uri, maxsplit=1)[0]
        if self.backend == 'postgresql':
            # One database per run, so that runs on a shared server never meet
            self.database = f'{DATABASE}_{os.getpid()}'
        else:
            self.database = DATABASE
        # The port stays bound until trytond listens on it: the tests that
        # run meanwhile open free ports too
        self.port_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.port_socket.bind(('127.0.0.1', 0))
        self.port = self.port_socket.getsockname()[1]
        from trytond.modules.esurat_base.tests.tools import SMTPServer
        self.smtp = SMTPServer().__enter__()
        self.lock = threading.Lock()
        self.closed = False
        self.step = self.process = self.error = None
        self.created = False
        self.thread = threading.Thread(target=self._prepare, daemon=True)
        self.thread.start()

    def _run(self, args, **kwargs):
        with open(self.log, 'ab') as out:
            out.write(f'\n$ {" ".join(map(str, args))}\n'.encode())
            out.flush()
            with self.lock:
                if self.closed:
                    raise RuntimeError('stopped')
                self.step = subprocess.Popen(
                    list(map(str, args)), stdout=out,
                    stderr=subprocess.STDOUT, cwd=ROOT, **kwargs)
            returncode = self.step.wait()
        if returncode:
            pytest.fail(
                f'{args[0]} failed ({returncode}); last lines of {self.log}:'
                '\n' + _tail(self.log))

    def _prepare(self):
        try:
            self._run([ROOT / 'bin' / 'install-sao'], env=self.env)
            assert (SAO / 'index.html').exists(), 'sao is not installed'
            db_dir = self.work / 'db'
            db_dir.mkdir()
            if self.backend == 'postgresql':
                _pg_create(self.uri, self.database)
                self.created = True
            else:
                # trytond-admin needs the SQLite file to exist
                (db_dir / f'{self.database}.sqlite').touch()
            self.conf = self.work / 'trytond.conf'
            # As bin/run writes it (path holds the filestore on PostgreSQL
            # too)
            self.conf.write_text(f"""\
[database]
uri = {self.uri}
path = {db_dir}
language = en
retry = 40

[web]
listen = 127.0.0.1:{self.port}
root = {SAO}
hostname = 127.0.0.1:{self.port}

[session]

[email]
uri = {self.smtp.uri}
from = e-Surat Kabupaten Sukamaju <e-surat@sukamaju.example>

[esurat]
dev_ca_passphrase = {secrets.token_urlsafe(24)}
""")
            self.conf.chmod(0o600)
            passfile = self.work / 'adminpass'
            passfile.write_text(ADMIN_PASSWORD + '\n')
            # Every module, as bin/run activates them
            modules = sorted(
                p.parent.name for p in (ROOT / 'modules').glob('*/tryton.cfg'))
            self._run([
                    VENV / 'trytond-admin', '-c', self.conf,
                    '-d', self.database, '-u', *modules,
                    '--activate-dependencies', '-l', 'id',
                    '--email', 'admin@example.com', '-p'],
                env=dict(self.env, TRYTONPASSFILE=str(passfile)))
            self._run(
                [ROOT / 'bin' / 'demo', self.conf, self.database],
                env=self.env)
            self.prepared = time.monotonic() - self.started
        except BaseException as error:
            self.error = error

    def serve(self):
        "The Server on the demo database, once prepared"
        self.thread.join()
        if self.error:
            raise self.error
        self.port_socket.close()
        with open(self.log, 'ab') as out:
            self.process = subprocess.Popen(
                [str(VENV / 'trytond'), '-c', str(self.conf)],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                env=dict(self.env, TRYTOND_DATABASE_NAMES=self.database))
        url = f'http://127.0.0.1:{self.port}'
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                pytest.fail(f'trytond stopped ({self.process.returncode}):\n'
                    + _tail(self.log))
            try:
                with urllib.request.urlopen(url + '/', timeout=5) as answer:
                    if answer.status == 200:
                        break
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    'trytond did not answer in 60 s:\n' + _tail(self.log))
            time.sleep(0.2)
        print(f'\ne-Surat at {url} on {self.backend} (database and demo '
            f'ready {self.prepared:.0f} s after the collection, log '
            f'{self.log})', file=sys.stderr)
        return Server(url, self.database, self.log, self.backend,
            mailbox=self.smtp.messages, conf=self.conf, env=self.env)

    def close(self):
        with self.lock:
            if self.closed:
                return
            self.closed = True
        for process in [self.step, self.process]:
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.thread.join()
        self.port_socket.close()
        self.smtp.__exit__(None, None, None)
        if self.created:
            _pg_drop(self.uri, self.database)


DEMO = pytest.StashKey[Demo]()


def pytest_collection_finish(session):
    "Start preparing the demo e-Surat when a test to run uses it"
    if (os.environ.get('ESURAT_TEST_SERVER')
            or session.config.option.collectonly):
        return
    if any('esurat' in getattr(item, 'fixturenames', ())
            for item in session.items):
        session.config.stash[DEMO] = Demo(
            session.config._tmp_path_factory.mktemp('esurat-server'))


def pytest_sessionfinish(session):
    "Stop the demo e-Surat, also when the tests stopped before using it"
    if DEMO in session.config.stash:
        session.config.stash[DEMO].close()


@pytest.fixture(scope='session')
def esurat(request, tmp_path_factory):
    """A fresh e-Surat with the demo data served on 127.0.0.1, or the one
    running at ESURAT_TEST_SERVER=http://host:port/database (with the demo
    data, e.g. from bin/run) while working on the tests"""
    existing = os.environ.get('ESURAT_TEST_SERVER')
    if existing:
        url, _, database = existing.rstrip('/').rpartition('/')
        yield Server(url, database, None, 'external')
        return
    stash = request.config.stash
    if DEMO not in stash:
        # Not known at the collection (asked for with getfixturevalue)
        stash[DEMO] = Demo(tmp_path_factory.mktemp('esurat-server'))
    try:
        yield stash[DEMO].serve()
    finally:
        stash[DEMO].close()


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
