"""Home: what the app is, the three steps, your runs and the server's recent ones."""

import streamlit as st

from app_pages.parts.form import fold
from app_pages.parts.runs import others, remember, session_runs, start_training
from mnist_core.analysis.evaluate import pct
from mnist_core.config import TrainConfig


def steps() -> None:
    """The three steps, then the pages beyond them."""
    c1, c2, c3 = st.columns(3)
    with c1:
        st.subheader("1. Explore")
        st.write("Look at the images and how they are turned into the numbers a network reads.")
        st.page_link("app_pages/data.py", label="Open Data", icon=":material/image:")
    with c2:
        st.subheader("2. Train")
        st.write("Choose layers and settings, press Train, and watch loss and accuracy after every epoch.")
        st.page_link("app_pages/train.py", label="Open Train", icon=":material/show_chart:")
    with c3:
        st.subheader("3. Test")
        st.write("Check the trained network on 10,000 test images it has never seen.")
        st.page_link("app_pages/evaluate.py", label="Open Evaluate", icon=":material/search:")

    st.write("Then draw your own digits for the network to read, look inside it at what its units learnt, "
             "and put runs side by side to see what each setting changed.")
    d1, d2, d3 = st.columns(3)
    d1.page_link("app_pages/draw.py", label="Open Draw", icon=":material/draw:")
    d2.page_link("app_pages/inside.py", label="Open Inside", icon=":material/neurology:")
    d3.page_link("app_pages/compare.py", label="Open Compare", icon=":material/compare_arrows:")
    st.info("**Never seen a neural network?** Start on Line: two kinds of points in a plane, and a network that "
            "learns a line between them, step by step. Then the lessons walk through the classic experiments "
            "on digits, one at a time; a teacher can show them to a whole room from the Class page, where "
            "everyone guesses before the result.")
    n1, n2, n3 = st.columns(3)
    n1.page_link("app_pages/line.py", label="Start on Line", icon=":material/timeline:")
    n2.page_link("app_pages/lessons.py", label="Open Lessons", icon=":material/school:")
    n3.page_link("app_pages/classroom.py", label="Teach a class", icon=":material/groups:")


def train_classic() -> None:
    classic = TrainConfig()  # the defaults are the classic first network, with 20% held back
    if st.button("Train the classic network", type="primary",
                 help=f"{classic.describe()}, with {classic.validation_fraction:.0%} of the training images held "
                      "back for validation."):
        st.session_state.dataset = classic.dataset
        st.session_state.pending_config = classic.to_dict()
        fold()
        start_training(classic)
        st.switch_page("app_pages/train.py", query_params=classic.to_dict())


def run_rows(runs: list, add: bool = False) -> None:
    """One line per run: a link to it on Train, its epochs and status, and its results."""
    for run in runs:
        config = TrainConfig.from_dict({**run.config.key().to_dict(), "epochs": str(max(run.epochs_done, 1))})
        cols = st.columns([6, 2, 2, 2], vertical_alignment="center")  # the run's whole name fits
        cols[0].page_link("app_pages/train.py", label=config.describe(), query_params=config.to_dict())
        cols[1].write(f"{run.epochs_done} epochs, {status_text(run)}")
        cols[2].write(f"test accuracy {pct(run.test_accuracy)}")
        if add:
            if cols[3].button("Add to my runs", key=f"add_{hash(config.key())}"):
                remember(run)
                st.rerun()
        else:
            best = run.best_epoch
            cols[3].write(f"best epoch {best}" if best else "no validation set")


def status_text(run) -> str:
    if getattr(run, "elsewhere", False):
        return "training on another server"
    return run.status.replace("_", " ")


def main() -> None:
    st.title("MNIST Lab")
    st.write(
        "Train a small neural network to read handwritten digits (or pictures of clothes), "
        "watch it learn epoch by epoch, and see where it goes wrong."
    )
    steps()
    st.divider()
    train_classic()
    mine = list(session_runs().values())
    st.subheader("Your runs")
    if not mine:
        st.write("None yet. Each run you train is listed here with its results, and stays listed "
                 "when you reload or come back later in this browser.")
    else:
        run_rows(list(reversed(mine)))

    recent = others(10)
    if recent:
        st.subheader("Recent runs on this server")
        st.caption("Trained by others (or by you in another browser). Open one to look at it, or add it to your list.")
        run_rows(recent, add=True)


main()
