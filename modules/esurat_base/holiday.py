# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime

from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.transaction import Transaction

from .access import ClientWriteMixin

ONE_DAY = datetime.timedelta(days=1)


class Holiday(ClientWriteMixin, ModelSQL, ModelView):
    """A day off on a weekday: a national holiday or a cuti bersama (the
    joint leave of the SKB of the three ministers), as the administrator
    enters them each year"""
    __name__ = 'esurat.holiday'
    __string__ = "Holiday"

    date = fields.Date("Date", required=True)
    name = fields.Char("Name", required=True)
    kind = fields.Selection([
            ('national', "National Holiday"),
            ('joint_leave', "Joint Leave"),
            ('regional', "Regional Holiday"),
            ], "Kind", required=True, sort=False)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._order.insert(0, ('date', 'DESC'))
        # The unique constraint's index also answers the range of a calendar
        cls._sql_constraints += [
            ('date_unique', Unique(t, t.date),
                'esurat_base.msg_holiday_date_unique'),
            ]

    @classmethod
    def default_kind(cls):
        return 'national'

    @classmethod
    def calendar(cls, start, end):
        "The working calendar from start to end, its holidays read at once"
        return WorkingCalendar(cls._holidays, start, end)

    @classmethod
    def _holidays(cls, start, end):
        "The holidays from start to end included, in one query"
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        cursor.execute(*table.select(table.date,
                where=(table.date >= start) & (table.date <= end)))
        return {d if isinstance(d, datetime.date)
            else datetime.date.fromisoformat(d) for d, in cursor}

    @classmethod
    def add_working_days(cls, date, days):
        """The day days working days after date (before it when days is
        negative), skipping Saturdays, Sundays and holidays"""
        return cls.calendar(*working_window(date, days)).add(date, days)

    @classmethod
    def working_days_between(cls, start, end):
        """How many working days come after start up to end included:
        add_working_days(start, n) is the n-th; 0 when end is not after
        start"""
        if end <= start:
            return 0
        return cls.calendar(start, end).between(start, end)


def working_window(date, days):
    "The (start, end) dates that days working days from date very likely span"
    # Two weeks of Lebaran holidays and cuti bersama fit; a longer run of
    # days off costs one query more
    span = datetime.timedelta(days=abs(days) * 7 // 5 + 21)
    return (date, date + span) if days >= 0 else (date - span, date)


class WorkingCalendar:
    """Working days from the holidays of a range, read once: counting the
    days of a whole batch of items costs one query. Dates outside the range
    read the holidays of what is missing."""

    def __init__(self, load, start, end):
        self._load = load
        self.start, self.end = start, end
        self.holidays = load(start, end)

    def _cover(self, date):
        if date < self.start:
            self.holidays |= self._load(date, self.start - ONE_DAY)
            self.start = date
        elif date > self.end:
            self.holidays |= self._load(self.end + ONE_DAY, date)
            self.end = date

    def is_working_day(self, date):
        self._cover(date)
        return date.weekday() < 5 and date not in self.holidays

    def add(self, date, days):
        "The day days working days after date (before it when negative)"
        step = ONE_DAY if days >= 0 else -ONE_DAY
        days = abs(days)
        while days:
            date += step
            if not self.start <= date <= self.end:
                # Past the range: read ahead for the days still to count
                self._cover(date + step * (days * 2 + 14))
            if self.is_working_day(date):
                days -= 1
        return date

    def between(self, start, end):
        "How many working days come after start up to end included"
        self._cover(start)
        self._cover(end)
        count, date = 0, start
        while date < end:
            date += ONE_DAY
            if self.is_working_day(date):
                count += 1
        return count
