"""The datasets DigitLab trains on, finding their files, and loading them as arrays.

MNIST and Fashion-MNIST share one layout: four IDX files (train/test images and labels) of
28x28 grayscale images in 10 classes. `load_dataset` finds the files, validates them and
returns float32 images in [0, 1] with int64 labels.
"""

import hashlib
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from nn.data.folders import data_roots, user_dataset_dir, user_folder
from nn.network.errors import DataError
from nn.network.model import DIGITS
from nn.data.idx import read_idx
from nn.files.paths import file_at

IMAGE_SIDE = 28
NUM_CLASSES = 10



@dataclass(frozen=True)
class DatasetInfo:
    """What identifies a dataset: its files, their checksums, class names and download mirrors.

    ``files`` maps the roles ``train_images``, ``train_labels``, ``test_images`` and
    ``test_labels`` to canonical (gzipped) file names; ``sha256`` maps those names to the hex
    SHA-256 of the canonical files (what a download must be) and ``sizes`` to their sizes in
    bytes (how much a download may take); ``content_sha256`` maps the roles
    to the SHA-256 of their values after the IDX header (what recognises the files once
    unpacked or re-compressed); ``mirrors`` are base URLs that end with ``/``.
    """

    name: str
    title: str
    files: Mapping[str, str]
    sha256: Mapping[str, str]
    sizes: Mapping[str, int]
    content_sha256: Mapping[str, str]
    class_names: tuple[str, ...]
    mirrors: tuple[str, ...]


_FILES = MappingProxyType({
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
})

MNIST = DatasetInfo(
    name="mnist",
    title="MNIST handwritten digits",
    files=_FILES,
    sha256=MappingProxyType({
        "train-images-idx3-ubyte.gz":
            "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz":
            "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz":
            "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz":
            "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    }),
    sizes=MappingProxyType({
        "train-images-idx3-ubyte.gz": 9_912_422, "train-labels-idx1-ubyte.gz": 28_881,
        "t10k-images-idx3-ubyte.gz": 1_648_877, "t10k-labels-idx1-ubyte.gz": 4_542,
    }),
    content_sha256=MappingProxyType({
        "train_images": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
        "train_labels": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
        "test_images": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
        "test_labels": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
    }),
    class_names=DIGITS,
    # The mirrors torchvision and TensorFlow use; yann.lecun.com answers 403 since 2024.
    mirrors=(
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
)

FASHION_MNIST = DatasetInfo(
    name="fashion-mnist",
    title="Fashion-MNIST (Zalando clothing images)",
    files=_FILES,
    sha256=MappingProxyType({
        "train-images-idx3-ubyte.gz":
            "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
        "train-labels-idx1-ubyte.gz":
            "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
        "t10k-images-idx3-ubyte.gz":
            "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
        "t10k-labels-idx1-ubyte.gz":
            "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    }),
    sizes=MappingProxyType({
        "train-images-idx3-ubyte.gz": 26_421_880, "train-labels-idx1-ubyte.gz": 29_515,
        "t10k-images-idx3-ubyte.gz": 4_422_102, "t10k-labels-idx1-ubyte.gz": 5_148,
    }),
    content_sha256=MappingProxyType({
        "train_images": "2e487a6c89124f78f2d7521542223cafe96f7123c3ca13d447772ac6ecbb3012",
        "train_labels": "657fbd221bfc9f4198cc14b5619cc33ec57c58dd0e47af4d99d6650759e869a7",
        "test_images": "c867c93ff95360594e8ec3287995350b824dd110b11595c0e13d5423f621867a",
        "test_labels": "3d0e6c6ea990b53b6f8f500a41cac93881d981b315f84578b7d915342ade01e9",
    }),
    class_names=("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"),
    mirrors=(
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://ossci-datasets.s3.amazonaws.com/fashion-mnist/",
    ),
)

DATASETS = MappingProxyType({MNIST.name: MNIST, FASHION_MNIST.name: FASHION_MNIST})
# Every canonical file by the SHA-256 of its content: (dataset name, role).
_KNOWN_CONTENT = {sha: (info.name, role) for info in DATASETS.values()
                  for role, sha in info.content_sha256.items()}
_ROLE_TEXT = {"train_images": "training images", "train_labels": "training labels",
              "test_images": "test images", "test_labels": "test labels"}


@dataclass(frozen=True)
class Split:
    """A dataset loaded into memory, already split into training and test sets.

    ``x_train`` is ``(n_train, 784)`` and ``x_test`` ``(n_test, 784)``, float32 in [0, 1] with
    ink = 1 (row-major 28x28 images flattened); ``y_train`` ``(n_train,)`` and ``y_test``
    ``(n_test,)`` are int64 class indices into ``class_names``. ``verified`` is True when the
    files are the dataset's canonical ones, False for files DigitLab does not know (see
    `load_dataset`).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]
    name: str
    verified: bool


def find_data_dir(info, explicit=None):
    """Return the folder holding the four files of ``info``.

    Looked for, in order: ``explicit``, the ``DIGITLAB_DATA`` environment variable, ``data/``
    of the checkout, then ``user_data_dir()/datasets``. For each such folder D, the files are
    looked for in D itself, in ``D/<name>`` and in ``D/../<name>``; the last one lets
    ``DIGITLAB_DATA=../shared/mnist`` also find ``../shared/fashion-mnist``. Because those
    shared places may hold either dataset, D itself counts only if it is named after the
    dataset or, for MNIST (the default), if it is not named after another dataset: loose files
    are taken to be MNIST, never Fashion-MNIST. An ``explicit`` folder always counts itself,
    and if it does not hold the files that is an error, not a reason to look elsewhere.
    A file counts gzipped (``train-images-idx3-ubyte.gz``) or unpacked (without ``.gz``).
    """
    if explicit is not None:
        found = _search(info, user_folder(explicit), root_is_dataset=True)
        if found is None:
            raise DataError(
                f"{explicit} does not hold the {info.title} files "
                f"{_list_files(info)}; choose the folder that contains them."
            )
        return found
    roots = data_roots()
    for root in roots:
        found = _search(info, root)
        if found is not None:
            return found
    raise DataError(
        f"The {info.title} files were not found in {', '.join(map(str, roots))} (nor in a "
        f"{info.name} folder inside or beside them): put {_list_files(info)} in "
        f"{user_dataset_dir(info)} or point DIGITLAB_DATA to their folder, or fetch them "
        f"{_ways_to_download(info)}."
    )


def dataset_files(name, data_dir=None):
    """The paths of dataset ``name``'s four files (found as `load_dataset` finds them)."""
    info = DATASETS[name]
    return list(_data_files(info, find_data_dir(info, data_dir)).values())


def _ways_to_download(info):
    """The app's menu, and the command line where there is one: the double-click bundle
    (PyInstaller sets ``sys.frozen``) has no Python to run ``python -m nn`` with."""
    if getattr(sys, "frozen", False):
        return "with Data > Download"
    option = "" if info.name == MNIST.name else f" --dataset {info.name}"
    return f'with Data > Download or the command "python -m nn download{option}"'


def _search(info, root, root_is_dataset=False):
    """The first of root, root/<name>, root/../<name> that holds the files, or None."""
    if not root_is_dataset:
        other_names = set(DATASETS) - {info.name}
        root_is_dataset = root.name == info.name or (
            info.name == MNIST.name and root.name not in other_names)
    candidates = [root] if root_is_dataset else []
    candidates += [root / info.name, root.parent / info.name]
    for folder in candidates:
        if _data_files(info, folder) is not None:
            return folder
    return None


def _data_files(info, folder):
    """Map each role to its file in ``folder`` (gzipped preferred), or None if one is missing."""
    paths = {}
    for role, filename in info.files.items():
        options = [folder / filename, folder / filename.removesuffix(".gz")]
        existing = [path for path in options if file_at(path)]
        if not existing:
            return None
        paths[role] = existing[0]
    return paths


def _list_files(info):
    """'a, b, c and d': the dataset's file names for messages."""
    names = list(info.files.values())
    return ", ".join(names[:-1]) + " and " + names[-1]


def load_dataset(name="mnist", data_dir=None, limit=None):
    """Load a dataset's training and test sets as arrays.

    Parameters
    ----------
    name : str
        A key of `DATASETS`: ``"mnist"`` or ``"fashion-mnist"``.
    data_dir : str or os.PathLike, optional
        Folder with the files; by default found with `find_data_dir`.
    limit : int, optional
        Keep only the first ``limit`` (>= 1) training and the first ``limit`` test examples
        (quick experiments, tests, benchmarks).

    Returns
    -------
    Split
        ``x_*`` float32 ``(n, 784)`` in [0, 1], ``y_*`` int64 ``(n,)``.

    Raises
    ------
    DataError
        If the files are missing, damaged, empty, disagree (counts, image size, labels >= 10),
        or are another dataset's: the files are recognised by the SHA-256 of their content.
        Files that are no known dataset's (a subset, a dataset of one's own in the same
        layout) are loaded, with ``verified`` False: refusing them would gain nothing, as
        nothing can be checked against, and they are the only way to try one's own data.
    """
    if name not in DATASETS:
        raise DataError(f"Unknown dataset {name!r}; choose one of {', '.join(DATASETS)}.")
    if limit is not None and limit < 1:
        raise ValueError(f"limit must be None or >= 1, got {limit}")
    info = DATASETS[name]
    paths = _data_files(info, find_data_dir(info, data_dir))
    arrays = {role: read_idx(path) for role, path in paths.items()}
    verified = _recognise(info, paths, arrays)
    x_train, y_train = _examples(paths, arrays, "train", limit)
    x_test, y_test = _examples(paths, arrays, "test", limit)
    return Split(x_train, y_train, x_test, y_test, info.class_names, info.name, verified)


def _recognise(info, paths, arrays):
    """True when all four files are the canonical ones of ``info``, False when some are not
    known at all; DataError when one is a known file of another dataset or of another role."""
    verified = True
    for role, array in arrays.items():
        known = _KNOWN_CONTENT.get(hashlib.sha256(array).hexdigest())
        if known is None:
            verified = False
        elif known != (info.name, role):
            other, other_role = known
            raise DataError(
                f"{paths[role]} holds the {DATASETS[other].title} {_ROLE_TEXT[other_role]}, "
                f"not the {info.title} {_ROLE_TEXT[role]}; choose the dataset that matches "
                f"the files, or a folder with the {info.title} files."
            )
    return verified


def _examples(paths, arrays, part, limit):
    """Cross-check one images file and its labels file (``part`` is "train" or "test");
    return ``(n, 784)`` float32 images and ``(n,)`` int64 labels."""
    images_path, labels_path = paths[f"{part}_images"], paths[f"{part}_labels"]
    images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
    if images.ndim != 3 or images.shape[1:] != (IMAGE_SIDE, IMAGE_SIDE):
        raise DataError(
            f"{images_path} holds arrays of shape {images.shape}, not 28x28 images; "
            f"use the dataset's images file."
        )
    if labels.ndim != 1:
        raise DataError(
            f"{labels_path} holds arrays of shape {labels.shape}, not a list of labels; "
            f"use the dataset's labels file."
        )
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds {len(labels)} "
            f"labels; the two files do not belong together, download them again."
        )
    if len(images) == 0:
        raise DataError(
            f"{images_path} holds no images; use the dataset's complete files."
        )
    if labels.max() >= NUM_CLASSES:
        raise DataError(
            f"{labels_path} contains label {labels.max()}, but there are only {NUM_CLASSES} "
            f"classes (0-9); use the dataset's labels file."
        )
    images, labels = images[:limit], labels[:limit]
    x = images.reshape(len(images), IMAGE_SIDE * IMAGE_SIDE).astype(np.float32)
    x /= 255.0  # division, not multiplication by 1/255, keeps 255 exactly at 1.0
    return x, labels.astype(np.int64)
