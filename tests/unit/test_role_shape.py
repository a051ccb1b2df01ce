# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every role has the same shape of handlers: a task notifies a topic `<role> <action>`, and
every handler listens to topics of its own role. Handlers are global to a play, so a plain
name such as "Reload systemd" in two roles of site.yml would run one role's handler for the
other; a role-prefixed topic cannot collide."""

from __future__ import annotations

import glob
import os

import yaml

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
BLOCK_KEYS = ('block', 'rescue', 'always')


def _load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle) or []


def _as_list(value):
    return [value] if isinstance(value, str) else list(value or [])


def _notified(tasks):
    for task in tasks:
        for key in BLOCK_KEYS:
            yield from _notified(task.get(key) or [])
        yield from _as_list(task.get('notify'))


def _role_dirs():
    return sorted(p for p in glob.glob(os.path.join(TOP, 'roles', '*')) if os.path.isdir(p))


def test_every_handler_listens_to_a_topic_of_its_role():
    wrong = []
    for role_dir in _role_dirs():
        role = os.path.basename(role_dir)
        path = os.path.join(role_dir, 'handlers', 'main.yml')
        for handler in _load(path) if os.path.exists(path) else []:
            topics = _as_list(handler.get('listen'))
            if not topics or any(not t.startswith(role + ' ') for t in topics):
                wrong.append('%s: handler %r listens to %r' % (role, handler.get('name'), topics))
    assert not wrong, 'give each handler `listen: <role> <action>`:\n' + '\n'.join(wrong)


def test_every_notify_names_a_topic_of_the_roles_handlers():
    wrong = []
    for role_dir in _role_dirs():
        role = os.path.basename(role_dir)
        path = os.path.join(role_dir, 'handlers', 'main.yml')
        topics = {t for h in (_load(path) if os.path.exists(path) else []) for t in _as_list(h.get('listen'))}
        for task_file in sorted(glob.glob(os.path.join(role_dir, 'tasks', '*.yml'))):
            for name in _notified(_load(task_file)):
                if name not in topics:
                    wrong.append('%s: %s notifies %r' % (role, os.path.basename(task_file), name))
    assert not wrong, 'notify a topic that a handler of the same role listens to:\n' + '\n'.join(wrong)


def _tasks(tasks):
    for task in tasks:
        for key in BLOCK_KEYS:
            yield from _tasks(task.get(key) or [])
        yield task


def _include_needed(task):
    """include_tasks (dynamic, one include per host at run time) only when import_tasks cannot do:
    a file name known at run time, a condition or loop on the whole file, or a file run again with other vars."""
    spec = task['ansible.builtin.include_tasks']
    name = spec if isinstance(spec, str) else spec.get('file', '')
    return '{{' in name or any(k in task for k in ('when', 'loop', 'vars'))


def test_task_files_are_imported_unless_they_must_be_included():
    wrong = []
    for task_file in sorted(glob.glob(os.path.join(TOP, 'roles', '*', 'tasks', '*.yml'))):
        role = task_file.split(os.sep)[-3]
        for task in _tasks(_load(task_file)):
            if 'include_tasks' in task:
                wrong.append('%s: %s: write ansible.builtin.include_tasks' % (role, os.path.basename(task_file)))
            elif 'ansible.builtin.include_tasks' in task and not _include_needed(task):
                wrong.append('%s: %s: %r: use import_tasks' % (role, os.path.basename(task_file), task.get('name')))
    assert not wrong, 'one way to load task files:\n' + '\n'.join(wrong)
