# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""capacity_plan over its whole option space (hypothesis), and the bad values measured in issue 9."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy
import math
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

import option_space as space

from ansible_collections.voiceops.platform.plugins.modules import capacity_plan as module

NAME = 'capacity_plan'
OPTIONS = space.documented_options(module)
NAMES = space.option_names(OPTIONS)
BASE = {'media_servers': [{'name': 'telephony-1', 'rtp_port_min': 10000, 'rtp_port_max': 50000}], 'fail_on': 'never'}
ARGS = space.arguments(OPTIONS, module.RULES)
VALID_ARGS = space.arguments(OPTIONS, module.RULES, valid=True)
# hypothesis examples per test
COUNTS = {'any': 200, 'valid': 150, 'refused': 150, 'accepted': 80}


@space.examples(COUNTS['any'])
@given(args=ARGS)
def test_any_arguments_keep_the_contract(args):
    result, failed, guard, cpu = space.run(module, args)
    check_result(args, space.check_contract(NAME, result, failed, guard, cpu, args, NAMES), result)


@space.examples(COUNTS['valid'])
@given(args=VALID_ARGS)
def test_valid_arguments_give_a_result(args):
    result, failed, guard, cpu = space.run(module, args)
    outcome = space.check_contract(NAME, result, failed, guard, cpu, args, NAMES)
    if outcome == 'refused':  # only what no single range can say
        assert re.search(r'(has \d+ values|is below|leaves none|Erlang needs)', result['msg']), result['msg']
    check_result(args, outcome, result)


def check_result(args, outcome, result):
    if outcome != 'refused':
        plan = result['plan']
        for key, value in plan.items():
            assert value is None or (math.isfinite(value) and value >= 0), (key, value)
        assert plan['rtp_ports_needed_per_media_server'] == plan['calls_per_media_server'] * module.RULES[
            'ports_per_call'].check('ports_per_call', args.get('ports_per_call', 4))[0]
        for server in result['media_servers']:
            assert server['rtp_ports_configured'] >= 1 and server['rtp_ports_needed'] >= 0


@space.examples(COUNTS['refused'])
@given(data=st.data())
def test_values_outside_the_range_are_refused(data):
    key = data.draw(st.sampled_from(sorted(module.RULES)))
    value = data.draw(space.out_of_range(module.RULES[key]))
    args = copy.deepcopy(BASE)
    if key == 'expected_peak_calls':
        args[key], path = [250, value], 'expected_peak_calls[1]'
    else:
        path = space.set_path(args, key, value)
    result, failed, _guard, _cpu = space.run(module, args)
    assert failed and result['msg'].startswith('%s: %s=' % (NAME, path)), result.get('msg')
    assert 'checks' not in result


@space.examples(COUNTS['accepted'])
@given(data=st.data())
def test_values_inside_the_range_are_accepted(data):
    key = data.draw(st.sampled_from(sorted(module.RULES)))
    value = data.draw(space.in_range(module.RULES[key]))
    args = copy.deepcopy(BASE)
    path = space.set_path(args, key, [value] if key == 'expected_peak_calls' else value)
    result, failed, _guard, _cpu = space.run(module, args)
    if failed:
        assert not re.search(r'%s(\[0\])?=\S+ (is out of range|is not)' % re.escape(path), result['msg'])


@pytest.mark.parametrize('args,msg', [
    # issue 9: silently wrong results and tracebacks
    (dict(ports_per_call=-4), 'ports_per_call=-4 is out of range; set it to an integer from 1 to 16.'),
    (dict(ports_per_call=0), 'ports_per_call=0 is out of range; set it to an integer from 1 to 16.'),
    (dict(avg_call_duration_s=float('inf')), 'avg_call_duration_s=inf is not a finite number; set it to a number '
                                             'from 1 to 86400.'),
    (dict(avg_call_duration_s='inf'), "avg_call_duration_s='inf' is not a number; set it to a number from 1 to "
                                      "86400."),
    (dict(spare_media_servers=-1), 'spare_media_servers=-1 is out of range; set it to an integer from 0 to 100.'),
    (dict(lb_ports_per_user=0, lb_listener_limit=50), 'lb_ports_per_user=0 is out of range; set it to an integer '
                                                      'from 1 to 16.'),
    (dict(ports_per_call=float('inf')), 'ports_per_call=inf is not a finite number; set it to an integer from 1 '
                                        'to 16.'),
    (dict(ports_per_call=2.5), 'ports_per_call=2.5 is not a whole number; set it to an integer from 1 to 16.'),
    (dict(ports_per_call=True), 'ports_per_call=True is a boolean, not a number; set it to an integer from 1 to 16.'),
    (dict(calls_per_day='1e999999999'), "calls_per_day='1e999999999' is not a finite number; set it to an "
                                        "integer from 0 to 100000000."),
    (dict(recording_disk_free_gb=10 ** 400), 'recording_disk_free_gb=1000000000000000000000000000000000000... '
                                             'is out of range; set it to a number from 0 to 1000000000.'),
    (dict(media_servers=[{'name': 'a', 'rtp_port_min': 0, 'rtp_port_max': 10}]),
     'media_servers[0].rtp_port_min=0 is out of range; set it to an integer from 1 to 65535.'),
    (dict(expected_peak_calls=[250, float('nan')]), 'expected_peak_calls[1]=nan is not a finite number'),
])
def test_issue_cases(args, msg):
    result, failed, guard, _cpu = space.run(module, args)
    assert failed and 'checks' not in result and not guard.network
    assert result['msg'].startswith('%s: %s' % (NAME, msg)), result['msg']
    assert len(result['problems']) == 1


def test_every_bad_value_is_listed_at_once():
    result, failed, _guard, _cpu = space.run(module, dict(ports_per_call=0, blocking=2, retention_days=-1))
    assert failed and [p.split('=')[0] for p in result['problems']] == ['blocking', 'ports_per_call', 'retention_days']
