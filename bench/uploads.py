"""Hostile uploads: seconds and extra memory until each is refused.

    python -m bench.uploads

Every hostile file of tests/test_hostile_uploads.py (zip bombs, lying sizes, a
2,000,000-unit layer, deep JSON, broken zips, huge or broken pictures, ...) goes
through the app's own reader (mnist_core.engine.transfer.import_keras,
mnist_core.input.canvas.read_picture) in a fresh process. Seconds: around the call
only. Extra MB: the process's peak RSS (VmHWM, reset just before the call)
over its RSS just before the call (see PROBE in the test for why not ru_maxrss).
Budget: under 2 s and 200 MB each; the test checks the memory, this reports both.
For scale, two uploads that are accepted follow: the dearest picture that passes
(4000 x 4000 RGBA, decoded in full), and the checks alone (Keras not loaded) on
the largest network the app trains (4 x 1024 units, saved by Keras).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from tests.test_hostile_uploads import MEMORY_BUDGET_MB, hostile_files, largest_picture, probe  # noqa: E402

TIME_BUDGET_S = 2.0


def accepted_files(folder: Path) -> list[tuple[str, Path]]:
    """A 4000 x 4000 RGBA PNG (16 million pixels is the limit) and the app's largest network."""
    (folder / "rgba-4000.png").write_bytes(largest_picture())

    from mnist_core.config import TrainConfig
    from mnist_core.training.trainer import build_model

    model = build_model(TrainConfig(hidden=(1024,) * 4, dropout=(0.2,) * 4))
    model.save(folder / "largest-4x1024.keras")
    return [("picture", folder / "rgba-4000.png"), ("check_keras_file", folder / "largest-4x1024.keras")]


def row(name: str, size: int, report: dict) -> str:
    error = report["error"]
    said = error["message"].removeprefix(name).lstrip(": ") if error else "(accepted)"
    flag = "" if report["seconds"] < TIME_BUDGET_S and report["extra_mb"] < MEMORY_BUDGET_MB else "  OVER BUDGET"
    return (f"{name:22s} {size / 2**10:9,.0f} KB {report['seconds']:8.3f} s {report['extra_mb']:7.1f} MB"
            f"{flag}  {said[:90]}")


def main() -> None:
    header = f"{'file':22s} {'upload':>12s} {'to refusal':>10s} {'extra':>10s}  message (after the file's name)"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        print(f"Hostile uploads (budget: under {TIME_BUDGET_S:g} s and {MEMORY_BUDGET_MB} MB each)")
        print(header)
        worst_s = worst_mb = 0.0
        for kind, path, _ in hostile_files(folder):
            report = probe(kind, path)
            worst_s, worst_mb = max(worst_s, report["seconds"]), max(worst_mb, report["extra_mb"])
            print(row(path.name, path.stat().st_size, report))
        print(f"worst: {worst_s:.3f} s, {worst_mb:.1f} MB")
        print("\nAccepted uploads, for scale")
        for kind, path in accepted_files(folder):
            print(row(path.name, path.stat().st_size, probe(kind, path)))


if __name__ == "__main__":
    main()
