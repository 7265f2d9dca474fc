"""mnist_core.analysis.story: every image's story across the epochs, checked against a direct computation
from the stored epochs' predictions."""

import numpy as np
import pytest

from mnist_core.analysis import story as S
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file


@pytest.fixture(scope="module")
def shipped():
    return load_run_file(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def test_story(shipped):
    return S.test_story(shipped)


def test_each_epochs_numbers_are_the_runs_own_predictions(shipped, test_story):
    ds = shipped.dataset
    assert test_story.epochs == shipped.epochs_done == 5 and len(test_story.labels) == 10_000
    for epoch in range(1, 6):
        probs = shipped.predict(ds.x_test, epoch)
        direct = probs[np.arange(10_000), ds.y_test]
        assert np.allclose(test_story.p_true[epoch - 1].astype(np.float32), direct, atol=1e-3)
        assert (test_story.predicted[epoch - 1] == probs.argmax(axis=1)).mean() > 0.9999
    assert test_story.correct[-1].mean() == pytest.approx(shipped.test_accuracy, abs=1e-4)


def test_forgetting_and_learning_are_counted_as_defined(test_story):
    c = test_story.correct
    direct = np.zeros(c.shape[1], int)
    for e in range(1, c.shape[0]):
        direct += c[e - 1] & ~c[e]
    assert np.array_equal(test_story.forgetting_events(), direct)
    assert test_story.forgotten_per_epoch().sum() == direct.sum()
    assert test_story.forgotten_per_class().sum() == direct.sum()
    assert np.array_equal(test_story.never_learnt(), np.flatnonzero(~c.any(axis=0)))
    worst = test_story.most_forgotten(5)
    assert list(direct[worst]) == sorted(direct[worst], reverse=True) and direct[worst].min() > 0
    assert test_story.confidence == pytest.approx(test_story.p_true.astype(np.float32).mean(axis=0))


def test_learnt_at_and_regions_on_a_story_made_by_hand():
    labels = np.array([1, 2, 3, 4], np.uint8)
    predicted = np.array([[1, 0, 0, 4], [1, 2, 0, 0], [1, 0, 0, 4], [1, 2, 0, 4]], np.uint8)  # 4 epochs
    p_true = np.array([[0.9, 0.1, 0.0, 0.6], [0.95, 0.6, 0.1, 0.2], [0.99, 0.2, 0.1, 0.7], [1.0, 0.7, 0.05, 0.8]],
                      np.float16)
    s = S.Story("test", np.arange(4, dtype=np.int32), labels, p_true, predicted)
    assert list(s.learnt_at()) == [1, 4, 0, 3]  # right from epoch 1; from 4; never; from 3 on
    assert list(s.forgetting_events()) == [0, 1, 0, 1] and list(s.forgotten_per_epoch()) == [1, 1, 0]
    assert list(s.never_learnt()) == [2]
    assert list(s.regions()) == [S.EASY, S.AMBIGUOUS, S.HARD, S.AMBIGUOUS]
    assert s.nbytes == 4 * 4 + 4 + 16 * 2 + 16


def test_the_training_story_covers_the_images_the_run_trained_on(shipped):
    small = S.compute(shipped, "train", shipped.dataset.x_train[:500], shipped.dataset.y_train[:500])
    assert small.p_true.shape == (5, 500) and small.p_true.dtype == np.float16
    assert shipped.config.fit_size() == 54_000  # the shipped run held back 10% to validate


def test_the_published_label_errors_name_images_with_the_labels_given_here():
    from mnist_core.data.datasets import load_dataset
    from mnist_core.data.label_errors import MNIST_TEST

    y = load_dataset("mnist").y_test
    assert len(MNIST_TEST) == 15 and all(y[e.index] == e.given for e in MNIST_TEST)
    assert [e.verdict for e in MNIST_TEST].count("correctable") == 10
    assert all(sum(e.votes) == 5 and e.votes[0] < 3 for e in MNIST_TEST)


def test_a_story_is_computed_once_per_run_and_kept_within_its_budget(shipped):
    first = S.story_of(shipped, "test")
    assert S.story_of(shipped, "test") is first
    assert first.nbytes < S.BUDGET_BYTES


def test_the_compare_sentence_counts_forgetting_on_the_test_set(shipped, test_story):
    text = S.forgetting_sentence(shipped, shipped, "dropout")
    events = int(test_story.forgetting_events().sum())
    assert text.startswith(f"Changing dropout, the test images were forgotten {events:,} → {events:,} times over 5 epochs")
    assert f"{len(test_story.never_learnt()):,} → {len(test_story.never_learnt()):,} were never read right" in text


def test_the_map_draws_everything_or_a_fixed_sample_with_the_marked_images():
    assert S.map_sample(5, [3]).tolist() == [0, 1, 2, 3, 4]
    n = S.MAP_POINTS * 2
    drawn = S.map_sample(n, [n - 1])
    assert n - 1 in drawn and S.MAP_POINTS <= len(drawn) <= S.MAP_POINTS + 1
    assert np.array_equal(drawn, S.map_sample(n, [n - 1]))  # the same sample on every run


def test_a_map_of_a_run_that_has_not_learnt_yet_says_so_and_calls_nothing_mislabelled(shipped):
    """A 3-epoch run at 80% once put a quarter of MNIST under "hard, or mislabelled"."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 10, 1000).astype(np.uint8)
    early = S.Story("test", np.arange(1000, dtype=np.int32), labels,
                    np.full((3, 1000), 0.2, np.float16),  # unsure of everything, three epochs
                    np.where(rng.random((3, 1000)) < 0.8, labels, (labels + 1) % 10).astype(np.uint8))
    said = early.map_warning()
    assert "3 epochs" in said and "80%" in said and "early, not hard or mislabelled" in said
    assert early.region_titles()[S.HARD] == S.UNSURE
    learnt = S.test_story(shipped)  # the classic network, 5 epochs, about 98% right
    assert learnt.map_warning() == "" and learnt.region_titles()[S.HARD] == S.HARD


def test_the_maps_corners_name_the_regions_as_the_page_does():
    from mnist_core.figures import story as figures

    def corners(titles) -> list[str]:
        fig = figures.data_map_figure(np.zeros(3), np.zeros(3), np.zeros(3), np.arange(3), corners=titles)
        return [a.text for a in fig.layout.annotations]

    assert corners([S.EASY, S.UNSURE, S.AMBIGUOUS]) == [S.EASY, S.UNSURE, S.AMBIGUOUS]
    assert "hard, or mislabelled" not in corners([S.EASY, S.UNSURE, S.AMBIGUOUS])


def test_each_region_of_the_map_has_its_own_marker_named_in_the_legend():
    from mnist_core.figures import story as figures

    titles = [S.EASY, S.HARD, S.AMBIGUOUS]
    regions = np.array([S.EASY, S.AMBIGUOUS, S.EASY, S.HARD], dtype=object)
    fig = figures.data_map_figure(np.array([0.1, 0.3, 0.1, 0.1]), np.array([0.9, 0.5, 0.8, 0.1]),
                                  np.array([1.0, 0.5, 1.0, 0.0]), np.array([7, 8, 9, 10]),
                                  marked=[(8, "test image 8")], corners=titles, regions=regions)
    dots = {t.name: t for t in fig.data if t.name in titles}
    assert list(dots) == titles and all(t.showlegend for t in dots.values())
    assert len({t.marker.symbol for t in dots.values()}) == 3  # told apart by shape, not colour alone
    assert list(dots[S.EASY].customdata) == [7, 9] and list(dots[S.HARD].customdata) == [10]
    assert all(t.marker.coloraxis == "coloraxis" for t in dots.values())  # one colour scale for all
    assert "label judged wrong" in [t.name for t in fig.data]
