# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every bad inventory of tests/validation/cases.yml is refused by site.yml's first play,
before any task changed a host, with one message naming each bad variable; the valid
inventory passes that play. The hosts are the control node itself (connection local) and
the runs use --check, so that nothing could change even if a check were missing. A control node
that is not Debian 12 runs as the release the preflight expects (conftest.py: control_node_os)."""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import subprocess

import pytest
import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
HERE = os.path.join(TOP, 'tests', 'validation')
CASES = yaml.safe_load(open(os.path.join(HERE, 'cases.yml'), encoding='utf-8'))
FIRST_PLAY = 'PLAY [Validate - '
STOP_TASK = 'Stop before any change, listing every problem of every host'
RECAP = re.compile(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)', re.M)


def _inventory(case, tmp):
    """A copy of the valid inventory with the case's groups and host variables applied."""
    inv = os.path.join(tmp, 'inventory')
    shutil.copytree(os.path.join(HERE, 'inventory'), inv)
    hosts_file = os.path.join(inv, 'hosts.yml')
    hosts = yaml.safe_load(open(hosts_file, encoding='utf-8'))
    for group, members in case.get('groups', {}).items():
        hosts['all']['children'][group] = {'hosts': {h: None for h in members}}
    with open(hosts_file, 'w', encoding='utf-8') as f:
        yaml.safe_dump(hosts, f)
    os.makedirs(os.path.join(inv, 'host_vars'), exist_ok=True)
    for host, values in case.get('host_vars', {}).items():
        with open(os.path.join(inv, 'host_vars', host + '.yml'), 'w', encoding='utf-8') as f:
            yaml.safe_dump(values, f)
    return inv


def _run(case, tmp, control_node_os):
    os.makedirs(tmp, exist_ok=True)
    args = [shutil.which('ansible-playbook'), '-i', _inventory(case, tmp), os.path.join(TOP, 'playbooks', 'site.yml'), '--check']
    extra_vars = dict(control_node_os, **case.get('vars', {}))
    if extra_vars:
        extra = os.path.join(tmp, 'vars.yml')
        with open(extra, 'w', encoding='utf-8') as f:
            yaml.safe_dump(extra_vars, f)
        args += ['-e', '@' + extra]
    if case.get('tags'):
        args += ['--tags', case['tags']]
    env = dict(os.environ, VALIDATION_TMP=tmp, ANSIBLE_CONFIG=os.path.join(TOP, 'ansible.cfg'),
               ANSIBLE_NOCOLOR='1')
    result = subprocess.run(args, capture_output=True, text=True, env=env, cwd=tmp, check=False, timeout=600)
    return result.returncode, result.stdout + result.stderr


def _merge(cases):
    """One run of several cases: their variables, groups and host variables together."""
    run = {'vars': {}, 'groups': {}, 'host_vars': {}}
    for case in cases:
        for key in run:
            for name, value in case.get(key, {}).items():
                assert name not in run[key], 'cases of run %s both set %s' % (case['run'], name)
                run[key][name] = value
    return run


@pytest.fixture(scope='module')
def results(tmp_path_factory, control_node_os):
    """Run every group of cases (and the valid inventory, validation only) two at a time."""
    if shutil.which('ansible-playbook') is None:
        pytest.skip('ansible-playbook is not on PATH (run through scripts/test.sh unit)')
    root = str(tmp_path_factory.mktemp('validation'))
    # The valid inventory: --tags selects no play's tasks but the always-tagged ones (validation).
    runs = {'valid': {'tags': 'voiceops_validation_only'}}
    for number in sorted({c['run'] for c in CASES}):
        runs[number] = _merge([c for c in CASES if c['run'] == number])
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(_run, run, os.path.join(root, 'run-%s' % key), control_node_os) for key, run in runs.items()}
    return {key: f.result() for key, f in futures.items()}


def test_the_cases_break_at_least_40_values():
    values = sum(len(c['expect']) for c in CASES)
    assert values >= 40, values


def test_the_valid_inventory_passes(results):
    rc, out = results['valid']
    assert rc == 0, out[-4000:]
    assert FIRST_PLAY in out


@pytest.mark.parametrize('case', CASES, ids=[c['name'] for c in CASES])
def test_refused_in_the_first_play_naming_each_variable(results, case):
    rc, out = results[case['run']]
    assert rc != 0, out[-4000:]
    # The first play failed, and no later play started.
    plays = re.findall(r'^PLAY \[[^\]]*', out, re.M)
    assert plays and plays[0].startswith(FIRST_PLAY) and not any(p.startswith('PLAY [Preflight') for p in plays), plays
    assert 'TASK [voiceops.platform.validate : ' + STOP_TASK in out, out[-4000:]
    assert re.search(r'problem\(s\) in the inventory; nothing was changed on any host', out), out[-4000:]
    # Nothing changed on any host.
    recap = RECAP.findall(out)
    assert recap and all(changed == '0' for _host, changed in recap), recap
    # One message per bad value, each naming its variable; no traceback.
    failure = out[out.index(STOP_TASK):]
    for pattern in case['expect']:
        assert re.search(pattern, failure), 'expected /%s/ in:\n%s' % (pattern, failure[:6000])
    assert 'Traceback' not in out
