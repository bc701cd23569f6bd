"""Dataset constants, where the files are found, and loading (tiny synthetic and real MNIST)."""

import hashlib
import sys
from pathlib import Path

import numpy as np
import pytest

from nn.data import folders
from nn.data.datasets import DATASETS, FASHION_MNIST, MNIST, find_data_dir, load_dataset
from nn.network.errors import DataError
from nn.data.idx import write_idx
from tests.nn.makers import write_tiny_dataset
from tests.real_data import real_dataset_dir

FILE_NAMES = [
    "train-images-idx3-ubyte.gz",
    "train-labels-idx1-ubyte.gz",
    "t10k-images-idx3-ubyte.gz",
    "t10k-labels-idx1-ubyte.gz",
]


@pytest.fixture(autouse=True)
def isolated_places(tmp_path, monkeypatch):
    """No test sees the developer's DIGITLAB_DATA, checkout data/ or per-user folder."""
    monkeypatch.delenv("DIGITLAB_DATA", raising=False)
    monkeypatch.setenv("DIGITLAB_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(folders, "_CHECKOUT_DATA_DIR", tmp_path / "checkout" / "data")


# --- constants -------------------------------------------------------------------------------

def test_dataset_constants():
    assert DATASETS == {"mnist": MNIST, "fashion-mnist": FASHION_MNIST}
    for info in DATASETS.values():
        assert list(info.files.values()) == FILE_NAMES
        assert set(info.sha256) == set(FILE_NAMES)
        assert len(info.class_names) == 10
        assert all(mirror.startswith("http") and mirror.endswith("/") for mirror in info.mirrors)
    assert MNIST.class_names == tuple("0123456789")
    assert FASHION_MNIST.class_names[0] == "T-shirt/top"
    assert FASHION_MNIST.class_names[-1] == "Ankle boot"


@pytest.mark.parametrize("info, folder", [(MNIST, "mnist"), (FASHION_MNIST, "fashion-mnist")])
def test_sha256_constants_match_the_real_files(info, folder):
    folder = real_dataset_dir(folder)
    for filename, expected in info.sha256.items():
        assert hashlib.sha256((folder / filename).read_bytes()).hexdigest() == expected, filename


# --- user_data_dir ---------------------------------------------------------------------------

def test_digitlab_home_overrides_user_data_dir(tmp_path):
    assert folders.user_data_dir() == tmp_path / "home"
    assert (folders.user_dataset_dir(FASHION_MNIST)
            == tmp_path / "home" / "datasets" / "fashion-mnist")


def test_user_data_dir_follows_platform_conventions(tmp_path, monkeypatch):
    monkeypatch.delenv("DIGITLAB_HOME")
    monkeypatch.setattr(Path, "home", staticmethod(lambda: tmp_path))
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert folders.user_data_dir() == tmp_path / "xdg" / "digitlab"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert folders.user_data_dir() == tmp_path / ".local" / "share" / "digitlab"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert folders.user_data_dir() == tmp_path / "Library" / "Application Support" / "DigitLab"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert folders.user_data_dir() == tmp_path / "local" / "DigitLab"


# --- discovery -------------------------------------------------------------------------------

def test_discovery_order_explicit_env_checkout_user(tmp_path, monkeypatch):
    explicit = write_tiny_dataset(tmp_path / "explicit")
    env = write_tiny_dataset(tmp_path / "env")
    checkout = write_tiny_dataset(tmp_path / "checkout" / "data" / "mnist")
    user = write_tiny_dataset(tmp_path / "home" / "datasets" / "mnist")
    monkeypatch.setenv("DIGITLAB_DATA", str(env))

    assert find_data_dir(MNIST, explicit) == explicit
    assert find_data_dir(MNIST) == env
    monkeypatch.delenv("DIGITLAB_DATA")
    assert find_data_dir(MNIST) == checkout
    (checkout / FILE_NAMES[0]).unlink()  # an incomplete folder does not count
    assert find_data_dir(MNIST) == user


def test_env_folder_without_the_files_falls_through(tmp_path, monkeypatch):
    user = write_tiny_dataset(tmp_path / "home" / "datasets" / "mnist")
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path / "does-not-exist"))
    assert find_data_dir(MNIST) == user


def test_explicit_folder_without_the_files_is_an_error(tmp_path):
    write_tiny_dataset(tmp_path / "home" / "datasets" / "mnist")
    with pytest.raises(DataError, match="empty-folder does not hold the MNIST"):
        find_data_dir(MNIST, tmp_path / "empty-folder")


@pytest.mark.parametrize("folder, words", [
    ("~no-such-user-digitlab/mnist", "does not hold the MNIST"),
    ("m" * 300, "300 bytes long"),
    ("mn\0ist", "NUL"),
    ("/x" * 2100, "longer than the 4,096 bytes"),
])
def test_a_folder_named_as_no_folder_can_be_is_a_data_error(tmp_path, monkeypatch, folder, words):
    # Remembered by the app as the data folder, such a name raised at every press of Start.
    with pytest.raises(DataError, match=words):
        find_data_dir(MNIST, folder)
    if "\0" not in folder:   # no environment variable can hold a NUL
        monkeypatch.setenv("DIGITLAB_DATA", folder)
        with pytest.raises(DataError, match="bytes|not found"):
            find_data_dir(MNIST)


def test_env_pointing_at_the_mnist_folder_also_finds_fashion_beside_it(tmp_path, monkeypatch):
    # What CI does: DIGITLAB_DATA=../shared/mnist, with ../shared/fashion-mnist next to it.
    mnist = write_tiny_dataset(tmp_path / "shared" / "mnist")
    fashion = write_tiny_dataset(tmp_path / "shared" / "fashion-mnist", seed=1)
    monkeypatch.setenv("DIGITLAB_DATA", str(mnist))
    assert find_data_dir(MNIST) == mnist
    assert find_data_dir(FASHION_MNIST) == fashion


def test_env_pointing_at_a_parent_folder_finds_both(tmp_path, monkeypatch):
    mnist = write_tiny_dataset(tmp_path / "all" / "mnist")
    fashion = write_tiny_dataset(tmp_path / "all" / "fashion-mnist", seed=1)
    monkeypatch.setenv("DIGITLAB_DATA", str(tmp_path / "all"))
    assert find_data_dir(MNIST) == mnist
    assert find_data_dir(FASHION_MNIST) == fashion


def test_loose_files_are_mnist_never_fashion(tmp_path, monkeypatch):
    loose = write_tiny_dataset(tmp_path / "loose")
    monkeypatch.setenv("DIGITLAB_DATA", str(loose))
    assert find_data_dir(MNIST) == loose
    with pytest.raises(DataError):
        find_data_dir(FASHION_MNIST)
    # ... and a folder named fashion-mnist is never taken for MNIST.
    monkeypatch.setenv("DIGITLAB_DATA", str(write_tiny_dataset(tmp_path / "fashion-mnist")))
    with pytest.raises(DataError):
        find_data_dir(MNIST)


def test_unpacked_files_count(tmp_path):
    folder = write_tiny_dataset(tmp_path / "unpacked", gz=False)
    assert find_data_dir(MNIST, folder) == folder
    assert load_dataset("mnist", folder).x_train.shape == (12, 784)


def test_missing_data_error_lists_the_files_and_where_to_put_them(tmp_path):
    with pytest.raises(DataError) as caught:
        find_data_dir(FASHION_MNIST)
    message = str(caught.value)
    for filename in FILE_NAMES:
        assert filename in message
    assert str(tmp_path / "home" / "datasets" / "fashion-mnist") in message
    assert "Data > Download" in message
    assert '"python -m nn download --dataset fashion-mnist"' in message


def test_inside_the_bundle_the_missing_data_hint_names_no_python_command(monkeypatch):
    monkeypatch.setattr(sys, "frozen", True, raising=False)   # what PyInstaller sets
    with pytest.raises(DataError) as caught:
        find_data_dir(MNIST)
    message = str(caught.value)
    assert "Data > Download" in message and "python -m" not in message


# --- loading ---------------------------------------------------------------------------------

def test_load_tiny_dataset_shapes_dtypes_and_scaling(tmp_path):
    folder = write_tiny_dataset(tmp_path / "tiny")
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.full((5, 28, 28), 255, dtype=np.uint8))

    split = load_dataset("fashion-mnist", folder)

    assert split.name == "fashion-mnist"
    assert split.class_names == FASHION_MNIST.class_names
    assert split.x_train.shape == (12, 784) and split.x_train.dtype == np.float32
    assert split.y_train.shape == (12,) and split.y_train.dtype == np.int64
    assert split.x_test.shape == (5, 784) and split.y_test.shape == (5,)
    assert 0.0 <= split.x_train.min() and split.x_train.max() <= 1.0
    assert np.all(split.x_test == 1.0)  # 255 maps to exactly 1


def test_limit_keeps_the_first_examples(tmp_path):
    folder = write_tiny_dataset(tmp_path / "tiny")
    full, limited = load_dataset("mnist", folder), load_dataset("mnist", folder, limit=3)
    assert limited.x_train.shape == (3, 784) and limited.x_test.shape == (3, 784)
    np.testing.assert_array_equal(limited.x_train, full.x_train[:3])
    np.testing.assert_array_equal(limited.y_test, full.y_test[:3])


def test_unknown_dataset_name():
    with pytest.raises(DataError, match="Unknown dataset 'kmnist'"):
        load_dataset("kmnist")


def test_image_and_label_count_mismatch_names_both_files(tmp_path):
    folder = write_tiny_dataset(tmp_path / "tiny")
    write_idx(folder / "train-labels-idx1-ubyte.gz", np.zeros(11, dtype=np.uint8))

    with pytest.raises(DataError) as caught:
        load_dataset("mnist", folder)
    message = str(caught.value)
    assert "train-images-idx3-ubyte.gz holds 12 images" in message
    assert "train-labels-idx1-ubyte.gz holds 11 labels" in message


def test_images_that_are_not_28x28_are_rejected(tmp_path):
    folder = write_tiny_dataset(tmp_path / "tiny")
    write_idx(folder / "t10k-images-idx3-ubyte.gz", np.zeros((5, 32, 32), dtype=np.uint8))

    with pytest.raises(DataError,
                       match=r"t10k-images-idx3-ubyte.gz holds arrays of shape \(5, 32, 32\)"):
        load_dataset("mnist", folder)


def test_labels_out_of_range_are_rejected(tmp_path):
    folder = write_tiny_dataset(tmp_path / "tiny")
    write_idx(folder / "t10k-labels-idx1-ubyte.gz", np.array([0, 1, 2, 10, 3], dtype=np.uint8))

    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz contains label 10"):
        load_dataset("mnist", folder)


# --- real data -------------------------------------------------------------------------------

def test_real_mnist_loads_with_the_published_shapes_and_histogram():
    split = load_dataset("mnist", real_dataset_dir("mnist"))

    assert split.x_train.shape == (60000, 784) and split.x_test.shape == (10000, 784)
    assert split.x_train.dtype == split.x_test.dtype == np.float32
    assert split.y_train.dtype == split.y_test.dtype == np.int64
    assert split.x_train.min() == 0.0 and split.x_train.max() == 1.0
    assert (np.bincount(split.y_test).tolist()
            == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])
    assert (np.bincount(split.y_train).tolist()
            == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])


def test_real_fashion_mnist_is_found_beside_mnist_and_balanced(monkeypatch):
    monkeypatch.setenv("DIGITLAB_DATA", str(real_dataset_dir("mnist")))
    real_dataset_dir("fashion-mnist")

    split = load_dataset("fashion-mnist", limit=None)

    assert split.x_train.shape == (60000, 784)
    assert np.bincount(split.y_test).tolist() == [1000] * 10

