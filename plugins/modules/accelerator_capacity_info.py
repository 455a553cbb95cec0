#!/usr/bin/python
# Copyright: (c) 2026, llmops.kserve contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type  # pylint: disable=invalid-name

DOCUMENTATION = r"""
---
module: accelerator_capacity_info
short_description: Free accelerators per node, and whether model replicas fit
version_added: "0.1.0"
description:
  - Reads all nodes and all pods that are not Succeeded or Failed, with one list call each (paged), and computes
    per node the allocatable, requested and free amounts of C(nvidia.com/gpu), MIG resources
    (C(nvidia.com/mig-*)), C(habana.ai/gaudi), cpu, memory, hugepages and pod slots.
  - A pod's request follows Kubernetes' own rules, the ones the scheduler uses - the larger of the sum of the app
    containers plus restartable init containers (sidecars), and the largest init container plus the sidecars
    started before it; plus the pod overhead. Pod-level C(spec.resources.requests) replace cpu and memory when set.
    A container with only a limit requests its limit.
  - Given O(requests), answers whether all of them fit together and where. Each replica needs all of its C(count)
    devices on ONE node (tensor parallel). Replicas are placed greedily, largest first, each on the node where it
    leaves the least of its resource free (best fit). A greedy placement never reports a fit that does not exist,
    but can, in rare mixes, miss one that does.
  - Cordoned (C(spec.unschedulable)) and NotReady nodes are excluded and named; so are nodes whose NoSchedule or
    NoExecute taints a request does not tolerate, or whose labels do not match its node selector.
  - Devices handed out through Dynamic Resource Allocation are not in node allocatable. When C(resource.k8s.io)
    ResourceSlices exist, the result says that those devices were not counted.
  - Re-runs and upgrades. A request that names its InferenceService (O(requests[].inferenceservice) and
    O(requests[].namespace)) is not refused for the devices its own running pods hold (pods labelled
    C(serving.kserve.io/inferenceservice=<name>) in that namespace). How they are accounted is returned as
    RV(requests[].rollout) and said in RV(requests[].reason).
  - V(unchanged) or V(scale) when the running pods' model container (C(kserve-container)) asks for the same
    amounts as the request, so the upgrade does not change the pods' requests - they keep their devices and only
    added replicas are placed; devices a scale-down frees are not offered to the other requests.
  - V(recreate) when the request changes and O(requests[].strategy.type=Recreate) - the old pods are deleted before
    the new ones are created, so their devices count as free and every new replica is placed.
  - V(surge) when the request changes and O(requests[].strategy.type=RollingUpdate) (KServe's default for Standard
    mode predictors, maxSurge 25% and maxUnavailable 25%) - the final state must fit (old pods gone), and the first
    rollout step must fit on the cluster as it is now - maxSurge new pods beside the old pods, less maxUnavailable of
    them, resolved against the new replica count as the Deployment controller does (surge rounded up, unavailable
    rounded down). Later steps are not simulated.
  - V(install) when no pod of its InferenceService is running (or none is named).
  - A change that replaces pods without changing their requests (image, arguments, environment) is seen as
    V(unchanged); under RollingUpdate it also needs room for its surge pods, which this module does not check.
  - Read-only; supports check mode.
author:
  - llmops.kserve contributors (@llmops)
extends_documentation_fragment:
  - kubernetes.core.k8s_auth_options
options:
  requests:
    description:
      - Workloads to place, all together.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: A unique name for the request (for example the model's release name).
        type: str
        required: true
      resource:
        description:
          - The main resource each replica needs, for example V(nvidia.com/gpu), V(habana.ai/gaudi),
            V(nvidia.com/mig-3g.40gb) or V(cpu).
        type: str
        required: true
      count:
        description:
          - Amount of O(requests[].resource) per replica, all on one node. For accelerators this is the tensor
            parallel size; a Kubernetes quantity for cpu (V(16), V(500m)).
        type: raw
        default: 1
        aliases: [tensor_parallel]
      replicas:
        description: Number of replicas; each one is placed on its own.
        type: int
        default: 1
      node_selector:
        description: Labels a node must carry (like a pod's C(nodeSelector)).
        type: dict
        default: {}
      tolerations:
        description: Tolerations of the workload, as in a pod spec.
        type: list
        elements: dict
        default: []
        suboptions:
          key:
            description: Taint key; empty with O(requests[].tolerations[].operator=Exists) tolerates everything.
            type: str
          operator:
            description: V(Equal) compares the value; V(Exists) ignores it.
            type: str
            choices: [Equal, Exists]
            default: Equal
          value:
            description: Taint value for V(Equal).
            type: str
          effect:
            description: Effect to tolerate; empty tolerates all effects.
            type: str
            choices: [NoSchedule, PreferNoSchedule, NoExecute]
          toleration_seconds:
            description: Accepted for copy-paste from pod specs; not used for placement.
            type: int
            aliases: [tolerationSeconds]
      resources:
        description:
          - Other per-replica requests that must fit on the same node, as Kubernetes quantities.
          - 'For example V({"cpu": 16, "memory": "64Gi", "hugepages-2Mi": "8Gi"}).'
        type: dict
        default: {}
      inferenceservice:
        description:
          - Name of the InferenceService this request (re)deploys. Its running pods (label
            C(serving.kserve.io/inferenceservice=<name>) in O(requests[].namespace)) are accounted by the rollout
            rules in the description instead of as someone else's pods.
          - Each InferenceService may be named by one request.
        type: str
      namespace:
        description: Namespace of O(requests[].inferenceservice); required with it.
        type: str
      strategy:
        description:
          - How the predictor's Deployment replaces its pods (C(spec.strategy) of the Deployment KServe creates,
            C(spec.predictor.deploymentStrategy) of the InferenceService). Used only when the request changes.
          - Default, KServe v0.20.0's for a Standard mode predictor without C(deploymentStrategy) -
            V(RollingUpdate) with maxSurge V(25%) and maxUnavailable V(25%). KServe's
            C(deploy.deploymentRolloutStrategy.defaultRollout) in C(inferenceservice-config) can change it
            cluster-wide; pass those values here then.
        type: dict
        suboptions:
          type:
            description: V(RollingUpdate) (new pods beside the old ones) or V(Recreate) (old pods deleted first).
            type: str
            choices: [RollingUpdate, Recreate]
            default: RollingUpdate
          max_surge:
            description:
              - Pods created above the replica count during a RollingUpdate, a number or a percentage of the
                replicas (rounded up). Default V(25%).
            type: raw
            aliases: [maxSurge]
          max_unavailable:
            description:
              - Pods that may be missing during a RollingUpdate, a number or a percentage of the replicas
                (rounded down). Default V(25%).
            type: raw
            aliases: [maxUnavailable]
  track_resources:
    description:
      - Resources to account for, as shell-style patterns. Add a platform's device resource here (for example
        V(amd.com/gpu)); the default covers Xeon (cpu, memory), Gaudi, NVIDIA GPUs and MIG slices.
    type: list
    elements: str
    default: [cpu, memory, pods, hugepages-*, nvidia.com/gpu, nvidia.com/mig-*, habana.ai/gaudi]
  report_nodes:
    description:
      - Which nodes to return in RV(nodes).
      - V(all) returns every node; V(none) returns none (enough for placement questions).
      - V(accelerators) returns the nodes that offer a tracked resource other than cpu, memory, pods and hugepages.
    type: str
    choices: [all, accelerators, none]
    default: all
  page_size:
    description:
      - Items per page of the node and pod lists (C(limit)/C(continue)); V(0) reads each list in one response.
    type: int
    default: 500
  check_dra:
    description: Look for DRA ResourceSlices (devices this module cannot count).
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The module only reads.
requirements:
  - kubernetes >= 24.2.0
notes:
  - Node affinity, pod anti-affinity, topology spread and in-place resize are not evaluated; only node selectors,
    taints/tolerations and requests.
  - Pods bound to a node but still Pending count against it, as they do for the scheduler. Pods not bound to any
    node are only counted in RV(pending_pods).
seealso:
  - module: kubernetes.core.k8s_info
  - module: llmops.kserve.model_sizing_info
"""

EXAMPLES = r"""
- name: Free accelerators per node
  llmops.kserve.accelerator_capacity_info:
    report_nodes: accelerators
  register: capacity

- name: Can both models be deployed together?
  llmops.kserve.accelerator_capacity_info:
    kubeconfig: "{{ lookup('ansible.builtin.env', 'HOME') }}/.kube/config"
    requests:
      - name: llama-70b
        resource: nvidia.com/gpu
        tensor_parallel: 8
        replicas: 1
        tolerations:
          - key: nvidia.com/gpu
            operator: Exists
            effect: NoSchedule
      - name: qwen-7b-gaudi
        resource: habana.ai/gaudi
        count: 1
        replicas: 2
        node_selector:
          habana.ai/gaudi.product: Gaudi2
        resources:
          cpu: 16
          memory: 64Gi
          hugepages-2Mi: 8Gi
      - name: tinyllama-xeon
        resource: cpu
        count: 16
        resources:
          memory: 64Gi
    report_nodes: none
  register: plan

- name: Re-apply a model that already runs (its own pods are not counted against it)
  llmops.kserve.accelerator_capacity_info:
    requests:
      - name: llama-70b
        resource: nvidia.com/gpu
        count: 8
        inferenceservice: llama-70b
        namespace: llmops-models
        strategy:
          type: RollingUpdate
          max_surge: 25%
          max_unavailable: 25%
        tolerations:
          - key: nvidia.com/gpu
            operator: Exists
            effect: NoSchedule
    report_nodes: none
  register: rerun

- name: Stop when something does not fit
  ansible.builtin.assert:
    that: plan.fits
    fail_msg: "{{ plan.requests | rejectattr('fits') | map(attribute='reason') | list }}"
"""

RETURN = r"""
fits:
  description: Whether all requests fit together (true when there are none).
  returned: always
  type: bool
  sample: false
requests:
  description: The placement answer per request, in the given order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: The request's name.
      type: str
      sample: llama-70b
    resource:
      description: Main resource.
      type: str
      sample: nvidia.com/gpu
    count:
      description: Amount per replica (cpu in cores).
      type: raw
      sample: 8
    replicas:
      description: Replicas asked for.
      type: int
      sample: 1
    fits:
      description: Whether every replica got a node.
      type: bool
      sample: false
    placements:
      description: Node of each placed replica.
      type: list
      elements: str
      sample: [nvidia-h100-1]
    unplaced_replicas:
      description: Replicas that got no node.
      type: int
      sample: 1
    eligible_nodes:
      description: Number of nodes the request may use (offer the resource, ready, not cordoned, taints tolerated, selector matches).
      type: int
      sample: 2
    excluded_nodes:
      description: Nodes that offer the resource but may not be used, with the reason.
      type: list
      elements: dict
      sample: [{name: nvidia-h100-2, reason: "cordoned (spec.unschedulable)"}]
    free_on_eligible_nodes:
      description: Free amount of the resource summed over eligible nodes, before placement.
      type: raw
      sample: 8
    max_free_on_one_node:
      description: Largest free amount on one eligible node, before placement.
      type: raw
      sample: 4
    reason:
      description:
        - The answer in plain words. When it does not fit, the free amount of the resource on each eligible node.
        - When O(requests[].inferenceservice) is set, ends with the rollout assumed, in brackets.
      type: str
      sample: >-
        fits in total but not on one node: needs 8 nvidia.com/gpu on ONE node per replica (tensor parallel);
        8 nvidia.com/gpu free in total on 2 eligible node(s), at most 4 nvidia.com/gpu on one node;
        free nvidia.com/gpu per eligible node: nvidia-h100-1 4, nvidia-h100-2 4
    rollout:
      description:
        - How the running pods of its InferenceService were accounted (see the description) -
          V(install), V(unchanged), V(scale), V(recreate) or V(surge).
      type: str
      sample: surge
    running_pods:
      description: Running (bound, not terminated) pods of its InferenceService; 0 when none is named.
      type: int
      sample: 1
    surge_pods:
      description: For V(surge), the new pods that must fit beside the old ones in the first rollout step; else 0.
      type: int
      sample: 1
nodes:
  description: Per node accounting (see O(report_nodes)), sorted by name. cpu in cores, memory and hugepages in bytes, devices as counts.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node name.
      type: str
      sample: nvidia-h100-1
    ready:
      description: Ready condition is True.
      type: bool
      sample: true
    schedulable:
      description: Not cordoned.
      type: bool
      sample: true
    excluded_reason:
      description: Why the node takes no new pod (cordoned, NotReady), else null.
      type: str
      sample: null
    taints:
      description: Taints as C(key=value:Effect).
      type: list
      elements: str
      sample: ["nvidia.com/gpu=present:NoSchedule"]
    pods:
      description: Non-terminal pods bound to the node.
      type: int
      sample: 3
    allocatable:
      description: Allocatable amount per tracked resource.
      type: dict
      sample: {"cpu": 192, "memory": 2199023255552, "nvidia.com/gpu": 8, "pods": 110}
    requested:
      description: Sum of the effective requests of the node's pods.
      type: dict
      sample: {"cpu": 8.5, "memory": 34359738368, "nvidia.com/gpu": 4, "pods": 3}
    free:
      description: allocatable - requested (negative when overcommitted).
      type: dict
      sample: {"cpu": 183.5, "memory": 2164663517184, "nvidia.com/gpu": 4, "pods": 107}
totals:
  description: Per resource sums over all nodes (allocatable, requested, free) and free on ready, uncordoned nodes (free_schedulable).
  returned: always
  type: dict
  sample: {"nvidia.com/gpu": {"allocatable": 16, "requested": 12, "free": 4, "free_schedulable": 4}}
excluded_nodes:
  description: Nodes that take no new pod at all (cordoned or NotReady), with the reason.
  returned: always
  type: list
  elements: dict
  sample: [{name: xeon-cordoned, reason: "cordoned (spec.unschedulable)"}]
pods_counted:
  description: Non-terminal pods bound to a known node.
  returned: always
  type: int
  sample: 10412
pending_pods:
  description: Non-terminal pods not bound to any node yet (not counted against a node).
  returned: always
  type: int
  sample: 0
dra:
  description: What was found about Dynamic Resource Allocation (null when O(check_dra=false)).
  returned: always
  type: dict
  contains:
    api_available:
      description: The cluster serves C(resource.k8s.io).
      type: bool
    api_version:
      description: Version used to list ResourceSlices.
      type: str
      sample: resource.k8s.io/v1
    resource_slices:
      description: Number of ResourceSlices.
      type: int
    devices:
      description: Devices published in them.
      type: int
    drivers:
      description: DRA drivers publishing them.
      type: list
      elements: str
    nodes:
      description: Nodes with node-local slices.
      type: list
      elements: str
    counted:
      description: Always false; DRA devices are not in the numbers above.
      type: bool
    message:
      description: The finding in plain words.
      type: str
      sample: "2 DRA device(s) in 1 ResourceSlice(s) (drivers: gpu.nvidia.com) were NOT counted"
"""

import copy

from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.client import get_api_client
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.core import AnsibleK8SModule
from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.llmops.kserve.plugins.module_utils.capacity import (
    CORE_RESOURCES,
    DEFAULT_RESOURCES,
    CapacityError,
    node_exclusion,
    node_report,
    normalize_requests,
    place,
    totals,
)
from ansible_collections.llmops.kserve.plugins.module_utils.cluster import ClusterReadError, read_capacity


def argument_spec():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec.update(
        requests=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            resource=dict(type="str", required=True),
            count=dict(type="raw", default=1, aliases=["tensor_parallel"]),
            replicas=dict(type="int", default=1),
            node_selector=dict(type="dict", default={}),
            tolerations=dict(type="list", elements="dict", default=[], options=dict(
                key=dict(type="str", no_log=False),
                operator=dict(type="str", choices=["Equal", "Exists"], default="Equal"),
                value=dict(type="str"),
                effect=dict(type="str", choices=["NoSchedule", "PreferNoSchedule", "NoExecute"]),
                toleration_seconds=dict(type="int", aliases=["tolerationSeconds"]),
            )),
            resources=dict(type="dict", default={}),
            inferenceservice=dict(type="str"),
            namespace=dict(type="str"),
            strategy=dict(type="dict", options=dict(
                type=dict(type="str", choices=["RollingUpdate", "Recreate"], default="RollingUpdate"),
                max_surge=dict(type="raw", aliases=["maxSurge"]),
                max_unavailable=dict(type="raw", aliases=["maxUnavailable"]),
            )),
        )),
        track_resources=dict(type="list", elements="str", default=list(DEFAULT_RESOURCES)),
        report_nodes=dict(type="str", choices=["all", "accelerators", "none"], default="all"),
        page_size=dict(type="int", default=500),
        check_dra=dict(type="bool", default=True),
    )
    return spec


def _accelerator_patterns(track):
    return [p for p in track if p not in CORE_RESOURCES and not p.startswith("hugepages-")]


def main():
    module = AnsibleK8SModule(argument_spec=argument_spec(), supports_check_mode=True, check_pyyaml=False)
    params = module.params
    if params["page_size"] < 0:
        module.fail_json(msg="page_size: %r must be 0 (no paging) or a positive number of items" % params["page_size"])
    raw_requests = [dict((k, v) for k, v in r.items() if v is not None) for r in params["requests"]]
    for raw in raw_requests:
        raw["tolerations"] = [dict((k, v) for k, v in t.items() if v is not None) for t in raw.get("tolerations", [])]
        if raw.get("strategy") is not None:
            raw["strategy"] = dict((k, v) for k, v in raw["strategy"].items() if v is not None)
    try:
        requests = normalize_requests(raw_requests)
    except CapacityError as exc:
        module.fail_json(msg=str(exc))

    try:
        client = get_api_client(module)
        capacity = read_capacity(client, params["track_resources"], page_size=params["page_size"],
                                 check_dra=params["check_dra"])
    except CoreException as exc:
        module.fail_json(msg="could not connect to the cluster: %s" % exc)
    except ClusterReadError as exc:
        module.fail_json(msg=str(exc))
    except CapacityError as exc:
        module.fail_json(msg="unexpected data from the cluster: %s" % exc)

    placement = place(capacity, requests)
    if params["report_nodes"] == "none":
        nodes = []
    elif params["report_nodes"] == "accelerators":
        nodes = node_report(capacity, only_with=_accelerator_patterns(params["track_resources"]))
    else:
        nodes = node_report(capacity)
    excluded = []
    for name in sorted(capacity["nodes"]):
        reason = node_exclusion(capacity["nodes"][name])
        if reason:
            excluded.append({"name": name, "reason": reason})
    module.exit_json(
        changed=False,
        fits=placement["fits"],
        requests=placement["requests"],
        nodes=nodes,
        totals=totals(capacity),
        excluded_nodes=excluded,
        pods_counted=capacity["pods_counted"],
        pending_pods=capacity["pending_pods"],
        dra=capacity["dra"],
    )


if __name__ == "__main__":
    main()
