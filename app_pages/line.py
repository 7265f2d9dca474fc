"""Line: what a network does before it sees digits, on points in a plane.

A network with no hidden layer draws a straight line between two classes; hidden layers bend
it. Training is gradient descent, shown step by step on the loss surface. The numbers come
from mnist_core.line.network (numpy, no TensorFlow): a whole run is computed at once and kept, and
Train, Step and the epoch slider choose which of its moments to show.
"""

import inspect

import streamlit as st

from app_pages.parts.links import link_number
from mnist_core.figures import line as fl
from mnist_core.figures.pictures import png
from mnist_core.line import network as L

CHART = {"displayModeBar": False}
KEYS = [f"line_{name}" for name in L.Setup.__dataclass_fields__]


@st.cache_resource(max_entries=32, show_spinner=False)
def trained(setup: L.Setup) -> L.Trace:
    """A setup's whole run; the same for every learner (the seed fixes it), so it is shared."""
    return L.train(setup)


def from_link() -> None:
    """The link's settings (each bad value noted) fill the controls: on a session's first run,
    and whenever the page is opened with a link other than the one it wrote itself (coming back
    from another page without one keeps the session's settings)."""
    params = st.query_params.to_dict()
    if "line_ready" in st.session_state and (not params or params == st.session_state.get("line_link")):
        return
    setup, notes = L.Setup.from_link(params)
    for name, value in setup.__dict__.items():
        st.session_state[f"line_{name}"] = value
    st.session_state.line_notes = notes
    epoch, step = link_number(params.get("epoch")), link_number(params.get("step"))
    st.session_state.line_view = None if epoch is None else (setup, epoch, step or 0)
    st.session_state.line_ready = True


def controls() -> L.Setup:
    """The data, the network and its training, in three columns."""
    lim = L.LIMITS
    a, b, c = st.columns(3)
    a.selectbox("Data", list(L.DATASETS), format_func=L.DATASETS.get, key="line_data",
                help="Credit score and income: two groups a line separates well. Circle, XOR and spiral: no line "
                     "can separate them.")
    a.slider("Points", *lim.points, step=10, key="line_points", help="Seven in ten train the network; the rest "
             "(hollow) test it.")
    a.slider("Noise", *lim.noise, step=0.05, key="line_noise", help="How much the classes blur into each other.")
    b.slider("Hidden layers", *lim.layers, key="line_layers", help="0: the output is one weighted sum of the two "
             "inputs, so the boundary is a straight line.")
    b.slider("Units per hidden layer", *lim.units, key="line_units", disabled=st.session_state.line_layers == 0)
    b.selectbox("Activation", L.ACTIVATIONS, key="line_activation",
                help="What each hidden unit applies to its weighted sum; linear layers cannot bend the line.")
    c.selectbox("Loss", list(L.LOSSES), format_func=L.LOSSES.get, key="line_loss",
                help="Cross-entropy, or mean squared error: the average of (label - prediction) squared.")
    c.select_slider("Learning rate", L.LEARNING_RATES, key="line_learning_rate",
                    help="The size of each step down the loss.")
    c.slider("Batch size", *lim.batch, key="line_batch", help="Points per step: the weights move once per batch.")
    c.slider("Epochs", *lim.epochs, key="line_epochs", help="Passes over the training points.")
    c.number_input("Seed", *lim.seed, key="line_seed", help="The same seed gives the same points and the same "
                   "start, so the same picture.")
    return L.Setup(**{name: st.session_state[f"line_{name}"] for name in L.Setup.__dataclass_fields__})


def _scrubbed() -> None:
    setup, _, _ = st.session_state.line_view
    st.session_state.line_view = (setup, st.session_state.line_scrub, 0)


def view(setup: L.Setup, trace: L.Trace) -> tuple[int, int]:
    """(epoch, step into the next epoch) to show: the untrained network until Train or Step."""
    shown = st.session_state.get("line_view")
    if shown is None or shown[0] != setup:
        shown = (setup, None, 0)  # None: not started; a new setup starts untrained
    _, epoch, step = shown
    a, b, _ = st.columns([1, 1, 8])
    if a.button("Train", type="primary", help=f"All {setup.epochs} epochs, at once."):
        epoch, step = trace.epochs_done, 0
    if b.button("Step", help="One gradient step: the weights move once, on one batch of points."):
        epoch = epoch or 0
        if epoch < trace.epochs_done:
            epoch, step = (epoch + 1, 0) if step + 1 >= trace.steps_per_epoch else (epoch, step + 1)
    st.session_state.line_view = (setup, epoch, step)
    if epoch is None:
        return 0, 0
    epoch = min(epoch, trace.epochs_done)
    if trace.epochs_done < 1:  # diverged in epoch 1: nothing to scrub
        return epoch, 0
    st.session_state.line_scrub = epoch
    st.slider("Epoch", 0, trace.epochs_done, key="line_scrub", on_change=_scrubbed,
              help="Scrub back through training: 0 is the network before any step.")
    return epoch, step


def picture(trace: L.Trace, epoch: int, step: int) -> list:
    """The plane with the network's regions, the loss curves and the numbers; returns the
    weights shown."""
    setup, data = trace.setup, trace.data
    params = L.params_at(trace, epoch, step)
    xs, ys, maps = L.regions(trace, params)
    line = L.equation(trace, params) if setup.layers == 0 and trace.diverged != epoch else None
    moment = L.moment(epoch, step)
    left, right = st.columns([3, 2])
    left.plotly_chart(fl.plane_figure(xs, ys, maps[-1][0], data.x, data.y, data.test, data.names, data.classes,
                                      line, title=f"The network's regions, {moment}"), config=CHART)
    with right:
        measured = L.measure_params(trace, params)
        a, b = st.columns(2)
        a.metric("Training accuracy", f"{measured['train_accuracy']:.0%}")
        b.metric("Test accuracy", f"{measured['test_accuracy']:.0%}")
        st.plotly_chart(fl.loss_figure(trace.train_loss, trace.test_loss, epoch, L.LOSSES[setup.loss]), config=CHART)
        st.caption("Blue where the network says "
                   f"'{data.classes[1]}', orange where it says '{data.classes[0]}'; white where it is unsure. Squares "
                   f"are '{data.classes[1]}', circles '{data.classes[0]}'; filled points train the network, hollow "
                   "ones test it.")
    if trace.diverged:
        st.error(f"The loss stopped being a number in epoch {trace.diverged}: the steps were too large. "
                 "Try a smaller learning rate.")
    if line is not None and not any(line):
        st.markdown(f"**The network's line, {moment}:** none yet. Every weight is 0, so the network says "
                    "50/50 for every point; the first step draws a line.")
    elif line is not None:
        st.markdown(f"**The network's line, {moment}:** {L.equation_text(trace, params)}. Where the left side "
                    f"is above zero it predicts '{data.classes[1]}'.")
    return params, maps


def descent(trace: L.Trace, epoch: int, step: int, params) -> None:
    if trace.setup.layers:
        st.caption("To see gradient descent as a path on the loss, set hidden layers to 0: the network is then "
                   "two weights and a bias, and the loss over the two weights is a picture.")
        return
    st.subheader("Gradient descent you can see")
    st.write("Colours: the loss for every pair of weights (w1, w2), with the bias at its value now; dark is low. "
             "Training starts at the circle. Each step works out which way is downhill from where the weights "
             "are (the gradient) and moves them that way, by the learning rate times the slope.")
    shown = min(epoch * trace.steps_per_epoch + step, len(trace.path) - 1)
    (_, bias), = params
    w1s, w2s, losses = L.loss_surface(trace, float(bias[0]))
    st.plotly_chart(fl.surface_figure(w1s, w2s, losses, trace.path[:shown + 1], L.LOSSES[trace.setup.loss]),
                    config=CHART)
    st.write(L.path_sentence(trace))


def hidden_units(trace: L.Trace, maps: list) -> None:
    if not trace.setup.layers:
        return
    st.subheader("What each hidden unit computes")
    st.write("Each small picture is one hidden unit's output over the same plane (yellow high, purple low). A unit "
             "of the first layer is a weighted sum of the two inputs, so it too changes along a straight line; "
             "the next layers combine those lines, and that is how the boundary bends.")
    st.image(png(fl.units_picture(maps[:-1])), alt=f"The output of each hidden unit over the plane: "
             f"{', '.join(f'layer {i + 1}, {len(m)} units' for i, m in enumerate(maps[:-1]))}.")


def main() -> None:
    st.title("A line between two groups")
    st.write("Before digits: points of two kinds in a plane, and a network that learns to tell them apart. "
             "A lender might plot borrowers by credit score and income and draw a line such as "
             "2 · credit score + income − 10 = 0: above it, predict 'repaid'. A network without hidden layers "
             "learns exactly such a line; hidden layers let it bend.")
    from_link()
    for note in st.session_state.get("line_notes", []):
        st.info(f"From the link: {note}.")
    setup = controls()
    with st.spinner("Training..."):
        trace = trained(setup)
    epoch, step = view(setup, trace)
    params, maps = picture(trace, epoch, step)
    descent(trace, epoch, step, params)
    hidden_units(trace, maps)
    with st.expander("What one step does, in numpy", key="line_code_open", on_change="rerun") as box:
        if box.open:  # drawn only when open: highlighting it costs the browser a few hundred ms a run
            st.code(inspect.getsource(L.forward) + "\n\n" + inspect.getsource(L.gradient_step), language="python")
    moment = ({"epoch": str(epoch)} if epoch or step else {}) | ({"step": str(step)} if step else {})
    st.session_state.line_link = {**setup.to_dict(), **moment}
    st.query_params.from_dict(st.session_state.line_link)


main()
