# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The action plugins preflight_resolve and role_vars, run by ansible-playbook on the control node (no host is
contacted): a port or source comes from the inventory when set there, else from the default the
collection ships for its role, templated (a default naming another role's variable or a fact)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PLAY = """
- hosts: probe
  gather_facts: false
  vars:
    ansible_facts: {distribution_release: trixie-test}
  tasks:
    - name: Resolve
      voiceops.platform.preflight_resolve:
        port_catalogue: "{{ catalogue }}"
        repository_catalogue: "{{ repositories }}"
        groups: [telephony]
        host: probe
        address: 192.0.2.10
      register: plan
    - name: Print
      ansible.builtin.copy:
        content: "{{ plan | to_json }}"
        dest: "{{ out }}"
        mode: "0644"
"""
CATALOGUE = {'telephony': [
    {'component': 'nginx', 'role': 'nginx_ssl', 'var': 'nginx_ssl_https_port', 'proto': 'tcp', 'exposure': 'public'},
    {'component': 'rtpengine', 'role': 'rtpengine', 'var_min': 'rtpengine_port_min', 'var_max': 'rtpengine_port_max',
     'proto': 'udp', 'exposure': 'public'},
    {'component': 'opensips-db', 'role': 'opensips', 'var': 'opensips_db_port', 'proto': 'tcp'},
]}
REPOSITORIES = [
    {'component': 'consul', 'role': 'consul', 'groups': ['all'], 'method_var': 'consul_install_method', 'method': 'apt',
     'source_var': 'consul_install_source', 'credentials': []},
    {'component': 'opensips', 'role': 'opensips', 'groups': ['telephony'], 'source_var': 'opensips_install_source',
     'credentials': ['opensips_repo_password']},
]


def _play(tmp_path, play, extra, host_vars):
    """Run a one-host play on the control node; return what it wrote to extra['out']."""
    local = {'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}'}
    (tmp_path / 'hosts.yml').write_text(yaml.safe_dump({'all': {'hosts': {'probe': dict(local, **host_vars)}}}))
    (tmp_path / 'play.yml').write_text(play)
    out = tmp_path / 'out.json'
    (tmp_path / 'extra.yml').write_text(yaml.safe_dump(dict(extra, out=str(out))))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(TOP, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    result = subprocess.run([shutil.which('ansible-playbook'), '-i', str(tmp_path / 'hosts.yml'), str(tmp_path / 'play.yml'),
                             '-e', '@' + str(tmp_path / 'extra.yml')], capture_output=True, text=True, env=env,
                            cwd=str(tmp_path), check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(out.read_text())


def _resolve(tmp_path, host_vars):
    return _play(tmp_path, PLAY, {'catalogue': CATALOGUE, 'repositories': REPOSITORIES}, host_vars)


def _defaults(role):
    with open(os.path.join(TOP, 'roles', role, 'defaults', 'main.yml'), encoding='utf-8') as f:
        return yaml.safe_load(f)


def test_defaults_are_templated_and_the_inventory_wins(tmp_path):
    plan = _resolve(tmp_path, {'rtpengine_port_min': 20000, 'postgres_replica_port': 5433})
    ports = dict((p['var'], p) for p in plan['ports'])
    assert ports['nginx_ssl_https_port']['port'] == _defaults('nginx_ssl')['nginx_ssl_https_port']
    assert ports['nginx_ssl_https_port']['source'] == 'defaults of nginx_ssl'
    rtp = ports['rtpengine_port_min..rtpengine_port_max']
    assert (rtp['port_min'], rtp['port_max']) == (20000, _defaults('rtpengine')['rtpengine_port_max'])
    # opensips_db_port's default is "{{ postgres_replica_port }}": the inventory's 5433 reaches it.
    assert ports['opensips_db_port']['port'] == 5433
    # consul_install_source's suite is the host's codename, a fact: templated, not left as text.
    urls = [r['url'] for r in plan['repositories']]
    assert urls[0] == _defaults('consul')['consul_install_source']['url'] + '/dists/trixie-test/Release'
    assert plan['repositories'][1]['credentials'] == []
    assert plan['address'] == '192.0.2.10' and plan['changed'] is False


def test_credentials_are_named_when_the_source_has_a_login(tmp_path):
    source = {'url': 'https://apt.example.test/opensips', 'suite': 'bookworm', 'components': ['main'],
              'key_url': 'https://apt.example.test/key', 'trusted': False, 'username': 'site', 'password': ''}
    plan = _resolve(tmp_path, {'opensips_install_source': source, 'consul_install_method': 'release_zip'})
    assert [r['component'] for r in plan['repositories']] == ['opensips']
    assert plan['repositories'][0]['missing_credentials'] == ['opensips_repo_password']
    assert plan['repositories'][0]['url'] == 'https://apt.example.test/opensips/dists/bookworm/Release'


ROLE_VARS_PLAY = """
- hosts: probe
  gather_facts: false
  vars:
    ansible_facts: {distribution_release: trixie-test}
  tasks:
    - name: Read
      voiceops.platform.role_vars:
        names: "{{ names }}"
      register: got
      ignore_errors: true
    - name: Print
      ansible.builtin.copy:
        content: "{{ got | to_json }}"
        dest: "{{ out }}"
        mode: "0644"
"""


def _role_vars(tmp_path, names, host_vars):
    return _play(tmp_path, ROLE_VARS_PLAY, {'names': names}, host_vars)


def test_role_vars_gives_the_inventory_value_else_the_templated_default(tmp_path):
    got = _role_vars(tmp_path, ['nginx_ssl_https_port', 'opensips_db_port', 'consul_install_source'],
                     {'nginx_ssl_https_port': 8443, 'postgres_replica_port': 5434})
    assert got['vars']['nginx_ssl_https_port'] == 8443
    assert int(got['vars']['opensips_db_port']) == 5434
    assert got['vars']['consul_install_source']['suite'] == 'trixie-test'


def test_role_vars_refuses_a_name_of_no_role(tmp_path):
    got = _role_vars(tmp_path, ['nginx_ssl_https_port', 'no_such_thing'], {})
    assert got['failed'] and 'no_such_thing belong to no role of this collection' in got['msg']
