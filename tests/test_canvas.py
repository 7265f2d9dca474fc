"""The canvas recipe: drawings become MNIST-like 28x28 inputs."""

import dataclasses

import numpy as np
import pytest

from mnist_core.config import TrainConfig
from mnist_core.data.datasets import load_dataset
from mnist_core.input.canvas import (
    CLOTHING,
    COM_TARGET,
    DIGITS,
    DrawingError,
    centre_of_mass,
    ink_map,
    prepare_drawing,
)
from mnist_core.model.inference import forward
from mnist_core.model.preprocess import prepare_images
from mnist_core.model.runs import DEFAULT_MODEL, load_run_file
from tests.canvas_samples import as_canvas


def canvas(draw) -> np.ndarray:
    """A 280x280 RGBA canvas, transparent, with black strokes drawn by `draw(alpha)`."""
    rgba = np.zeros((280, 280, 4), np.uint8)
    draw(rgba[..., 3])
    return rgba


def bar(alpha, top=60, bottom=220, left=130, right=150):
    alpha[top:bottom, left:right] = 255


def ring(alpha, cy=140, cx=140, r=70, width=20):
    yy, xx = np.indices(alpha.shape)
    d = np.hypot(yy - cy, xx - cx)
    alpha[(d > r - width / 2) & (d < r + width / 2)] = 255


def check_mnist_like(image):
    assert image.shape == (28, 28) and image.dtype == np.uint8
    cy, cx = centre_of_mass(image)
    assert abs(cy - COM_TARGET) <= 1 and abs(cx - COM_TARGET) <= 1
    ys, xs = np.nonzero(image)
    assert ys.max() - ys.min() + 1 <= 21 and xs.max() - xs.min() + 1 <= 21  # the 20x20 box (+ rounding)
    assert image.max() >= 240  # full-strength ink (JPEG noise may take off a little)


def test_blank_canvas_gets_a_hint_not_an_image():
    d = prepare_drawing(canvas(lambda a: None))
    assert not d.ok and "empty" in d.hint


def test_a_tiny_scribble_is_too_little_ink():
    d = prepare_drawing(canvas(lambda a: a.__setitem__((slice(100, 104), slice(100, 104)), 255)))
    assert not d.ok and "too little ink" in d.hint


@pytest.mark.parametrize("draw", [
    lambda a: bar(a),  # a plain 1
    lambda a: bar(a, 5, 60, 5, 15),  # small, in a corner
    lambda a: bar(a, 0, 280, 100, 180),  # huge and thick
    lambda a: bar(a, 40, 240, 139, 141),  # a 2-pixel hairline
    lambda a: ring(a, 200, 80, 50, 6),  # thin ring, off-centre
    lambda a: ring(a, 140, 140, 100, 60),  # fat ring filling the canvas
])
def test_drawings_come_out_centred_in_a_20_pixel_box(draw):
    d = prepare_drawing(canvas(draw))
    assert d.ok
    check_mnist_like(d.image)


def test_position_and_size_do_not_matter():
    a = prepare_drawing(canvas(lambda x: ring(x, 140, 140, 70, 20))).image
    b = prepare_drawing(canvas(lambda x: ring(x, 70, 200, 35, 10))).image
    assert np.abs(a.astype(int) - b).mean() < 6  # the same ring, half the size, elsewhere


def test_ink_is_read_from_alpha_or_from_colour():
    alpha_only = canvas(bar)  # RGB all zero: only alpha says where the ink is
    white_on_black = np.zeros((280, 280, 3), np.uint8)
    bar(white_on_black[..., 0]), bar(white_on_black[..., 1]), bar(white_on_black[..., 2])
    black_on_white = 255 - white_on_black
    opaque_rgba = np.dstack([black_on_white, np.full((280, 280), 255, np.uint8)])
    images = [prepare_drawing(p).image for p in (alpha_only, white_on_black, black_on_white, opaque_rgba)]
    for img in images[1:]:
        assert np.array_equal(img, images[0])
    assert ink_map(black_on_white.astype(np.float32) / 255).max() == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [np.zeros((280,)), np.zeros((280, 280, 2)), np.zeros((4, 4)),
                                 np.array([["a"] * 10] * 10)])
def test_wrong_shape_or_dtype_is_a_clear_error(bad):
    with pytest.raises(DrawingError, match="expected"):
        prepare_drawing(bad)


def test_scaling_follows_the_training_data():
    d = prepare_drawing(canvas(bar))
    assert d.as_input(normalize=True).max() == 1.0
    assert d.as_input(normalize=False).max() == 255.0
    assert d.as_input().shape == (1, 784)


def test_mnist_digits_survive_the_recipe_unchanged():
    ds = load_dataset("mnist")
    for img in ds.x_test[:50]:
        again = prepare_drawing(np.pad(img, 30)).image
        assert np.abs(again.astype(int) - img).mean() < 8


def test_redrawn_test_digits_are_read_within_two_points():
    """A sample of the robustness benchmark (bench/canvas_robustness.py runs all 10,000)."""
    run = load_run_file(DEFAULT_MODEL)
    weights = run.weights_at(run.final_epoch)
    ds = load_dataset("mnist")
    rng = np.random.default_rng(7)
    idx = rng.choice(len(ds.x_test), 600, replace=False)
    direct = forward(weights, "relu", prepare_images(ds.x_test[idx])).argmax(1)
    drawn = np.array([forward(weights, "relu", prepare_drawing(as_canvas(ds.x_test[i], rng)).as_input())[0]
                      for i in idx]).argmax(1)
    acc_direct = (direct == ds.y_test[idx]).mean()
    acc_drawn = (drawn == ds.y_test[idx]).mean()
    assert acc_drawn >= acc_direct - 0.02, (acc_direct, acc_drawn)


def test_fashion_images_survive_the_clothing_recipe_unchanged():
    """Cropped to the object, its longer side 28 px, centred by its box: Fashion-MNIST's own steps
    (without the sharpening, which a second pass would apply twice)."""
    ds = load_dataset("fashion_mnist")
    geometry = dataclasses.replace(CLOTHING, sharpen=False)
    same = [np.array_equal(prepare_drawing(np.pad(img, 30), geometry).image, img) for img in ds.x_test[:300]]
    assert np.mean(same) > 0.8  # the rest differ where a faint edge sits below the crop's threshold
    digit_way = prepare_drawing(np.pad(ds.x_test[0], 30), DIGITS).image
    assert not np.array_equal(digit_way, ds.x_test[0])


def test_redrawn_clothes_are_read_with_the_clothing_recipe_not_the_digit_one():
    from mnist_core.training.trainer import train

    run = train(TrainConfig(dataset="fashion_mnist", hidden=(128,), epochs=2, train_samples=5000))
    weights = run.weights_at(run.final_epoch)
    ds = load_dataset("fashion_mnist")
    rng = np.random.default_rng(3)
    idx = rng.choice(len(ds.x_test), 400, replace=False)
    canvases = [as_canvas(ds.x_test[i], rng) for i in idx]

    def accuracy(inputs):
        return (forward(weights, "relu", inputs).argmax(1) == ds.y_test[idx]).mean()

    direct = accuracy(prepare_images(ds.x_test[idx]))
    clothing = accuracy(np.concatenate([prepare_drawing(c, CLOTHING).as_input() for c in canvases]))
    digits = accuracy(np.concatenate([prepare_drawing(c, DIGITS).as_input() for c in canvases]))
    assert clothing >= direct - 0.04 and clothing > digits + 0.2, (direct, clothing, digits)


def test_the_hints_name_what_to_draw():
    blank = np.zeros((280, 280, 4), np.uint8)
    assert "draw a piece of clothing" in prepare_drawing(blank, CLOTHING).hint
    assert "draw a digit" in prepare_drawing(blank).hint


def png_bytes(array: np.ndarray, fmt="PNG") -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt)
    return buf.getvalue()


def test_an_uploaded_photo_of_a_digit_is_read():
    from mnist_core.input.canvas import read_picture

    paper = np.full((400, 300, 3), 235, np.uint8)  # grey-white paper, dark ink
    paper[80:320, 140:165] = 30
    for fmt in ("PNG", "JPEG"):
        d = prepare_drawing(read_picture(png_bytes(paper, fmt), "one.png"))
        assert d.ok
        check_mnist_like(d.image)


def test_bad_uploads_get_clear_messages():
    from mnist_core.input.canvas import read_picture

    with pytest.raises(DrawingError, match="notes.png is not a PNG or JPEG picture"):
        read_picture(b"just some text, renamed", "notes.png")
    with pytest.raises(DrawingError, match="big.png is 50.0 MB; pictures up to 5 MB"):
        read_picture(b"\\x89PNG" + bytes(50 * 2**20), "big.png")
    with pytest.raises(DrawingError, match="GIF file"):
        read_picture(png_bytes(np.zeros((20, 20), np.uint8), "GIF"), "anim.png")
