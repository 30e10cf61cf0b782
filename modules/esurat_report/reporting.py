# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Figures of e-Surat per agency, month and position, computed by the
database (Tryton's reporting pattern, as sale's reporting): each model is
an SQL query over facts, one row per registered letter, inbox item, draft,
signature and delivery, aggregated per key; records are never read."""
import datetime

from dateutil.relativedelta import relativedelta
from sql import Cast, Column, Literal, Null, Union, Window
from sql.aggregate import Aggregate, Count, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import (
    CurrentTimestamp, DateTrunc, Extract, Function, Round, RowNumber)
from sql.operators import Concat

from trytond import backend
from trytond.i18n import lazy_gettext
from trytond.model import ModelSQL, ModelView, fields
from trytond.modules.esurat_base.unit import AGENCY_KINDS
from trytond.modules.esurat_disposition.disposition import OPEN_STATES
from trytond.pool import Pool
from trytond.pyson import Eval, If, PYSONEncoder
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

# The columns of a fact: counts are 0 or 1 (returns: how many), times are
# seconds, null where they do not apply
KEYS = ['agency', 'position', 'unit']
COUNTS = [
    'letters', 'items', 'items_read', 'done', 'open', 'overdue', 'due',
    'on_time', 'drafted', 'signed', 'returns', 'internal', 'email',
    'printed']
TIMES = ['read_time', 'done_time', 'signature_time']


class PercentileCont(Aggregate):
    "PostgreSQL's continuous percentile, an ordered-set aggregate"
    __slots__ = ()
    _sql = 'PERCENTILE_CONT'


class JulianDay(Function):
    __slots__ = ()
    _function = 'JULIANDAY'


def _seconds(end, start):
    "Whole seconds from start to end, the same on both databases"
    if backend.name == 'postgresql':
        return Round(Extract('EPOCH', end - start))
    return Round((JulianDay(end) - JulianDay(start)) * 86400)


def _one(condition):
    return Case((condition, 1), else_=0)


def _date(expression):
    "The day of a date or timestamp column"
    return fields.Date("Date").sql_cast(expression)


class Context(ModelView):
    __name__ = 'esurat.report.context'
    __string__ = "e-Surat Reporting Context"

    agency = fields.Many2One(
        'esurat.unit', "Agency",
        domain=[('kind', 'in', list(AGENCY_KINDS))],
        help="Leave empty for every agency you may see.")
    from_date = fields.Date(
        "From Date",
        domain=[
            If(Eval('to_date') & Eval('from_date'),
                ('from_date', '<=', Eval('to_date')),
                ()),
            ])
    to_date = fields.Date(
        "To Date",
        domain=[
            If(Eval('from_date') & Eval('to_date'),
                ('to_date', '>=', Eval('from_date')),
                ()),
            ])
    period = fields.Selection([
            ('month', "Month"),
            ('year', "Year"),
            ], "Period", required=True)

    @classmethod
    def default_agency(cls):
        return Transaction().context.get('agency')

    @classmethod
    def default_from_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        context = Transaction().context
        if 'from_date' in context:
            return context['from_date']
        # The current month and the eleven before it
        return Date.today().replace(day=1) - relativedelta(months=11)

    @classmethod
    def default_to_date(cls):
        pool = Pool()
        Date = pool.get('ir.date')
        return Transaction().context.get('to_date', Date.today())

    @classmethod
    def default_period(cls):
        return Transaction().context.get('period', 'month')


class Abstract(ModelSQL):
    "Figures of facts grouped by the keys of the model"

    agency = fields.Many2One(
        'esurat.unit', lazy_gettext('esurat_report.msg_agency'))

    # (field, time column, fraction)
    _percentiles = []

    @classmethod
    def _sources(cls):
        return [cls._letters, cls._items, cls._drafts, cls._signatures,
            cls._deliveries]

    @classmethod
    def _fact(cls, table, id_, where, **values):
        "A select of the fact columns, 0 or null for those not given"
        columns = [id_.as_('id')]
        for name in KEYS:
            columns.append(Cast(values.get(name, Null), 'INTEGER').as_(name))
        columns.append(values['date'].as_('date'))
        for name in COUNTS:
            columns.append(values.get(name, Literal(0)).as_(name))
        for name in TIMES:
            columns.append(
                Cast(values.get(name, Null), cls._time_type()).as_(name))
        return table.select(*columns, where=where)

    @classmethod
    def _time_type(cls):
        return 'DOUBLE PRECISION' if backend.name == 'postgresql' else 'REAL'

    @classmethod
    def _letters(cls, length, index):
        "Incoming letters, in their agency, on the day they were registered"
        pool = Pool()
        Letter = pool.get('esurat.letter')
        Unit = pool.get('esurat.unit')
        letter = Letter.__table__()
        unit = Unit.__table__()
        return cls._fact(
            letter.join(unit, condition=letter.unit == unit.id),
            letter.id * length + index,
            letter.agenda_date != Null,
            agency=unit.agency, date=_date(letter.agenda_date),
            letters=Literal(1))

    @classmethod
    def _items(cls, length, index):
        """Deliveries and dispositions, in the agency of the position they
        went to (the unit itself above the agencies: the regional head's
        items count for the Pemda), on the day they were sent"""
        pool = Pool()
        Date = pool.get('ir.date')
        Disposition = pool.get('esurat.disposition')
        Position = pool.get('esurat.position')
        Unit = pool.get('esurat.unit')
        item = Disposition.__table__()
        position = Position.__table__()
        unit = Unit.__table__()
        open_ = item.state.in_(OPEN_STATES)
        answered = item.responded_at != Null
        # Judged against its target (esurat_report's service levels) once
        # answered or past it
        due = (item.service_due != Null) & (
            answered | (item.service_due < Date.today()))
        return cls._fact(
            item.join(position, condition=item.to_position == position.id)
            .join(unit, condition=position.unit == unit.id),
            item.id * length + index,
            item.state != 'recalled',
            agency=Coalesce(unit.agency, unit.id), position=position.id,
            unit=position.unit,
            date=_date(item.create_date),
            items=Literal(1),
            items_read=_one(item.read_at != Null),
            done=_one(item.state == 'done'),
            open=_one(open_),
            overdue=_one(open_ & (item.deadline < Date.today())),
            due=_one(due),
            on_time=_one(due & answered
                & (_date(item.responded_at) <= item.service_due)),
            read_time=_seconds(item.read_at, item.create_date),
            done_time=_seconds(item.done_at, item.create_date))

    @classmethod
    def _outgoing_agency(cls):
        """The outgoing letters joined to the agency of their signer (the
        unit itself above the agencies), as esurat.outgoing's unit"""
        pool = Pool()
        Outgoing = pool.get('esurat.outgoing')
        Position = pool.get('esurat.position')
        Unit = pool.get('esurat.unit')
        outgoing = Outgoing.__table__()
        position = Position.__table__()
        unit = Unit.__table__()
        from_item = (outgoing
            .join(position,
                condition=outgoing.signer_position == position.id)
            .join(unit, condition=position.unit == unit.id))
        return from_item, outgoing, Coalesce(unit.agency, unit.id)

    @classmethod
    def _drafts(cls, length, index):
        "Outgoing letters on the day they were drafted"
        from_item, outgoing, agency = cls._outgoing_agency()
        return cls._fact(
            from_item, outgoing.id * length + index, Literal(True),
            agency=agency, date=_date(outgoing.create_date),
            drafted=Literal(1))

    @classmethod
    def _signatures(cls, length, index):
        """Signed letters on the day they were signed, with the time since
        their last submission (the first step's reception: a submission
        starts the route again) and how often they were returned (the
        transitions back to draft in the activity log)"""
        pool = Pool()
        Approval = pool.get('esurat.outgoing.approval')
        Log = pool.get('ir.model.log')
        Signature = pool.get('esurat.signature')
        from_item, outgoing, agency = cls._outgoing_agency()
        signature = Signature.__table__()
        approval = Approval.__table__()
        log = Log.__table__()
        submitted = approval.select(
            approval.outgoing, Min(approval.received_at).as_('at'),
            group_by=[approval.outgoing])
        returned = log.select(
            log.resource, Count(log.id).as_('count'),
            where=(log.event == 'transition')
            & (log.target == 'state:draft')
            & log.resource.like('esurat.outgoing,%'),
            group_by=[log.resource])
        from_item = (from_item
            .join(signature, condition=outgoing.signature == signature.id)
            .join(submitted, 'LEFT',
                condition=submitted.outgoing == outgoing.id)
            .join(returned, 'LEFT',
                condition=returned.resource == Concat(
                    'esurat.outgoing,', outgoing.id)))
        return cls._fact(
            from_item, outgoing.id * length + index, Literal(True),
            agency=agency, date=_date(signature.signed_at),
            signed=Literal(1), returns=Coalesce(returned.count, 0),
            signature_time=_seconds(signature.signed_at, submitted.at))

    @classmethod
    def _deliveries(cls, length, index):
        "Recipients of signed letters on the day of the signature"
        pool = Pool()
        Recipient = pool.get('esurat.outgoing.recipient')
        Signature = pool.get('esurat.signature')
        from_item, outgoing, agency = cls._outgoing_agency()
        recipient = Recipient.__table__()
        signature = Signature.__table__()
        from_item = (from_item
            .join(recipient, condition=recipient.outgoing == outgoing.id)
            .join(signature, condition=outgoing.signature == signature.id))
        return cls._fact(
            from_item, recipient.id * length + index, Literal(True),
            agency=agency, date=_date(signature.signed_at),
            internal=_one(recipient.delivery_state == 'delivered'),
            email=_one(recipient.delivery_state == 'emailed'),
            printed=_one(recipient.delivery_state.in_(
                    ['to_print', 'printed'])))

    @classmethod
    def _keys(cls, facts):
        "{name: expression over the facts} of the columns grouped by"
        return {'agency': facts.agency}

    @classmethod
    def _column_id(cls, table):
        return table.agency

    @classmethod
    def _where(cls, facts):
        context = Transaction().context
        where = facts.agency != Null
        if context.get('from_date'):
            where &= facts.date >= context['from_date']
        if context.get('to_date'):
            where &= facts.date <= context['to_date']
        if context.get('agency'):
            where &= facts.agency == context['agency']
        return where

    @classmethod
    def table_query(cls):
        sources = cls._sources()
        facts = Union(
            *(s(len(sources), i) for i, s in enumerate(sources)), all_=True)
        keys = cls._keys(facts)
        columns = [Column(facts, n) for n in ['id', *COUNTS, *TIMES]]
        columns += [k.as_(n) for n, k in keys.items()]
        if backend.name != 'postgresql':
            columns += cls._ranks(facts, list(keys.values()))
        inner = facts.select(*columns, where=cls._where(facts))
        group_by = [Column(inner, n) for n in keys]
        return inner.select(
            cls._column_id(inner).as_('id'),
            Literal(0).as_('create_uid'),
            CurrentTimestamp().as_('create_date'),
            cls.write_uid.sql_cast(Literal(Null)).as_('write_uid'),
            cls.write_date.sql_cast(Literal(Null)).as_('write_date'),
            *cls._key_columns(inner),
            *(Sum(Column(inner, n)).as_(n) for n in cls._counts()),
            *(cls._percentile(inner, time, fraction).as_(name)
                for name, time, fraction in cls._percentiles),
            group_by=group_by)

    @classmethod
    def _key_columns(cls, inner):
        return [inner.agency.as_('agency')]

    @classmethod
    def _counts(cls):
        return [n for n in COUNTS if n in cls._fields]

    @classmethod
    def _ranks(cls, facts, partition):
        """For each time, the rank of the fact among those of its group
        (nulls last) and how many of them have one: what _percentile needs
        on a database without ordered-set aggregates (SQLite)"""
        columns = []
        for time in {t for _, t, _ in cls._percentiles}:
            value = Column(facts, time)
            columns.append(RowNumber(window=Window(
                        partition, order_by=[value == Null, value])
                    ).as_(f'{time}_rank'))
            columns.append(Count(value, window=Window(partition))
                .as_(f'{time}_count'))
        return columns

    @classmethod
    def _percentile(cls, inner, time, fraction):
        """The percentile of the time in hours, interpolated between the
        closest ranks as PostgreSQL's percentile_cont does"""
        value = Column(inner, time)
        if backend.name == 'postgresql':
            return PercentileCont(Literal(fraction), within=[value]) / 3600
        rank = Column(inner, f'{time}_rank')
        position = (Column(inner, f'{time}_count') - 1) * fraction
        lower = Cast(position, 'INTEGER') + 1
        weight = position - Cast(position, 'INTEGER')
        return Sum(Case(
                (rank == lower, value * (Literal(1) - weight)),
                (rank == lower + 1, value * weight))) / 3600


class FiguresMixin:
    "The figures of an agency, over the context's dates or per period"
    __slots__ = ()

    letters = fields.Integer(
        lazy_gettext('esurat_report.msg_letters'),
        help=lazy_gettext('esurat_report.msg_letters_help'))
    items = fields.Integer(
        lazy_gettext('esurat_report.msg_items'),
        help=lazy_gettext('esurat_report.msg_items_help'))
    items_read = fields.Integer(lazy_gettext('esurat_report.msg_read'))
    done = fields.Integer(lazy_gettext('esurat_report.msg_done'))
    overdue = fields.Integer(
        lazy_gettext('esurat_report.msg_overdue'),
        help=lazy_gettext('esurat_report.msg_overdue_help'))
    due = fields.Integer(
        lazy_gettext('esurat_report.msg_due'),
        help=lazy_gettext('esurat_report.msg_due_help'))
    on_time = fields.Integer(
        lazy_gettext('esurat_report.msg_on_time'),
        help=lazy_gettext('esurat_report.msg_on_time_help'))
    # Side by side: closing everything late, or the few closed on time,
    # each looks good alone
    close_rate = fields.Function(fields.Float(
            lazy_gettext('esurat_report.msg_close_rate'), digits=(16, 4),
            help=lazy_gettext('esurat_report.msg_close_rate_help')),
        'get_rate')
    on_time_rate = fields.Function(fields.Float(
            lazy_gettext('esurat_report.msg_on_time_rate'), digits=(16, 4),
            help=lazy_gettext('esurat_report.msg_on_time_rate_help')),
        'get_rate')
    read_median = fields.Float(
        lazy_gettext('esurat_report.msg_read_median'), digits=(16, 1))
    read_p90 = fields.Float(
        lazy_gettext('esurat_report.msg_read_p90'), digits=(16, 1))
    done_median = fields.Float(
        lazy_gettext('esurat_report.msg_done_median'), digits=(16, 1))
    done_p90 = fields.Float(
        lazy_gettext('esurat_report.msg_done_p90'), digits=(16, 1))
    drafted = fields.Integer(lazy_gettext('esurat_report.msg_drafted'))
    signed = fields.Integer(lazy_gettext('esurat_report.msg_signed'))
    signature_median = fields.Float(
        lazy_gettext('esurat_report.msg_signature_median'), digits=(16, 1),
        help=lazy_gettext('esurat_report.msg_signature_median_help'))
    returns = fields.Integer(lazy_gettext('esurat_report.msg_returns'))
    returns_per_letter = fields.Function(fields.Float(
            lazy_gettext('esurat_report.msg_returns_per_letter'),
            digits=(16, 2)),
        'get_returns_per_letter')
    internal = fields.Integer(lazy_gettext('esurat_report.msg_internal'))
    email = fields.Integer(lazy_gettext('esurat_report.msg_email'))
    printed = fields.Integer(lazy_gettext('esurat_report.msg_printed'))

    _percentiles = [
        ('read_median', 'read_time', 0.5),
        ('read_p90', 'read_time', 0.9),
        ('done_median', 'done_time', 0.5),
        ('done_p90', 'done_time', 0.9),
        ('signature_median', 'signature_time', 0.5),
        ]

    def get_returns_per_letter(self, name):
        if self.signed:
            return self.returns / self.signed

    def get_rate(self, name):
        part, whole = {
            'close_rate': (self.done, self.items),
            'on_time_rate': (self.on_time, self.due),
            }[name]
        if whole:
            return part / whole


class Agency(FiguresMixin, Abstract, ModelView):
    __name__ = 'esurat.report.agency'
    __string__ = "Figures per Agency"

    time_series = fields.One2Many(
        'esurat.report.agency.time_series', 'agency',
        lazy_gettext('esurat_report.msg_time_series'))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order.insert(0, ('agency', 'ASC'))

    def get_rec_name(self, name):
        return self.agency.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('agency.rec_name', *clause[1:])]


class AgencyTimeseries(FiguresMixin, Abstract, ModelView):
    __name__ = 'esurat.report.agency.time_series'
    __string__ = "Figures per Agency and Period"

    date = fields.Date(lazy_gettext('esurat_report.msg_date'))

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('date', 'DESC'), ('agency', 'ASC'), ('id', 'ASC')]

    @classmethod
    def _keys(cls, facts):
        period = Transaction().context.get('period', 'month')
        if period not in {'month', 'year'}:
            period = 'month'
        return {
            **super()._keys(facts),
            'period': DateTrunc(period, facts.date),
            }

    @classmethod
    def _column_id(cls, table):
        return Min(table.id)

    @classmethod
    def _key_columns(cls, inner):
        return super()._key_columns(inner) + [
            cls.date.sql_cast(inner.period).as_('date')]

    def get_rec_name(self, name):
        return f'{self.agency.rec_name} {self.date:%m/%Y}'


class Position(Abstract, ModelView):
    __name__ = 'esurat.report.position'
    __string__ = "Figures per Position"

    position = fields.Many2One(
        'esurat.position', lazy_gettext('esurat_report.msg_position'))
    unit = fields.Many2One(
        'esurat.unit', lazy_gettext('esurat_report.msg_unit'))
    items = fields.Integer(lazy_gettext('esurat_report.msg_items_received'))
    open = fields.Integer(lazy_gettext('esurat_report.msg_open'))
    overdue = fields.Integer(
        lazy_gettext('esurat_report.msg_overdue'),
        help=lazy_gettext('esurat_report.msg_overdue_help'))
    done_median = fields.Float(
        lazy_gettext('esurat_report.msg_done_median'), digits=(16, 1))

    _percentiles = [('done_median', 'done_time', 0.5)]

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [('overdue', 'DESC'), ('open', 'DESC'), ('id', 'ASC')]

    @classmethod
    def _sources(cls):
        return [cls._items]

    @classmethod
    def _keys(cls, facts):
        return {
            'position': facts.position,
            'agency': facts.agency,
            'unit': facts.unit,
            }

    @classmethod
    def _column_id(cls, table):
        return table.position

    @classmethod
    def _key_columns(cls, inner):
        return [inner.position.as_('position'), inner.agency.as_('agency'),
            inner.unit.as_('unit')]

    def get_rec_name(self, name):
        return self.position.rec_name

    @classmethod
    def search_rec_name(cls, name, clause):
        return [('position.rec_name', *clause[1:])]


class OpenItems(Wizard):
    """Open the inbox items behind a row of figures, through
    esurat.disposition and its own record rules"""
    __name__ = 'esurat.report.open_items'
    __string__ = "Open Dispositions"

    start = StateAction('esurat_disposition.act_disposition_form')

    def _domain(self):
        pool = Pool()
        TimeSeries = pool.get('esurat.report.agency.time_series')
        context = Transaction().context
        record = self.record
        domain = [('state', '!=', 'recalled')]
        from_date, to_date = context.get('from_date'), context.get('to_date')
        if isinstance(record, TimeSeries):
            delta = (relativedelta(years=1)
                if context.get('period') == 'year'
                else relativedelta(months=1))
            from_date = max(filter(None, [from_date, record.date]))
            end = record.date + delta - datetime.timedelta(days=1)
            to_date = min(filter(None, [to_date, end]))
        if from_date:
            domain.append(('create_date', '>=',
                    datetime.datetime.combine(from_date, datetime.time())))
        if to_date:
            domain.append(('create_date', '<',
                    datetime.datetime.combine(
                        to_date + datetime.timedelta(days=1),
                        datetime.time())))
        if getattr(record, 'position', None):
            domain.append(('to_position', '=', record.position.id))
        else:
            domain.append(('to_position.unit.agency', '=', record.agency.id))
        return domain

    def do_start(self, action):
        action['pyson_domain'] = PYSONEncoder().encode(self._domain())
        action['name'] = f'{action["name"]} - {self.record.rec_name}'
        return action, {}


class OpenOverdue(OpenItems):
    "Open the overdue inbox items behind a row of figures"
    __name__ = 'esurat.report.open_overdue'
    __string__ = "Open Overdue Dispositions"

    def _domain(self):
        return super()._domain() + [('overdue', '=', True)]
