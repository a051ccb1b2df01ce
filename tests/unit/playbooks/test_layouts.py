# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every layout under inventory/ passes `--syntax-check` and the first play's validation of the
playbook it is deployed with (site.yml, or rocketchat_voice.yml for the Rocket.Chat layouts),
unchanged but for the secrets an operator keeps in ansible-vault.

As in test_validation.py the hosts are the control node itself (connection local) and the runs
use --check with tags that select only the always-tagged (validation) tasks. What the control node
cannot pretend to be is supplied as extra variables, and nothing else:
- the secrets of docs/secrets.yml (and the vendor repository credentials), dummy values;
- each host's private address (its ansible_host, else the control node's address), the node
  names of RabbitMQ (which must resolve on the host: localhost here) and the address they listen on;
- on a control node that is not Debian 12, its release as the one the preflight expects (conftest.py).
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import subprocess

import pytest
import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
INVENTORIES = os.path.join(TOP, 'inventory')
LAYOUTS = sorted(d for d in os.listdir(INVENTORIES) if os.path.isfile(os.path.join(INVENTORIES, d, 'hosts.yml')))
RECAP = re.compile(r'^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)', re.M)
SECRETS = yaml.safe_load(open(os.path.join(TOP, 'docs', 'secrets.yml'), encoding='utf-8'))['secrets']

# Dummy vault values (long enough, no placeholder) for the secrets every deployment sets, and the
# vendor repository credentials production layouts need (the lab skips what lacks them).
VAULT = dict((s['var'], 'layouttest%s0123456789' % s['var'].replace('_', ''))
             for s in SECRETS if s['required'] == 'always'
             or s['var'] in ('freeswitch_signalwire_token', 'freeswitch_webitel_repo_password', 'postgres_replica_grafana_password',
                             'webitel_apps_repo_password'))
VAULT['freeswitch_webitel_repo_login'] = 'layouttest'
VAULT['webitel_apps_repo_login'] = 'layouttest'
VAULT['webitel_apps_session_keys'] = '0123456789abcdef0123456789abcdef,fedcba9876543210fedcba9876543210'
# The control node stands for every host: what differs between real hosts is set per host.
CONTROL_NODE = {
    'ansible_connection': 'local',
    'ansible_python_interpreter': '{{ ansible_playbook_python }}',
    'voiceops_private_address': "{{ ansible_host if ansible_host is match('^[0-9.]+$') "
                                "else ansible_facts['default_ipv4']['address'] }}",
    'rabbitmq_nodename': "rabbit-{{ inventory_hostname | regex_replace('[^A-Za-z0-9_-]', '-') }}@localhost",
    'rabbitmq_listen_address': '127.0.0.1',
}


def _groups(layout):
    hosts = yaml.safe_load(open(os.path.join(INVENTORIES, layout, 'hosts.yml'), encoding='utf-8'))
    return hosts['all'].get('children') or {}


def playbook(layout):
    """The playbook a layout is deployed with: its hosts.yml says so for Rocket.Chat."""
    return 'rocketchat_voice.yml' if 'rocketchat' in _groups(layout) else 'site.yml'


def _run(args, tmp, extra=None):
    os.makedirs(tmp, exist_ok=True)
    values = dict(VAULT, **CONTROL_NODE)
    values['preflight_report_dir'] = os.path.join(tmp, 'report')
    values.update(extra or {})
    extra_file = os.path.join(tmp, 'vars.yml')
    with open(extra_file, 'w', encoding='utf-8') as f:
        yaml.safe_dump(values, f)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(TOP, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    result = subprocess.run([shutil.which('ansible-playbook')] + args + ['-e', '@' + extra_file], capture_output=True,
                            text=True, env=env, cwd=tmp, check=False, timeout=600)
    return result.returncode, result.stdout + result.stderr


def _validate(layout, tmp, extra=None):
    return _run(['-i', os.path.join(INVENTORIES, layout), os.path.join(TOP, 'playbooks', playbook(layout)),
                 '--check', '--tags', 'voiceops_validation_only'], tmp, extra)


def _syntax(layout, tmp):
    books = [playbook(layout), 'acceptance.yml']
    return _run(['-i', os.path.join(INVENTORIES, layout), '--syntax-check']
                + [os.path.join(TOP, 'playbooks', b) for b in books], tmp)


@pytest.fixture(scope='module')
def results(tmp_path_factory, control_node_os):
    if shutil.which('ansible-playbook') is None:
        pytest.skip('ansible-playbook is not on PATH (run through scripts/test.sh unit)')
    root = str(tmp_path_factory.mktemp('layouts'))
    jobs = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        for layout in LAYOUTS:
            jobs[('validate', layout)] = pool.submit(_validate, layout, os.path.join(root, 'validate-' + layout),
                                                     control_node_os)
            jobs[('syntax', layout)] = pool.submit(_syntax, layout, os.path.join(root, 'syntax-' + layout))
        # The control: the scale-out layout without the name of its primary must be refused.
        jobs[('control', 'scale_out')] = pool.submit(_validate, 'scale_out', os.path.join(root, 'control'),
                                                     dict(control_node_os, postgres_replica_primary=''))
    return {key: f.result() for key, f in jobs.items()}


def test_the_layouts_of_the_issue_exist():
    assert {'production', 'scale_out', 'rocketchat_colocated', 'rocketchat_distributed'} <= set(LAYOUTS), LAYOUTS


@pytest.mark.parametrize('layout', LAYOUTS)
def test_syntax_check(results, layout):
    rc, out = results[('syntax', layout)]
    assert rc == 0, out[-4000:]
    assert 'ERROR' not in out and '[WARNING]' not in out, out[-4000:]


@pytest.mark.parametrize('layout', LAYOUTS)
def test_first_play_validation_passes_on_every_host(results, layout):
    rc, out = results[('validate', layout)]
    assert rc == 0, out[-4000:]
    recap = dict((host, (changed, unreachable, failed)) for host, changed, unreachable, failed in RECAP.findall(out))
    inventory_hosts = set()
    for group in _groups(layout).values():
        inventory_hosts.update((group or {}).get('hosts') or {})
    assert set(recap) == inventory_hosts, (sorted(recap), sorted(inventory_hosts))
    assert all(v == ('0', '0', '0') for v in recap.values()), recap
    # The validation tasks ran (a tag typo would run nothing and pass).
    assert re.search(r'TASK \[voiceops\.platform\.\w+ : Check the \w+ variables\]', out), out[-4000:]
    if playbook(layout) == 'site.yml':
        assert 'PLAY [Validate - ' in out and 'TASK [voiceops.platform.validate : Stop before any change' in out


def test_a_broken_scale_out_is_refused(results):
    """The runs above would catch a bad layout: the same run without postgres_replica_primary fails."""
    rc, out = results[('control', 'scale_out')]
    assert rc != 0, out[-4000:]
    assert re.search(r'postgres_replica_primary_group: the group .database. holds 2 hosts', out), out[-4000:]
    assert 'put exactly one primary in database, or name it in postgres_replica_primary' in out, out[-4000:]


def test_scale_out_has_the_shape_of_the_issue():
    groups = _groups('scale_out')
    hosts = dict((name, set((groups.get(name) or {}).get('hosts') or {})) for name in groups)
    assert len(hosts['telephony']) == 2          # two OpenSIPS + rtpengine + nginx edges
    assert len(hosts['application']) == 2        # two FreeSWITCH
    assert len(hosts['consul_servers']) == 3
    assert len(hosts['database']) == 2           # the RabbitMQ cluster (rabbitmq_cluster_group: database)
    primary = yaml.safe_load(open(os.path.join(INVENTORIES, 'scale_out', 'group_vars', 'all.yml'),
                                  encoding='utf-8'))['postgres_replica_primary']
    assert primary in hosts['database']
    assert len((hosts['database'] | hosts['database_replica']) - {primary}) == 2   # two replicas
