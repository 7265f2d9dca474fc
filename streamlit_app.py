"""MNIST Lab: entry point. `streamlit run streamlit_app.py`."""

import streamlit as st

st.set_page_config(page_title="MNIST Lab", page_icon="🔢")
st.title("MNIST Lab")
st.write("Train a dense neural network on handwritten digits and watch it learn. "
         "The app is being built; the engine is ready: try `python -m mnist_core train`.")
