# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The shared option checks, and that every module documents exactly the ranges it enforces."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math
import os
from unittest import mock

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_validate as validate
from ansible_collections.voiceops.platform.plugins.modules import (
    capacity_plan,
    host_requirements,
    l2_adjacency,
    link_quality,
    port_listener,
    port_probe,
)

MODULES = [capacity_plan, host_requirements, l2_adjacency, link_quality, port_listener, port_probe]
DOCS = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..', 'docs', 'modules.md')


@pytest.mark.parametrize('value,integer,expected', [
    (5, True, (5, None)),
    ('5', True, (5, None)),
    (' 7 ', True, (7, None)),
    (5.0, True, (5, None)),
    ('1e3', True, (1000, None)),
    (2.5, True, (None, 'is not a whole number')),
    (2.5, False, (2.5, None)),
    ('2.5', False, (2.5, None)),
    (True, True, (None, 'is a boolean, not a number')),
    (float('inf'), False, (None, 'is not a finite number')),
    (float('nan'), True, (None, 'is not a finite number')),
    ('inf', False, (None, 'is not a number')),
    ('1e400', False, (None, 'is not a finite number')),
    ('1e999999999', True, (None, 'is not a finite number')),
    ('0x10', True, (None, 'is not a number')),
    ('', True, (None, 'is not a number')),
    (None, False, (None, 'is not a number')),
    ([1], False, (None, 'is not a number')),
    (10 ** 400, False, (10 ** 400, None)),
])
def test_to_number(value, integer, expected):
    assert validate.to_number(value, integer) == expected


@settings(max_examples=300, deadline=None, database=None)
@given(value=st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=50),
                       st.booleans(), st.none(), st.binary(max_size=4)), integer=st.booleans())
def test_to_number_never_raises_and_never_returns_a_non_finite_number(value, integer):
    number, reason = validate.to_number(value, integer)
    assert (number is None) != (reason is None)
    if number is not None:
        assert not isinstance(number, bool) and math.isfinite(number)
        assert isinstance(number, int) or not integer


def test_number_rule():
    rule = validate.Number(1, 16, integer=True)
    assert rule.describe() == 'an integer from 1 to 16'
    assert rule.check('ports_per_call', '4') == (4, None)
    assert rule.check('ports_per_call', 0) == (None, 'ports_per_call=0 is out of range; set it to an integer from '
                                                     '1 to 16.')
    assert rule.check('x', 'y' * 80)[1] == "x='%s... is not a number; set it to an integer from 1 to 16." % ('y' * 36)
    assert validate.Number(0, 0.5, min_exclusive=True).describe() == 'a number greater than 0 and at most 0.5'
    assert validate.Number(0, 0.5, min_exclusive=True).check('blocking', 0)[1].startswith('blocking=0 is out of range')
    assert validate.Number(0.0001, 86400.0).describe() == 'a number from 0.0001 to 86400'


@pytest.mark.parametrize('value,ok', [
    ('10.0.0.1', True), ('::1', True), ('fe80::1%eth0', True), ('db-1', True), ('db-1.example.org.', True),
    ('10.0.0.256', False), ('1.2.3', False), ('127.1', False), ('0x7f.1', False), ('-db', False), ('db_1', False),
    ('a' * 64, False), ('x.' * 127 + 'x', False), ('', False), (' ', False), (None, False), (5, False),
    ('10.0.0.1/24', False), ('http://db', False), ('db 1', False),
])
def test_address_problem(value, ok):
    problem = validate.address_problem('targets[0].address', value)
    assert (problem is None) is ok
    if not ok:
        assert problem.startswith('targets[0].address=')
    if ok and value not in ('db-1', 'db-1.example.org.'):
        assert validate.address_problem('bind_address', value, host_names=False) is None
    assert validate.address_problem('bind_address', 'db-1', host_names=False).startswith(
        "bind_address='db-1' is not an IP address;")


def test_count_problem():
    assert validate.count_problem('targets', [], what='target') == 'targets is empty; give at least 1 target.'
    assert validate.count_problem('targets', None) == 'targets is empty; give at least 1 entry.'
    assert validate.count_problem('peers', [1] * 3, 1, 2) == 'peers has 3 entries; give at most 2.'
    assert validate.count_problem('peers', [1], 1, 2) is None


def test_screen_arguments_walks_lists_of_dicts_and_list_elements():
    spec = dict(count=dict(type='int'), servers=dict(type='list', elements='dict', options=dict(
        port=dict(type='int'), name=dict(type='str'))), peaks=dict(type='list', elements='int'),
        name=dict(type='str'))
    rules = {'count': validate.Number(1, 10, integer=True), 'servers.port': validate.Number(1, 65535, integer=True),
             'peaks': validate.Number(0, 5, integer=True)}
    args = dict(count='inf', servers=[{'port': 0, 'name': 'a'}, 'port=70000', 7], peaks='1,9', name='x')
    assert validate.screen_arguments(args, spec, rules) == [
        "count='inf' is not a number; set it to an integer from 1 to 10.",
        'servers[0].port=0 is out of range; set it to an integer from 1 to 65535.',
        "servers[1].port='70000' is out of range; set it to an integer from 1 to 65535.",
        'servers[2]=7 is not a dict; give one with the keys name, port.',
        "peaks[1]='9' is out of range; set it to an integer from 0 to 5.",
    ]
    assert validate.screen_arguments(dict(count=None, servers=None), spec, rules) == []
    assert validate.numeric_options(spec) == ['count', 'servers.port', 'peaks']


class _Captured(Exception):
    pass


def argument_spec(module):
    """The argument spec a module builds in main()."""
    captured = {}

    def capture(argument_spec, **kwargs):
        captured.update(argument_spec)
        raise _Captured()

    with mock.patch.object(module, 'AnsibleModule', capture), \
            mock.patch.object(validate, '_raw_arguments', return_value={}):
        with pytest.raises(_Captured):
            module.main()
    return captured


def _doc_options(module):
    return yaml.safe_load(module.DOCUMENTATION)['options']


def _description(doc):
    text = doc.get('description')
    return ' '.join(text) if isinstance(text, list) else text


@pytest.mark.parametrize('module', MODULES, ids=lambda m: m.__name__.rsplit('.', 1)[-1])
def test_every_numeric_option_has_a_rule_a_documented_range_and_a_default_inside_it(module):
    spec = argument_spec(module)
    numeric = validate.numeric_options(spec)
    assert numeric, 'no numeric option found'
    assert set(numeric) <= set(module.RULES), 'numeric options without a range: %s' % (
        set(numeric) - set(module.RULES))
    options = _doc_options(module)
    for key, rule in module.RULES.items():
        parts = key.split('.')
        doc = options[parts[0]]
        if len(parts) == 2 and 'suboptions' in doc:
            doc = doc['suboptions'][parts[1]]
            assert 'Range: %s.' % rule.describe() in _description(doc), key
        elif len(parts) == 2:  # a key of the dicts of a raw list (peers[].mtu)
            assert 'C(%s) range: %s.' % (parts[1], rule.describe()) in _description(doc), key
        else:
            assert 'Range: %s.' % rule.describe() in _description(doc), key
    for key in numeric:
        parts = key.split('.')
        default = spec[parts[0]].get('default') if len(parts) == 1 else None
        if default is not None and not isinstance(default, list):
            assert module.RULES[key].check(key, default)[1] is None, (key, default)


def docs_table():
    """The table of ranges docs/modules.md must hold (generated from the rules)."""
    lines = ['| module | option | range |', '|---|---|---|']
    for module in sorted(MODULES, key=lambda m: m.__name__):
        name = module.__name__.rsplit('.', 1)[-1]
        for key in sorted(module.RULES):
            lines.append('| `%s` | `%s` | %s |' % (name, key, module.RULES[key].describe()))
    return '\n'.join(lines)


def test_docs_list_every_range():
    with open(DOCS) as handle:
        text = handle.read()
    assert docs_table() in text, 'docs/modules.md must hold this table:\n' + docs_table()
