"""mnist_core.analysis.choice: which runs a page's picker offers, which comes first, their names."""

from types import SimpleNamespace

from mnist_core.analysis import choice


def run(label, epochs=1, status="finished"):
    return SimpleNamespace(label=label, epochs_done=epochs, status=status)


def test_trained_keeps_runs_with_enough_epochs_and_can_leave_out_diverged_ones():
    a, b, c, d = run("a", 0), run("b", 1), run("c", 2), run("d", 3, "diverged")
    assert choice.trained([a, b, c, d]) == [b, c, d]
    assert choice.trained([a, b, c, d], least=2) == [c, d]
    assert choice.trained([a, b, c, d], diverged=False) == [b, c]


def test_position_finds_the_very_run_else_the_default():
    a, b = run("same"), run("same")
    assert choice.position([a, b], b) == 1  # by identity, not by label
    assert choice.position([a, b], run("other")) == 0
    assert choice.position([a, b], None, default=1) == 1


def test_titles_name_the_learners_runs_and_capitalise_the_others():
    mine, shipped, upload = run("mnist 32, 2 epochs"), run("the default MNIST model"), run("uploaded x.keras")
    options = [shipped, mine, upload]
    assert choice.titles(options, yours=[mine]) == [
        "The default MNIST model", "Your run: mnist 32, 2 epochs", "Uploaded x.keras"]
    assert choice.titles(options, capital=False) == [r.label for r in options]
    assert choice.titles([run("")]) == [""]
