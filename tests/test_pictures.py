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
