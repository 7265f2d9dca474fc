"""Every image's story: the cost of computing a run's per-image history and of its data map.

Trains the classic network (Dense 512 relu, rmsprop, batch 128, no validation, seed 0) for
20 epochs on all 60,000 images in this process, then times `mnist_core.analysis.story.training_story`
(every training image read after every epoch with the numpy forward pass) and the test set's,
reports the bytes the stories keep, and the time to build the data map's figure from them.

    python -m bench.story            # 20 epochs on all 60,000 images
    python -m bench.story --quick    # 3 epochs on 10,000 images
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 epochs on 10,000 images")
    args = parser.parse_args()
    from mnist_core.analysis import story as S
    from mnist_core.config import TrainConfig
    from mnist_core.training.trainer import TrainingRun

    samples, epochs = (10_000, 3) if args.quick else (None, 20)
    config = TrainConfig(epochs=epochs, train_samples=samples, validation="none", seed=0)
    t0 = time.perf_counter()
    run = TrainingRun(config).train_to(epochs)
    print(f"trained {config.describe()} on {config.fit_size():,} images in {time.perf_counter() - t0:.1f} s")
    for name, make in (("training images", S.training_story), ("test images", S.test_story)):
        times = []
        for _ in range(2):
            t0 = time.perf_counter()
            found = make(run)
            times.append(time.perf_counter() - t0)
        print(f"{name}: {len(found.labels):,} images x {found.epochs} epochs in {min(times):.2f} s "
              f"(best of 2: {', '.join(f'{t:.2f}' for t in times)}), {found.nbytes / 2**20:.1f} MB kept; "
              f"{found.forgetting_events().sum():,} forgetting events, {len(found.never_learnt()):,} never learnt")
        redraw(found)


def redraw(found) -> None:
    """A redraw of the page's map from a computed story: the numbers derived from it, the figure
    built and serialised as Streamlit sends it (median of 5)."""
    import statistics

    from mnist_core.analysis.story import MAP_POINTS
    from mnist_core.figures import story as figures_story

    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        shown = np.random.default_rng(0).choice(len(found.labels), min(MAP_POINTS, len(found.labels)), replace=False)
        fig = figures_story.data_map_figure(found.variability[shown], found.confidence[shown],
                                            found.correctness[shown], shown)
        found.regions(), found.forgetting_events(), found.forgotten_per_epoch(), found.never_learnt()
        fig.to_json()
        times.append(time.perf_counter() - t0)
    print(f"  redraw (derived numbers, map figure of {len(shown):,} dots, serialised): "
          f"median {statistics.median(times) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
