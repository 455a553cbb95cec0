"""Stand-in for the get-pip.py bootstrap script that ansible-test downloads from its CI file host.

That host is not reachable from this machine kind (only package registries are), so hack/test.sh places this
file where ansible-test caches the script. It bootstraps pip from the standard library (ensurepip) and then
installs the requested pip version from PyPI with the same arguments ansible-test passes to get-pip.
ansible-test runs pip with PIP_CONFIG_FILE=/dev/null, so the system CA bundle is passed explicitly (pip >= 24.2
then uses the system trust store by itself).
"""
import ensurepip
import os
import ssl
import subprocess
import sys

GET_PIP_ONLY = ("--no-setuptools", "--no-wheel")
CA_BUNDLES = (ssl.get_default_verify_paths().cafile, "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt")

ensurepip.bootstrap(upgrade=True)
args = [sys.executable, "-m", "pip", "install"]
for bundle in CA_BUNDLES:
    if bundle and os.path.exists(bundle):
        args += ["--cert", bundle]
        break
subprocess.check_call(args + [a for a in sys.argv[1:] if a not in GET_PIP_ONLY])
