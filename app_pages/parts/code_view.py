"""A run as code: the plain Keras script and notebook that reproduce it (mnist_core.teaching.code_export)."""

import streamlit as st

from mnist_core.config import TrainConfig
from mnist_core.teaching import code_export as export


def code_view(config: TrainConfig, key: str, label: str = "Code: these settings as a Keras script") -> None:
    """An expander with the script, and downloads of it and of the same as a notebook. The script is
    drawn only while the expander is open (its key: `{key}_code_open`): highlighting a long script
    costs the browser a few hundred milliseconds on every run of the page."""
    with st.expander(label, icon=":material/code:", key=f"{key}_code_open", on_change="rerun") as box:
        if box.open:
            code_body(config, key)


def code_body(config: TrainConfig, key: str) -> None:
    text = export.script(config)
    st.caption("The same network written the way the classic material writes it, with Keras' model.fit. The app "
               "trains with its own compiled loop, so the script's numbers land near the app's, about as near as "
               "another seed's. Run it from the app's folder, or set MNIST_LAB_DATA to the folder of the data files.")
    st.code(text, language="python")
    stem = export.file_stem(config)
    a, b = st.columns(2)
    a.download_button("Download the script (.py)", text, file_name=f"{stem}.py", mime="text/x-python",
                      key=f"{key}_py", on_click="ignore", icon=":material/download:")
    b.download_button("Download the notebook (.ipynb)", export.notebook_text(config), file_name=f"{stem}.ipynb",
                      mime="application/x-ipynb+json", key=f"{key}_ipynb", on_click="ignore",
                      icon=":material/download:")
