"""Draw: draw a digit (or upload a picture) and see what the network reads, stroke by stroke."""

import numpy as np
import streamlit as st
from PIL import Image

from app_pages.common import selected, session_runs
from mnist_core import figures
from mnist_core.canvas import MAX_PICTURE_BYTES, DrawingError, prepare_drawing, read_picture
from mnist_core.data import CLASS_NAMES
from mnist_core.inference import DEFAULT_MODEL, forward, load_run_file, predict_over_epochs

CANVAS_SIZE = 280
STROKE = 20  # a 20 px brush on a digit about 200 px tall: MNIST's stroke-to-box ratio

st.title("Draw")
st.write("Draw a digit and see what the network thinks it is, every time you lift the pen.")


@st.cache_resource(show_spinner=False)
def default_run():
    """The classic network, trained once with the command in the README and shipped."""
    return load_run_file(DEFAULT_MODEL, name="default MNIST model")


# --- which model -------------------------------------------------------------------
runs = [r for r in session_runs().values() if r.epochs_done and r.status != "diverged"]
chosen_run, chosen_epoch = selected()
imported = st.session_state.get("imported", [])
options = [default_run()] + runs + imported


def label(i: int) -> str:
    run = options[i]
    if i > len(runs):
        return f"Imported model {run.name}"
    if i == 0:
        return f"Default MNIST model (classic network, {run.epochs_done} epochs)"
    return f"Your run: {run.config.describe()}"


start = options.index(chosen_run) if chosen_run in runs else 0
index = st.selectbox("Model", range(len(options)), index=start, format_func=label,
                     help="The run and epoch chosen on Train are used by default.")
run = options[index]
is_imported = index > len(runs)
if is_imported:
    epoch, names, normalize = None, CLASS_NAMES[st.session_state.get("dataset", "mnist")], True
    st.caption(f"Using the imported model {run.name}; its classes are read as "
               f"{'digits' if names[0] == '0' else 'clothes'} (the dataset chosen in the sidebar).")
else:
    epoch = chosen_epoch if run is chosen_run else run.final_epoch
    if run.epochs_done > 1:
        epoch = st.slider("After epoch", 1, run.epochs_done, epoch, key=f"draw_epoch_{index}",
                          help="Use the weights the network had after this epoch.")
    names, normalize = CLASS_NAMES[run.config.dataset], run.config.normalize
    which = "the default MNIST model" if index == 0 else "your run " + run.config.describe()
    st.caption(f"Using {which}, with its weights after epoch {epoch} of {run.epochs_done}.")
    if run.config.dataset == "fashion_mnist":
        st.info("This model learnt clothes (Fashion-MNIST). The canvas is made for digits, "
                "so its answers will be one of the ten clothing classes.")

# --- the drawing --------------------------------------------------------------------
left, right = st.columns([1, 1])
with left:
    st.write("")  # room for the canvas's own toolbar, which floats above it
    st.session_state.setdefault("canvas_round", 0)
    pixels = None
    try:
        from streamlit_drawable_canvas import st_canvas

        result = st_canvas(stroke_width=STROKE, stroke_color="#000000", height=CANVAS_SIZE,
                           width=CANVAS_SIZE, drawing_mode="freedraw", return_image_data=True,
                           update_streamlit=True, key=f"canvas_{st.session_state.canvas_round}")
        pixels = result.image_data
    except Exception as exc:  # the component cannot run (AppTest, an old browser)
        st.warning(f"The drawing canvas is not available here ({type(exc).__name__}); "
                   "upload a picture instead.")
    if st.button("Clear", help="Wipe the canvas."):
        st.session_state.canvas_round += 1
        st.rerun()
    upload = st.file_uploader("Or upload a picture of a digit", type=["png", "jpg", "jpeg"],
                              max_upload_size=MAX_PICTURE_BYTES // 2**20,
                              help="Dark ink on light paper, or light on dark; up to 5 MB.")

if "draw_pixels" in st.session_state:  # a drawing handed in directly (tests, or a later feature)
    pixels = st.session_state.draw_pixels
if upload is not None:
    try:
        pixels = read_picture(upload.getvalue(), upload.name)
    except DrawingError as exc:
        st.error(f"{exc}.")
        st.stop()

try:
    drawing = prepare_drawing(pixels) if pixels is not None else None
except DrawingError as exc:
    st.error(f"That picture cannot be used: {exc}.")
    st.stop()

with right:
    if drawing is None or not drawing.ok:
        st.info(drawing.hint if drawing is not None else "Draw a digit on the canvas, large and in the middle.")
        st.stop()
    x = drawing.as_input(normalize)
    probs = run.predict(x)[0] if is_imported else forward(run.weights_at(epoch), run.config.activation, x)[0]
    top = int(np.argmax(probs))
    a, b = st.columns([1, 1])
    a.metric("Prediction", names[top], delta=f"{probs[top]:.0%} sure", delta_color="off",
             delta_arrow="off")
    b.image(Image.fromarray(255 - drawing.image).resize((112, 112), Image.Resampling.NEAREST),
            caption="What the network sees: 28x28")
    st.plotly_chart(figures.probability_figure(probs, names), config={"displayModeBar": False})

st.caption("The drawing is cropped to its ink, scaled to fit 20x20 pixels and centred by its centre of "
           "mass in a 28x28 square, exactly as the MNIST digits were prepared.")
if not is_imported and run.epochs_done > 1:
    over = predict_over_epochs(run, x)[:, 0, :]
    st.plotly_chart(figures.epoch_probability_figure(over, names, epoch), config={"displayModeBar": False})
