# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The effective value of another role's variable, for controller-side plugins.

A play that runs one role (the preflight, the acceptance checks) needs the settings of the other
roles of the collection: the host's own value (inventory, extra vars) when it has one, else the
default this collection ships for that role, templated with the host's variables over every
role's defaults (a default may name another role's variable or a fact). Used by the action
plugins preflight_resolve and role_vars; no role reads another role's files.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible.errors import AnsibleActionFail
from ansible.template import Templar

# plugins/plugin_utils/<this file> -> the collection's root, whose roles/ this collection ships.
COLLECTION_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def shipped_roles():
    """The roles this collection ships (directories under roles/ with defaults)."""
    root = os.path.join(COLLECTION_ROOT, 'roles')
    return sorted(r for r in os.listdir(root) if os.path.isfile(os.path.join(root, r, 'defaults', 'main.yml')))


def owner(name, roles):
    """The role a public variable belongs to: the longest role name it is prefixed with."""
    matches = [r for r in roles if name.startswith(r + '_')]
    return max(matches, key=len) if matches else None


def _load_trusted(loader, path):
    # A role's defaults are templates, as when Ansible loads them for the role (ansible-core 2.19
    # loads a file's strings as untrusted unless told; 2.18 has no such switch).
    try:
        return loader.load_from_file(path, trusted_as_template=True)
    except TypeError:
        return loader.load_from_file(path)


class RoleVars(object):
    """The effective variables of a host, for the roles named."""

    def __init__(self, loader, task_vars, roles, host):
        self.host = host
        self.raw = {}
        for role in roles:
            path = os.path.join(COLLECTION_ROOT, 'roles', role, 'defaults', 'main.yml')
            self.raw[role] = (_load_trusted(loader, path) or {}) if os.path.isfile(path) else None
        variables = {}
        for values in self.raw.values():
            variables.update(values or {})
        self.task_vars = task_vars or {}
        variables.update(self.task_vars)
        self.templar = Templar(loader=loader, variables=variables)

    def render(self, name, value):
        try:
            return self.templar.template(value)
        except Exception as exc:  # any templating error names the variable, never a traceback
            raise AnsibleActionFail('cannot resolve %s on %s: %s' % (name, self.host, exc))

    def defaults(self, names):
        """role -> {name: templated shipped default} for the names a role has; None for a role not shipped."""
        return dict((role, None if values is None else dict((n, self.render(n, values[n])) for n in names if n in values))
                    for role, values in self.raw.items())

    def overrides(self, names):
        """name -> the host's own value, for the names the host sets."""
        return dict((n, self.render(n, self.task_vars[n])) for n in names if n in self.task_vars)

    def value(self, name):
        """The host's own value, else the shipped default; KeyError when neither exists."""
        if name in self.task_vars:
            return self.render(name, self.task_vars[name])
        for values in self.raw.values():
            if values and name in values:
                return self.render(name, values[name])
        raise KeyError(name)
