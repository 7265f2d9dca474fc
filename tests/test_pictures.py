"""The Data page's pictures (mnist_core.figures.pictures): numpy and Pillow, checked pixel by pixel."""

import numpy as np

from mnist_core.figures import pictures


def digit(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (28, 28), dtype=np.uint8)


def test_ink_is_the_image_inverted_and_each_pixel_a_square():
    image = digit()
    big = pictures.ink(image, scale=3)
    assert big.shape == (84, 84) and big.dtype == np.uint8
    assert (big[::3, ::3] == 255 - image).all() and (big[2::3, 2::3] == 255 - image).all()


def test_a_grid_places_each_image_in_its_cell():
    images = np.stack([digit(s) for s in range(10)])
    picture = np.asarray(pictures.grid(images, [str(k) for k in range(10)], columns=4, scale=2))
    cell_w, cell_h = 56 + 8, 56 + 22
    assert picture.shape == (3 * cell_h, 4 * cell_w)  # ten images: three rows of four
    for k in (0, 5, 9):
        r, c = divmod(k, 4)
        x, y = c * cell_w + 4, r * cell_h + 2
        assert (picture[y:y + 56, x:x + 56] == pictures.ink(images[k], 2)).all()
    assert (picture[2 * cell_h + 2:, 2 * cell_w + 4:] == 255).all()  # the two empty cells stay white


def test_a_grids_alternative_text_reads_its_captions_in_order():
    text = pictures.grid_alt("3 training images", ["5", "0", "4"])
    assert text == "3 training images, left to right and top to bottom: 5, 0, 4"
    assert pictures.grid_alt("No images", []) == "No images"


def test_the_pixel_grid_shades_each_cell_by_its_value():
    image = digit(3)
    picture = np.asarray(pictures.pixel_numbers(image, cell=22))
    assert picture.shape == (28 * 22 + 1, 28 * 22 + 1)
    corners = picture[2::22, 2::22][:28, :28]  # inside each cell, away from its number
    assert (corners == 255 - image).all()


def test_mean_images_are_the_rounded_class_means():
    rng = np.random.default_rng(1)
    images, labels = rng.integers(0, 256, (50, 28, 28), dtype=np.uint8), np.arange(50) % 10
    means = pictures.mean_images(images, labels)
    assert len(means) == 10 and (means[3] == images[labels == 3].mean(axis=0).round()).all()


def test_colours_run_from_blue_through_white_to_red_and_nan_is_white():
    rgb = pictures.colours(np.array([-2.0, -1.0, 0.0, 1.0, 2.0, np.nan]), -1.0, 1.0)
    assert rgb.shape == (6, 3) and rgb.dtype == np.uint8
    assert rgb[0].tolist() == rgb[1].tolist() == [5, 48, 97]  # below the scale: clipped to its end
    assert rgb[2].tolist() == [247, 247, 247] and rgb[3].tolist() == rgb[4].tolist() == [103, 0, 31]
    assert rgb[5].tolist() == [255, 255, 255]
    halfway = pictures.colours(np.array([0.05]), 0.0, 1.0)[0]  # halfway between the first two stops
    assert np.abs(halfway.astype(int) - [19, 75, 134.5]).max() <= 1


def test_a_colour_grid_paints_each_picture_in_its_cell():
    images = np.random.default_rng(2).normal(size=(5, 28, 28)).astype(np.float32)
    picture = np.asarray(pictures.colour_grid(images, [f"unit {i}" for i in range(5)], -1.0, 1.0,
                                              columns=3, scale=2))
    cell_w, cell_h = 56 + 6, 56 + 20
    for k in (0, 4):
        r, c = divmod(k, 3)
        x, y = c * cell_w + 3, r * cell_h + 2
        tile = picture[y:y + 56, x:x + 56]
        assert (tile[::2, ::2] == pictures.colours(images[k], -1.0, 1.0)).all()
    assert picture.shape[0] == 2 * cell_h + pictures.BAR_HEIGHT + 26  # two rows, then the colour bar


def test_a_cell_strip_darkens_the_strongest_unit_and_leaves_no_cell_after_the_last():
    values = np.array([0.0, 0.5, 3.0, 1.0, 0.0], np.float32)
    picture = np.asarray(pictures.cell_strip(values, columns=3, cell=10))
    centre = [picture[r * 10 + 5, c * 10 + 5] for r, c in ((0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2))]
    assert centre[0].tolist() == [247, 251, 255] and centre[2].tolist() == [8, 48, 107]  # zero, the largest
    assert centre[1].sum() > centre[3].sum() > centre[2].sum()  # darker when larger
    assert centre[5].tolist() == [255, 255, 255]  # the sixth cell: there is no sixth unit


def test_png_keeps_every_pixel():
    import io

    from PIL import Image

    picture = pictures.colour_grid(np.random.default_rng(4).normal(size=(3, 28, 28)), ["a", "b", "c"], -1.0, 1.0)
    data = pictures.png(picture)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (np.asarray(Image.open(io.BytesIO(data))) == np.asarray(picture)).all()  # lossless, unlike a JPEG
