# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The pages of the phone app (esurat_mobile, issue 12) as a phone asks
for them, for the Kepala Dinas with the most items: a part of bench/run.py
(`--only mobile`), on the server it starts.

The official logs in through the app's login form (/<db>/m/masuk) and
keeps its cookies; each page is one GET on a keep-alive connection, timed
from the request to the last byte of the answer (the server's time over
loopback), the page's size in bytes noted.  A letter for the official's
signature is drafted and submitted through JSON-RPC first (the generated
data has none), so that the outgoing pages show one."""
import html
import http.client
import re
from urllib.parse import urlencode

from generate import BENCH_PASSWORD

# A page is the work of several of sao's calls: the budget of a search
PAGE_BUDGET = 100
# A word of the generated subjects (generate.py's SUBJECTS)
SEARCH_WORD = 'stunting'
# The subject of the letter drafted for the official's signature
DRAFT_SUBJECT = "Laporan capaian percepatan penurunan stunting (bench)"


class PageError(Exception):
    pass


class Phone:
    "The phone's browser: one keep-alive connection and its cookies"

    def __init__(self, port, database):
        self.port = port
        self.base = f'/{database}/m/'
        self.connection = None
        self.cookies = {}
        self.sizes = {}

    def request(self, method, path, form=None):
        headers = {}
        if self.cookies:
            headers['Cookie'] = '; '.join(
                f'{k}={v}' for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers['Content-Type'] = 'application/x-www-form-urlencoded'
        for attempt in range(2):
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    '127.0.0.1', self.port, timeout=600)
            try:
                self.connection.request(
                    method, self.base + path, body, headers)
                response = self.connection.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.connection.close()
                self.connection = None
                if attempt:
                    raise
        for header in response.headers.get_all('Set-Cookie') or []:
            pair, *attributes = header.split(';')
            name, _, value = pair.strip().partition('=')
            if value and not any(a.strip().lower() == 'max-age=0'
                    for a in attributes):
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return response.status, response.headers, data.decode()

    def get(self, path):
        status, _, page = self.request('GET', path)
        if status != 200:
            raise PageError(f"GET {path}: HTTP {status}")
        self.sizes[path] = len(page.encode())
        return page

    def login(self, login, password=BENCH_PASSWORD):
        token = csrf(self.get('masuk'))
        status, headers, _ = self.request('POST', 'masuk', {
                'csrf': token, 'login': login, 'password': password})
        if status != 303 or 'esurat_m' not in self.cookies:
            raise PageError(f"login of {login}: HTTP {status}")
        return self


def csrf(page):
    return html.unescape(re.search(r'name="csrf" value="([^"]+)"', page)[1])


def draft_to_sign(bench, login):
    """The id of a letter drafted and submitted by login for his own
    signature, to the Sekda, through JSON-RPC as sao would (the one of a
    former run on the same database, if still waiting)"""
    row = bench.db.execute("""
        SELECT o.id FROM esurat_outgoing o
        JOIN res_user u ON u.id = o.drafter
        WHERE u.login = %s AND o.subject = %s AND o.state = 'in_approval'
        ORDER BY o.id LIMIT 1""", (login, DRAFT_SUBJECT)).fetchone()
    if row:
        return row[0]
    client = bench.client(login)
    position, other = bench.db.execute("""
        SELECT h.position, (SELECT p.id FROM esurat_position p
            WHERE p.level = 'secretary' ORDER BY p.id LIMIT 1)
        FROM esurat_position_holding h JOIN res_user u ON u.id = h."user"
        WHERE u.login = %s ORDER BY h.id LIMIT 1""", (login,)).fetchone()
    letter_type, = client.model('esurat.letter.type', 'search',
        [('code', '=', 'surat_dinas')], 0, 1, None)
    # A common code of the official's letters, else the first one
    classification, = (client.model('esurat.classification', 'search',
            [('code', '=', '500.12')], 0, 1, None)
        or client.model('esurat.classification', 'search', [], 0, 1, None))
    outgoing, = client.model('esurat.outgoing', 'create', [{
                'signer_position': position,
                'letter_type': letter_type,
                'classification': classification,
                'subject': DRAFT_SUBJECT,
                'body': "Dengan hormat,\n\nBersama ini kami sampaikan "
                "laporan capaian percepatan penurunan stunting triwulan "
                "ketiga.\n\nDemikian disampaikan, atas perhatiannya "
                "diucapkan terima kasih.",
                'recipients': [('create', [
                                {'kind': 'internal', 'position': other}])],
                }])
    client.model('esurat.outgoing', 'submit', [outgoing])
    return outgoing


def pages(bench):
    "Time the app's pages for the Kepala Dinas with the most items"
    (role, (login, items)), = [
        r for r in bench.roles() if r[0] == 'Kepala Dinas']
    label = f"{role} ({items})"
    print(f"  {label}: {login}", flush=True)
    outgoing = draft_to_sign(bench, login)
    phone = Phone(bench.port, bench.args.database).login(login)
    inbox = phone.get('kotak')
    item_ids = re.findall(r'href="[^"]*/m/item/(\d+)"', inbox)
    todo = re.findall(
        r'href="[^"]*/m/item/(\d+)"', phone.get('kotak?tab=todo'))
    timed = [
        ("Beranda (home)", lambda i: ''),
        ("Kotak Masuk, All tab", lambda i: 'kotak'),
        ("Kotak Masuk, Unread tab", lambda i: 'kotak?tab=unread'),
        ("Kotak Masuk, To do tab", lambda i: 'kotak?tab=todo'),
        ("Kotak Masuk, Overdue tab", lambda i: 'kotak?tab=overdue'),
        ("Kotak Masuk, second page", lambda i: 'kotak?hal=1'),
        ("Kotak Masuk, search a word",
            lambda i: 'kotak?' + urlencode({'q': SEARCH_WORD})),
        ]
    if item_ids:
        # Each item of the first page in turn (the first opening of an
        # unread one marks it read, as on the phone)
        timed.append(("an item (heading, tracking, thread)",
                lambda i: f'item/{item_ids[i % len(item_ids)]}'))
    if todo or item_ids:
        # An item still open: the first unread one is open once read
        open_ids = todo or item_ids
        timed.append(("the dispose form (recipients)",
                lambda i: f'item/{open_ids[i % len(open_ids)]}/disposisi'))
    timed += [
        ("Surat keluar, waiting for my signature",
            lambda i: 'konsep?tab=sign'),
        ("Surat keluar, waiting for my initials",
            lambda i: 'konsep?tab=initial'),
        # The warm-up call renders the preview, the timed ones find it
        ("a draft (preview cached)", lambda i: f'konsep/{outgoing}'),
        ("the sign form", lambda i: f'konsep/{outgoing}/tandatangan'),
        ]
    for operation, path in timed:
        bench.measure(f"app: {operation}", label, PAGE_BUDGET,
            lambda i: phone.get(path(i)))
        print(f"    {operation}: {phone.sizes[path(0)] / 1024:.1f} KB",
            flush=True)
