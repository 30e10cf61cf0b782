# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public verification page in a real browser, on a phone (360 px) and
on a desktop (1280 px), as a citizen who scanned the QR code uses it
(issue 13): who issued the letter, whether the copy in hand is the
original (an edited copy's red verdict first on the screen), the download
of the original, the check by number and date, the hash folded away.

Screenshots go to var/screenshots/ (issue13-verify-*)."""
import base64
import datetime
import re
import secrets
from types import SimpleNamespace

import pytest

VIEWPORTS = {
    'phone': {'width': 360, 'height': 740},
    'desktop': {'width': 1280, 'height': 800},
    }
# The demo's signed letter (esurat_signing's demo)
SUBJECT = "Undangan Sosialisasi Tanda Tangan Elektronik"
GOVERNMENT = "PEMERINTAH KABUPATEN SUKAMAJU"
AGENCY = "Dinas Komunikasi dan Informatika"
# What a reader's eye goes through, top to bottom
BLOCKS = 'main > .status, #check > .status, #issuer, main > dl, form, ' \
    'details, .download'


def _expect():
    from playwright.sync_api import expect
    expect.set_options(timeout=30_000)
    return expect


def _one(rpc, model, domain):
    found, = rpc(f'model.{model}.search', domain, 0, 1, None)
    return found


def _sign(rpc, record_id, passphrase):
    "The sign wizard run on the outgoing letter as sao runs it"
    context = dict(rpc.context, active_model='esurat.outgoing',
        active_id=record_id, active_ids=[record_id])
    wizard = 'wizard.esurat.outgoing.sign'
    session, _, _ = rpc(f'{wizard}.create')
    rpc._post('rpc/', {'method': f'{wizard}.execute', 'params': [
                session, {'start': {'passphrase': passphrase}}, 'sign',
                context]})
    rpc(f'{wizard}.delete', session)


def _signature(rpc, domain):
    "The signature found by domain, its date and PDF decoded"
    signature, = rpc('model.esurat.signature.search_read', domain,
        0, None, None, ['number', 'date', 'sha256', 'verify_url', 'pdf'])
    date = signature['date']
    return SimpleNamespace(**dict(signature,
            date=datetime.date(date['year'], date['month'], date['day']),
            pdf=base64.b64decode(signature['pdf']['base64'])))


@pytest.fixture(scope='module')
def letters(esurat):
    """The demo's signed letter, and a rahasia one the Kepala Diskominfo
    signs here (to a party outside, on the print list: nobody's inbox)"""
    kadis = esurat.login('kadis.kominfo')
    kabid = esurat.login('kabid.aptika')
    subject = f"Laporan insiden keamanan siber {secrets.token_hex(3)}"
    outgoing_id, = kabid('model.esurat.outgoing.create', [{
                'letter_type': _one(kabid, 'esurat.letter.type',
                    [('code', '=', 'surat_dinas')]),
                'classification': _one(kabid, 'esurat.classification',
                    [('code', '=', '500.12')]),
                'confidentiality': _one(
                    kabid, 'esurat.letter.confidentiality',
                    [('code', '=', 'rahasia')]),
                'subject': subject,
                'body': "Dengan hormat,\n\nBersama ini kami laporkan.",
                'recipients': [['create', [{
                                'kind': 'external',
                                'name': "Kepala Kejaksaan Negeri Sukamaju",
                                }]]],
                }])
    kabid('model.esurat.outgoing.submit', [outgoing_id])
    _sign(kadis, outgoing_id, esurat.demo_password)
    return SimpleNamespace(
        letter=_signature(kadis, [('subject', '=', SUBJECT)]),
        secret=_signature(kadis, [('outgoing', '=', outgoing_id)]),
        secret_subject=subject)


class Reader:
    "What the reader sees of the page: the blocks on the first screen"

    def __init__(self, page, viewport):
        self.page = page
        self.viewport = viewport

    def boxes(self):
        "The visible blocks of the page, top to bottom, as (id, box)"
        return self.page.evaluate('''selector => Array.from(
            document.querySelectorAll(selector))
            .filter(e => e.offsetParent !== null)
            .map(e => {
                const r = e.getBoundingClientRect();
                return [e.id || e.className || e.tagName,
                    {top: r.top + window.scrollY, bottom: r.bottom
                        + window.scrollY, left: r.left, right: r.right}];
            })
            .sort((a, b) => a[1].top - b[1].top)''', BLOCKS)

    def first_block(self):
        "The id of the first block and its box, checked on the first screen"
        assert self.page.evaluate('window.scrollY') == 0
        id_, box = self.boxes()[0]
        assert box['bottom'] <= self.viewport['height'], (id_, box)
        return id_

    def fits(self):
        "Nothing wider than the screen (no sideways scrolling)"
        width = self.page.evaluate(
            'document.documentElement.scrollWidth')
        assert width <= self.viewport['width'], width


@pytest.mark.parametrize('viewport', VIEWPORTS.values(), ids=VIEWPORTS)
def test_verification_page(esurat, browser, screenshots, letters, viewport,
        tmp_path):
    """A citizen with the letter's QR code: the page names who issued it,
    hands out the original, tells the original from an edited copy with the
    verdict first on the screen, finds the letter by number and date; of a
    rahasia letter only that it exists"""
    expect = _expect()
    name = f"issue13-verify-{viewport['width']}"
    letter = letters.letter
    context = browser.new_context(viewport=viewport, locale='id-ID',
        timezone_id='Asia/Jakarta', accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    reader = Reader(page, viewport)
    try:
        # The address of the QR code
        page.goto(letter.verify_url)
        # The verdict first, then who issued the letter
        status = page.locator('#status')
        expect(status).to_contain_text('ASLI')
        expect(status).to_have_class(re.compile(r'\bok\b'))
        assert reader.first_block() == 'status'
        reader.fits()
        expect(page.locator('#government')).to_have_text(GOVERNMENT)
        expect(page.locator('#agency')).to_have_text(AGENCY)
        expect(page.locator('#number')).to_have_text(letter.number)
        expect(page.locator('#subject')).to_have_text(SUBJECT)
        # The hash is folded away until asked for
        sha256 = page.locator('#sha256')
        expect(sha256).to_be_hidden()
        page.screenshot(
            path=screenshots / f'{name}-1-asli.png', full_page=True)
        page.locator('#technical summary').click()
        expect(sha256).to_be_visible()
        expect(sha256).to_have_text(letter.sha256)

        # The original, downloaded from the page, is the signed file
        with page.expect_download() as download:
            page.get_by_role('link', name="Unduh dokumen asli (PDF)").click()
        original = tmp_path / 'asli.pdf'
        download.value.save_as(original)
        assert original.read_bytes() == letter.pdf

        def check(path):
            "Upload path with the page's own (Indonesian) buttons"
            with page.expect_file_chooser() as chooser:
                page.get_by_text("Pilih berkas PDF", exact=True).click()
            chooser.value.set_files(path)
            expect(page.get_by_text("Berkas terpilih")).to_be_visible()
            page.get_by_role('button', name="Periksa", exact=True).click()

        # An edited copy: the red verdict is the first thing on screen, no
        # green banner anywhere
        pdf = letter.pdf
        index = pdf.index(b'/Contents') - 40
        edited = tmp_path / 'salinan-diubah.pdf'
        edited.write_bytes(
            pdf[:index] + bytes([pdf[index] ^ 1]) + pdf[index + 1:])
        check(edited)
        same = page.locator('#check-same')
        expect(same).to_contain_text('BUKAN dokumen asli')
        expect(same).to_have_class(re.compile(r'\bbad\b'))
        expect(page.locator('#check-signature')).to_have_class(
            re.compile(r'\bbad\b'))
        assert reader.first_block() == 'check-same'
        expect(page.locator('.status.ok')).to_have_count(0)
        reader.fits()
        page.screenshot(path=screenshots / f'{name}-2-diubah.png')

        # The original: green, first
        check(original)
        expect(same).to_contain_text('sama persis')
        expect(same).to_have_class(re.compile(r'\bok\b'))
        expect(page.locator('#check-signature')).to_have_class(
            re.compile(r'\bok\b'))
        assert reader.first_block() == 'check-same'
        page.screenshot(path=screenshots / f'{name}-3-asli-diunggah.png')

        # A reader of a paper copy without the QR code searches by number
        # and date: the verdict, without the original
        page.get_by_role('link', name="Periksa surat dengan nomor").click()
        page.get_by_label("Nomor surat").fill(letter.number)
        page.get_by_label("Tanggal surat").fill(letter.date.isoformat())
        page.get_by_role('button', name="Cari").click()
        expect(status).to_contain_text('ASLI')
        assert reader.first_block() == 'status'
        expect(page.locator('#subject')).to_have_text(SUBJECT)
        expect(page.locator('#agency')).to_have_text(AGENCY)
        expect(page.locator('#download')).to_have_count(0)
        reader.fits()
        # A day off finds nothing
        page.get_by_label("Tanggal surat").fill(
            (letter.date - datetime.timedelta(days=1)).isoformat())
        page.get_by_role('button', name="Cari").click()
        expect(status).to_contain_text('TIDAK DITEMUKAN')
        expect(status).to_have_class(re.compile(r'\bbad\b'))
        expect(page.locator('#subject')).to_have_count(0)

        # A rahasia letter: genuine, from its agency, nothing more
        secret = letters.secret
        page.goto(secret.verify_url)
        expect(status).to_contain_text('ASLI')
        expect(page.locator('#agency')).to_have_text(AGENCY)
        expect(page.locator('#subject')).to_have_text(
            "Dirahasiakan: surat bersifat rahasia")
        expect(page.locator('#download')).to_have_count(0)
        expect(page.locator('main')).not_to_contain_text(
            letters.secret_subject)
        page.screenshot(path=screenshots / f'{name}-4-rahasia.png',
            full_page=True)
    finally:
        context.close()
