# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""What the pages of the phone app ask the server, as the logged-in user.

Every method runs in the user's transaction with access checks on, so the
record rules of letters, dispositions and outgoing letters decide what is
counted, listed and shown; nothing here reads around them."""
import datetime
import re
import unicodedata

from trytond.model import Model
from trytond.modules.esurat_disposition.disposition import OPEN_STATES
from trytond.pool import Pool
from trytond.transaction import Transaction

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
    def counters(cls, position_ids):
        """For each position: unread, to do and overdue items, waiting for
        my initials or signature and my drafts returned to me"""
        pool = Pool()
        Disposition = pool.get('esurat.disposition')
        Approval = pool.get('esurat.outgoing.approval')
        Outgoing = pool.get('esurat.outgoing')
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
        result['returned'] = Outgoing.search_count(cls.returned_domain())
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
