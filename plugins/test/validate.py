# -*- coding: utf-8 -*-
# Copyright: voiceops.platform maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Jinja tests for the roles' tasks/validate.yml rules: a port, a number within bounds."""

from __future__ import annotations

import math


def _number(value, integer=False):
    """The value as a finite int/float, or None (bools, non-numbers, NaN, inf)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        number = value
    else:
        text = str(value).strip()
        try:
            number = int(text)
        except ValueError:
            if integer:
                return None
            try:
                number = float(text)
            except ValueError:
                return None
    if isinstance(number, float):
        if not math.isfinite(number):
            return None
        if integer:
            if not number.is_integer():
                return None
            number = int(number)
    return number


def port(value):
    """True for an integer TCP/UDP port, 1-65535."""
    number = _number(value, integer=True)
    return number is not None and 1 <= number <= 65535


def between(value, low, high):
    """True for a finite number with low <= value <= high."""
    number = _number(value)
    return number is not None and low <= number <= high


def integer_between(value, low, high):
    """True for an integer with low <= value <= high."""
    number = _number(value, integer=True)
    return number is not None and low <= number <= high


class TestModule:
    """voiceops.platform.port, .between, .integer_between."""

    def tests(self):
        return {
            "port": port,
            "between": between,
            "integer_between": integer_between,
        }
