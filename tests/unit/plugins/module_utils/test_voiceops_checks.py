# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_checks as checks


def test_make_check():
    check = checks.make_check('memory', 'fail', 512, '>= 1024 MiB', 'MemTotal', 'add memory', subject='db-1')
    assert check == {'name': 'memory', 'status': 'fail', 'measured': 512, 'required': '>= 1024 MiB',
                     'message': 'MemTotal', 'fix': 'add memory', 'subject': 'db-1'}
    assert 'subject' not in checks.make_check('x', 'pass')


def test_make_check_rejects_unknown_status():
    with pytest.raises(ValueError):
        checks.make_check('x', 'ok')


def test_worst_status():
    assert checks.worst_status([]) == 'pass'
    assert checks.worst_status(['skip']) == 'pass'
    assert checks.worst_status(['pass', 'warn', 'skip']) == 'warn'
    assert checks.worst_status(['warn', 'fail', 'pass']) == 'fail'


def test_summarize():
    items = [checks.make_check('a', 'pass'), checks.make_check('b', 'warn'), checks.make_check('c', 'fail')]
    summary = checks.summarize(items)
    assert summary['verdict'] == 'fail'
    assert [c['name'] for c in summary['failures']] == ['c']
    assert [c['name'] for c in summary['warnings']] == ['b']
    # nothing checked never passes
    assert checks.summarize([])['verdict'] == 'skip'
    assert checks.summarize([checks.make_check('a', 'skip')])['verdict'] == 'skip'
    assert checks.summarize([checks.make_check('a', 'skip'), checks.make_check('b', 'pass')])['verdict'] == 'pass'


@pytest.mark.parametrize('statuses,fail_on,expected', [
    (['pass', 'warn'], 'failure', False),
    (['pass', 'fail'], 'failure', True),
    (['pass', 'warn'], 'warning', True),
    (['pass', 'skip'], 'warning', False),
    (['fail'], 'never', False),
])
def test_should_fail(statuses, fail_on, expected):
    assert checks.should_fail([checks.make_check('x', s) for s in statuses], fail_on) is expected


def test_should_fail_rejects_unknown():
    with pytest.raises(ValueError):
        checks.should_fail([], 'sometimes')


def test_failure_message():
    items = [
        checks.make_check('memory', 'fail', 512, '>= 1024 MiB', 'MemTotal', 'add memory', subject='db-1'),
        checks.make_check('cpu_steal', 'warn', 9.5, '<= 5 %', 'noisy neighbour', ''),
        checks.make_check('os', 'pass', 'Debian 12', 'Debian 12', 'ok', ''),
    ]
    text = checks.failure_message(items, 'host: ')
    assert text.startswith('host: FAIL: memory [db-1]: MemTotal (measured 512, required >= 1024 MiB); fix: add memory')
    assert 'WARN: cpu_steal: noisy neighbour (measured 9.5, required <= 5 %)' in text
    assert 'os:' not in text
    assert checks.failure_message([items[2]], 'host: ') == 'host'
