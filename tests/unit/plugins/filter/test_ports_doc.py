# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""docs/ports.md is generated from roles/preflight/vars/ports.yml and the roles' defaults.

Regenerate it with: VOICEOPS_WRITE_PORTS_DOC=1 python -m pytest tests/unit/plugins/filter/test_ports_doc.py
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

import yaml

from ansible_collections.voiceops.platform.plugins.filter import preflight as pf

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
DOC = os.path.join(TOP, 'docs', 'ports.md')


def _load(path):
    with open(path) as handle:
        return yaml.safe_load(handle)


def render():
    catalogue = _load(os.path.join(TOP, 'roles', 'preflight', 'vars', 'ports.yml'))['__preflight_port_catalogue']
    defaults = {}
    roles = set(entry.get('role') for entries in catalogue.values() for entry in entries)
    for role in sorted(r for r in roles if r):
        path = os.path.join(TOP, 'roles', role, 'defaults', 'main.yml')
        defaults[role] = _load(path) if os.path.isfile(path) else None
    return pf.preflight_ports_markdown(catalogue, defaults) + '\n'


def test_ports_doc_is_up_to_date():
    if os.environ.get('VOICEOPS_WRITE_PORTS_DOC'):
        with open(DOC, 'w') as out:
            out.write(render())
    with open(DOC) as handle:
        current = handle.read()
    assert current == render(), (
        'docs/ports.md is out of date: VOICEOPS_WRITE_PORTS_DOC=1 python -m pytest tests/unit/plugins/filter/test_ports_doc.py')


def test_every_catalogue_variable_exists_in_its_role():
    catalogue = _load(os.path.join(TOP, 'roles', 'preflight', 'vars', 'ports.yml'))['__preflight_port_catalogue']
    for entries in catalogue.values():
        for entry in entries:
            path = os.path.join(TOP, 'roles', entry['role'], 'defaults', 'main.yml')
            if not os.path.isfile(path):
                continue
            defaults = _load(path)
            for key in ('var', 'var_min', 'var_max', 'address_var'):
                if key in entry:
                    assert entry[key] in defaults, '%s is not in %s' % (entry[key], path)
