# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ports and secrets catalogues agree with the roles, in both directions.

- every port variable of every role's defaults is in roles/preflight/vars/ports.yml, and every
  catalogue variable exists in its role; docs/ports.md is generated from it;
- every secret of every role (a no_log option of its argument_specs, or a variable named like one)
  is in docs/secrets.yml, every entry there is a no_log option of its role, and docs/secrets.md
  is generated from it. Both docs: python3 scripts/gen_docs.py.
"""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
SECRET_NAME = re.compile(r'(password|token|cookie|encrypt_key|private_key)$')
PORT_NAME = re.compile(r'_port(s)?(_min|_max)?$|_port_(min|max)$')
NOT_A_PORT = re.compile(r'_match_port$')  # a flag (opensips_dispatcher_match_port), not a port


def _load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle) or {}


def _roles():
    for path in sorted(glob.glob(os.path.join(TOP, 'roles', '*', 'defaults', 'main.yml'))):
        role = path.split(os.sep)[-3]
        spec = _load(os.path.join(TOP, 'roles', role, 'meta', 'argument_specs.yml'))
        yield role, _load(path), spec['argument_specs']['main']['options']


def _port_catalogue_vars():
    catalogue = _load(os.path.join(TOP, 'roles', 'preflight', 'vars', 'ports.yml'))['__preflight_port_catalogue']
    found = set()
    for entries in catalogue.values():
        for entry in entries:
            found.update(entry[k] for k in ('var', 'var_min', 'var_max') if k in entry)
    return found


def test_every_port_variable_of_every_role_is_in_the_port_catalogue():
    """Every port a role listens on. A port variable whose default is a reference to another
    variable ("{{ rabbitmq_amqp_port }}") names a port this role connects to: its owner lists it."""
    catalogue = _port_catalogue_vars()
    missing = [name for _role, defaults, _options in _roles() for name, value in defaults.items()
               if PORT_NAME.search(name) and not NOT_A_PORT.search(name) and name not in catalogue and '{{' not in str(value)]
    assert not missing, 'add these ports to roles/preflight/vars/ports.yml: %s' % missing


def test_every_port_of_the_catalogue_is_a_role_variable():
    defaults = {name for _role, d, _options in _roles() for name in d}
    assert not sorted(_port_catalogue_vars() - defaults)


def test_every_secret_of_every_role_is_in_the_secrets_catalogue():
    catalogue = {s['var'] for s in _load(os.path.join(TOP, 'docs', 'secrets.yml'))['secrets']}
    found = set()
    for role, defaults, options in _roles():
        found.update(name for name, option in options.items() if option.get('no_log'))
        # A secret-named variable whose default is a path names a file holding the key, not the key.
        found.update(name for name, value in defaults.items() if SECRET_NAME.search(name) and not str(value).startswith('/'))
    assert not sorted(found - catalogue), 'add these secrets to docs/secrets.yml'


def test_every_catalogued_secret_is_a_no_log_variable_of_its_role_without_default():
    roles = {role: (defaults, options) for role, defaults, options in _roles()}
    for secret in _load(os.path.join(TOP, 'docs', 'secrets.yml'))['secrets']:
        defaults, options = roles[secret['role']]
        assert secret['var'] in defaults, secret
        assert options[secret['var']].get('no_log') is True, '%s: set no_log: true in its argument_specs' % secret['var']
        default = defaults[secret['var']]
        assert default == '' or '{{' in str(default), '%s has a working default' % secret['var']
        for key in ('protects', 'required', 'generate'):
            assert secret.get(key), (secret['var'], key)


def test_the_ports_and_secrets_docs_are_generated_from_the_catalogues():
    result = subprocess.run([sys.executable, os.path.join(TOP, 'scripts', 'gen_docs.py'), '--check'],
                            check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_argument_specs_match_the_defaults_of_every_role():
    """Every default is specified; every specified option has a default unless it is required;
    the validate entry point checks the same options as main."""
    for path in sorted(glob.glob(os.path.join(TOP, 'roles', '*', 'meta', 'argument_specs.yml'))):
        role = path.split(os.sep)[-3]
        specs = _load(path)['argument_specs']
        options = specs['main']['options']
        defaults_file = os.path.join(TOP, 'roles', role, 'defaults', 'main.yml')
        defaults = _load(defaults_file) if os.path.exists(defaults_file) else {}
        assert not sorted(set(defaults) - set(options)), '%s: defaults missing from argument_specs' % role
        unset = sorted(n for n, o in options.items() if n not in defaults and not o.get('required'))
        assert not unset, '%s: options with neither a default nor required: true: %s' % (role, unset)
        assert specs.get('validate', {}).get('options') == options, '%s: add `validate: *spec` (an alias of main)' % role
