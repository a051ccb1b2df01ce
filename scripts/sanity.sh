#!/usr/bin/env bash
# ansible-test sanity for the collection, run locally (its container images
# cannot be pulled here) in a temporary ansible_collections/voiceops/platform tree.
set -euo pipefail
source "$(dirname "$0")/common.sh"
activate_venv
# The controller's Python (3.11 on Debian 12, 3.13 on Debian 13).
py=$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# ansible-test fetches a pip bootstrap script it caches by pip version; provide
# the offline stand-in under that name.
pip_version=$(python - "$py" <<'PY'
import sys
from types import SimpleNamespace
from ansible_test._internal.python_requirements import get_venv_packages
print(get_venv_packages(SimpleNamespace(version=sys.argv[1]))["pip"])
PY
)
if [ -n "$pip_version" ]; then
  mkdir -p "$HOME/.ansible/test/cache"
  cp "$TOP/scripts/get_pip_standin.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dest="$work/ansible_collections/voiceops/platform"
mkdir -p "$dest"
# Only the files git knows about (tracked or new, not ignored).
(cd "$TOP" && git ls-files -z --cached --others --exclude-standard | xargs -0 -I{} sh -c 'test -e "{}" && printf "%s\0" "{}"' | tar --null -T - -cf -) | tar -C "$dest" -xf -
cd "$dest"
ansible-test sanity --local --python "$py" --color no "$@"
