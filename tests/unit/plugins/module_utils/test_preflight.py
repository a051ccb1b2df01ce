# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_preflight as pf

CATALOGUE = {
    'telephony': [
        {'component': 'opensips', 'role': 'preflight', 'var': 'preflight_sip_port', 'proto': ['tcp', 'udp'],
         'exposure': 'public', 'processes': ['opensips']},
        {'component': 'rtpengine', 'role': 'rtpengine', 'var_min': 'rtpengine_port_min',
         'var_max': 'rtpengine_port_max', 'proto': 'udp', 'exposure': 'public', 'processes': ['rtpengine']},
        {'component': 'rtpengine', 'role': 'rtpengine', 'var': 'rtpengine_listen_ng_port', 'proto': 'udp',
         'exposure': 'private', 'address_var': 'rtpengine_listen_ng_address', 'processes': ['rtpengine']},
    ],
    'database': [
        {'component': 'rabbitmq', 'role': 'rabbitmq', 'var': 'rabbitmq_amqp_port', 'proto': 'tcp',
         'processes': ['beam.smp']},
        {'component': 'epmd', 'role': 'rabbitmq', 'port': 4369, 'proto': 'tcp', 'processes': ['epmd']},
        {'component': 'future', 'role': 'missing_role', 'var': 'missing_port', 'proto': 'tcp'},
    ],
    'all': [
        {'component': 'consul', 'role': 'consul', 'var': 'consul_serf_lan_port', 'proto': ['tcp', 'udp'],
         'processes': ['consul']},
    ],
}
DEFAULTS = {
    'rtpengine': {'rtpengine_port_min': 10000, 'rtpengine_port_max': 50000, 'rtpengine_listen_ng_port': 2223,
                  'rtpengine_listen_ng_address': '127.0.0.1'},
    'rabbitmq': {'rabbitmq_amqp_port': 5672},
    'consul': {'consul_serf_lan_port': 8301},
    'missing_role': None,
}


def test_ports_of_a_telephony_host_from_defaults():
    entries = pf.resolve_ports(CATALOGUE, ['telephony'], DEFAULTS, {'preflight_sip_port': 5060})
    specs = [e['spec'] for e in entries]
    assert specs == ['5060/tcp', '5060/udp', '10000-50000/udp', '2223/udp', '8301/tcp', '8301/udp']
    rtp = entries[2]
    assert (rtp['port_min'], rtp['port_max'], rtp['source']) == (10000, 50000, 'defaults of rtpengine')
    assert entries[3]['exposure'] == 'loopback'
    assert entries[0]['source'] == 'preflight variable'


def test_inventory_value_wins_over_the_role_default():
    entries = pf.resolve_ports(CATALOGUE, ['telephony'], DEFAULTS,
                               {'preflight_sip_port': '5080', 'rtpengine_port_min': 20000,
                                'rtpengine_port_max': '20046', 'rtpengine_listen_ng_address': '10.0.0.5'})
    specs = pf.port_specs(entries)
    assert '5080/udp' in specs and '20000-20046/udp' in specs
    ng = [e for e in entries if e['var'] == 'rtpengine_listen_ng_port'][0]
    assert ng['exposure'] == 'private'
    assert [e['source'] for e in entries if 'port_min' in e] == ['inventory']


def test_probe_specs_drop_loopback_ports():
    entries = pf.resolve_ports(CATALOGUE, ['telephony'], DEFAULTS, {'preflight_sip_port': 5060})
    assert '2223/udp' in pf.port_specs(entries)
    assert '2223/udp' not in pf.port_specs(entries, True)


def test_missing_role_is_skipped_and_reported():
    entries = pf.resolve_ports(CATALOGUE, ['database'], DEFAULTS, {})
    assert [e['spec'] for e in entries] == ['5672/tcp', '4369/tcp', '8301/tcp', '8301/udp']
    assert pf.missing_roles(CATALOGUE, ['database'], DEFAULTS) == ['missing_role']
    # A fixed port of a role that is not there is not checked either.
    entries = pf.resolve_ports(CATALOGUE, ['database'], {'rabbitmq': None}, {})
    assert [e['spec'] for e in entries] == []


def test_duplicates_merge_processes():
    catalogue = {'a': [{'role': 'r', 'var': 'p', 'processes': ['x']}],
                 'b': [{'role': 'r', 'var': 'p', 'processes': ['y']}]}
    entries = pf.resolve_ports(catalogue, ['a', 'b'], {'r': {'p': 1}}, {})
    assert len(entries) == 1 and entries[0]['processes'] == ['x', 'y']
    assert pf.expected_processes(entries) == ['x', 'y']


@pytest.mark.parametrize('value', ['abc', 0, 70000, '', [1]])
def test_malformed_port_values_are_rejected(value):
    with pytest.raises(ValueError):
        pf.resolve_ports({'all': [{'role': 'r', 'var': 'p'}]}, [], {'r': {'p': value}}, {})


def test_null_port_variable_is_not_checked():
    assert pf.resolve_ports({'all': [{'role': 'r', 'var': 'p'}]}, [], {'r': {'p': None}}, {}) == []


def test_inverted_range_is_rejected():
    with pytest.raises(ValueError, match='below'):
        pf.resolve_ports(CATALOGUE, ['telephony'], DEFAULTS,
                         {'preflight_sip_port': 5060, 'rtpengine_port_min': 30000, 'rtpengine_port_max': 20000})


def _check(name, status, **kw):
    check = {'name': name, 'status': status, 'measured': kw.get('measured'), 'required': kw.get('required'),
             'message': kw.get('message', ''), 'fix': kw.get('fix', '')}
    if 'subject' in kw:
        check['subject'] = kw['subject']
    return check


def test_aggregate_groups_identical_failures_and_formats_lines():
    hosts = {
        'h1': {'host_requirements': {'checks': [_check('memory', 'fail', measured=900, required='>= 1024 MiB',
                                                       message='MemTotal 900 MiB', fix='add memory')]}},
        'h2': {'host_requirements': {'checks': [_check('memory', 'fail', measured=900, required='>= 1024 MiB',
                                                       message='MemTotal 900 MiB', fix='add memory')]},
               'port_probe': {'checks': [_check('port_reachable', 'fail', measured='filtered',
                                                required='open', subject='h2 -> h1 5432/tcp',
                                                message='no answer before the timeout', fix='allow 5432/tcp')]},
               'l2_adjacency': None},
    }
    agg = pf.aggregate(hosts, None, [], 'production')
    assert agg['verdict'] == 'fail'
    assert agg['counts']['fail'] == 3
    lines = pf.failure_lines(agg)
    assert lines[0] == ('memory on h1, h2: measured 900, required >= 1024 MiB. MemTotal 900 MiB. '
                        'Fix: add memory.')
    assert lines[1].startswith('port_reachable on h2 [h2 -> h1 5432/tcp]: measured filtered, required open.')


def test_aggregate_repositories_fail_in_production_skip_in_lab():
    problems = [{'component': 'vendor', 'host': 'h1', 'problem': 'credentials not set: tok', 'fix': 'set tok'}]
    agg = pf.aggregate({}, None, problems, 'production')
    assert agg['verdict'] == 'fail'
    assert pf.failure_lines(agg) == ['vendor on h1: credentials not set: tok. Fix: set tok.']
    lab = pf.aggregate({}, None, problems, 'lab')
    assert lab['verdict'] == 'pass' and lab['failures'] == [] and lab['skipped'][0]['component'] == 'vendor'


def test_aggregate_capacity_and_warnings():
    capacity = {'checks': [_check('rtp_port_range', 'fail', measured=47, required='>= 1204', subject='t1'),
                           _check('expected_peak_calls', 'pass')]}
    hosts = {'h1': {'host_requirements': {'checks': [_check('time_sync', 'warn', message='container')]}}}
    agg = pf.aggregate(hosts, capacity)
    assert agg['failures'][0]['hosts'] == ['controller']
    assert agg['warnings'][0]['name'] == 'time_sync'
    assert pf.aggregate({}, None)['verdict'] == 'pass'
    assert pf.aggregate(None, 'not a dict', None)['failures'] == []


def _md(data):
    return pf.render_markdown(pf.report_blocks(data))


def _html(data):
    return pf.render_html(pf.report_blocks(data))


MATRIX = {
    'h1': {'h2': {'5432/tcp': {'state': 'open', 'reason': 'connected'},
                  '10000-50000/udp': {'state': 'open'},
                  '80/tcp': {'state': 'in_use', 'processes': ['nginx (pid 3)'], 'reachability': 'open'}}},
    'h2': {'h1': {'5060/udp': {'state': 'filtered', 'reason': 'no answer'}}},
}


def test_matrix_rows_and_grid():
    rows = pf.matrix_rows(MATRIX)
    assert rows[0][:4] == ('h1', 'h2', '80/tcp', 'in_use')
    assert 'held by nginx (pid 3), open' in rows[0][4]
    columns, grid = pf.matrix_grid(MATRIX)
    assert columns[0] == ('h1', '5060/udp')
    assert grid[0] == ('h1', [None, 'in_use', 'open', 'open'])
    assert grid[1] == ('h2', ['filtered', None, None, None])
    assert pf.matrix_grid(None) == ([], [])


def _data():
    agg = pf.aggregate(
        {'h1': {'host_requirements': {'checks': [_check('memory', 'pass', measured=2048, required='>= 512 MiB')]}},
         'h2': {'port_probe': {'checks': [_check('port_reachable', 'fail', measured='filtered', required='open',
                                                 subject='h2 -> h1 5060/udp', message='no <answer>', fix='allow')]}}},
        {'plan': {'peak_simultaneous_calls': 301}, 'media_servers': [
            {'name': 'h1', 'rtp_port_min': 10000, 'rtp_port_max': 50000, 'rtp_ports_configured': 40001,
             'rtp_ports_needed': 1204, 'calls_capacity': 10000, 'status': 'pass'}],
         'checks': [_check('rtp_port_range', 'pass', measured=40001, required='>= 1204')]},
        [], 'lab')
    return {'generated': '2026-01-01 00:00:00 UTC', 'environment': 'lab', 'aggregate': agg,
            'hosts': {'h1': {'groups': ['telephony'], 'ports': [
                {'spec': '5060/udp', 'component': 'opensips', 'exposure': 'public', 'var': 'preflight_sip_port',
                 'source': 'inventory'}]}},
            'matrix': MATRIX, 'ranges': [{'destination': 'h2', 'range': '10000-50000/udp', 'size': 40001,
                                          'probed': 10, 'ports': [10000, 50000]}],
            'capacity': agg and {'plan': {'peak_simultaneous_calls': 301}}, 'missing_roles': ['opensips']}


def test_markdown_report():
    text = _md(_data())
    assert text.startswith('# Preflight report')
    assert 'verdict: **FAIL**' in text
    assert '## Port matrix' in text and '| h2 | h1 | 5060/udp | filtered | no answer |' in text
    assert '| peak_simultaneous_calls | 301 |' in text
    assert '| h1 | host_requirements | memory |  | pass | 2048 | >= 512 MiB |  |' in text
    assert 'h2 10000-50000/udp: 10 of 40001 ports probed' in text
    assert 'Not checked (role not in this collection yet): opensips.' in text
    assert 'port_reachable on h2 [h2 -> h1 5060/udp]' in text


def test_markdown_report_escapes_pipes_and_handles_empty_data():
    data = _data()
    data['hosts']['h1']['ports'][0]['component'] = 'a|b'
    assert 'a\\|b' in _md(data)
    empty = _md({})
    assert 'verdict: **PASS**' in empty and 'None.' in empty
    assert _md(None).startswith('# Preflight report')


def test_html_report_is_self_contained_coloured_and_escaped():
    page = _html(_data())
    assert page.startswith('<!DOCTYPE html>') and page.rstrip().endswith('</html>')
    assert 'src=' not in page and 'href=' not in page and '<script' not in page
    assert '<td style="background:#f6b8b8">filtered</td>' in page
    assert '<td style="background:#c8f0c8">open</td>' in page
    assert 'no &lt;answer&gt;' in page and 'no <answer>' not in page
    assert '<table class="matrix">' in page
    assert 'No port was probed.' in _html({})


def test_both_renderings_carry_the_same_content():
    blocks = pf.report_blocks(_data())
    text, page = pf.render_markdown(blocks), pf.render_html(blocks)
    for block in blocks:
        if block[0] in ('heading', 'title'):
            assert block[1] in text and block[1] in page
        if block[0] == 'list':
            for item in block[1]:
                assert item in text and pf._e(item) in page


def _lookup(values):
    return values.get


REPOSITORIES = [
    {'component': 'consul', 'role': 'consul', 'groups': ['all'], 'method_var': 'consul_install_method',
     'method': 'apt', 'source_var': 'consul_install_source', 'credentials': []},
    {'component': 'rabbitmq', 'role': 'rabbitmq', 'groups': ['database'], 'method_var': 'rabbitmq_repository',
     'method': 'team', 'url_var': 'rabbitmq_url', 'credentials': []},
    {'component': 'opensips', 'role': 'opensips', 'groups': ['telephony'], 'source_var': 'opensips_install_source',
     'credentials': ['opensips_repo_password'], 'enable_hint': 'open it'},
]


def test_repository_targets_follow_the_method_and_the_install_source():
    values = {'consul_install_method': 'apt', 'consul_install_source': {'url': 'https://apt.example', 'suite': 'bookworm'},
              'opensips_install_source': {'url': 'https://apt.opensips.example/', 'suite': 'bookworm', 'username': ''}}
    targets = pf.repository_targets(REPOSITORIES, ['telephony'], _lookup(values))
    assert [t['url'] for t in targets] == ['https://apt.example/dists/bookworm/Release',
                                           'https://apt.opensips.example/dists/bookworm/Release']
    assert targets[1]['credentials'] == []
    values['opensips_install_source']['username'] = 'u'
    assert pf.repository_targets(REPOSITORIES, ['telephony'], _lookup(values))[1]['credentials'] == ['opensips_repo_password']
    # Not this host's group, another method, a flat repository (suite ./) and a local one.
    assert [t['component'] for t in pf.repository_targets(REPOSITORIES, ['database'], _lookup(values))] == ['consul']
    values.update(consul_install_method='release_zip', rabbitmq_repository='team', rabbitmq_url='https://team.example')
    assert [t['url'] for t in pf.repository_targets(REPOSITORIES, ['database'], _lookup(values))] == ['https://team.example']
    values['opensips_install_source'] = {'url': 'http://mirror.example/flat', 'suite': './'}
    assert [t['url'] for t in pf.repository_targets(REPOSITORIES, ['telephony'], _lookup(values))] == [
        'http://mirror.example/flat/./Release']
    values['opensips_install_source'] = {'url': 'file:/srv/vendor-apt', 'suite': './'}
    assert pf.repository_targets(REPOSITORIES, ['telephony'], _lookup(values)) == []
    assert pf.repository_targets(REPOSITORIES, ['telephony'], _lookup({})) == []


def test_recording_free_space_comes_from_the_deepest_mount():
    mounts = [{'mount': '/', 'size_available': 50e9}, {'mount': '/var/spool', 'size_available': 7.25e9},
              {'mount': '/var/spool/other', 'size_available': 1e9}, 'not a mount']
    assert pf.recording_free_gb(True, '/var/spool/rtpengine', mounts) == 7.2
    assert pf.recording_free_gb('yes', '/srv/rec', mounts) == 50.0
    assert pf.recording_free_gb(False, '/var/spool/rtpengine', mounts) is None
    assert pf.recording_free_gb(True, '/var/spool/rtpengine', []) is None
