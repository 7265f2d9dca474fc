"""Inside: what a network has learnt, read from its weights, epoch by epoch.

Four views of the chosen run at the chosen epoch (0: before training): the first layer's
weight pictures, one image going through the network, the last hidden layer's map of 2,000
test images, and each layer's health. All numpy (mnist_core.analysis.inside): no TensorFlow here.
"""

import streamlit as st

from app_pages.parts import picker
from app_pages.parts.formatting import markdown_table
from app_pages.parts.inside_image import one_image
from app_pages.parts.links import config_from_url, link_params
from app_pages.parts.runs import default_run, find_run, imported_runs, select, selected, session_runs
from mnist_core.analysis import choice, inside
from mnist_core.figures import inside as fi
from mnist_core.figures import pictures as pics

GRID_UNITS = 64  # weight pictures on one page of the grid
CHART = {"displayModeBar": False}


def options() -> list:
    """The shipped model, this learner's runs with at least one epoch, and uploaded models."""
    return [default_run()] + choice.trained(session_runs().values()) + imported_runs()


def wanted(choices: list) -> tuple:
    """(run, epoch) to show: one handed over by Draw, else the run the link names (the page keeps
    its link up to date, so this is also the last choice made here), else the run chosen on
    Train or Evaluate, else the shipped model."""
    handed = st.session_state.pop("inside_from", None)
    if handed is not None:
        return handed
    config, epoch = config_from_url()
    if config is not None:
        # The learner's own runs first: one of them may have the shipped model's settings.
        run = next((r for r in choices[1:] + choices[:1] if r.config is not None and r.config.key() == config.key()),
                   None)
        run = run or find_run(config, keep=True)  # opened from a link
        if run is not None and (run.epochs_done or run.config is None):
            if run not in choices:
                choices.insert(1, run)
            return run, epoch if epoch is not None and 0 <= epoch <= run.epochs_done else run.final_epoch
    run, epoch = selected()
    if run is not None and any(run is r for r in choices):
        return run, epoch
    return choices[0], choices[0].final_epoch


def _model_changed(choices: list) -> None:
    """The learner picked another model: the link forgets the old one, the choice is shared."""
    run = choices[st.session_state.inside_model]
    st.query_params.clear()
    if run is default_run():
        st.query_params.from_dict(link_params(run, run.final_epoch))
    else:
        select(run, run.final_epoch)


def _epoch_changed(run) -> None:
    epoch = st.session_state.inside_epoch
    if run.config is not None:
        st.query_params.update(link_params(run, epoch))
    if epoch >= 1 and run is not default_run():
        select(run, epoch)


def choose_run() -> tuple:
    """(run, epoch): the model and the epoch, both shared with Evaluate and Draw."""
    choices = options()
    run, epoch = wanted(choices)
    st.session_state.inside_model = choice.position(choices, run)
    yours = [r for r in choices if r.config is not None and r is not default_run()]
    picker.pick("Model", choices, choice.titles(choices, yours=yours), key="inside_model", on_change=_model_changed,
                args=(choices,), help="The run and epoch chosen on Train or Evaluate are shown first.")
    if run.epochs_done >= 1:
        st.session_state.inside_epoch = epoch
        epoch = st.slider("After epoch", 0, run.epochs_done, key="inside_epoch", on_change=_epoch_changed,
                          args=(run,), help="0 is the network before training: its weights are random.")
    if run.config is None:
        st.caption(f"An uploaded model: one set of weights, on the {run.dataset.title} test set.")
    elif epoch == 0:
        st.caption("Epoch 0: the network before training. Its weights are random, so its pictures are noise.")
    return run, epoch


def first_layer(run, epoch: int, net: inside.Network, ins: inside.Inspector) -> None:
    st.subheader("What each first-layer unit looks for")
    st.write("Each picture is one hidden unit's 784 incoming weights, laid out like the image. Red pixels "
             "raise the unit's output when they are inked, blue ones lower it: the unit responds to the "
             "red shape where the blue is empty.")
    kernel = net.kernels[0]
    a, b = st.columns([2, 1])
    by = a.radio("Order", list(inside.SORTS), format_func=inside.SORTS.get, horizontal=True, key="inside_sort",
                 help="Which units come first in the grid.")
    start = ins.follow_start() if by == "changed" and run.epochs_done else None
    order = inside.unit_order(by, kernel, start, ins.view(epoch).mean_first if by == "active" else None)
    pages = max(1, -(-len(order) // GRID_UNITS))
    page = 0
    if pages > 1:
        page = b.selectbox("Units shown", range(pages), key="inside_page", format_func=lambda p:
                           f"{p * GRID_UNITS + 1} to {min((p + 1) * GRID_UNITS, len(order))} of {len(order)}")
    units = order[page * GRID_UNITS:(page + 1) * GRID_UNITS]
    pictures = kernel[:, units].T.reshape(-1, 28, 28)
    limit = inside.symmetric_limit(kernel)
    names = [f"unit {u}" for u in units]
    st.image(pics.png(pics.colour_grid(pictures, names, -limit, limit, columns=min(16, len(units)))),
             alt=pics.grid_alt(f"Weight pictures of {len(units)} first-layer units at epoch {epoch}", names))
    st.caption(f"Units {inside.SORT_HELP[by]}; one colour scale for the whole grid, zero in white.")
    if inside.noise_note(epoch, kernel.shape[1]):
        st.info(inside.noise_note(epoch, kernel.shape[1]))
    follow_unit(run, ins, kernel.shape[1], int(units[0]))


def follow_unit(run, ins: inside.Inspector, count: int, first: int) -> None:
    """One unit's picture at epochs from 0 to the last."""
    if run.epochs_done < 1:
        return
    unit = st.columns([1, 3])[0].number_input(
        "Follow one unit across the epochs", 0, count - 1, first, key="inside_follow",
        help="A unit's number, as written under its picture.")
    epochs, pictures = ins.follow(unit)
    limit = inside.symmetric_limit(pictures)
    names = [f"epoch {e}" for e in epochs]
    st.image(pics.png(pics.colour_grid(pictures, names, -limit, limit, columns=len(epochs))),
             alt=pics.grid_alt(f"Unit {unit}'s weight picture after each epoch", names))


def hidden_map(run, epoch: int, ins: inside.Inspector) -> None:
    st.subheader("The last hidden layer's map")
    st.write(f"Each dot is one of {len(ins.sample):,} test images, placed by what the last hidden layer makes "
             "of it: images the layer sees alike sit close together. Before training the classes are mixed; "
             "as the network learns they pull apart into groups, which is what lets the output layer tell them "
             "apart with one weighted sum per class.")
    animate = run.epochs_done >= 1 and st.toggle(
        "Animate over the epochs", key="inside_animate",
        help=f"Adds a play button that steps through up to {inside.MAX_FRAMES} epochs in the browser.")
    frames = {e: v.points for e, v in ins.frames().items()} if animate else {}
    view = ins.view(epoch)
    frames[epoch] = view.points
    fig = fi.map_figure(frames, epoch, ins.labels, ins.sample, run.class_names, animate=animate)
    event = st.plotly_chart(fig, config=CHART, on_select="rerun", selection_mode="points", key="inside_map")
    st.caption("The two axes are the directions in which the last epoch's activations vary most (principal "
               "components), the same for every epoch; each epoch is drawn at the same size. Hover a dot for "
               "its class; click one to see the image.")
    if view.overflowed:
        st.warning("Some images are missing: their activations overflowed at this epoch.")
    points = (event.selection.points if event and event.selection else None) or []
    if points:
        point = points[0]
        image = int(ins.sample[ins.labels == point["curve_number"]][point["point_index"]])
        a, b = st.columns([1, 4])
        a.image(255 - run.dataset.x_test[image], width=140,
                caption=f"test image {image}: {run.class_names[run.dataset.y_test[image]]}",
                alt=f"Test image {image}, labelled {run.class_names[run.dataset.y_test[image]]}")
        if b.button("Send it through the network", key="inside_send", help="Shows it in 'One image through "
                    "the network' above."):
            st.query_params["image"] = str(image)
            st.rerun()


def health(run, epoch: int, net: inside.Network, ins: inside.Inspector) -> None:
    st.subheader("Health of each layer")
    st.write("A dead unit outputs zero for every one of the 2,000 sample images: relu passes nothing below "
             "zero, so those images give it no gradient. It comes back only if other images, or the layers "
             "before it, push its weighted sum above zero again; many never do. A learning rate that is too "
             "large kills many. "
             "'Moved' is how far a layer's weights changed in one epoch, compared with their size: large at "
             "first, smaller as training settles.")
    view, changes = ins.view(epoch), ins.weight_changes()
    names = inside.layer_names(net)
    # A Markdown table, not st.dataframe: the data grid cost the browser about 0.2 s on every visit (bench.pages).
    st.markdown(markdown_table(inside.health_rows(net, view.dead, changes, epoch),
                               align={"units": "right", "dead units": "right", "moved in this epoch": "right"}))
    if "relu" not in net.activations:
        st.caption("Dead units are counted for relu layers only: sigmoid and tanh never output exactly zero.")
    if run.epochs_done < 1:
        return
    a, b = st.columns(2)
    frames = ins.frames()
    if "relu" in net.activations:
        shares = [[frames[e].dead[i] / n for e in frames] for i, n in enumerate(net.sizes)]
        a.plotly_chart(fi.health_figure(list(frames), shares, names, "Dead units", "share of the layer", epoch),
                       config=CHART)
    moved = [changes[:, i] for i in range(changes.shape[1])]
    b.plotly_chart(fi.health_figure(list(range(1, len(changes) + 1)), moved, names, "How far the weights moved",
                                    "in one epoch", epoch if epoch >= 1 else None), config=CHART)


def main() -> None:
    st.title("Inside")
    st.write("How the network does what it does: what its units look for, what they do with one image, "
             "how they arrange the test set, and whether they are healthy, at any epoch.")
    run, epoch = choose_run()
    try:
        ins = inside.inspector(run)
        net = ins.network(epoch)
    except inside.NotInspectable as exc:
        st.info(f"{exc} Inside shows networks made of Dense layers only.")
        st.stop()
    first_layer(run, epoch, net, ins)
    one_image(run, net)
    hidden_map(run, epoch, ins)
    health(run, epoch, net, ins)
    shown = st.session_state.get("inside_shown")
    st.query_params.from_dict({**link_params(run, epoch), **({"image": str(shown)} if isinstance(shown, int) else {})})


main()
