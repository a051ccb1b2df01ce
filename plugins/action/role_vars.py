# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of voiceops.platform.role_vars (documented in plugins/modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.voiceops.platform.plugins.plugin_utils._voiceops_role_vars import RoleVars, owner, shipped_roles


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(argument_spec=dict(
            names=dict(type='list', elements='str', required=True),
        ))
        roles = shipped_roles()
        owners = dict((n, owner(n, roles)) for n in args['names'])
        unknown = sorted(n for n, r in owners.items() if r is None)
        if unknown:
            raise AnsibleActionFail('role_vars: %s belong to no role of this collection (a public variable starts with '
                                    'its role name)' % ', '.join(unknown))
        host = (task_vars or {}).get('inventory_hostname', '')
        role_vars = RoleVars(self._loader, task_vars, sorted(set(owners.values())), host)
        values = {}
        for name in args['names']:
            try:
                values[name] = role_vars.value(name)
            except KeyError:
                raise AnsibleActionFail('role_vars: %s is neither set for %s nor a default of the %s role'
                                        % (name, host, owners[name]))
        result.update(changed=False, vars=values)
        return result
