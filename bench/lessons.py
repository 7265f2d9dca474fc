"""Run every lesson (mnist_core.teaching.lessons) at full size and print its numbers next to the reference.

    python -m bench.lessons [--only scaling,mse]

The lessons are the ones the Lessons page shows, read by the same code: each lesson's runs are
trained in turn through mnist_core.training.trainer (the app's own training code, one run at a time, as
the server's queue does) and its `read` gives the rows the page shows, the guess the numbers
support and the sentence on what happened. Printed per lesson: those rows (here against the
classic material), the supported guess, and the seconds its runs took; at the end the total,
which is how long a server needs to have every lesson ready for a class. A lesson's first run
shares the classic network with the next (the chance lesson's one epoch is continued to five),
as it does on a server. A benchmark: it prints figures and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from mnist_core.teaching import lessons as L  # noqa: E402


def train_all(lesson: L.Lesson, trained: dict) -> tuple[list, float]:
    """The lesson's runs, trained (or continued) as the server would; seconds spent."""
    from mnist_core.training.trainer import TrainingRun

    started = time.perf_counter()
    runs = []
    for config in lesson.configs:
        run = trained.get(config.key()) or TrainingRun(config, **taught_inputs(config))
        run.train_to(config.epochs)
        trained[config.key()] = run
        runs.append(run)
    return runs, time.perf_counter() - started


def taught_inputs(config) -> dict:
    """A taught run's drawings (the script's, written again) and the weights it starts from."""
    if not config.teach:
        return {}
    from mnist_core.store.taught import TaughtSets, start_weights

    with tempfile.TemporaryDirectory() as root:
        drawings = TaughtSets(root).load(config.teaching.drawings)
    return {"drawings": drawings, "start": start_weights(config.teaching, None)}


def report(lesson: L.Lesson, runs: list, seconds: float) -> None:
    outcome = lesson.read(runs)
    print(f"\n{L.LESSONS.index(lesson) + 1}. {lesson.title} ({seconds:.0f} s)", flush=True)
    width = max(len(what) for what, _, _ in outcome.rows)
    for what, here, reference in outcome.rows:
        print(f"   {what:<{width}}  {here:<22} {('reference: ' + reference) if reference else ''}")
    print(f"   supports the guess: {lesson.guesses[outcome.answer]}")
    print(f"   {outcome.said}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="comma-separated lesson slugs (default: all)")
    args = parser.parse_args()
    wanted = [s for s in args.only.split(",") if s] or [x.slug for x in L.LESSONS]
    unknown = sorted(set(wanted) - set(L.BY_SLUG))
    if unknown:
        parser.error(f"unknown lessons: {', '.join(unknown)}; known: {', '.join(L.BY_SLUG)}")
    images = L.lesson_images()
    print(f"{os.cpu_count()} cores; lessons on {'all training images' if images is None else f'{images:,} images'}")
    trained, total = {}, 0.0
    for slug in wanted:
        lesson = L.BY_SLUG[slug]
        runs, seconds = train_all(lesson, trained)
        total += seconds
        report(lesson, runs, seconds)
    print(f"\nall {len(wanted)} lessons: {total / 60:.1f} min of training, one run at a time")


if __name__ == "__main__":
    main()
