# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The grafana role's provisioning files, rendered by Ansible from an inventory, parse and hold the
values that inventory implies (not literals): the datasources point at the replica when the
database_replica group has hosts and at the primary otherwise, on postgres_replica's port and TLS mode,
with the read-only user's password escaped for Grafana's $VAR expansion; the dashboard provider and
grafana.ini follow the role's variables. The shipped dashboard parses, and its SQL is the SQL that
molecule/postgres_replica runs as the read-only user on PostgreSQL 15.

The templates are rendered by a small ansible-playbook run on the control node (connection local):
the role's validation runs first (local only), then ansible.builtin.template writes each file into a
temporary directory; no host is touched."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import subprocess
import sys

import pytest
import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
ROLE = os.path.join(TOP, 'roles', 'grafana')
DASHBOARD = os.path.join(ROLE, 'files', 'dashboards', 'voiceops-database-tier.json')
PASSWORD = 'ro-pa$$:"word#1'  # $ (Grafana expands $VAR), a quote and a # (YAML and ini specials)
ADMIN = 'adm;in#pass-0123456789'
SECRET_KEY = 'sec;ret#key-0123456789abcdef0123456789'

PLAYBOOK = """
- name: Render the grafana role's provisioning files
  hosts: db1
  gather_facts: false
  tasks:
    - name: Load the role (defaults, vars) and run its validation
      ansible.builtin.include_role:
        name: voiceops.platform.grafana
        tasks_from: validate.yml
        public: true
    - name: Show the problems
      ansible.builtin.copy:
        content: "{{ voiceops_problems | default([]) | to_json }}"
        dest: "{{ out }}/problems.json"
        mode: "0600"
    - name: Render each template
      ansible.builtin.template:
        src: "{{ role }}/templates/{{ item }}.j2"
        dest: "{{ out }}/{{ item }}"
        mode: "0600"
      loop: [datasources.yaml, dashboards.yaml, grafana.ini]
"""


def _render(tmp_path, replicas, extra=None):
    db_hosts = {'db1': {'voiceops_private_address': '10.9.0.11'}}
    replica_hosts = {'db%d' % n: {'voiceops_private_address': '10.9.0.%d' % (10 + n)} for n in range(2, 2 + replicas)}
    inventory = {'all': {
        'vars': {
            'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
            'voiceops_environment': 'lab',
            'postgres_replica_port': 5433, 'postgres_replica_tls': True,
            'postgres_replica_grafana_user': 'grafana_ro',
            'postgres_replica_grafana_password': PASSWORD,
            'grafana_admin_password': ADMIN,
            'grafana_secret_key': SECRET_KEY,
            'grafana_http_port': 3001,
        },
        'children': {
            'database': {'hosts': db_hosts},
            'database_replica': {'hosts': replica_hosts},
            'telephony': {'hosts': {'edge1': {'voiceops_private_address': '10.9.0.21', 'nginx_ssl_server_name': 'cc.example.test'}}},
        }}}
    inventory['all']['vars'].update(extra or {})
    (tmp_path / 'hosts.yml').write_text(yaml.safe_dump(inventory), encoding='utf-8')
    (tmp_path / 'render.yml').write_text(PLAYBOOK, encoding='utf-8')
    out = tmp_path / 'out'
    out.mkdir()
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(TOP, 'ansible.cfg'), ANSIBLE_NOCOLOR='1')
    result = subprocess.run(
        [shutil.which('ansible-playbook'), '-i', str(tmp_path / 'hosts.yml'), str(tmp_path / 'render.yml'),
         '-e', 'out=%s role=%s' % (out, ROLE)],
        capture_output=True, text=True, env=env, cwd=str(tmp_path), check=False, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return out


@pytest.fixture(scope='module')
def with_replica(tmp_path_factory):
    return _render(tmp_path_factory.mktemp('replica'), replicas=2)


@pytest.fixture(scope='module')
def primary_only(tmp_path_factory):
    return _render(tmp_path_factory.mktemp('primary'), replicas=0)


def _datasources(out):
    text = (out / 'datasources.yaml').read_text(encoding='utf-8')
    assert text.startswith('#'), 'the ansible_managed header comes first'
    return {d['uid']: d for d in yaml.safe_load(text)['datasources']}


def test_the_inventory_passes_the_role_validation(with_replica):
    assert json.loads((with_replica / 'problems.json').read_text(encoding='utf-8')) == []


def test_the_main_datasource_reads_the_first_replica_and_the_second_the_primary(with_replica):
    ds = _datasources(with_replica)
    assert sorted(ds) == ['voiceops-postgres', 'voiceops-postgres-primary']
    assert ds['voiceops-postgres']['url'] == '10.9.0.12:5433'  # first host of database_replica, postgres_replica_port
    assert ds['voiceops-postgres-primary']['url'] == '10.9.0.11:5433'
    assert ds['voiceops-postgres']['isDefault'] is True and ds['voiceops-postgres-primary']['isDefault'] is False


def test_without_a_replica_both_datasources_read_the_primary(primary_only):
    ds = _datasources(primary_only)
    assert ds['voiceops-postgres']['url'] == ds['voiceops-postgres-primary']['url'] == '10.9.0.11:5433'


def test_the_datasources_log_in_as_the_read_only_user_of_postgres_replica(with_replica):
    for d in _datasources(with_replica).values():
        assert d['type'] == 'grafana-postgresql-datasource'
        assert d['access'] == 'proxy' and d['editable'] is False
        assert d['user'] == 'grafana_ro'
        assert d['jsonData']['database'] == 'postgres'
        assert d['jsonData']['sslmode'] == 'require'  # postgres_replica_tls: true
        assert d['jsonData']['postgresVersion'] == 1500
        # Grafana expands $VAR in provisioning files: a literal $ is written $$.
        assert d['secureJsonData']['password'] == PASSWORD.replace('$', '$$')


def test_the_dashboard_provider_reads_the_role_directory(with_replica):
    text = (with_replica / 'dashboards.yaml').read_text(encoding='utf-8')
    provider = yaml.safe_load(text)['providers'][0]
    assert provider['type'] == 'file' and provider['folder'] == 'VoiceOps'
    assert provider['options']['path'] == '/var/lib/grafana/dashboards/voiceops'
    assert provider['allowUiUpdates'] is False and provider['disableDeletion'] is True


def test_grafana_ini_listens_privately_under_the_sub_path_without_anonymous_access(with_replica):
    text = (with_replica / 'grafana.ini').read_text(encoding='utf-8')
    assert text.startswith(';')
    ini = configparser.ConfigParser(interpolation=None, comment_prefixes=(';', '#'), inline_comment_prefixes=None)
    ini.read_string(text)
    assert ini['server']['http_addr'] == '10.9.0.11'  # voiceops_private_address of the host
    assert ini['server']['http_port'] == '3001'
    assert ini['server']['root_url'] == 'https://cc.example.test/grafana/'  # the edge's nginx_ssl_server_name
    assert ini['server']['serve_from_sub_path'] == 'true'
    assert ini['auth.anonymous']['enabled'] == 'false'
    assert ini['users']['allow_sign_up'] == 'false'
    assert ini['security']['admin_password'] == '"""%s"""' % ADMIN
    assert ini['security']['secret_key'] == '"""%s"""' % SECRET_KEY
    assert ini['security']['cookie_secure'] == 'true'


def test_an_empty_admin_password_a_public_key_and_a_public_listener_are_refused(tmp_path):
    playbook_failed = None
    try:
        _render(tmp_path, replicas=1, extra={'grafana_admin_password': '', 'grafana_http_address': '0.0.0.0',
                                             'grafana_secret_key': 'SW2YcwTIb9zpOOhoPsMm'})
    except AssertionError as exc:
        playbook_failed = str(exc)
    assert playbook_failed is None, playbook_failed  # validate.yml only records; the role's main.yml stops
    problems = json.loads((tmp_path / 'out' / 'problems.json').read_text(encoding='utf-8'))
    assert any(p.startswith('grafana_admin_password is empty') for p in problems), problems
    assert any(p.startswith("grafana_http_address='0.0.0.0'") for p in problems), problems
    assert any(p.startswith('grafana_secret_key is empty, shorter than 32 characters') for p in problems), problems
    assert len(problems) == 3, problems


def _dashboard():
    with open(DASHBOARD, encoding='utf-8') as handle:
        return json.load(handle)


def test_the_shipped_dashboard_reads_the_provisioned_datasources():
    dash = _dashboard()
    variable = dash['templating']['list'][0]
    assert variable['type'] == 'datasource' and variable['current']['value'] == 'voiceops-postgres'
    assert dash['uid'] == 'voiceops-database-tier'
    uids = set()
    for panel in dash['panels']:
        assert len(panel['targets']) == 1, panel['title']
        target = panel['targets'][0]
        assert target['rawQuery'] is True and target['format'] == 'table'
        assert target['datasource'] == panel['datasource']
        uids.add(panel['datasource']['uid'])
    assert uids == {'${server}', 'voiceops-postgres-primary'}


def test_the_shipped_dashboard_covers_the_database_tier_from_postgresql_15_views():
    sql = {p['title']: p['targets'][0]['rawSql'] for p in _dashboard()['panels']}
    everything = '\n'.join(sql.values())
    for view in ('pg_stat_replication', 'pg_stat_activity', 'pg_stat_database', 'pg_database_size', 'pg_stat_bgwriter'):
        assert view in everything, view
    # PostgreSQL 15 names (17 moved the checkpoint counters to pg_stat_checkpointer).
    assert re.search(r'checkpoints_timed', sql['Checkpoints']) and 'pg_stat_checkpointer' not in everything
    replication = [p for p in _dashboard()['panels'] if 'pg_stat_replication' in p['targets'][0]['rawSql']]
    assert [p['datasource']['uid'] for p in replication] == ['voiceops-postgres-primary'], 'walsenders exist on the primary only'
    for title, query in sql.items():
        assert not re.search(r'\b(INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|GRANT)\b', query, re.I), title


def test_the_postgres_replica_scenario_runs_exactly_these_queries_as_the_read_only_user():
    """molecule/postgres_replica/verify.yml loads this very file and runs every panel's rawSql as the
    read-only user against the server of the panel's datasource; so the SQL checked above is the SQL proven there."""
    with open(os.path.join(TOP, 'molecule', 'postgres_replica', 'verify.yml'), encoding='utf-8') as handle:
        verify = handle.read()
    assert '/roles/grafana/files/dashboards/voiceops-database-tier.json' in verify
    tasks = [t for play in yaml.safe_load(verify) for t in play.get('tasks', [])]
    run = next(t for t in tasks if t['name'] == 'Run every dashboard query as the read-only user')
    assert run['loop'] == '{{ dashboard.panels }}'
    assert run['community.postgresql.postgresql_query']['query'] == '{{ item.targets[0].rawSql }}'
    assert run['community.postgresql.postgresql_query']['login_user'] == '{{ grafana_user }}'
