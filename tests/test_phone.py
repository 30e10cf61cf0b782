# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""e-Surat on a phone: the "Done means" of issues 2, 3, 4 and 9 in a real
browser.

Each user has their own browser context, 360×740 and Indonesian, and drives
the web client sao the way they would: the login form, the menu behind the
toggle, forms, the file picker, buttons, the search bar, the inbox, the
Dispose wizard, the tracking view and the certificate request. The JSON-RPC
client only prepares what is not the point of a test (the letter the Sekda
disposes) and cross-checks what the screen shows.

Screenshots of the key moments go to var/screenshots/.
"""
import base64
import contextlib
import datetime
import io
import os
import re
import secrets
import sqlite3
import time

import pytest

from trytond.modules.esurat_signing.tests.tools import qr_codes

PHONE = {'width': 360, 'height': 740}
# The date format of the Indonesian language in Tryton (ir.lang "id")
DATE_FORMAT = '%d/%m/%Y'
TIME = re.compile(r'^\d{2}:\d{2}(:\d{2}(\.\d+)?)?$')
DATE = re.compile(r'^\d{2}/\d{2}/\d{4}$')


def _expect():
    from playwright.sync_api import expect
    expect.set_options(timeout=30_000)
    return expect


def _today(days=0):
    day = datetime.date.today() + datetime.timedelta(days=days)
    return {'__class__': 'date', 'year': day.year, 'month': day.month,
        'day': day.day}


def _scan_pdf(text):
    "A small real one-page PDF, as a scanner would produce"
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.setFont('Helvetica', 12)
    pdf.drawString(72, 780, "PINDAIAN SURAT MASUK (UJI PERAMBAN)")
    pdf.drawString(72, 760, text)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


class SaoError(AssertionError):
    pass


class Phone:
    "One user in their own phone-sized browser context, driving sao"

    def __init__(self, browser, esurat, screenshots, login, sao=True):
        self.esurat = esurat
        self.login_name = login
        self.sao = sao
        self.screenshots = screenshots
        self.expect = _expect()
        self.context = browser.new_context(
            viewport=PHONE, locale='id-ID', timezone_id='Asia/Jakarta')
        self.context.set_default_timeout(30_000)
        self.page = self.context.new_page()
        self.errors = []
        self.page.on('pageerror', lambda error: self.errors.append(
                f'JavaScript error: {error}'))

    def close(self):
        self.context.close()

    # Waiting -----------------------------------------------------------

    def settle(self):
        """Wait until sao has no RPC in flight (sao's calls go through
        jQuery.ajax) and has rendered the answers; fail on a JavaScript
        error or an error dialog instead of timing out later (nothing to
        wait for on a plain page like the verification page)"""
        if not self.sao:
            return
        for _ in range(2):
            self.page.wait_for_function(
                '() => window.jQuery !== undefined && jQuery.active === 0')
            # sao renders the answers in promise callbacks
            self.page.wait_for_timeout(100)
        if self.errors:
            raise SaoError('\n'.join(self.errors))
        dialogs = self.page.locator(
            '.modal.in.error-dialog, .modal.in.warning-dialog')
        if dialogs.count():
            raise SaoError(
                f'sao shows an error to {self.login_name}: '
                + dialogs.first.inner_text()
                + '\nserver log:\n' + self.esurat.log_tail())

    def shot(self, name, full=False):
        "Save a screenshot; full: the whole screen content, still 360 wide"
        path = self.screenshots / f'{name}.png'
        if not full:
            self.page.screenshot(path=path)
            return
        # sao scrolls inside its own containers: let them grow instead
        height = self.page.evaluate('''() => Math.max(...Array.from(
            document.querySelectorAll('body *'), e => e.scrollHeight))
            + 300''')
        self.page.set_viewport_size({'width': PHONE['width'],
                'height': min(max(height, PHONE['height']), 6000)})
        self.settle()
        self.page.screenshot(path=path)
        self.page.set_viewport_size(PHONE)
        self.settle()

    # Screen parts ------------------------------------------------------

    @property
    def tab(self):
        "The content of the current tab"
        return self.page.locator('#tabcontent > .tab-pane.active')

    @property
    def dialog(self):
        return self.page.locator('.modal.in').last

    def field(self, name, scope=None):
        return (scope or self.tab).locator(
            f'input[name="{name}"], textarea[name="{name}"], '
            f'select[name="{name}"]').first

    def enter(self, name, value, scope=None):
        """Type value into field name as a person does: type, leave the
        field, wait for sao's answer to the change; sao redisplays the form
        with each answer and so empties whatever was typed meanwhile"""
        field = self.field(name, scope)
        field.fill(value)
        field.press('Tab')
        self.settle()
        self.expect(field).to_have_value(value)

    def expect_selection(self, name, label, scope=None):
        "Wait until the selection field name shows label"
        self.expect(self.field(name, scope).locator('option:checked')
            ).to_have_text(label)

    def button(self, name, scope=None):
        "A button of the form by its name (its label is translated)"
        return (scope or self.tab).locator(f'button[name="{name}"]')

    def one2many(self, label):
        "The list of a form field by its label, with its own toolbar"
        return self.tab.locator('.form-one2many').filter(
            has=self.page.locator('label', has_text=label))

    def rows(self, scope=None):
        return (scope or self.tab).locator('.treeview tbody tr:not(.more-row)')

    def cell(self, text, scope=None):
        "The list cells showing text"
        return (scope or self.tab).locator(
            '.treeview td .column-char', has_text=text)

    def list_rows(self, scope=None):
        """The rows of the list as shown on the phone: one card per record
        with "Label: value" lines; {label: [values]} per row (a date-time
        shown as a date column and a time column gives two values)"""
        return (scope or self.tab).locator('.treeview').first.evaluate('''
            tree => Array.from(tree.querySelectorAll('tbody tr'))
                .filter(tr => !tr.classList.contains('more-row'))
                .map(tr => {
                    const row = {};
                    for (const td of tr.querySelectorAll('td[data-title]')) {
                        if (td.style.display == 'none') continue;
                        const label = td.dataset.title.replace(/:\\s*$/, '');
                        (row[label] = row[label] || []).push(
                            td.innerText.trim());
                    }
                    return row;
                })''')

    # Actions -----------------------------------------------------------

    def log_in(self, shot=None):
        page = self.page
        # The address names the database, as in a link given to users (the
        # login form would offer every database of the server otherwise)
        page.goto(f'{self.esurat.url}/#{self.esurat.database}')
        dialog = page.locator('.login-dialog')
        self.expect(dialog.locator('.modal-title')).to_contain_text(
            'e-Surat — Masuk')
        self.expect(dialog.locator('label[for=login]')).to_have_text(
            'Nama pengguna')
        # A server of one database (bin/run) names it out of sight; one of
        # several (the tests' PostgreSQL server) offers them to choose
        one = dialog.locator('#database[readonly]')
        database = one.or_(dialog.locator('#database:visible'))
        self.expect(database).to_have_value(self.esurat.database)
        self.expect(one).to_be_hidden()
        self.expect(dialog.locator('.modal-title')).not_to_contain_text(
            re.compile(r'\d+\.\d+'))
        dialog.locator('input#login').fill(self.login_name)
        if shot:
            # once Bootstrap's fade-in is over
            page.wait_for_function('''() => getComputedStyle(
                document.querySelector('.login-dialog')).opacity === "1"''')
            self.shot(shot)
        dialog.locator('button[type=submit]').click()
        password = page.locator('.ask-dialog input[type=password]')
        password.fill(self.esurat.demo_password)
        password.press('Enter')
        self.expect(page.locator('#menu .column-char', has_text='e-Surat')
            ).to_be_visible()
        self.settle()

    def open_menu(self, *path):
        """Open a menu entry; on a phone the menu hides behind the toggle
        in the navigation bar once a tab is open"""
        menu = self.page.locator('#menu')
        if not menu.is_visible():
            self.page.locator('a.navbar-brand[data-toggle="menu"]').click()
            self.expect(menu).to_be_visible()
        *parents, leaf = path
        for name in parents:
            entry = menu.locator('.column-char').filter(
                has_text=re.compile(f'^{re.escape(leaf)}$'))
            if not entry.first.is_visible():
                menu.locator('.column-char').filter(
                    has_text=re.compile(f'^{re.escape(name)}$')).click()
                self.settle()
        menu.locator('.column-char').filter(
            has_text=re.compile(f'^{re.escape(leaf)}$')).click()
        self.settle()
        self.expect(self.page.locator('#menu')).to_be_hidden()

    def choose(self, name, text, option=None, scope=None):
        "Type into a many2one (or many2many) entry and pick the completion"
        scope = scope or self.tab
        entry = self.field(name, scope)
        entry.click()
        entry.press_sequentially(text)
        choice = scope.locator('.dropdown-completion li',
            has_text=option or text).first
        self.expect(choice).to_be_visible()
        choice.click()
        self.settle()

    def notebook_page(self, label):
        tab = self.tab.locator('.form-notebook > .nav-tabs > li').filter(
            has_text=label).first
        for _ in range(3):
            # The first tap may only end the edition of a list row
            tab.locator('a').click()
            self.settle()
            if 'active' in (tab.get_attribute('class') or ''):
                break
        self.expect(tab).to_have_class(re.compile(r'\bactive\b'))

    def list_tab(self, label):
        "A tab of the list (Konsep, Semua, Belum Dibaca, ...)"
        self.tab.locator('.tab-domain a').filter(
            has_text=re.compile(f'^{re.escape(label)}')).click()
        self.settle()

    def title_menu(self, item_id):
        """An entry of the tab's title menu, which replaces most of the
        toolbar on a phone (Search, Relate, ...)"""
        self.tab.locator('a.navbar-brand.dropdown-toggle').click()
        entry = self.tab.locator(f'ul.dropdown-menu a#{item_id}')
        self.expect(entry).to_be_visible()
        entry.click()

    def search(self, text, tab='Semua'):
        self.title_menu('search')
        box = self.tab.locator('.filter-box input.form-control').first
        self.expect(box).to_be_visible()
        box.fill(text)
        box.press('Enter')
        self.settle()
        if tab:
            self.list_tab(tab)

    def show_lines(self, scope=None):
        """Lists inside a form show their lines only after a tap on "More"
        (sao 8 loads them lazily)"""
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
        more = (scope or self.tab).locator('tr.more-row button:visible')
        for _ in range(20):
            self.settle()
            if not more.count():
                return
            try:
                more.first.click(timeout=5_000)
            except PlaywrightTimeout:
                # sao rendered the list again under the tap: look again
                continue
        raise SaoError('the list kept offering more lines')

    def open_row(self, text):
        "Double-tap the list row showing text"
        cell = self.cell(text).first
        self.expect(cell).to_be_visible()
        cell.dblclick()
        self.settle()


@pytest.fixture
def phone(request, browser, esurat, screenshots):
    "phone(login): a logged-in phone of login"
    phones = []

    def open_phone(login, shot=None):
        phone = Phone(browser, esurat, screenshots, login)
        phones.append(phone)
        phone.log_in(shot=shot)
        return phone
    yield open_phone
    from playwright.sync_api import Error as PlaywrightError
    report = getattr(request.node, 'report_call', None)
    for phone in phones:
        if report is not None and report.failed:
            # What each phone showed when the test failed
            try:
                phone.page.screenshot(path=screenshots / (
                        f'FAILED-{request.node.name}-{phone.login_name}.png'))
            except PlaywrightError:
                pass
        phone.close()


def test_operator_registers_and_only_the_addressee_sees_it(
        esurat, phone, tmp_path):
    """Issue 2: a newcomer logs in as an OPD operator, registers a letter
    with a scan, sees its agenda number, finds it by search, and the
    addressed official sees it on a phone-sized screen while an official of
    another OPD does not."""
    token = secrets.token_hex(3)
    subject = f"Undangan rapat koordinasi SPBE {token}"
    sender_number = f"B-{token}/KOMDIGI/2026"
    scan = tmp_path / 'pindaian-undangan.pdf'
    scan.write_bytes(_scan_pdf(subject))

    # The operator of Diskominfo registers the letter on their phone
    operator = phone('op.kominfo', shot='issue2-0-operator-login')
    operator.open_menu('e-Surat', 'Surat Masuk')
    operator.tab.locator('button#new_').click()
    operator.settle()
    expect = operator.expect
    # The form is ready once it shows its defaults: sao redisplays it
    # when they come and would empty what was typed before
    expect(operator.field('received_date')).not_to_have_value('')
    operator.enter('sender', "Kementerian Komunikasi dan Digital")
    # The duplicate check answers the number when the field is left
    operator.enter('sender_number', sender_number)
    operator.enter('sender_date', (
            datetime.date.today() - datetime.timedelta(days=2)
            ).strftime(DATE_FORMAT))
    operator.enter('subject', subject)
    operator.choose('letter_type', "Surat Undangan")
    operator.choose('classification', "Komunikasi dan Informatika")
    addressees = operator.one2many('Ditujukan Kepada')
    addressees.locator('button[title=Baru]').click()
    operator.settle()
    operator.choose('position', "Kepala Dinas Komunikasi",
        "Kepala Dinas Komunikasi dan Informatika", scope=addressees)
    operator.enter('summary',
        "Rapat koordinasi evaluasi SPBE; mohon dihadiri.")

    # The scan, through the file picker of a new file
    operator.notebook_page('Berkas')
    files = operator.one2many('Berkas')
    files.locator('button[title=Baru]').click()
    operator.settle()
    dialog = operator.dialog
    dialog.locator('input[type=file]').set_input_files(scan)
    operator.settle()
    expect(operator.field('name', dialog)).to_have_value(scan.name)
    operator.shot('issue2-1-operator-scan')
    dialog.locator('button#save', has_text='Tambah').click()
    operator.settle()
    expect(operator.cell(scan.name, files)).to_be_visible()

    # One action: sao saves the letter, the server gives the agenda number
    # and distributes it; the form says so beside the buttons
    register = operator.button('register_and_distribute')
    expect(register).to_have_text(re.compile(
            'Registrasikan dan Distribusikan', re.IGNORECASE))
    register.click()
    operator.settle()
    agenda = operator.field('agenda_number')
    expect(agenda).to_have_value(re.compile(r'^\d+/Diskominfo/\d{4}$'))
    agenda_number = agenda.input_value()
    operator.expect_selection('state', 'Terdistribusi')
    expect(operator.button('register_and_distribute')).to_be_hidden()
    expect(operator.button('distribute')).to_be_hidden()
    outcome = operator.field('outcome')
    expect(outcome).to_have_value(
        f"Teregistrasi dengan nomor agenda {agenda_number} dan "
        "didistribusikan kepada 1 jabatan.")
    outcome.scroll_into_view_if_needed()
    operator.shot('issue2-2-operator-agenda-number')

    # Found again by the search bar, by its agenda number: the tabs count
    # what the search finds, so the operator sees where it is
    operator.search(agenda_number, tab=None)
    counter = operator.tab.locator('.tab-domain li').filter(
        has_text='Terdistribusi').locator('.badge')
    expect(counter).to_have_text('1')
    operator.list_tab('Semua')
    expect(operator.cell(subject)).to_be_visible()
    row, = [r for r in operator.list_rows()
        if r['Nomor Agenda'] == [agenda_number]]
    assert row['Perihal'] == [subject], row
    assert row['Status'] == ['Terdistribusi'], row
    operator.shot('issue2-3-operator-search')

    # What the server stored, as the operator
    rpc = esurat.login('op.kominfo')
    letter, = rpc('model.esurat.letter.search_read',
        [('subject', '=', subject)], 0, None, None,
        ['agenda_number', 'state', 'files', 'unit.code'])
    assert letter['agenda_number'] == agenda_number
    assert letter['state'] == 'distributed'
    assert letter['unit.']['code'] == 'Diskominfo'
    scan_file, = rpc('model.esurat.letter.file.read', letter['files'],
        ['mimetype', 'pages', 'size'])
    assert scan_file['mimetype'] == 'application/pdf'
    assert scan_file['pages'] == 1
    assert scan_file['size'] == scan.stat().st_size

    # The Kepala Diskominfo finds it in the inbox on the phone
    kadis = phone('kadis.kominfo')
    kadis.open_menu('e-Surat', 'Kotak Masuk Saya')
    kadis.list_tab('Belum Dibaca')
    expect(kadis.cell(subject)).to_be_visible()
    mine = [r for r in kadis.list_rows() if r['Perihal'] == [subject]]
    assert len(mine) == 1, mine
    assert mine[0]['Dari'] == ['Diskominfo'], mine
    kadis.cell(subject).scroll_into_view_if_needed()
    kadis.shot('issue2-4-addressee-inbox')
    kadis.open_row(subject)
    expect(kadis.field('letter_agenda_number')).to_have_value(agenda_number)
    kadis.expect_selection('state', 'Dibaca')
    # ... and the letter with its scan
    kadis.open_menu('e-Surat', 'Surat Masuk')
    kadis.list_tab('Semua')
    kadis.open_row(subject)
    expect(kadis.field('agenda_number')).to_have_value(agenda_number)
    kadis.notebook_page('Berkas')
    kadis.show_lines()
    expect(kadis.cell(scan.name)).to_be_visible()
    kadis.shot('issue2-5-addressee-letter-scan')

    # The Kepala Dinas Kesehatan sees nothing of it, neither on screen...
    other = phone('kadis.kesehatan')
    other.open_menu('e-Surat', 'Surat Masuk')
    other.search(token)
    expect(other.rows()).to_have_count(0)
    other.shot('issue2-6-other-opd-search-empty')
    other.open_menu('e-Surat', 'Kotak Masuk Saya')
    other.list_tab('Semua')
    expect(other.cell(subject)).to_have_count(0)
    # ... nor through the server
    other_rpc = esurat.login('kadis.kesehatan')
    assert other_rpc('model.esurat.letter.search_count',
        [('subject', 'ilike', f'%{token}%')]) == 0
    assert other_rpc('model.esurat.letter.search_count',
        [('agenda_number', '=', agenda_number)]) == 0
    assert other_rpc('model.esurat.disposition.search_count',
        [('letter', '=', letter['id'])]) == 0
    with pytest.raises(esurat.Error):
        other_rpc('model.esurat.letter.read', [letter['id']], ['subject'])
    # while the addressee's server view agrees with the screen
    assert esurat.login('kadis.kominfo')('model.esurat.letter.search_count',
        [('subject', '=', subject)]) == 1


def test_disposition_chain_with_plh_and_tracking(esurat, phone):
    """Issue 3: the Sekda disposes a letter on a phone-sized screen, the
    Kepala Dinas's Plh sees it and disposes to a Kabid, the Kabid reports
    done, and the tracking view tells the whole story with times and
    identities.

    In the demo the Kepala Dinas Kesehatan (kadis.kesehatan) is on leave and
    the Kabid Pelayanan Kesehatan (kabid.yankes) is his Plh."""
    token = secrets.token_hex(3)
    subject = f"Permintaan data imunisasi anak sekolah {token}"

    # Preparation: Bagian Umum registers and distributes a letter to the
    # Sekda (the operator's screens are proven by the test above)
    umum = esurat.login('umum.setda')
    sekda_position, = umum('model.esurat.position.search',
        [('name', '=', "Sekretaris Daerah")], 0, None, None)
    letter_type, = umum('model.esurat.letter.type.search',
        [('code', '=', 'surat_dinas')], 0, 1, None)
    classification, = umum('model.esurat.classification.search',
        [('code', '=', '400.7')], 0, 1, None)
    letter_id, = umum('model.esurat.letter.create', [{
                'sender': "Kementerian Kesehatan",
                'sender_number': f"PM.01.02/{token}/2026",
                'sender_date': _today(-1),
                'received_date': _today(),
                'subject': subject,
                'summary': "Mohon data cakupan imunisasi per kecamatan.",
                'letter_type': letter_type,
                'classification': classification,
                'addressees': [['create', [
                                {'position': sekda_position, 'kind': 'to'}]]],
                }])
    umum('model.esurat.letter.register', [letter_id])
    umum('model.esurat.letter.distribute', [letter_id])
    agenda_number, = [r['agenda_number'] for r in umum(
            'model.esurat.letter.read', [letter_id], ['agenda_number'])]
    deadline = datetime.date.today() + datetime.timedelta(days=3)

    # The Sekda disposes it to the Kepala Dinas Kesehatan from the phone
    sekda = phone('sekda')
    expect = sekda.expect
    sekda.open_menu('e-Surat', 'Kotak Masuk Saya')
    sekda.list_tab('Belum Dibaca')
    sekda.open_row(subject)
    expect(sekda.field('letter_agenda_number')).to_have_value(agenda_number)
    sekda.expect_selection('state', 'Dibaca')
    dispose = sekda.button('dispose')
    expect(dispose).to_have_text(re.compile('Disposisikan', re.IGNORECASE))
    dispose.click()
    sekda.settle()
    wizard = sekda.dialog
    expect(wizard.locator('.modal-header')).to_contain_text('Disposisikan')
    sekda.choose('to_positions', "Kepala Dinas Kesehatan", scope=wizard)
    sekda.field('instructions', wizard).select_option(
        label=["Tindak Lanjuti", "Siapkan Bahan/Jawaban"])
    sekda.field('deadline', wizard).fill(deadline.strftime(DATE_FORMAT))
    sekda.field('note', wizard).fill("Mohon disiapkan datanya.")
    sekda.settle()
    sekda.shot('issue3-1-sekda-dispose-wizard', full=True)
    wizard.locator('.modal-footer button', has_text='Kirim').click()
    sekda.settle()
    expect(sekda.page.locator('.modal.in')).to_have_count(0)
    sekda.expect_selection('state', 'Sedang Diproses')

    # The Plh of the Kepala Dinas Kesehatan finds it in the inbox
    plh = phone('kabid.yankes')
    plh.open_menu('e-Surat', 'Kotak Masuk Saya')
    plh.list_tab('Belum Dibaca')
    expect(plh.cell(subject)).to_be_visible()
    item, = [r for r in plh.list_rows() if r['Perihal'] == [subject]]
    assert item['Dari'] == ['Sekretaris Daerah'], item
    assert item['Batas Waktu'] == [deadline.strftime(DATE_FORMAT)], item
    assert item['Status'] == ['Terkirim'], item
    plh.cell(subject).scroll_into_view_if_needed()
    plh.shot('issue3-2-plh-inbox')
    plh.open_row(subject)
    expect(plh.field('to_title')).to_have_value(
        "Kepala Dinas Kesehatan (Dinkes)")
    expect(plh.field('read_as')).to_have_value(
        "Plh. Kepala Dinas Kesehatan")
    plh.button('dispose').click()
    plh.settle()
    wizard = plh.dialog
    plh.choose('to_positions', "Pencegahan",
        "Kepala Bidang Pencegahan dan Pengendalian Penyakit", scope=wizard)
    plh.field('instructions', wizard).select_option(label=["Tindak Lanjuti"])
    plh.field('note', wizard).fill("Siapkan data imunisasi per kecamatan.")
    plh.settle()
    plh.shot('issue3-3-plh-dispose-wizard', full=True)
    wizard.locator('.modal-footer button', has_text='Kirim').click()
    plh.settle()
    plh.expect_selection('state', 'Sedang Diproses')

    # The Kabid P2P reports done
    kabid = phone('kabid.p2p')
    kabid.open_menu('e-Surat', 'Kotak Masuk Saya')
    kabid.list_tab('Belum Dibaca')
    item, = [r for r in kabid.list_rows() if r['Perihal'] == [subject]]
    assert item['Dari'] == ['Plh. Kepala Dinas Kesehatan'], item
    kabid.open_row(subject)
    expect(kabid.field('from_title')).to_have_value(
        'Plh. Kepala Dinas Kesehatan')
    report = "Data imunisasi per kecamatan sudah dikirim melalui surel dinas."
    kabid.enter('report', report)
    done = kabid.button('done')
    expect(done).to_have_text(re.compile('Laporkan Selesai', re.IGNORECASE))
    done.click()
    kabid.settle()
    kabid.expect_selection('state', 'Selesai')
    expect(kabid.field('done_as')).to_have_value(
        "Kepala Bidang Pencegahan dan Pengendalian Penyakit")
    kabid.shot('issue3-4-kabid-done')

    # The Sekda follows it up: the letter's tracking tells the story
    sekda.open_menu('e-Surat', 'Surat Masuk')
    sekda.list_tab('Semua')
    sekda.open_row(subject)
    expect(sekda.field('agenda_number')).to_have_value(agenda_number)
    sekda.title_menu('relate')
    tracking = sekda.tab.locator('ul.dropdown-menu a',
        has_text='Pelacakan Disposisi')
    expect(tracking).to_be_visible()
    tracking.click()
    sekda.settle()
    expect(sekda.tab.locator('.title').first).to_contain_text('Pelacakan')
    # The whole tree at once, in tree order, each item under the one it
    # was disposed from
    expect(sekda.rows()).to_have_count(3)
    delivery, to_kadinkes, to_kabid = sekda.list_rows()
    sekda.shot('issue3-5-tracking', full=True)

    def check(row, to, from_, read_as, state, done_as=''):
        assert [' '.join(t.split()) for t in row['Kepada']] == [to], row
        assert row['Dari'] == [from_], row
        assert row['Dibaca Sebagai'] == [read_as], row
        assert row['Diselesaikan Sebagai'] == [done_as], row
        assert row['Status'] == [state], row
        sent_date, sent_time = row['Waktu Dikirim']
        read_date, read_time = row['Waktu Dibaca']
        assert DATE.match(sent_date) and TIME.match(sent_time), row
        assert DATE.match(read_date) and TIME.match(read_time), row
        done_date, done_time = row['Waktu Selesai']
        if done_as:
            assert DATE.match(done_date) and TIME.match(done_time), row
        else:
            assert not done_date and not done_time, row

    # Bagian Umum's delivery, read by the Sekda himself
    check(delivery, "Sekretaris Daerah (Setda)", "Setda",
        "Sekretaris Daerah", "Sedang Diproses")
    # the Sekda's disposition, read by the Plh as Plh.
    check(to_kadinkes, "↳ Kepala Dinas Kesehatan (Dinkes)",
        "Sekretaris Daerah",
        "Plh. Kepala Dinas Kesehatan", "Sedang Diproses")
    assert to_kadinkes['Batas Waktu'] == [deadline.strftime(DATE_FORMAT)]
    # the Plh's disposition, done by the Kabid
    check(to_kabid,
        "↳ Kepala Bidang Pencegahan dan Pengendalian Penyakit (Dinkes)",
        "Plh. Kepala Dinas Kesehatan",
        "Kepala Bidang Pencegahan dan Pengendalian Penyakit", "Selesai",
        done_as="Kepala Bidang Pencegahan dan Pengendalian Penyakit")

    # The server's record agrees: who acted, as what
    rpc = esurat.login('sekda')
    items = rpc('model.esurat.disposition.search_read',
        [('letter', '=', letter_id)], 0, None, [('id', 'ASC')],
        ['kind', 'from_title', 'from_user.login', 'read_by.login', 'read_as',
            'done_by.login', 'done_as', 'report', 'state'])
    assert [(i['kind'], i['state']) for i in items] == [
        ('delivery', 'in_progress'),
        ('disposition', 'in_progress'),
        ('disposition', 'done')]
    assert items[1]['from_user.']['login'] == 'sekda'
    assert items[1]['read_by.']['login'] == 'kabid.yankes'
    assert items[2]['from_user.']['login'] == 'kabid.yankes'
    assert items[2]['from_title'] == "Plh. Kepala Dinas Kesehatan"
    assert items[2]['done_by.']['login'] == 'kabid.p2p'
    assert items[2]['report'] == report


def _wait_for(condition, what, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f'{what}: not after {timeout} s')
        time.sleep(0.5)


def test_outgoing_letter_from_draft_to_verified_copy(esurat, phone):
    """Issue 4: a Kasi drafts, the Kabid returns it once, the Kepala Dinas's
    Plh signs on a phone-sized screen, the other OPD sees it in its inbox,
    the external recipient's mailbox gets the PDF, and scanning its QR code
    shows it genuine (copies checked on the page: test_verify.py).

    In the demo the Kasi Surveilans (kasi.surveilans) reports to the Kabid
    P2P (kabid.p2p), and the Kabid Yankes (kabid.yankes) is the Plh of the
    Kepala Dinas Kesehatan, who is on leave."""
    token = secrets.token_hex(3)
    subject = f"Permintaan data cakupan imunisasi sekolah {token}"
    email = f'humas-{token}@rsud-sukamaju.example'
    first_body = ("Dengan hormat,\n\nDalam rangka Bulan Imunisasi Anak "
        "Sekolah, kami mohon data jumlah siswa per sekolah.\n\n"
        "Demikian disampaikan.")
    second_body = first_body.replace(
        "per sekolah.", "per sekolah paling lambat tanggal 30 November.")

    # The Kasi drafts the letter for the Kepala Dinas on the phone
    kasi = phone('kasi.surveilans')
    expect = kasi.expect
    kasi.open_menu('e-Surat', 'Surat Keluar')
    kasi.tab.locator('button#new_').click()
    kasi.settle()
    # The Kepala Dinas signs unless the Kasi chooses otherwise (a default:
    # the form is ready)
    expect(kasi.field('signer_position')).to_have_value(
        "Kepala Dinas Kesehatan (Dinkes)")
    kasi.enter('subject', subject)
    kasi.choose('letter_type', "Surat Dinas")
    kasi.choose('classification', "Kesehatan", "400.7 Kesehatan")
    kasi.enter('body', first_body)
    kasi.notebook_page('Penerima')
    recipients = kasi.one2many('Penerima')
    # Diskominfo as a unit: its Kepala Dinas receives it
    recipients.locator('button[title=Baru]').click()
    kasi.settle()
    dialog = kasi.dialog
    kasi.field('kind', dialog).select_option(label='Unit Internal')
    kasi.settle()
    kasi.choose('unit', "Komunikasi", "Dinas Komunikasi dan Informatika",
        scope=dialog)
    dialog.locator('.modal-footer button', has_text='Tambah dan Baru').click()
    kasi.settle()
    # and the RSUD, outside the Pemda, by email
    dialog = kasi.dialog
    kasi.field('kind', dialog).select_option(label='Eksternal')
    kasi.settle()
    kasi.field('name', dialog).fill("Direktur RSUD Sukamaju")
    kasi.field('email', dialog).fill(email)
    kasi.shot('issue4-1-kasi-recipient', full=True)
    dialog.locator('.modal-footer button', has_text=re.compile('^Tambah$',
            re.IGNORECASE)).click()
    kasi.settle()
    expect(kasi.page.locator('.modal.in')).to_have_count(0)
    expect(kasi.rows(recipients)).to_have_count(2)

    # The route is proposed from the org chart: the Kabid, then the signer
    kasi.notebook_page('Alur Paraf')
    kasi.button('propose_route').click()
    kasi.settle()
    approvals = kasi.one2many('Alur Paraf')
    kasi.show_lines(approvals)
    route = [(r['Jabatan'], r['Jenis Langkah'])
        for r in kasi.list_rows(approvals)]
    assert route == [
        (["Kepala Bidang Pencegahan dan Pengendalian Penyakit (Dinkes)"],
            ["Paraf"]),
        (["Kepala Dinas Kesehatan (Dinkes)"], ["Tanda Tangani"]),
        ], route
    kasi.button('submit').click()
    kasi.settle()
    kasi.expect_selection('state', 'Dalam Persetujuan')
    expect(kasi.field('current_approval')).to_have_value(re.compile(
            "Kepala Bidang Pencegahan"))
    kasi.shot('issue4-2-kasi-submitted', full=True)

    # The Kabid finds it waiting and returns it with a note
    kabid = phone('kabid.p2p')
    kabid.open_menu('e-Surat', 'Surat Keluar')
    kabid.list_tab('Menunggu Saya')
    kabid.open_row(subject)
    kabid.button('return_').click()
    kabid.settle()
    wizard = kabid.dialog
    kabid.field('note', wizard).fill("Mohon cantumkan batas waktunya.")
    kabid.shot('issue4-3-kabid-return', full=True)
    wizard.locator('.modal-footer button', has_text='Kembalikan').click()
    kabid.settle()
    kabid.expect_selection('state', 'Konsep')

    # The Kasi, still on the letter, reloads it, corrects the text and
    # submits it again
    kasi.tab.locator('button#reload').click()
    kasi.settle()
    kasi.expect_selection('state', 'Konsep')
    kasi.notebook_page('Teks')
    kasi.enter('body', second_body)
    kasi.button('submit').click()
    kasi.settle()
    kasi.expect_selection('state', 'Dalam Persetujuan')

    # The Kabid, notified, opens e-Surat again and initials; the versions
    # show what changed
    kabid = phone('kabid.p2p')
    kabid.open_menu('e-Surat', 'Surat Keluar')
    kabid.list_tab('Menunggu Saya')
    kabid.open_row(subject)
    kabid.notebook_page('Versi')
    versions = kabid.one2many('Versi')
    kabid.show_lines(versions)
    expect(kabid.rows(versions)).to_have_count(2)
    kabid.button('approve').click()
    kabid.settle()
    expect(kabid.field('current_approval')).to_have_value(re.compile(
            "Kepala Dinas Kesehatan"))

    # The Plh of the Kepala Dinas signs with the passphrase of the key
    plh = phone('kabid.yankes')
    plh.open_menu('e-Surat', 'Surat Keluar')
    plh.list_tab('Menunggu Saya')
    expect(plh.cell(subject)).to_be_visible()
    plh.open_row(subject)
    plh.shot('issue4-4-plh-to-sign', full=True)
    plh.button('sign').click()
    plh.settle()
    wizard = plh.dialog
    plh.field('passphrase', wizard).fill(esurat.demo_password)
    plh.shot('issue4-5-plh-passphrase')
    wizard.locator('.modal-footer button', has_text='Tanda Tangani').click()
    plh.settle()
    plh.expect_selection('state', 'Ditandatangani')
    plh.notebook_page('Tanda Tangan')
    number = plh.field('number')
    expect(number).to_have_value(re.compile(r'^400\.7/\d+/Dinkes/\d{4}$'))
    number = number.input_value()
    plh.shot('issue4-6-plh-signed', full=True)

    # What the server keeps: signed as Plh, delivered to both recipients
    rpc = esurat.login('kabid.yankes')
    outgoing, = rpc('model.esurat.outgoing.search_read',
        [('subject', '=', subject)], 0, None, None,
        ['signature', 'recipients', 'versions'])
    signature, = rpc('model.esurat.signature.read', [outgoing['signature']],
        ['signer_title', 'verify_url', 'sha256', 'pdf'])
    assert signature['signer_title'] == "Plh. Kepala Dinas Kesehatan"
    assert len(outgoing['versions']) >= 2

    def delivered():
        states = [r['delivery_state'] for r in rpc(
                'model.esurat.outgoing.recipient.read',
                outgoing['recipients'], ['delivery_state'])]
        return states == ['delivered', 'emailed']
    _wait_for(delivered, 'delivery to Diskominfo and by email')

    # Diskominfo finds it in its Kepala Dinas's inbox, with its own number
    kadis = phone('kadis.kominfo')
    kadis.open_menu('e-Surat', 'Kotak Masuk Saya')
    kadis.list_tab('Belum Dibaca')
    expect(kadis.cell(subject)).to_be_visible()
    kadis.cell(subject).scroll_into_view_if_needed()
    kadis.shot('issue4-7-other-opd-inbox')
    kadis.open_row(subject)
    expect(kadis.field('letter_agenda_number')).to_have_value(
        re.compile(r'^\d+/Diskominfo/\d{4}$'))

    # The external recipient's mailbox has the signed PDF
    if esurat.mailbox is None:
        pytest.skip('the mailbox of an external server cannot be read')
    _wait_for(lambda: any(m['To'] == email for m in esurat.mailbox),
        f'an email to {email}')
    message, = [m for m in esurat.mailbox if m['To'] == email]
    assert number in message['Subject'], message['Subject']
    attachment, = message.iter_attachments()
    assert attachment.get_content_type() == 'application/pdf'
    pdf = attachment.get_content()
    # The recipient holds the signed original, byte for byte
    assert pdf == base64.b64decode(signature['pdf']['base64'])

    # Its QR code, scanned like a phone camera does, opens the
    # verification page, which says it is genuine without any login
    url, = qr_codes(pdf)
    assert re.fullmatch(
        rf'http://[^/]+/{esurat.database}/verify/[\w-]{{32}}', url), url
    assert url.split('/', 3)[3] == signature['verify_url'].split('/', 3)[3]
    citizen = Phone(kasi.context.browser, esurat, kasi.screenshots, 'warga',
        sao=False)
    try:
        page = citizen.page
        page.goto(url)
        expect(page.locator('#status')).to_contain_text('ASLI')
        expect(page.locator('#number')).to_have_text(number)
        expect(page.locator('#subject')).to_have_text(subject)
        expect(page.locator('#position')).to_have_text(
            "Plh. Kepala Dinas Kesehatan")
        expect(page.locator('#sha256')).to_have_text(signature['sha256'])
        citizen.shot('issue4-8-verify-genuine', full=True)
    finally:
        citizen.close()


def test_official_disposes_from_the_letter_form(esurat, phone):
    """Issue 9: the Kepala Diskominfo opens a letter addressed to him from
    Surat Masuk and disposes it to a Kabid with the Dispose button of the
    letter form (not from the inbox); the Kabid finds it in the inbox.

    The letter form's button opens the Dispose wizard as an action: while
    that action had no groups, Tryton refused it with an access error."""
    token = secrets.token_hex(3)
    subject = f"Undangan bimbingan teknis keamanan siber {token}"

    # Preparation: the operator of Diskominfo registers and distributes a
    # letter to the Kepala Dinas (the operator's screens are proven above)
    operator = esurat.login('op.kominfo')
    kadis_position, = operator('model.esurat.position.search',
        [('name', '=', "Kepala Dinas Komunikasi dan Informatika")],
        0, None, None)
    letter_type, = operator('model.esurat.letter.type.search',
        [('code', '=', 'surat_undangan')], 0, 1, None)
    classification, = operator('model.esurat.classification.search',
        [('code', '=', '500.12')], 0, 1, None)
    letter_id, = operator('model.esurat.letter.create', [{
                'sender': "Badan Siber dan Sandi Negara",
                'sender_number': f"B-{token}/BSSN/D2/2026",
                'sender_date': _today(-2),
                'received_date': _today(),
                'subject': subject,
                'summary': "Bimbingan teknis penanganan insiden siber.",
                'letter_type': letter_type,
                'classification': classification,
                'addressees': [['create', [
                                {'position': kadis_position, 'kind': 'to'}]]],
                }])
    operator('model.esurat.letter.register', [letter_id])
    operator('model.esurat.letter.distribute', [letter_id])
    agenda_number, = [r['agenda_number'] for r in operator(
            'model.esurat.letter.read', [letter_id], ['agenda_number'])]

    # The Kepala Dinas opens it from Surat Masuk and disposes it there
    kadis = phone('kadis.kominfo')
    expect = kadis.expect
    kadis.open_menu('e-Surat', 'Surat Masuk')
    kadis.list_tab('Semua')
    expect(kadis.cell(subject)).to_be_visible()
    row, = [r for r in kadis.list_rows() if r['Perihal'] == [subject]]
    assert row['Nomor Agenda'] == [agenda_number], row
    kadis.open_row(subject)
    expect(kadis.field('agenda_number')).to_have_value(agenda_number)
    kadis.expect_selection('state', 'Terdistribusi')
    dispose = kadis.button('dispose')
    expect(dispose).to_have_text(re.compile('Disposisikan', re.IGNORECASE))
    dispose.scroll_into_view_if_needed()
    kadis.shot('issue9-1-kadis-letter-form')
    dispose.click()
    # An access error dialog fails here (settle)
    kadis.settle()
    wizard = kadis.dialog
    expect(wizard.locator('.modal-header')).to_contain_text('Disposisikan')
    expect(kadis.field('from_position', wizard)).to_have_value(
        re.compile("Kepala Dinas Komunikasi dan Informatika"))
    kadis.choose('to_positions', "Aplikasi Informatika",
        "Kepala Bidang Aplikasi Informatika", scope=wizard)
    kadis.field('instructions', wizard).select_option(
        label=["Hadiri/Wakili"])
    note = "Mohon dihadiri dan laporkan hasilnya."
    kadis.field('note', wizard).fill(note)
    kadis.settle()
    kadis.shot('issue9-2-kadis-dispose-wizard', full=True)
    wizard.locator('.modal-footer button', has_text='Kirim').click()
    kadis.settle()
    expect(kadis.page.locator('.modal.in')).to_have_count(0)
    # Back on the letter form: one disposition, not done yet
    expect(kadis.field('agenda_number')).to_have_value(agenda_number)
    expect(kadis.field('progress_text')).to_have_value('0/1')
    kadis.shot('issue9-3-kadis-letter-disposed', full=True)

    # The Kabid Aptika finds it in the inbox, from the Kepala Dinas
    kabid = phone('kabid.aptika')
    kabid.open_menu('e-Surat', 'Kotak Masuk Saya')
    kabid.list_tab('Belum Dibaca')
    expect(kabid.cell(subject)).to_be_visible()
    item, = [r for r in kabid.list_rows() if r['Perihal'] == [subject]]
    assert item['Dari'] == ["Kepala Dinas Komunikasi dan Informatika"], item
    assert item['Status'] == ['Terkirim'], item
    kabid.cell(subject).scroll_into_view_if_needed()
    kabid.shot('issue9-4-kabid-inbox')
    kabid.open_row(subject)
    expect(kabid.field('letter_agenda_number')).to_have_value(agenda_number)
    expect(kabid.field('note')).to_have_value(note)

    # The server's record agrees: disposed by the Kepala Dinas himself
    rpc = esurat.login('kadis.kominfo')
    items = rpc('model.esurat.disposition.search_read',
        [('letter', '=', letter_id)], 0, None, [('id', 'ASC')],
        ['kind', 'from_user.login', 'from_title', 'to_position.name',
            'parent', 'note'])
    assert [i['kind'] for i in items] == ['delivery', 'disposition'], items
    delivery, disposition = items
    assert disposition['from_user.']['login'] == 'kadis.kominfo'
    assert disposition['from_title'] == (
        "Kepala Dinas Komunikasi dan Informatika")
    assert disposition['to_position.']['name'] == (
        "Kepala Bidang Aplikasi Informatika")
    assert disposition['parent'] == delivery['id']
    assert disposition['note'] == note


def _wizard_sessions(esurat):
    """The data of every wizard session (ir.session.wizard) in the
    server's database; None on an external server"""
    query = 'SELECT data FROM ir_session_wizard'
    if esurat.backend == 'postgresql':
        import psycopg
        from psycopg.conninfo import conninfo_to_dict, make_conninfo
        params = conninfo_to_dict(os.environ['TRYTOND_DATABASE_URI'])
        params['dbname'] = esurat.database
        with psycopg.connect(make_conninfo(**params)) as conn:
            return [data for data, in conn.execute(query)]
    if esurat.backend == 'sqlite':
        # conftest keeps the SQLite file in db/ next to the server log
        path = esurat.log.parent / 'db' / f'{esurat.database}.sqlite'
        assert path.exists(), path
        with contextlib.closing(sqlite3.connect(
                    f'file:{path}?mode=ro', uri=True)) as conn:
            return [data for data, in conn.execute(query)]
    return None


def test_official_requests_a_certificate(esurat, phone):
    """Issue 9: an official without a usable certificate requests one on
    the phone from the list of signing certificates, typing the passphrase
    twice, and finds a valid certificate listed; the passphrase never
    reaches the wizard sessions of the database.

    Every demo official gets a certificate: the super administrator first
    revokes the Kepala Bagian Hukum's (kabag.hukum), as after a lost
    phone, so that he has none he can sign with."""
    login = 'kabag.hukum'
    passphrase = f'kunci-hukum-{secrets.token_hex(4)}'
    admin = esurat.login('superadmin')
    user_id = esurat.login(login).user_id
    valid = admin('model.esurat.signing.certificate.search',
        [('user', '=', user_id), ('state', '=', 'valid')], 0, None, None)
    if valid:
        admin('model.esurat.signing.certificate.revoke', valid)
    before = admin('model.esurat.signing.certificate.search',
        [('user', '=', user_id)], 0, None, None)
    assert before, 'the demo gives every official a certificate'
    assert not admin('model.esurat.signing.certificate.search_count',
        [('user', '=', user_id), ('state', '=', 'valid')])

    # The official's list shows only revoked certificates
    official = phone(login)
    expect = official.expect
    official.open_menu('e-Surat', 'Sertifikat Tanda Tangan')
    expect(official.rows()).to_have_count(len(before))
    rows = official.list_rows()
    assert {s for r in rows for s in r['Status']} == {'Dicabut'}, rows
    official.shot('issue9-5-official-no-certificate')

    # The request wizard, from the list's actions (sao offers them once a
    # row is selected)
    official.rows().first.locator('td[data-title^="Status"]').click()
    official.settle()
    official.title_menu('action')
    request = official.tab.locator('ul.dropdown-menu a',
        has_text='Ajukan Sertifikat Pengembangan')
    expect(request).to_be_visible()
    request.click()
    official.settle()
    wizard = official.dialog
    expect(wizard.locator('.modal-header')).to_contain_text(
        'Ajukan Sertifikat Pengembangan')
    expect(official.field('passphrase', wizard)).to_have_attribute(
        'type', 'password')
    expect(official.field('confirmation', wizard)).to_have_attribute(
        'type', 'password')

    # A mistyped confirmation is refused, the wizard stays open
    official.field('passphrase', wizard).fill(passphrase)
    official.field('confirmation', wizard).fill(passphrase + 'x')
    wizard.locator('.modal-footer button', has_text='Terbitkan').click()
    warning = official.page.locator('.modal.in.warning-dialog')
    expect(warning).to_contain_text('Frasa sandi dan konfirmasinya berbeda')
    official.shot('issue9-6-official-passphrase-mismatch')
    warning.locator('button.btn-primary').click()
    expect(warning).to_have_count(0)
    official.settle()
    wizard = official.dialog
    expect(wizard.locator('.modal-header')).to_contain_text(
        'Ajukan Sertifikat Pengembangan')
    sessions = _wizard_sessions(esurat)
    if sessions is not None:
        assert sessions, 'the open wizard has a session'
        assert not [d for d in sessions if passphrase in d], sessions

    official.field('passphrase', wizard).fill(passphrase)
    official.field('confirmation', wizard).fill(passphrase)
    official.shot('issue9-7-official-passphrase')
    wizard.locator('.modal-footer button', has_text='Terbitkan').click()
    official.settle()
    expect(official.page.locator('.modal.in')).to_have_count(0)

    # A valid certificate is listed, until two years from now
    official.tab.locator('button#reload').click()
    official.settle()
    expect(official.rows()).to_have_count(len(before) + 1)
    rows = official.list_rows()
    fresh = [r for r in rows if r['Status'] == ['Berlaku']]
    assert len(fresh) == 1, rows
    fresh, = fresh
    assert fresh['Pengguna'] == ["Yudi Prasetyo, S.H., M.H."], fresh
    until_date, until_time = fresh['Berlaku Sampai']
    assert DATE.match(until_date) and TIME.match(until_time), fresh
    official.shot('issue9-8-official-certificate', full=True)

    # The server's record agrees, and the passphrase is nowhere in the
    # wizard sessions
    rpc = esurat.login(login)
    certificate, = rpc('model.esurat.signing.certificate.search_read',
        [('state', '=', 'valid')], 0, None, None,
        ['user', 'subject', 'provider', 'not_before', 'not_after'])
    assert certificate['user'] == user_id
    assert certificate['subject'] == "Yudi Prasetyo, S.H., M.H."
    assert certificate['provider'] == 'development'

    def utc(value):
        return datetime.datetime(*(value[k] for k in [
                    'year', 'month', 'day', 'hour', 'minute', 'second']))
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)
    assert utc(certificate['not_before']) <= now
    assert utc(certificate['not_after']) - now > datetime.timedelta(
        days=365 * 2 - 1)
    # The list shows the date of its end of validity
    until = utc(certificate['not_after']).replace(
        tzinfo=datetime.timezone.utc).astimezone(
        datetime.timezone(datetime.timedelta(hours=7)))
    assert until_date == until.strftime(DATE_FORMAT), fresh
    sessions = _wizard_sessions(esurat)
    if sessions is not None:
        assert not [d for d in sessions if passphrase in d], sessions
