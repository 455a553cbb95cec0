# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container image references: the registry mirror rewrite and the split into repository / tag / digest (pure).

The one rule every role and the runtimes chart (``kserve-runtimes.image`` in charts/kserve-runtimes) follow:

- the first path segment is a registry host when it contains ``.`` or ``:`` or is ``localhost``
  (Docker's own rule); otherwise the image is on Docker Hub;
- with a mirror set, the registry host is replaced by the mirror; a Docker Hub image gets the mirror in front,
  and a Docker Hub image with a single path segment (``busybox``, ``docker.io/busybox``) gets ``library/``
  (where Docker Hub keeps its official images);
- the tag and the digest are kept as they are; without a mirror the reference is returned unchanged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import re

DOCKER_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io")
# A registry mirror: host[:port] with an optional path of lowercase repository components; one regex for every role.
REGISTRY = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)*/?$")
# A pinned image: <repository>:<tag>, <repository>:<tag>@sha256:<digest> or <repository>@sha256:<digest>; one regex for
# serving_runtimes and the kserve-runtimes chart schema (copied there by hack/gen_contracts.py).
PINNED_IMAGE = re.compile(r"^[a-z0-9][a-z0-9._/:-]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[a-f0-9]{64})?|@sha256:[a-f0-9]{64})$")


def _is_host(segment):
    return "." in segment or ":" in segment or segment == "localhost"


def image_mirror(image, registry=None):
    """``image`` with the registry mirror ``registry`` applied (unchanged when ``registry`` is empty)."""
    image = str(image)
    mirror = str(registry or "").rstrip("/")
    if not mirror:
        return image
    parts = image.split("/")
    if len(parts) > 1 and _is_host(parts[0]):
        host, path = parts[0], parts[1:]
    else:
        host, path = "docker.io", parts
    if host in DOCKER_HUB and len(path) == 1:
        path = ["library"] + path
    return "%s/%s" % (mirror, "/".join(path))


def image_parts(image):
    """``{"ref", "repository", "tag", "digest", "chart_image", "chart_tag"}`` of an image reference.

    ``repository``/``tag``/``digest``: the reference's parts ("" when absent). ``chart_image``/``chart_tag``: the two
    halves for charts that render ``<image>:<tag>`` (split at the last ``:`` after the last ``/``), so that
    ``chart_image ~ ':' ~ chart_tag`` is the reference again, digests included.
    """
    ref = str(image)
    head, sep, tail = ref.rpartition(":")
    if sep and "/" not in tail:
        chart_image, chart_tag = head, tail
    else:
        chart_image, chart_tag = ref, ""
    name, digest = ref, ""
    if "@" in ref:
        name, digest = ref.split("@", 1)
    repository, tag = name, ""
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        repository, tag = name.rsplit(":", 1)
    return {"ref": ref, "repository": repository, "tag": tag, "digest": digest, "chart_image": chart_image,
            "chart_tag": chart_tag}


def registry_problem(field, value):
    """"" when ``value`` is empty or a registry mirror reference, else one sentence naming field, value and rule."""
    if value is None or str(value) == "" or REGISTRY.match(str(value)):
        return ""
    return ("%s: '%s' is not a registry host[:port][/path] (no scheme, no tag; a lowercase path), "
            "e.g. registry.example.com:5000/mirror" % (field, value))


def unpinned_images(entries):
    """``"catalog entry '<name>': image '<image>'"`` for each entry of ``entries`` (name -> ``{"image": ...}``, in name
    order) whose image is not pinned with a tag or a digest (PINNED_IMAGE)."""
    out = []
    for name in sorted(entries or {}):
        entry = entries[name]
        image = entry.get("image", "") if isinstance(entry, dict) else ""
        if not isinstance(image, str) or not PINNED_IMAGE.match(image):
            out.append("catalog entry '%s': image '%s'" % (name, image))
    return out
