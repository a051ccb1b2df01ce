# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filters of the preflight role: port catalogue resolution, aggregation, report rendering.

Pure Python (no host access), unit-tested in tests/unit/plugins/filter/.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import html

STATUS_RANK = {'skip': 0, 'pass': 1, 'warn': 2, 'fail': 3}
MODULE_ORDER = ['host_requirements', 'l2_adjacency', 'port_probe', 'link_quality', 'capacity_plan', 'repositories']


def _is_loopback(address):
    text = str(address or '').strip().lower()
    return text.startswith('127.') or text in ('::1', 'localhost', '[::1]')


def _lookup(name, role, defaults, overrides):
    """(value, source) of a role variable: the host's own value, else the role default."""
    if name in (overrides or {}):
        return overrides[name], ('preflight variable' if role == 'preflight' else 'inventory')
    role_defaults = (defaults or {}).get(role)
    if role_defaults and name in role_defaults:
        return role_defaults[name], 'defaults of %s' % role
    return None, None


def _port(value, name):
    try:
        port = int(str(value).strip())
    except (TypeError, ValueError):
        raise ValueError('%s is %r, not a port number' % (name, value))
    if not 0 < port < 65536:
        raise ValueError('%s is %d, outside 1-65535' % (name, port))
    return port


def catalogue_groups(catalogue, groups):
    """The catalogue groups that apply to a host, in catalogue order (all included)."""
    wanted = set(groups or []) | set(['all'])
    return [g for g in (catalogue or {}) if g in wanted]


def _enabled(entry, role, defaults, overrides):
    """False when the entry's enabled_var turns it off: a bool, a list that must hold
    enabled_contains, or a value that must equal enabled_value."""
    if not entry.get('enabled_var'):
        return True
    value, _src = _lookup(entry['enabled_var'], role, defaults, overrides)
    if 'enabled_value' in entry:
        return str(value) == str(entry['enabled_value'])
    if 'enabled_contains' in entry:
        return isinstance(value, (list, tuple)) and entry['enabled_contains'] in value
    if isinstance(value, str):
        return value.strip().lower() in ('true', 'yes', 'on', '1')
    return bool(value)


def resolve_entry(entry, defaults, overrides, group):
    """The resolved entries (one per protocol) of one catalogue entry, or [] when not applicable."""
    role = entry.get('role')
    if not _enabled(entry, role, defaults, overrides):
        return []
    protos = entry.get('proto') or 'tcp'
    if not isinstance(protos, (list, tuple)):
        protos = [protos]
    base = {
        'component': entry.get('component') or role,
        'role': role,
        'group': group,
        'exposure': entry.get('exposure', 'private'),
        'purpose': entry.get('purpose', ''),
        'processes': list(entry.get('processes') or []),
    }
    if 'var_min' in entry:
        low, src = _lookup(entry['var_min'], role, defaults, overrides)
        high, src_high = _lookup(entry['var_max'], role, defaults, overrides)
        if low is None or high is None:
            return []
        low = _port(low, entry['var_min'])
        high = _port(high, entry['var_max'])
        if high < low:
            raise ValueError('%s (%d) is below %s (%d)' % (entry['var_max'], high, entry['var_min'], low))
        base.update({'var': '%s..%s' % (entry['var_min'], entry['var_max']), 'port_min': low, 'port_max': high,
                     'source': src if src == src_high else '%s, %s' % (src, src_high)})
        number = '%d-%d' % (low, high)
    elif 'var' in entry:
        value, src = _lookup(entry['var'], role, defaults, overrides)
        if value is None:
            return []
        base.update({'var': entry['var'], 'port': _port(value, entry['var']), 'source': src})
        number = str(base['port'])
    else:
        if role and (defaults or {}).get(role) is None and role != 'preflight':
            return []
        base.update({'var': None, 'port': _port(entry['port'], entry.get('component', 'port')),
                     'source': 'fixed'})
        number = str(base['port'])
    if entry.get('address_var'):
        address, _src = _lookup(entry['address_var'], role, defaults, overrides)
        base['address'] = address
        if _is_loopback(address):
            base['exposure'] = 'loopback'
    out = []
    for proto in protos:
        item = dict(base)
        item['proto'] = proto
        item['spec'] = '%s/%s' % (number, proto)
        out.append(item)
    return out


def preflight_ports(catalogue, groups, defaults, overrides):
    """Every port of the host's groups, resolved; duplicates (same spec) merged."""
    out = []
    seen = {}
    for group in catalogue_groups(catalogue, groups):
        for entry in catalogue[group] or []:
            for item in resolve_entry(entry, defaults, overrides, group):
                if item['spec'] in seen:
                    known = seen[item['spec']]
                    for name in item['processes']:
                        if name not in known['processes']:
                            known['processes'].append(name)
                    continue
                seen[item['spec']] = item
                out.append(item)
    return out


def preflight_missing_roles(catalogue, groups, defaults):
    """Roles named by the host's catalogue groups whose defaults were not found (role not present)."""
    missing = []
    for group in catalogue_groups(catalogue, groups):
        for entry in catalogue[group] or []:
            role = entry.get('role')
            if role and role != 'preflight' and (defaults or {}).get(role) is None and role not in missing:
                missing.append(role)
    return missing


def preflight_port_specs(entries, probed_only=False):
    """The port_probe specs of resolved entries; probed_only drops the loopback ones."""
    specs = []
    for item in entries or []:
        if probed_only and item.get('exposure') == 'loopback':
            continue
        if item['spec'] not in specs:
            specs.append(item['spec'])
    return specs


def preflight_expected_processes(entries):
    """Process names allowed to hold the host's ports (the services the roles install)."""
    names = []
    for item in entries or []:
        for name in item.get('processes') or []:
            if name not in names:
                names.append(name)
    return names


def _worst(statuses):
    worst = 'pass'
    for status in statuses:
        if STATUS_RANK.get(status, 0) > STATUS_RANK[worst]:
            worst = status
    return worst


def preflight_aggregate(hosts, capacity=None, repositories=None, environment='production'):
    """One verdict from every module result.

    hosts: host name -> {module name: module result with 'checks'}.
    capacity: the capacity_plan result (run once), or None.
    repositories: the repository problems [{component, host, problem, fix}].
    Returns {'verdict', 'checks' (flat, each with host and module), 'failures' (grouped over hosts),
    'warnings' (grouped), 'skipped' (lab repository skips), 'counts'}.
    """
    flat = []
    for host in sorted(hosts or {}):
        results = hosts[host] or {}
        for module in MODULE_ORDER:
            result = results.get(module)
            if not isinstance(result, dict):
                continue
            for check in result.get('checks') or []:
                item = dict(check)
                item['host'] = host
                item['module'] = module
                flat.append(item)
    if isinstance(capacity, dict):
        for check in capacity.get('checks') or []:
            item = dict(check)
            item['host'] = 'controller'
            item['module'] = 'capacity_plan'
            flat.append(item)
    skipped = []
    for problem in repositories or []:
        item = {
            'name': 'vendor_repository', 'module': 'repositories', 'host': problem.get('host'),
            'subject': problem.get('component'), 'measured': problem.get('problem'),
            'required': 'reachable, credentials set', 'message': problem.get('problem'),
            'fix': problem.get('fix'), 'component': problem.get('component'),
            'status': 'skip' if environment == 'lab' else 'fail',
        }
        if environment == 'lab':
            skipped.append(item)
        flat.append(item)
    counts = dict((s, 0) for s in STATUS_RANK)
    for item in flat:
        counts[item.get('status', 'skip')] = counts.get(item.get('status', 'skip'), 0) + 1
    verdict = _worst([c.get('status', 'skip') for c in flat])
    return {
        'verdict': verdict,
        'checks': flat,
        'failures': group_checks([c for c in flat if c.get('status') == 'fail']),
        'warnings': group_checks([c for c in flat if c.get('status') == 'warn']),
        'skipped': skipped,
        'counts': counts,
    }


def group_checks(checks):
    """Merge identical findings of several hosts into one record with a 'hosts' list."""
    grouped = []
    index = {}
    for check in checks:
        key = (check.get('module'), check.get('name'), check.get('subject'), str(check.get('measured')),
               str(check.get('required')), check.get('message'), check.get('fix'))
        if key in index:
            if check['host'] not in index[key]['hosts']:
                index[key]['hosts'].append(check['host'])
            continue
        record = dict(check)
        record['hosts'] = [check['host']]
        index[key] = record
        grouped.append(record)
    return grouped


def failure_line(record):
    """One line for one failed requirement: host(s), what, measured, required, fix."""
    if record.get('module') == 'repositories':
        # The wording of the vendor repository check predates the aggregation; keep it.
        return '%s on %s: %s. Fix: %s.' % (record.get('component'), ', '.join(record['hosts']),
                                           record.get('message'), record.get('fix'))
    subject = ' [%s]' % record['subject'] if record.get('subject') else ''
    line = '%s on %s%s: measured %s, required %s. %s.' % (
        record.get('name'), ', '.join(record['hosts']), subject, record.get('measured'),
        record.get('required'), str(record.get('message') or '').rstrip('.'))
    if record.get('fix'):
        line += ' Fix: %s.' % str(record['fix']).rstrip('.')
    return line


def preflight_failure_lines(aggregate):
    """The failure lines of an aggregate, one per failed requirement."""
    return [failure_line(r) for r in (aggregate or {}).get('failures') or []]


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

def _cell(value):
    text = '' if value is None else str(value)
    return text.replace('|', '\\|').replace('\n', ' ')


def _md_table(header, rows):
    lines = ['| %s |' % ' | '.join(header), '|%s|' % '|'.join(['---'] * len(header))]
    for row in rows:
        lines.append('| %s |' % ' | '.join(_cell(v) for v in row))
    return lines


def matrix_rows(matrix):
    """(source, destination, port, state, detail) rows of a port matrix, sorted."""
    rows = []
    for source in sorted(matrix or {}):
        for destination in sorted(matrix[source] or {}):
            ports = matrix[source][destination] or {}
            for key in sorted(ports, key=_port_sort_key):
                result = ports[key] or {}
                state = result.get('state', 'error')
                detail = result.get('reason') or ''
                if state == 'in_use':
                    detail = 'held by %s, %s' % (', '.join(result.get('processes') or []) or 'another process',
                                                 result.get('reachability'))
                rows.append((source, destination, key, state, detail))
    return rows


def _port_sort_key(key):
    number, _sep, proto = str(key).partition('/')
    try:
        return (int(number.split('-')[0]), proto)
    except ValueError:
        return (0, str(key))


def matrix_grid(matrix):
    """The matrix as a grid: columns (destination, port), rows source -> state per column."""
    columns = []
    for source in sorted(matrix or {}):
        for destination in sorted(matrix[source] or {}):
            for key in matrix[source][destination] or {}:
                if (destination, key) not in columns:
                    columns.append((destination, key))
    columns.sort(key=lambda c: (c[0], _port_sort_key(c[1])))
    rows = []
    for source in sorted(matrix or {}):
        cells = []
        for destination, key in columns:
            result = ((matrix[source] or {}).get(destination) or {}).get(key)
            cells.append(result.get('state', 'error') if result else None)
        rows.append((source, cells))
    return columns, rows


def _host_rows(data):
    rows = []
    for check in (data.get('aggregate') or {}).get('checks') or []:
        if check.get('module') in ('host_requirements', 'l2_adjacency', 'link_quality') or (
                check.get('module') == 'port_probe' and check.get('name') == 'port_free'):
            rows.append(check)
    return rows


def _plan_rows(capacity):
    plan = (capacity or {}).get('plan') or {}
    return [(k, plan[k]) for k in sorted(plan)]


def preflight_report_markdown(data):
    """The report as Markdown.

    data: {generated, environment, aggregate, hosts: {name: {groups, address, ports}}, matrix, ranges,
    capacity, missing_roles}.
    """
    data = data or {}
    agg = data.get('aggregate') or {}
    counts = agg.get('counts') or {}
    out = ['# Preflight report', '']
    out.append('- generated: %s' % data.get('generated', ''))
    out.append('- environment: %s' % data.get('environment', ''))
    out.append('- verdict: **%s** (%s)' % (
        str(agg.get('verdict', 'pass')).upper(),
        ', '.join('%d %s' % (counts.get(s, 0), s) for s in ('fail', 'warn', 'pass', 'skip'))))
    out.append('')
    out.append('## Failed requirements')
    out.append('')
    lines = preflight_failure_lines(agg)
    out.extend(['- %s' % line for line in lines] or ['None.'])
    out.append('')
    if agg.get('warnings'):
        out.append('## Warnings')
        out.append('')
        out.extend('- %s' % failure_line(w) for w in agg['warnings'])
        out.append('')
    if agg.get('skipped'):
        out.append('## Skipped (lab)')
        out.append('')
        out.extend('- SKIPPED %s on %s: %s. To enable: %s.' % (s.get('component'), s.get('host'),
                                                               s.get('message'), s.get('fix'))
                   for s in agg['skipped'])
        out.append('')
    out.append('## Hosts and ports')
    out.append('')
    rows = []
    for name in sorted(data.get('hosts') or {}):
        host = data['hosts'][name] or {}
        for port in host.get('ports') or []:
            rows.append((name, ', '.join(host.get('groups') or []), port.get('spec'), port.get('component'),
                         port.get('exposure'), port.get('var') or 'fixed', port.get('source')))
    out.extend(_md_table(['host', 'groups', 'port', 'component', 'exposure', 'variable', 'value from'], rows))
    if data.get('missing_roles'):
        out.append('')
        out.append('Not checked (role not in this collection yet): %s.' % ', '.join(data['missing_roles']))
    out.append('')
    out.append('## Port matrix')
    out.append('')
    out.extend(_md_table(['source', 'destination', 'port', 'state', 'detail'], matrix_rows(data.get('matrix'))))
    if data.get('ranges'):
        out.append('')
        out.append('Ranges are probed at both ends and a sample:')
        out.append('')
        seen = []
        for item in data['ranges']:
            text = '- %s %s: %s of %s ports probed (%s)' % (
                item.get('destination', ''), item.get('range'), item.get('probed'), item.get('size'),
                ', '.join(str(p) for p in item.get('ports') or []))
            if text not in seen:
                seen.append(text)
        out.extend(seen)
    out.append('')
    out.append('## Capacity plan')
    out.append('')
    out.extend(_md_table(['figure', 'value'], _plan_rows(data.get('capacity'))))
    servers = (data.get('capacity') or {}).get('media_servers') or []
    if servers:
        out.append('')
        out.extend(_md_table(['media server', 'RTP range', 'ports', 'needed', 'calls capacity', 'status'],
                             [(s.get('name'), '%s-%s' % (s.get('rtp_port_min'), s.get('rtp_port_max')),
                               s.get('rtp_ports_configured'), s.get('rtp_ports_needed'), s.get('calls_capacity'),
                               s.get('status')) for s in servers]))
    out.append('')
    cap_checks = [c for c in agg.get('checks') or [] if c.get('module') == 'capacity_plan']
    if cap_checks:
        out.extend(_md_table(['check', 'status', 'measured', 'required', 'detail'],
                             [(c.get('name'), c.get('status'), c.get('measured'), c.get('required'),
                               c.get('message')) for c in cap_checks]))
        out.append('')
    out.append('## Per-host requirements')
    out.append('')
    out.extend(_md_table(['host', 'module', 'check', 'subject', 'status', 'measured', 'required', 'detail'],
                         [(c.get('host'), c.get('module'), c.get('name'), c.get('subject', ''), c.get('status'),
                           c.get('measured'), c.get('required'), c.get('message')) for c in _host_rows(data)]))
    out.append('')
    return '\n'.join(out)


_COLOURS = {
    'open': '#c8f0c8', 'pass': '#c8f0c8', 'in_use': '#fff1b8', 'warn': '#fff1b8',
    'filtered': '#f6b8b8', 'rejected': '#f6b8b8', 'error': '#f6b8b8', 'fail': '#f6b8b8',
    'skip': '#e4e4e4', None: '#ffffff',
}

_CSS = ('body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:1em 0}'
        'td,th{border:1px solid #999;padding:3px 6px;font-size:13px;vertical-align:top}'
        'th{background:#eee}.verdict{font-size:1.3em;font-weight:bold;padding:4px 8px}'
        'th.rot{writing-mode:vertical-rl;transform:rotate(180deg)}')


def _e(value):
    return html.escape('' if value is None else str(value))


def _status_cell(value):
    return '<td style="background:%s">%s</td>' % (_COLOURS.get(value, '#ffffff'), _e(value if value else '-'))


def _html_table(header, rows, status_columns=()):
    out = ['<table><tr>%s</tr>' % ''.join('<th>%s</th>' % _e(h) for h in header)]
    for row in rows:
        cells = []
        for index, value in enumerate(row):
            cells.append(_status_cell(value) if index in status_columns else '<td>%s</td>' % _e(value))
        out.append('<tr>%s</tr>' % ''.join(cells))
    out.append('</table>')
    return out


def preflight_report_html(data):
    """The report as one self-contained HTML page (inline CSS, no external resource)."""
    data = data or {}
    agg = data.get('aggregate') or {}
    verdict = agg.get('verdict', 'pass')
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">',
           '<title>Preflight report</title><style>%s</style></head><body>' % _CSS,
           '<h1>Preflight report</h1>',
           '<p>generated %s, environment %s</p>' % (_e(data.get('generated')), _e(data.get('environment'))),
           '<p class="verdict" style="background:%s">verdict: %s</p>' % (
               _COLOURS.get(verdict, '#fff'), _e(str(verdict).upper()))]
    out.append('<h2>Failed requirements</h2>')
    lines = preflight_failure_lines(agg)
    out.append('<ul>%s</ul>' % ''.join('<li>%s</li>' % _e(line) for line in lines) if lines else '<p>None.</p>')
    if agg.get('warnings'):
        out.append('<h2>Warnings</h2>')
        out.append('<ul>%s</ul>' % ''.join('<li>%s</li>' % _e(failure_line(w)) for w in agg['warnings']))
    if agg.get('skipped'):
        out.append('<h2>Skipped (lab)</h2>')
        out.append('<ul>%s</ul>' % ''.join('<li>SKIPPED %s on %s: %s. To enable: %s.</li>' % (
            _e(s.get('component')), _e(s.get('host')), _e(s.get('message')), _e(s.get('fix')))
            for s in agg['skipped']))
    out.append('<h2>Port matrix</h2>')
    columns, rows = matrix_grid(data.get('matrix'))
    if columns:
        out.append('<table class="matrix"><tr><th>source \\ destination</th>%s</tr>' % ''.join(
            '<th class="rot">%s %s</th>' % (_e(d), _e(k)) for d, k in columns))
        for source, cells in rows:
            out.append('<tr><th>%s</th>%s</tr>' % (_e(source), ''.join(_status_cell(c) for c in cells)))
        out.append('</table>')
        out.append('<p>%s</p>' % ' '.join('<span style="background:%s;padding:2px 6px">%s</span>' % (
            _COLOURS[s], s) for s in ('open', 'in_use', 'filtered', 'rejected')))
    else:
        out.append('<p>No port was probed.</p>')
    out.extend(_html_table(['source', 'destination', 'port', 'state', 'detail'], matrix_rows(data.get('matrix')),
                           status_columns=(3,)))
    out.append('<h2>Hosts and ports</h2>')
    rows = []
    for name in sorted(data.get('hosts') or {}):
        host = data['hosts'][name] or {}
        for port in host.get('ports') or []:
            rows.append((name, ', '.join(host.get('groups') or []), port.get('spec'), port.get('component'),
                         port.get('exposure'), port.get('var') or 'fixed', port.get('source')))
    out.extend(_html_table(['host', 'groups', 'port', 'component', 'exposure', 'variable', 'value from'], rows))
    out.append('<h2>Capacity plan</h2>')
    out.extend(_html_table(['figure', 'value'], _plan_rows(data.get('capacity'))))
    servers = (data.get('capacity') or {}).get('media_servers') or []
    if servers:
        out.extend(_html_table(['media server', 'RTP range', 'ports', 'needed', 'calls capacity', 'status'],
                               [(s.get('name'), '%s-%s' % (s.get('rtp_port_min'), s.get('rtp_port_max')),
                                 s.get('rtp_ports_configured'), s.get('rtp_ports_needed'), s.get('calls_capacity'),
                                 s.get('status')) for s in servers], status_columns=(5,)))
    cap_checks = [c for c in agg.get('checks') or [] if c.get('module') == 'capacity_plan']
    out.extend(_html_table(['check', 'status', 'measured', 'required', 'detail'],
                           [(c.get('name'), c.get('status'), c.get('measured'), c.get('required'), c.get('message'))
                            for c in cap_checks], status_columns=(1,)))
    out.append('<h2>Per-host requirements</h2>')
    out.extend(_html_table(['host', 'module', 'check', 'subject', 'status', 'measured', 'required', 'detail'],
                           [(c.get('host'), c.get('module'), c.get('name'), c.get('subject', ''), c.get('status'),
                             c.get('measured'), c.get('required'), c.get('message')) for c in _host_rows(data)],
                           status_columns=(4,)))
    out.append('</body></html>')
    return '\n'.join(out) + '\n'


def preflight_ports_markdown(catalogue, defaults):
    """docs/ports.md: the catalogue with the role defaults, per group."""
    out = ['# Ports', '',
           '<!-- Generated from roles/preflight/vars/ports.yml and the roles\' defaults/main.yml by',
           '     VOICEOPS_WRITE_PORTS_DOC=1 python -m pytest tests/unit/plugins/filter/test_ports_doc.py',
           '     (do not edit by hand; the unit test fails when this file is out of date). -->', '',
           'Every port of the stack, per host group, as the preflight role checks it. The port is the role',
           'variable named here: set it in the inventory to move the port; the preflight, the role and this',
           'table follow. `exposure`: public (users, phones, the Internet), private (between the servers, on',
           'the VLAN), loopback (this host only: checked free, not probed from the peers).', '']
    for group in catalogue or {}:
        out.append('## %s' % group)
        out.append('')
        rows = []
        for entry in catalogue[group] or []:
            protos = entry.get('proto') or 'tcp'
            protos = '+'.join(protos) if isinstance(protos, (list, tuple)) else protos
            role = entry.get('role')
            role_defaults = (defaults or {}).get(role) or {}
            if 'var_min' in entry:
                var = '`%s`..`%s`' % (entry['var_min'], entry['var_max'])
                value = '%s-%s' % (role_defaults.get(entry['var_min'], '?'), role_defaults.get(entry['var_max'], '?'))
            elif 'var' in entry:
                var = '`%s`' % entry['var']
                value = str(role_defaults.get(entry['var'], '?'))
            else:
                var = '(fixed)'
                value = str(entry.get('port'))
            exposure = entry.get('exposure', 'private')
            if entry.get('address_var'):
                exposure += ' (loopback when `%s` is, default %s)' % (
                    entry['address_var'], role_defaults.get(entry['address_var'], '?'))
            rows.append((entry.get('component'), '%s/%s' % (value, protos), var, role, exposure,
                         entry.get('purpose', '')))
        out.extend(_md_table(['component', 'default', 'variable', 'role', 'exposure', 'purpose'], rows))
        out.append('')
    return '\n'.join(out)


class FilterModule(object):
    """The preflight role's filters."""

    def filters(self):
        return {
            'preflight_ports': preflight_ports,
            'preflight_missing_roles': preflight_missing_roles,
            'preflight_port_specs': preflight_port_specs,
            'preflight_expected_processes': preflight_expected_processes,
            'preflight_aggregate': preflight_aggregate,
            'preflight_failure_lines': preflight_failure_lines,
            'preflight_report_markdown': preflight_report_markdown,
            'preflight_report_html': preflight_report_html,
            'preflight_ports_markdown': preflight_ports_markdown,
        }
