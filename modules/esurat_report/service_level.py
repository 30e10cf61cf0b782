# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Response targets of the inbox items and the escalation of late ones"""
import datetime
from collections import defaultdict

from sql import Null

from trytond.model import (
    Index, ModelSQL, ModelView, Unique, fields, sequence_ordered)
from trytond.modules.esurat_base.access import ClientWriteMixin
from trytond.modules.esurat_base.holiday import working_window
from trytond.modules.esurat_base.position import LEVELS
from trytond.modules.esurat_disposition.disposition import OPEN_STATES
from trytond.pool import Pool, PoolMeta
from trytond.transaction import without_check_access

# The escalation steps and their order: to the superior of the late
# position, then to the head of its agency
STEPS = {'superior': 1, 'head': 2}


class ServiceLevel(
        ClientWriteMixin, sequence_ordered(), ModelSQL, ModelView):
    """How many working days an inbox item has to be answered, by urgency
    and by the level of the position it goes to; the first that matches
    applies"""
    __name__ = 'esurat.report.service.level'
    __string__ = "Service Level"

    name = fields.Char("Name", required=True, translate=True)
    urgency = fields.Many2One(
        'esurat.letter.urgency', "Urgency", ondelete='CASCADE',
        help="Leave empty for every urgency.")
    position_level = fields.Selection(
        [(None, "")] + LEVELS, "Recipient Level", sort=False,
        help="Leave empty for every level.")
    days = fields.Integer(
        "Working Days", required=True,
        domain=[('days', '>', 0)],
        help="From the day the item is sent to its answer: done, or "
        "disposed further.")
    superior_delay = fields.Integer(
        "Escalate to the Superior After", required=True,
        domain=[('superior_delay', '>=', 0)],
        help="Working days past the target.")
    head_delay = fields.Integer(
        "Escalate to the Agency Head After", required=True,
        domain=[('head_delay', '>=', 0)],
        help="Working days after the escalation to the superior.")

    @classmethod
    def default_superior_delay(cls):
        return 1

    @classmethod
    def default_head_delay(cls):
        return 2

    def match(self, urgency, position_level):
        return ((not self.urgency or self.urgency == urgency)
            and (not self.position_level
                or self.position_level == position_level))


class Disposition(metaclass=PoolMeta):
    __name__ = 'esurat.disposition'

    service_level = fields.Many2One(
        'esurat.report.service.level', "Service Level", readonly=True,
        ondelete='SET NULL')
    service_due = fields.Date(
        "Target Date", readonly=True,
        help="The deadline given, else the service level's working days "
        "from the day it was sent.")
    responded_at = fields.DateTime(
        "Answered At", readonly=True,
        help="When it was done or first disposed further.")
    late = fields.Function(
        fields.Boolean("Late"), 'get_late', searcher='search_late')
    escalation_level = fields.Integer("Escalation Level", readonly=True)
    escalations = fields.One2Many(
        'esurat.disposition.escalation', 'disposition', "Escalations",
        readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        # The escalation cron's search: the late items only
        cls._sql_indexes.add(
            Index(t, (t.service_due, Index.Range()),
                where=t.state.in_(OPEN_STATES) & (t.responded_at == Null)))

    @classmethod
    def default_escalation_level(cls):
        return 0

    def get_late(self, name):
        return bool(self.service_due and not self.responded_at
            and self.state in OPEN_STATES
            and self.service_due < datetime.date.today())

    @classmethod
    def search_late(cls, name, clause):
        _, operator, value = clause
        late = [
            ('state', 'in', list(OPEN_STATES)),
            ('responded_at', '=', None),
            ('service_due', '<', datetime.date.today()),
            ]
        if (operator == '=') == bool(value):
            return late
        return ['OR',
            ('state', 'not in', list(OPEN_STATES)),
            ('responded_at', '!=', None),
            ('service_due', '=', None),
            ('service_due', '>=', datetime.date.today()),
            ]

    @classmethod
    def create(cls, vlist):
        vlist = [v.copy() for v in vlist]
        cls._set_targets(vlist)
        dispositions = super().create(vlist)
        # Disposing further answers the item disposed from
        cls._respond({d.parent for d in dispositions
                if d.kind == 'disposition' and d.parent})
        return dispositions

    @classmethod
    def _set_targets(cls, vlist):
        "Set the service level and target date of the items to create"
        pool = Pool()
        Date = pool.get('ir.date')
        Holiday = pool.get('esurat.holiday')
        Letter = pool.get('esurat.letter')
        Position = pool.get('esurat.position')
        ServiceLevel = pool.get('esurat.report.service.level')
        # What a client sends is refused on creation: left to that check
        vlist = [v for v in vlist if v.get('letter') and v.get('to_position')]
        if not vlist:
            return
        with without_check_access():
            levels = ServiceLevel.search([])
            letters = {l.id: l for l in Letter.browse(
                    list({v['letter'] for v in vlist}))}
            positions = {p.id: p for p in Position.browse(
                    list({v['to_position'] for v in vlist}))}
        today = Date.today()
        calendar = Holiday.calendar(*working_window(
                today, max((s.days for s in levels), default=0)))
        for values in vlist:
            urgency = letters[values['letter']].urgency
            level = positions[values['to_position']].level
            service_level = next(
                (s for s in levels if s.match(urgency, level)), None)
            values.setdefault(
                'service_level', service_level.id if service_level else None)
            if not values.get('service_due'):
                values['service_due'] = values.get('deadline') or (
                    calendar.add(today, service_level.days)
                    if service_level else None)

    @classmethod
    def done(cls, dispositions):
        super().done(dispositions)
        cls._respond(dispositions)

    @classmethod
    def _respond(cls, dispositions):
        "Record the first answer of dispositions"
        dispositions = [d for d in dispositions if not d.responded_at]
        if dispositions:
            with without_check_access():
                cls.write(dispositions, {
                        'responded_at': datetime.datetime.now()})

    @classmethod
    def escalate_late(cls, date=None):
        """Cron: tell the superior of the position holding a late item, and
        later the head of its agency, once each, after the delays of the
        item's service level"""
        pool = Pool()
        Date = pool.get('ir.date')
        Escalation = pool.get('esurat.disposition.escalation')
        Holiday = pool.get('esurat.holiday')
        Notification = pool.get('esurat.notification')
        today = date or Date.today()
        late = cls.search([
                ('state', 'in', list(OPEN_STATES)),
                ('responded_at', '=', None),
                ('service_due', '<', today),
                ('service_level', '!=', None),
                ('escalation_level', '<', STEPS['head']),
                ])
        if not late:
            return
        first = {e.disposition.id: e for e in Escalation.search([
                    ('disposition', 'in', [d.id for d in late]),
                    ('level', '=', 'superior'),
                    ])}
        calendar = Holiday.calendar(
            min(d.service_due for d in late), today)
        heads = {}
        escalations, notices = [], []
        raised = defaultdict(list)
        for disposition in late:
            service_level = disposition.service_level
            days_late = calendar.between(disposition.service_due, today)
            position = disposition.to_position
            if not disposition.escalation_level:
                if days_late < service_level.superior_delay:
                    continue
                step, target = 'superior', position.reports_to
            else:
                previous = first.get(disposition.id)
                if previous and calendar.between(
                        previous.date, today) < service_level.head_delay:
                    continue
                agency = position.unit.agency
                if agency not in heads:
                    heads[agency] = agency.head_position() if agency else None
                step, target = 'head', heads[agency]
                # The head was told already or is late itself: the one
                # above the agency is
                if target and target in {
                        position, previous and previous.position}:
                    target = target.reports_to
            escalations.append({
                    'disposition': disposition.id,
                    'level': step,
                    'date': today,
                    'position': target.id if target else None,
                    'days_late': days_late,
                    })
            raised[STEPS[step]].append(disposition)
            if target:
                notices.append(Notification.notice(
                        f'esurat_report.msg_notify_escalation_{step}',
                        disposition, positions=[target],
                        position=position.rec_name, days=days_late,
                        due=disposition.service_due))
        Escalation.create(escalations)
        for level, dispositions in raised.items():
            cls.write(dispositions, {'escalation_level': level})
        Notification.send_batch(notices, exclude=0)


class Escalation(ClientWriteMixin, ModelSQL, ModelView):
    "A late item told to the superior of its position, or its agency head"
    __name__ = 'esurat.disposition.escalation'
    __string__ = "Disposition Escalation"

    disposition = fields.Many2One(
        'esurat.disposition', "Disposition", required=True, readonly=True,
        ondelete='CASCADE')
    level = fields.Selection([
            ('superior', "Superior"),
            ('head', "Agency Head"),
            ], "Level", required=True, readonly=True, sort=False)
    date = fields.Date("Date", required=True, readonly=True)
    position = fields.Many2One(
        'esurat.position', "Told", readonly=True, ondelete='RESTRICT',
        help="Empty when nobody is above the position.")
    days_late = fields.Integer(
        "Working Days Late", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__access__.add('disposition')
        t = cls.__table__()
        cls._order = [('date', 'ASC'), ('id', 'ASC')]
        cls._sql_constraints += [
            ('disposition_level_unique', Unique(t, t.disposition, t.level),
                'esurat_report.msg_escalation_unique'),
            ]
