# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The public pages of Portal Emas (issue 14) in a real browser at 360×740
with JavaScript off, as a citizen on a cheap phone: a request for a surat
keterangan domisili with a photo from the camera, its link and tracking by
number and NIK with the steps, approved by the RT head in the phone app;
every public page fits the screen."""
import io
import re

import pytest
from playwright.sync_api import expect

PHONE = {'width': 360, 'height': 740}
NIK = '3201014501900002'
# Tap targets of the pages' controls (links inside text are exempt)
TARGETS = ('main .button, main button, main input, main select, '
    'main .cards a, main .tabs a')


def _photo():
    "A photo as a phone camera takes it: large, JPEG"
    from PIL import Image
    buffer = io.BytesIO()
    Image.new('RGB', (2400, 1800), (200, 190, 170)).save(buffer, 'JPEG')
    return {'name': 'ktp.jpg', 'mimeType': 'image/jpeg',
        'buffer': buffer.getvalue()}


def _pdf():
    from reportlab.pdfgen import canvas
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 770, "KARTU KELUARGA (UJI PORTAL)")
    pdf.showPage()
    pdf.save()
    return {'name': 'kk.pdf', 'mimeType': 'application/pdf',
        'buffer': buffer.getvalue()}


@pytest.fixture
def citizen(browser):
    "A phone-sized page without JavaScript, in a browser context of its own"
    context = browser.new_context(
        viewport=PHONE, locale='id-ID', timezone_id='Asia/Jakarta',
        java_script_enabled=False)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def _fits(page):
    "No horizontal scrolling at 360 px and tap targets of 44 px"
    assert page.evaluate('document.documentElement.scrollWidth') <= 360, (
        page.url)
    # A check box is tapped through its label
    heights = page.locator(TARGETS).evaluate_all("""elements => elements
        .filter(e => e.offsetParent !== null)
        .map(e => [e.outerHTML.slice(0, 80), Math.max(
            e.getBoundingClientRect().height,
            e.closest('label')?.getBoundingClientRect().height || 0)])""")
    assert heights, page.url
    assert [h for h in heights if h[1] < 44] == [], page.url


def _fill_form(page):
    "Everything the domisili form asks, as the citizen types it"
    page.locator('#nik').fill(NIK)
    page.locator('#name').fill("Siti Aminah")
    page.locator('#address').fill("Jl. Melati No. 5")
    page.locator('#area').select_option(index=1)
    page.locator('#phone').fill("0812 3456 7890")
    for field in page.locator('[name^=isian_]').all():
        kind = field.evaluate('e => e.tagName + ":" + e.type')
        if kind == 'SELECT:select-one':
            field.select_option(index=1)
        elif kind == 'INPUT:date':
            field.fill('2020-01-15')
        elif kind == 'INPUT:checkbox':
            field.check()
        elif field.get_attribute('inputmode') == 'numeric':
            field.fill('5')
        else:
            field.fill("Pembukaan rekening bank")
    for upload in page.locator('input[type=file]').all():
        accept = upload.get_attribute('accept') or ''
        upload.set_input_files(_photo() if 'image' in accept else _pdf())


def _rt_head_approves(esurat, browser, number, screenshots):
    """The head of the citizen's RT (Kel. Mekarsari, the first in the form)
    approves the request from the phone app"""
    context = browser.new_context(
        viewport=PHONE, locale='id-ID', timezone_id='Asia/Jakarta')
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f'{esurat.url}/{esurat.database}/m/masuk?lanjut='
            f'/{esurat.database}/m/permohonan')
        page.get_by_label("Nama pengguna").fill('rt1.rw1.mekarsari')
        page.get_by_label("Kata sandi").fill(esurat.demo_password)
        page.get_by_role('button', name="Masuk").click()
        page.locator('.row a', has_text=number).click()
        expect(page.locator('h1')).to_have_text(number)
        assert page.evaluate(
            'document.documentElement.scrollWidth') <= 360
        page.screenshot(path=screenshots / 'issue14-4-rt.png',
            full_page=True)
        page.get_by_role('button', name="Setujui").click()
        expect(page.locator('#flash')).to_contain_text(
            f"Permohonan {number} disetujui")
    finally:
        context.close()


def test_citizen_requests_domisili_and_tracks_it(esurat, browser, citizen,
        screenshots):
    page = citizen
    base = f'{esurat.url}/{esurat.database}/portal/'
    page.goto(base)
    _fits(page)
    page.screenshot(path=screenshots / 'issue14-1-beranda.png')
    page.get_by_role('link', name=re.compile("Surat Keterangan Domisili")
        ).click()
    expect(page.locator('h1')).to_have_text("Surat Keterangan Domisili")
    _fits(page)
    page.get_by_role('link', name="Ajukan permohonan").click()
    _fill_form(page)
    _fits(page)
    page.screenshot(path=screenshots / 'issue14-2-formulir.png',
        full_page=True)
    page.get_by_role('button', name="Kirim permohonan").click()
    expect(page.locator('#submitted')).to_contain_text("Permohonan terkirim")
    link = page.locator('#link').inner_text()
    number = re.search(r'PE-\d{4}-\d{6}', page.locator('h1').inner_text()
        ).group(0)
    expect(page.locator('#steps li').first).to_contain_text(
        "RT 001 / RW 001, Kel. Mekarsari")
    _fits(page)
    page.screenshot(path=screenshots / 'issue14-3-terkirim.png',
        full_page=True)

    # Tracking by number and NIK shows the steps, not the link
    page.goto(base + 'lacak')
    _fits(page)
    page.locator('#nomor').fill(number)
    page.locator('#nik').fill(NIK)
    page.get_by_role('button', name="Lacak").click()
    expect(page.locator('h1')).to_have_text(f"Permohonan {number}")
    expect(page.locator('#steps li').first).to_contain_text("RT")
    assert link.rsplit('/', 1)[-1] not in page.content()
    page.goto(link)
    expect(page.locator('#state')).to_be_visible()
    _rt_head_approves(esurat, browser, number, screenshots)

    # Every other public page fits the phone too
    for path in ['pengaduan', 'informasi', 'permohonan/tidak-ada-sama-sekali']:
        page.goto(base + path)
        _fits(page)
