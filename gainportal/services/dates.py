from __future__ import annotations

import calendar
from datetime import date, timedelta

from flask import current_app

from gainportal.db import utcnow


def today() -> date:
    return utcnow().date()


def add_months(start: date, months: int) -> date:
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def default_retention_date() -> date:
    return today() + timedelta(days=current_app.config["SETTINGS"].retention_default_days)


def working_days_between(start: date, end: date) -> int:
    days, step = 0, start
    while step < end:
        step += timedelta(days=1)
        if step.weekday() < 5:
            days += 1
    return days
