#!/usr/bin/env bash
# ansible-core devel (requirements-devel.txt, the GitHub workflow's `devel` column) comes without the
# ansible package and its collections: install those this collection needs (requirements.yml) and
# community.docker (molecule's create/destroy) from Galaxy into the virtualenv's site-packages, where
# ansible finds them (COLLECTIONS_SCAN_SYS_PATH). Needs Galaxy: not for the offline CI machine.
set -euo pipefail
source "$(dirname "$0")/common.sh"
activate_venv
site=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
ansible-galaxy collection install -p "$site" -r "$TOP/requirements.yml"
ansible-galaxy collection install -p "$site" community.docker
ansible-galaxy collection list
