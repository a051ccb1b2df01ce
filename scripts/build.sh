#!/usr/bin/env bash
# Build the collection tarball, install it into a scratch path and prove that its
# playbooks resolve by FQCN (voiceops.platform.site).
set -euo pipefail
source "$(dirname "$0")/common.sh"
activate_venv

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ansible-galaxy collection build "$TOP" --output-path "$work" --force
tarball=$(ls "$work"/voiceops-platform-*.tar.gz)
# --no-deps: the dependencies come with the `ansible` package (Galaxy may be unreachable).
ansible-galaxy collection install "$tarball" -p "$work/collections" --no-deps --force
if tar -tzf "$tarball" | grep -E '^(molecule|scripts|tests/unit|\.github)/' ; then
  echo "dev-only paths leaked into the artifact" >&2; exit 1
fi
cd "$work"
ANSIBLE_COLLECTIONS_PATH="$work/collections" ANSIBLE_ROLES_PATH="" \
  ansible-playbook voiceops.platform.site --syntax-check -i "$TOP/inventory/production"
echo "built and installed $(basename "$tarball")"
