"""Offline stand-ins for the course's data sets; nothing here ever downloads anything.

The course ships HDF5 files (cat/non-cat, happy faces, SIGNS), a ``.mat`` file (the football
field of the regularization notebook) and ``dinos.txt``. None of them may be fetched at run time,
so each assignment gets a replacement built from what is already installed:

* ``load_digits_binary`` / ``load_digits_images`` / ``load_digits_multiclass``: scikit-learn's
  bundled 8x8 handwritten digits (1797 images, 10 classes), a binary subset standing in for
  cat/non-cat and "happy", the first k classes for SIGNS (k = 6).
* ``load_circles``: the initialization notebook's data, ``make_circles(300, noise=0.05)``.
* ``load_moons``: the optimization notebook's data, ``make_moons(300, noise=0.2)``; it also
  stands in for the regularization notebook's football field.
* ``load_planar_dataset``: the planar "flower" of the one-hidden-layer notebook.
* ``load_names`` / ``char_vocabulary``: real dinosaur genus names for the character-level model.

Layouts follow the notebooks: examples are COLUMNS (``X: (n_x, m)``, ``Y: (1, m)``) for the
numpy assignments and channels-last images (``(m, n_H, n_W, n_C)``, labels ``(m, 1)``) for the
CNN/Keras ones. Every array is float64 (labels too: 0.0/1.0 or class indices), and every loader
is deterministic for a given seed. Bad arguments raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

import functools
import math
import numbers
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import Final

import numpy as np

from reference.arraytypes import AnyArray, Array, IntArray

DIGIT_CLASSES: Final = 10
IMAGE_SIDE: Final = 8
N_PIXELS: Final = IMAGE_SIDE * IMAGE_SIDE
_PIXEL_MAX: Final = 16.0  # load_digits stores integer intensities 0..16

NAMES_RESOURCE: Final = "data/names.txt"
"""Where the names live inside the ``reference`` package (declared as package data)."""

VOCABULARY: Final = "\n" + "abcdefghijklmnopqrstuvwxyz"
"""The character model's 27 symbols in index order: '\\n' (end of a name) first, then a..z."""

_NAME_PATTERN: Final = re.compile(r"[a-z]+")

DigitsSplit = tuple[Array, Array, Array, Array, AnyArray]
"""(train_x, train_y, test_x, test_y, classes)."""

PointsSplit = tuple[Array, Array, Array, Array]
"""(train_X, train_Y, test_X, test_Y)."""


# --- argument validation -------------------------------------------------------------------------


def _require_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int within [minimum, maximum], or ValueError naming the argument."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        number = int(value)
        if number >= minimum and (maximum is None or number <= maximum):
            return number
    bounds = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    raise ValueError(f"{name} must be an integer {bounds}, got {value!r}")


def _require_seed(seed: object) -> int:
    return _require_int("seed", seed, 0, 2**32 - 1)


def _as_real(value: object) -> float | None:
    """``value`` as a float when it is a real number (bools excluded), else None."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return None


def _require_fraction(test_fraction: object) -> float:
    fraction = _as_real(test_fraction)
    if fraction is None or not 0.0 < fraction < 1.0:
        raise ValueError(f"test_fraction must be a number strictly between 0 and 1, got {test_fraction!r}")
    return fraction


def _require_noise(noise: object) -> float:
    level = _as_real(noise)
    if level is None or not (math.isfinite(level) and level >= 0.0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    return level


# --- the digits ----------------------------------------------------------------------------------


@functools.cache
def _digits() -> tuple[Array, IntArray]:
    """All 1797 digit images scaled to [0, 1], (1797, 8, 8), and their labels (1797,), read-only.

    Cached because scikit-learn parses a CSV on every call; frozen so that no caller can
    change what later callers receive.
    """
    from sklearn.datasets import load_digits  # reads a file bundled with scikit-learn

    bunch = load_digits()
    images: Array = np.asarray(bunch.images, dtype=np.float64) / _PIXEL_MAX
    labels: IntArray = np.asarray(bunch.target, dtype=np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def stratified_split(labels: IntArray, test_fraction: float, seed: int) -> tuple[IntArray, IntArray]:
    """Indices (train, test) into ``labels: (m,)`` that hold out ``test_fraction`` of every class.

    Each class contributes round(test_fraction * n_class) test examples (at least one, and at
    least one left for training), so every class keeps its share in both parts. The two index
    arrays are disjoint, cover 0..m-1 and are shuffled; the same seed gives the same split.
    """
    fraction = _require_fraction(test_fraction)
    rng = np.random.default_rng(_require_seed(seed))
    flat = np.asarray(labels).reshape(-1)
    if flat.size == 0:
        raise ValueError("labels must hold at least one example per class, got an empty array")
    train_parts: list[IntArray] = []
    test_parts: list[IntArray] = []
    for label in np.unique(flat):
        members: IntArray = np.flatnonzero(flat == label).astype(np.int64)
        if members.size < 2:
            raise ValueError(f"labels: class {label.item()!r} has {members.size} example; a split needs 2")
        n_test = min(max(round(fraction * members.size), 1), members.size - 1)
        members = rng.permutation(members)
        test_parts.append(members[:n_test])
        train_parts.append(members[n_test:])
    # Interleave the classes, as a real data file would be, rather than leave them in blocks.
    train: IntArray = rng.permutation(np.concatenate(train_parts))
    test: IntArray = rng.permutation(np.concatenate(test_parts))
    return train, test


def _digit(name: str, value: object) -> int:
    return _require_int(name, value, 0, DIGIT_CLASSES - 1)


def _binary_subset(positive: int, negatives: Sequence[int] | None) -> tuple[Array, IntArray, AnyArray]:
    """Images (m, 8, 8), 0/1 labels (m,) and the course-style class names of a binary task."""
    pos = _digit("positive", positive)
    if negatives is None:
        neg = [d for d in range(DIGIT_CLASSES) if d != pos]
    else:
        neg = [_digit("negatives", d) for d in negatives]
        if not neg or pos in neg or len(set(neg)) != len(neg):
            raise ValueError(
                f"negatives must be distinct digits other than positive={pos}, got {list(negatives)!r}"
            )
    images, digits = _digits()
    keep = np.isin(digits, [pos, *neg])
    labels: IntArray = (digits[keep] == pos).astype(np.int64)
    # The course's h5 files store class names as bytes: classes[0] = b"non-cat", classes[1] = b"cat".
    classes: AnyArray = np.array([f"non-{pos}".encode(), str(pos).encode()])
    return images[keep], labels, classes


def _first_classes(n_classes: int) -> tuple[Array, IntArray, AnyArray]:
    """Images (m, 8, 8) and labels (m,) of the digits 0..n_classes-1, and those digits."""
    k = _require_int("n_classes", n_classes, 2, DIGIT_CLASSES)
    images, digits = _digits()
    keep = digits < k
    classes: AnyArray = np.arange(k, dtype=np.int64)
    return images[keep], digits[keep].copy(), classes


def _split_images(
    images: Array, labels: IntArray, test_fraction: float, seed: int
) -> tuple[Array, Array, Array, Array]:
    """Train/test images (m, 8, 8) and float labels (m,) of a stratified split."""
    train, test = stratified_split(labels, test_fraction, seed)
    as_float = labels.astype(np.float64)
    return images[train], as_float[train], images[test], as_float[test]


def _as_columns(images: Array, labels: Array) -> tuple[Array, Array]:
    """(m, 8, 8) images and (m,) labels to the course's X: (64, m) and Y: (1, m)."""
    X: Array = np.ascontiguousarray(images.reshape(images.shape[0], N_PIXELS).T)
    Y: Array = labels.reshape(1, -1).copy()
    return X, Y


def _as_channels_last(images: Array, labels: Array) -> tuple[Array, Array]:
    """(m, 8, 8) images and (m,) labels to X: (m, 8, 8, 1) and Y: (m, 1)."""
    X: Array = images.reshape(*images.shape, 1).copy()
    Y: Array = labels.reshape(-1, 1).copy()
    return X, Y


def load_digits_binary(
    positive: int = 1,
    test_fraction: float = 0.2,
    seed: int = 0,
    *,
    negatives: Sequence[int] | None = None,
) -> DigitsSplit:
    """A binary image task standing in for cat/non-cat: is the digit ``positive``?

    Returns ``(train_x, train_y, test_x, test_y, classes)`` with ``train_x: (64, m_train)``
    (flattened 8x8 images, pixels in [0, 1]), ``train_y: (1, m_train)`` of 0.0/1.0, the same for
    the test part, and ``classes: (2,)`` bytes ``[b"non-<d>", b"<d>"]`` as the course's file
    stores ``[b"non-cat", b"cat"]``. ``negatives`` lists the digits of class 0 (default: all
    other nine). The split is stratified, so both parts have the same share of positives.
    """
    images, labels, classes = _binary_subset(positive, negatives)
    train_img, train_lab, test_img, test_lab = _split_images(images, labels, test_fraction, seed)
    train_x, train_y = _as_columns(train_img, train_lab)
    test_x, test_y = _as_columns(test_img, test_lab)
    return train_x, train_y, test_x, test_y, classes


def load_digits_multiclass(n_classes: int = 10, test_fraction: float = 0.2, seed: int = 0) -> DigitsSplit:
    """The digits 0..n_classes-1 (n_classes = 6 stands in for SIGNS) in the column layout.

    Returns ``(train_x, train_y, test_x, test_y, classes)`` with ``train_x: (64, m_train)``,
    pixels in [0, 1], ``train_y: (1, m_train)`` holding class indices as floats (use
    ``convert_to_one_hot(train_y, n_classes)`` for ``(n_classes, m_train)``), and
    ``classes: (n_classes,)`` int64 digits. The split is stratified by class.
    """
    images, labels, classes = _first_classes(n_classes)
    train_img, train_lab, test_img, test_lab = _split_images(images, labels, test_fraction, seed)
    train_x, train_y = _as_columns(train_img, train_lab)
    test_x, test_y = _as_columns(test_img, test_lab)
    return train_x, train_y, test_x, test_y, classes


def load_digits_images(
    binary: bool = True,
    *,
    positive: int = 1,
    negatives: Sequence[int] | None = None,
    n_classes: int = 10,
    test_fraction: float = 0.2,
    seed: int = 0,
) -> DigitsSplit:
    """Channels-last digit images for the CNN/Keras assignments ("happy" or SIGNS stand-ins).

    Returns ``(train_x, train_y, test_x, test_y, classes)`` with ``train_x: (m_train, 8, 8, 1)``
    (pixels in [0, 1]) and ``train_y: (m_train, 1)``: 0.0/1.0 when ``binary`` (the task and
    classes of ``load_digits_binary(positive, ...)``, ``n_classes`` ignored), otherwise class
    indices of the digits 0..n_classes-1 (classes and ``positive``/``negatives`` as in
    ``load_digits_multiclass``). With the same arguments the examples and their order are those
    of the column loaders; for one-hot labels ``(m, C)`` use ``convert_to_one_hot(train_y.T, C).T``.
    """
    if not isinstance(binary, bool | np.bool_):
        raise ValueError(f"binary must be True or False, got {binary!r}")
    if binary:
        images, labels, classes = _binary_subset(positive, negatives)
    else:
        images, labels, classes = _first_classes(n_classes)
    train_img, train_lab, test_img, test_lab = _split_images(images, labels, test_fraction, seed)
    train_x, train_y = _as_channels_last(train_img, train_lab)
    test_x, test_y = _as_channels_last(test_img, test_lab)
    return train_x, train_y, test_x, test_y, classes


def convert_to_one_hot(Y: AnyArray, C: int) -> Array:
    """One-hot columns ``(C, m)`` from class indices ``Y`` (any shape holding m labels, e.g. (1, m)).

    As the course's helper: ``result[c, i] = 1.0`` where ``Y.flat[i] == c``. Float labels are
    accepted when they are whole numbers, since the loaders here return float64 labels.
    """
    n_classes = _require_int("C", C, 1)
    flat = np.asarray(Y).reshape(-1)
    if flat.dtype == np.bool_ or not np.issubdtype(flat.dtype, np.number):
        raise ValueError(f"Y must hold numeric class indices, got dtype {flat.dtype}")
    if flat.size and (
        not np.all(np.isfinite(flat))
        or np.any(flat != np.round(flat))
        or flat.min() < 0
        or flat.max() >= n_classes
    ):
        raise ValueError(
            f"Y must hold whole numbers in [0, C={n_classes}), got values {np.unique(flat).tolist()}"
        )
    indices = flat.astype(np.int64)
    one_hot: Array = np.zeros((n_classes, flat.size))
    one_hot[indices, np.arange(flat.size)] = 1.0
    return one_hot


# --- two-dimensional point clouds --------------------------------------------------------------


def _columns(points: AnyArray, labels: AnyArray) -> tuple[Array, Array]:
    """scikit-learn's (m, 2) points and (m,) labels to X: (2, m) and Y: (1, m), float64."""
    X: Array = np.ascontiguousarray(np.asarray(points, dtype=np.float64).T)
    Y: Array = np.asarray(labels, dtype=np.float64).reshape(1, -1)
    return X, Y


def load_circles(n_samples: int = 300, noise: float = 0.05, seed: int = 1, n_test: int = 100) -> PointsSplit:
    """Two noisy concentric circles (radii 1 and 0.8): the initialization notebook's data.

    Returns ``(train_X (2, n_samples), train_Y (1, n_samples), test_X (2, n_test),
    test_Y (1, n_test))``; label 0 is the outer circle, 1 the inner one. The training part is
    drawn from ``RandomState(seed)`` and the test part from ``RandomState(seed + 1)``, which is
    what the course's ``np.random.seed(1); make_circles(...); np.random.seed(2); ...`` draws:
    the defaults reproduce its 300/100 points exactly, without touching numpy's global RNG.
    """
    from sklearn.datasets import make_circles

    n_train = _require_int("n_samples", n_samples, 2)
    n_held = _require_int("n_test", n_test, 2)
    level = _require_noise(noise)
    first = _require_int("seed", seed, 0, 2**32 - 2)
    train = make_circles(n_samples=n_train, noise=level, random_state=np.random.RandomState(first))
    test = make_circles(n_samples=n_held, noise=level, random_state=np.random.RandomState(first + 1))
    return (*_columns(*train), *_columns(*test))


def load_moons(n_samples: int = 300, noise: float = 0.2, seed: int = 3, n_test: int = 100) -> PointsSplit:
    """Two interleaving noisy half circles: the optimization notebook's data.

    Returns ``(train_X (2, n_samples), train_Y (1, n_samples), test_X (2, n_test),
    test_Y (1, n_test))`` with labels 0.0/1.0 (one per half moon). The training part comes from
    ``RandomState(seed)``: the defaults reproduce the course's ``np.random.seed(3);
    make_moons(n_samples=300, noise=.2)`` exactly. The course has no test set here; this one is
    drawn from ``RandomState(seed + 1)``. numpy's global RNG is left alone.
    """
    from sklearn.datasets import make_moons

    n_train = _require_int("n_samples", n_samples, 2)
    n_held = _require_int("n_test", n_test, 2)
    level = _require_noise(noise)
    first = _require_int("seed", seed, 0, 2**32 - 2)
    train = make_moons(n_samples=n_train, noise=level, random_state=np.random.RandomState(first))
    test = make_moons(n_samples=n_held, noise=level, random_state=np.random.RandomState(first + 1))
    return (*_columns(*train), *_columns(*test))


PETALS_RADIUS: Final = 4.0
"""The flower's largest radius ("a" in the course)."""

ANGLE_SPAN: Final = 3.12
"""Each class covers an angle range of this width, class j starting at j * 3.12."""

FLOWER_NOISE: Final = 0.2


def load_planar_dataset(m: int = 400, seed: int = 1) -> tuple[Array, Array]:
    """The planar "flower": ``X: (2, m)`` points and ``Y: (1, m)`` labels, m/2 of each class.

    For class j in (0, 1), N = m/2 angles t = linspace(j*3.12, (j+1)*3.12, N) + 0.2*randn(N) and
    radii r = 4*sin(4t) + 0.2*randn(N) give the points (r sin t, r cos t); columns
    j*N..(j+1)*N-1 hold class j. Like the course, this SEEDS NUMPY'S GLOBAL RNG with
    ``np.random.seed(seed)`` and draws with ``np.random.randn`` in the course's order (class 0
    angles, class 0 radii, class 1 angles, class 1 radii), so the defaults give the notebook's
    points exactly; the global generator is left in the state those 2m draws produce.
    Y is float64 here where the course stores uint8; the values are the same.
    """
    total = _require_int("m", m, 2)
    if total % 2:
        raise ValueError(f"m must be even (m/2 points per class), got {m!r}")
    np.random.seed(_require_seed(seed))
    per_class = total // 2
    X: Array = np.empty((2, total))
    Y: Array = np.empty((1, total))
    for j in range(2):
        columns = slice(j * per_class, (j + 1) * per_class)
        t = (
            np.linspace(j * ANGLE_SPAN, (j + 1) * ANGLE_SPAN, per_class)
            + np.random.randn(per_class) * FLOWER_NOISE
        )
        r = PETALS_RADIUS * np.sin(4 * t) + np.random.randn(per_class) * FLOWER_NOISE
        X[0, columns] = r * np.sin(t)
        X[1, columns] = r * np.cos(t)
        Y[0, columns] = j
    return X, Y


# --- names for the character-level model --------------------------------------------------------


def _check_name(name: object, where: str) -> str:
    if not isinstance(name, str) or _NAME_PATTERN.fullmatch(name) is None:
        raise ValueError(f"{where} must be a non-empty string of letters a-z, got {name!r}")
    return name


@functools.cache
def _names() -> tuple[str, ...]:
    """The shipped names, read once through importlib.resources (works from an installed wheel)."""
    text = (resources.files("reference") / NAMES_RESOURCE).read_text(encoding="utf-8")
    return tuple(
        _check_name(line, f"{NAMES_RESOURCE} line {i}") for i, line in enumerate(text.splitlines(), 1)
    )


def load_names() -> list[str]:
    """The shipped dinosaur genus names: lowercase, letters a-z only, unique, sorted.

    The course trains its character-level model on ``dinos.txt`` (about 1500 names); this list
    of real genera plays that part. A new list each call, so callers may change it freely.
    """
    return list(_names())


def char_vocabulary(names: Iterable[str]) -> tuple[dict[str, int], dict[int, str]]:
    """``(char_to_ix, ix_to_char)`` over the 27 symbols '\\n', 'a', ..., 'z' (indices 0..26).

    The course derives them as ``sorted(set(data))`` over its names file, which for names that
    use every letter is exactly this mapping: '\\n' (the end-of-name token) at 0, then the
    alphabet. The mapping is fixed here, so that names missing a letter still give a 27-symbol
    model; ``names`` are only checked to be lowercase a-z (ValueError otherwise).
    """
    for i, name in enumerate(names):
        _check_name(name, f"names[{i}]")
    char_to_ix = {ch: i for i, ch in enumerate(VOCABULARY)}
    ix_to_char = dict(enumerate(VOCABULARY))
    return char_to_ix, ix_to_char
