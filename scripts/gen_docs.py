"""Render the generated docs: docs/secrets.md from docs/secrets.yml (the secrets catalogue) and
docs/ports.md from roles/preflight/vars/ports.yml (the port catalogue) with the roles' defaults.

Usage: python3 scripts/gen_docs.py [--check]   (--check: exit 1, naming the file, when one is out of date)
"""
import os
import sys

import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


def _cell(value):
    text = '' if value is None else str(value)
    return text.replace('|', '\\|').replace('\n', ' ')


def _md_table(header, rows):
    lines = ['| %s |' % ' | '.join(header), '|%s|' % '|'.join(['---'] * len(header))]
    for row in rows:
        lines.append('| %s |' % ' | '.join(_cell(v) for v in row))
    return lines


def _load(path):
    with open(path, encoding='utf-8') as f:
        return yaml.safe_load(f)


def ports_markdown(catalogue, defaults):
    """docs/ports.md: the catalogue with the role defaults, per group."""
    out = ['# Ports', '',
           '<!-- Generated from roles/preflight/vars/ports.yml and the roles\' defaults/main.yml by',
           '     python3 scripts/gen_docs.py (do not edit by hand; a unit test fails when this file is out of date). -->',
           '',
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
                default = str(role_defaults.get(entry['address_var'], '?'))
                # A computed default is described by the role's README, not shown as Jinja.
                default = 'computed, see the role README' if '{{' in default else '`%s`' % default
                exposure += ' (loopback when `%s` is; default %s)' % (entry['address_var'], default)
            rows.append((entry.get('component'), '%s/%s' % (value, protos), var, role, exposure,
                         entry.get('purpose', '')))
        out.extend(_md_table(['component', 'default', 'variable', 'role', 'exposure', 'purpose'], rows))
        out.append('')
    return '\n'.join(out)


def secrets_markdown(catalogue):
    lines = [
        '# Secrets',
        '',
        '<!-- Generated from docs/secrets.yml by scripts/gen_docs.py: edit the catalogue, not this file. -->',
        '',
        'Every secret variable of the collection. None has a working default; keep each in the',
        'inventory encrypted with `ansible-vault encrypt_string --name <variable>` (the value from the',
        '"generate" column). `site.yml`\'s first play names every required secret that is missing, in',
        'one run, before any host changes; every task that handles one is `no_log`.',
        '',
        '| variable | role | protects | required | generate with |',
        '|---|---|---|---|---|',
    ]
    for s in catalogue['secrets']:
        lines.append('| `%s` | %s | %s | %s | `%s` |' % (s['var'], s['role'], s['protects'], s['required'], s['generate']))
    lines += [
        '',
        'Example:',
        '```',
        'openssl rand -hex 24 | ansible-vault encrypt_string --stdin-name postgres_replica_replication_password',
        '```',
    ]
    return '\n'.join(lines) + '\n'


def ports_doc():
    catalogue = _load(os.path.join(TOP, 'roles', 'preflight', 'vars', 'ports.yml'))['__preflight_port_catalogue']
    defaults = {}
    for role in sorted(set(e.get('role') for entries in catalogue.values() for e in entries if e.get('role'))):
        path = os.path.join(TOP, 'roles', role, 'defaults', 'main.yml')
        defaults[role] = _load(path) if os.path.isfile(path) else None
    return ports_markdown(catalogue, defaults) + '\n'


def main():
    docs = {
        os.path.join(TOP, 'docs', 'secrets.md'): secrets_markdown(_load(os.path.join(TOP, 'docs', 'secrets.yml'))),
        os.path.join(TOP, 'docs', 'ports.md'): ports_doc(),
    }
    stale = []
    for path, text in docs.items():
        with open(path, encoding='utf-8') as f:
            current = f.read()
        if current == text:
            continue
        if '--check' in sys.argv:
            stale.append(os.path.relpath(path, TOP))
            continue
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
    for path in stale:
        print('%s is out of date: run python3 scripts/gen_docs.py' % path)
    return 1 if stale else 0


if __name__ == '__main__':
    sys.exit(main())
