# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller side of voiceops.platform.preflight_verdict (documented in plugins/modules)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.voiceops.platform.plugins.module_utils import _voiceops_preflight as pf


def _plain(value):
    """A host variable as plain dicts and lists (hostvars hand out lazy containers)."""
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        _valid, args = self.validate_argument_spec(argument_spec=dict(
            hosts=dict(type='list', elements='str', required=True),
            capacity=dict(type='raw'),
            repository_problems=dict(type='list', elements='dict', default=[]),
            environment=dict(type='str', default='production', choices=['production', 'lab']),
            report_dir=dict(type='path', required=True),
        ))
        hostvars = (task_vars or {}).get('hostvars') or {}

        def fact(host, name, default=None):
            return _plain(hostvars[host].get(name, default)) if host in hostvars else default

        results, hosts = {}, {}
        matrix, ranges, missing = {}, [], []
        for host in args['hosts']:
            listen, probe = fact(host, '__preflight_listen') or {}, fact(host, '__preflight_probe') or {}
            results[host] = {
                'host_requirements': fact(host, '__preflight_host'),
                'l2_adjacency': fact(host, '__preflight_l2'),
                'port_probe': {'checks': (listen.get('checks') or []) + (probe.get('checks') or [])},
                'link_quality': fact(host, '__preflight_links'),
            }
            plan = fact(host, '__preflight_plan') or {}
            hosts[host] = {'groups': fact(host, 'group_names', []), 'address': plan.get('address', ''),
                           'ports': plan.get('ports') or []}
            matrix.update(probe.get('matrix') or {})
            ranges.extend(probe.get('ranges') or [])
            missing.extend(r for r in plan.get('missing_roles') or [] if r not in missing)
        capacity = _plain(args['capacity']) if isinstance(args['capacity'], dict) else None
        verdict = pf.aggregate(results, capacity, _plain(args['repository_problems']), args['environment'])
        blocks = pf.report_blocks({
            'generated': datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M:%S UTC'),
            'environment': args['environment'], 'aggregate': verdict, 'hosts': hosts, 'missing_roles': missing,
            'matrix': matrix, 'ranges': ranges, 'capacity': capacity or {}})
        paths = {'markdown': os.path.join(args['report_dir'], 'preflight-report.md'),
                 'html': os.path.join(args['report_dir'], 'preflight-report.html')}
        # The report is this run's output on the control node, not managed state: written in check mode too.
        try:
            if not os.path.isdir(args['report_dir']):
                os.makedirs(args['report_dir'])
            for kind, render in (('markdown', pf.render_markdown), ('html', pf.render_html)):
                with open(paths[kind], 'w') as handle:
                    handle.write(render(blocks))
        except (IOError, OSError) as exc:
            raise AnsibleActionFail('preflight_report_dir=%s: cannot write the report (%s); set preflight_report_dir '
                                    'to a writable directory on the control node' % (args['report_dir'], exc))
        result.update(
            changed=False,
            verdict=verdict['verdict'],
            counts=verdict['counts'],
            checks=verdict['checks'],
            failure_lines=pf.failure_lines(verdict),
            repository_failures=len([f for f in verdict['failures'] if f.get('module') == 'repositories']),
            lab_skips=verdict['skipped'],
            report=paths,
        )
        return result
