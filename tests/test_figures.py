"""The chart builders: what a learner (or a class at the back of a room) reads off them."""

import numpy as np
import pytest

from mnist_core.figures import charts as figures


def history(epochs: int = 10) -> list[dict]:
    rows = []
    for e in range(1, epochs + 1):
        loss = 0.5 / e
        rows.append({"epoch": e, "loss": loss, "accuracy": 1 - loss / 4, "val_loss": 0.15 + 0.01 * abs(e - 4),
                     "val_accuracy": 0.95 - 0.002 * e, "test_accuracy": 0.95})
    return rows


def annotations(fig) -> list[str]:
    return [a.text for a in fig.layout.annotations]


def test_the_gap_chart_has_two_colours_titled_axes_and_zeros_on_one_line():
    fig = figures.gap_figure(history(), best=4, selected=8, max_epochs=10)
    loss, acc = fig.data
    assert loss.line.color != acc.line.color and acc.yaxis == "y2"
    assert fig.layout.yaxis.title.text == "loss gap" and "points" in fig.layout.yaxis2.title.text
    (l0, l1), (r0, r1) = fig.layout.yaxis.range, fig.layout.yaxis2.range
    assert abs(-l0 / (l1 - l0) - -r0 / (r1 - r0)) < 1e-9  # zero sits at the same height on both
    assert min(loss.y) >= l0 and max(loss.y) <= l1 and min(acc.y) >= r0 and max(acc.y) <= r1
    for ticks in (fig.layout.yaxis.tickvals, fig.layout.yaxis2.tickvals):
        assert 0 in ticks and all(abs(t * 4 - round(t * 4)) < 1e-9 or abs(t * 100 - round(t * 100)) < 1e-9
                                  for t in ticks)  # round numbers, no -5.99


def test_training_and_validation_curves_differ_in_more_than_colour():
    training, validation = figures.curve_figure(history(), "loss").data
    assert training.name == "training" and validation.name == "validation"
    assert (training.line.dash, training.marker.symbol) != (validation.line.dash, validation.marker.symbol)


def test_every_figure_builder_writes_its_text_dark_enough():
    import inspect

    from mnist_core.figures import classroom, inside, line, story, style

    modules = (figures, classroom, inside, line, story)
    builders = {f"{m.__name__}.{name}": f for m in modules for name, f in vars(m).items()
                if inspect.isfunction(f) and not name.startswith("_") and f.__module__ == m.__name__
                and inspect.signature(f).return_annotation == "go.Figure"}
    assert len(builders) >= 20, sorted(builders)
    assert not [name for name, f in builders.items() if not getattr(f, "readable", False)], "needs @readable"
    fig = figures.gap_figure(history(), best=4)
    assert fig.layout.xaxis.tickfont.color == fig.layout.yaxis2.tickfont.color == style.CHART_TEXT
    assert fig.layout.xaxis.title.font.color == fig.layout.font.color == style.CHART_TEXT
    assert fig.layout.yaxis.title.font.color == style.GAP_COLOUR  # a colour the builder chose stays


def test_the_lines_two_kinds_of_points_differ_in_shape_as_well_as_colour():
    from mnist_core.figures import line

    x, y, test = np.array([[0.0, 0.0], [1.0, 1.0]]), np.array([0, 1]), np.array([False, False])
    fig = line.plane_figure([0, 1], [0, 1], np.zeros((2, 2)), x, y, test, ["a", "b"], ["no", "yes"])
    shapes = {t.name: t.marker.symbol for t in fig.data if t.type == "scatter"}
    assert shapes["no (training)"] == shapes["no (test)"] != shapes["yes (training)"] == shapes["yes (test)"]


def test_the_gap_chart_is_also_told_in_words():
    text = figures.gap_summary(history(), best=4)
    assert text.startswith("At epoch 4, the lowest validation loss: validation loss 0.025 above training loss, "
                           "training accuracy 2.7 points above validation accuracy. After epoch 10: "
                           "validation loss 0.160 above"), text
    assert text.endswith("The loss gap grew by 0.135."), text
    first = history(1)[0] | {"val_loss": 0.4, "val_accuracy": 0.99}  # validation better than training
    assert figures.gap_summary([first], best=1) == ("After epoch 1: validation loss 0.100 below training loss, "
                                                    "training accuracy 11.5 points below validation accuracy.")
    assert figures.gap_summary([{**first, "val_loss": None}], best=None) == ""  # no validation: no gap


def test_the_confusion_matrix_is_also_told_in_words():
    counts = np.diag([50] * 10)
    counts[4, 9], counts[7, 2], counts[5, 3], counts[3, 5] = 23, 18, 15, 2
    names = [str(k) for k in range(10)]
    assert figures.confusion_summary(counts, names) == (
        "Most frequent mistakes: 4 read as 9 (23 images), 7 read as 2 (18), 5 read as 3 (15); 58 mistakes in all.")
    assert figures.confusion_summary(np.diag([5] * 10), names) == "No mistakes: every test image is on the diagonal."


def test_a_gallery_caption_marks_right_and_wrong_by_more_than_colour():
    captions, colours = figures.gallery_captions(["zero", "one"], np.array([1, 0]), np.array([1, 1]),
                                                 np.array([0.98, 0.514]))
    assert captions == ["one 98% ✓", "zero 51% ✗"]
    assert colours == [figures.RIGHT_COLOUR, figures.WRONG_COLOUR] and len(set(colours)) == 2


def test_nice_ticks_are_round_and_cover_the_range():
    assert figures.nice_ticks(-11.99, 2.4) == [-10.0, -5.0, 0.0]
    assert figures.nice_ticks(-0.3, 1.1) == [0.0, 0.5, 1.0]
    assert figures.nice_ticks(-0.02, 0.13) == [0.0, 0.05, 0.1]


def test_one_label_when_the_epoch_looked_at_is_the_best_and_labels_near_the_right_edge_read_left():
    same = figures.curve_figure(history(), "loss", best=4, selected=4, max_epochs=10)
    assert annotations(same) == ["epoch 4 (best)"]
    apart = figures.curve_figure(history(), "loss", best=4, selected=10, max_epochs=10)
    assert sorted(annotations(apart)) == ["best 4", "epoch 10"]
    marker = next(a for a in apart.layout.annotations if a.text == "epoch 10")
    assert marker.xanchor == "right"  # drawn leftwards from the line at the last epoch, not cut off


def test_per_class_accuracy_ends_at_100_percent_and_is_drawn_as_dots():
    fig = figures.per_class_figure(np.array([0.99, 0.98, 0.84, 0.97, 0.96, 0.95, 0.99, 0.97, 0.93, 0.94]),
                                   [str(i) for i in range(10)])
    ticks = fig.layout.xaxis.tickvals
    assert max(ticks) == 1.0 and min(ticks) <= 0.84 and fig.layout.xaxis.range[1] < 1.05
    assert fig.data[0].mode == "markers+text"
    # One row a class, its value beside its dot: labels cannot meet, however narrow the column.
    assert list(fig.data[0].y) == [str(i) for i in range(10)] and fig.data[0].textposition == "middle left"
    assert fig.layout.xaxis.range[0] < min(ticks)  # room left of the weakest dot for its label


def test_an_epochs_label_sits_where_the_curves_are_not_late_in_training():
    loss = figures.curve_figure(history(), "loss", best=4, selected=4, max_epochs=4)
    accuracy = figures.curve_figure(history(), "accuracy", best=4, selected=4, max_epochs=4)
    assert next(a for a in loss.layout.annotations if a.text == "epoch 4 (best)").yanchor == "top"  # low curves
    assert next(a for a in accuracy.layout.annotations if a.text == "epoch 4 (best)").yanchor == "bottom"


def test_an_accuracy_axis_is_at_least_ten_points_tall():
    close = [dict(r, accuracy=0.965 + 0.005 * i, val_accuracy=0.96 + 0.005 * i) for i, r in enumerate(history())]
    low, high = figures.curve_figure(close, "accuracy").layout.yaxis.range
    assert high - low >= 0.1 and high <= 1.01
    overlay = figures.overlay_figure([("a", close, None)], "val_accuracy", "Validation accuracy")
    assert overlay.layout.yaxis.range[1] - overlay.layout.yaxis.range[0] >= 0.1


def test_the_epoch_probability_chart_keeps_its_legend_apart_and_every_class_visible():
    probs = np.random.default_rng(0).dirichlet(np.ones(10), size=6)
    fig = figures.epoch_probability_figure(probs, [f"c{i}" for i in range(10)], epoch=3)
    assert fig.layout.legend.x > 1  # beside the plot, not over its title
    assert len({t.line.color for t in fig.data}) == 10
    assert all(t.opacity in (None, 1) for t in fig.data)


def test_chart_text_is_readable_on_a_projector():
    for fig in (figures.curve_figure(history(), "accuracy"), figures.gap_figure(history()),
                figures.epoch_probability_figure(np.full((3, 10), 0.1), [str(i) for i in range(10)]),
                figures.per_class_figure(np.full(10, 0.9), [str(i) for i in range(10)]),
                figures.overlay_figure([("a", history(), 4)], "val_loss", "Validation loss")):
        assert fig.layout.font.size >= 15 and fig.layout.title.font.size >= 18


def test_the_sweep_figure_shows_each_values_mean_and_its_seeds_range():
    from mnist_core.analysis.experiments import Row, spread

    rows = [Row(0.001, "0.001", (), spread([0.95, 0.97]), spread([0.94, 0.96]), spread([3, 4]), 5.0, 0, 0),
            Row(0.01, "0.01", (), spread([0.96, 0.98]), spread([0.95, 0.99]), spread([2, 2]), 5.0, 0, 0),
            Row(5.0, "5", (), None, None, None, 1.0, 2, 0)]
    fig = figures.sweep_figure(rows, "learning rate")
    test_band = next(t for t in fig.data if t.name == "test accuracy, range of the seeds")
    assert list(test_band.x) == ["0.001", "0.01", "0.01", "0.001"]
    assert list(test_band.y) == pytest.approx([0.96, 0.99, 0.95, 0.94])
    mean = next(t for t in fig.data if t.name == "test accuracy")
    assert list(mean.y) == pytest.approx([0.95, 0.97])
    diverged = next(t for t in fig.data if t.mode == "text")
    assert list(diverged.x) == ["5"] and list(diverged.text) == ["diverged"]
    assert list(fig.layout.xaxis.categoryarray) == ["0.001", "0.01", "5"]


def test_inside_health_charts_tick_whole_epochs_and_never_repeat_a_percentage():
    from mnist_core.figures.inside import health_figure

    fig = health_figure([0, 1, 2, 3], [[0.002, 0.001, 0.001, 0.0]], ["layer 1"], "Dead units", "dead")
    assert fig.layout.xaxis.dtick == 1 and fig.layout.xaxis.tickformat == "d"  # no epoch 1.5
    assert fig.layout.yaxis.tickformat == ".2%"  # 0.20%, 0.10%: not 0.2%, 0.1%, 0.1%


def test_lines_hidden_units_are_one_picture_each_on_its_own_scale_with_y_up():
    from mnist_core.figures.line import units_picture
    from mnist_core.figures.pictures import VIRIDIS

    y_up = np.repeat(np.linspace(0, 1, 20)[:, None], 20, 1)  # row i is y[i]: the top of the plane is row 19
    maps = [np.stack([y_up, 5 * y_up - 3]), np.stack([1 - y_up])]  # two layers: 2 units, then 1
    picture = np.asarray(units_picture(maps))
    yellow, purple = (np.array([int(VIRIDIS[-1][i:i + 2], 16) for i in (1, 3, 5)]),
                      np.array([int(VIRIDIS[0][i:i + 2], 16) for i in (1, 3, 5)]))
    cell_w, cell_h = 40 + 6, 40 + 20
    for r, c, top in ((0, 0, yellow), (0, 1, yellow), (1, 0, purple)):  # each unit on its own scale
        x, y = c * cell_w + 3, r * cell_h + 2
        assert (picture[y, x] == top).all() and (picture[y + 39, x] == (purple if top is yellow else yellow)).all()
    assert (picture[cell_h + 2:cell_h + 42, cell_w + 3:cell_w + 43] == 255).all()  # layer 2 has no second unit
