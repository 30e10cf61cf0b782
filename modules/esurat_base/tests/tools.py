# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Helpers shared by the tests of e-Surat modules.

``create_org`` builds a small Kabupaten inside a test transaction: the
Setda, two agencies (Diskominfo and Dinkes) and their people.
"""
import datetime
import socket
import threading
from contextlib import contextmanager
from io import BytesIO
from types import SimpleNamespace

from trytond.pool import Pool
from trytond.transaction import Transaction, check_access


@contextmanager
def as_user(user):
    "Run as user with access checks, as a client call would"
    with Transaction().set_user(user.id), check_access():
        yield


def read_form(Model, ids):
    """Read what the form of Model shows, as the client does: its fields
    and the names of the records they link to"""
    names = []
    for name, field in Model.fields_view_get(
            view_type='form')['fields'].items():
        names.append(name)
        if field['type'] in {'many2one', 'one2one', 'reference'}:
            names.append(f'{name}.rec_name')
    return Model.read(ids, names)


def group(xml_id):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    return ModelData.get_id('esurat_base', xml_id)


def create_user(login, name, unit=None, groups=()):
    user, = create_users((login, name, unit, groups))
    return user


def create_users(*users):
    """The users of (login, name, unit, groups), created at once: each
    creation refreshes what every user holds and may access"""
    pool = Pool()
    User = pool.get('res.user')
    users = [
        User(login=login, name=name, esurat_unit=unit,
            groups=[group(g) for g in groups])
        for login, name, unit, groups in users]
    User.save(users)
    return users


def create_position(name, unit, level, reports_to=None, holder=None,
        kind='definitive', start=None):
    pool = Pool()
    Position = pool.get('esurat.position')
    Holding = pool.get('esurat.position.holding')
    position = Position(
        name=name, unit=unit, level=level, reports_to=reports_to)
    position.save()
    if holder:
        Holding(
            position=position, user=holder, kind=kind, state='approved',
            reason=None if kind == 'definitive' else 'vacancy',
            start_date=start or datetime.date(2024, 1, 1)).save()
    return position


def create_org():
    "Return a namespace with units, positions and users of a small Kabupaten"
    pool = Pool()
    Unit = pool.get('esurat.unit')
    o = SimpleNamespace()
    o.pemda = Unit(name="Pemerintah Kabupaten Uji", code='UJI', kind='pemda')
    o.pemda.save()
    o.setda = Unit(
        name="Sekretariat Daerah", code='000.SETDA', kind='setda',
        parent=o.pemda)
    o.setda.save()
    o.kominfo = Unit(
        name="Dinas Komunikasi dan Informatika", short_name="Diskominfo",
        code='500.12', kind='opd', parent=o.pemda)
    o.kominfo.save()
    o.bidang = Unit(
        name="Bidang Aplikasi Informatika", code='500.12.2',
        kind='division', parent=o.kominfo)
    o.bidang.save()
    o.dinkes = Unit(
        name="Dinas Kesehatan", short_name="Dinkes", code='400.7',
        kind='opd', parent=o.pemda)
    o.dinkes.save()

    (o.u_sekda, o.u_operator, o.u_kadis, o.u_kabid, o.u_staff, o.u_kadinkes,
        o.u_op_dinkes, o.u_superadmin) = create_users(
        ('sekda', "Sekda", o.setda, ['group_esurat_official']),
        ('op_kominfo', "Operator Kominfo", o.kominfo,
            ['group_esurat_opd_admin']),
        ('kadis_kominfo', "Kadis Kominfo", o.kominfo,
            ['group_esurat_official']),
        ('kabid_aptika', "Kabid Aptika", o.bidang, ['group_esurat_official']),
        ('staf_aptika', "Staf Aptika", o.bidang, ['group_esurat_staff']),
        ('kadis_kesehatan', "Kadis Kesehatan", o.dinkes,
            ['group_esurat_official']),
        ('op_dinkes', "Operator Dinkes", o.dinkes,
            ['group_esurat_opd_admin']),
        ('superadmin', "Super Admin", o.setda, ['group_esurat_admin']))

    o.p_bupati = create_position("Bupati", o.pemda, 'regional_head')
    o.p_sekda = create_position(
        "Sekretaris Daerah", o.setda, 'secretary', o.p_bupati, o.u_sekda)
    o.p_kadis = create_position(
        "Kepala Dinas", o.kominfo, 'agency_head', o.p_sekda, o.u_kadis)
    o.p_kabid = create_position(
        "Kepala Bidang Aptika", o.bidang, 'division_head', o.p_kadis,
        o.u_kabid)
    o.p_staff = create_position(
        "Pranata Komputer", o.bidang, 'staff', o.p_kabid, o.u_staff)
    o.p_kadinkes = create_position(
        "Kepala Dinas", o.dinkes, 'agency_head', o.p_sekda, o.u_kadinkes)
    return o


def add_kasi(org):
    "A Kasi between the Kabid and the staff of create_org's organisation"
    org.u_kasi = create_user(
        'kasi', "Kasi e-Gov", org.bidang, ['group_esurat_official'])
    org.p_kasi = create_position(
        "Kepala Seksi e-Gov", org.bidang, 'section_head', org.p_kabid,
        org.u_kasi)
    org.p_staff.reports_to = org.p_kasi
    org.p_staff.save()
    return org


def reference(xml_id):
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    return ModelData.get_id('esurat_base', xml_id)


def letter_values(unit, addressees=(), copies=(), **values):
    "Values to create an incoming letter of unit"
    recipients = [('create', [
                {'position': p.id, 'kind': 'to'} for p in addressees]
            + [{'position': p.id, 'kind': 'cc'} for p in copies])]
    result = {
        'unit': unit.id,
        'sender': "Kementerian Komunikasi dan Digital",
        'sender_number': 'B-100/KOMDIGI/2026',
        'sender_date': datetime.date.today() - datetime.timedelta(days=3),
        'received_date': datetime.date.today(),
        'subject': "Undangan rapat koordinasi SPBE",
        'summary': "Rapat koordinasi sistem pemerintahan berbasis elektronik",
        'classification': reference('classification_500_12'),
        'letter_type': reference('letter_type_surat_undangan'),
        'recipients': recipients,
        }
    result.update(values)
    return result


def pdf_bytes(pages=1, text="Surat"):
    "A real PDF made with reportlab"
    from reportlab.pdfgen import canvas
    buffer = BytesIO()
    pdf = canvas.Canvas(buffer)
    for page in range(pages):
        pdf.drawString(72, 770, f"{text} {page + 1}")
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def image_bytes(format='PNG', size=(60, 80), color='white'):
    from PIL import Image
    buffer = BytesIO()
    Image.new('RGB', size, color).save(buffer, format=format)
    return buffer.getvalue()


class SMTPServer:
    """A real SMTP server on loopback (aiosmtpd) that keeps what it gets.

    It answers each message after delay seconds, as a slow server does.
    Use as a context manager; ``uri`` is what ``[email] uri`` should be."""

    def __init__(self, delay=0):
        self.delay = delay
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        from email import message_from_bytes, policy
        await asyncio.sleep(self.delay)
        self.messages.append(
            message_from_bytes(envelope.content, policy=policy.default))
        return '250 OK'

    def __enter__(self):
        from aiosmtpd.controller import Controller
        self.controller = Controller(
            self, hostname='127.0.0.1', port=free_port())
        self.controller.start()
        self.uri = f'smtp://127.0.0.1:{self.controller.port}'
        return self

    def __exit__(self, *exc):
        self.controller.stop()


class SilentServer:
    """A server on loopback that accepts connections and never answers, as a
    hung mail server does.  It hangs up after hang_up seconds, so that a
    client without a timeout fails its test instead of hanging it.

    Use as a context manager; ``uri`` is what ``[email] uri`` should be."""

    def __init__(self, hang_up=10):
        self.hang_up = hang_up
        self.connections = []

    def __enter__(self):
        self.socket = socket.create_server(('127.0.0.1', 0))
        self.uri = f'smtp://127.0.0.1:{self.socket.getsockname()[1]}'
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()
        self.timer = threading.Timer(self.hang_up, self._hang_up)
        self.timer.start()
        return self

    def _accept(self):
        try:
            while True:
                self.connections.append(self.socket.accept()[0])
        except OSError:
            pass

    def _hang_up(self):
        for connection in self.connections:
            connection.close()

    def __exit__(self, *exc):
        self.timer.cancel()
        # shutdown wakes the blocked accept(), close alone does not
        self.socket.shutdown(socket.SHUT_RDWR)
        self.socket.close()
        self.thread.join()
        self._hang_up()


def free_port():
    "A loopback port where nothing listens (for a mail server that is down)"
    import socket
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def run_queue():
    "Run the tasks queued in the current transaction, as after a commit"
    pool = Pool()
    Queue = pool.get('ir.queue')
    transaction = Transaction()
    while transaction.tasks:
        Queue(transaction.tasks.pop()).run()


# The Indonesian rows of ir.translation that Lang.load_translations made,
# by the module data they were made on (_module_data_key): the tests load
# Indonesian in transactions that roll back, and importing the .po files
# again through the ORM costs 4 to 5 s each time where copying the rows it
# made costs milliseconds
_indonesian_rows = {}


def _module_data_key():
    "What the translations of the .po files depend on in the database"
    import hashlib
    pool = Pool()
    ModelData = pool.get('ir.model.data')
    Module = pool.get('ir.module')
    data = ModelData.__table__()
    module = Module.__table__()
    cursor = Transaction().connection.cursor()
    digest = hashlib.sha256()
    cursor.execute(*module.select(module.name,
            where=module.state == 'activated', order_by=module.name))
    digest.update(repr(cursor.fetchall()).encode())
    cursor.execute(*data.select(data.module, data.fs_id, data.model,
            data.db_id, data.noupdate, order_by=data.id))
    digest.update(repr(cursor.fetchall()).encode())
    return digest.hexdigest()


def load_indonesian():
    """Load the Indonesian translations of every activated module, as
    activating a module with trytond-admin -l id does; return the ir.lang

    The first load on some module data imports the .po files; a load on
    the same module data later (another test's transaction) inserts the
    rows that import made and clears the caches as their creation does."""
    pool = Pool()
    Lang = pool.get('ir.lang')
    Translation = pool.get('ir.translation')
    language, = Lang.search([('code', '=', 'id')])
    table = Translation.__table__()
    cursor = Transaction().connection.cursor()
    cursor.execute(*table.select(table.id, where=table.lang == 'id',
            limit=1))
    if cursor.fetchone():
        # Not the database the rows were made on
        Lang.load_translations([language])
        return language
    key = _module_data_key()
    if key not in _indonesian_rows:
        Lang.load_translations([language])
        cursor.execute(*table.select(
                where=table.lang == 'id', order_by=table.id))
        columns = [c[0] for c in cursor.description]
        _indonesian_rows[key] = (columns, cursor.fetchall())
        return language
    Lang.write([language], {'translatable': True})
    columns, rows = _indonesian_rows[key]
    keep = [i for i, c in enumerate(columns) if c != 'id']
    # Few enough parameters a statement for SQLite
    size = 900 // len(keep)
    for start in range(0, len(rows), size):
        cursor.execute(*table.insert(
                [getattr(table, columns[i]) for i in keep],
                [[row[i] for i in keep] for row in rows[start:start + size]]))
    type_ = columns.index('type')
    name = columns.index('name')
    Translation._translation_cache.clear()
    Translation._translation_report_cache.clear()
    Translation._clear_cache_for(
        {row[type_] for row in rows},
        {row[name].split(',')[0] for row in rows})
    return language
