"""The Line page through AppTest: train, step, scrub, the equation, a link, hidden units, odd links."""

from tests.test_app_pages import button, open_page


def line_text(at) -> str:
    return next((m.value for m in at.markdown if m.value.startswith("**The network's line")), "")


def test_train_step_scrub_and_the_equation(app):
    open_page(app, "app_pages/line.py", layers="0", seed="3")
    assert app.title[0].value == "A line between two groups"
    assert "before training" in line_text(app)
    assert "line_scrub" not in [s.key for s in app.slider]  # nothing to scrub before Train or Step
    button(app, "Step").click().run()
    button(app, "Step").click().run()
    assert "after 2 steps of epoch 1" in line_text(app)
    button(app, "Train").click().run()
    assert not app.exception
    assert "after epoch 100" in line_text(app) and "credit score" in line_text(app)
    assert app.query_params["epoch"] == "100" and app.query_params["seed"] == "3"
    assert any(m.value.startswith("At learning rate 0.03") for m in app.markdown)
    app.slider(key="line_scrub").set_value(10).run()
    assert "after epoch 10:" in line_text(app)
    trained_line = line_text(app)
    again = open_page(app, "app_pages/line.py", **dict(app.query_params))
    assert line_text(again) == trained_line


def test_a_new_session_from_a_link_shows_the_same_picture(app):
    from streamlit.testing.v1 import AppTest

    open_page(app, "app_pages/line.py", layers="0", seed="9", epochs="40", learning_rate="0.1")
    button(app, "Train").click().run()
    link = dict(app.query_params)
    other = AppTest.from_file("../streamlit_app.py", default_timeout=90)
    other.run()
    open_page(other, "app_pages/line.py", **link)
    assert line_text(other) == line_text(app) and "after epoch 40" in line_text(other)
    assert other.slider(key="line_scrub").value == 40


def test_hidden_layers_bend_the_boundary_and_show_their_units(app):
    open_page(app, "app_pages/line.py", layers="2", units="4", data="circle", seed="1")
    button(app, "Train").click().run()
    assert not app.exception
    assert "What each hidden unit computes" in [s.value for s in app.subheader]
    assert line_text(app) == ""  # no single line to print
    assert int(next(m.value for m in app.metric if m.label == "Test accuracy").rstrip("%")) >= 90


def test_odd_links_are_noted_and_a_diverging_run_is_said(app):
    open_page(app, "app_pages/line.py", data="moon", epochs="-5", points="abc")
    notes = [i.value for i in app.info]
    assert any("data 'moon'" in n for n in notes) and any("epochs -5" in n for n in notes) and len(notes) == 3
    open_page(app, "app_pages/line.py", layers="3", units="8", activation="linear", learning_rate="10", batch="1",
              seed="1")
    button(app, "Train").click().run()
    assert not app.exception
    assert "The loss stopped being a number in epoch 1" in app.error[0].value
    assert "before training" in line_text(app) or line_text(app) == ""  # the last weights that were numbers


def test_a_link_taken_between_epochs_keeps_the_step(app):
    from streamlit.testing.v1 import AppTest

    open_page(app, "app_pages/line.py", layers="0", seed="4")
    for _ in range(3):
        button(app, "Step").click().run()
    assert (app.query_params["epoch"], app.query_params["step"]) == ("0", "3")
    other = AppTest.from_file("../streamlit_app.py", default_timeout=90)
    other.run()
    open_page(other, "app_pages/line.py", **dict(app.query_params))
    assert "after 3 steps of epoch 1" in line_text(other)
    assert line_text(other) == line_text(app)
