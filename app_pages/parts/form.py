"""The Train page's settings form, drawn from the settings table (mnist_core.config.FIELDS).

Every widget takes its label, limits, step, choices with their titles and help
from the table; this module only decides where each one sits. A widget's key is
"f_" + the setting's name ("f_hidden_0", "f_dropout_0" for the layers). `read_settings`
fills the form from a link, the Home button or the session's last config.
"""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from app_pages.parts.links import link_number
from mnist_core.config import FIELD, NUMBER, SLIDER, Field, TrainConfig

# Where each setting sits: three columns. The dataset is chosen in the sidebar.
COLUMNS = {
    "Network": ("hidden", "activation"),
    "Learning": ("optimizer", "learning_rate", "loss", "epochs", "batch_size"),
    "Data": ("train_samples", "validation", "normalize", "augment", "seed", "early_stopping", "keep_best"),
}


FORM = "form_config"  # the last config this session's form described, as a dict of strings


GIVEN = "train_settings_given"  # this session came to Train with settings (see `chosen`)

def key(name: str) -> str:
    return f"f_{name}"


def load_form(values: dict) -> list[str]:
    """Put a config (a dict of strings, as in a link) into the widgets; a note for each change made."""
    config, notes = TrainConfig.from_link({k: v for k, v in values.items() if k not in ("dataset", "epoch")})
    state = st.session_state
    for name in (n for names in COLUMNS.values() for n in names):
        if FIELD[name].kind in ("choice", "int", "float", "bool"):
            state[key(name)] = getattr(config, name)
    state[key("layers")] = len(config.hidden)
    for i, (units, rate) in enumerate(zip(config.hidden, config.dropout)):
        state[key(f"hidden_{i}")], state[key(f"dropout_{i}")] = units, rate
    state[key("validation")] = config.validation.split(":")[0]
    state[key("validation_fraction")] = config.validation_fraction or FIELD["validation"].suggested
    state[key("train_samples")] = config.train_samples or FIELD["train_samples"].high
    return notes


def widget(field: Field, *, name: str | None = None, label: str | None = None, **options):
    """The widget for one value of `field` (a number, a choice or a switch), from the table."""
    name, label = name or field.name, label or field.label
    if field.kind == "choice":
        return st.selectbox(label, field.values, format_func=field.title, key=key(name), help=field.full_help)
    if field.kind == "bool":
        return st.toggle(label, key=key(name), help=field.full_help)
    whole = field.kind in ("int", "units", "samples")
    low, high, step = (int(v) if whole else v for v in (field.low, field.high, field.step))
    if field.widget == SLIDER:
        return st.slider(label, low, high, step=step, key=key(name), help=field.full_help, **options)
    assert field.widget == NUMBER
    return st.number_input(label, low, high, step=step, format=field.number_format, key=key(name),
                           help=field.full_help, **options)


def _layers() -> dict:
    units, rates = FIELD["hidden"], FIELD["dropout"]
    count = st.number_input(units.sub_label, *units.layers, key=key("layers"), help=units.sub_help)
    hidden, dropout = [], []
    for i in range(count):
        a, b = st.columns(2)
        st.session_state.setdefault(key(f"hidden_{i}"), units.default[0])
        st.session_state.setdefault(key(f"dropout_{i}"), rates.default[0])
        with a:
            hidden.append(widget(units, name=f"hidden_{i}", label=f"Layer {i + 1} {units.noun}"))
        with b:
            dropout.append(widget(rates, name=f"dropout_{i}", label=f"Layer {i + 1} {rates.noun}"))
    return {"hidden": tuple(hidden), "dropout": tuple(dropout)}


def _validation() -> str:
    field = FIELD["validation"]
    kind = st.selectbox(field.label, field.values, format_func=field.title, key=key("validation"),
                        help=field.full_help)
    fraction = widget(field, name="validation_fraction", label=field.sub_label, disabled=kind != "split")
    return f"split:{fraction:g}" if kind == "split" else kind


def _value(name: str):
    if name == "hidden":
        return _layers()
    if name == "validation":
        return {"validation": _validation()}
    value = widget(FIELD[name])
    if name == "train_samples" and value >= FIELD[name].high:
        value = None  # every training image
    return {name: value}


OPEN = "settings_open"  # the form's expander: open, or folded to one line after Train
FOLD = "fold_form"


def fold() -> None:
    """Fold the form to its one-line summary on the next run (a widget's state cannot change once it
    is drawn), so the progress and charts fit on a projected screen."""
    st.session_state[FOLD] = True


def starts_open(given: bool, trained: bool) -> bool:
    """Whether the form starts open on a visit to Train. Open for a learner setting up a run;
    folded to its one line when the settings were given (a link, Home, a lesson: Train is the
    next thing to press) or their run is trained (its results are what to look at), so that
    Train or the results show in the first screen."""
    return not (given or trained)


def settings_form(dataset: str, summary: str | None = None, folded: bool = False) -> TrainConfig:
    """Draw the form and return the config it describes (which may have problems to show).
    `summary` describes the settings as they stand, for the label of the folded form; with
    `folded` (and a summary) the form starts folded on this visit."""
    values = {"dataset": dataset}
    if st.session_state.pop(FOLD, False) and summary:
        st.session_state[OPEN] = False
    st.session_state.setdefault(OPEN, not (folded and summary))
    label = f"Settings: {summary} (open to change)" if summary and not st.session_state[OPEN] \
        else "Network and training settings"
    with st.expander(label, key=OPEN, on_change="rerun"):
        for column, (title, names) in zip(st.columns(len(COLUMNS)), COLUMNS.items()):
            with column:
                st.markdown(f"**{title}**")
                for name in names:
                    values.update(_value(name))
    return TrainConfig(**values)


def chosen(config: TrainConfig) -> bool:
    """Whether the learner chose these settings (a link, Home, a lesson, or the form changed from its
    defaults): only then does the server's run of them join the learner's list by being shown."""
    return st.session_state.get(GIVEN, False) or config.key() != TrainConfig(dataset=config.dataset).key()


def given_by_link(params: dict) -> bool:
    """A link names settings (not only the dataset or an epoch)."""
    return any(k not in ("dataset", "epoch") for k in params)


def read_settings(trained: Callable[[TrainConfig], bool] = lambda config: False) -> TrainConfig:
    """The form, filled from a shared link, the Home button or this session's last config.
    `trained(config)` says whether the run of those settings is trained (see `starts_open`)."""
    # Streamlit forgets a widget's value when another page is shown, so the form is
    # refilled from the last config this session used (or a link, on a first visit).
    pending = st.session_state.pop("pending_config", None)
    given = False
    if pending or "f_layers" not in st.session_state:
        first_visit = FORM not in st.session_state
        if first_visit and not pending and link_number(st.query_params.get("epoch")) is not None:
            st.session_state.link_epoch = link_number(st.query_params.get("epoch"))
        source = pending or (st.query_params.to_dict() if first_visit else st.session_state[FORM])
        given = bool(pending) or (first_visit and given_by_link(source))
        st.session_state[GIVEN] = st.session_state.get(GIVEN, False) or given
        notes = load_form(source)
        if notes and first_visit:
            st.session_state.link_notes = notes
    slot = st.empty()  # the link's notes, above the form
    dataset = st.session_state.get("dataset", "mnist")  # the sidebar's
    shown = pending or st.session_state.get(FORM) or (source if given else None)
    loaded = TrainConfig.from_link({**shown, "dataset": dataset})[0] if shown else None  # as the form holds it
    folded = OPEN not in st.session_state and loaded is not None and not starts_open(given, trained(loaded))
    config = settings_form(dataset, loaded.describe() if loaded else None, folded)
    if "link_notes" in st.session_state:  # shown until the learner changes a setting
        if st.session_state.get(FORM, config.to_dict()) != config.to_dict():
            del st.session_state["link_notes"]
        else:
            slot.info("Some settings in the link were changed or not used: " + "; ".join(st.session_state.link_notes))
    st.session_state[FORM] = config.to_dict()
    st.query_params.from_dict(config.to_dict())  # a reload or a copied link keeps this setup
    return config
