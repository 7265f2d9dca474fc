"""docs/deployment.md's commands for several machines, run as written on loopback
(tests/deployment.py): a scheduler, a worker and two app replicas on one run directory. A run
asked on both replicas trains once; a run trained through one opens on the other; a worker killed
mid-run is replaced and the run goes on from its last saved epoch. And a scheduler or worker that
cannot run the project (the old docs' way: no project on the scheduler's path) is named, with
the fix, instead of failing every run."""

from __future__ import annotations

import logging
import os
import signal
import tempfile
from pathlib import Path

import psutil
import pytest

from mnist_core.engine import cluster as engines
from mnist_core.engine.runstore import RunStore
from mnist_core.store.rundir import RunDirectory
from tests import deployment
from tests.browser import AppServer, wait_idle
from tests.helpers import free_port
from tests.test_browser_runs import (  # noqa: F401  (fixtures)
    TRAINING,
    browser,
    config_of,
    home_label,
    home_sections,
    new_context,
    open_page,
    times_started,
    train_url,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def machines(tmp_path):
    """machines(workers=1, **blockers) -> (scheduler address, run directory, processes): the docs'
    scheduler and workers on loopback, stopped by PID at the end of the test."""
    started = []

    def start(workers: int = 1):
        problem = deployment.installed_here()
        if problem:
            pytest.fail(f"{problem}: run `{deployment.read().install}` in the project's folder first")
        commands, port, runs = deployment.read(), free_port(), tmp_path / "runs"
        scheduler = deployment.start(deployment.on_loopback(commands.scheduler, port, runs))
        workers = [deployment.start(deployment.on_loopback(commands.worker, port, runs)) for _ in range(workers)]
        started.extend([scheduler, *workers])
        return f"tcp://127.0.0.1:{port}", runs, workers

    yield start
    for proc in reversed(started):
        deployment.stop(proc)


@pytest.fixture
def replicas():
    """replicas(n, address, runs) -> n app servers started with the docs' replica command."""
    started = []

    def start(n: int, address: str, runs: Path) -> list[AppServer]:
        command = deployment.on_loopback(deployment.read().replica, int(address.rsplit(":", 1)[1]), runs)
        started.extend(AppServer(command=command) for _ in range(n))
        return started[-n:]

    yield start
    for server in started:
        server.stop()


def wait_for(condition, seconds: float, what: str) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"waited {seconds} s for {what}"
        time.sleep(0.2)


def worker_process(command: psutil.Process) -> psutil.Process:
    """The process that trains: the worker the docs' worker command's nanny started."""
    def trains() -> list:
        return [p for p in command.children(recursive=True) if "resource_tracker" not in " ".join(p.cmdline())]

    wait_for(lambda: trains(), 120, "the nanny's worker process")
    return trains()[-1]


@pytest.mark.timeout(1500)
def test_the_docs_commands_train_once_share_runs_and_survive_a_killed_worker(machines, replicas, new_context):  # noqa: F811
    address, runs, (worker_command,) = machines(workers=1)
    a, b = replicas(2, address, runs)
    disk = RunDirectory(runs)
    on_a, on_b = new_context().new_page(), new_context().new_page()  # two learners, one on each replica

    # Asked on both replicas at once: one training, followed by both to the end.
    both = config_of((32,), epochs=2, train_samples=2000, seed=31)
    open_page(on_a, train_url(a, both))
    open_page(on_b, train_url(b, both))
    on_a.get_by_role("button", name="Train", exact=True).click()
    on_b.get_by_role("button", name="Train", exact=True).click()
    for page in (on_a, on_b):
        page.get_by_role("button", name="Trained").wait_for(timeout=TRAINING)
        wait_idle(page)
    assert times_started(address, both, runs) == 1

    # Trained through A alone, it opens on B: listed on B's Home, its results on B's Train.
    only_a = config_of((32,), epochs=1, train_samples=2000, seed=32)
    open_page(on_a, train_url(a, only_a))
    on_a.get_by_role("button", name="Train", exact=True).click()
    on_a.get_by_role("button", name="Trained").wait_for(timeout=TRAINING)
    on_b.goto(b.url)
    wait_idle(on_b, timeout=120_000)
    assert home_label(only_a, 1) in sum(home_sections(on_b).values(), [])
    open_page(on_b, train_url(b, only_a))
    assert on_b.get_by_role("button", name="Trained").count() == 1
    assert times_started(address, only_a, runs) == 1

    # The worker process is killed after an epoch: its nanny starts another, which goes on from
    # the last saved epoch (that epoch's file is not written again) to the end.
    long = config_of((256,), epochs=4, train_samples=12000, seed=33)
    open_page(on_a, train_url(a, long))
    on_a.get_by_role("button", name="Train", exact=True).click()
    wait_for(lambda: (saved := disk.load(long)) is not None and saved.epochs_done >= 1, TRAINING / 1000,
             "the long run's first epoch on disk")
    first = disk.folder(long) / "epoch-0001.npz"
    written = first.stat().st_mtime_ns
    victim = worker_process(psutil.Process(worker_command.pid))
    os.kill(victim.pid, signal.SIGKILL)
    wait_for(lambda: (saved := disk.load(long)) is not None and saved.status == "finished", TRAINING / 1000,
             "the long run to finish after its worker was killed")
    saved = disk.load(long)
    assert [r.epoch for r in saved.history] == [1, 2, 3, 4]
    assert first.stat().st_mtime_ns == written  # carried on from disk, not trained from the start
    assert times_started(address, long, runs) == 2  # given to the new worker process once more
    on_a.get_by_role("button", name="Trained").wait_for(timeout=TRAINING)


def blocked(tmp_path: Path, how: str) -> dict:
    """An environment in which Python cannot import mnist_core ("missing": as on a machine where
    the project was never installed) or sees another version of it ("other")."""
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    code = {
        "missing": ("import sys\nclass _Gone:\n    def find_spec(self, name, path=None, target=None):\n"
                    "        if name == 'mnist_core' or name.startswith('mnist_core.'):\n"
                    "            raise ModuleNotFoundError(\"No module named 'mnist_core'\")\n"
                    "sys.meta_path.insert(0, _Gone())\n"),
        "other": "import mnist_core\nmnist_core.__version__ = '0.0.1'\n",
    }[how]
    (folder / "sitecustomize.py").write_text(code)
    return {"PYTHONPATH": str(folder)}


@pytest.mark.timeout(600)
@pytest.mark.parametrize("where", ["scheduler", "worker"])
def test_a_cluster_that_cannot_run_the_project_is_named_once_with_the_fix(where, tmp_path, caplog):
    """The old docs started the scheduler without the project on its path: every run then failed
    with a deserialization error. Now the app names the machine, what it lacks and the command."""
    commands, port, runs = deployment.read(), free_port(), tmp_path / "runs"
    missing = blocked(tmp_path, "missing" if where == "scheduler" else "other")
    procs = [deployment.start(deployment.on_loopback(commands.scheduler, port, runs),
                              **(missing if where == "scheduler" else {})),
             deployment.start(deployment.on_loopback(commands.worker, port, runs),
                              **(missing if where == "worker" else {}))]
    engine = engines.Engine(address=f"tcp://127.0.0.1:{port}")
    try:
        from distributed import Client

        with Client(engine.address, timeout="120s", set_as_default=False) as client:
            client.wait_for_workers(1, timeout=300)
        with caplog.at_level(logging.WARNING, logger="mnist_lab"):
            store = RunStore(disk=RunDirectory(runs), engine=engine.start())
            assert store.request(config_of((16,), epochs=1, train_samples=2000, seed=34)) is None
            for _ in range(5):
                engine.tasks(fresh=True)
        message = engine.error
        if where == "scheduler":
            assert "the Dask scheduler (host" in message and "cannot import mnist_core" in message
            assert "No module named 'mnist_core'" in message
        else:
            assert "the Dask worker tcp://" in message and "mnist_core 0.0.1 (this app: " in message
        assert "`pip install .`" in message and "docs/deployment.md" in message
        assert caplog.text.count("cannot import mnist_core" if where == "scheduler" else "mnist_core 0.0.1") == 1
        assert "cannot read the queue" not in caplog.text
    finally:
        engine.close()
        for proc in reversed(procs):
            deployment.stop(proc)


def test_the_compose_file_gives_the_docs_commands():
    """docker-compose.yml cannot be run here (no container engine): it must at least say what the
    docs say, which the test above runs."""
    import yaml

    compose = yaml.safe_load((deployment.ROOT / "docker-compose.yml").read_text())["services"]
    docs = deployment.read()
    assert compose["scheduler"]["command"] == docs.scheduler
    env, worker = deployment.split(docs.worker)
    assert compose["worker"]["command"] == " ".join(worker).replace("scheduler-host", "scheduler")
    assert set(env) <= set(compose["worker"]["environment"])
    env, replica = deployment.split(docs.replica)
    assert compose["app"]["command"].startswith(" ".join(replica))
    assert set(env) <= set(compose["app"]["environment"])
    assert compose["app"]["environment"]["MNIST_LAB_SCHEDULER"] == "tcp://scheduler:8786"
