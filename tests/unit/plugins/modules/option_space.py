# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hypothesis strategies and the contract every preflight module must keep for any option value.

The contract (issue 9): for any arguments, a module either returns a result
that is valid JSON (no Infinity/NaN) and never passes on nothing checked, or
fails with a message that names an option - never a traceback, never a hang,
and nothing resolved or sent before a malformed address is refused.

No network, no subprocess, no sleeping: ``Guard`` replaces the socket and DNS
calls, subprocesses and time.sleep while a module runs, records every call,
and adds up the seconds the module asked to sleep.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import contextlib
import datetime
import json
import math
import re
import socket
import subprocess
import time
from unittest import mock

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st

from ansible.module_utils import basic

from ansible_collections.voiceops.platform.plugins.module_utils._voiceops_validate import (
    is_host_name,
    is_ip_address,
)

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    patch_module_args = None

STATUSES = ('pass', 'warn', 'fail', 'skip')
# CPU seconds one module run may use (the slowest legal case, an Erlang B inversion near its
# one-million-channel limit, needs well under one).
CPU_SECONDS = 5.0


def examples(count):
    """Hypothesis settings: ``count`` examples, no example database written into the checkout, a
    generous wall-clock deadline (the machine is shared) - hangs are caught by Guard, not by it."""
    return settings(max_examples=count, deadline=datetime.timedelta(seconds=10), database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


# ---------------------------------------------------------------------------
# strategies
# ---------------------------------------------------------------------------

GARBAGE_TEXT = ['inf', '-inf', 'Infinity', 'nan', 'NaN', '1e400', '-1e400', '1e999999999', '9' * 60, '0x10',
                '1_000', '', ' ', 'abc', '1e3', '2.5', ' 7 ', '-0', '+3', '1,2', 'None', 'true']


def junk():
    """Values that are no number at all."""
    return st.one_of(st.none(), st.booleans(), st.sampled_from(GARBAGE_TEXT), st.text(max_size=6),
                     st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(),
                                                                          max_size=1))


def any_number():
    """Numbers of every kind: huge and negative ints, zero, floats with inf and NaN, numeric text."""
    return st.one_of(
        st.integers(),
        st.integers(min_value=-2 ** 70, max_value=2 ** 70),
        st.sampled_from([0, -1, 1, 10 ** 9, 10 ** 400, -10 ** 400, 2 ** 63, -2 ** 63]),
        st.floats(allow_nan=True, allow_infinity=True),
        st.sampled_from([float('inf'), float('-inf'), float('nan'), 1e308, -1e308, 5e-324]),
        junk(),
    )


def in_range(rule):
    """Values inside a Number rule (as numbers and as text)."""
    if rule.integer:
        values = st.integers(min_value=int(math.ceil(rule.minimum)), max_value=int(rule.maximum))
    else:
        values = st.floats(min_value=rule.minimum, max_value=rule.maximum, allow_nan=False, allow_infinity=False,
                           exclude_min=rule.min_exclusive)
    return st.one_of(values, values.map(str))


def out_of_range(rule):
    """Values a Number rule must refuse."""
    below = st.integers(max_value=int(math.ceil(rule.minimum)) - 1) if rule.integer else st.floats(
        max_value=rule.minimum, exclude_max=True, allow_nan=False, allow_infinity=False)
    above = st.integers(min_value=int(rule.maximum) + 1) if rule.integer else st.floats(
        min_value=rule.maximum, exclude_min=True, allow_nan=False, allow_infinity=False)
    choices = [below, above, st.sampled_from([float('inf'), float('-inf'), float('nan'), 'inf', 'nan',
                                              '1e999999999', 10 ** 400, True, 'abc', None]),
               below.map(str), above.map(str)]
    if rule.integer:
        choices.append(st.floats(min_value=rule.minimum, max_value=rule.maximum, allow_nan=False).filter(
            lambda f: not f.is_integer()))
    return st.one_of(choices).filter(lambda v: v is not None)


def number_for(rule):
    """Half inside the range, half anything at all."""
    return st.one_of(in_range(rule), any_number())


VALID_ADDRESSES = ['127.0.0.1', '10.0.0.11', '172.18.0.3', '::1', 'fe80::1', 'db-1', 'db-1.example.org',
                   'telephony-1.voiceops.internal.']
MALFORMED_ADDRESSES = ['10.0.0.256', '1.2.3', '999.1.1.1', '0x7f.1', '1.2.3.4/24', '::::1', 'foo bar', '-bad-.example',
                       'a' * 64 + '.example', 'x' * 260, 'http://10.0.0.1', '10.0.0.1:5060', '', ' ', 'db_1',
                       'döner.example', '1.2.3.4.5', '..', '127.1']


def address():
    return st.one_of(st.sampled_from(VALID_ADDRESSES), st.ip_addresses().map(str), st.sampled_from(MALFORMED_ADDRESSES),
                     st.text(max_size=12), st.integers(), st.none(), st.booleans())


def is_address_syntax(text):
    """A well-formed address (what may reach DNS or a socket)."""
    return isinstance(text, str) and (is_ip_address(text.strip()) or is_host_name(text.strip()))


def port_spec():
    return st.one_of(
        st.sampled_from(['5060/udp', '5060/tcp', 443, '443', '10000-10020/udp', '10000-50000/udp', '8300-8302/tcp',
                         ' 80 / TCP ']),
        st.sampled_from(['5060/sctp', 0, 70000, '70000', '50-10', 'x', '1-2-3', '-1', '5060/', True, None, 1.5, [],
                         {}, '9' * 5000, 2 ** 64]),
        st.integers(min_value=-5, max_value=70000),
        st.text(max_size=8),
    )


def port_list():
    return st.one_of(st.lists(port_spec(), max_size=4), st.just([]), st.sampled_from(['5060/udp', 5060, None]))


# ---------------------------------------------------------------------------
# running a module under guard
# ---------------------------------------------------------------------------

class Guard(object):
    """Records (and blocks) network, DNS, subprocess and sleep calls while a module runs."""

    def __init__(self):
        self.network = []
        self.slept = 0.0

    def _net(self, what):
        def fake(*args, **kwargs):
            self.network.append((what, args))
            raise OSError('unit test: no network (%s)' % what)
        return fake

    def _sleep(self, seconds):
        self.slept += seconds

    @contextlib.contextmanager
    def active(self):
        def no_subprocess(*args, **kwargs):
            raise AssertionError('a subprocess was started: %r' % (args,))

        patches = [
            mock.patch.object(socket, 'socket', side_effect=self._net('socket')),
            mock.patch.object(socket, 'getaddrinfo', side_effect=self._net('getaddrinfo')),
            mock.patch.object(socket, 'gethostbyname', side_effect=self._net('gethostbyname')),
            mock.patch.object(socket, 'create_connection', side_effect=self._net('create_connection')),
            mock.patch.object(subprocess, 'Popen', side_effect=no_subprocess),
            mock.patch.object(basic.AnsibleModule, 'run_command', side_effect=no_subprocess),
            mock.patch.object(basic.AnsibleModule, 'get_bin_path', return_value=None),
            mock.patch.object(time, 'sleep', side_effect=self._sleep),
        ]
        with contextlib.ExitStack() as stack:
            for patch in patches:
                stack.enter_context(patch)
            yield self


class _Exit(Exception):
    def __init__(self, result, failed):
        super(_Exit, self).__init__()
        self.result = result
        self.failed = failed


@contextlib.contextmanager
def _module_args(args):
    # As with no_target_syslog on the controller: a test run writes nothing to the machine's syslog
    # (where Python 3.13 refuses a NUL character in the logged arguments before the module answers).
    args = dict(args, _ansible_no_log=True)
    if patch_module_args is None:
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args}).encode()
        with mock.patch.object(basic, '_ANSIBLE_ARGS', payload):
            yield
        return
    with patch_module_args(args):
        yield


def _encodable(args):
    """Whether the controller could send these arguments (JSON; Python refuses ints past 4300 digits)."""
    try:
        json.dumps(args)
    except ValueError:
        return False
    return True


def run(module, args, extra_patches=()):
    """Run module.main() with args; returns (result, failed, guard, cpu_seconds)."""

    def _exit(self, **kwargs):
        raise _Exit(kwargs, False)

    def _fail(self, **kwargs):
        raise _Exit(kwargs, True)

    guard = Guard()
    started = time.process_time()
    with contextlib.ExitStack() as stack:
        stack.enter_context(_module_args(args))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, 'exit_json', _exit))
        stack.enter_context(mock.patch.object(basic.AnsibleModule, 'fail_json', _fail))
        for patch in extra_patches:
            stack.enter_context(patch)
        stack.enter_context(guard.active())
        try:
            module.main()
        except _Exit as exc:
            return exc.result, exc.failed, guard, time.process_time() - started
    raise AssertionError('main() returned without exit_json or fail_json')


def option_names(argument_spec, prefix=''):
    names = set()
    for name, spec in argument_spec.items():
        names.add(name)
        if spec.get('options'):
            names |= option_names(spec['options'])
    return names


def names_an_option(msg, names):
    return any(re.search(r'(?<![A-Za-z0-9_])%s(?![A-Za-z0-9_])' % re.escape(name), msg) for name in names)


def check_contract(module_name, result, failed, guard, cpu, args, names, max_sleep=0.0):
    """The contract of every preflight module, for one run. Returns 'result', 'refused' or 'failed checks'."""
    text = json.dumps(result, allow_nan=False, default=str)  # raises on Infinity/NaN
    assert 'Traceback' not in text
    assert cpu < CPU_SECONDS, 'used %.1f s of CPU' % cpu
    assert guard.slept <= max_sleep, 'asked to sleep %s s' % guard.slept
    if failed and 'checks' not in result:
        msg = result.get('msg', '')
        assert names_an_option(msg, names), 'the message names no option: %s' % msg
        assert not guard.network, 'resolved or connected before refusing: %r / %s' % (guard.network, msg)
        event('refused')
        return 'refused'
    assert result['verdict'] in STATUSES
    statuses = [c['status'] for c in result['checks']]
    assert set(statuses) <= set(STATUSES)
    if result['verdict'] == 'pass':
        assert 'pass' in statuses, 'pass with nothing checked'
    if failed:
        fail_on = args.get('fail_on', 'failure')
        assert 'fail' in statuses or (fail_on == 'warning' and 'warn' in statuses), result['msg']
        assert result['msg'].startswith(module_name)
        event('failed checks')
        return 'failed checks'
    event('result %s' % result['verdict'])
    return 'result'


# ---------------------------------------------------------------------------
# the option space of a module, from its documentation
# ---------------------------------------------------------------------------

def documented_options(module):
    """The module's options as documented (the sanity test keeps them equal to the argument spec)."""
    import yaml
    options = dict(yaml.safe_load(module.DOCUMENTATION)['options'])
    options['fail_on'] = {'type': 'str', 'choices': ['failure', 'warning', 'never']}
    return options


def _strategy(doc, rules, key, overrides, valid):
    if key in overrides:
        return overrides[key]
    kind = doc.get('type', 'str')
    if kind in ('int', 'float'):
        return in_range(rules[key]) if valid else number_for(rules[key])
    if kind == 'bool':
        return st.booleans() if valid else st.one_of(st.booleans(), junk())
    if kind == 'str' and doc.get('choices'):
        choices = st.sampled_from(doc['choices'])
        return choices if valid else st.one_of(choices, st.text(max_size=4))
    if kind in ('str', 'path'):
        names = st.sampled_from(['/', '/tmp', 'x', 'db-1'])
        return names if valid else st.one_of(st.text(max_size=8), names)
    if kind == 'list' and doc.get('elements') in ('int', 'float'):
        if valid:
            return st.lists(in_range(rules[key]), max_size=2)
        return st.one_of(st.lists(number_for(rules[key]), max_size=3), any_number())
    if kind == 'list' and doc.get('elements') == 'dict' and doc.get('suboptions'):
        items = st.lists(arguments(doc['suboptions'], rules, overrides, key + '.', valid), max_size=3)
        return items if valid else st.one_of(items, junk())
    if kind == 'list':
        texts = st.lists(st.sampled_from(['amd64', 'kvm', 'nginx', 'none']), max_size=3)
        return texts if valid else st.one_of(st.lists(st.text(max_size=6), max_size=3), junk())
    return junk()


def arguments(options, rules, overrides=None, key='', valid=False):
    """A strategy for argument dicts over the documented options (each option present or not).

    With valid, every value is of the documented type and inside its range (so
    that the measuring code, not only the refusals, is exercised); overrides
    gives the strategy of options whose documentation cannot (raw lists, the
    required suboptions of a dict).
    """
    overrides = overrides or {}
    required = {}
    optional = {}
    for name, doc in options.items():
        strategy = _strategy(doc, rules, key + name, overrides, valid)
        if valid and doc.get('required'):
            required[name] = strategy
        else:
            optional[name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def set_path(args, key, value):
    """Put value at a dotted option key ('media_servers.rtp_port_min' goes into media_servers[0])
    and return how the module must name it ('media_servers[0].rtp_port_min')."""
    parts = key.split('.')
    if len(parts) == 1:
        args[key] = value
        return key
    parent = args[parts[0]]
    if isinstance(parent, list):
        parent[0] = dict(parent[0], **{parts[1]: value})
        return '%s[0].%s' % tuple(parts)
    args[parts[0]] = dict(parent, **{parts[1]: value})
    return key
