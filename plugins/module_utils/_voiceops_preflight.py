# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The preflight's pure logic: port catalogue resolution, repository targets, one verdict, one report.

No host access and no Ansible import: used by the action plugins preflight_resolve and
preflight_verdict, unit-tested in tests/unit/plugins/module_utils/test_preflight.py.
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


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ('true', 'yes', 'on', '1')
    return bool(value)


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
    return _truthy(value)


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


def resolve_ports(catalogue, groups, defaults, overrides):
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


def missing_roles(catalogue, groups, defaults):
    """Roles named by the host's catalogue groups whose defaults were not found (role not present)."""
    missing = []
    for group in catalogue_groups(catalogue, groups):
        for entry in catalogue[group] or []:
            role = entry.get('role')
            if role and role != 'preflight' and (defaults or {}).get(role) is None and role not in missing:
                missing.append(role)
    return missing


def port_specs(entries, probed_only=False):
    """The port_probe specs of resolved entries; probed_only drops the loopback ones."""
    specs = []
    for item in entries or []:
        if probed_only and item.get('exposure') == 'loopback':
            continue
        if item['spec'] not in specs:
            specs.append(item['spec'])
    return specs


def expected_processes(entries):
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


def aggregate(hosts, capacity=None, repositories=None, environment='production'):
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


def failure_lines(result):
    """The failure lines of an aggregate() result, one per failed requirement."""
    return [failure_line(r) for r in (result or {}).get('failures') or []]


def repository_targets(catalogue, groups, lookup):
    """The vendor repositories a host installs from: [{component, url, credentials, enable_hint}].

    catalogue: vars/repositories.yml entries. lookup(name) gives the host's effective value of a
    variable (inventory, else the role default), None when unknown. An entry with method_var applies
    only when the host's method is `method`. An install-source dict (source_var) is probed at its
    Release file unless it is local (file:) or the host's own mirror (url ""); else url_var is probed.
    """
    wanted = set(groups or []) | set(['all'])
    out = []
    for entry in catalogue or []:
        if not wanted.intersection(entry.get('groups') or []):
            continue
        if entry.get('method_var') and str(lookup(entry['method_var']) or '') != str(entry.get('method')):
            continue
        if entry.get('source_var'):
            source = lookup(entry['source_var'])
            source = source if isinstance(source, dict) else {}
            base = str(source.get('url') or '').rstrip('/')
            suite = str(source.get('suite') or '')
            if not (base.startswith('http://') or base.startswith('https://')):
                continue
            url = base + ('/' + suite + 'Release' if suite.endswith('/') else '/dists/' + suite + '/Release')
            credentials = list(entry.get('credentials') or []) if str(source.get('username') or '') else []
        else:
            url = str(lookup(entry.get('url_var')) or '')
            credentials = list(entry.get('credentials') or [])
        out.append({'component': entry.get('component') or entry.get('role'), 'url': url,
                    'credentials': credentials, 'enable_hint': entry.get('enable_hint')})
    return out


def recording_free_gb(enabled, directory, mounts):
    """Free space (GB) of the filesystem holding directory, from Ansible's mount facts; None when
    recording is off or no mount holds it."""
    if not _truthy(enabled):
        return None
    best_len, best_bytes = -1, None
    target = str(directory or '').rstrip('/') + '/'
    for mount in mounts or []:
        if not isinstance(mount, dict) or 'mount' not in mount:
            continue
        prefix = str(mount['mount']).rstrip('/') + '/'
        if target.startswith(prefix) and len(prefix) > best_len:
            best_len, best_bytes = len(prefix), mount.get('size_available')
    if best_bytes is None:
        return None
    return round(float(best_bytes) / 1e9, 1)


# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------

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


def report_blocks(data):
    """The report's content, once: a list of blocks that render_markdown and render_html turn into text.

    data: {generated, environment, aggregate, hosts: {name: {groups, address, ports}}, matrix, ranges,
    capacity, missing_roles}. Blocks: ('title', text), ('meta', [text]), ('verdict', status, counts),
    ('heading', text), ('list', [text], text when empty), ('table', header, rows, status columns),
    ('grid', columns, rows) (HTML only: the matrix as a coloured grid), ('text', text).
    """
    data = data or {}
    agg = data.get('aggregate') or {}
    counts = agg.get('counts') or {}
    verdict = agg.get('verdict', 'pass')
    blocks = [('title', 'Preflight report'),
              ('meta', ['generated: %s' % data.get('generated', ''), 'environment: %s' % data.get('environment', '')]),
              ('verdict', verdict, ', '.join('%d %s' % (counts.get(s, 0), s) for s in ('fail', 'warn', 'pass', 'skip')))]
    blocks += [('heading', 'Failed requirements'), ('list', failure_lines(agg), 'None.')]
    if agg.get('warnings'):
        blocks += [('heading', 'Warnings'), ('list', [failure_line(w) for w in agg['warnings']], 'None.')]
    if agg.get('skipped'):
        blocks += [('heading', 'Skipped (lab)'), ('list', [
            'SKIPPED %s on %s: %s. To enable: %s.' % (s.get('component'), s.get('host'), s.get('message'), s.get('fix'))
            for s in agg['skipped']], 'None.')]
    rows = []
    for name in sorted(data.get('hosts') or {}):
        host = data['hosts'][name] or {}
        for port in host.get('ports') or []:
            rows.append((name, ', '.join(host.get('groups') or []), port.get('spec'), port.get('component'),
                         port.get('exposure'), port.get('var') or 'fixed', port.get('source')))
    blocks += [('heading', 'Hosts and ports'),
               ('table', ['host', 'groups', 'port', 'component', 'exposure', 'variable', 'value from'], rows, ())]
    if data.get('missing_roles'):
        blocks.append(('text', 'Not checked (role not in this collection yet): %s.' % ', '.join(data['missing_roles'])))
    columns, grid = matrix_grid(data.get('matrix'))
    blocks += [('heading', 'Port matrix'), ('grid', columns, grid),
               ('table', ['source', 'destination', 'port', 'state', 'detail'], matrix_rows(data.get('matrix')), (3,))]
    if data.get('ranges'):
        seen = []
        for item in data['ranges']:
            text = '%s %s: %s of %s ports probed (%s)' % (
                item.get('destination', ''), item.get('range'), item.get('probed'), item.get('size'),
                ', '.join(str(p) for p in item.get('ports') or []))
            if text not in seen:
                seen.append(text)
        blocks += [('text', 'Ranges are probed at both ends and a sample:'), ('list', seen, '')]
    blocks += [('heading', 'Capacity plan'), ('table', ['figure', 'value'], _plan_rows(data.get('capacity')), ())]
    servers = (data.get('capacity') or {}).get('media_servers') or []
    if servers:
        blocks.append(('table', ['media server', 'RTP range', 'ports', 'needed', 'calls capacity', 'status'],
                       [(s.get('name'), '%s-%s' % (s.get('rtp_port_min'), s.get('rtp_port_max')),
                         s.get('rtp_ports_configured'), s.get('rtp_ports_needed'), s.get('calls_capacity'),
                         s.get('status')) for s in servers], (5,)))
    cap_checks = [c for c in agg.get('checks') or [] if c.get('module') == 'capacity_plan']
    if cap_checks:
        blocks.append(('table', ['check', 'status', 'measured', 'required', 'detail'],
                       [(c.get('name'), c.get('status'), c.get('measured'), c.get('required'), c.get('message'))
                        for c in cap_checks], (1,)))
    blocks += [('heading', 'Per-host requirements'),
               ('table', ['host', 'module', 'check', 'subject', 'status', 'measured', 'required', 'detail'],
                [(c.get('host'), c.get('module'), c.get('name'), c.get('subject', ''), c.get('status'),
                  c.get('measured'), c.get('required'), c.get('message')) for c in _host_rows(data)], (4,))]
    return blocks


def _cell(value):
    text = '' if value is None else str(value)
    return text.replace('|', '\\|').replace('\n', ' ')


def render_markdown(blocks):
    """The report blocks as Markdown."""
    out = []
    for block in blocks:
        kind = block[0]
        if kind == 'title':
            out += ['# %s' % block[1], '']
        elif kind == 'meta':
            out += ['- %s' % line for line in block[1]]
        elif kind == 'verdict':
            out += ['- verdict: **%s** (%s)' % (str(block[1]).upper(), block[2]), '']
        elif kind == 'heading':
            out += ['## %s' % block[1], '']
        elif kind == 'list':
            out += ['- %s' % item for item in block[1]] or [block[2]]
            out.append('')
        elif kind == 'table':
            out += ['| %s |' % ' | '.join(block[1]), '|%s|' % '|'.join(['---'] * len(block[1]))]
            out += ['| %s |' % ' | '.join(_cell(v) for v in row) for row in block[2]]
            out.append('')
        elif kind == 'text':
            out += [block[1], '']
    return '\n'.join(out).rstrip('\n') + '\n'


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


def render_html(blocks):
    """The report blocks as one self-contained HTML page (inline CSS, no external resource)."""
    out = ['<!DOCTYPE html>', '<html lang="en"><head><meta charset="utf-8">']
    for block in blocks:
        kind = block[0]
        if kind == 'title':
            out += ['<title>%s</title><style>%s</style></head><body>' % (_e(block[1]), _CSS), '<h1>%s</h1>' % _e(block[1])]
        elif kind == 'meta':
            out.append('<p>%s</p>' % ', '.join(_e(line) for line in block[1]))
        elif kind == 'verdict':
            out.append('<p class="verdict" style="background:%s">verdict: %s (%s)</p>' % (
                _COLOURS.get(block[1], '#fff'), _e(str(block[1]).upper()), _e(block[2])))
        elif kind == 'heading':
            out.append('<h2>%s</h2>' % _e(block[1]))
        elif kind == 'list':
            out.append('<ul>%s</ul>' % ''.join('<li>%s</li>' % _e(item) for item in block[1])
                       if block[1] else '<p>%s</p>' % _e(block[2]))
        elif kind == 'table':
            out.append('<table><tr>%s</tr>' % ''.join('<th>%s</th>' % _e(h) for h in block[1]))
            for row in block[2]:
                out.append('<tr>%s</tr>' % ''.join(_status_cell(v) if i in block[3] else '<td>%s</td>' % _e(v)
                                                   for i, v in enumerate(row)))
            out.append('</table>')
        elif kind == 'grid':
            columns, rows = block[1], block[2]
            if not columns:
                out.append('<p>No port was probed.</p>')
                continue
            out.append('<table class="matrix"><tr><th>source \\ destination</th>%s</tr>' % ''.join(
                '<th class="rot">%s %s</th>' % (_e(d), _e(k)) for d, k in columns))
            for source, cells in rows:
                out.append('<tr><th>%s</th>%s</tr>' % (_e(source), ''.join(_status_cell(c) for c in cells)))
            out.append('</table>')
            out.append('<p>%s</p>' % ' '.join('<span style="background:%s;padding:2px 6px">%s</span>' % (
                _COLOURS[s], s) for s in ('open', 'in_use', 'filtered', 'rejected')))
        elif kind == 'text':
            out.append('<p>%s</p>' % _e(block[1]))
    out.append('</body></html>')
    return '\n'.join(out) + '\n'
