# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every env file, unit and drop-in the webitel_apps role writes, rendered by Ansible from the
role's own templates and file list for a TWO-application-host inventory (webitel_apps/render.yml,
connection local, into a temporary directory), compared with values computed here from that
inventory: addresses, ports, credentials (percent-encoded in URLs, quoted for systemd) and
which host runs what. The units are parsed as systemd reads them; `systemd-analyze verify` runs
on them in molecule/webitel_apps (the binaries do not exist here)."""

from __future__ import annotations

import configparser
import json
import os
import shutil
import subprocess
import urllib.parse

import pytest
import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
HERE = os.path.join(os.path.dirname(__file__), 'webitel_apps')
DEFAULTS = yaml.safe_load(open(os.path.join(TOP, 'roles', 'webitel_apps', 'defaults', 'main.yml'), encoding='utf-8'))

# Secrets with every character a URL or an env file could break on.
AMQP_PASSWORD = "r@bbit/pa:ss'w$rd#1"
DB_PASSWORD = 'db pa$$ "word"/@:?&1'
OVERRIDE = 'it\'s "$HOME" \\ `x`'
INVENTORY = {
    'all': {
        'vars': {
            'ansible_connection': 'local',
            'ansible_python_interpreter': '{{ ansible_playbook_python }}',
            'voiceops_environment': 'production',
            'nginx_ssl_server_name': 'voice.example.test',
            'rabbitmq_webitel_password': AMQP_PASSWORD,
            'rabbitmq_amqp_port': 5673,
            'postgres_replica_webitel_password': DB_PASSWORD,
            'postgres_replica_port': 5433,
            'consul_http_port': 8501,
            'webitel_apps_repo_login': 'customer',
            'webitel_apps_repo_password': 'repository-password-1',
            'webitel_apps_session_keys': '0123456789abcdef0123456789abcdef,fedcba9876543210fedcba9876543210',
            'webitel_apps_freeswitch_group': 'freeswitch_hosts',
            # An operator's extra variable that needs systemd's double quotes and escapes.
            'webitel_apps_env_overrides': {'call_center': {'RESOURCE_CID_TYPE': OVERRIDE}},
        },
        'children': {
            'application': {'hosts': {
                'app1': {'voiceops_private_address': '10.20.0.11',
                         'webitel_apps_enabled_services': ['app', 'api', 'engine', 'flow_manager', 'storage']},
                'app2': {'voiceops_private_address': '10.20.0.12',
                         'webitel_apps_enabled_services': ['engine', 'storage', 'call_center', 'messages_bot', 'messages_srv']},
            }},
            'freeswitch_hosts': {'hosts': {'app1': None}},
            'database': {'hosts': {'db1': {'voiceops_private_address': '10.20.0.21'}}},
            'telephony': {'hosts': {'tel1': {'voiceops_private_address': '10.20.0.31'}}},
        },
    },
}
APP_HOSTS = INVENTORY['all']['children']['application']['hosts']
GLOBAL = INVENTORY['all']['vars']


def _addr(host):
    for group in INVENTORY['all']['children'].values():
        if host in group['hosts'] and group['hosts'][host]:
            return group['hosts'][host]['voiceops_private_address']
    raise KeyError(host)


def _env_file(path):
    """Parse a file as systemd's EnvironmentFile= does (unquoted, '...' and "..." with \\ escapes)."""
    env = {}
    with open(path, encoding='utf-8') as handle:
        for line in handle:
            line = line.rstrip('\n')
            if not line or line[0] in '#;':
                continue
            name, raw = line.split('=', 1)
            if raw.startswith("'"):
                assert raw.endswith("'") and len(raw) >= 2, line
                value = raw[1:-1]
            elif raw.startswith('"'):
                assert raw.endswith('"'), line
                value, i, body = '', 0, raw[1:-1]
                while i < len(body):
                    if body[i] == '\\' and i + 1 < len(body) and body[i + 1] in '"\\`$':
                        value += body[i + 1]
                        i += 2
                    else:
                        assert body[i] not in '"', line
                        value += body[i]
                        i += 1
            else:
                assert not any(c in raw for c in ' "\'\\$`#'), line
                value = raw
            assert name not in env, 'duplicate %s' % name
            env[name] = value
    return env


def _unit(path):
    parser = configparser.ConfigParser(strict=False, interpolation=None, empty_lines_in_values=False)
    parser.optionxform = str
    with open(path, encoding='utf-8') as handle:
        parser.read_file(handle)
    return parser


@pytest.fixture(scope='module')
def rendered(tmp_path_factory):
    tmp = tmp_path_factory.mktemp('webitel_apps')
    inventory = tmp / 'hosts.yml'
    inventory.write_text(yaml.safe_dump(INVENTORY), encoding='utf-8')
    out = tmp / 'out'
    env = dict(os.environ, ANSIBLE_ROLES_PATH=os.path.join(TOP, 'roles'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_CONFIG=os.path.join(TOP, 'ansible.cfg'))
    result = subprocess.run(
        [shutil.which('ansible-playbook'), '-i', str(inventory), os.path.join(HERE, 'render.yml'),
         '-e', 'out=%s' % out, '-e', 'role_templates=%s' % os.path.join(TOP, 'roles', 'webitel_apps', 'templates')],
        capture_output=True, text=True, env=env, check=False, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    return out


def _model(out, host):
    return json.loads((out / host / 'model.json').read_text(encoding='utf-8'))


def _quote(text):
    return urllib.parse.quote(text, safe='')


def _port(name):
    return str(DEFAULTS['webitel_apps_%s_port' % name])


def _expected_env(host, svc):
    """What each service must read, from the inventory above and the role's defaults."""
    addr = _addr(host)
    db = _addr('db1')
    consul = '127.0.0.1:%d' % GLOBAL['consul_http_port']
    amqp = 'amqp://webitel:%s@%s:%d?heartbeat=10' % (_quote(AMQP_PASSWORD), _addr('db1'), GLOBAL['rabbitmq_amqp_port'])
    dsn = 'postgres://webitel:%s@%s:%d/webitel?sslmode=prefer&connect_timeout=10&application_name=' % (
        _quote(DB_PASSWORD), db, GLOBAL['postgres_replica_port'])
    public = 'https://' + GLOBAL['nginx_ssl_server_name']
    micro = {'MICRO_REGISTRY': 'consul', 'MICRO_REGISTRY_ADDRESS': consul, 'MICRO_BROKER': 'rabbitmq',
             'MICRO_BROKER_ADDRESS': amqp, 'MICRO_LOG_LEVEL': DEFAULTS['webitel_apps_log_level']}
    go = {'ID': host, 'LOG_LVL': DEFAULTS['webitel_apps_log_level'], 'CONSUL': consul, 'GRPC_ADDR': addr}
    key = DEFAULTS['webitel_apps_signing_key_path']
    core = dict(micro, WBTL_AUTH_URL=public + '/api', WBTL_LOGIN_URL=public + '/app/auth', WBTL_LOGOUT_URL=public + '/app/auth',
                WBTL_COOKIE_KEYS=GLOBAL['webitel_apps_session_keys'])
    local_fs = host in INVENTORY['all']['children']['freeswitch_hosts']['hosts']
    return {
        'app': dict(core, WEBITEL_DBO_ADDRESS=dsn + 'webitel-app'),
        'api': dict(core, WEBITEL_DBO_ADDRESS=dsn + 'webitel-api'),
        'engine': dict(go, AMQP=amqp, DATA_SOURCE=dsn + 'engine', GRPC_PORT=_port('engine_grpc'),
                       WEBSOCKET='%s:%s' % (addr, _port('engine_websocket')), PRESIGNED_CERT=key,
                       TRANSLATION_DIRECTORY='/usr/share/webitel/engine/i18n', PUBLIC_HOST=public,
                       OPEN_SIP_ADDR=_addr('tel1'), WS_SIP_ADDR='wss://voice.example.test/sip',
                       SIP_PROXY_ADDR='sip:voice.example.test'),
        'flow_manager': dict(go, AMQP=amqp, DATA_SOURCE=dsn + 'flow_manager', GRPC_PORT=_port('flow_manager_grpc'),
                             WEB_ADDR='127.0.0.1:' + _port('flow_manager_webhook'),
                             ESL_HOST='127.0.0.1' if local_fs else addr, ELSE_PORT=_port('flow_manager_esl'),
                             PRESIGNED_CERT=key,
                             CHAT_TEMPLATES_PATCH='/usr/share/webitel/webitel-flow-manager/message-templates'),
        'storage': dict(go, MESSAGE_BROKER_URL=amqp, DATA_SOURCE=dsn + 'storage', GRPC_PORT=_port('storage_grpc'),
                        PUBLIC_HOST=public, PUBLIC_ADDRESS='%s:%s' % (addr, _port('storage_public')),
                        INTERNAL_ADDRESS='%s:%s' % (addr, _port('storage_internal')), PRESIGNED_CERT=key,
                        MEDIA_DIRECTORY=DEFAULTS['webitel_apps_storage_media_dir'], TEMP_DIRECTORY='/var/cache/webitel-storage',
                        TRANSLATION_DIRECTORY='/usr/share/webitel/storage/i18n', FILE_STORE_TYPE='local', FILE_STORE_EXPIRE_DAY='0',
                        FILE_STORE_PROPS=json.dumps({'directory': DEFAULTS['webitel_apps_storage_recordings_dir'],
                                                     'path_pattern': '$DOMAIN/$Y/$M/$D/$H'})),
        'call_center': dict(go, AMQP=amqp, DATA_SOURCE=dsn + 'call_center', GRPC_PORT=_port('call_center_grpc'),
                            RESOURCE_CID_TYPE=OVERRIDE),
        'messages_bot': dict(micro, WEBITEL_DBO_ADDRESS=dsn + 'messages-bot',
                             MICRO_SERVICE_ADDRESS='%s:%s' % (addr, _port('messages_bot_grpc')),
                             WEBITEL_BOT_ADDRESS='%s:%s' % (addr, _port('messages_bot')), WEBITEL_BOT_PROXY=public + '/chat',
                             WEBITEL_BOT_WEB_ROOT='/usr/share/webitel/webitel-messages-bot/public-html'),
        'messages_srv': dict(micro, WEBITEL_DBO_ADDRESS=dsn + 'messages-srv',
                             MICRO_SERVICE_ADDRESS='%s:%s' % (addr, _port('messages_srv_grpc'))),
    }[svc]


@pytest.mark.parametrize('host', sorted(APP_HOSTS))
def test_each_host_gets_exactly_its_services(rendered, host):
    model = _model(rendered, host)
    services = APP_HOSTS[host]['webitel_apps_enabled_services']
    assert sorted({f['service'] for f in model['files']}) == sorted(services)
    assert model['packages'] == list(dict.fromkeys(DEFAULTS['webitel_apps_services'][s]['package'] for s in services))
    env_files = [f for f in model['files'] if f['kind'] == 'env']
    assert [f['dest'] for f in env_files] == [DEFAULTS['webitel_apps_services'][s]['env_file'] for s in services]
    assert all(f['mode'] == '0640' and f['owner'] == 'root' and f['group'] == 'webitel' and f['secret'] for f in env_files)
    # The signing key: generated on the first storage host in inventory order, needed where storage/engine/flow_manager run.
    assert model['key_source'] == 'app1'
    assert model['needs_key'] is bool({'storage', 'engine', 'flow_manager'} & set(services))
    assert model['installable'] is True


@pytest.mark.parametrize('host', sorted(APP_HOSTS))
def test_every_env_file_holds_the_values_of_the_inventory(rendered, host):
    for svc in APP_HOSTS[host]['webitel_apps_enabled_services']:
        path = rendered / host / DEFAULTS['webitel_apps_services'][svc]['env_file'].lstrip('/')
        assert _env_file(path) == _expected_env(host, svc), (host, svc)


def test_no_vendor_example_trap_survives(rendered):
    """engine never on :80, the bot never on flow_manager's ESL port, no admin:admin, no loopback gRPC."""
    for host in APP_HOSTS:
        for path in (rendered / host / 'etc' / 'default').iterdir():
            env = _env_file(path)
            assert not env.get('WEBSOCKET', 'x').endswith(':80')
            assert not env.get('WEBITEL_BOT_ADDRESS', 'x').endswith(':%d' % DEFAULTS['webitel_apps_flow_manager_esl_port'])
            assert all('admin:admin' not in v and 'postgres:postgres' not in v for v in env.values())
            assert env.get('GRPC_ADDR', _addr(host)) == _addr(host)


@pytest.mark.parametrize('host', sorted(APP_HOSTS))
def test_units_and_dropins(rendered, host):
    services = APP_HOSTS[host]['webitel_apps_enabled_services']
    for svc in services:
        spec = DEFAULTS['webitel_apps_services'][svc]
        if spec['unit_from'] == 'role':
            unit = _unit(rendered / host / 'etc/systemd/system' / (spec['unit'] + '.service'))
            assert unit['Service']['EnvironmentFile'] == spec['env_file']
            assert unit['Service']['User'] == 'webitel'
            assert unit['Service']['ExecStart'].split()[:2] == ['/usr/local/bin/webitel', svc]
            assert 'consul.service' in unit['Unit']['After'].split()
            assert unit['Install']['WantedBy'] == 'multi-user.target'
            if svc == 'api':
                assert '--address=%s:%d' % (_addr(host), DEFAULTS['webitel_apps_api_port']) in unit['Service']['ExecStart']
        else:
            dropin = _unit(rendered / host / 'etc/systemd/system' / (spec['unit'] + '.service.d') / 'voiceops.conf')
            assert dropin['Unit']['StartLimitIntervalSec'] == '0'
            assert 'consul.service' in dropin['Unit']['After'].split()
            # engine's SupplementaryGroups=freeswitch is reset only where FreeSWITCH is not installed.
            reset = dropin.has_option('Service', 'SupplementaryGroups')
            assert reset == (svc == 'engine' and host not in INVENTORY['all']['children']['freeswitch_hosts']['hosts'])
            if svc == 'storage':
                assert dropin['Service']['ReadWritePaths'].split() == [
                    DEFAULTS['webitel_apps_storage_media_dir'], DEFAULTS['webitel_apps_storage_recordings_dir']]


def test_every_rendered_file_starts_with_the_managed_comment(rendered):
    for path in rendered.rglob('*'):
        if path.is_file() and path.suffix != '.json':
            assert path.read_text(encoding='utf-8').startswith('#'), path


def test_nginx_locations_point_at_every_host_running_each_service(rendered):
    locations = {loc['path']: loc for loc in json.loads((rendered / 'tel1-nginx.json').read_text(encoding='utf-8'))}
    hosts_of = {}
    for host, hv in APP_HOSTS.items():  # inventory order
        for svc in hv['webitel_apps_enabled_services']:
            hosts_of.setdefault(svc, []).append(host)

    def servers(svc, port_var):
        found = ['%s:%d' % (_addr(h), DEFAULTS[port_var]) for h in hosts_of[svc]]
        return found[0] if len(found) == 1 else found

    # api runs on one host: a single server; engine and storage run on both: an upstream of both.
    assert locations['/api']['upstream'] == servers('api', 'webitel_apps_api_port')
    assert isinstance(locations['/api']['upstream'], str)
    assert locations['/ws']['upstream'] == servers('engine', 'webitel_apps_engine_websocket_port')
    assert len(locations['/ws']['upstream']) == 2
    assert locations['/ws']['websocket'] is True
    assert locations['/chat']['upstream'] == servers('messages_bot', 'webitel_apps_messages_bot_port')
    assert locations['/api/storage']['upstream'] == servers('storage', 'webitel_apps_storage_public_port')
    assert len(locations['/api/storage']['upstream']) == 2
    assert sorted(locations) == ['/api', '/api/storage', '/chat', '/ws']
