"""The deployment commands of docs/deployment.md ("Several machines"), read from the docs so that
the tests run what a reader runs, on loopback.

    python -m tests.deployment install     # prints the docs' install command (.ci/run runs it)

On loopback only the placeholders change: the scheduler's host and port, the shared run
directory; an app replica also gets a port of its own. Nothing else is added: no PYTHONPATH, and
the scheduler and workers start in an empty folder, as on a machine of their own.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "deployment.md"
SECTION = "## Several machines"  # the heading starts so
PORT = "8786"
RUNS = "/shared/mnist-lab/runs"


@dataclass(frozen=True)
class Commands:
    install: str
    scheduler: str
    worker: str
    replica: str


def read(path: Path = DOCS) -> Commands:
    """The commands of the first bash block under SECTION, one per role."""
    text = path.read_text()
    block = text[text.index(SECTION):].split("```bash\n", 1)[1].split("```", 1)[0]
    lines = [line.strip() for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    roles = {"install": r"^pip install", "scheduler": r"\bdask scheduler\b",
             "worker": r"(\bdask worker\b|mnist_core\.engine\.worker)", "replica": r"\bstreamlit run\b"}
    found = {}
    for role, pattern in roles.items():
        matching = [line for line in lines if re.search(pattern, line)]
        assert len(matching) == 1, f"{path.name}: expected one {role} command in its '{SECTION}' block, found {matching}"
        found[role] = matching[0]
    return Commands(**found)


def on_loopback(command: str, port: int, runs: Path) -> str:
    """A command with the docs' placeholders made this machine's."""
    return (command.replace("--host 0.0.0.0", "--host 127.0.0.1").replace("scheduler-host", "127.0.0.1")
            .replace(f":{PORT}", f":{port}").replace(f"--port {PORT}", f"--port {port}").replace(RUNS, str(runs)))


def environment(**extra) -> dict:
    """This environment without a PYTHONPATH (the docs give none), with this Python's scripts first
    on the PATH (the `dask` and `streamlit` of the interpreter that runs the tests)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return {**env, **{k: str(v) for k, v in extra.items()}}


def split(command: str) -> tuple[dict, list[str]]:
    """A simple shell command as a shell reads it: its leading VAR=value words, and the program
    with its arguments."""
    words = shlex.split(command)
    env = {}
    while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
        name, value = words.pop(0).split("=", 1)
        env[name] = value
    return env, words


def start(command: str, cwd: Path | None = None, log=None, **env) -> subprocess.Popen:
    """Run one command as a shell would, in `cwd` (default: an empty folder of its own), in a
    session of its own. Stop it with stop()."""
    cwd = cwd or Path(tempfile.mkdtemp(prefix="mnist-lab-machine-"))
    assigned, args = split(command)
    return subprocess.Popen(args, cwd=cwd, env=environment(**assigned, **env), start_new_session=True,
                            stdout=log or subprocess.DEVNULL, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM the command and every process it started (its session); SIGKILL after 30 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()


def installed_here() -> str:
    """"" when `import mnist_core` from an empty folder, without PYTHONPATH, gives this checkout's
    code (the docs' install command ran); else what is wrong."""
    probe = ("import hashlib, pathlib, mnist_core; root = pathlib.Path(mnist_core.__file__).parent; "
             "print(hashlib.sha256(b''.join(p.read_bytes() for p in sorted(root.rglob('*.py')))).hexdigest())")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tempfile.mkdtemp(), env=environment(),
                          capture_output=True, text=True)
    if done.returncode:
        return f"mnist_core is not installed: {done.stderr.strip().splitlines()[-1]}"
    import hashlib

    mine = hashlib.sha256(b"".join(p.read_bytes() for p in sorted((ROOT / "mnist_core").rglob("*.py")))).hexdigest()
    return "" if done.stdout.strip() == mine else "the installed mnist_core is not this checkout's"


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m tests.deployment install")
    print(read().install)
