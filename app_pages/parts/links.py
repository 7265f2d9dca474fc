"""Links: what a page's query string names (a run, an epoch, a number), and links to hand out."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit, urlunsplit

import streamlit as st

from mnist_core.config import FIELD, TrainConfig


def link_number(raw) -> int | None:
    """A whole number from a link: up to 6 digits, else None (Python refuses to read a number of
    more than 4,300 digits, and no epoch, image or step here has more than 6)."""
    return int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) <= 6 else None


def config_from_url() -> tuple[TrainConfig | None, int | None]:
    """The run configuration and epoch in the page's query string, if it names a valid one."""
    params = st.query_params.to_dict()
    epoch = params.pop("epoch", None)
    if not any(name in FIELD for name in params):  # e.g. only Inside's image: no run is named
        return None, None
    config, _ = TrainConfig.from_link(params)
    if config.problems():
        return None, None
    try:
        epoch = int(epoch) if epoch is not None else None
    except ValueError:
        epoch = None
    return config, epoch


def link_params(run, epoch: int) -> dict:
    """Query parameters that name a run (its config up to `epoch`) and an epoch; {} for a run
    that no link can name (an uploaded model)."""
    if run.config is None:
        return {}
    return {**run.config.key().to_dict(), "epochs": str(max(run.epochs_done, 1)), "epoch": str(epoch)}


def share_link(params: dict, default: str = "http://localhost:8501/") -> str:
    """The full address of this page with `params` as its query string."""
    url = urlsplit(st.context.url or default)
    return urlunsplit((url.scheme, url.netloc, url.path, urlencode(params), ""))
