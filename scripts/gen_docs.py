"""Render docs/secrets.md from docs/secrets.yml (the secrets catalogue).

Usage: python3 scripts/gen_docs.py [--check]   (--check: exit 1 when docs/secrets.md is out of date)
"""
import os
import sys

import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))


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


def main():
    with open(os.path.join(TOP, 'docs', 'secrets.yml'), encoding='utf-8') as f:
        text = secrets_markdown(yaml.safe_load(f))
    path = os.path.join(TOP, 'docs', 'secrets.md')
    if '--check' in sys.argv:
        with open(path, encoding='utf-8') as f:
            return 0 if f.read() == text else 1
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)
    return 0


if __name__ == '__main__':
    sys.exit(main())
