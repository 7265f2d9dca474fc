"""What a lesson's runs did, drawn the same way on the Lessons page and on a class's pages."""

import streamlit as st

from mnist_core.figures import charts as figures
from mnist_core.figures.classroom import ROOM_FAMILY
from mnist_core.teaching import lessons as L

CHART = {"displayModeBar": False}
TITLES = {"test_accuracy": "Test accuracy by epoch", "val_accuracy": "Validation accuracy by epoch",
          "val_loss": "Validation loss by epoch", "loss": "Loss by epoch", "accuracy": "Accuracy by epoch"}


def chart(lesson: L.Lesson, runs: list, projected: bool = False, height: int = 280) -> None:
    """The lesson's chart; `projected`: `height` pixels tall, in the large type of a projected page
    (Streamlit's chart theme would shrink the type again, so it is not used there)."""
    if lesson.chart == "baseline":
        run = runs[0]
        fig = figures.bars_figure(["chance", "before training", "after 1 epoch"],
                                  [0.1, run.baseline_accuracy, run.history[0].test_accuracy], "Test accuracy")
    elif len(runs) == 1 and lesson.chart in ("loss", "accuracy"):
        fig = figures.curve_figure([r.as_dict() for r in runs[0].history], lesson.chart, runs[0].best_epoch)
    else:
        curves = [(name, [r.as_dict() for r in run.history], run.best_epoch)
                  for (name, _), run in zip(lesson.runs, runs)]
        fig = figures.overlay_figure(curves, lesson.chart, TITLES.get(lesson.chart, lesson.chart))
    if projected:
        fig.update_layout(height=height, font=dict(size=18, family=ROOM_FAMILY), title_font=dict(size=22),
                          paper_bgcolor="white", plot_bgcolor="white", margin=dict(l=10, r=10, t=50, b=10))
        fig.update_xaxes(gridcolor="#e9ecef", automargin=True)
        fig.update_yaxes(gridcolor="#e9ecef", automargin=True)
    st.plotly_chart(fig, config=CHART, theme=None if projected else "streamlit")


def outcome_table(outcome: L.Outcome) -> None:
    st.dataframe([{"": what, "here": value, "the classic material": ref} for what, value, ref in outcome.rows],
                 hide_index=True)


def your_guess(lesson: L.Lesson, guessed: int, outcome: L.Outcome) -> None:
    if guessed == outcome.answer:
        st.success(f"You guessed: {lesson.guesses[guessed]}. That is what happened.")
    else:
        st.warning(f"You guessed: {lesson.guesses[guessed]}. What happened: {lesson.guesses[outcome.answer]}.")
