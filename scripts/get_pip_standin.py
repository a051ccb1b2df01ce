"""Offline stand-in for the get-pip.py that ansible-test downloads.

ansible-test sanity bootstraps pip in its virtualenvs with a script fetched from
Ansible's CI file host, which CI here cannot reach. This does the same job with
the standard library's ensurepip, then installs the requested packages from the
configured index (PyPI or the machine's mirror), trusting the system CA bundle.
"""
import ensurepip
import os
import subprocess
import sys

DROPPED = {"--no-setuptools", "--no-wheel"}
CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def main(argv):
    ensurepip.bootstrap(upgrade=True)
    args = [a for a in argv if a not in DROPPED]
    cmd = [sys.executable, "-m", "pip", "install", "--upgrade"]
    if os.path.exists(CA_BUNDLE):
        cmd += ["--cert", CA_BUNDLE]
    return subprocess.call(cmd + args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
