# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The phone app of esurat_mobile (issue 12) in a real browser at 360×740:
the Kepala Dinas from the login to a sent disposition, every tap counted
against the budget of modules/esurat_mobile/README.md; the Kabid reports
done with a photo; the Kasi reads why his draft came back; the Plh Kepala
Dinas Kesehatan reads a draft as it will print and signs it, and switches
the position acted as."""
import base64
import datetime
import io
import re
import secrets

import pytest
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


def _photo():
    "A photo as a phone takes it (JPEG)"
    from PIL import Image
    buffer = io.BytesIO()
    Image.new('RGB', (640, 480), (180, 160, 120)).save(buffer, 'JPEG')
    return buffer.getvalue()


def _register(esurat, subject, position):
    """The id of a letter of subject that Diskominfo's operator registers
    with a scan and distributes to position (a name)"""
    operator = esurat.login('op.kominfo')
    position_id, = operator('model.esurat.position.search',
        [('name', '=', position)], 0, None, None)
    letter_type, = operator('model.esurat.letter.type.search',
        [('code', '=', 'surat_undangan')], 0, 1, None)
    classification, = operator('model.esurat.classification.search',
        [('code', '=', '500.12')], 0, 1, None)
    letter_id, = operator('model.esurat.letter.create', [{
                'sender': "Kementerian PANRB",
                'sender_number': f"B-{secrets.token_hex(3)}/MENPAN/2026",
                'sender_date': _day(-2),
                'received_date': _day(),
                'subject': subject,
                'letter_type': letter_type,
                'classification': classification,
                'addressees': [['create', [
                                {'position': position_id, 'kind': 'to'}]]],
                'files': [['create', [
                                {'name': 'scan.pdf', 'data': _scan()}]]],
                }])
    operator('model.esurat.letter.register', [letter_id])
    operator('model.esurat.letter.distribute', [letter_id])
    return letter_id


def _dispose(rpc, item_id, position):
    "Dispose the item to position (a name) through sao's Dispose wizard"
    to, = rpc('model.esurat.position.search',
        [('name', '=', position)], 0, None, None)
    context = rpc.context
    rpc.context = dict(context, active_model='esurat.disposition',
        active_id=item_id, active_ids=[item_id])
    try:
        session, _, _ = rpc('wizard.esurat.disposition.dispose.create')
        start = rpc(
            'wizard.esurat.disposition.dispose.execute', session, {}, 'start')
        values = {k: v for k, v in start['view']['defaults'].items()
            if not k.endswith('.')}
        rpc('wizard.esurat.disposition.dispose.execute', session,
            {'start': dict(values, to_positions=[to])}, 'send')
        rpc('wizard.esurat.disposition.dispose.delete', session)
    finally:
        rpc.context = context


@pytest.fixture
def phone(browser):
    """A page at phone size in a browser context of its own; a script
    error on any page fails the test"""
    context = browser.new_context(
        viewport=PHONE, locale='id-ID', timezone_id='Asia/Jakarta')
    context.set_default_timeout(30_000)
    page = context.new_page()
    errors = []
    page.on('pageerror', lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert not errors, errors


def _login(page, esurat, login):
    "Log login in the app from its login page"
    page.goto(f'{esurat.url}/{esurat.database}/m/masuk')
    page.get_by_label("Nama pengguna").fill(login)
    page.get_by_label("Kata sandi").fill(esurat.demo_password)
    page.get_by_role('button', name="Masuk").click()
    expect(page.locator('h1')).to_contain_text("Selamat datang")


def _logout(page):
    page.get_by_role('button', name="Keluar").click()
    expect(page).to_have_url(re.compile(r'/m/masuk'))


def test_kepala_dinas_disposes_from_the_phone_app(esurat, browser,
        screenshots):
    subject = f"Undangan rapat percepatan SPBE {secrets.token_hex(3)}"
    letter_id = _register(
        esurat, subject, "Kepala Dinas Komunikasi dan Informatika")

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


def test_kabid_reports_done_with_a_photo(esurat, phone, screenshots):
    "The Kabid opens the disposition, reports with a photo; his chief sees it"
    subject = f"Permintaan data aplikasi {secrets.token_hex(3)}"
    letter_id = _register(
        esurat, subject, "Kepala Dinas Komunikasi dan Informatika")
    kadis = esurat.login('kadis.kominfo')
    delivery, = kadis('model.esurat.disposition.search', [
            ('letter', '=', letter_id), ('kind', '=', 'delivery')],
        0, None, None)
    _dispose(kadis, delivery, "Kepala Bidang Aplikasi Informatika")

    page = phone
    _login(page, esurat, 'kabid.aptika')
    page.locator('a.counter', has_text="belum dibaca").first.click()
    page.locator('.row a', has_text=subject).click()
    expect(page.locator('#state')).to_have_text("Dibaca")
    page.get_by_role('link', name="Lapor selesai").click()
    page.get_by_label("Laporan tindak lanjut").fill(
        "Data aplikasi sudah dikirim ke Kementerian.")
    page.get_by_label("Foto atau berkas").set_input_files(files=[{
                'name': 'foto-rapat.jpg', 'mimeType': 'image/jpeg',
                'buffer': _photo()}])
    page.screenshot(path=screenshots / 'issue12-7-lapor.png')
    page.get_by_role('button', name="Kirim laporan").click()
    expect(page.locator('#flash')).to_have_text(
        "Laporan terkirim; disposisi selesai.")
    expect(page.locator('#state')).to_have_text("Selesai")
    expect(page.locator('#report')).to_have_text(
        "Data aplikasi sudah dikirim ke Kementerian.")
    photo = page.get_by_role('link', name="foto-rapat.jpg")
    response = page.request.get(esurat.url + photo.get_attribute('href'))
    assert response.body()[:3] == b'\xff\xd8\xff', response.headers
    # Done: no action left on the item
    expect(page.locator('#actions')).to_have_count(0)
    page.screenshot(path=screenshots / 'issue12-8-selesai.png')
    item, = kadis('model.esurat.disposition.search_read', [
            ('letter', '=', letter_id), ('kind', '=', 'disposition')],
        0, None, None, ['state', 'report', 'done_as'])
    assert (item['state'], item['done_as']) == (
        'done', "Kepala Bidang Aplikasi Informatika"), item


def test_kasi_reads_the_return_note_and_resubmits(esurat, phone,
        screenshots):
    """The Kabid P2P returns a draft from the app with a note; the Kasi
    finds it under "konsep dikembalikan" with the note on top, completes
    its text and submits it again in the app, and the draft waits for the
    Kabid again without the old note, its new version highlighted"""
    subject = f"Edaran imunisasi kejar {secrets.token_hex(3)}"
    kasi = esurat.login('kasi.surveilans')
    signer, = kasi('model.esurat.position.search',
        [('name', '=', "Kepala Dinas Kesehatan")], 0, None, None)
    letter_type, = kasi('model.esurat.letter.type.search',
        [('code', '=', 'surat_dinas')], 0, 1, None)
    classification, = kasi('model.esurat.classification.search',
        [('code', '=', '500.12')], 0, 1, None)
    outgoing_id, = kasi('model.esurat.outgoing.create', [{
                'signer_position': signer,
                'letter_type': letter_type,
                'classification': classification,
                'subject': subject,
                'body': "Dengan hormat,\n\nDimohon pelaksanaan imunisasi "
                "kejar.\n\nDemikian disampaikan.",
                'recipients': [['create', [
                                {'kind': 'internal', 'position': signer}]]],
                }])
    kasi('model.esurat.outgoing.submit', [outgoing_id])
    note = "Lengkapi jadwal dan sasaran <per puskesmas>"

    page = phone
    draft = f'{esurat.url}/{esurat.database}/m/konsep/{outgoing_id}'
    _login(page, esurat, 'kabid.p2p')
    page.goto(draft)
    page.locator('#return summary').click()
    page.get_by_label("Catatan untuk konseptor").fill(note)
    page.get_by_role('button', name="Kembalikan konsep").click()
    expect(page.locator('#flash')).to_contain_text("Konsep dikembalikan")
    _logout(page)

    _login(page, esurat, 'kasi.surveilans')
    page.locator('a.counter', has_text="konsep dikembalikan").click()
    page.locator('.row a', has_text=subject).click()
    expect(page.locator('#return-note')).to_have_text(note)
    expect(page.locator('#returned h2')).to_contain_text(
        "Kepala Bidang Pencegahan")
    page.screenshot(path=screenshots / 'issue12-9-dikembalikan.png')
    # He completes the text as asked and submits it again, in the app
    page.get_by_role('link', name="Ubah teks").click()
    body = page.get_by_label("Isi surat")
    body.fill(body.input_value().replace(
            "Demikian disampaikan.",
            "Jadwal dan sasaran per puskesmas terlampir.\n\n"
            "Demikian disampaikan."))
    page.screenshot(path=screenshots / 'issue12-10-ubah-konsep.png')
    page.get_by_role('button', name="Simpan teks").click()
    expect(page.locator('#flash')).to_have_text("Teks disimpan.")
    page.get_by_role('button', name="Ajukan").click()
    expect(page.locator('#flash')).to_contain_text(
        "Konsep diajukan; menunggu Kepala Bidang Pencegahan")
    expect(page.locator('#returned')).to_have_count(0)
    expect(page.locator('#actions')).to_have_count(0)
    expect(page.locator('#route')).to_contain_text("Menunggu")
    expect(page.locator('#route')).not_to_contain_text("Dikembalikan")
    # The new version, its added words highlighted
    expect(page.locator('#versions details[open] ins')).to_contain_text(
        "sasaran per puskesmas terlampir")
    _logout(page)
    p2p = esurat.login('kabid.p2p')
    waiting = p2p('model.esurat.outgoing.approval.search_read', [
            ('outgoing', '=', outgoing_id), ('state', '=', 'pending')],
        0, None, None, ['kind'])
    assert [w['kind'] for w in waiting] == ['initial'], waiting
    versions = p2p('model.esurat.outgoing.version.search_read', [
            ('outgoing', '=', outgoing_id)], 0, None, [('number', 'ASC')],
        ['body', 'author'])
    assert [v['author'] for v in versions] == [kasi.user_id] * 2, versions
    assert "per puskesmas terlampir" in versions[-1]['body'], versions


def _act_as(page, title):
    "Switch on the home page to the position whose title matches title"
    option = page.locator('#switch option', has_text=re.compile(title))
    page.get_by_label("Bertindak sebagai").select_option(
        option.get_attribute('value'))
    page.get_by_role('button', name="Ganti").click()


def test_plh_switches_the_position_acted_as(esurat, phone, screenshots):
    """The Plh Kepala Dinas Kesehatan acts as the Kepala Dinas, then as
    himself again; the inbox says as whom"""
    page = phone
    _login(page, esurat, 'kabid.yankes')
    _act_as(page, r'^Plh\. Kepala Dinas Kesehatan')
    # Only the position acted as on the home page, then its inbox
    expect(page.locator('section.position h2')).to_have_count(1)
    expect(page.locator('section.position h2')).to_contain_text(
        "Plh. Kepala Dinas Kesehatan")
    page.locator('a.counter', has_text="perlu ditindaklanjuti").click()
    expect(page.locator('#acting')).to_have_text(
        "Plh. Kepala Dinas Kesehatan")
    page.screenshot(path=screenshots / 'issue12-10-plh.png')
    page.goto(f'{esurat.url}/{esurat.database}/m/')
    _act_as(page, r'^Kepala Bidang Pelayanan Kesehatan')
    expect(page.locator('section.position h2')).to_contain_text(
        "Kepala Bidang Pelayanan Kesehatan")
    page.locator('a.counter', has_text="perlu ditindaklanjuti").click()
    expect(page.locator('#acting')).to_have_text(
        "Kepala Bidang Pelayanan Kesehatan")
