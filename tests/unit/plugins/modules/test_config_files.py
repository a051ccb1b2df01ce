# -*- coding: utf-8 -*-
# Copyright (c) voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""config_files: only what differs is written, all checked before any goes live, check and diff modes."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import stat

from ansible_collections.voiceops.platform.plugins.modules import config_files

VALID = 'grep -q valid %s'


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _tree(tmp_path):
    """Every entry of the directory, so that a test sees a temporary file left behind."""
    return sorted(p.name for p in tmp_path.iterdir())


def test_writes_new_and_changed_files_only(run_module, tmp_path):
    same, old, new = tmp_path / 'same.xml', tmp_path / 'old.xml', tmp_path / 'new.xml'
    same.write_text('valid same\n')
    old.write_text('valid before\n')
    os.chmod(same, 0o640)
    os.chmod(old, 0o640)
    same_inode = os.stat(same).st_ino
    result, failed = run_module(config_files, dict(
        files={str(same): 'valid same\n', str(old): 'valid after\n', str(new): 'valid new\n'},
        mode='0640', validate=VALID))
    assert not failed, result
    assert result['changed'] and result['changed_files'] == [str(new), str(old)]
    assert old.read_text() == 'valid after\n' and new.read_text() == 'valid new\n'
    assert _mode(new) == 0o640 and _mode(old) == 0o640
    assert os.stat(same).st_ino == same_inode
    assert _tree(tmp_path) == ['new.xml', 'old.xml', 'same.xml']


def test_unchanged_set_reports_nothing(run_module, tmp_path):
    path = tmp_path / 'a.xml'
    path.write_text('valid\n')
    os.chmod(path, 0o640)
    result, failed = run_module(config_files, dict(files={str(path): 'valid\n'}, mode='0640', validate=VALID))
    assert not failed and not result['changed'] and result['changed_files'] == []


def test_mode_alone_is_fixed(run_module, tmp_path):
    path = tmp_path / 'a.xml'
    path.write_text('valid\n')
    os.chmod(path, 0o644)
    result, failed = run_module(config_files, dict(files={str(path): 'valid\n'}, mode='0600'))
    assert not failed and result['changed_files'] == [str(path)]
    assert _mode(path) == 0o600


def test_failed_check_leaves_every_live_file(run_module, tmp_path):
    first, second = tmp_path / 'a.xml', tmp_path / 'b.xml'
    first.write_text('valid a\n')
    second.write_text('valid b\n')
    result, failed = run_module(config_files, dict(
        files={str(first): 'valid a2\n', str(second): 'broken\n'}, validate=VALID))
    assert failed
    assert str(second) in result['msg'] and 'failed validation' in result['msg']
    # a.xml passed its check but is not replaced either: nothing goes live unless everything passed.
    assert first.read_text() == 'valid a\n' and second.read_text() == 'valid b\n'
    assert _tree(tmp_path) == ['a.xml', 'b.xml']


def test_check_mode_writes_nothing_and_diffs(run_module, tmp_path):
    path = tmp_path / 'a.xml'
    path.write_text('valid before\n')
    result, failed = run_module(config_files, dict(
        files={str(path): 'valid after\n', str(tmp_path / 'b.xml'): 'valid b\n'},
        _ansible_check_mode=True, _ansible_diff=True))
    assert not failed and result['changed']
    assert path.read_text() == 'valid before\n' and _tree(tmp_path) == ['a.xml']
    assert [d['after_header'] for d in result['diff']] == [str(path), str(tmp_path / 'b.xml')]
    assert result['diff'][0]['before'] == 'valid before\n' and result['diff'][0]['after'] == 'valid after\n'
    assert result['diff'][1]['before'] == ''


def test_relative_path_is_refused_before_anything(run_module, tmp_path):
    path = tmp_path / 'a.xml'
    result, failed = run_module(config_files, dict(files={'etc/a.xml': 'x', str(path): 'valid\n'}))
    assert failed and 'etc/a.xml' in result['msg'] and 'absolute' in result['msg']
    assert not path.exists()


def test_missing_directory_is_named(run_module, tmp_path):
    path = tmp_path / 'missing' / 'a.xml'
    result, failed = run_module(config_files, dict(files={str(path): 'valid\n'}))
    assert failed and str(tmp_path / 'missing') in result['msg']


def test_validate_without_placeholder_is_refused(run_module, tmp_path):
    path = tmp_path / 'a.xml'
    result, failed = run_module(config_files, dict(files={str(path): 'valid\n'}, validate='xmllint --noout'))
    assert failed and '%s' in result['msg'] and not path.exists()
    assert _tree(tmp_path) == []


def test_validate_without_placeholder_is_refused_when_nothing_changes(run_module, tmp_path):
    path = tmp_path / 'a.xml'
    path.write_text('valid\n')
    result, failed = run_module(config_files, dict(files={str(path): 'valid\n'}, validate='xmllint --noout'))
    assert failed and 'validate' in result['msg']


def test_backup_keeps_the_replaced_file_only(run_module, tmp_path):
    old, new = tmp_path / 'a.cfg', tmp_path / 'b.cfg'
    old.write_text('valid before\n')
    result, failed = run_module(config_files, dict(
        files={str(old): 'valid after\n', str(new): 'valid new\n'}, backup=True, validate=VALID))
    assert not failed and len(result['backup_files']) == 1
    backup = result['backup_files'][0]
    assert backup.startswith(str(old) + '.') and backup.endswith('~')
    assert open(backup).read() == 'valid before\n' and old.read_text() == 'valid after\n'
    result, failed = run_module(config_files, dict(files={str(old): 'valid after\n'}, backup=True))
    assert not failed and not result['changed'] and 'backup_files' not in result


def test_null_content_is_refused(run_module, tmp_path):
    path = tmp_path / 'a.xml'
    result, failed = run_module(config_files, dict(files={str(path): None}))
    assert failed and str(path) in result['msg'] and 'no content' in result['msg']
    assert not path.exists()
