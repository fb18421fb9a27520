"""Checks of reference.datasets: layouts, label sets, value ranges, splits, determinism, names.

Invariant checks return 0.0 when every property holds and raise ``InvariantError`` (an
AssertionError) whose message says which property failed and where, so that
``dlgrade reference check`` shows the reason. The known-value checks compare the point clouds
with the course's own recipe (numpy's global RNG seeded, then scikit-learn or the flower
formula) and return the largest absolute difference.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import resources
from typing import Any

import numpy as np

from reference import datasets as ds
from reference.arraytypes import AnyArray, Array
from reference.checks.registry import Check

DigitsLoader = Callable[..., ds.DigitsSplit]
PointsLoader = Callable[..., ds.PointsSplit]
PlanarLoader = Callable[..., tuple[Array, Array]]
SeededLoader = Callable[[int], tuple[AnyArray, ...]]

MIN_NAMES = 800

NOT_DINOSAURS = frozenset(
    {
        "dimorphodon",
        "pteranodon",
        "pterodactylus",
        "quetzalcoatlus",
        "smilodon",
        "squalodon",
        "tanystropheus",
        "postosuchus",
        "prestosuchus",
        "marasuchus",
        "lagosuchus",
        "lagerpeton",
        "pareiasaurus",
        "tapinocephalus",
        "plesiosaurus",
        "ichthyosaurus",
        "mosasaurus",
        "dimetrodon",
    }
)
"""Famous non-dinosaurs, several of them in the course's own dinos.txt: none may be shipped."""


class InvariantError(AssertionError):
    """A data set does not have a property its loader promises."""


def _expect(condition: bool | np.bool_, message: str) -> None:
    # An explicit raise, not `assert`, so that python -O cannot switch the checks off.
    if not condition:
        raise InvariantError(message)


def _expect_float64(where: str, *arrays: AnyArray) -> None:
    for i, array in enumerate(arrays):
        _expect(
            isinstance(array, np.ndarray) and array.dtype == np.float64,
            f"{where}: output {i} must be a float64 ndarray, got {type(array).__name__} "
            f"{getattr(array, 'dtype', '')}",
        )


@functools.cache
def _digit_of_image() -> dict[bytes, int]:
    """Every scikit-learn digit, scaled to [0, 1] and flattened, mapped to its label.

    Read from scikit-learn directly, not through the loader under test; the 1797 images are
    pairwise distinct, so an image identifies its example.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = np.asarray(bunch.data, dtype=np.float64) / 16.0
    table = {row.tobytes(): int(label) for row, label in zip(images, bunch.target, strict=True)}
    if len(table) != images.shape[0]:
        raise InvariantError("scikit-learn's digits contain duplicate images; the checks assume none")
    return table


def _digits_of_columns(where: str, X: Array) -> list[int]:
    """The source digit of every column of ``X: (64, m)``; fails on an image that is not a digit."""
    table = _digit_of_image()
    found: list[int] = []
    for i in range(X.shape[1]):
        digit = table.get(np.ascontiguousarray(X[:, i]).tobytes())
        _expect(digit is not None, f"{where}: column {i} is not one of scikit-learn's digit images")
        assert digit is not None  # narrowed for mypy; _expect raised otherwise
        found.append(digit)
    return found


def _check_column_split(
    where: str, split: ds.DigitsSplit, fraction: float, label_of_digit: Callable[[int], int]
) -> tuple[list[int], list[int]]:
    """Shapes, ranges, labels and disjointness of one column-layout split; the source digits."""
    train_x, train_y, test_x, test_y, _ = split
    _expect_float64(where, train_x, train_y, test_x, test_y)
    for name, X, Y in (("train", train_x, train_y), ("test", test_x, test_y)):
        _expect(X.ndim == 2 and X.shape[0] == ds.N_PIXELS, f"{where}: {name}_x shape {X.shape} != (64, m)")
        _expect(Y.shape == (1, X.shape[1]), f"{name}_y shape {Y.shape} != (1, {X.shape[1]}) in {where}")
        _expect(X.min() >= 0.0 and X.max() <= 1.0, f"{where}: {name}_x pixels outside [0, 1]")
    train_digits = _digits_of_columns(f"{where} train", train_x)
    test_digits = _digits_of_columns(f"{where} test", test_x)
    for name, Y, digits in (("train", train_y, train_digits), ("test", test_y, test_digits)):
        expected = np.array([[label_of_digit(d) for d in digits]], dtype=np.float64)
        _expect(np.array_equal(Y, expected), f"{where}: {name}_y does not match the digits of {name}_x")
    seen = {np.ascontiguousarray(train_x[:, i]).tobytes() for i in range(train_x.shape[1])}
    shared = sum(np.ascontiguousarray(test_x[:, i]).tobytes() in seen for i in range(test_x.shape[1]))
    _expect(shared == 0, f"{where}: {shared} test examples also appear in the training set")
    _expect(len(seen) == train_x.shape[1], f"{where}: the training set repeats an example")
    _expect(
        len(set(test_digits)) > 0 and len(set(map(tuple, test_x.T))) == test_x.shape[1],
        f"{where}: the test set repeats an example",
    )
    labels = np.concatenate([train_y.ravel(), test_y.ravel()])
    for label in np.unique(labels):
        total = int(np.sum(labels == label))
        held = int(np.sum(test_y == label))
        _expect(
            abs(held - fraction * total) <= 1.0 and 0 < held < total,
            f"{where}: class {label:g} has {held} of its {total} examples in the test set, "
            f"expected about {fraction * total:.1f} (stratified split)",
        )
    return train_digits, test_digits


def check_digits_binary(loader: DigitsLoader = ds.load_digits_binary) -> float:
    """Layout (64, m)/(1, m), pixels in [0, 1], labels = (digit == positive), stratified disjoint split."""
    counts = np.bincount(list(_digit_of_image().values()), minlength=ds.DIGIT_CLASSES)
    for positive, fraction, seed, negatives in ((1, 0.2, 0, None), (7, 0.3, 5, None), (3, 0.5, 11, (8, 5))):
        where = f"load_digits_binary({positive}, {fraction}, {seed}, negatives={negatives})"
        split = loader(positive, fraction, seed, negatives=negatives)
        train_digits, test_digits = _check_column_split(where, split, fraction, lambda d: int(d == positive))
        kept = set(range(ds.DIGIT_CLASSES)) if negatives is None else {positive, *negatives}
        used = train_digits + test_digits
        _expect(set(used) == kept, f"{where}: uses digits {sorted(set(used))}, expected {sorted(kept)}")
        expected_m = int(sum(counts[d] for d in kept))
        _expect(len(used) == expected_m, f"{where}: {len(used)} examples in all, expected {expected_m}")
        classes = split[4]
        expected_classes = [f"non-{positive}".encode(), str(positive).encode()]
        _expect(list(classes) == expected_classes, f"{where}: classes {classes!r} != {expected_classes!r}")
    return 0.0


def check_digits_multiclass(loader: DigitsLoader = ds.load_digits_multiclass) -> float:
    """Layout (64, m)/(1, m), labels are the digits 0..k-1 themselves, stratified disjoint split."""
    counts = np.bincount(list(_digit_of_image().values()), minlength=ds.DIGIT_CLASSES)
    for n_classes, fraction, seed in ((10, 0.2, 0), (6, 0.25, 3), (2, 0.4, 8)):
        where = f"load_digits_multiclass({n_classes}, {fraction}, {seed})"
        split = loader(n_classes, fraction, seed)
        train_digits, test_digits = _check_column_split(where, split, fraction, lambda d: d)
        used = train_digits + test_digits
        _expect(set(used) == set(range(n_classes)), f"{where}: uses digits {sorted(set(used))}")
        _expect(len(used) == int(counts[:n_classes].sum()), f"{where}: {len(used)} examples in all")
        _expect(
            np.array_equal(split[4], np.arange(n_classes)),
            f"{where}: classes {split[4]!r} != 0..{n_classes - 1}",
        )
    return 0.0


def check_digits_images(
    loader: DigitsLoader = ds.load_digits_images,
    binary_loader: DigitsLoader = ds.load_digits_binary,
    multiclass_loader: DigitsLoader = ds.load_digits_multiclass,
) -> float:
    """Channels-last (m, 8, 8, 1) images and (m, 1) labels: the column loaders' examples, reshaped."""
    cases: tuple[tuple[str, ds.DigitsSplit, ds.DigitsSplit], ...] = (
        (
            "load_digits_images(binary=True, positive=4, seed=2)",
            loader(True, positive=4, test_fraction=0.2, seed=2),
            binary_loader(4, 0.2, 2),
        ),
        (
            "load_digits_images(binary=False, n_classes=6, seed=1)",
            loader(False, n_classes=6, test_fraction=0.3, seed=1),
            multiclass_loader(6, 0.3, 1),
        ),
    )
    for where, images, columns in cases:
        _expect_float64(where, *images[:4])
        for part, (X, Y, X_cols, Y_cols) in (
            ("train", (images[0], images[1], columns[0], columns[1])),
            ("test", (images[2], images[3], columns[2], columns[3])),
        ):
            m = X_cols.shape[1]
            _expect(X.shape == (m, 8, 8, 1), f"{where}: {part}_x shape {X.shape} != ({m}, 8, 8, 1)")
            _expect(Y.shape == (m, 1), f"{where}: {part}_y shape {Y.shape} != ({m}, 1)")
            _expect(
                np.array_equal(X.reshape(m, ds.N_PIXELS).T, X_cols) and np.array_equal(Y.T, Y_cols),
                f"{where}: {part} examples differ from the column loader's",
            )
        _expect(np.array_equal(images[4], columns[4]), f"{where}: classes differ from the column loader's")
    return 0.0


def check_stratified_split(split: Callable[..., tuple[AnyArray, AnyArray]] = ds.stratified_split) -> float:
    """Disjoint index sets covering every example, each class's share held out, same seed same split."""
    rng = np.random.default_rng(0)
    for m, n_classes, fraction in ((50, 2, 0.2), (300, 7, 0.35), (23, 3, 0.5), (1000, 10, 0.1)):
        labels = rng.integers(0, n_classes, m)
        # Every class needs two examples (one on each side of the split).
        labels[: 2 * n_classes] = np.tile(np.arange(n_classes), 2)
        train, test = split(labels, fraction, 4)
        where = f"stratified_split(m={m}, classes={n_classes}, test_fraction={fraction})"
        _expect(
            np.intersect1d(train, test).size == 0,
            f"{where}: train and test share {np.intersect1d(train, test)}",
        )
        both = np.sort(np.concatenate([train, test]))
        _expect(np.array_equal(both, np.arange(m)), f"{where}: indices do not cover 0..m-1 exactly once")
        for label in range(n_classes):
            total = int(np.sum(labels == label))
            held = int(np.sum(labels[test] == label))
            _expect(
                abs(held - fraction * total) <= 1.0 and 0 < held < total,
                f"{where}: class {label} has {held} of {total} in test",
            )
        again = split(labels, fraction, 4)
        _expect(
            np.array_equal(again[0], train) and np.array_equal(again[1], test), f"{where}: not deterministic"
        )
    return 0.0


def check_convert_to_one_hot(convert: Callable[[AnyArray, int], Array] = ds.convert_to_one_hot) -> float:
    """(C, m) float64 columns with a single 1 at the label; accepts (1, m) floats and (m,) ints."""
    rng = np.random.default_rng(1)
    for m, C in ((1, 1), (5, 3), (40, 6), (17, 10)):
        labels = rng.integers(0, C, m)
        for Y in (labels.reshape(1, m).astype(np.float64), labels):
            one_hot = convert(Y, C)
            where = f"convert_to_one_hot(Y {Y.shape} {Y.dtype}, C={C})"
            _expect_float64(where, one_hot)
            _expect(one_hot.shape == (C, m), f"{where}: shape {one_hot.shape} != ({C}, {m})")
            _expect(set(np.unique(one_hot)) <= {0.0, 1.0}, f"{where}: entries other than 0 and 1")
            _expect(np.array_equal(one_hot.sum(axis=0), np.ones(m)), f"{where}: a column does not sum to 1")
            _expect(np.array_equal(one_hot.argmax(axis=0), labels), f"{where}: the 1s are not at the labels")
    return 0.0


def _check_points(where: str, split: ds.PointsSplit, n_train: int, n_test: int) -> None:
    """Shapes (2, m)/(1, m), float64, finite, labels 0/1 with the generator's m//2 / m - m//2 counts."""
    _expect_float64(where, *split)
    for name, X, Y, m in (("train", split[0], split[1], n_train), ("test", split[2], split[3], n_test)):
        _expect(X.shape == (2, m), f"{where}: {name}_X shape {X.shape} != (2, {m})")
        _expect(Y.shape == (1, m), f"{where}: {name}_Y shape {Y.shape} != (1, {m})")
        _expect(bool(np.all(np.isfinite(X))), f"{where}: {name}_X is not finite")
        _expect(set(np.unique(Y)) <= {0.0, 1.0}, f"{where}: {name}_Y holds labels other than 0 and 1")
        ones = int(Y.sum())
        _expect(ones == m - m // 2, f"{where}: {name}_Y has {ones} ones, expected {m - m // 2} of {m}")


def check_circles(loader: PointsLoader = ds.load_circles) -> float:
    """Layout and labels; without noise the points lie on radius 1 (label 0) and 0.8 (label 1)."""
    for n, n_test, noise, seed in ((300, 100, 0.05, 1), (51, 20, 0.0, 7), (10, 4, 0.0, 0)):
        where = f"load_circles({n}, {noise}, seed={seed}, n_test={n_test})"
        split = loader(n, noise, seed, n_test)
        _check_points(where, split, n, n_test)
        for X, Y in ((split[0], split[1]), (split[2], split[3])):
            radius = np.hypot(X[0], X[1])
            expected = np.where(Y[0] == 0.0, 1.0, 0.8)
            worst = float(np.max(np.abs(radius - expected)))
            bound = 1e-12 if noise == 0.0 else 6 * noise
            _expect(worst <= bound, f"{where}: a point lies {worst:.3g} off its circle (bound {bound:g})")
    return 0.0


def check_moons(loader: PointsLoader = ds.load_moons) -> float:
    """Layout and labels; without noise label 0 lies on the upper unit half circle, label 1 on the lower
    one centred at (1, 0.5)."""
    for n, n_test, noise, seed in ((300, 100, 0.2, 3), (41, 12, 0.0, 5), (8, 6, 0.0, 2)):
        where = f"load_moons({n}, {noise}, seed={seed}, n_test={n_test})"
        split = loader(n, noise, seed, n_test)
        _check_points(where, split, n, n_test)
        if noise == 0.0:
            for X, Y in ((split[0], split[1]), (split[2], split[3])):
                upper = Y[0] == 0.0
                off_upper = np.abs(np.hypot(X[0, upper], X[1, upper]) - 1.0)
                off_lower = np.abs(np.hypot(X[0, ~upper] - 1.0, X[1, ~upper] - 0.5) - 1.0)
                worst = float(max(off_upper.max(initial=0.0), off_lower.max(initial=0.0)))
                _expect(worst <= 1e-12, f"{where}: a point lies {worst:.3g} off its half circle")
                _expect(
                    bool(np.all(X[1, upper] >= -1e-12) and np.all(X[1, ~upper] <= 0.5 + 1e-12)),
                    f"{where}: a point is on the wrong half of its circle",
                )
    return 0.0


@contextmanager
def _global_rng_restored() -> Iterator[None]:
    """Run code that seeds numpy's global RNG and put the previous state back afterwards."""
    state = np.random.get_state()
    try:
        yield
    finally:
        np.random.set_state(state)


def check_circles_match_course(loader: PointsLoader = ds.load_circles) -> float:
    """Largest difference from the course's np.random.seed(1)/(2) + make_circles(300/100, noise=.05)."""
    from sklearn.datasets import make_circles

    with _global_rng_restored():
        np.random.seed(1)
        train = make_circles(n_samples=300, noise=0.05)
        np.random.seed(2)
        test = make_circles(n_samples=100, noise=0.05)
    got = loader()
    expected = (train[0].T, train[1].reshape(1, -1), test[0].T, test[1].reshape(1, -1))
    return _largest_difference(got, expected)


def check_moons_match_course(loader: PointsLoader = ds.load_moons) -> float:
    """Largest difference from the course's np.random.seed(3) + make_moons(n_samples=300, noise=.2)."""
    from sklearn.datasets import make_moons

    with _global_rng_restored():
        np.random.seed(3)
        points, labels = make_moons(n_samples=300, noise=0.2)
    got = loader()
    return _largest_difference(got[:2], (points.T, labels.reshape(1, -1)))


def _largest_difference(got: tuple[AnyArray, ...], expected: tuple[AnyArray, ...]) -> float:
    worst = 0.0
    for a, b in zip(got, expected, strict=True):
        if np.shape(a) != np.shape(b):
            return float("inf")
        worst = max(worst, float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b), initial=0.0)))
    return worst


def _course_flower(m: int, seed: int) -> tuple[Array, Array]:
    """The planar flower written out point by point from the course's definition (rows = examples)."""
    np.random.seed(seed)
    N = m // 2
    X = np.zeros((m, 2))
    Y = np.zeros((m, 1))
    for j in range(2):
        t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + np.random.randn(N) * 0.2
        r = 4 * np.sin(4 * t) + np.random.randn(N) * 0.2
        for k in range(N):
            X[N * j + k] = (r[k] * np.sin(t[k]), r[k] * np.cos(t[k]))
            Y[N * j + k] = j
    return X.T, Y.T


def check_planar_matches_course(loader: PlanarLoader = ds.load_planar_dataset) -> float:
    """Largest difference from the course's flower for (m, seed) = (400, 1), (10, 3), (2, 0).

    Also requires the loader to leave numpy's global RNG where the course's 2m draws leave it,
    whatever state it found, since later seeded-in-notebook cells depend on it.
    """
    worst = 0.0
    with _global_rng_restored():
        for m, seed in ((400, 1), (10, 3), (2, 0)):
            expected = _course_flower(m, seed)
            after_course = np.random.randn()
            np.random.seed(12345)  # a state the loader must not depend on
            got = loader(m, seed)
            _expect(
                np.random.randn() == after_course,
                f"load_planar_dataset({m}, {seed}): numpy's global RNG is not where the course leaves it",
            )
            worst = max(worst, _largest_difference(got, expected))
    return worst


def check_planar(loader: PlanarLoader = ds.load_planar_dataset) -> float:
    """X (2, m) float64, Y (1, m) with m/2 zeros then m/2 ones, radii below the petal length + noise."""
    with _global_rng_restored():
        for m, seed in ((400, 1), (60, 9)):
            where = f"load_planar_dataset({m}, {seed})"
            X, Y = loader(m, seed)
            _expect_float64(where, X, Y)
            _expect(X.shape == (2, m) and Y.shape == (1, m), f"{where}: shapes {X.shape}, {Y.shape}")
            expected = np.repeat([0.0, 1.0], m // 2).reshape(1, m)
            _expect(np.array_equal(Y, expected), f"{where}: Y is not m/2 zeros followed by m/2 ones")
            radius = float(np.hypot(X[0], X[1]).max())
            # |r| = |4 sin(4t) + 0.2 n| exceeds 4 + 0.2 * 6 with probability about 2e-9 per point.
            _expect(radius <= 4.0 + 1.2, f"{where}: a point at radius {radius:.3f} is outside the flower")
    return 0.0


def check_deterministic(load: SeededLoader, seeds: tuple[int, int] = (0, 1)) -> float:
    """The same seed gives identical outputs; two different seeds give different first outputs."""
    with _global_rng_restored():
        first = load(seeds[0])
        again = load(seeds[0])
        other = load(seeds[1])
    for i, (a, b) in enumerate(zip(first, again, strict=True)):
        _expect(np.array_equal(a, b), f"output {i} differs between two calls with seed {seeds[0]}")
    _expect(
        not np.array_equal(first[0], other[0]), f"seeds {seeds[0]} and {seeds[1]} give the same first output"
    )
    return 0.0


def check_names_file(load: Callable[[], list[str]] = ds.load_names) -> float:
    """The shipped file is clean (one name a line, no blanks or spaces) and the names are usable."""
    raw = (resources.files("reference") / ds.NAMES_RESOURCE).read_text(encoding="utf-8")
    _expect(raw.endswith("\n") and not raw.endswith("\n\n"), "names.txt must end with exactly one newline")
    lines = raw.splitlines()
    names = load()
    _expect(names == lines, "load_names() does not return the file's lines in order")
    _expect(len(names) >= MIN_NAMES, f"only {len(names)} names, expected at least {MIN_NAMES}")
    bad = [n for n in names if not (n and set(n) <= set(string.ascii_lowercase))]
    _expect(not bad, f"names outside a-z: {bad[:5]}")
    _expect(len(set(names)) == len(names), "names.txt has duplicates")
    _expect(names == sorted(names), "names.txt is not sorted")
    _expect(set("".join(names)) == set(string.ascii_lowercase), "some letter a-z never occurs in the names")
    found = NOT_DINOSAURS.intersection(names)
    _expect(not found, f"names.txt lists non-dinosaurs: {sorted(found)}")
    return 0.0


def check_char_vocabulary(
    vocabulary: Callable[[list[str]], tuple[dict[str, int], dict[int, str]]] = ds.char_vocabulary,
) -> float:
    """27 symbols, '\\n' -> 0 and 'a'..'z' -> 1..26, inverse maps, equal to the course's sorted(set(data))."""
    names = ds.load_names()
    char_to_ix, ix_to_char = vocabulary(names)
    _expect(len(char_to_ix) == 27 and len(ix_to_char) == 27, f"{len(char_to_ix)} symbols, expected 27")
    expected = {ch: i for i, ch in enumerate("\n" + string.ascii_lowercase)}
    _expect(char_to_ix == expected, "char_to_ix is not '\\n' -> 0, 'a' -> 1, ..., 'z' -> 26")
    _expect(
        all(char_to_ix[ch] == ix for ix, ch in ix_to_char.items()),
        "ix_to_char is not the inverse of char_to_ix",
    )
    course = sorted(set("\n".join(names).lower() + "\n"))
    _expect([ix_to_char[i] for i in range(27)] == course, "differs from the course's sorted(set(data))")
    return 0.0


def _seeded(load: Callable[..., Any], **kwargs: Any) -> SeededLoader:
    def run(seed: int) -> tuple[AnyArray, ...]:
        out: tuple[AnyArray, ...] = tuple(load(seed=seed, **kwargs))
        return out

    return run


SEEDED_LOADERS: dict[str, SeededLoader] = {
    "load_digits_binary": _seeded(ds.load_digits_binary),
    "load_digits_multiclass": _seeded(ds.load_digits_multiclass, n_classes=6),
    "load_digits_images": _seeded(ds.load_digits_images, binary=False),
    "load_circles": _seeded(ds.load_circles),
    "load_moons": _seeded(ds.load_moons),
    "load_planar_dataset": _seeded(ds.load_planar_dataset),
}
"""Each loader as a function of its seed alone, for the determinism checks."""


def _determinism(name: str) -> Callable[[], float]:
    return lambda: check_deterministic(SEEDED_LOADERS[name])


def checks() -> list[Check]:
    """The checks of every data set loader."""
    out = [
        Check(
            "datasets.load_digits_binary",
            "invariant",
            "layout, ranges, labels, stratified split",
            check_digits_binary,
            0.0,
        ),
        Check(
            "datasets.load_digits_multiclass",
            "invariant",
            "layout, ranges, labels, stratified split",
            check_digits_multiclass,
            0.0,
        ),
        Check(
            "datasets.load_digits_images",
            "invariant",
            "channels-last copies of the column loaders",
            check_digits_images,
            0.0,
        ),
        Check(
            "datasets.stratified_split",
            "invariant",
            "disjoint, covering, per-class shares",
            check_stratified_split,
            0.0,
        ),
        Check(
            "datasets.convert_to_one_hot",
            "invariant",
            "(C, m), one 1 per column at the label",
            check_convert_to_one_hot,
            0.0,
        ),
        Check("datasets.load_circles", "invariant", "layout, labels, radii 1 and 0.8", check_circles, 0.0),
        Check(
            "datasets.load_circles",
            "known-value",
            "course's seed 1/2 make_circles points",
            check_circles_match_course,
            0.0,
        ),
        Check("datasets.load_moons", "invariant", "layout, labels, half circles", check_moons, 0.0),
        Check(
            "datasets.load_moons",
            "known-value",
            "course's seed 3 make_moons points",
            check_moons_match_course,
            0.0,
        ),
        Check(
            "datasets.load_planar_dataset", "invariant", "layout, labels, flower radius", check_planar, 0.0
        ),
        Check(
            "datasets.load_planar_dataset",
            "known-value",
            "course's flower and global RNG state",
            check_planar_matches_course,
            0.0,
        ),
        Check(
            "datasets.load_names",
            "invariant",
            "names.txt clean: a-z, unique, sorted, count",
            check_names_file,
            0.0,
        ),
        Check(
            "datasets.char_vocabulary",
            "invariant",
            "'\\n' then a..z, as the course's",
            check_char_vocabulary,
            0.0,
        ),
    ]
    out.extend(
        Check(
            f"datasets.{name}", "invariant", "deterministic per seed, seeds differ", _determinism(name), 0.0
        )
        for name in SEEDED_LOADERS
    )
    return out
