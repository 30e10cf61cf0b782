# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Measure e-Surat through JSON-RPC as sao calls it, on a generated database.

    .venv/bin/python bench/run.py --database esurat_bench \\
        --uri postgresql://postgres@127.0.0.1:5432/ --pg-log server.log

Starts trytond on a free loopback port against the database made by
bench/generate.py, logs in as the Sekda, the Kepala Dinas, the Kabid and the
staff member with the most items, and as operators, and times the calls sao
makes: the inbox (its action's domain and tabs, its list view's fields), a
page, the tab counts, opening and reading an item's form, the tracking tree
of a letter, the pages of the phone app for the Kepala Dinas
(bench/mobile.py), the operators' letter searches, registration with 1 and
8 agencies at once and the verification page against a static file.  Prints
p50/p95/max per operation and role; with --pg-log (the log of the
PostgreSQL server, which is told to log statements of the database slower
than --log-ms) it prints the EXPLAIN (ANALYZE, BUFFERS) of the slowest
statement of each operation over its budget.  With --readme the results
replace the generated section of bench/README.md.
"""
import argparse
import base64
import datetime
import http.client
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mobile  # noqa: E402
from generate import BENCH_PASSWORD, ROOT, bench_token  # noqa: E402

# Budgets in milliseconds (issue 11)
INBOX_BUDGET, SEARCH_BUDGET = 50, 100
README_START = '<!-- bench:results:start -->'
README_END = '<!-- bench:results:end -->'
# sao's list: Sao.config.limit and the records read at once
LIMIT = 1000
PAGE = 20


class RPCError(Exception):
    pass


class Client:
    "A JSON-RPC session as sao opens it (one keep-alive connection)"

    def __init__(self, port, database, login):
        self.port = port
        self.database = database
        self.login_name = login
        self.connection = None
        self.counter = 0
        self.authorization = None
        self.context = {}

    def post(self, path, payload, headers=None):
        body = json.dumps(payload).encode()
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    '127.0.0.1', self.port, timeout=600)
            try:
                self.connection.request('POST', path, body, {
                        'Content-Type': 'application/json',
                        **(headers or {})})
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        if response.status != 200:
            raise RPCError(f"{path}: HTTP {response.status} {data[:200]!r}")
        return json.loads(data)

    def call(self, method, *params, context=True):
        self.counter += 1
        if context:
            params = (*params, self.context)
        headers = {}
        if self.authorization:
            headers['Authorization'] = self.authorization
        result = self.post(f'/{self.database}/rpc/', {
                'id': self.counter, 'method': method,
                'params': list(params)}, headers)
        if 'error' in result and result['error']:
            raise RPCError(f"{method}: {str(result['error'])[:300]}")
        return result['result']

    def login(self, password=BENCH_PASSWORD):
        user_id, session, *_ = self.call(
            'common.db.login', self.login_name, {'password': password}, 'id',
            context=False)
        token = base64.b64encode(
            f'{self.login_name}:{user_id}:{session}'.encode()).decode()
        self.authorization = f'Session {token}'
        self.user_id = user_id
        self.context = self.call(
            'model.res.user.get_preferences', True, context=True)
        return self

    def model(self, model, method, *params, context=None):
        context = {**self.context, **(context or {})}
        self.counter += 1
        result = self.post(f'/{self.database}/rpc/', {
                'id': self.counter, 'method': f'model.{model}.{method}',
                'params': [*params, context]},
            {'Authorization': self.authorization})
        if result.get('error'):
            raise RPCError(
                f"{model}.{method}: {str(result['error'])[:300]}")
        return result['result']


def date(value):
    "A date as sao sends it"
    return {'__class__': 'date', 'year': value.year, 'month': value.month,
        'day': value.day}


def read_fields(fields_view):
    "The fields sao reads for a view: its fields, their names, the extras"
    names = []
    for name, field in fields_view['fields'].items():
        names.append(name)
        if field['type'] in {'many2one', 'one2one', 'reference'}:
            names.append(name + '.rec_name')
        elif (field['type'] in {'selection', 'multiselection'}
                and field.get('loading', 'lazy') == 'eager'):
            names.append(name + ':string')
    if 'rec_name' not in names:
        names.append('rec_name')
    return names + ['_timestamp', '_write', '_delete']


def eager_limit(fields):
    "How many records sao reads at once for a list of fields"
    return LIMIT // min(len(fields), 10)


class Action:
    "An act_window as sao opens it: domain, tabs and views, from the database"

    def __init__(self, db, xml_id, context=None):
        from trytond.pyson import PYSONDecoder
        module, fs_id = xml_id.split('.')
        decoder = PYSONDecoder(context or {})
        row = db.execute("""
            SELECT w.id, w.res_model, w.domain, w."limit", w."order"
            FROM ir_model_data d
            JOIN ir_action_act_window w ON w.id = d.db_id
            WHERE d.module = %s AND d.fs_id = %s""",
            (module, fs_id)).fetchone()
        self.id, self.model, domain, limit, order = row
        self.order = decoder.decode(order) if order else None
        # sao's screen takes the action's limit, else its own (1,000)
        self.limit = limit or LIMIT
        self.domain = decoder.decode(domain) if domain else []
        self.tabs = [
            (name, decoder.decode(domain) if domain else [], count)
            for name, domain, count in db.execute("""
                SELECT name, domain, count FROM ir_action_act_window_domain
                WHERE act_window = %s ORDER BY sequence, id""", (self.id,))]
        self.views = dict(db.execute("""
            SELECT v.type, v.id FROM ir_action_act_window_view a
            JOIN ir_ui_view v ON v.id = a.view
            WHERE a.act_window = %s ORDER BY a.sequence DESC""", (self.id,)))

    def tab(self, name):
        for tab_name, domain, _ in self.tabs:
            if tab_name == name:
                return domain
        raise KeyError(name)

    def search_domain(self, tab_domain=None, search=None):
        "Screen.search_domain: the search, the action's domain, the tab"
        domain = search or []
        if domain and self.domain:
            domain = ['AND', domain, self.domain]
        elif not domain:
            domain = self.domain
        if tab_domain:
            domain = ['AND', domain, tab_domain]
        return domain


class Screen:
    "What sao's screen calls for an action, for one user"

    def __init__(self, client, action):
        self.client = client
        self.action = action
        self.model = action.model
        views = {}
        for kind in ['tree', 'form']:
            view = client.model(
                self.model, 'fields_view_get', action.views[kind], kind)
            views[kind] = view
        self.list_fields = read_fields(views['tree'])
        self.form_fields = read_fields(views['form'])
        self.form_view = views['form']

    def open_list(self, domain, limit=None):
        "search, search_count when the page is full, read of the first rows"
        if limit is None:
            limit = self.action.limit
        ids = self.client.model(self.model, 'search', domain, 0, limit, None)
        if len(ids) == limit:
            self.client.model(
                self.model, 'search_count', domain, 0, limit * 100)
        batch = min(limit, eager_limit(self.list_fields))
        if ids:
            self.client.model(
                self.model, 'read', ids[:batch], self.list_fields)
        return ids

    def count_tabs(self):
        "The counters of the tabs, when sao opens the action"
        screen_domain = self.action.search_domain()
        for _, tab_domain, count in self.action.tabs:
            if count:
                self.client.model(self.model, 'search_count',
                    ['AND', tab_domain, screen_domain], 0, 1000)

    def read_form(self, record_id):
        "The form of one record and the rows of its x2many lists"
        record, = self.client.model(
            self.model, 'read', [record_id], self.form_fields)
        for name, field in self.form_view['fields'].items():
            if field['type'] in {'one2many', 'many2many'} and record.get(
                    name):
                views = field.get('views', {})
                tree = views.get('tree')
                if tree:
                    fields = read_fields(tree)
                else:
                    fields = ['rec_name', '_timestamp']
                self.client.model(
                    field['relation'], 'read', record[name][:PAGE], fields)
        return record


class Sample:
    "The timings of one operation for one role"

    def __init__(self, operation, role, budget):
        self.operation = operation
        self.role = role
        self.budget = budget
        self.times = []
        self.slowest = None  # (seconds, log start offset, log end offset)
        self.plan = None

    def add(self, seconds, offsets):
        self.times.append(seconds)
        if self.slowest is None or seconds > self.slowest[0]:
            self.slowest = (seconds, *offsets)

    def stats(self):
        times = sorted(t * 1000 for t in self.times)
        p95 = times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]
        return statistics.median(times), p95, times[-1]

    @property
    def over(self):
        return self.budget is not None and self.stats()[1] > self.budget


class Bench:

    def __init__(self, args):
        self.args = args
        self.samples = {}
        self.throughput = []
        self.db = psycopg.connect(
            f'{args.uri.rstrip("/")}/{args.database}', autocommit=True)
        self.log = Path(args.pg_log) if args.pg_log else None

    def offset(self):
        return self.log.stat().st_size if self.log else 0

    def measure(self, operation, role, budget, func, repeat=None,
            warmup=1):
        "Time func(i) repeat times after warmup calls"
        key = (operation, role)
        sample = self.samples.setdefault(key, Sample(operation, role, budget))
        for i in range(warmup):
            func(i)
        for i in range(repeat or self.args.repeat):
            before = self.offset()
            start = time.perf_counter()
            func(i + warmup)
            elapsed = time.perf_counter() - start
            sample.add(elapsed, (before, self.offset()))
        return sample

    # Who -----------------------------------------------------------------

    def roles(self):
        "(role, login) of the officials with the most items, per level"
        def busiest(level, where=''):
            return self.db.execute(f"""
                SELECT u.login, count(d.id) FROM esurat_position p
                JOIN esurat_position_holding h ON h.position = p.id
                JOIN res_user u ON u.id = h."user"
                JOIN esurat_unit un ON un.id = p.unit
                LEFT JOIN esurat_disposition d ON d.to_position = p.id
                WHERE p.level = %s {where}
                GROUP BY u.login ORDER BY count(d.id) DESC, u.login
                LIMIT 1""", (level,)).fetchone()
        return [
            ('Sekda', busiest('secretary')),
            ('Kepala Dinas', busiest('agency_head', "AND un.kind = 'opd'")),
            ('Kabid', busiest('division_head', "AND un.kind = 'division'")),
            ('staff', busiest(
                'staff', "AND u.login NOT LIKE 'op.%%' "
                "AND u.login <> 'umum.setda'")),
            ]

    def operators(self, count):
        """Logins of the Setda's main operator and of the operators of the
        agencies with the most letters, count in all"""
        return [login for login, in self.db.execute("""
            SELECT u.login FROM res_user u
            JOIN esurat_unit un ON un.id = u.esurat_unit
            WHERE u.login LIKE 'op.%%' OR u.login = 'umum.setda'
            ORDER BY u.login <> 'umum.setda', (SELECT count(*)
                FROM esurat_letter l WHERE l.unit = un.agency) DESC, u.login
            LIMIT %s""", (count,))]

    def tracking_letter(self, login):
        "A letter the user received with about 50 items (the most up to 50)"
        row = self.db.execute("""
            SELECT d.letter, count(*) FROM esurat_disposition d
            WHERE d.letter IN (
                SELECT x.letter FROM esurat_disposition x
                JOIN esurat_position_holding h ON h.position = x.to_position
                JOIN res_user u ON u.id = h."user" WHERE u.login = %s)
            GROUP BY d.letter
            ORDER BY count(*) <= 50 DESC, count(*) DESC, d.letter
            LIMIT 1""", (login,)).fetchone()
        return row

    # Server --------------------------------------------------------------

    def start_server(self, work):
        port = free_port()
        static = work / 'static'
        static.mkdir()
        # A static page of the size of a verification page
        (static / 'static.html').write_text(
            '<!DOCTYPE html><html><body>' + 'x' * 4000 + '</body></html>')
        config = work / 'trytond.conf'
        config.write_text(
            "[database]\n"
            f"uri = {self.args.uri}\n"
            f"path = {work / 'filestore'}\n"
            "language = en\n"
            "retry = 40\n"
            "[web]\n"
            f"listen = 127.0.0.1:{port}\n"
            f"root = {static}\n"
            f"hostname = 127.0.0.1:{port}\n"
            "[session]\n"
            "max_age = 36000\n"
            "timeout = 3600\n"
            "[esurat]\n"
            "dev_ca_passphrase = bench-ca-passphrase\n"
            "verify_rate_limit = 100000000\n")
        log = open(work / 'trytond.log', 'w')
        self.server = subprocess.Popen(
            [str(ROOT / '.venv' / 'bin' / 'trytond'), '-c', str(config)],
            env={**os.environ, 'TRYTOND_DATABASE_NAMES': self.args.database},
            stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.server.poll() is not None:
                sys.exit("trytond stopped:\n"
                    + (work / 'trytond.log').read_text()[-3000:])
            try:
                socket.create_connection(('127.0.0.1', port), 1).close()
                break
            except OSError:
                time.sleep(0.2)
        else:
            sys.exit("trytond did not start")
        self.port = port
        return port

    def stop_server(self):
        self.server.terminate()
        try:
            self.server.wait(10)
        except subprocess.TimeoutExpired:
            self.server.kill()

    def client(self, login):
        return Client(self.port, self.args.database, login).login()

    # Operations ----------------------------------------------------------

    def officials(self):
        inbox = Action(self.db, 'esurat_disposition.act_inbox')
        for role, (login, items) in self.roles():
            label = f"{role} ({items})"
            print(f"  {label}: {login}", flush=True)
            client = self.client(login)
            screen = Screen(client, inbox)
            unread = inbox.search_domain(inbox.tab('Unread'))
            everything = inbox.search_domain(inbox.tab('All'))
            self.measure("inbox, Unread tab as sao opens it", label,
                INBOX_BUDGET, lambda i: screen.open_list(unread))
            self.measure("inbox, All tab", label, INBOX_BUDGET,
                lambda i: screen.open_list(everything))
            ids = screen.open_list(everything, limit=PAGE)
            self.measure("inbox, one page of 20", label, INBOX_BUDGET,
                lambda i: screen.open_list(everything, limit=PAGE))
            self.measure("the tab counts", label, INBOX_BUDGET,
                lambda i: screen.count_tabs())
            if not ids:
                continue
            self.measure("opening one item (wizard + form)", label,
                INBOX_BUDGET, lambda i: self.open_item(
                    client, screen, ids[i % len(ids)]))
            self.measure("reading the form of one item", label,
                INBOX_BUDGET, lambda i: screen.read_form(ids[i % len(ids)]))
            letter, count = self.tracking_letter(login)
            tracking = Action(
                self.db, 'esurat_disposition.act_letter_tracking',
                {'active_ids': [letter]})
            tree = client.model(
                tracking.model, 'fields_view_get', tracking.views['tree'],
                'tree')
            self.measure(f"tracking tree of a letter ({count} items)", label,
                INBOX_BUDGET, lambda i: self.tracking(
                    client, tracking, tree))

    def mobile(self):
        "The pages of the phone app (bench/mobile.py)"
        mobile.pages(self)

    def open_item(self, client, screen, record_id):
        "sao's tree_open: the Open Disposition wizard, then its form"
        wizard = 'wizard.esurat.disposition.open'
        session, start, end = client.call(f'{wizard}.create')
        context = {**client.context, 'active_id': record_id,
            'active_ids': [record_id], 'active_model': screen.model}
        result = client.call(
            f'{wizard}.execute', session, {}, start, context, context=False)
        client.call(f'{wizard}.delete', session)
        for action, _ in result.get('actions', []):
            for res_id in action.get('res_id') or [record_id]:
                screen.read_form(res_id)

    def tracking(self, client, action, tree):
        "The tracking: the letter's whole tree as one list, in tree order"
        ids = client.model(
            action.model, 'search', action.domain, 0, LIMIT, action.order)
        client.model(action.model, 'read', ids, read_fields(tree))

    def searches(self):
        letters = Action(self.db, 'esurat_base.act_letter_form')
        for login in self.operators(2):
            label = f"operator {login}"
            print(f"  {label}", flush=True)
            client = self.client(login)
            screen = Screen(client, letters)
            tab = letters.tab('All')
            for name, domain in self.search_domains(login):
                full = letters.search_domain(tab, domain)
                self.measure(name, label, SEARCH_BUDGET,
                    lambda i: screen.open_list(full))

    def search_domains(self, login):
        "What an operator searches, with values of its agency's letters"
        agenda, sender, classification, received = self.db.execute("""
            SELECT l.agenda_number, l.sender, c.name, l.received_date
            FROM esurat_letter l
            JOIN esurat_classification c ON c.id = l.classification
            JOIN esurat_unit un ON un.agency = l.unit
            JOIN res_user u ON u.esurat_unit = un.id
            WHERE u.login = %s AND l.agenda_number IS NOT NULL
            ORDER BY l.id DESC LIMIT 1""", (login,)).fetchone()
        word = 'stunting'
        return [
            ("letter list opens", []),
            ("search a word (Words)", [('search_text', 'ilike', f'%{word}%')]),
            ("search box (rec_name)", [('rec_name', 'ilike', f'%{word}%')]),
            ("search agenda number", [
                    ('agenda_number', 'ilike', f'%{agenda}%')]),
            ("search sender", [('sender', 'ilike', f'%{sender}%')]),
            ("search date range", [
                    ('received_date', '>=',
                        date(received - datetime.timedelta(days=30))),
                    ('received_date', '<=', date(received))]),
            ("search classification", [
                    ('classification.rec_name', 'ilike',
                        f'%{classification}%')]),
            ]

    def registration(self):
        "Letters registered per second by 1 and by 8 agencies at once"
        refs = self.db.execute("""SELECT
            (SELECT min(id) FROM esurat_classification),
            (SELECT min(id) FROM esurat_letter_type),
            (SELECT id FROM esurat_letter_urgency WHERE code = 'biasa'),
            (SELECT id FROM esurat_letter_confidentiality
                WHERE code = 'biasa')""").fetchone()
        operators = []
        for login in self.operators(8):
            unit, head = self.db.execute("""
                SELECT un.agency, COALESCE(
                    (SELECT p.id FROM esurat_position p
                        WHERE p.unit = un.agency AND p.level = 'agency_head'
                        LIMIT 1),
                    (SELECT p.id FROM esurat_position p
                        WHERE p.level = 'secretary' LIMIT 1))
                FROM res_user u JOIN esurat_unit un ON un.id = u.esurat_unit
                WHERE u.login = %s""", (login,)).fetchone()
            operators.append((self.client(login), unit, head))
        today = date(datetime.date.today())
        stamp = int(time.time())

        def register(client, unit, head, agencies, latencies, errors):
            for i in range(self.args.letters):
                start = time.perf_counter()
                try:
                    letter_id, = client.model('esurat.letter', 'create', [{
                                'unit': unit,
                                'sender': "Kementerian Dalam Negeri",
                                'sender_number': (
                                    f'BENCH/{stamp}/{agencies}/{unit}/{i}'),
                                'sender_date': today, 'received_date': today,
                                'subject': "Undangan rapat koordinasi bench",
                                'summary': "Surat uji beban pendaftaran.",
                                'classification': refs[0],
                                'letter_type': refs[1], 'urgency': refs[2],
                                'confidentiality': refs[3],
                                'addressees': [('create', [{
                                                'position': head,
                                                'kind': 'to'}])],
                                }])
                    client.model('esurat.letter', 'register', [letter_id])
                except RPCError as error:
                    errors.append(error)
                    return
                latencies.append(time.perf_counter() - start)

        for agencies in [1, 8]:
            chosen = operators[:agencies]
            latencies, errors = [], []
            threads = [threading.Thread(target=register, args=(
                        c, u, h, agencies, latencies, errors))
                for c, u, h in chosen]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - start
            if errors:
                raise errors[0]
            done = len(latencies)
            self.throughput.append((
                    f"registration, {len(chosen)} "
                    f"agenc{'y' if len(chosen) == 1 else 'ies'} at once",
                    done / elapsed, "letters/s",
                    statistics.median(latencies) * 1000))
            print(f"  registration with {len(chosen)} agencies: "
                f"{done / elapsed:.1f} letters/s", flush=True)

    def verification(self):
        "Requests per second: the verification page and a static file"
        paths = [
            ("verification page", f'/{self.args.database}/verify/'
                f'{bench_token()}'),
            ("static file", '/static.html'),
            ]
        rates = {}
        for name, path in paths:
            counts = []
            stop = time.perf_counter() + self.args.seconds

            def hit(path=path, stop=stop):
                connection = http.client.HTTPConnection(
                    '127.0.0.1', self.port, timeout=60)
                n = 0
                while time.perf_counter() < stop:
                    connection.request('GET', path)
                    response = connection.getresponse()
                    response.read()
                    if response.status != 200:
                        raise RPCError(f"{path}: HTTP {response.status}")
                    if response.getheader('Connection', '') == 'close':
                        connection.close()
                    n += 1
                counts.append(n)
            threads = [threading.Thread(target=hit) for _ in range(4)]
            start = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            rates[name] = sum(counts) / (time.perf_counter() - start)
        ratio = rates['verification page'] / rates['static file'] * 100
        for name, rate in rates.items():
            self.throughput.append((name, rate, "requests/s", None))
        self.throughput.append((
                "verification / static file", ratio, "%", None))
        print(f"  verification page {rates['verification page']:.0f}/s, "
            f"static file {rates['static file']:.0f}/s ({ratio:.0f} %)")

    # Plans ---------------------------------------------------------------

    def explain(self):
        "The plan of the slowest statement of each operation over budget"
        if not self.log:
            return
        for sample in self.samples.values():
            if not sample.over:
                continue
            _, start, end = sample.slowest
            with open(self.log, 'rb') as log:
                log.seek(start)
                text = log.read(end - start).decode(errors='replace')
            statements = parse_log(text)
            if not statements:
                sample.plan = (None, None, [])
                continue
            duration, query = max(statements, key=lambda s: s[0])
            lines = []
            if re.match(r'\s*(SELECT|WITH)\b', query, re.IGNORECASE):
                try:
                    lines = [r for r, in self.db.execute(
                            'EXPLAIN (ANALYZE, BUFFERS) ' + query)]
                except psycopg.Error as error:
                    lines = [f"(EXPLAIN failed: {error})"]
            sample.plan = (duration, query, lines)

    # Report --------------------------------------------------------------

    def report(self):
        rows = []
        for sample in self.samples.values():
            p50, p95, worst = sample.stats()
            status = ''
            if sample.budget is not None:
                status = 'over' if sample.over else 'ok'
            rows.append((sample.operation, sample.role, p50, p95, worst,
                    sample.budget, status))
        return rows

    def print_report(self):
        print()
        print(f"{'operation':<42} {'role':<34} {'p50':>8} {'p95':>8} "
            f"{'max':>8}  budget")
        for operation, role, p50, p95, worst, budget, status in self.report():
            print(f"{operation:<42.42} {role:<34.34} {p50:8.1f} {p95:8.1f} "
                f"{worst:8.1f}  {budget or '':>4} {status}")
        print()
        for name, value, unit, latency in self.throughput:
            extra = f" (p50 {latency:.0f} ms each)" if latency else ''
            print(f"{name:<42} {value:10.1f} {unit}{extra}")
        for sample in self.samples.values():
            if sample.plan:
                duration, query, lines = sample.plan
                if not query:
                    print(f"\n== {sample.operation} / {sample.role}: no "
                        f"single statement over {self.args.log_ms} ms")
                    continue
                print(f"\n== {sample.operation} / {sample.role}: slowest "
                    f"statement {duration:.0f} ms")
                print(query[:2000])
                print('\n'.join(lines))

    def markdown(self, timings):
        args = self.args
        counts = self.db.execute("""SELECT
            (SELECT count(*) FROM esurat_letter),
            (SELECT count(*) FROM esurat_disposition),
            (SELECT count(*) FROM res_user),
            (SELECT count(*) FROM esurat_unit)""").fetchone()
        version = self.db.execute("SHOW server_version").fetchone()[0]
        lines = [
            README_START,
            f"Run of {datetime.date.today().isoformat()} at scale "
            f"{args.scale_label} ({counts[0]:,} letters, {counts[1]:,} "
            f"deliveries and dispositions, {counts[2]:,} users, "
            f"{counts[3]:,} units) on {machine()}, PostgreSQL {version}; "
            f"{args.repeat} timed calls after a warm-up, client wall time "
            "over loopback, in ms.",
            "",
            ]
        if timings:
            lines += [timings, ""]
        lines += [
            "| operation | role (items) | p50 | p95 | max | budget |",
            "| --- | --- | ---: | ---: | ---: | --- |",
            ]
        for operation, role, p50, p95, worst, budget, status in self.report():
            mark = f"{budget} {'**over**' if status == 'over' else 'ok'}" \
                if budget else ''
            lines.append(f"| {operation} | {role} | {p50:.1f} | {p95:.1f} | "
                f"{worst:.1f} | {mark} |")
        lines += ["", "| throughput | value |", "| --- | ---: |"]
        for name, value, unit, latency in self.throughput:
            extra = f" (p50 {latency:.0f} ms each)" if latency else ''
            lines.append(f"| {name} | {value:.1f} {unit}{extra} |")
        plans = sorted(
            (s for s in self.samples.values() if s.plan and s.plan[0]),
            key=lambda s: -s.plan[0])
        if plans:
            lines += ["", "Slowest statements of the operations over "
                "budget (first lines of their plans):", ""]
            seen = set()
            for sample in plans:
                duration, query, plan = sample.plan
                if query in seen:
                    continue
                seen.add(query)
                lines += [
                    f"- {sample.operation} / {sample.role}: "
                    f"{duration:.0f} ms", "",
                    "  ```", *("  " + l for l in plan[:12]), "  ```", ""]
                if len(seen) >= 5:
                    break
        lines.append(README_END)
        return '\n'.join(lines)

    def write_readme(self, path, timings):
        text = path.read_text() if path.exists() else ''
        section = self.markdown(timings)
        if README_START in text and README_END in text:
            before = text.split(README_START)[0]
            after = text.split(README_END, 1)[1]
            text = before + section + after
        else:
            text = text.rstrip('\n') + '\n\n' + section + '\n'
        path.write_text(text)


LOG_ENTRY = re.compile(
    r'^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \S+ \[\d+\] ', re.M)
DURATION = re.compile(
    r'LOG:\s+duration: ([\d.]+) ms\s+(?:statement|execute [^:]*): (.*)', re.S)
PARAMETER = re.compile(r"\$(\d+) = ('(?:[^']|'')*'|NULL)")


def parse_log(text):
    "[(ms, statement with its parameters)] of PostgreSQL's duration lines"
    entries = [e for e in LOG_ENTRY.split(text) if e.strip()]
    statements = []
    for entry in entries:
        match = DURATION.match(entry.strip())
        if match:
            statements.append([float(match.group(1)), match.group(2).strip()])
        elif 'parameters:' in entry.lower() and statements:
            params = dict(PARAMETER.findall(entry))
            query = statements[-1][1]
            for number in sorted(params, key=int, reverse=True):
                query = query.replace(f'${number}', params[number])
            statements[-1][1] = query
    return [tuple(s) for s in statements]


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def machine():
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path('/proc/cpuinfo').read_text().splitlines():
            if line.startswith('model name'):
                cpu = line.split(':', 1)[1].strip()
                break
    except OSError:
        pass
    memory = ''
    try:
        kb = int(Path('/proc/meminfo').read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}"


# The parts of a run, in order, and their titles
PARTS = {
    'officials': "Officials' inbox",
    'mobile': "Phone app pages",
    'searches': "Operators' searches",
    'registration': "Registration",
    'verification': "Verification page",
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--uri', default=os.environ.get('TRYTOND_DATABASE_URI'),
        help="PostgreSQL server (default: TRYTOND_DATABASE_URI)")
    parser.add_argument('--database', default='esurat_bench')
    parser.add_argument(
        '--pg-log', help="the server's log file, to find slow statements")
    parser.add_argument('--log-ms', type=int, default=10,
        help="statements at least this slow are logged (default 10)")
    parser.add_argument('--repeat', type=int, default=10,
        help="timed calls per operation and role (default 10)")
    parser.add_argument('--letters', type=int, default=10,
        help="letters each agency registers (default 10)")
    parser.add_argument('--seconds', type=float, default=3,
        help="seconds of each throughput test (default 3)")
    parser.add_argument('--scale-label', default='?',
        help="the scale, as written in the README")
    parser.add_argument('--timings', default='',
        help="a line about the generation, written in the README")
    parser.add_argument('--readme', help="write the results into this file")
    parser.add_argument('--only', action='append', choices=PARTS,
        help="measure only this part (repeatable; default: all)")
    args = parser.parse_args()
    if not args.uri or not args.uri.startswith('postgresql'):
        parser.error("a postgresql:// --uri is needed")
    if args.only and args.readme:
        parser.error("--readme writes a whole run: not with --only")
    from trytond import config
    config.set('database', 'uri', args.uri)
    bench = Bench(args)
    database = args.database.replace('"', '')
    if bench.log:
        bench.db.execute(f'ALTER DATABASE "{database}" SET '
            f'log_min_duration_statement = {args.log_ms}')
    try:
        with tempfile.TemporaryDirectory(prefix='esurat-run-') as work:
            bench.start_server(Path(work))
            try:
                for part, title in PARTS.items():
                    if not args.only or part in args.only:
                        print(title, flush=True)
                        getattr(bench, part)()
            finally:
                bench.stop_server()
    finally:
        if bench.log:
            bench.db.execute(f'ALTER DATABASE "{database}" '
                'RESET log_min_duration_statement')
    bench.explain()
    bench.print_report()
    if args.readme:
        bench.write_readme(Path(args.readme), args.timings)


if __name__ == '__main__':
    main()
