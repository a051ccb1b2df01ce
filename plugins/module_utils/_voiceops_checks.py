# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check records shared by the voiceops preflight modules (private API).

Every preflight module returns a list of checks built by make_check(): one
record per requirement with the measured value, the requirement, a verdict
and the fix, so that the preflight role can aggregate and report them the same
way for every module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

PASS = 'pass'
WARN = 'warn'
FAIL = 'fail'
SKIP = 'skip'

STATUSES = (PASS, WARN, FAIL, SKIP)
_RANK = {SKIP: 0, PASS: 1, WARN: 2, FAIL: 3}

FAIL_ON_CHOICES = ['failure', 'warning', 'never']


def make_check(name, status, measured=None, required=None, message='', fix='', subject=None):
    """Return one check record; status is pass, warn, fail or skip."""
    if status not in STATUSES:
        raise ValueError('unknown check status %r' % (status,))
    check = {
        'name': name,
        'status': status,
        'measured': measured,
        'required': required,
        'message': message,
        'fix': fix,
    }
    if subject is not None:
        check['subject'] = subject
    return check


def worst_status(statuses):
    """The most severe of a list of statuses (pass when the list is empty)."""
    worst = PASS
    for status in statuses:
        if _RANK[status] > _RANK[worst]:
            worst = status
    return worst


def summarize(checks):
    """Overall verdict and the failed / warning checks of a list of checks.

    The verdict is skip when nothing was checked (no checks, or only skipped
    ones): an empty check list never passes.
    """
    failures = [c for c in checks if c['status'] == FAIL]
    warnings = [c for c in checks if c['status'] == WARN]
    checked = [c['status'] for c in checks if c['status'] != SKIP]
    return {
        'verdict': worst_status(checked) if checked else SKIP,
        'failures': failures,
        'warnings': warnings,
    }


def should_fail(checks, fail_on):
    """Whether the module must fail given its checks and the fail_on option."""
    if fail_on == 'never':
        return False
    statuses = [c['status'] for c in checks]
    if fail_on == 'warning':
        return FAIL in statuses or WARN in statuses
    if fail_on == 'failure':
        return FAIL in statuses
    raise ValueError('fail_on must be one of %s' % ', '.join(FAIL_ON_CHOICES))


def failure_message(checks, prefix=''):
    """One human readable line per failed or warning check, for fail_json."""
    lines = []
    for check in checks:
        if check['status'] not in (FAIL, WARN):
            continue
        subject = ' [%s]' % check['subject'] if check.get('subject') else ''
        line = '%s%s: %s' % (check['name'], subject, check['message'])
        if check.get('required') is not None:
            line += ' (measured %s, required %s)' % (check.get('measured'), check['required'])
        if check.get('fix'):
            line += '; fix: %s' % check['fix']
        lines.append('%s: %s' % (check['status'].upper(), line))
    return (prefix + '; '.join(lines)) if lines else prefix.rstrip(': ')
