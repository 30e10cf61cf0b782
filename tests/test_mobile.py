# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The phone app of esurat_mobile (issue 12) in a real browser at 360×740:
the Kepala Dinas from the login to a sent disposition, every tap counted
against the budget of modules/esurat_mobile/README.md; the Plh Kepala Dinas
Kesehatan reads a draft as it will print and signs it."""
import base64
import datetime
import io
import re
import secrets

from playwright.sync_api import expect

PHONE = {'width': 360, 'height': 740}
# modules/esurat_mobile/README.md, "Tap budget"
TAP_BUDGET = 11


def _day(days=0):
    day = datetime.date.today() + datetime.timedelta(days=days)
    return {'__class__': 'date', 'year': day.year, 'month': day.month,
        'day': day.day}


def _scan():
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(72, 780, "PINDAIAN SURAT MASUK (UJI APLIKASI PONSEL)")
    pdf.showPage()
    pdf.save()
    return {'__class__': 'bytes',
        'base64': base64.b64encode(buffer.getvalue()).decode()}


def test_kepala_dinas_disposes_from_the_phone_app(esurat, browser,
        screenshots):
    token = secrets.token_hex(3)
    subject = f"Undangan rapat percepatan SPBE {token}"
    # The operator registers and distributes a letter with its scan
    operator = esurat.login('op.kominfo')
    kadis_position, = operator('model.esurat.position.search',
        [('name', '=', "Kepala Dinas Komunikasi dan Informatika")],
        0, None, None)
    letter_type, = operator('model.esurat.letter.type.search',
        [('code', '=', 'surat_undangan')], 0, 1, None)
    classification, = operator('model.esurat.classification.search',
        [('code', '=', '500.12')], 0, 1, None)
    letter_id, = operator('model.esurat.letter.create', [{
                'sender': "Kementerian PANRB",
                'sender_number': f"B-{token}/MENPAN/2026",
                'sender_date': _day(-2),
                'received_date': _day(),
                'subject': subject,
                'letter_type': letter_type,
                'classification': classification,
                'addressees': [['create', [
                                {'position': kadis_position, 'kind': 'to'}]]],
                'files': [['create', [
                                {'name': 'scan.pdf', 'data': _scan()}]]],
                }])
    operator('model.esurat.letter.register', [letter_id])
    operator('model.esurat.letter.distribute', [letter_id])

    context = browser.new_context(
        viewport=PHONE, locale='id-ID', timezone_id='Asia/Jakarta')
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    taps = []

    def tap(locator, name):
        expect(locator).to_be_visible()
        box = locator.bounding_box()
        assert box['height'] >= 44 or locator.evaluate(
            "e => e.closest('label') !== null"), (name, box)
        locator.click()
        taps.append(name)

    try:
        base = f'{esurat.url}/{esurat.database}/m/'
        page.goto(base)
        # Logged out: the login page
        expect(page).to_have_url(re.compile(r'/m/masuk'))
        tap(page.get_by_label("Nama pengguna"), 'login')
        page.keyboard.type('kadis.kominfo')
        tap(page.get_by_label("Kata sandi"), 'password')
        page.keyboard.type('demo-esurat-2026')
        tap(page.get_by_role('button', name="Masuk"), 'Masuk')
        expect(page.locator('h1')).to_contain_text("Selamat datang")
        page.screenshot(path=screenshots / 'issue12-1-beranda.png')
        tap(page.locator('a.counter', has_text="belum dibaca").first,
            'belum dibaca')
        tap(page.locator('.row a', has_text=subject), 'letter')
        expect(page.locator('#subject')).to_have_text(subject)
        scan = page.locator('#scans img').first
        scan.scroll_into_view_if_needed()
        page.wait_for_function(
            'img => img.complete && img.naturalWidth > 0',
            arg=scan.element_handle())
        page.screenshot(path=screenshots / 'issue12-2-surat.png')
        tap(page.get_by_role('link', name="Disposisi"), 'Disposisi')
        tap(page.locator('#recipient-search'), 'search')
        page.keyboard.type('kabid aptika')
        recipient = page.locator('#recipients li:visible')
        expect(recipient).to_have_count(1)
        tap(recipient.locator('label'), 'recipient')
        tap(page.locator('.chip-pick', has_text="Hadiri").first,
            'instruction')
        tap(page.locator('.chip-pick', has_text="3 hari"), 'deadline')
        page.screenshot(path=screenshots / 'issue12-3-disposisi.png',
            full_page=True)
        tap(page.get_by_role('button', name="Kirim disposisi"), 'Kirim')
        expect(page.locator('#flash')).to_have_text(
            "Disposisi terkirim ke Kepala Bidang Aplikasi Informatika"
            " (Bid. Aptika).")
        expect(page.locator('#tracking')).to_contain_text(
            "Kepala Bidang Aplikasi Informatika")
        page.screenshot(path=screenshots / 'issue12-4-terkirim.png')
        # No horizontal scrolling, from 320 to 414 px wide
        for width in [360, 320, 414]:
            page.set_viewport_size({'width': width, 'height': 740})
            assert page.evaluate(
                'document.documentElement.scrollWidth') <= width, width
        assert not errors, errors
        assert len(taps) <= TAP_BUDGET, taps
    finally:
        context.close()

    # The Kabid has it in his inbox, from the same server rules
    kabid = esurat.login('kabid.aptika')
    items = kabid('model.esurat.disposition.search_read', [
            ('letter', '=', letter_id), ('kind', '=', 'disposition')],
        0, None, None, ['deadline', 'unread', 'from_title'])
    assert [(i['unread'], i['from_title']) for i in items] == [
        (True, "Kepala Dinas Komunikasi dan Informatika")], items


def test_plh_previews_and_signs(esurat, browser, screenshots):
    "The Plh Kepala Dinas Kesehatan reads the draft as printed and signs"
    token = secrets.token_hex(3)
    subject = f"Edaran kewaspadaan demam berdarah {token}"
    # The Kasi drafts for the Kepala Dinas, the Kabid P2P initials
    kasi = esurat.login('kasi.surveilans')
    signer, = kasi('model.esurat.position.search',
        [('name', '=', "Kepala Dinas Kesehatan")], 0, None, None)
    letter_type, = kasi('model.esurat.letter.type.search',
        [('code', '=', 'surat_dinas')], 0, 1, None)
    classification, = kasi('model.esurat.classification.search',
        [('code', '=', '500.12')], 0, 1, None)
    kadis, = kasi('model.esurat.position.search',
        [('name', '=', "Kepala Dinas Komunikasi dan Informatika")],
        0, None, None)
    outgoing_id, = kasi('model.esurat.outgoing.create', [{
                'signer_position': signer,
                'letter_type': letter_type,
                'classification': classification,
                'subject': subject,
                'body': "Dengan hormat,\n\nDimohon kewaspadaan terhadap "
                "peningkatan kasus demam berdarah.\n\nDemikian disampaikan.",
                'recipients': [['create', [
                                {'kind': 'internal', 'position': kadis}]]],
                }])
    kasi('model.esurat.outgoing.submit', [outgoing_id])
    esurat.login('kabid.p2p')('model.esurat.outgoing.approve', [outgoing_id])

    context = browser.new_context(
        viewport=PHONE, locale='id-ID', timezone_id='Asia/Jakarta')
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    try:
        page.goto(f'{esurat.url}/{esurat.database}/m/masuk')
        page.get_by_label("Nama pengguna").fill('kabid.yankes')
        page.get_by_label("Kata sandi").fill('demo-esurat-2026')
        page.get_by_role('button', name="Masuk").click()
        # Only a counter with letters waiting is highlighted
        page.locator('a.counter.hot',
            has_text="menunggu tanda tangan saya").first.click()
        page.locator('.row a', has_text=subject).click()
        expect(page.locator('#subject')).to_have_text(subject)
        preview = page.locator('#preview img').first
        preview.scroll_into_view_if_needed()
        page.wait_for_function(
            'img => img.complete && img.naturalWidth > 0',
            arg=preview.element_handle())
        page.screenshot(path=screenshots / 'issue12-5-konsep.png',
            full_page=True)
        page.get_by_role('link', name="Tanda tangani").click()
        expect(page.locator('#signing-as')).to_have_text(
            "Anda menandatangani sebagai Plh. Kepala Dinas Kesehatan")
        expect(page.locator('#sign-subject')).to_have_text(subject)
        expect(page.locator('#sign-recipients')).to_contain_text(
            "Kepala Dinas Komunikasi dan Informatika")
        page.get_by_label("Frasa sandi tanda tangan").fill('demo-esurat-2026')
        page.screenshot(path=screenshots / 'issue12-6-tanda-tangan.png')
        page.get_by_role('button', name="Tanda tangani").click()
        expect(page.locator('#flash')).to_contain_text(
            "Surat ditandatangani dengan nomor")
        expect(page.locator('#preview h2')).to_have_text(
            "Surat yang ditandatangani")
        for width in [320, 414]:
            page.set_viewport_size({'width': width, 'height': 740})
            assert page.evaluate(
                'document.documentElement.scrollWidth') <= width, width
        assert not errors, errors
    finally:
        context.close()
    outgoing, = kasi('model.esurat.outgoing.read', [outgoing_id],
        ['state', 'number'])
    assert outgoing['state'] == 'signed' and outgoing['number'], outgoing
