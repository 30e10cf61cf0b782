# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the pages of the phone app ask the server, as the logged-in user.

Every method runs in the user's transaction with access checks on, so the
record rules of letters, dispositions and outgoing letters decide what is
counted, listed and shown; nothing here reads around them."""
import datetime
import difflib
import re
import unicodedata

from trytond.exceptions import UserError
from trytond.model import Model
from trytond.modules.esurat_disposition.disposition import OPEN_STATES
from trytond.pool import Pool
from trytond.transaction import Transaction, without_check_access

# The inbox tabs of sao's "My Inbox" (esurat_disposition's disposition.xml)
TABS = {
    'unread': [('unread', '=', True)],
    'todo': [('state', 'in', ['read', 'in_progress'])],
    'overdue': [('overdue', '=', True)],
    'done': [('state', '=', 'done')],
    'all': [],
    }
PAGE_SIZE = 20
# The abbreviations officials type for the words of position names
ABBREVIATIONS = {
    'kadis': 'kepala dinas',
    'sekdis': 'sekretaris dinas',
    'kabid': 'kepala bidang',
    'kabag': 'kepala bagian',
    'kasi': 'kepala seksi',
    'kasubag': 'kepala sub bagian',
    'kasubbag': 'kepala sub bagian',
    'sekda': 'sekretaris daerah',
    'kaban': 'kepala badan',
    }
# The versions of a draft shown with their changes, the latest first
VERSIONS_SHOWN = 5
INBOX_FIELDS = [
    'letter', 'letter_subject', 'letter_sender', 'letter_agenda_number',
    'letter_received_date', 'letter_sender_number', 'from_title', 'kind',
    'is_copy', 'to_position', 'unread', 'state', 'deadline', 'overdue',
    'urgency.name', 'urgency.code', 'create_date',
    ]


def normalize(text):
    "Lower case words without accents or punctuation, abbreviations expanded"
    text = unicodedata.normalize('NFKD', text or '').lower()
    text = ''.join(c for c in text if not unicodedata.combining(c))
    words = re.findall(r'\w+', text)
    return ' '.join(ABBREVIATIONS.get(w, w) for w in words)


def word_changes(before, after):
    """The text after as [(kind, text)] runs: 'same', 'del' (words of before
    it no longer has) and 'ins' (words it added), word by word"""
    old = re.findall(r'\s+|\S+', before or '')
    new = re.findall(r'\s+|\S+', after or '')
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    result = []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == 'equal':
            result.append(('same', ''.join(new[j1:j2])))
            continue
        if i2 > i1:
            result.append(('del', ''.join(old[i1:i2])))
        if j2 > j1:
            result.append(('ins', ''.join(new[j1:j2])))
    return result


class Mobile(Model):
    __name__ = 'esurat.mobile'
    __string__ = "Phone App"

    @classmethod
    def positions(cls):
        """The positions the user holds or acts for today, each with the
        title they act as ("Plh. Kepala Dinas Kesehatan")"""
        pool = Pool()
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        result = []
        for position in Position.browse(User.get_esurat_positions()):
            result.append({
                    'id': position.id,
                    'title': User.acting_title(position),
                    'kind': User.acting_kind(position),
                    'unit': position.unit.short_name or position.unit.name,
                    })
        return result

    @classmethod
    def inbox_domain(cls, position_ids, tab='all', query=None):
        domain = [
            ('to_position', 'in', position_ids),
            ('state', '!=', 'recalled'),
            TABS[tab],
            ]
        query = (query or '').strip()
        if query:
            like = f'%{query}%'
            domain.append(['OR',
                    ('letter.search_text', 'ilike', query),
                    ('letter.sender', 'ilike', like),
                    ('letter.agenda_number', 'ilike', like),
                    ('letter.sender_number', 'ilike', like),
                    ('from_title', 'ilike', like),
                    ])
        return domain

    @classmethod
    def home_links(cls):
        """Other work waiting for the user, shown on the home page: a list
        of dicts with path (under the app), count and label; other modules
        add theirs"""
        return []

    @classmethod
    def counters(cls, position_ids):
        """For each position: unread, to do and overdue items, waiting for
        my initials or signature and my drafts returned to me"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Approval = pool.get('esurat.outgoing.approval')
        Outgoing = pool.get('esurat.outgoing')
        ModelAccess = pool.get('ir.model.access')
        result = {}
        for position_id in position_ids:
            counts = result[position_id] = {}
            for tab in ['unread', 'todo', 'overdue']:
                counts[tab] = Disposition.search_count(
                    cls.inbox_domain([position_id], tab))
            for kind in ['initial', 'sign']:
                counts[kind] = Approval.search_count([
                        ('position', '=', position_id),
                        ('state', '=', 'pending'),
                        ('kind', '=', kind),
                        ('outgoing.state', '=', 'in_approval'),
                        ])
        # Someone without an e-Surat role (an RT head of Portal Emas) has
        # no drafts, and may not even ask
        result['returned'] = (
            Outgoing.search_count(cls.returned_domain())
            if ModelAccess.check(
                Outgoing.__name__, 'read', raise_exception=False)
            else 0)
        return result

    @classmethod
    def waiting(cls, position_ids, kind):
        """The steps of kind ('initial' or 'sign') waiting for
        position_ids, the longest waiting first, with their letter"""
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        approvals = Approval.search([
                ('position', 'in', position_ids),
                ('state', '=', 'pending'),
                ('kind', '=', kind),
                ('outgoing.state', '=', 'in_approval'),
                ], order=[('received_at', 'ASC NULLS LAST'), ('id', 'ASC')],
            limit=PAGE_SIZE)
        return Approval.read([a.id for a in approvals], [
                'waited', 'position.name', 'outgoing.subject',
                'outgoing.drafter.name', 'outgoing.urgency.name'])

    @classmethod
    def returned(cls):
        """My drafts returned to me, each with the latest return note"""
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        Outgoing = pool.get('esurat.outgoing')
        outgoings = Outgoing.search(cls.returned_domain(), limit=PAGE_SIZE)
        notes = {}
        for approval in Approval.search([
                    ('outgoing', 'in', [o.id for o in outgoings]),
                    ('state', '=', 'returned'),
                    ], order=[('acted_at', 'ASC'), ('id', 'ASC')]):
            notes[approval.outgoing.id] = approval
        return [(o, notes.get(o.id)) for o in outgoings]

    @classmethod
    def returned_domain(cls):
        return [
            ('drafter', '=', Transaction().user),
            ('state', '=', 'draft'),
            ('approvals.state', '=', 'returned'),
            ]

    @classmethod
    def inbox(cls, position_ids, tab='all', query=None, page=0):
        """(rows, more): one page of the items of position_ids in the
        order of sao's inbox (unread, urgency, deadline), and whether
        another page follows"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        items = Disposition.search(
            cls.inbox_domain(position_ids, tab, query),
            offset=page * PAGE_SIZE, limit=PAGE_SIZE + 1)
        rows = Disposition.read(
            [i.id for i in items[:PAGE_SIZE]], INBOX_FIELDS)
        return rows, len(items) > PAGE_SIZE

    @classmethod
    def item(cls, disposition_id):
        """The item the user opens, marked read when it is theirs (as the
        Open Disposition wizard of sao does), or None when the user may not
        read it"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        items = Disposition.search([('id', '=', disposition_id)], limit=1)
        if not items:
            return None
        item, = items
        if item.state == 'sent' and not Transaction().readonly:
            Disposition.mark_read([item])
            item = Disposition(item.id)
        return item

    @classmethod
    def tracking(cls, letter_id):
        "The items of the letter the user may see, in the order they came"
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        return Disposition.search(
            [('letter', '=', letter_id)],
            order=[('create_date', 'ASC'), ('id', 'ASC')])

    @classmethod
    def recipients(cls, item):
        """The positions the user may dispose the item to, each with the
        words it is found by: its name, its unit, their abbreviations and
        its holders' names"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Position = pool.get('esurat.position')
        allowed = Disposition.allowed_targets(item.to_position)
        # allowed_targets reads without access checks: what is shown of
        # them is read as the user
        rows = Position.read(
            [p.id for p in allowed],
            ['name', 'level', 'holder_names', 'unit.short_name',
                'unit.name'])
        result = []
        for row in rows:
            unit = row['unit.'] or {}
            short = unit.get('short_name') or unit.get('name') or ''
            words = normalize(' '.join([
                        row['name'], short, unit.get('name') or '',
                        row['holder_names'] or '']))
            result.append({
                    'id': row['id'],
                    'name': row['name'],
                    'unit': short,
                    'holders': row['holder_names'] or '',
                    'words': words,
                    })
        return result

    @classmethod
    def match(cls, recipients, query):
        "The recipients whose words contain every word of query"
        words = normalize(query).split()
        return [r for r in recipients
            if all(w in r['words'] for w in words)]

    @classmethod
    def deadline_picks(cls, today=None):
        "The quick picks of the deadline: (label, date)"
        today = today or datetime.date.today()
        friday = today + datetime.timedelta(days=(4 - today.weekday()) % 7)
        return [
            ("Hari ini", today),
            ("Besok", today + datetime.timedelta(days=1)),
            ("3 hari", today + datetime.timedelta(days=3)),
            ("Jumat", friday),
            ("1 minggu", today + datetime.timedelta(days=7)),
            ]

    @classmethod
    def is_open(cls, item):
        return item.state in OPEN_STATES

    # Outgoing letters ------------------------------------------------------

    @classmethod
    def outgoing(cls, outgoing_id):
        """The outgoing letter the user may read, content included (a
        rahasia letter only for the people on it), or None"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        outgoings = Outgoing.search([('id', '=', outgoing_id)], limit=1)
        if not outgoings or Outgoing.hidden_outgoing_ids({outgoing_id}):
            return None
        return outgoings[0]

    @classmethod
    def route(cls, outgoing):
        "The approval steps of outgoing, in their order, read as the user"
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        approvals = Approval.search([('outgoing', '=', outgoing.id)])
        return Approval.read([a.id for a in approvals], [
                'sequence', 'kind', 'state', 'position', 'position.name',
                'received_at', 'acted_at', 'acted_as', 'note', 'waited'])

    @classmethod
    def latest_return(cls, steps):
        "The step of route steps that returned the draft last, or None"
        returned = [s for s in steps if s['state'] == 'returned']
        return max(returned, key=lambda s: (s['acted_at'], s['id']),
            default=None)

    @classmethod
    def my_step(cls, steps):
        """The pending step of route steps the user initials or signs (not
        as an assistant), or None; the buttons check it again"""
        pool = Pool()
        Position = pool.get('esurat.position')
        User = pool.get('res.user')
        for step in steps:
            if step['state'] == 'pending':
                position = Position(step['position'])
                if User.may_approve_as(position):
                    return dict(step, title=User.acting_title(position))

    @classmethod
    def is_drafter(cls, outgoing):
        return bool(
            outgoing.drafter and outgoing.drafter.id == Transaction().user)

    @classmethod
    def may_edit(cls, outgoing, mine):
        """Whether the app offers the user to edit outgoing's text (mine:
        the user's pending step): its drafter while it is a draft, the
        approver whose turn it is while in approval (esurat_signing keeps
        their change as a version); the write checks again"""
        if outgoing.state == 'draft':
            return cls.is_drafter(outgoing)
        return outgoing.state == 'in_approval' and bool(mine)

    @classmethod
    def may_submit(cls, outgoing):
        "Whether the app offers the user to submit outgoing: its drafter's"
        return outgoing.state == 'draft' and cls.is_drafter(outgoing)

    @classmethod
    def versions(cls, outgoing):
        """The latest versions of outgoing's text, the latest first, each
        with its word changes from the version before it"""
        pool = Pool()
        Version = pool.get('esurat.outgoing.version')
        versions = Version.search([('outgoing', '=', outgoing.id)],
            order=[('number', 'DESC')], limit=VERSIONS_SHOWN + 1)
        rows = Version.read([v.id for v in versions], [
                'number', 'subject', 'body', 'author_as', 'author.name',
                'event', 'create_date'])
        rows.sort(key=lambda r: r['number'], reverse=True)

        def text(row):
            return f"{row['subject']}\n\n{row['body']}"
        for row, before in zip(rows, rows[1:] + [None]):
            row['changes'] = (
                word_changes(text(before), text(row)) if before else None)
        return rows[:VERSIONS_SHOWN]

    # Threads ---------------------------------------------------------------

    @classmethod
    def thread(cls, record):
        """The entries of record's chat thread, oldest first, or None when
        the user may not read it (a rahasia letter's for anyone not on it)"""
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        try:
            # As sao's RPC call: the channel checks the access itself
            with without_check_access():
                return Channel.get(str(record))
        except UserError:
            return None

    @classmethod
    def post(cls, record, content):
        "Post content to record's thread as the user"
        pool = Pool()
        Channel = pool.get('ir.chat.channel')
        with without_check_access():
            Channel.post(str(record), content, audience='internal')

    @classmethod
    def letter_item(cls, letter_id):
        """The item of letter_id the user opens from a notification: the
        latest one to a position of theirs, else the latest one they may
        read, or None"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        User = pool.get('res.user')
        domain = [('letter', '=', letter_id), ('state', '!=', 'recalled')]
        order = [('create_date', 'DESC'), ('id', 'DESC')]
        items = Disposition.search(domain + [
                ('to_position', 'in', User.get_esurat_positions())],
            order=order, limit=1)
        if not items:
            items = Disposition.search(domain, order=order, limit=1)
        return items[0] if items else None
