# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Issue 17 as an operations team breaks it, on real processes: trytond
servers of their own on the demo database of ``esurat`` (each with its own
configuration and port), real SMTP servers on loopback, kill -9.

- A mail server that accepts and never answers: Distribute, Dispose,
  Submit and Reset Password return in their normal time, their mails wait
  in the outbox, and once the mail server is back the outbox sends each
  exactly once.
- kill -9 of trytond right after a signing commits: after the restart the
  crons deliver the letter to the receiving agency once and its email once.
- kill -9 of trytond in the middle of registrations with scans and of a
  signing: the letters committed are whole and their numbers consecutive,
  the scans cut are orphans the filestore finds, the letter is signed whole
  or not at all, and delivered once.
- kill -9 of trytond-worker in the middle of a delivery (PostgreSQL): the
  resume cron runs it again, and it is delivered once, its email sent once.
- A mail server taking 1 s per message with trytond-worker and the cron's
  retry running (PostgreSQL): every mail arrives exactly once.
- A PostgreSQL restart after 50 concurrent calls (a PostgreSQL server of
  the test's own): the next call succeeds at once.

The crons run as ir.cron runs them, in a process of their own (``SCRIPT``),
with ``[esurat] delivery_grace``, ``queue_task_timeout`` and
``mail_sending_timeout`` at 0 so that they take over at once.
"""
import base64
import collections
import concurrent.futures
import configparser
import hashlib
import http.client
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from trytond.modules.esurat_base.tests.tools import (
    SilentServer, SMTPServer, free_port)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / '.venv' / 'bin' / 'python'
TRYTOND = ROOT / '.venv' / 'bin' / 'trytond'
# What a user waits for an action at most, whatever the mail server does
ACTION_TIME = 5
# How a call ends when the server is killed in its middle
CUT = (OSError, http.client.HTTPException)
# What the crons run (ir.cron records of esurat_base and esurat_signing)
REPAIR_CRONS = [
    'esurat.outgoing|deliver_stalled', 'ir.queue|resume_stalled',
    'esurat.mail|send_pending']

# Run in a process of its own on a configuration: the cron methods as
# ir.cron runs them (committed, then the tasks they queue and theirs), then
# a query; prints what the query returns as JSON
SCRIPT = """\
import json
import os
import sys

from trytond.pool import Pool
from trytond.transaction import Transaction
from trytond.worker import run_task

from trytond.modules.esurat_base.tools import run_committed

database, crons, query = sys.argv[1], json.loads(sys.argv[2]), sys.argv[3]
with Transaction().start(database, 0, readonly=True):
    Pool(database).init()


def run_cron(method):
    Cron = Pool().get('ir.cron')
    cron, = Cron.search([('method', '=', method)])
    Cron.run_once([cron])


for method in crons:
    run_committed(database, lambda: run_cron(method))
    tasks = Transaction().tasks
    while tasks:
        run_task(database, tasks.pop())


def run_query():
    pool = Pool()
    namespace = {'pool': pool, 'result': None, 'args': sys.argv[4:]}
    exec(query, namespace)
    return namespace['result']


print(json.dumps(run_committed(database, run_query), default=str))
"""

# The mails of the outbox after an id, as (id, to, subject, state)
MAILS_AFTER = """\
Mail = pool.get('esurat.mail')
result = [(m.id, m.to, m.subject, m.state)
    for m in Mail.search([('id', '>', int(args[0]))], order=[('id', 'ASC')])]
"""
# The outbox sends those mails now, as the cron and Retry do (each outcome
# is committed apart: read them in another transaction)
SEND_MAILS = """\
Mail = pool.get('esurat.mail')
Mail.send(Mail.browse([int(i) for i in args]))
"""
# What became of an outgoing letter: its recipients' delivery states, the
# incoming letters delivered from it, the mails to its recipients and its
# unfinished deliveries
DELIVERIES = """\
Outgoing = pool.get('esurat.outgoing')
Letter = pool.get('esurat.letter')
Mail = pool.get('esurat.mail')
Queue = pool.get('ir.queue')
outgoing = Outgoing(int(args[0]))
result = {
    'recipients': sorted(r.delivery_state for r in outgoing.recipients),
    'letters': Letter.search_count([('origin', '=', outgoing.id)]),
    'mails': [m.state for m in Mail.search([
                ('resource', '=', str(outgoing)),
                ('to', 'in', [r.email for r in outgoing.recipients
                        if r.email]),
                ])],
    'unfinished': len([q for q in Queue.search([('finished_at', '=', None)])
            if (q.data.get('model'), q.data.get('method'))
            == ('esurat.outgoing', 'deliver')
            and outgoing.id in q.data.get('instances', [])]),
    }
"""

# What the database and the filestore hold of the letters whose subject
# has a token (args[0]) and of an outgoing letter (args[1]): each letter
# with its files (id, SHA-256 recorded, SHA-256 of the stored file), the
# positions of its recipients, access rows and deliveries; the last
# numbers of its agency's registers of the year by kind; the outgoing
# letter and whether pyHanko validates its signed PDF; the files stored
# under the letters' prefix as {id: SHA-256} and those the filestore's
# orphan removal finds no record for
CRASHED = """\
import datetime
import hashlib
import os

from trytond.filestore import filestore

from trytond.modules.esurat_signing import pades

Letter = pool.get('esurat.letter')
Access = pool.get('esurat.letter.access')
Disposition = pool.get('esurat.disposition')
Sequence = pool.get('esurat.unit.sequence')
Outgoing = pool.get('esurat.outgoing')
Authority = pool.get('esurat.signing.authority')
Issue = pool.get('esurat.filestore.issue')
PREFIX = 'esurat'


def content(file_id):
    try:
        return filestore.get(file_id, prefix=PREFIX)
    except OSError:
        return None


def digest(data):
    return hashlib.sha256(data).hexdigest() if data is not None else None


outgoing = Outgoing(int(args[1]))
registers = {}
for register in Sequence.search([
            ('unit', '=', outgoing.unit.id),
            ('year', '=', datetime.date.today().year)]):
    registers[register.kind] = (
        registers.get(register.kind, 0) + register.last_number)
signature = outgoing.signature
pdf = content(signature.pdf_id) if signature else None
root = os.path.join(filestore.path, PREFIX)
known = Issue._known_files().get(PREFIX, set())
result = {
    'letters': {l.sender_number: {
            'unit': l.unit.id,
            'state': l.state,
            'sequence': l.agenda_sequence,
            'files': [[f.file_id, f.sha256, digest(content(f.file_id))]
                for f in l.files],
            'recipients': sorted(r.position.id for r in l.recipients),
            'access': sorted(a.position.id for a in Access.search(
                        [('letter', '=', l.id)])),
            'deliveries': sorted(d.to_position.id for d in Disposition.search(
                        [('letter', '=', l.id), ('kind', '=', 'delivery')])),
            } for l in Letter.search([('subject', 'like', f'%{args[0]}%')])},
    'unit': outgoing.unit.id,
    'registers': registers,
    'outgoing': [outgoing.state, outgoing.number, bool(signature)],
    'pdf': pdf is not None and [digest(pdf) == signature.sha256, *(
            lambda v: [v.intact, v.valid])(
            pades.validate(pdf, Authority.ca_certificate_pem()))],
    'stored': {name: digest(open(os.path.join(directory, name), 'rb').read())
        for directory, _, names in os.walk(root) for name in names},
    'orphans': sorted(i for i, _ in Issue._stored_files(PREFIX)
        if i not in known),
    }
"""


class Trytond:
    """A trytond of its own on the database of server, configured as it
    is but for its port, its mail server and extra options"""

    def __init__(self, server, work, name):
        if server.conf is None:
            pytest.skip('needs the servers started by the tests')
        self.server = server
        self.work = work
        self.name = name
        self.port = free_port()
        self.url = f'http://127.0.0.1:{self.port}'
        self.log = work / f'{name}.log'
        self.process = None

    def configure(self, email_uri, **options):
        "Write the configuration of the next start; return its path"
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(self.server.conf)
        parser['web']['listen'] = f'127.0.0.1:{self.port}'
        parser['email']['uri'] = email_uri
        # The repair crons take over at once, not minutes later
        parser['esurat']['delivery_grace'] = '0'
        parser['esurat']['queue_task_timeout'] = '0'
        # A mail left sending by a killed server is taken over at once too
        parser['esurat']['mail_sending_timeout'] = '0'
        # Merged into the sections: [esurat] keeps its passphrase
        parser.read_dict(options)
        self.settings = parser
        self.conf = self.work / f'{self.name}.conf'
        with open(self.conf, 'w') as conf:
            parser.write(conf)
        self.conf.chmod(0o600)
        return self.conf

    def start(self):
        with open(self.log, 'ab') as out:
            self.process = subprocess.Popen(
                [str(TRYTOND), '-c', str(self.conf)],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                env=dict(self.server.env,
                    TRYTOND_DATABASE_NAMES=self.server.database))
        deadline = time.monotonic() + 60
        while True:
            assert self.process.poll() is None, self.log.read_text()
            try:
                with urllib.request.urlopen(self.url + '/', timeout=5):
                    return
            except OSError:
                pass
            assert time.monotonic() < deadline, self.log.read_text()
            time.sleep(0.1)

    def worker(self, processes=1):
        """trytond-worker on the configuration, in a session of its own
        (os.killpg stops it with its processes)"""
        with open(self.work / f'{self.name}-worker.log', 'ab') as out:
            return subprocess.Popen(
                [str(TRYTOND.with_name('trytond-worker')), '-c',
                    str(self.conf), '-d', self.server.database,
                    '-n', str(processes)],
                stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
                env=self.server.env, start_new_session=True)

    def connect(self, **kwargs):
        "A connection of psycopg to the database, on PostgreSQL"
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        params = conninfo_to_dict(self.settings['database']['uri'])
        params['dbname'] = self.server.database
        return psycopg.connect(make_conninfo(**params), **kwargs)

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def login(self, login):
        server = self.server
        return server.__class__(
            self.url, server.database, self.log, server.backend).login(login)

    def python(self, query, *args, crons=()):
        "Run crons then query (see SCRIPT) on the configuration"
        result = subprocess.run(
            [str(PYTHON), '-c', SCRIPT, self.server.database,
                json.dumps(list(crons)), query, *map(str, args)],
            capture_output=True, text=True, cwd=ROOT, timeout=120,
            env=dict(self.server.env, TRYTOND_CONFIG=str(self.conf)))
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout.splitlines()[-1])


@pytest.fixture
def trytond(esurat, tmp_path):
    "Start servers of the test's own, stopped at its end"
    servers = []

    def make(name):
        servers.append(Trytond(esurat, tmp_path, name))
        return servers[-1]
    yield make
    for server in servers:
        server.stop()


def _timed(call, *args):
    "The result of call(*args), asserted to come within ACTION_TIME"
    started = time.monotonic()
    result = call(*args)
    elapsed = time.monotonic() - started
    assert elapsed < ACTION_TIME, f'{args[0]} took {elapsed:.1f} s'
    return result


def _wizard(rpc, name, model, record_id, state, values=None, timed=True):
    """Run the wizard name on a record up to state with the values of its
    start view, as sao does; return what the client gets at the end (timed:
    asserted to come within ACTION_TIME)"""
    context = dict(rpc.context, active_model=model, active_id=record_id,
        active_ids=[record_id])

    def execute(data, state):
        return rpc._post('rpc/', {
                'method': f'wizard.{name}.execute',
                'params': [session_id, data, state, context],
                })['result']
    session_id, start, _ = rpc(f'wizard.{name}.create')
    # Without the names of the linked records the view shows
    defaults = {k: v for k, v in execute({}, start)['view']['defaults'].items()
        if '.' not in k}
    data = {start: dict(defaults, **(values or {}))}
    return _timed(execute, data, state) if timed else execute(data, state)


def _one(rpc, model, domain):
    found, = rpc(f'model.{model}.search', domain, 0, None, None)
    return found


def _draft(rpc, token):
    """An outgoing letter of the Kabid Aptika for the Kepala Dinas to sign,
    to the Kepala Dinas Kesehatan and by email to a company"""
    outgoing_id, = rpc('model.esurat.outgoing.create', [{
                'letter_type': _one(rpc, 'esurat.letter.type',
                    [('code', '=', 'surat_undangan')]),
                'classification': _one(rpc, 'esurat.classification',
                    [('code', '=', '500.12')]),
                'subject': f"Undangan rapat ketahanan layanan {token}",
                'body': "Dengan hormat, kami mengundang Bapak/Ibu.",
                'enclosures': '-',
                'recipients': [['create', [{
                                'kind': 'internal',
                                'position': _one(rpc, 'esurat.position',
                                    [('name', '=',
                                        "Kepala Dinas Kesehatan")]),
                                }, {
                                'kind': 'external',
                                'name': "PT Mitra Sukamaju",
                                'email': f'surat-{token}@mitra.example',
                                }]]],
                }])
    return outgoing_id


def _incoming(rpc, token, number):
    """The values of a letter of the Kementerian PANRB (its number number)
    to the Kepala Dinas Kominfo, as its operator creates it in sao"""
    return {
        'sender': "Kementerian PANRB",
        'sender_number': f"B-{number}/MENPAN/2026",
        'sender_date': {'__class__': 'date', 'year': 2026,
            'month': 1, 'day': 5},
        'received_date': {'__class__': 'date', 'year': 2026,
            'month': 1, 'day': 6},
        'subject': f"Evaluasi layanan {token}",
        'letter_type': _one(rpc, 'esurat.letter.type',
            [('code', '=', 'surat_undangan')]),
        'classification': _one(rpc, 'esurat.classification',
            [('code', '=', '500.12')]),
        'addressees': [['create', [{
                        'position': _one(rpc, 'esurat.position', [
                                ('name', '=', "Kepala Dinas Komunikasi "
                                    "dan Informatika")]),
                        'kind': 'to'}]]],
        }


def _scan(text):
    "A scan of one page showing text, as sao uploads it"
    from reportlab.pdfgen import canvas
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 780, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _act_on_emails(server, kadis, kabid, token):
    """Distribute a letter to the Kepala Dinas, who disposes it to the Kabid,
    who submits a draft for the Kepala Dinas to sign, each within
    ACTION_TIME; the mails they made, as (id, to, subject, state)"""
    before = max([m[0] for m in server.python(MAILS_AFTER, 0)] or [0])
    operator = server.login('op.kominfo')
    letter_id, = operator('model.esurat.letter.create',
        [_incoming(operator, token, token)])
    operator('model.esurat.letter.register', [letter_id])
    _timed(operator, 'model.esurat.letter.distribute', [letter_id])

    kabid_position = _one(kadis, 'esurat.position',
        [('name', '=', "Kepala Bidang Aplikasi Informatika")])
    _wizard(kadis, 'esurat.disposition.dispose', 'esurat.letter',
        letter_id, 'send',
        {'to_positions': [kabid_position], 'note': "Mohon ditelaah."})

    _timed(kabid, 'model.esurat.outgoing.submit', [_draft(kabid, token)])
    return server.python(MAILS_AFTER, before)


def test_hanging_mail_server_blocks_nobody(esurat, trytond):
    """The mail server accepts and never answers: Distribute, Dispose and
    Submit answer within their normal time and their mails wait; once the
    mail server is back, each arrives exactly once"""
    token = secrets.token_hex(3)
    server = trytond('hanging')
    with SilentServer(hang_up=120) as silent, SMTPServer() as smtp:
        server.configure(silent.uri)
        server.start()
        # The Kepala Dinas and the Kabid are told of each action by email
        kadis = server.login('kadis.kominfo')
        kabid = server.login('kabid.aptika')
        try:
            for user in [kadis, kabid]:
                user('model.res.user.set_preferences',
                    {'email': f'{user.login}-{token}@sukamajukab.example'})
            mails = _act_on_emails(server, kadis, kabid, token)
            # Reset Password, by the agency's administrator: its email
            # waits in the outbox too
            operator = server.login('op.kominfo')
            _timed(operator, 'model.res.user.reset_password', [kabid.user_id])
            mails = server.python(MAILS_AFTER, mails[0][0] - 1)
        finally:
            # As the demo has them, for the tests that follow
            for user in [kadis, kabid]:
                user('model.res.user.set_preferences', {'email': None})
        # One mail at least per action (the addressee, the Kabid, the
        # Kepala Dinas as signer, the Kabid's temporary password), none
        # lost, none sent: waiting, or held by the server's sender that
        # waits for the silent mail server
        assert len(mails) >= 4, mails
        assert (f'kabid.aptika-{token}@sukamajukab.example',
            "e-Surat: kata sandi sementara Anda") in {
            (to, subject) for _, to, subject, _ in mails}, mails
        assert {state for *_, state in mails} <= {'pending', 'sending'}, mails

        # Its senders die with it
        server.stop()
        server.configure(smtp.uri)
        server.python(SEND_MAILS, *[i for i, *_ in mails])
        # Each sent, and the cron finds nothing more to send
        assert server.python(
            MAILS_AFTER, mails[0][0] - 1,
            crons=['esurat.mail|send_pending']) == [
            [*mail[:-1], 'sent'] for mail in mails]
        # (Others' mails of the database due meanwhile go there too)
        received = collections.Counter(
            (m['To'], m['Subject'].strip()) for m in smtp.messages
            if token in m['To'])
        assert received == collections.Counter(
            (to, subject) for _, to, subject, _ in mails), received


def test_killed_after_signing_delivers_once(esurat, trytond):
    """kill -9 of trytond right after a signing commits, before its delivery
    ran; after the restart the crons deliver the letter to the receiving
    agency once and send its email once

    The server that signs has [queue] worker = True with no worker running:
    the signing commits and answers, and its delivery is the queued task
    left undone, as when the process dies between its commit and the task
    it runs after it (the demo configuration, without a worker)."""
    token = secrets.token_hex(3)
    server = trytond('killed')
    with SMTPServer() as smtp:
        server.configure(smtp.uri, queue={'worker': 'True'})
        server.start()
        kabid = server.login('kabid.aptika')
        outgoing_id = _draft(kabid, token)
        kabid('model.esurat.outgoing.submit', [outgoing_id])
        kadis = server.login('kadis.kominfo')
        _wizard(kadis, 'esurat.outgoing.sign', 'esurat.outgoing',
            outgoing_id, 'sign', {'passphrase': esurat.demo_password})
        server.kill()

        assert server.python(DELIVERIES, outgoing_id) == {
            'recipients': ['pending', 'pending'], 'letters': 0,
            'mails': [], 'unfinished': 1}

        server.configure(smtp.uri)
        server.start()
        # Run twice: the second run finds nothing left to do
        assert server.python(
            DELIVERIES, outgoing_id, crons=REPAIR_CRONS * 2) == {
            'recipients': ['delivered', 'emailed'], 'letters': 1,
            'mails': ['sent'], 'unfinished': 0}
        reader = server.login('kadis.kesehatan')
        assert reader('model.esurat.letter.search_count',
            [('subject', 'like', f'%{token}%')]) == 1
        assert [m['To'] for m in smtp.messages
            if token in m['To']] == [f'surat-{token}@mitra.example']
        received = collections.Counter(
            (m['To'], m['Subject'].strip()) for m in smtp.messages)
        assert set(received.values()) == {1}, received


def _kill_with_scans_uncommitted(server, scans, lock, since):
    """Kill server once a scan of scans (sender number: SHA-256, guarded by
    lock) is in the filestore since the time since with no record yet: the
    test holds the table of the letters' recipients, whose rows a letter
    created with its scan first inserts after writing the scan, so that the
    calls stand between writing their file and their commit (PostgreSQL)"""
    root = Path(server.settings['database']['path']) / 'esurat'
    deadline = time.monotonic() + 30
    with server.connect() as held:
        held.execute('LOCK TABLE esurat_letter_recipient IN SHARE MODE')
        while True:
            recorded = {i for i, in held.execute(
                    'SELECT file_id FROM esurat_letter_file')}
            with lock:
                wanted = set(scans.values())
            if any(p.is_file() and p.name not in recorded
                    and p.stat().st_mtime >= since
                    and hashlib.sha256(p.read_bytes()).hexdigest() in wanted
                    for p in root.rglob('*')):
                break
            assert time.monotonic() < deadline, 'no scan waited'
            time.sleep(0.05)
        server.kill()


def test_killed_during_registrations_and_signing(esurat, trytond):
    """kill -9 of trytond while 8 sessions of the operator register letters
    with their scans in the agency and its Kepala Dinas signs a letter:
    every letter committed is whole (its scan stored as recorded; once
    registered, distributed to its addressee, who may open it), the agenda
    numbers committed follow each other (none used twice, none skipped, the
    next registration takes the next), a scan whose call was cut is a file
    that the orphan removal finds, and the letter being signed is signed
    whole (its number taken, its PDF valid) or still waits for its signature
    without a number, and is delivered once"""
    token = secrets.token_hex(3)
    server = trytond('crashed')
    with SMTPServer() as smtp:
        # As in test_killed_after_signing_delivers_once: a delivery
        # committed is left queued when the server dies
        server.configure(smtp.uri, queue={'worker': 'True'})
        server.start()
        kabid = server.login('kabid.aptika')
        outgoing_id = _draft(kabid, token)
        kabid('model.esurat.outgoing.submit', [outgoing_id])
        before = server.python(CRASHED, token, outgoing_id)['registers']
        kadis = server.login('kadis.kominfo')
        operators = [server.login('op.kominfo') for _ in range(8)]
        values = _incoming(operators[0], token, token)
        scans, registered = {}, []
        lock, enough = threading.Lock(), threading.Event()

        def create(operator, number):
            "Register a letter with its scan as sao does; return its id"
            scan = _scan(f"PINDAIAN SURAT {number}")
            sender_number = f'B-{number}/MENPAN/2026'
            with lock:
                scans[sender_number] = hashlib.sha256(scan).hexdigest()
            # Its scan first, then its addressee (see
            # _kill_with_scans_uncommitted)
            letter_id, = operator('model.esurat.letter.create', [{
                        'files': [['create', [{'name': 'scan.pdf', 'data': {
                                            '__class__': 'bytes',
                                            'base64': base64.b64encode(
                                                scan).decode()}}]]],
                        **values, 'sender_number': sender_number}])
            operator('model.esurat.letter.register_and_distribute',
                [letter_id])
            return letter_id

        def register(operator, n):
            try:
                for i in range(4):
                    letter_id = create(operator, f'{token}-{n}-{i}')
                    with lock:
                        registered.append(letter_id)
                        if len(registered) == 4:
                            enough.set()
            except CUT:
                pass
            finally:
                enough.set()

        def sign():
            try:
                _wizard(kadis, 'esurat.outgoing.sign', 'esurat.outgoing',
                    outgoing_id, 'sign', {'passphrase': esurat.demo_password},
                    timed=False)
            except CUT:
                return False
            return True

        since = time.time() - 1
        with concurrent.futures.ThreadPoolExecutor(9) as calls:
            signing = calls.submit(sign)
            registering = [calls.submit(register, o, n)
                for n, o in enumerate(operators)]
            enough.wait(60)
            if esurat.backend == 'postgresql':
                _kill_with_scans_uncommitted(server, scans, lock, since)
            else:
                server.kill()
            answered = signing.result()
            for future in registering:
                # None cut by an error of the server
                future.result()
        state = server.python(CRASHED, token, outgoing_id)
        letters = state['letters']

        # The numbers committed follow the last one before, each once, and
        # the register stands at the last of them
        numbers = sorted(
            l['sequence'] for l in letters.values() if l['sequence'])
        first = before.get('agenda', 0) + 1
        assert len(numbers) >= len(registered) >= 4, letters
        assert numbers == list(range(first, first + len(numbers))), numbers
        assert state['registers']['agenda'] == first + len(numbers) - 1
        committed = set()
        for number, letter in letters.items():
            assert letter['unit'] == state['unit'], letter
            # Its scan, sent in the same call, stored as recorded
            (file_id, recorded, stored), = letter['files']
            assert recorded == stored == scans[number], (number, letter)
            committed.add(file_id)
            assert letter['recipients'], letter
            assert letter['access'] == letter['recipients'], letter
            if letter['sequence']:
                assert letter['state'] == 'distributed', letter
                assert letter['deliveries'] == letter['recipients'], letter
            else:
                # Its registration cut: a draft the operator registers
                assert letter['state'] == 'draft', letter
                assert letter['deliveries'] == [], letter
        # The scans of the calls cut, written before their commit, are
        # files without a record that the orphan removal finds (and only
        # them)
        orphans = set(state['orphans'])
        cut = {i for i, digest in state['stored'].items()
            if digest in set(scans.values()) and i not in committed}
        assert cut <= orphans and not committed & orphans, (cut, orphans)

        # The letter being signed: signed whole or waiting without a number
        signed = state['outgoing'][0] == 'signed'
        if signed:
            assert state['outgoing'][1] and state['outgoing'][2], state
            assert state['pdf'] == [True, True, True], state
        else:
            assert state['outgoing'] == ['in_approval', None, False], state
            assert not answered
        assert state['registers'].get('outgoing', 0) == (
            before.get('outgoing', 0) + signed)
        print(f'\n{len(numbers)} letters registered, '
            f'{len(letters) - len(numbers)} left drafts, {len(cut)} scans '
            f'left orphans, signing {"committed" if signed else "cut"}')

        # A signing here leaves its delivery queued too: a mail sender of
        # this server would race the crons, which take over at once
        server.start()
        if not signed:
            _wizard(kadis, 'esurat.outgoing.sign', 'esurat.outgoing',
                outgoing_id, 'sign', {'passphrase': esurat.demo_password})
        # The next registration takes the next number
        operator = server.login('op.kominfo')
        letter_id = create(operator, f'{token}-next')
        assert operator('model.esurat.letter.read', [letter_id],
            ['agenda_sequence'])[0]['agenda_sequence'] == first + len(numbers)
        # Run twice: the second run finds nothing left to do
        assert server.python(
            DELIVERIES, outgoing_id, crons=REPAIR_CRONS * 2) == {
            'recipients': ['delivered', 'emailed'], 'letters': 1,
            'mails': ['sent'], 'unfinished': 0}
        assert [m['To'] for m in smtp.messages
            if token in m['To']] == [f'surat-{token}@mitra.example']


def test_killed_worker_delivers_once(esurat, trytond):
    """kill -9 of trytond-worker in the middle of a delivery: the resume
    cron runs its task again and the letter is delivered once, its email
    sent once

    The delivery is held in the middle by a lock the test takes on the
    receiving agency (as a registration there would), so that the worker
    is killed while it runs the task, after it marked it started."""
    if esurat.backend != 'postgresql':
        pytest.skip("trytond-worker listens for its tasks with PostgreSQL's "
            "LISTEN/NOTIFY (it cannot run on SQLite)")
    token = secrets.token_hex(3)
    server = trytond('worker')
    with SMTPServer() as smtp:
        server.configure(smtp.uri, queue={'worker': 'True'})
        server.start()
        kabid = server.login('kabid.aptika')
        outgoing_id = _draft(kabid, token)
        kabid('model.esurat.outgoing.submit', [outgoing_id])

        worker = server.worker()
        try:
            with server.connect() as lock:
                lock.execute(
                    'SELECT id FROM esurat_unit WHERE id IN ('
                    'SELECT unit FROM esurat_position WHERE name = %s) '
                    'FOR UPDATE', ["Kepala Dinas Kesehatan"])
                kadis = server.login('kadis.kominfo')
                _wizard(kadis, 'esurat.outgoing.sign', 'esurat.outgoing',
                    outgoing_id, 'sign', {'passphrase': esurat.demo_password})
                # The worker took the delivery and waits for the lock
                deadline = time.monotonic() + 30
                with server.connect(autocommit=True) as probe:
                    while not probe.execute(
                            "SELECT 1 FROM ir_queue WHERE dequeued_at IS NOT "
                            "NULL AND finished_at IS NULL AND data::text "
                            "LIKE %s", ['%"esurat.outgoing"%']).fetchone():
                        assert time.monotonic() < deadline, (
                            'the worker never took the delivery')
                        time.sleep(0.05)
                # The worker and its processes
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()

        assert server.python(DELIVERIES, outgoing_id) == {
            'recipients': ['pending', 'pending'], 'letters': 0,
            'mails': [], 'unfinished': 1}
        # Run twice: the second run finds nothing left to do
        assert server.python(
            DELIVERIES, outgoing_id, crons=REPAIR_CRONS * 2) == {
            'recipients': ['delivered', 'emailed'], 'letters': 1,
            'mails': ['sent'], 'unfinished': 0}
        assert [m['To'] for m in smtp.messages
            if token in m['To']] == [f'surat-{token}@mitra.example']
        received = collections.Counter(
            (m['To'], m['Subject'].strip()) for m in smtp.messages)
        assert set(received.values()) == {1}, received


def test_slow_mail_server_with_cron_and_worker(esurat, trytond):
    """A mail server taking 1 s per message, trytond-worker sending each
    action's mails after its commit and the cron's retry running all along:
    the actions (and Reset Password) answer in their normal time and every
    mail arrives exactly once (before, 2 of 108 mails arrived twice with a
    worker, 28 of 132 without)"""
    if esurat.backend != 'postgresql':
        pytest.skip("trytond-worker listens for its tasks with PostgreSQL's "
            "LISTEN/NOTIFY (it cannot run on SQLite)")
    token = secrets.token_hex(3)
    server = trytond('slow')
    with SMTPServer(delay=1) as smtp:
        # The cron takes over a mail only when its sender died, as
        # configured by default
        server.configure(smtp.uri, queue={'worker': 'True'},
            esurat={'mail_sending_timeout': '15'})
        server.start()
        worker = server.worker(processes=2)
        sent = threading.Event()

        def cron():
            # Runs of the cron back to back, each process a few seconds,
            # from before the first action to the last mail
            while not sent.is_set():
                server.python('', crons=['esurat.mail|send_pending'] * 20)
        crons = concurrent.futures.ThreadPoolExecutor(1)
        try:
            run = crons.submit(cron)
            kadis = server.login('kadis.kominfo')
            kabid = server.login('kabid.aptika')
            try:
                for user in [kadis, kabid]:
                    user('model.res.user.set_preferences',
                        {'email': f'{user.login}-{token}@sukamajukab.example'})
                mails = _act_on_emails(server, kadis, kabid, token)
                # And their temporary passwords
                operator = server.login('op.kominfo')
                _timed(operator, 'model.res.user.reset_password',
                    [kadis.user_id, kabid.user_id])
                mails = server.python(MAILS_AFTER, mails[0][0] - 1)
            finally:
                for user in [kadis, kabid]:
                    user('model.res.user.set_preferences', {'email': None})
            assert len(mails) >= 5, mails

            def ours():
                return [m for m in smtp.messages if token in m['To']]
            deadline = time.monotonic() + 30
            while len(ours()) < len(mails) and time.monotonic() < deadline:
                time.sleep(0.2)
        finally:
            sent.set()
            run.result()
            crons.shutdown()
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait()
        # Whatever the cron and the worker did meanwhile, each mail once
        assert server.python(MAILS_AFTER, mails[0][0] - 1) == [
            [*mail[:-1], 'sent'] for mail in mails]
        received = collections.Counter(
            (m['To'], m['Subject'].strip()) for m in ours())
        assert received == collections.Counter(
            (to, subject) for _, to, subject, _ in mails), received


class PostgreSQL:
    """A PostgreSQL server of the test's own on loopback, started as
    .ci/run starts the tests' one, with a copy of a database"""

    def __init__(self, bin):
        self.bin = bin
        self.port = free_port()
        self.uri = f'postgresql://postgres@127.0.0.1:{self.port}/'

    def _run(self, command, *args):
        args = [str(self.bin / command), *map(str, args)]
        if os.getuid() == 0:
            args = ['runuser', '-u', 'postgres', '--', *args]
        # pg_ctl writes to its log (-l): the server it starts keeps no pipe
        # of this process open
        subprocess.run(args, check=True, capture_output=True, timeout=120)

    def pg_ctl(self, *args):
        self._run('pg_ctl', '-D', self.dir / 'data', '-l', self.dir / 'log',
            '-w', '-o', f'-c listen_addresses=127.0.0.1 -p {self.port} '
            f'-k {self.dir} -c fsync=off', *args)

    def __enter__(self):
        self.dir = Path(tempfile.mkdtemp(prefix='esurat-pg-'))
        if os.getuid() == 0:
            shutil.chown(self.dir, 'postgres')
        self._run('initdb', '-D', self.dir / 'data', '-U', 'postgres',
            '-A', 'trust', '-E', 'UTF8')
        self.pg_ctl('start')
        return self

    def __exit__(self, *exc):
        try:
            self.pg_ctl('-m', 'immediate', 'stop')
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def conninfo(self, database, uri=None):
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        params = conninfo_to_dict(uri or self.uri)
        params['dbname'] = database
        return make_conninfo(**params)

    def copy(self, uri, database):
        "Copy database of the server at uri here, under the same name"
        import psycopg
        with psycopg.connect(
                self.conninfo('postgres'), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{database}" TEMPLATE template0 '
                "ENCODING 'UTF8'")
        dump = self.dir / 'dump'
        subprocess.run([self.bin / 'pg_dump', '-Fc', '-f', dump,
                '--dbname', self.conninfo(database, uri)],
            check=True, capture_output=True, timeout=120)
        subprocess.run([self.bin / 'pg_restore', '--no-owner',
                '--dbname', self.conninfo(database), dump],
            check=True, capture_output=True, timeout=120)


def test_database_restart_recovers(esurat, trytond):
    """After 50 concurrent calls grew trytond's pool of connections, a
    restart of PostgreSQL (pg_ctl restart -m fast) does not take e-Surat
    down: the next call once the database is back succeeds at once, and so
    does a login (before, 7 calls in a row failed after 30 s each: 224 s)

    On a PostgreSQL server of the test's own, with a copy of the demo
    database: a restart of the tests' server would break the connections
    of the other tests."""
    if esurat.backend != 'postgresql':
        pytest.skip('a PostgreSQL restart')
    bins = sorted(Path('/usr/lib/postgresql').glob('*/bin/initdb'),
        key=lambda p: int(p.parent.parent.name))
    if not bins:
        pytest.skip('initdb of PostgreSQL is missing')
    import psycopg

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(esurat.conf)
    with PostgreSQL(bins[-1].parent) as pg:
        pg.copy(parser['database']['uri'], esurat.database)
        server = trytond('restart')
        server.configure(f'smtp://127.0.0.1:{free_port()}',
            database={'uri': pg.uri}, queue={'worker': 'True'})
        server.start()
        worker = server.worker()
        operator = server.login('op.kominfo')

        # 50 calls at once, each holding its connection while it waits for
        # a lock the test takes (the probe reads pg_stat_activity out of a
        # transaction, which would keep its first snapshot)
        with psycopg.connect(pg.conninfo(esurat.database)) as lock, \
                psycopg.connect(pg.conninfo(esurat.database),
                    autocommit=True) as probe, \
                concurrent.futures.ThreadPoolExecutor(50) as calls:
            lock.execute('LOCK TABLE esurat_letter_type')
            counts = [calls.submit(operator,
                    'model.esurat.letter.type.search_count', [])
                for _ in range(50)]
            deadline = time.monotonic() + 30
            while probe.execute(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE wait_event_type = 'Lock'").fetchone()[0] < 50:
                assert time.monotonic() < deadline, 'the calls never waited'
                time.sleep(0.05)
            lock.commit()
            assert len({c.result() for c in counts}) == 1
            pooled, = probe.execute("SELECT count(*) FROM pg_stat_activity "
                "WHERE application_name = 'trytond'").fetchone()
        assert pooled >= 50

        pg.pg_ctl('-m', 'fast', 'restart')
        started = time.monotonic()
        assert operator('model.res.user.get_preferences', True)
        server.login('kadis.kominfo')
        elapsed = time.monotonic() - started
        assert elapsed < ACTION_TIME, f'back after {elapsed:.1f} s'

        # trytond-worker lost its connections: it exits for its supervisor
        # to start it again (e-Surat's WorkerConnectionLost when the one
        # it listens on, outside the pool, is gone: it pulled in vain for
        # ever before; or a process of its pool died with the database),
        # and a new one works
        try:
            worker.wait(timeout=ACTION_TIME)
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
                pytest.fail('the worker did not exit')
        assert worker.returncode != 0
        worker = server.worker()
        try:
            time.sleep(3)
            assert worker.poll() is None, 'the new worker stopped'
        finally:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait()
