# Copyright: voiceops.platform contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight's tags, read by ansible-playbook --list-tasks: selecting or skipping one check
never drops the verdict, nor the plan (catalogues, resolved ports) that the other checks read."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))

VERDICT = 'Aggregate every check of every host into one verdict'
DEFAULTS = 'Load the port and repository catalogues'
PORTS = "Resolve this host's ports"
NETWORK = 'Probe every port of every other server from this host'
CAPACITY = 'Plan the capacity against the RTP ranges of the telephony hosts'


@pytest.fixture(scope='module')
def list_tasks(tmp_path_factory):
    """Run ansible-playbook --list-tasks on playbooks/preflight.yml with this checkout as the collection."""
    binary = shutil.which('ansible-playbook')
    if binary is None:
        pytest.skip('ansible-playbook is not on PATH (run through scripts/test.sh unit)')
    root = tmp_path_factory.mktemp('collections')
    os.makedirs(root / 'ansible_collections' / 'voiceops')
    os.symlink(TOP, root / 'ansible_collections' / 'voiceops' / 'platform')
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(root), ANSIBLE_CONFIG=os.path.join(TOP, 'ansible.cfg'))

    def run(*args):
        result = subprocess.run(
            [binary, '-i', os.path.join(TOP, 'inventory', 'lab'), os.path.join(TOP, 'playbooks', 'preflight.yml'),
             '--list-tasks', *args],
            capture_output=True, text=True, env=env, cwd=TOP, check=False)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout
    return run


def test_all_checks_listed_without_tags(list_tasks):
    out = list_tasks()
    for task in (DEFAULTS, PORTS, NETWORK, CAPACITY, VERDICT):
        assert task in out


def test_skipping_the_network_check_keeps_the_verdict_and_its_data(list_tasks):
    out = list_tasks('--skip-tags', 'preflight_network')
    assert NETWORK not in out
    for task in (DEFAULTS, PORTS, CAPACITY, VERDICT):
        assert task in out


def test_selecting_one_check_brings_the_verdict_and_its_data(list_tasks):
    out = list_tasks('--tags', 'preflight_capacity')
    assert NETWORK not in out
    for task in (DEFAULTS, PORTS, CAPACITY, VERDICT):
        assert task in out
