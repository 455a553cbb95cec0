"""Benchmark: deploy 20 models in one play vs one model, and 100 models (playbooks/deploy_models.yml, the real path).

    python bench/deploy_bench.py [--counts 1,20,100]   # needs `make cluster-up`; sets up the stack and KServe's controller

Runs on the local cluster: charts pushed to the local registry, playbooks/install.yml, KServe's controller as a host
process, runtimes registered; then times deploy_models.yml for 1, 20 and 100 models (tiny CPU profile, preflight
included, until every InferenceService is Ready: kwok marks the pods Ready, nothing runs), removes them, and prints
the ratios measured in this one run, with the peak RSS of the controller process (ansible-playbook: the high-water
mark of its own process, VmHWM, polled; and the largest of its whole process tree - forks, modules, helm - from
wait4). Target: 20 models <= 2x the time of one model. The 100-model run asks 0.5 CPU / 1 GiB per model (the tiny
profile's 2 CPU would not fit 100 times on the fake Xeon nodes).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(os.environ.get("LLMOPS_CACHE", Path.home() / ".cache" / "llmops-kserve"))
NAMESPACE = "llmops-bench-deploy"
TARGET_RATIO = 2.0


def run(args, env=None, timeout=1800):
    proc = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(str(a) for a in args[:3])} failed:\n{(proc.stdout + proc.stderr)[-4000:]}")
    return proc


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--counts", default="1,20,100", help="model counts to time, comma separated")
    counts = [int(c) for c in parser.parse_args().counts.split(",")]
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
        small = {"resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"cpu": "500m", "memory": "1Gi"}}}
        return [{"name": f"bench-{i:03d}", "model_id": "Qwen/Qwen2.5-0.5B-Instruct", "platform": "xeon",
                 "profile": "cpu-tiny", "deployment_mode": "Standard", "replicas": 1,
                 **({"values": small} if count > 20 else {})} for i in range(count)]

    timings, peaks = {}, {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in counts:
            varfile = Path(tmp) / f"models-{count}.yml"
            varfile.write_text(yaml.safe_dump({"llmops_models": models(count), "llmops_models_namespace": NAMESPACE}))
            timings[count], peaks[count] = measured([*playbook, "playbooks/deploy_models.yml", "-e", f"@{varfile}"], env)
            print(f"[bench] {count:3d} model(s): {timings[count]:.1f} s (preflight + deploy + wait until Ready); "
                  f"peak RSS ansible-playbook {peaks[count][0] / 1024:.0f} MiB, its process tree {peaks[count][1] / 1024:.0f} MiB",
                  flush=True)
            if count <= 20:
                run([*playbook, "playbooks/uninstall_models.yml", "-e", f"@{varfile}"], env=env)
            else:  # uninstall_models.yml removes the releases one by one (helm uninstall --wait): the namespace goes faster
                run([str(CACHE / "bin" / "kubectl"), "--kubeconfig", kubeconfig, "delete", "namespace", NAMESPACE,
                     "--ignore-not-found", "--timeout=600s"], timeout=700)
    run([str(CACHE / "bin" / "kubectl"), "--kubeconfig", kubeconfig, "delete", "namespace", NAMESPACE, "--ignore-not-found"])
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared)")
    if 1 in timings and 20 in timings:
        ratio = timings[20] / timings[1]
        print(f"20 models / 1 model: {ratio:.2f}x the time for 20x the models ({timings[20] / 20:.1f} s per model vs "
              f"{timings[1]:.1f} s alone; linear would be 20.00x; target <= {TARGET_RATIO:.1f}x: "
              f"{'met' if ratio <= TARGET_RATIO else 'NOT met'})")
    if 100 in timings:
        print(f"100 models: {timings[100]:.1f} s ({timings[100] / 100:.2f} s per model"
              + (f", {timings[100] / timings[1]:.2f}x one model" if 1 in timings else "")
              + f"); peak RSS of ansible-playbook {peaks[100][0] / 1024:.0f} MiB (process tree {peaks[100][1] / 1024:.0f} MiB)")
    return 0


def measured(args, env):
    """Runs args (must succeed); returns (seconds, (VmHWM of the process in KiB, max RSS of its tree in KiB))."""
    start = time.monotonic()
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    hwm = [0]

    def poll():
        while proc.returncode is None:
            try:
                with open(f"/proc/{proc.pid}/status", encoding="utf-8") as status:
                    for line in status:
                        if line.startswith("VmHWM:"):
                            hwm[0] = max(hwm[0], int(line.split()[1]))
            except OSError:
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    chunks = []
    reader = threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True)
    reader.start()
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - start
    reader.join()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(str(a) for a in args[:3])} failed:\n{''.join(chunks)[-4000:]}")
    return seconds, (hwm[0], usage.ru_maxrss)


if __name__ == "__main__":
    sys.exit(main())
