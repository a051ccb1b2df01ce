# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of voiceops.platform.preflight_resolve (documented in plugins/modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_preflight as pf
from ansible_collections.voiceops.platform.plugins.plugin_utils._voiceops_role_vars import RoleVars

_PORT_KEYS = ('var', 'var_min', 'var_max', 'address_var', 'enabled_var')
_REPOSITORY_KEYS = ('source_var', 'method_var', 'url_var')
_RECORDING = ('rtpengine_recording_enabled', 'rtpengine_recording_dir')


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(argument_spec=dict(
            port_catalogue=dict(type='dict', required=True),
            repository_catalogue=dict(type='list', elements='dict', default=[]),
            vendor_repositories=dict(type='list', elements='dict', default=[]),
            groups=dict(type='list', elements='str', required=True),
            host=dict(type='str', required=True),
            address=dict(type='str', required=True),
        ))
        task_vars = task_vars or {}
        ports = args['port_catalogue']
        repositories = args['repository_catalogue']
        roles = set(e.get('role') for entries in ports.values() for e in entries or [])
        roles |= set(r.get('role') for r in repositories)
        roles -= set([None, 'preflight'])
        role_vars = RoleVars(self._loader, task_vars, sorted(roles), args['host'])
        render = role_vars.render

        names = set(e[k] for entries in ports.values() for e in entries or [] for k in _PORT_KEYS if k in e)
        names |= set(r[k] for r in repositories for k in _REPOSITORY_KEYS if k in r)
        names |= set(_RECORDING)
        defaults = role_vars.defaults(names)
        overrides = role_vars.overrides(names)

        def lookup(name):
            if name in overrides:
                return overrides[name]
            for values in defaults.values():
                if values and name in values:
                    return values[name]
            return None

        try:
            resolved = pf.resolve_ports(ports, args['groups'], defaults, overrides)
        except ValueError as exc:
            raise AnsibleActionFail('preflight: %s on %s' % (exc, args['host']))
        targets = pf.repository_targets(repositories, args['groups'], lookup)
        targets += [{'component': r.get('component'), 'url': r.get('url'), 'credentials': list(r.get('credentials') or []),
                     'enable_hint': r.get('enable_hint')}
                    for r in args['vendor_repositories'] if r.get('group') in list(args['groups']) + ['all']]
        for target in targets:
            target['missing_credentials'] = [n for n in target['credentials']
                                             if not str(render(n, task_vars.get(n, '')) or '')]
        ranges = [p for p in resolved if p.get('component') == 'rtpengine' and 'port_min' in p]
        runs_rtpengine = any(p.get('role') == 'rtpengine' for p in resolved)
        facts = task_vars.get('ansible_facts') or {}
        result.update(
            changed=False,
            address=args['address'],
            ports=resolved,
            missing_roles=pf.missing_roles(ports, args['groups'], defaults),
            listen_specs=pf.port_specs(resolved),
            probe_specs=pf.port_specs(resolved, True),
            expected_processes=pf.expected_processes(resolved),
            repositories=targets,
            media_servers=[{'name': args['host'], 'rtp_port_min': p['port_min'], 'rtp_port_max': p['port_max']}
                           for p in ranges],
            recording_free_gb=pf.recording_free_gb(
                lookup('rtpengine_recording_enabled') if runs_rtpengine else False,
                lookup('rtpengine_recording_dir'), facts.get('mounts')),
        )
        return result
