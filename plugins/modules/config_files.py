#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: config_files
short_description: Write a set of configuration files in one call, each checked before it replaces the live one
version_added: 0.2.0
description:
  - Compares every file of O(files) with its content on the host and writes only the ones that differ, so
    that a re-run that changes nothing costs one round trip for the whole set, where M(ansible.builtin.template)
    and M(ansible.builtin.copy) cost about five per file over SSH with pipelining (a remote temporary
    directory made and removed around a C(stat) and a C(file) call).
  - Feed it rendered templates, e.g. with the P(ansible.builtin.template#lookup) lookup; the content is
    rendered on the control node exactly as M(ansible.builtin.template) renders it.
  - Every file that differs is first written to a temporary file in its own directory (named
    C(.<name>.<random>), so that a daemon loading every C(*.conf) of the directory never loads it), checked with
    O(validate) when given and given its owner, group and mode; only when all of them passed are they moved
    over the live files, each atomically. A failing check leaves every live file untouched and fails the
    module naming the file and the checker's output.
  - A file whose content is right but whose owner, group or mode is not gets them fixed.
  - The directories must exist. The module writes nothing in check mode and reports what it would change;
    with C(--diff) it returns a diff per changed file (use C(no_log) on the task for files holding secrets).
options:
  files:
    description:
      - The files to keep, each as its absolute path on the host and its whole content.
      - 'Built from templates with the P(ansible.builtin.template#lookup) lookup:
        C(dict(paths | zip(query("ansible.builtin.template", *sources))))'
    type: dict
    required: true
  backup:
    description:
      - Keep a copy of each live file that is replaced, next to it, named with a timestamp (as
        M(ansible.builtin.template) does with O(ansible.builtin.template#module:backup=true)).
    type: bool
    default: false
  validate:
    description:
      - Command that checks a new file before it goes live; C(%s) is replaced by the temporary file's path.
        Run without a shell.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.files
attributes:
  check_mode:
    support: full
    details:
      - Nothing is written; C(changed) and RV(changed_files) say what would be.
  diff_mode:
    support: full
    details:
      - One diff per file whose content differs.
  platform:
    support: full
    platforms: posix
author:
  - voiceops.platform maintainers (@voiceops)
'''

EXAMPLES = r'''
- name: Render the configuration (one round trip for every file on a re-run)
  voiceops.platform.config_files:
    files: "{{ dict(paths | zip(query('ansible.builtin.template', *sources))) }}"
    owner: app
    group: app
    mode: "0640"
    validate: xmllint --noout %s
  vars:
    sources: [app.xml.j2, modules.xml.j2]
    paths: [/etc/app/app.xml, /etc/app/modules.xml]
  notify: app restart
'''

RETURN = r'''
changed_files:
  description: The paths whose content, owner, group or mode was (or, in check mode, would be) changed.
  returned: always
  type: list
  elements: str
  sample: [/etc/freeswitch/vars.xml]
backup_files:
  description: The copies of the replaced files that O(backup) kept.
  returned: when O(backup=true) and a live file was replaced
  type: list
  elements: str
  sample: [/etc/opensips/opensips.cfg.2186.2026-12-03@07:40:12~]
'''

import os
import shlex
import tempfile

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native


def _read(path):
    try:
        with open(path, 'rb') as handle:
            return handle.read()
    except FileNotFoundError:
        return None


def _validate(module, command, path, tmp):
    rc, out, err = module.run_command([arg.replace('%s', tmp) for arg in shlex.split(command)])
    if rc != 0:
        module.fail_json(msg='%s: the new content failed validation (%s, rc=%d), the live file is unchanged: %s'
                             % (path, command, rc, (err or out).strip()))


def _stage(module, path, content, staged):
    """Write the new content next to the live file, check it and give it its attributes."""
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        module.fail_json(msg='%s: its directory %s does not exist' % (path, directory))
    fd, tmp = tempfile.mkstemp(prefix='.%s.' % os.path.basename(path), dir=directory)
    staged.append((tmp, path))
    with os.fdopen(fd, 'wb') as handle:
        handle.write(content)
    if module.params['validate'] is not None:
        _validate(module, module.params['validate'], path, tmp)
    module.set_fs_attributes_if_different(module.load_file_common_arguments(module.params, path=tmp), False)


def _replace(module, changed):
    """Every new file is written and checked before the first one replaces a live file."""
    staged, backups = [], []
    try:
        for path, content in changed:
            _stage(module, path, content, staged)
        for tmp, path in staged:
            if module.params['backup'] and os.path.exists(path):
                backups.append(module.backup_local(path))
            # The attributes were set on the new file before the move, so that the live path never shows the
            # content with others; once more after it, since a new file gets the umask's mode on its creation.
            module.atomic_move(tmp, path, unsafe_writes=module.params['unsafe_writes'], keep_dest_attrs=False)
            module.set_fs_attributes_if_different(module.load_file_common_arguments(module.params, path=path), False)
    finally:
        for tmp, dummy in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return backups


def keep_files(module):
    files, validate = module.params['files'], module.params['validate']
    if validate is not None and '%s' not in validate:
        module.fail_json(msg='validate must contain %%s, the path of the file to check: %s' % validate)
    relative = sorted(path for path in files if not os.path.isabs(path))
    if relative:
        module.fail_json(msg='files: every key must be an absolute path, these are not: %s' % ', '.join(relative))
    empty = sorted(path for path in files if files[path] is None)
    if empty:
        module.fail_json(msg='files: these paths have no content (null), give each its whole content: %s' % ', '.join(empty))
    changed, attributes_changed, diffs = [], [], []
    for path in sorted(files):
        content = to_bytes(files[path], errors='surrogate_or_strict')
        before = _read(path)
        if before != content:
            changed.append((path, content))
            if module._diff:
                diffs.append({'before_header': path, 'after_header': path,
                              'before': to_native(before or b'', errors='surrogate_or_replace'),
                              'after': to_native(content, errors='surrogate_or_replace')})
        elif module.set_fs_attributes_if_different(module.load_file_common_arguments(module.params, path=path), False):
            attributes_changed.append(path)
    backups = _replace(module, changed) if changed and not module.check_mode else []
    changed_files = sorted([path for path, dummy in changed] + attributes_changed)
    result = {'changed': bool(changed_files), 'changed_files': changed_files}
    if backups:
        result['backup_files'] = backups
    if module._diff:
        result['diff'] = diffs
    return result


def main():
    module = AnsibleModule(
        argument_spec={
            'files': {'type': 'dict', 'required': True},
            'backup': {'type': 'bool', 'default': False},
            'validate': {'type': 'str'},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    module.exit_json(**keep_files(module))


if __name__ == '__main__':
    main()
