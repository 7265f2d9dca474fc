import numpy as np

from mnist_core.config import TrainConfig
from mnist_core.data.datasets import load_dataset
from mnist_core.model.preprocess import describe_steps, one_hot, prepare


def test_classic_preprocessing_shapes_and_ranges():
    p = prepare(TrainConfig(validation="none"), load_dataset("mnist"))
    assert p.x_fit.shape == (60000, 784) and p.x_fit.dtype == np.uint8  # converted per batch
    x = p.fit_images()
    assert x.dtype == np.float32 and x.min() == 0.0 and x.max() == 1.0
    assert p.y_fit.shape == (60000, 10) and set(np.unique(p.y_fit)) == {0.0, 1.0}
    assert np.all(p.y_fit.sum(axis=1) == 1)
    assert p.x_val is None and p.x_test.shape == (10000, 784)


def test_raw_inputs_stay_0_to_255_and_sparse_labels_are_integers():
    p = prepare(TrainConfig(normalize=False, loss="sparse_categorical_crossentropy", validation="none"),
                load_dataset("mnist"))
    assert p.fit_images().max() == 255.0
    assert p.y_fit.shape == (60000,) and p.y_fit.dtype == np.int32


def test_split_holds_back_the_last_fraction_of_the_limited_set():
    ds = load_dataset("mnist")
    p = prepare(TrainConfig(train_samples=1000, validation="split:0.2"), ds)
    assert len(p.x_fit) == 800 and len(p.x_val) == 200
    assert np.array_equal(p.y_val.argmax(1), ds.y_train[800:1000])


def test_test_set_as_validation():
    p = prepare(TrainConfig(validation="test", train_samples=500), load_dataset("mnist"))
    assert p.validation_is_test and p.x_val is p.x_test


def test_one_hot():
    assert one_hot(np.array([0, 3])).tolist()[1] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]


def test_describe_steps_reports_shapes_dtypes_and_ranges():
    steps = describe_steps(TrainConfig(validation="split:0.2"), load_dataset("mnist"))
    by_name = {s.name: s for s in steps}
    assert by_name["raw images"].shape == (60000, 28, 28) and by_name["raw images"].dtype == "uint8"
    assert by_name["raw images"].value_range == "0 to 255"
    assert by_name["flattened"].shape == (60000, 784)
    assert by_name["scaled"].dtype == "float32" and by_name["scaled"].high == 1.0
    assert by_name["labels one-hot"].shape == (60000, 10)
    assert by_name["training part"].shape == (48000, 784)
    assert all(s.why for s in steps)


def test_per_batch_conversion_in_training_equals_prepare():
    import tensorflow as tf

    ds = load_dataset("mnist")
    p = prepare(TrainConfig(train_samples=1000, validation="split:0.2"), ds)
    assert p.x_fit.shape == (800, 784) and p.x_val.shape == (200, 784) and p.x_val.dtype == np.float32
    in_training = (tf.cast(tf.constant(p.x_fit), tf.float32) / 255.0).numpy()
    assert np.array_equal(in_training, p.fit_images())
    assert np.array_equal(p.x_val, ds.x_train[800:1000].reshape(200, 784) / np.float32(255))
