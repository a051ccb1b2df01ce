# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""capacity_plan: the two worked examples of its documentation, and main()."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voiceops.platform.plugins.modules import capacity_plan

DEFAULTS = dict(
    calls_per_day=0, chats_per_day=0, busy_hour_share=0.1, avg_call_duration_s=180, blocking=0.01,
    expected_peak_calls=None, codec='g711', codec_payload_kbps=None, ptime_ms=20, srtp=False, legs_per_call=2,
    ports_per_call=4, media_servers=[], spare_media_servers=0, link_capacity_mbps=None, recording=True,
    recording_kbps=32, recorded_share=1.0, retention_days=30, recording_disk_free_gb=None, lb_listener_limit=None,
    lb_signalling_listeners=1, lb_ports_per_user=2, planned_users=None, fail_on='failure')

SEED = dict(calls_per_day=400000, chats_per_day=100000, busy_hour_share=0.10, avg_call_duration_s=25,
            expected_peak_calls=[250, 350],
            media_servers=[{'name': 'telephony-1', 'rtp_port_min': 10000, 'rtp_port_max': 50000}],
            recording_disk_free_gb=2000)


def params(**overrides):
    result = dict(DEFAULTS)
    result.update(overrides)
    return result


def seed(**overrides):
    result = params(**SEED)
    result.update(overrides)
    return result


def by_name(checks):
    return dict((c['name'], c) for c in checks)


def test_worked_example_1_webitel_seed():
    plan, media, checks = capacity_plan.compute_plan(seed())
    assert plan['busy_hour_erlangs'] == 277.78
    assert plan['peak_simultaneous_calls'] == 301
    assert plan['rtp_ports_needed_per_media_server'] == 1204
    assert plan['stream_kbps'] == 87.2
    assert plan['bandwidth_mbps_per_direction'] == 52.49
    assert plan['recording_gb_per_day'] == 40.0
    assert plan['recording_gb_retention'] == 1200.0
    assert plan['busy_hour_chats'] == 10000.0
    assert media[0]['rtp_ports_configured'] == 40001 and media[0]['status'] == 'pass'
    assert all(c['status'] == 'pass' for c in checks)
    assert set(by_name(checks)) == {'expected_peak_calls', 'rtp_port_range', 'recording_storage'}


def test_seed_with_three_minute_calls_disagrees():
    _plan, _media, checks = capacity_plan.compute_plan(seed(avg_call_duration_s=180))
    check = by_name(checks)['expected_peak_calls']
    assert check['status'] == 'fail' and check['measured'] == 2028
    assert 'outside the planned range' in check['message']


def test_worked_example_2_rocketchat_nlb():
    plan, _media, checks = capacity_plan.compute_plan(params(lb_listener_limit=50, planned_users=24, recording=False))
    assert plan['lb_users_served'] == 24
    assert by_name(checks)['lb_listener_limit']['status'] == 'pass'
    _plan, _media, checks = capacity_plan.compute_plan(params(lb_listener_limit=50, planned_users=30, recording=False))
    check = by_name(checks)['lb_listener_limit']
    assert check['status'] == 'fail'
    assert 'floor((50 listeners - 1 signalling) / 2 ports per user) = 24 users' in check['message']
    assert 'at most 24 users' in check['fix']


def test_lb_without_planned_users_is_reported():
    _plan, _media, checks = capacity_plan.compute_plan(params(lb_listener_limit=50))
    assert by_name(checks)['lb_listener_limit']['status'] == 'pass'
    _plan, _media, checks = capacity_plan.compute_plan(params(lb_listener_limit=1))
    assert by_name(checks)['lb_listener_limit']['status'] == 'warn'


def test_rtp_range_too_small():
    servers = [{'name': 'rtp-1', 'rtp_port_min': 20000, 'rtp_port_max': 20046}]
    _plan, media, checks = capacity_plan.compute_plan(seed(media_servers=servers))
    check = by_name(checks)['rtp_port_range']
    assert check['status'] == 'fail' and check['measured'] == 47 and check['required'] == '>= 1204'
    assert check['subject'] == 'rtp-1'
    assert 'widen the RTP range of rtp-1 to at least 1204 ports (e.g. 20000-21203)' == check['fix']
    assert media[0]['calls_capacity'] == 11


def test_spares_and_bandwidth():
    servers = [{'name': 'a', 'rtp_port_min': 10000, 'rtp_port_max': 20000},
               {'name': 'b', 'rtp_port_min': 10000, 'rtp_port_max': 20000}]
    plan, _media, checks = capacity_plan.compute_plan(seed(media_servers=servers, link_capacity_mbps=40))
    assert plan['calls_per_media_server'] == 151
    assert by_name(checks)['media_bandwidth']['status'] == 'pass'
    plan, _media, checks = capacity_plan.compute_plan(
        seed(media_servers=servers, spare_media_servers=1, link_capacity_mbps=40))
    assert plan['calls_per_media_server'] == 301
    assert by_name(checks)['media_bandwidth']['status'] == 'fail'


def test_recording_disk_and_codecs():
    _plan, _media, checks = capacity_plan.compute_plan(seed(recording_disk_free_gb=500))
    assert by_name(checks)['recording_storage']['status'] == 'fail'
    plan, _media, _checks = capacity_plan.compute_plan(seed(recording=False, codec='g729'))
    assert plan['recording_gb_per_day'] == 0 and plan['stream_kbps'] == 31.2
    plan, _media, _checks = capacity_plan.compute_plan(seed(codec='opus', codec_payload_kbps=24))
    assert plan["stream_kbps"] == pytest.approx(47.2)  # (60 + 58 B) x 50 x 8


def test_single_expected_value():
    _plan, _media, checks = capacity_plan.compute_plan(seed(expected_peak_calls=[300]))
    assert by_name(checks)['expected_peak_calls']['status'] == 'fail'


@pytest.mark.parametrize('bad', [dict(blocking=0), dict(busy_hour_share=2)])
def test_invalid_input(bad):
    with pytest.raises(ValueError):
        capacity_plan.compute_plan(seed(**bad))


@pytest.mark.parametrize('bad,named', [
    (dict(expected_peak_calls=[1, 2, 3]), 'expected_peak_calls has 3 values'),
    (dict(media_servers=[{'name': 'x', 'rtp_port_min': 5, 'rtp_port_max': 1}]),
     'media_servers[0].rtp_port_max=1 is below media_servers[0].rtp_port_min=5'),
    (dict(spare_media_servers=1), 'spare_media_servers=1 leaves none of the 1 media_servers active'),
    (dict(calls_per_day=100000000, busy_hour_share=1, avg_call_duration_s=86400),
     'calls_per_day x busy_hour_share x avg_call_duration_s / 3600 = 2400000000.0 Erlang'),
])
def test_option_problems(bad, named):
    problems = capacity_plan.option_problems(seed(**bad))
    assert len(problems) == 1 and problems[0].startswith(named)
    assert capacity_plan.option_problems(seed()) == []


def test_main_pass(run_module):
    result, failed = run_module(capacity_plan, dict(SEED))
    assert not failed and result['changed'] is False
    assert result['plan']['peak_simultaneous_calls'] == 301 and result['verdict'] == 'pass'


def test_main_fail_and_never(run_module):
    args = dict(lb_listener_limit=50, planned_users=30, recording=False)
    result, failed = run_module(capacity_plan, args)
    assert failed and 'lb_listener_limit' in result['msg'] and '24 users' in result['msg']
    result, failed = run_module(capacity_plan, dict(args, fail_on='never'))
    assert not failed and result['verdict'] == 'fail' and len(result['failures']) == 1


def test_main_bad_input(run_module):
    result, failed = run_module(capacity_plan, dict(blocking=1.5))
    assert failed and 'blocking' in result['msg']
