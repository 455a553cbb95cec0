# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Install a pinned helm binary into the execution environment image (a build step of execution-environment.yml).

Downloads helm's release archive for the machine's architecture, refuses it unless its SHA-256 equals the pinned
checksum, and installs only the helm binary (mode 0755). Standard library only, so the EE base image needs neither
curl nor tar. Example (what the Containerfile runs):

    python3 install_helm.py --version 3.21.4 --sha256 amd64=<sha256> --sha256 arm64=<sha256> --dest /usr/local/bin/helm
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import io
import os
import platform
import re
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request

# platform.machine() values -> helm's architecture names.
ARCHITECTURES = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}
VERSION_RE = re.compile(r"^v?(\d+\.\d+\.\d+)$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


class InstallError(Exception):
    """A problem that stops the installation; the message says what and what to do."""


def helm_arch(machine: str) -> str:
    """Map a machine name (uname -m) to helm's architecture name."""
    try:
        return ARCHITECTURES[machine.lower()]
    except KeyError:
        raise InstallError(
            f"architecture '{machine}' has no helm build pinned here; known: {', '.join(sorted(set(ARCHITECTURES.values())))}"
        ) from None


def parse_pins(values: list[str]) -> dict[str, str]:
    """Parse --sha256 ARCH=HEX values into {arch: hex}."""
    pins = {}
    for value in values:
        arch, sep, digest = value.partition("=")
        digest = digest.strip().lower()
        if not sep or not arch or not SHA256_RE.match(digest):
            raise InstallError(f"--sha256 '{value}': expected ARCH=<64 hex digits>, for example amd64=61f8...a14")
        pins[arch.strip()] = digest
    return pins


def release_url(base_url: str, version: str, arch: str) -> str:
    """URL of helm's release archive."""
    return f"{base_url.rstrip('/')}/helm-v{version}-linux-{arch}.tar.gz"


def download(url: str, timeout: float) -> bytes:
    """Read a URL (https://, or file:// for mirrors copied into the build context)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - the URL is the pinned release
            return response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise InstallError(f"cannot download {url}: {exc}") from None


def verify(data: bytes, expected: str, url: str) -> None:
    """Refuse data whose SHA-256 is not the pinned one."""
    actual = hashlib.sha256(data).hexdigest()
    if not hmac.compare_digest(actual, expected):
        raise InstallError(f"checksum mismatch for {url}: got sha256 {actual}, pinned {expected}; nothing was installed")


def extract_helm(data: bytes, arch: str) -> bytes:
    """Return the helm binary from the release archive (member linux-<arch>/helm), reading nothing else."""
    member = f"linux-{arch}/helm"
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            info = archive.getmember(member)
            handle = archive.extractfile(info) if info.isfile() else None
            if handle is None:
                raise InstallError(f"{member} in the helm archive is not a regular file")
            return handle.read()
    except KeyError:
        raise InstallError(f"the helm archive has no {member}") from None
    except tarfile.TarError as exc:
        raise InstallError(f"the helm archive cannot be read: {exc}") from None


def install(binary: bytes, dest: str) -> None:
    """Write the binary next to dest, make it executable, and move it into place atomically."""
    directory = os.path.dirname(os.path.abspath(dest))
    os.makedirs(directory, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=".helm-", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(binary)
        os.chmod(tmp, 0o755)
        os.replace(tmp, dest)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def run(argv: list[str] | None = None) -> str:
    """Install helm as the arguments say; return the installed path."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--version", required=True, help="helm version, for example 3.21.4")
    parser.add_argument("--sha256", action="append", default=[], metavar="ARCH=HEX",
                        help="pinned SHA-256 of helm-v<version>-linux-<ARCH>.tar.gz (repeat per architecture)")
    parser.add_argument("--dest", default="/usr/local/bin/helm", help="where the binary goes")
    parser.add_argument("--base-url", default="https://get.helm.sh", help="release download location (a mirror)")
    parser.add_argument("--arch", default=None, help="architecture (default: this machine's)")
    parser.add_argument("--timeout", type=float, default=120.0, help="download timeout in seconds")
    args = parser.parse_args(argv)

    match = VERSION_RE.match(args.version.strip())
    if not match:
        raise InstallError(f"--version '{args.version}': expected MAJOR.MINOR.PATCH, for example 3.21.4")
    version = match.group(1)
    arch = helm_arch(args.arch or platform.machine())
    pins = parse_pins(args.sha256)
    if arch not in pins:
        raise InstallError(f"no --sha256 pinned for architecture {arch} (pinned: {', '.join(sorted(pins)) or 'none'})")
    url = release_url(args.base_url, version, arch)
    data = download(url, args.timeout)
    verify(data, pins[arch], url)
    install(extract_helm(data, arch), args.dest)
    return args.dest


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    try:
        dest = run(argv)
    except InstallError as exc:
        sys.stderr.write(f"install_helm: {exc}\n")
        return 1
    sys.stdout.write(f"install_helm: installed {dest}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
