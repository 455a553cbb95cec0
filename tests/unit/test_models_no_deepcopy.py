"""model_chart_values copies its input as plain containers, never with copy.deepcopy.

On ansible-core 2.19 a filter receives the play's values as lazy containers whose __deepcopy__ also deep-copies
their templar, i.e. every variable of the play: with 100 models in one play, the per-model calls of the preflight
and model_deploy spent minutes in deepcopy (measured with py-spy in bench/deploy_bench.py). The stand-in below is a
Mapping whose deepcopy fails, like a container that must not be deep-copied.
"""
from __future__ import annotations

import copy
from collections.abc import Mapping

from ansible_collections.llmops.kserve.plugins.module_utils import models as m


class NoDeepcopy(Mapping):
    def __init__(self, data):
        self._data = data

    def __getitem__(self, key):
        return self._data[key]

    def __iter__(self):
        return iter(self._data)

    def __len__(self):
        return len(self._data)

    def __deepcopy__(self, memo):
        raise AssertionError("deep-copied")


def test_chart_values_of_a_container_that_must_not_be_deep_copied():
    values = NoDeepcopy({"model": NoDeepcopy({"maxModelLen": 2048}), "args": ["--a"],
                         "predictor": NoDeepcopy({"affinity": NoDeepcopy({"x": 1})})})
    entry = NoDeepcopy({"name": "m", "model_id": "org/m", "platform": "xeon", "replicas": 2, "values": values})
    got = m.model_chart_values(entry)
    assert got == {"platform": "xeon", "deploymentMode": "Standard",
                   "model": {"id": "org/m", "maxModelLen": 2048},
                   "predictor": {"minReplicas": 2, "maxReplicas": 2, "affinity": {"x": 1}}, "args": ["--a"]}
    assert got["predictor"]["affinity"].__class__ is dict  # plain containers all the way down


def test_chart_values_do_not_share_containers_with_the_input():
    values = {"model": {"env": {"A": "1"}}, "args": ["--a"]}
    got = m.model_chart_values({"name": "m", "model_id": "org/m", "platform": "xeon", "values": values})
    got["model"]["env"]["A"] = "2"
    got["args"].append("--b")
    assert values == {"model": {"env": {"A": "1"}}, "args": ["--a"]}
    assert copy.deepcopy(got) == got
