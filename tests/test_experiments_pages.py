"""Seeds on Train, the noise sentence and the sweep on Compare, through AppTest on small data."""

from streamlit.testing.v1 import AppTest

from app_pages.parts.runs import run_store
from mnist_core.analysis import experiments
from mnist_core.config import TrainConfig
from tests.test_app_pages import SMALL, button, fill, labels, open_page, train_and_wait, wait_for_jobs


def sentences(at) -> list[str]:
    return [m.value for m in at.markdown if "vs run" in m.value or "(seeds" in m.value]


def test_repeat_with_other_seeds_shows_bands_and_the_spread_of_the_runs(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_validation="split")
    train_and_wait(app)
    assert "Repeat with other seeds (2 new runs)" in labels(app)  # 3 seeds in all by default
    button(app, "Repeat with other seeds").click()
    app.run()
    wait_for_jobs(app)
    runs = [r for r in run_store().runs() if r.config.hidden == (32,)]
    assert sorted(r.config.seed for r in runs) == [0, 1, 2]
    tests = experiments.spread([r.history[-1].test_accuracy for r in runs])
    shown = next(m for m in app.metric if m.label == "Test accuracy, 3 seeds")
    assert shown.value == tests.text()  # computed from the three runs at the epoch looked at
    assert any("The shaded bands span the 3 seeds" in c.value for c in app.caption)
    acc = app.get("plotly_chart")[1].proto.spec
    assert "range of 3 seeds" in acc  # the band is drawn
    assert button(app, "Repeat with other seeds").disabled  # every seed of the 3 is trained

    open_page(app, "app_pages/compare.py")
    said = sentences(app)
    assert any(s.startswith("**Runs 1, 2, 3** (seeds 0, 1, 2).") and "chance" in s for s in said), said

    # Another learner with the same settings: the server's repeats join their list, none trains again.
    other = AppTest.from_file(app._script_path, default_timeout=90)
    other.run()
    open_page(other, "app_pages/train.py", **TrainConfig(hidden=(32,), train_samples=2000, epochs=2).to_dict())
    button(other, "Repeat with other seeds (2 new runs)").click()
    other.run()
    assert not (other.session_state["jobs"] if "jobs" in other.session_state else [])  # nothing queued
    assert next(m for m in other.metric if m.label == "Test accuracy, 3 seeds").value == tests.text()


def test_the_noise_sentence_changes_with_the_seed_spread(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_validation="split")
    train_and_wait(app)
    fill(app, f_learning_rate=0.01)  # one setting changed, one seed each
    train_and_wait(app)
    open_page(app, "app_pages/compare.py")
    (one,) = [s for s in sentences(app) if "vs run" in s]
    assert one.startswith("**Run 1 vs run 2.** learning rate 0.001 → 0.01") and "Repeat with other seeds" in one
    for lr in (0.001, 0.01):  # now two seeds each
        open_page(app, "app_pages/train.py")
        fill(app, f_learning_rate=lr)
        app.select_slider(key="repeat_seeds").set_value(2)
        app.run()
        button(app, "Repeat with other seeds").click()
        app.run()
        wait_for_jobs(app)
    open_page(app, "app_pages/compare.py")
    (both,) = [s for s in sentences(app) if "vs run" in s]
    assert "With 2 and 2 seeds" in both
    groups = [[r for r in run_store().runs() if r.config.learning_rate == lr] for lr in (0.001, 0.01)]
    a, b = (experiments.spread([experiments.headline(r.history) for r in g]) for g in groups)
    beyond = abs(a.mean - b.mean) > max(a.width, b.width)
    assert ("unlikely to be chance" in both) == beyond and ("could be chance" in both) == (not beyond)


def test_a_sweep_plans_runs_and_shows_results_from_them(app):
    open_page(app, "app_pages/train.py")
    fill(app, **SMALL, f_validation="split")  # the sweep starts from these settings
    open_page(app, "app_pages/compare.py")
    app.selectbox(key="sweep_setting").set_value("learning_rate")
    app.text_input(key="sweep_values_learning_rate").set_value("0.001,0.01,5").run()
    plan = next(m.value for m in app.markdown if m.value.startswith("This sweep"))
    assert "has 3 runs in all, 3 still to train" in plan
    assert "Start the sweep (3 runs)" in labels(app)
    assert app.query_params["sweep"] == "learning_rate" and app.query_params["values"] == "0.001,0.01,5.0"
    button(app, "Start the sweep").click()
    app.run()
    assert "Cancel the sweep" in labels(app)
    assert button(app, "Start the sweep").disabled  # every run is queued, training or trained
    plan = next(m.value for m in app.markdown if m.value.startswith("This sweep"))
    assert "0 still to train" not in plan  # the queued runs are still to train
    wait_for_jobs(app)
    table = app.dataframe[-1].value
    assert list(table["value"]) == ["0.001", "0.01", "5"] and list(table["runs"]) == ["1 of 1"] * 3
    said = next(m.value for m in app.markdown if m.value.startswith("**Best validation accuracy"))
    assert "at 5 the run diverges" in said
    run = run_store().get(TrainConfig(hidden=(32,), train_samples=2000, learning_rate=0.01))
    best_val = max(e.val_accuracy for e in run.history)
    assert table["best validation accuracy"][1] == f"{100 * best_val:.1f}%"
    assert button(app, "Start the sweep").disabled  # all trained

    # A bad value says why; a link reopens the same sweep with its results at once.
    app.text_input(key="sweep_values_learning_rate").set_value("0.001,50").run()
    assert any("learning rate 50" in e.value for e in app.error)
    link = {"sweep": "learning_rate", "values": "0.01,0.001,5", "seeds": "1",
            **TrainConfig(hidden=(32,), train_samples=2000, epochs=2).to_dict()}
    other = AppTest.from_file(app._script_path, default_timeout=90)  # another learner, a new session
    other.run()
    open_page(other, "app_pages/compare.py", **link)
    assert list(other.dataframe[-1].value["value"]) == ["0.001", "0.01", "5"]
    assert "0 still to train" in next(m.value for m in other.markdown if m.value.startswith("This sweep"))


def test_a_sweep_too_big_for_the_list_is_refused_and_one_can_be_cancelled(app, monkeypatch):
    import app_pages.parts.runs as runs

    monkeypatch.setattr(runs, "MAX_SESSION_RUNS", 3)
    open_page(app, "app_pages/train.py")
    fill(app, f_hidden_0=32, f_train_samples=2000, f_epochs=50, f_validation="split")
    open_page(app, "app_pages/compare.py")
    app.selectbox(key="sweep_setting").set_value("batch_size").run()
    app.text_input(key="sweep_values_batch_size").set_value("32,64").run()
    app.select_slider(key="sweep_seeds").set_value(2).run()
    assert any("has room for 3: this sweep adds 4" in w.value for w in app.warning)
    assert button(app, "Start the sweep").disabled
    app.select_slider(key="sweep_seeds").set_value(1).run()
    button(app, "Start the sweep").click()
    app.run()
    jobs = [j for j in app.session_state["jobs"]]
    assert len(jobs) == 2
    button(app, "Cancel the sweep").click()
    app.run()
    for job in jobs:
        assert job.wait(300)
    assert all(job.run is None or job.run.epochs_done < 50 for job in jobs)
    assert not any(run_store().job(j.config) for j in jobs)


def test_odd_sweep_links_are_said_and_the_page_still_works(app):
    open_page(app, "app_pages/compare.py", sweep="seed", values="1,2")
    assert any("is not one a sweep can vary" in i.value for i in app.info)
    assert app.selectbox(key="sweep_setting").value == "learning_rate"  # the usual start
    other = AppTest.from_file(app._script_path, default_timeout=90)
    other.run()
    open_page(other, "app_pages/compare.py", sweep="epochs", values="5,500", seeds="99", hidden="64", epochs="x")
    assert any("epochs 500: must be between 1 and 100" in e.value for e in other.error)
    assert other.select_slider(key="sweep_seeds").value == 1  # seeds out of range: the default
    assert any("epochs 'x': not a valid value" in i.value for i in other.info)
    assert "Start the sweep" not in " ".join(labels(other))


def test_a_fresh_browser_that_opens_every_page_has_an_empty_list(app):
    """A learner's list is theirs: what they trained, opened from a link, or chose to add. Compare's
    sweep once adopted every run of its sweep that the server had, just by showing them."""
    from pathlib import Path

    base = TrainConfig(hidden=(32,), train_samples=2000, epochs=1, validation="split:0.2")
    sweep = experiments.make_sweep(base, "learning_rate", "0.001,0.01")
    classic = TrainConfig(epochs=1)  # the run of Train's default settings: one epoch is enough
    jobs = [run_store().request(config) for config in [*sweep.configs(), classic]]  # another learner's runs
    assert all(job is not None and job.wait(300) and not job.error for job in jobs)

    fresh = AppTest.from_file(app._script_path, default_timeout=90)
    fresh.run()
    open_page(fresh, "app_pages/compare.py", **sweep.link())
    assert fresh.get("plotly_chart"), "the sweep's results are shown from the server's runs"
    for page in sorted(Path("app_pages").glob("*.py")):
        open_page(fresh, str(page))
    learner = fresh.session_state["learner"]
    assert run_store().learners.runs(learner) == []
    assert not fresh.session_state["runs"]
    # Train, opened plainly, shows the server's run of its default settings; one click keeps it.
    open_page(fresh, "app_pages/train.py")
    assert not fresh.session_state["runs"]
    next(b for b in fresh.button if b.label == "Add to your runs").click()
    fresh.run()
    assert [c.key() for c in run_store().learners.runs(learner)] == [classic.key()]


def test_compare_shows_the_result_first_no_none_and_charts_the_sentences_runs(app):
    """Issue 33, 7: runs 1 and 2 differ in dropout, run 3 (no validation) in two settings. The
    table leaves out what its caption calls shared and writes no "None"; the sentence is on runs 1
    and 2, and so is the chart (it once overlaid the last two runs)."""
    open_page(app, "app_pages/train.py")
    for settings in ({**SMALL, "f_validation": "split"}, {"f_dropout_0": 0.5},
                     {"f_dropout_0": 0.0, "f_validation": "none", "f_learning_rate": 0.01}):
        fill(app, **settings)
        train_and_wait(app)
    open_page(app, "app_pages/compare.py")
    table = app.dataframe[0].value
    assert list(table.columns[:4]) == ["run", "test accuracy", "val accuracy", "train accuracy"]
    assert "dataset" not in table.columns  # shared: said once in the caption, not shown on every row
    assert any(c.value.startswith("Settings that all runs share are left out: dataset") for c in app.caption)
    assert list(table["validation"]) == ["20% held back", "20% held back", "none"]
    assert list(table.iloc[2][["val accuracy", "best epoch", "test at best epoch"]]) == ["-", "-", "-"]
    assert not table.isna().any().any() and "None" not in table.astype(str).values
    (sentence,) = [s for s in sentences(app) if "vs run" in s]
    assert sentence.startswith("**Run 1 vs run 2.** dropout 0 → 0.5")
    assert app.multiselect(key="compare_pick").value == [1, 2]


def test_train_opened_from_a_link_or_on_a_trained_run_folds_the_settings(app):
    """Issue 33, 8: a link (or a trained run) folds the form to one line, so Train or the results
    show in the first screen; a learner opening Train plainly to set up a first run sees the form."""
    open_page(app, "app_pages/train.py")
    assert app.session_state["settings_open"] is True
    assert app.expander[0].label == "Network and training settings"
    fresh = AppTest.from_file(app._script_path, default_timeout=90)
    fresh.run()
    open_page(fresh, "app_pages/train.py", hidden="32", epochs="2", train_samples="2000", dropout="0.2")
    assert fresh.session_state["settings_open"] is False
    label = fresh.expander[0].label
    assert label.startswith("Settings: mnist 32 relu dropout 0.2") and "2 epochs" in label
    assert fresh.number_input(key="f_hidden_0").value == 32  # filled in, one click away
    train_and_wait(fresh)
    open_page(fresh, "app_pages/home.py")
    open_page(fresh, "app_pages/train.py")  # back to the trained run: its results show first
    assert fresh.session_state["settings_open"] is False and fresh.expander[0].label == label
    fill(fresh, f_epochs=3)  # the folded form still changes a setting
    assert fresh.slider(key="f_epochs").value == 3
