"""Benchmark: deploy 20 models in one play vs one model (playbooks/deploy_models.yml, the real path).

    python bench/deploy_bench.py            # needs `make cluster-up`; sets up the stack and KServe's controller

Runs on the local cluster: charts pushed to the local registry, playbooks/install.yml, KServe's controller as a host
process, runtimes registered; then times deploy_models.yml for 1 model and for 20 models (tiny CPU profile, preflight
included, until every InferenceService is Ready), removes them, and prints the ratios measured in this one run.
Target: 20 models take far less than 20x one model (the Helm calls are ~1 s each; the models load in parallel).
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
NAMESPACE = "llmops-bench-deploy"


def run(args, env=None, timeout=1800):
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(str(a) for a in args[:3])} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return proc


def main() -> int:
    kubeconfig = run([sys.executable, "hack/cluster.py", "kubeconfig"]).stdout.strip().splitlines()[-1]
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), K8S_AUTH_KUBECONFIG=kubeconfig, HF_HUB_OFFLINE="1",
               PATH=f"{ROOT / '.venv' / 'bin'}:{CACHE / 'bin'}:{os.environ['PATH']}")
    playbook = [str(ROOT / ".venv" / "bin" / "ansible-playbook"), "-i", "inventory/local"]
    print("[bench] setting up: charts, stack, KServe controller, runtimes", flush=True)
    run([sys.executable, "hack/test_charts_stack.py"])
    run([sys.executable, "hack/test_charts.py"])
    run([*playbook, "playbooks/install.yml"], env=env)
    run([sys.executable, "hack/kserve_controller.py", "start"], env=env)
    run([*playbook, "playbooks/register_runtimes.yml"], env=env)

    def models(count):
        return [{"name": f"bench-{i:02d}", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon",
                 "profile": "cpu-tiny", "deployment_mode": "Standard", "replicas": 1} for i in range(count)]

    timings = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (1, 20):
            varfile = Path(tmp) / f"models-{count}.yml"
            varfile.write_text(yaml.safe_dump({"llmops_models": models(count), "llmops_models_namespace": NAMESPACE}))
            start = time.monotonic()
            run([*playbook, "playbooks/deploy_models.yml", "-e", f"@{varfile}"], env=env)
            timings[count] = time.monotonic() - start
            print(f"[bench] {count:2d} model(s): {timings[count]:.1f} s (deploy + wait until Ready)", flush=True)
            run([*playbook, "playbooks/uninstall_models.yml", "-e", f"@{varfile}"], env=env)
    run([str(CACHE / "bin" / "kubectl"), "--kubeconfig", kubeconfig, "delete", "namespace", NAMESPACE, "--ignore-not-found"])
    ratio = timings[20] / timings[1]
    print(f"20 models / 1 model: {ratio:.2f}x the time for 20x the models ({timings[20] / 20:.1f} s per model vs "
          f"{timings[1]:.1f} s alone; linear would be 20.00x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
