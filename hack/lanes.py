#!/usr/bin/env python
"""`make test` in concurrent lanes: the checks and the cluster suites run side by side on separate local clusters.

Run by ``hack/test.sh all``. The sequential suite kept about 0.8 of the machine's 2 cores busy (39 min wall for
30 min of CPU), mostly waiting on the API server, KServe's controller and Helm; lanes fill the idle core.

Lanes (each cluster lane owns one local control plane, ``hack/isolated-env.sh`` slot, torn down at the end):

* ``checks`` (no cluster): ``hack/test.sh lint``, ``sanity``, ``unit``, one after the other;
* ``a`` (the default cluster) and ``b`` (slot 8): the molecule scenarios and the tests/integration files, taken
  from one queue, longest first (a scenario or a test file is one job, one ``molecule``/``pytest`` process); both
  lanes start from a fresh cluster, as the sequential run did;
* ``e2e-1``, ``e2e-2`` (slots 9, 6): tests/e2e split into ``LLMOPS_E2E_LANES`` (2) groups of files of about equal
  measured time, each group one pytest session (its session fixture installs the stack once) alone on its cluster,
  because it leaves the stack and KServe's controller running;
* ``e2e-k8s-<version>-1``, ``-2`` (slots 7, 5, ...): the same groups (``LLMOPS_E2E_EXTRA_LANES``, 2) for every
  Kubernetes version of ``hack/kubernetes-versions`` after the first (the default cluster's; ``LLMOPS_E2E_EXTRA_K8S``
  overrides, ``none`` for none), started ``LLMOPS_E2E_EXTRA_DELAY`` (300) s after the other lanes (seven API servers
  taking KServe's CRDs at once on 2 cores timed out): ``hack/bootstrap.sh k8s <version>`` first (a no-op when built),
  then the e2e groups on clusters of that version (``LLMOPS_K8S_VERSION``).

A lane whose own jobs are done while the shared queue still holds some (``checks`` after unit, an e2e lane after its
group) tears its cluster down and takes jobs from that queue on a fresh cluster of the default version (its own slot;
slot 11 for ``checks``), so that the machine stays busy to the end instead of waiting on lanes a and b.

At the end the run prints a CPU profile: the machine's busy CPU seconds over the wall time, each job's CPU (its
process tree as reaped) and every process's own CPU by name, sampled every 5 s (API servers, etcd, KServe's
controller and other background processes that no job reaps).

``hack/lanes.py NAME...`` runs only the jobs whose names contain one of the NAMEs (and only the lanes they need).

Every job writes its whole output to ``tests/output/logs/<job>.log`` and its junit XML to
``tests/output/junit/<job>.xml``. The console gets a line when a job starts and ends, a heartbeat every two minutes,
the tail of each passed job (its summary) and the whole log of each failed one. All jobs run even when one fails;
the exit status is 1 when any failed. ``TERM``/``INT`` stops the jobs and tears every cluster down.
"""
from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "output"
LOGS = OUT / "logs"
JUNIT = OUT / "junit"
PY = sys.executable
# Seconds measured per job (clean-clone run on 2 cores, sequential); only the queue order uses them, so that the
# longest jobs start first. A job not listed counts as 60 s.
HINTS = {
    "molecule-default": 525,
    "integration-test_stack_roles": 423,
    "integration-test_keda_role": 260,
    "integration-test_kserve_install_noop": 240,
    "integration-test_ownership": 90,
    "integration-test_local_model_cache": 90,
    "integration-test_kserve_role_webhook": 83,
    "integration-test_kserve_role_sources": 81,
    "integration-test_pod_serve": 61,
    "integration-test_serving_runtimes_role": 52,
    "integration-test_kserve_role_bad_input": 50,
    "integration-test_accelerator_capacity_info": 45,
}
# tests/e2e files: seconds measured per file in a clean-clone run (under the load of all lanes, the session fixture's
# stack install excluded: every group pays it once), to split the suite into E2E_LANES balanced groups per Kubernetes
# version (each group is one pytest session on its own cluster: the session fixture installs the stack once per group)
E2E_HINTS = {
    "test_canary": 720,
    "test_deploy_failure": 500,
    "test_lifecycle": 370,
    "test_real_serving": 360,
    "test_deploy_concurrent": 280,
    "test_full_cluster": 190,
    "test_installed_collection": 160,
    "test_gated_download": 55,
    "test_autoscaling": 35,
    "test_kserve_controller": 45,
}
E2E_LANES = int(os.environ.get("LLMOPS_E2E_LANES", "2"))
# every other Kubernetes version: the same groups, started a few minutes after the others so that seven API servers
# do not take KServe's CRDs at the same moment (on 2 cores their writes timed out). One group (all of tests/e2e in
# one session) saves a stack install but makes that lane the longest: about 1400 CPU-s alone.
E2E_EXTRA_LANES = int(os.environ.get("LLMOPS_E2E_EXTRA_LANES", "2"))
E2E_EXTRA_DELAY_S = float(os.environ.get("LLMOPS_E2E_EXTRA_DELAY", "300"))
HEARTBEAT_S = 120
PASSED_TAIL_LINES = 20

_print_lock = threading.Lock()


def say(msg: str) -> None:
    with _print_lock:
        print(f"[lanes {time.strftime('%H:%M:%S')}] {msg}", flush=True)


@dataclass
class Job:
    name: str
    argv: list[str]
    hint: float = 60.0
    seconds: float = 0.0
    rc: int | None = None
    lane: str = ""
    cpu: float = 0.0  # CPU seconds (user + system) of the job's process tree as reaped (os.wait4)


@dataclass
class Lane:
    name: str
    slot: int | None  # None: the default cluster; no cluster at all when cluster is False
    cluster: bool = True
    k8s_version: str | None = None
    jobs: list[Job] = field(default_factory=list)  # fixed jobs; the shared queue when empty and shared is True
    shared: bool = False
    build: list[str] = field(default_factory=list)  # run (logged) before the cluster comes up
    steal_slot: int | None = None  # after its own jobs: the shared queue's, on a fresh cluster in this slot
    delay: float = 0.0  # seconds to wait before anything else
    seconds: float = 0.0
    failed_setup: bool = False


_procs: dict[str, subprocess.Popen] = {}
_stopping = threading.Event()


def lane_env(lane: Lane) -> dict[str, str]:
    env = dict(os.environ)
    if lane.slot is not None:
        # the same variables hack/isolated-env.sh exports (read from it, so the port plan is written once)
        env.setdefault("LLMOPS_CACHE_BASE", env.get("LLMOPS_CACHE", str(Path.home() / ".cache" / "llmops-kserve")))
        out = subprocess.run(["bash", "-c", 'source "$1" "$2" >/dev/null && env -0', "_",
                              str(ROOT / "hack" / "isolated-env.sh"), str(lane.slot)],
                             env=env, capture_output=True, check=True).stdout
        env = dict(item.split("=", 1) for item in out.decode().split("\0") if "=" in item)
    if lane.k8s_version:
        env["LLMOPS_K8S_VERSION"] = lane.k8s_version
    return env


def run_logged(lane: Lane, name: str, argv: list[str], env: dict[str, str]) -> tuple[int, float, Path]:
    log = LOGS / f"{name}.log"
    start = time.monotonic()
    with log.open("w") as fh:
        fh.write(f"$ {' '.join(argv)}\n")
        fh.flush()
        proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT,
                                start_new_session=True)
        _procs[name] = proc
        # wait4: the CPU time of the job and of every descendant it reaped (daemons it started are sampled apart)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = rc = os.waitstatus_to_exitcode(status)
        _job_cpu[name] = usage.ru_utime + usage.ru_stime
        _procs.pop(name, None)
    return rc, time.monotonic() - start, log


class CpuSampler(threading.Thread):
    """Every few seconds, the CPU seconds of every process on the machine (/proc/PID/stat), kept per process, so that
    the long-lived processes a job starts in the background (API servers, etcd, kwok, KServe's controller, the
    registry), which no job reaps, are accounted for too."""

    def __init__(self, interval: float = 5.0):
        super().__init__(name="cpu-sampler", daemon=True)
        self.interval = interval
        self.seen: dict[tuple[int, str], tuple[str, float]] = {}  # (pid, start time) -> (name, CPU seconds)
        self.tick = os.sysconf("SC_CLK_TCK")
        self.stop_event = threading.Event()
        self.sample()
        # processes already running count from now on only
        self.baseline = {key: cpu for key, (_name, cpu) in self.seen.items()}

    @staticmethod
    def busy_seconds() -> float:
        """CPU seconds spent busy on the whole machine since boot (/proc/stat, all but idle and iowait)."""
        fields = [int(x) for x in Path("/proc/stat").read_text(encoding="utf-8").split("\n", 1)[0].split()[1:]]
        return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")

    def sample(self) -> None:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text(encoding="utf-8")
                cmdline = (stat.parent / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            comm = text[text.index("(") + 1:text.rindex(")")]
            rest = text[text.rindex(")") + 2:].split()
            cpu = (int(rest[11]) + int(rest[12])) / self.tick
            name = comm
            if comm.startswith("python") or comm in ("ansible-playboo", "pytest", "molecule"):
                # python programs by script: the first argument that names a file or module
                args = [a.decode(errors="replace") for a in cmdline[1:4] if a and not a.startswith(b"-")]
                name = f"{comm} {Path(args[0]).name}" if args else comm
            self.seen[(int(stat.parent.name), rest[19])] = (name, cpu)

    def run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self.sample()

    def report(self, wall: float, busy: float) -> None:
        by_name: dict[str, float] = {}
        for key, (name, cpu) in self.seen.items():
            by_name[name] = by_name.get(name, 0.0) + cpu - self.baseline.get(key, 0.0)
        print(f"\n=== CPU profile: {busy:.0f} CPU s busy over {wall:.0f} s wall = {busy / wall:.2f} of "
              f"{os.cpu_count()} cores ===")
        print("  per job (its process tree, reaped):")
        for job, cpu in sorted(_job_cpu.items(), key=lambda kv: -kv[1])[:25]:
            print(f"    {cpu:7.0f} s  {job}")
        print("  per process name (own CPU, sampled every 5 s; short-lived processes are partly missed):")
        for name, cpu in sorted(by_name.items(), key=lambda kv: -kv[1])[:25]:
            print(f"    {cpu:7.0f} s  {name}")


_job_cpu: dict[str, float] = {}


def report(lane: Lane, job: Job, log: Path) -> None:
    lines = log.read_text(errors="replace").splitlines()
    status = "passed" if job.rc == 0 else f"FAILED (exit {job.rc})"
    with _print_lock:
        print(f"\n=== [{time.strftime('%H:%M:%S')}] {job.name} (lane {lane.name}): {status} in {job.seconds:.0f} s "
              f"(log: {log.relative_to(ROOT)}) ===", flush=True)
        shown = lines if job.rc != 0 else lines[-PASSED_TAIL_LINES:]
        if job.rc == 0 and len(lines) > PASSED_TAIL_LINES:
            print(f"  ... ({len(lines) - PASSED_TAIL_LINES} lines before)")
        for line in shown:
            print(f"  {line}")
        sys.stdout.flush()


def setup_cluster(lane: Lane, env: dict[str, str]) -> dict[str, str] | None:
    """A fresh cluster for the lane; one retry (after keeping the failed attempt's component logs)."""
    cluster = [PY, str(ROOT / "hack" / "cluster.py")]
    for attempt in (1, 2):
        subprocess.run([*cluster, "down"], cwd=ROOT, env=env, capture_output=True, check=False)
        rc, seconds, log = run_logged(lane, f"cluster-{lane.name}", [*cluster, "up"], env)
        if rc == 0:
            break
        name = env.get("LLMOPS_CLUSTER_NAME", "llmops")
        logs = Path(env.get("LLMOPS_CACHE", str(Path.home() / ".cache" / "llmops-kserve"))) / "kwok" / "clusters" / name
        kept = LOGS / f"cluster-{lane.name}-attempt{attempt}"
        shutil.copytree(logs / "logs", kept, dirs_exist_ok=True) if (logs / "logs").is_dir() else None
        say(f"lane {lane.name}: cluster up FAILED in {seconds:.0f} s (attempt {attempt}; component logs in "
            f"{kept.relative_to(ROOT)})")
        report(lane, Job(f"cluster-{lane.name}", [], rc=rc, seconds=seconds), log)
    else:
        return None
    kubeconfig = subprocess.run([*cluster, "kubeconfig"], cwd=ROOT, env=env, capture_output=True, text=True,
                                check=True).stdout.strip().splitlines()[-1]
    say(f"lane {lane.name}: cluster up in {seconds:.0f} s ({kubeconfig})")
    return {**env, "K8S_AUTH_KUBECONFIG": kubeconfig}


def teardown_cluster(lane: Lane, env: dict[str, str]) -> None:
    for args in (["kserve_controller.py", "stop"], ["cluster.py", "down"]):
        subprocess.run([PY, str(ROOT / "hack" / args[0]), *args[1:]], cwd=ROOT, env=env, capture_output=True,
                       check=False, timeout=300)


def run_jobs(lane: Lane, env: dict[str, str], next_job, done: list[Job]) -> None:
    while not _stopping.is_set():
        job = next_job()
        if job is None:
            return
        job.lane = lane.name
        say(f"lane {lane.name}: {job.name} started")
        job.rc, job.seconds, log = run_logged(lane, job.name, job.argv, env)
        done.append(job)
        report(lane, job, log)


def run_lane(lane: Lane, shared: "queue.PriorityQueue[tuple[float, int, Job]]", done: list[Job]) -> None:
    start = time.monotonic()
    env = lane_env(lane)
    has_cluster = False

    def from_queue() -> Job | None:
        try:
            return shared.get_nowait()[2]
        except queue.Empty:
            return None

    try:
        if lane.delay:
            say(f"lane {lane.name}: starts in {lane.delay:.0f} s")
            if _stopping.wait(lane.delay):
                return
        if lane.build:
            say(f"lane {lane.name}: {' '.join(lane.build[1:])}")
            rc, seconds, log = run_logged(lane, f"build-{lane.name}", lane.build, env)
            # reported, and counted in the lane's time; not a job of the plan (a failed build fails the lane)
            report(lane, Job(f"build-{lane.name}", lane.build, rc=rc, seconds=seconds, lane=lane.name), log)
            if rc != 0:
                lane.failed_setup = True
                return
        if lane.cluster:
            cluster_env = setup_cluster(lane, env)
            if cluster_env is None:
                lane.failed_setup = True
                return
            env, has_cluster = cluster_env, True
        run_jobs(lane, env, from_queue if lane.shared else (lambda: lane.jobs.pop(0) if lane.jobs else None), done)
        if lane.steal_slot is not None and not lane.shared and not shared.empty() and not _stopping.is_set():
            # its own jobs are done and the shared queue is not: take from it on a fresh cluster of the default
            # Kubernetes version, like lanes a and b (the e2e session left its stack behind)
            if has_cluster:
                teardown_cluster(lane, env)
                has_cluster = False
            env = lane_env(Lane(lane.name, lane.steal_slot))
            say(f"lane {lane.name}: takes jobs from the shared queue (slot {lane.steal_slot}, a fresh cluster)")
            cluster_env = setup_cluster(lane, env)
            if cluster_env is None:
                lane.failed_setup = True
                return
            env, has_cluster = cluster_env, True
            run_jobs(lane, env, from_queue, done)
    finally:
        if has_cluster:
            teardown_cluster(lane, env)
        lane.seconds = time.monotonic() - start
        say(f"lane {lane.name}: finished in {lane.seconds:.0f} s")


def extra_k8s_versions() -> list[str]:
    """Every Kubernetes version of hack/kubernetes-versions but the first (the default cluster's), oldest last;
    LLMOPS_E2E_EXTRA_K8S (space-separated, "none" for none) overrides."""
    override = os.environ.get("LLMOPS_E2E_EXTRA_K8S")
    if override is not None:
        return [] if override.strip() == "none" else override.split()
    path = ROOT / "hack" / "kubernetes-versions"
    if not path.exists():
        return []
    lines = [ln.split()[0] for ln in path.read_text(encoding="utf-8").splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    return lines[1:]


def e2e_groups(count: int = E2E_LANES) -> list[list[str]]:
    """tests/e2e files in COUNT groups of about equal measured time (longest first onto the lightest group)."""
    files = sorted((ROOT / "tests" / "e2e").glob("test_*.py"), key=lambda f: (-E2E_HINTS.get(f.stem, 60), f.name))
    groups: list[tuple[float, list[str]]] = [(0.0, []) for _group in range(max(1, count))]
    for f in files:
        groups.sort(key=lambda g: g[0])
        total, members = groups[0]
        groups[0] = (total + E2E_HINTS.get(f.stem, 60), [*members, str(f.relative_to(ROOT))])
    return [sorted(members) for _total, members in groups if members]


def pytest_job(name: str, *targets: str) -> Job:
    return Job(name, [PY, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=15",
                      f"--junitxml={JUNIT / (name + '.xml')}", *targets], HINTS.get(name, 60.0))


def plan() -> tuple[list[Lane], list[Job]]:
    shared_jobs = [Job(f"molecule-{d.name}", ["molecule", "test", "-s", d.name], HINTS.get(f"molecule-{d.name}", 60.0))
                   for d in sorted((ROOT / "molecule").iterdir())
                   # kind needs Docker: for users, not run here
                   if d.is_dir() and (d / "molecule.yml").exists() and d.name != "kind"]
    shared_jobs += [pytest_job(f"integration-{f.stem}", str(f.relative_to(ROOT)))
                    for f in sorted((ROOT / "tests" / "integration").glob("test_*.py"))]
    test_sh = str(ROOT / "hack" / "test.sh")
    lanes = [
        Lane("checks", None, cluster=False, jobs=[Job(step, [test_sh, step]) for step in ("lint", "sanity", "unit")],
             steal_slot=11),
        Lane("a", None, shared=True),
        Lane("b", 8, shared=True),
    ]
    # per Kubernetes version (the default first): E2E_LANES lanes, each one group of tests/e2e files
    slots = iter((9, 6, 7, 5, 4, 3, 2, 1))
    for version in [None, *extra_k8s_versions()]:
        suffix = f"-k8s-{version}" if version else ""
        count = E2E_EXTRA_LANES if version else E2E_LANES
        for i, files in enumerate(e2e_groups(count), start=1):
            name = f"e2e{suffix}-{i}" if count > 1 else f"e2e{suffix}"
            slot = next(slots)
            lane = Lane(name, slot, k8s_version=version, jobs=[pytest_job(name, *files)], steal_slot=slot)
            if version:
                lane.delay = E2E_EXTRA_DELAY_S
                # `make tools` builds the default version only; this one builds here (a no-op when cached),
                # overlapping the other lanes on a cold machine. Both lanes of the version run it at the same
                # moment: hack/bootstrap.sh takes a lock per tool, so one builds and links, the other then finds
                # it done (tests/unit/test_bootstrap_concurrent.py)
                lane.build = [str(ROOT / "hack" / "bootstrap.sh"), "k8s", version]
            lanes.append(lane)
    return lanes, shared_jobs


def main(argv: list[str]) -> int:
    only = [a for a in argv if not a.startswith("-")]  # job-name substrings: run only those jobs (for development)
    LOGS.mkdir(parents=True, exist_ok=True)
    JUNIT.mkdir(parents=True, exist_ok=True)
    for old in [*LOGS.glob("*.log"), *JUNIT.glob("*.xml")]:
        old.unlink()
    lanes, shared_jobs = plan()
    if only:
        def keep(job: Job) -> bool:
            return any(o in job.name for o in only)
        shared_jobs = [j for j in shared_jobs if keep(j)]
        for lane in lanes:
            lane.jobs = [j for j in lane.jobs if keep(j)]
        lanes = [lane for lane in lanes if lane.jobs or (lane.shared and shared_jobs)]
    shared: queue.PriorityQueue = queue.PriorityQueue()
    for i, job in enumerate(shared_jobs):
        shared.put((-job.hint, i, job))
    done: list[Job] = []
    total = len(shared_jobs) + sum(len(lane.jobs) for lane in lanes)
    say(f"{total} jobs in {len(lanes)} lanes: " + "; ".join(
        f"{lane.name}" + (f" (slot {lane.slot})" if lane.slot is not None else "")
        + (f" (Kubernetes {lane.k8s_version})" if lane.k8s_version else "")
        + (": " + ", ".join(j.name for j in lane.jobs) if lane.jobs else " (shared queue)" if lane.shared else "")
        for lane in lanes))

    def stop(signum, _frame):
        say(f"signal {signum}: stopping jobs, tearing clusters down")
        _stopping.set()
        for proc in list(_procs.values()):
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    start = time.monotonic()
    busy_start = CpuSampler.busy_seconds()
    sampler = CpuSampler()
    sampler.start()
    threads = [threading.Thread(target=run_lane, args=(lane, shared, done), name=lane.name) for lane in lanes]
    for t in threads:
        t.start()
    next_beat = start + HEARTBEAT_S
    while any(t.is_alive() for t in threads):
        time.sleep(2)
        if time.monotonic() >= next_beat and _procs:
            say("running: " + ", ".join(sorted(_procs)) + f" ({time.monotonic() - start:.0f} s since start)")
            next_beat += HEARTBEAT_S
    wall = time.monotonic() - start
    sampler.stop_event.set()
    sampler.report(wall, CpuSampler.busy_seconds() - busy_start)
    failed = [j for j in done if j.rc != 0]
    not_run = total - len(done)
    print(f"\n=== [{time.strftime('%H:%M:%S')}] lanes: timings (wall {wall:.0f} s) ===")
    for lane in lanes:
        jobs = [j for j in done if j.lane == lane.name]
        print(f"  lane {lane.name}: {lane.seconds:.0f} s"
              + (" (cluster setup FAILED)" if lane.failed_setup else "")
              + "".join(f"\n    {j.name}: {j.seconds:.0f} s{'' if j.rc == 0 else ' FAILED'}" for j in jobs))
    if failed or not_run or any(lane.failed_setup for lane in lanes):
        print(f"FAILED: {', '.join(j.name for j in failed) or '-'}; not run: {not_run}")
        return 1
    print(f"all {total} jobs passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
