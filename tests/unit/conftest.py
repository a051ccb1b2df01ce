# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Make this checkout importable as ansible_collections.voiceops.platform for pytest.

Under ansible-test the checkout already sits in an ansible_collections tree; when
pytest runs straight from the checkout, a link to it is created in a temporary
collections root (or the one scripts/common.sh prepared) and put on sys.path.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import sys
import tempfile

_TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))


def _collections_root():
    parts = _TOP.split(os.sep)
    if len(parts) >= 3 and parts[-3] == 'ansible_collections':
        return os.sep.join(parts[:-3]) or os.sep
    root = os.environ.get('VOICEOPS_COLLECTIONS_ROOT')
    if not root:
        root = os.path.join(tempfile.gettempdir(), 'voiceops-unit-collections-%d' % os.getuid())
    link = os.path.join(root, 'ansible_collections', 'voiceops', 'platform')
    if os.path.realpath(link) != _TOP:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        if os.path.islink(link):
            os.unlink(link)
        os.symlink(_TOP, link)
    return root


_ROOT = _collections_root()
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)


import contextlib  # noqa: E402
import json  # noqa: E402

import pytest  # noqa: E402
from unittest import mock  # noqa: E402

from ansible.module_utils import basic  # noqa: E402


class ModuleExit(Exception):
    """Raised instead of exit_json / fail_json; carries the result."""

    def __init__(self, result, failed):
        super(ModuleExit, self).__init__(result.get('msg', ''))
        self.result = result
        self.failed = failed


@contextlib.contextmanager
def _module_args(args):
    # As with no_target_syslog on the controller: a test run writes nothing to the machine's syslog
    # (where Python 3.13 refuses a NUL character in the logged arguments before the module answers).
    args = dict(args, _ansible_no_log=True)
    try:
        from ansible.module_utils.testing import patch_module_args
    except ImportError:  # ansible-core < 2.19
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()
        with mock.patch.object(basic, '_ANSIBLE_ARGS', payload):
            yield
        return
    with patch_module_args(args):
        yield


@pytest.fixture
def run_module():
    """Run a module's main() with fake arguments; returns (result, failed)."""

    def _exit(self, **kwargs):
        raise ModuleExit(kwargs, False)

    def _fail(self, **kwargs):
        raise ModuleExit(kwargs, True)

    def runner(module, args):
        with _module_args(args), \
                mock.patch.object(basic.AnsibleModule, 'exit_json', _exit), \
                mock.patch.object(basic.AnsibleModule, 'fail_json', _fail):
            try:
                module.main()
            except ModuleExit as exc:
                return exc.result, exc.failed
        raise AssertionError('the module returned without exit_json or fail_json')

    return runner


def _os_release():
    values = {}
    try:
        with open('/etc/os-release', encoding='utf-8') as f:
            for line in f:
                key, sep, value = line.strip().partition('=')
                if sep:
                    values[key] = value.strip('"')
    except OSError:
        pass
    return values


@pytest.fixture(scope='session')
def control_node_os():
    """Extra variables for the playbook tests whose hosts are the control node itself.

    The preflight accepts Debian 12 hosts only. A control node on another release (the Debian 13
    controller stage of scripts/test.sh, a GitHub runner) cannot pretend to be one, so there the
    release it runs is declared the expected one: every other rule runs as on a Debian 12 host.
    Empty on Debian 12, where the rule runs unchanged.
    """
    release = _os_release()
    if release.get('ID') == 'debian' and release.get('VERSION_ID') == '12':
        return {}
    return {'__preflight_distribution': "{{ ansible_facts['distribution'] }}",
            '__preflight_distribution_major': "{{ ansible_facts['distribution_major_version'] }}"}
