# This file is part of e-Surat. The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Official numbers (agenda and outgoing) built from a configurable pattern."""
from string import Formatter

ROMAN_MONTHS = (
    'I', 'II', 'III', 'IV', 'V', 'VI',
    'VII', 'VIII', 'IX', 'X', 'XI', 'XII')
PLACEHOLDERS = {
    'sequence', 'unit_code', 'year', 'month', 'month_roman',
    'classification'}


def format_number(pattern, *, sequence, unit_code, year, month,
        classification=''):
    """Return the number for pattern, e.g. '{sequence}/{unit_code}/{year}'.

    Only the documented placeholders are accepted (no attribute or index
    access), so an administrator's pattern cannot reach into Python objects.
    Raise KeyError or ValueError for an unusable pattern.
    """
    for _, name, _, _ in Formatter().parse(pattern):
        if name is not None and name not in PLACEHOLDERS:
            raise KeyError(name)
    return pattern.format(
        sequence=sequence,
        unit_code=unit_code or '',
        year=year,
        month=month,
        month_roman=ROMAN_MONTHS[month - 1],
        classification=classification or '')
