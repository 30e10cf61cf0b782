# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime
import statistics

from sql import Literal, Null
from sql.aggregate import Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp

from trytond.model import ModelSQL, ModelView, fields
from trytond.pool import Pool
from trytond.transaction import Transaction

from .service import STAGE_KINDS


class RequestMonitor(ModelSQL, ModelView):
    """Citizens' requests per stage and place (Pasal 11(1)e, 13): what waits
    there, what is late against the service level, what was done, and how
    long the stage takes; counts only, never whose request it is"""
    __name__ = 'portal.request.monitor'
    __string__ = "Request Monitoring"

    kind = fields.Selection(STAGE_KINDS, "Stage", readonly=True, sort=False)
    unit = fields.Many2One(
        'esurat.unit', "Unit", readonly=True,
        help="The Kelurahan of an RT or RW, else the unit of the stage.")
    waiting = fields.Integer("Waiting", readonly=True)
    overdue = fields.Integer(
        "Overdue", readonly=True,
        help="Waiting after the due date of the service level.")
    approved = fields.Integer("Approved", readonly=True)
    returned = fields.Integer("Returned (Incomplete)", readonly=True)
    rejected = fields.Integer("Rejected", readonly=True)
    total = fields.Integer("Total", readonly=True)
    median_hours = fields.Function(
        fields.Float("Median Hours at the Stage", digits=(16, 1)),
        'get_median_hours')

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('waiting', 'DESC'), ('unit', 'ASC'), ('id', 'ASC')]

    @classmethod
    def _columns(cls):
        "The step, its request and area tables, and the row's place"
        pool = Pool()
        Step = pool.get('portal.request.step')
        Request = pool.get('portal.request')
        Area = pool.get('portal.area')
        step = Step.__table__()
        request = Request.__table__()
        area = Area.__table__()
        query = step.join(request, condition=step.request == request.id
            ).join(area, 'LEFT', condition=step.area == area.id)
        return query, step, request, Coalesce(step.unit, area.kelurahan)

    @classmethod
    def table_query(cls):
        query, step, request, place = cls._columns()
        waiting = step.state == 'waiting'
        today = datetime.date.today()

        def count(condition):
            return Sum(Case((condition, 1), else_=0))
        return query.select(
            Min(step.id).as_('id'),
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            cls.write_uid.sql_cast(Literal(Null)).as_('write_uid'),
            cls.write_date.sql_cast(Literal(Null)).as_('write_date'),
            step.kind.as_('kind'),
            place.as_('unit'),
            count(waiting).as_('waiting'),
            count(waiting & (request.due_date < today)).as_('overdue'),
            count(step.state == 'approved').as_('approved'),
            count(step.state == 'returned').as_('returned'),
            count(step.state == 'rejected').as_('rejected'),
            Count(step.id).as_('total'),
            where=step.state != 'skipped',
            group_by=[step.kind, place])

    @classmethod
    def get_median_hours(cls, rows, name):
        "From received to acted, of the steps acted on, one query for all"
        query, step, _, place = cls._columns()
        keys = {(r.kind, r.unit.id if r.unit else None): r.id for r in rows}
        hours = {i: [] for i in keys.values()}
        cursor = Transaction().connection.cursor()
        cursor.execute(*query.select(
                step.kind, place, step.received_at, step.acted_at,
                where=(step.acted_at != Null) & (step.received_at != Null)
                & fields.SQL_OPERATORS['in'](
                    step.kind, list({k for k, _ in keys}))))
        for kind, unit, received, acted in cursor:
            row = keys.get((kind, unit))
            if row is not None:
                if isinstance(received, str):
                    # SQLite returns the raw text of a joined timestamp
                    received = datetime.datetime.fromisoformat(received)
                    acted = datetime.datetime.fromisoformat(acted)
                hours[row].append((acted - received).total_seconds() / 3600)
        return {
            i: round(statistics.median(v), 1) if v else None
            for i, v in hours.items()}
