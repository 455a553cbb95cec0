# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The platform catalog: the one place platforms, values-file profiles and shared name limits are written (data).

Read at run time by the modules and filters (``module_utils/sizing.py``, ``module_utils/models.py``,
``module_utils/inputs.py``); copied into the YAML and JSON files that cannot import Python (the kserve-model
chart's schema, playbook input contracts, role defaults and argument specs, AWX surveys) by ``hack/gen_contracts.py``,
and ``make lint`` fails when such a copy differs from what the script would write.

Adding a platform = one entry in PLATFORMS + ``charts/kserve-model/values-<name>.yaml`` + a runtime entry
``llmops-vllm-<name>`` in ``charts/kserve-runtimes/values.yaml``; then run ``hack/gen_contracts.py``.
A profile is a values file of a platform (``values-<profile>.yaml``); every platform is also the profile of its name.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

import copy

# name -> device, extended resource, device memory (GiB; None: host memory, see sizing.DEFAULT_HOST_MEMORY_GIB),
# devices per node, the kserve-model values file, the kserve-runtimes entries, and how serving_runtimes' "auto"
# recognises its nodes (labels that must match; extended resources of which one must be allocatable).
PLATFORMS = {
    "xeon": {
        "description": "Intel Xeon CPUs (AMX)",
        "device": "Intel Xeon (host memory)", "resource": "cpu", "device_memory_gib": None, "devices_per_node": 1,
        "values_file": "values-xeon.yaml", "runtimes": ["llmops-vllm-xeon", "llmops-hf-xeon"],
        "detection": {"labels": {"feature.node.kubernetes.io/cpu-model.vendor_id": "Intel"}},
    },
    "gaudi": {
        "description": "Intel Gaudi 2",
        "device": "Intel Gaudi 2", "resource": "habana.ai/gaudi", "device_memory_gib": 96.0, "devices_per_node": 8,
        "values_file": "values-gaudi.yaml", "runtimes": ["llmops-vllm-gaudi"],
        "detection": {"labels": {"habana.ai/gaudi.generation": "2"}, "allocatable": ["habana.ai/gaudi"]},
    },
    "gaudi3": {
        "description": "Intel Gaudi 3",
        "device": "Intel Gaudi 3", "resource": "habana.ai/gaudi", "device_memory_gib": 128.0, "devices_per_node": 8,
        "values_file": "values-gaudi3.yaml", "runtimes": ["llmops-vllm-gaudi3"],
        "detection": {"labels": {"habana.ai/gaudi.generation": "3"}, "allocatable": ["habana.ai/gaudi"]},
    },
    "nvidia": {
        "description": "NVIDIA GPUs (H100 80GB)",
        "device": "NVIDIA H100 80GB", "resource": "nvidia.com/gpu", "device_memory_gib": 80.0, "devices_per_node": 8,
        "values_file": "values-nvidia.yaml", "runtimes": ["llmops-vllm-nvidia", "llmops-hf-nvidia"],
        "detection": {"allocatable": ["nvidia.com/gpu"], "allocatable_prefixes": ["nvidia.com/mig-"]},
    },
}

# Profiles besides the platforms' own: a values file for one platform. public: the model needs no token.
PROFILES = {
    "cpu-tiny": {"platform": "xeon", "values_file": "values-cpu-tiny.yaml", "public": True,
                 "description": "a tiny public model on any Xeon node (demos, smoke tests)"},
}

LIMITS = {
    # A model name is its Helm release, its InferenceService and the prefix of every object the kserve-model chart
    # creates. The longest derived name bounds it: the model download Job "<name>-download-<8 hex>" (18 more
    # characters) is a label value in its Pods (job-name), at most 63 characters -> 45; KServe/Knative's revision
    # "<name>-predictor-00001" (16 more) would allow 47, and Helm's own release-name limit is 53. So 45: a longer
    # name passes Helm and KServe's admission and then fails inside the chart.
    "model_name_max": 45,
    # Helm refuses release names over 53 characters (its Secret "sh.helm.release.v1.<name>.v<N>" must fit 63).
    "release_name_max": 53,
    # A Kubernetes namespace (and any DNS-1123 label).
    "namespace_max": 63,
}


def catalog():
    """The whole catalog as plain data (a deep copy): platforms, profiles (the platforms' own included), limits."""
    profiles = dict((name, {"platform": name, "values_file": entry["values_file"], "public": False,
                            "description": entry["description"]}) for name, entry in PLATFORMS.items())
    profiles.update(copy.deepcopy(PROFILES))
    return {"platforms": copy.deepcopy(PLATFORMS), "profiles": profiles, "limits": dict(LIMITS),
            "platform_names": list(PLATFORMS), "profile_names": list(profiles),
            "public_profiles": [name for name, entry in profiles.items() if entry.get("public")]}


def _quantity_above_zero(quantity):
    """An extended resource's quantity ("8", "0") is above zero; its digits are read, as in a Kubernetes integer."""
    digits = "".join(c for c in str(quantity) if c.isdigit())
    return int(digits or "0") > 0


def detect_platforms(nodes, rules):
    """The platforms (sorted, unique) whose detection rule at least one of ``nodes`` (Node objects) matches.

    ``rules``: platform -> ``{"labels": {...}, "allocatable": [...], "allocatable_prefixes": [...]}`` (the
    "detection" entries of PLATFORMS, or serving_runtimes_platform_detection). A node matches when every label of the
    rule has that value (compared as strings) and, when the rule names extended resources (by name or prefix), one of
    them is allocatable above zero.
    """
    found = set()
    for node in nodes or []:
        labels = (node.get("metadata") or {}).get("labels") or {}
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        for platform, rule in sorted((rules or {}).items()):
            rule = rule or {}
            names = rule.get("allocatable") or []
            prefixes = rule.get("allocatable_prefixes") or []
            labels_match = all(key in labels and str(labels[key]) == str(value)
                               for key, value in (rule.get("labels") or {}).items())
            resources_match = not names and not prefixes
            for resource, quantity in allocatable.items():
                wanted = resource in names or any(resource.startswith(prefix) for prefix in prefixes)
                if wanted and _quantity_above_zero(quantity):
                    resources_match = True
            if labels_match and resources_match:
                found.add(platform)
    return sorted(found)
