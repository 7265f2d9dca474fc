"""Draw: draw a digit or a piece of clothing (or upload a picture) and see what the network reads.

The drawing is made into a 28x28 image the way the model's dataset was made
(mnist_core.input.canvas: the digit recipe, or the clothing one for Fashion-MNIST).

Any run will do: the shipped default model, one of this session's runs (at any of
its epochs) or an uploaded model. Predictions of the first two are numpy, so this
page never loads TensorFlow for them.
"""

import numpy as np
import streamlit as st
from PIL import Image

from app_pages.parts.css import last_on_a_phone
from app_pages.parts.picker import choose_model
from mnist_core.figures import charts as figures
from mnist_core.input.canvas import MAX_PICTURE_BYTES, DrawingError, prepare_drawing, read_picture, recipe_for

CANVAS_SIZE = 280
STROKE = 20  # a 20 px brush on a digit about 200 px tall: MNIST's stroke-to-box ratio
WIDE_STROKE = 32  # clothes are filled shapes: a wider brush fills them in fewer strokes


def drawing_input(recipe):
    """The pixels of the canvas, a handed-in drawing or an uploaded picture (None: nothing yet)."""
    st.write("")  # room for the canvas's own toolbar, which floats above it
    st.session_state.setdefault("canvas_round", 0)
    pixels = None
    try:
        from streamlit_drawable_canvas import st_canvas

        result = st_canvas(stroke_width=WIDE_STROKE if recipe.box == 28 else STROKE, stroke_color="#000000", height=CANVAS_SIZE,
                           width=CANVAS_SIZE, drawing_mode="freedraw", return_image_data=True,
                           update_streamlit=True, key=f"canvas_{st.session_state.canvas_round}")
        pixels = result.image_data
    except Exception as exc:  # the component cannot run (AppTest, an old browser)
        st.warning(f"The drawing canvas is not available here ({type(exc).__name__}); "
                   "upload a picture instead.")
    tools = st.container(key="draw_tools")  # on a phone, shown below the prediction (see main)
    if tools.button("Clear", help="Wipe the canvas."):
        st.session_state.canvas_round += 1
        st.rerun()
    upload = tools.file_uploader(f"Or upload a picture of {recipe.thing}", type=["png", "jpg", "jpeg"],
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
    return pixels


def show_prediction(run, epoch: int, drawing) -> None:
    try:
        probs = run.predict(drawing.image[None], epoch)[0]
    except Exception as exc:  # an uploaded model can fail in ways of its own: say so, here only
        st.error(f"The {run.label} could not read the drawing ({type(exc).__name__}: {str(exc)[:200]}).")
        return
    names = run.class_names
    top = int(np.argmax(probs))
    a, b = st.columns([1, 1])
    a.metric("Prediction", names[top], delta=f"{probs[top]:.0%} sure", delta_color="off",
             delta_arrow="off")
    b.image(Image.fromarray(255 - drawing.image).resize((112, 112), Image.Resampling.NEAREST),
            caption="What the network sees: 28x28", alt="Your drawing as the network reads it: 28 by 28 pixels")
    st.plotly_chart(figures.probability_figure(probs, names), config={"displayModeBar": False})


def main() -> None:
    st.title("Draw")
    intro = st.empty()  # the sentence names what to draw, which depends on the model chosen below
    run, epoch = choose_model("draw")
    recipe = recipe_for(run.dataset.name)
    intro.write(f"Draw {recipe.thing} and see what the network thinks it is, every time you lift the pen.")
    # Side by side on a wide screen; on a phone, where columns stack, the prediction comes right
    # after the canvas, before Clear and the upload: in view while drawing.
    last_on_a_phone("draw_tools")
    left, right = st.columns([1, 1])
    with left:
        pixels = drawing_input(recipe)
    try:
        drawing = prepare_drawing(pixels, recipe) if pixels is not None else None
    except DrawingError as exc:
        st.error(f"That picture cannot be used: {exc}.")
        st.stop()
    with right:
        if drawing is None or not drawing.ok:
            st.info(drawing.hint if drawing is not None else f"Draw {recipe.thing} on the canvas, large and in the middle.")
            st.stop()
        show_prediction(run, epoch, drawing)
        if st.button("See it inside the network", icon=":material/neurology:",
                     help="The Inside page follows your drawing through each layer of the network."):
            st.session_state.inside_from = (run, epoch)
            st.session_state.inside_drawing = drawing.image
            st.switch_page("app_pages/inside.py")
    st.caption(recipe.steps)
    if run.epochs_done > 1:
        over = run.predict_over_epochs(drawing.image[None])[:, 0, :]
        st.plotly_chart(figures.epoch_probability_figure(over, run.class_names, epoch),
                        config={"displayModeBar": False})


main()
