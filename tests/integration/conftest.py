"""Integration tests: one component at a time against the local cluster (fixtures in tests/cluster_fixtures.py)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import harness  # noqa: E402  pylint: disable=wrong-import-position
from cluster_fixtures import helm_bin, kube_json, kubeconfig, kubectl_bin, registry_url  # noqa: E402,F401  pylint: disable=unused-import

harness.collection_path()  # ansible_collections/llmops/kserve for every ansible run of these tests
