"""reference.datasets: offline loaders, their layouts, splits, determinism, and the names file."""

from __future__ import annotations

import socket
import string

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from reference import datasets as ds
from reference.checks import datasets as dc
from reference.checks import run_check
from reference.checks.datasets import InvariantError, checks


@pytest.mark.parametrize("check", checks(), ids=lambda c: c.name)
def test_check_passes(check):
    result = run_check(check)
    assert result.status == "pass", result


# --- mutants: wrong loaders must make the checks fail -----------------------------------------------


def _joined(split):
    train_x, train_y, test_x, test_y, classes = split
    return np.concatenate([train_x, test_x], axis=1), np.concatenate([train_y, test_y], axis=1), classes


def test_check_rejects_a_split_that_is_not_stratified():
    # A student's "first rows are the test set" after sorting by label: the test set has no positives.
    def sorted_split(positive, test_fraction, seed, *, negatives=None):
        split = ds.load_digits_binary(positive, test_fraction, seed, negatives=negatives)
        X, Y, classes = _joined(split)
        order = np.argsort(Y[0], kind="stable")
        n_test = split[2].shape[1]
        test, train = order[:n_test], order[n_test:]
        return X[:, train], Y[:, train], X[:, test], Y[:, test], classes

    with pytest.raises(InvariantError, match="stratified"):
        dc.check_digits_binary(sorted_split)


def test_check_rejects_test_examples_leaking_into_training():
    def leaky(positive, test_fraction, seed, *, negatives=None):
        train_x, train_y, test_x, test_y, classes = ds.load_digits_binary(
            positive, test_fraction, seed, negatives=negatives
        )
        train_x, train_y = train_x.copy(), train_y.copy()
        train_x[:, :3], train_y[:, :3] = test_x[:, :3], test_y[:, :3]
        return train_x, train_y, test_x, test_y, classes

    with pytest.raises(InvariantError, match="also appear in the training set"):
        dc.check_digits_binary(leaky)


def test_check_rejects_unscaled_pixels_and_row_layout():
    def unscaled(*args, **kwargs):
        train_x, train_y, test_x, test_y, classes = ds.load_digits_multiclass(*args, **kwargs)
        return train_x * 16, train_y, test_x * 16, test_y, classes

    def rows(*args, **kwargs):
        train_x, train_y, test_x, test_y, classes = ds.load_digits_multiclass(*args, **kwargs)
        return train_x, train_y.T, test_x, test_y.T, classes

    with pytest.raises(InvariantError, match=r"outside \[0, 1\]"):
        dc.check_digits_multiclass(unscaled)
    with pytest.raises(InvariantError, match="train_y shape"):
        dc.check_digits_multiclass(rows)


def test_check_rejects_labels_that_do_not_match_the_images():
    def shifted(*args, **kwargs):
        train_x, train_y, test_x, test_y, classes = ds.load_digits_multiclass(*args, **kwargs)
        return train_x, np.roll(train_y, 1, axis=1), test_x, test_y, classes

    with pytest.raises(InvariantError, match="does not match the digits"):
        dc.check_digits_multiclass(shifted)


def test_check_rejects_channels_first_images():
    def channels_first(binary=True, **kwargs):
        train_x, train_y, test_x, test_y, classes = ds.load_digits_images(binary, **kwargs)
        return train_x.transpose(0, 3, 1, 2), train_y, test_x.transpose(0, 3, 1, 2), test_y, classes

    with pytest.raises(InvariantError, match=r"train_x shape \(\d+, 1, 8, 8\)"):
        dc.check_digits_images(channels_first)


def test_check_rejects_one_hot_without_the_transpose():
    # The course's helper transposes np.eye(C)[Y]; forgetting it gives (m, C).
    def untransposed(Y, C):
        return np.eye(C)[np.asarray(Y).reshape(-1).astype(int)]

    with pytest.raises(InvariantError, match="shape"):
        dc.check_convert_to_one_hot(untransposed)


def test_known_value_checks_catch_a_different_random_stream():
    def circles_same_seed_for_test(n_samples=300, noise=0.05, seed=1, n_test=100):
        train = ds.load_circles(n_samples, noise, seed, n_test)
        test = ds.load_circles(n_test, noise, seed, 2)
        return train[0], train[1], test[0], test[1]

    def flower(m, t_noise, r_noise):
        N = m // 2
        X, Y = np.zeros((2, m)), np.repeat([[0.0, 1.0]], N, axis=1).reshape(1, m)
        for j in range(2):
            t = np.linspace(j * 3.12, (j + 1) * 3.12, N) + t_noise[j] * 0.2
            r = 4 * np.sin(4 * t) + r_noise[j] * 0.2
            X[:, j * N : (j + 1) * N] = r * np.sin(t), r * np.cos(t)
        return X, Y

    def planar_with_generator(m=400, seed=1):
        rng = np.random.default_rng(seed)
        N = m // 2
        return flower(m, rng.standard_normal((2, N)), rng.standard_normal((2, N)))

    def planar_angles_drawn_first(m=400, seed=1):
        np.random.seed(seed)
        N = m // 2
        t_noise = np.random.randn(2, N)
        return flower(m, t_noise, np.random.randn(2, N))

    assert dc.check_circles_match_course(circles_same_seed_for_test) > 1e-2
    with pytest.raises(InvariantError, match="global RNG"):
        dc.check_planar_matches_course(planar_with_generator)
    # Same number of global draws, another order: the RNG ends in the same state, the points differ.
    assert dc.check_planar_matches_course(planar_angles_drawn_first) > 1e-2


def test_determinism_check_rejects_ignored_and_unseeded_seeds():
    def ignores_seed(seed):
        return ds.load_circles(seed=1)

    def unseeded(seed):
        return (np.random.default_rng().standard_normal((2, 5)),)

    with pytest.raises(InvariantError, match="give the same first output"):
        dc.check_deterministic(ignores_seed)
    with pytest.raises(InvariantError, match="differs between two calls"):
        dc.check_deterministic(unseeded)


def test_names_and_vocabulary_checks_reject_bad_mappings():
    def newline_last(names):
        symbols = string.ascii_lowercase + "\n"
        return {c: i for i, c in enumerate(symbols)}, dict(enumerate(symbols))

    def with_duplicate():
        names = ds.load_names()
        return [*names[:10], names[9], *names[10:]]

    with pytest.raises(InvariantError, match="char_to_ix"):
        dc.check_char_vocabulary(newline_last)
    with pytest.raises(InvariantError):
        dc.check_names_file(with_duplicate)


# --- the digits -------------------------------------------------------------------------------------


def test_digits_binary_layout_ranges_and_balance():
    train_x, train_y, test_x, test_y, classes = ds.load_digits_binary(positive=3, test_fraction=0.25, seed=4)
    m_train, m_test = train_x.shape[1], test_x.shape[1]
    assert train_x.shape == (64, m_train) and test_x.shape == (64, m_test)
    assert train_y.shape == (1, m_train) and test_y.shape == (1, m_test)
    assert m_train + m_test == 1797
    assert abs(m_test - 0.25 * 1797) <= 10
    for array in (train_x, train_y, test_x, test_y):
        assert array.dtype == np.float64
    assert train_x.min() >= 0.0 and train_x.max() == 1.0
    assert set(np.unique(train_y)) == {0.0, 1.0} == set(np.unique(test_y))
    # 183 threes: the stratified split holds out round(0.25 * 183) = 46 of them.
    assert test_y.sum() == 46 and train_y.sum() == 183 - 46
    assert abs(train_y.mean() - test_y.mean()) < 0.01
    assert list(classes) == [b"non-3", b"3"]
    assert classes[int(test_y[0, 0])].decode("utf-8") in ("3", "non-3")


def test_digits_binary_with_chosen_negatives_is_balanced():
    train_x, train_y, test_x, test_y, _ = ds.load_digits_binary(1, 0.2, 0, negatives=[7])
    assert train_x.shape[1] + test_x.shape[1] == 182 + 179
    assert 0.45 < train_y.mean() < 0.55 and 0.45 < test_y.mean() < 0.55


@pytest.mark.parametrize("n_classes", [2, 6, 10])
def test_digits_multiclass_labels_are_the_first_k_digits(n_classes):
    train_x, train_y, test_x, test_y, classes = ds.load_digits_multiclass(n_classes)
    assert train_x.shape[0] == 64 and train_y.shape == (1, train_x.shape[1])
    assert test_x.shape == (64, test_y.shape[1])
    assert set(np.unique(train_y)) == set(range(n_classes)) == set(np.unique(test_y))
    assert train_y.dtype == np.float64
    np.testing.assert_array_equal(classes, np.arange(n_classes))
    # Every class has about the same share (20%) in the test part.
    for c in range(n_classes):
        share = np.sum(test_y == c) / (np.sum(test_y == c) + np.sum(train_y == c))
        assert abs(share - 0.2) < 0.01


def test_digits_images_are_channels_last_with_column_labels():
    train_x, train_y, test_x, test_y, classes = ds.load_digits_images(binary=False, n_classes=6, seed=2)
    np.testing.assert_array_equal(classes, np.arange(6))
    assert train_x.shape[1:] == (8, 8, 1) and test_x.shape[1:] == (8, 8, 1)
    assert train_y.shape == (train_x.shape[0], 1) and test_y.shape == (test_x.shape[0], 1)
    assert train_x.dtype == np.float64 and train_x.min() >= 0.0 and train_x.max() <= 1.0
    one_hot = ds.convert_to_one_hot(train_y.T, 6).T
    assert one_hot.shape == (train_x.shape[0], 6)
    binary = ds.load_digits_images(True, positive=0)
    assert set(np.unique(binary[1])) == {0.0, 1.0}
    assert list(binary[4]) == [b"non-0", b"0"]


def test_digit_loaders_are_deterministic_and_seeds_differ():
    first = ds.load_digits_binary(seed=5)
    again = ds.load_digits_binary(seed=5)
    other = ds.load_digits_binary(seed=6)
    for a, b in zip(first[:4], again[:4], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[2], other[2])
    # Same examples in all, only the split differs.
    assert sorted(map(bytes, _joined(first)[0].T)) == sorted(map(bytes, _joined(other)[0].T))


def test_returned_arrays_are_private_copies():
    train_x, *_ = ds.load_digits_binary()
    train_x[:] = -1.0
    assert ds.load_digits_binary()[0].min() >= 0.0
    images, labels = ds._digits()
    assert not images.flags.writeable and not labels.flags.writeable


@given(st.lists(st.integers(0, 4), min_size=6, max_size=80), st.floats(0.05, 0.95), st.integers(0, 2**32 - 1))
def test_stratified_split_partitions_every_class(labels, fraction, seed):
    labels = np.array([*labels, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4])  # every class at least twice
    before = labels.copy()
    train, test = ds.stratified_split(labels, fraction, seed)
    np.testing.assert_array_equal(labels, before)
    np.testing.assert_array_equal(np.sort(np.concatenate([train, test])), np.arange(labels.size))
    for c in range(5):
        total, held = np.sum(labels == c), np.sum(labels[test] == c)
        assert 1 <= held <= total - 1
        assert abs(held - fraction * total) <= 1.0


# --- one-hot ----------------------------------------------------------------------------------------


@given(
    st.integers(1, 12).flatmap(lambda C: st.tuples(st.just(C), st.lists(st.integers(0, C - 1), max_size=40)))
)
def test_convert_to_one_hot_round_trip(case):
    C, labels = case
    Y = np.array(labels, dtype=np.float64).reshape(1, -1)
    before = Y.copy()
    one_hot = ds.convert_to_one_hot(Y, C)
    np.testing.assert_array_equal(Y, before)
    assert one_hot.shape == (C, len(labels)) and one_hot.dtype == np.float64
    np.testing.assert_array_equal(one_hot.sum(axis=0), np.ones(len(labels)))
    np.testing.assert_array_equal(one_hot.argmax(axis=0), labels)
    np.testing.assert_array_equal(ds.convert_to_one_hot(np.array(labels, dtype=np.int64), C), one_hot)


def test_convert_to_one_hot_matches_the_course_example():
    # The course's example: labels [1, 2, 3, 0, 2, 1] with C = 4.
    one_hot = ds.convert_to_one_hot(np.array([[1, 2, 3, 0, 2, 1]]), 4)
    expected = np.array(
        [[0, 0, 0, 1, 0, 0], [1, 0, 0, 0, 0, 1], [0, 1, 0, 0, 1, 0], [0, 0, 1, 0, 0, 0]], dtype=np.float64
    )
    np.testing.assert_array_equal(one_hot, expected)


# --- point clouds -----------------------------------------------------------------------------------


@pytest.mark.parametrize("loader", [ds.load_circles, ds.load_moons])
def test_point_loaders_layout_and_labels(loader):
    train_X, train_Y, test_X, test_Y = loader()
    assert train_X.shape == (2, 300) and train_Y.shape == (1, 300)
    assert test_X.shape == (2, 100) and test_Y.shape == (1, 100)
    for array in (train_X, train_Y, test_X, test_Y):
        assert array.dtype == np.float64
    assert train_Y.sum() == 150 and test_Y.sum() == 50
    assert np.abs(train_X).max() < 3.0
    small = loader(n_samples=21, noise=0.1, seed=9, n_test=7)
    assert [a.shape for a in small] == [(2, 21), (1, 21), (2, 7), (1, 7)]


@pytest.mark.parametrize("loader", [ds.load_circles, ds.load_moons])
def test_point_loaders_are_deterministic_and_leave_the_global_rng_alone(loader):
    state = np.random.get_state()
    first, again, other = loader(seed=11), loader(seed=11), loader(seed=12)
    after = np.random.get_state()
    assert after[0] == state[0] and np.array_equal(after[1], state[1]) and after[2:] == state[2:]
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], other[0])
    # Train and test come from different streams: no shared point.
    assert not set(map(tuple, first[0].T)) & set(map(tuple, first[2].T))


def test_circles_radii_without_noise():
    train_X, train_Y, _, _ = ds.load_circles(noise=0.0)
    radius = np.hypot(*train_X)
    np.testing.assert_allclose(radius[train_Y[0] == 0], 1.0)
    np.testing.assert_allclose(radius[train_Y[0] == 1], 0.8)


def test_planar_dataset_layout_and_course_seeding():
    np.random.seed(77)
    X, Y = ds.load_planar_dataset()
    assert X.shape == (2, 400) and Y.shape == (1, 400)
    assert X.dtype == np.float64 and Y.dtype == np.float64
    np.testing.assert_array_equal(Y[0, :200], 0.0)
    np.testing.assert_array_equal(Y[0, 200:], 1.0)
    # The course seeds the global RNG: the result does not depend on the state it found.
    np.random.seed(78)
    X2, _ = ds.load_planar_dataset()
    np.testing.assert_array_equal(X, X2)
    assert not np.array_equal(ds.load_planar_dataset(seed=2)[0], X)
    # Each point is (r sin t, r cos t) with |r| = |4 sin 4t + noise| <= 4 plus a little noise.
    assert np.hypot(*X).max() < 4.0 + 1.2
    assert ds.load_planar_dataset(m=6, seed=0)[0].shape == (2, 6)


# --- names ------------------------------------------------------------------------------------------


def test_names_are_clean_real_genus_names():
    names = ds.load_names()
    assert len(names) >= 800
    assert len(set(names)) == len(names) and names == sorted(names)
    assert all(n and set(n) <= set(string.ascii_lowercase) for n in names)
    for genus in ("tyrannosaurus", "triceratops", "velociraptor", "stegosaurus", "iguanodon", "zuul"):
        assert genus in names
    names.clear()
    assert ds.load_names(), "callers must get a fresh list"


def test_names_do_not_depend_on_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ds._names.cache_clear()
    assert len(ds.load_names()) >= 800


def test_char_vocabulary_mapping():
    char_to_ix, ix_to_char = ds.char_vocabulary(ds.load_names())
    assert len(char_to_ix) == len(ix_to_char) == 27
    assert char_to_ix["\n"] == 0 and char_to_ix["a"] == 1 and char_to_ix["z"] == 26
    assert ix_to_char[0] == "\n" and ix_to_char[1] == "a" and ix_to_char[26] == "z"
    assert all(ix_to_char[i] == c for c, i in char_to_ix.items())
    # A subset that never uses some letters keeps the full 27-symbol vocabulary.
    assert ds.char_vocabulary(["abc"]) == (char_to_ix, ix_to_char)


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: ds.load_digits_binary(positive=10), r"positive must be an integer in \[0, 9\], got 10"),
        (lambda: ds.load_digits_binary(positive=2, negatives=[2]), r"negatives must be distinct digits"),
        (lambda: ds.load_digits_binary(test_fraction=0.0), r"test_fraction .* got 0\.0"),
        (lambda: ds.load_digits_binary(test_fraction=True), r"test_fraction .* got True"),
        (lambda: ds.load_digits_binary(seed=-1), r"seed must be an integer .* got -1"),
        (
            lambda: ds.load_digits_multiclass(n_classes=11),
            r"n_classes must be an integer in \[2, 10\], got 11",
        ),
        (lambda: ds.load_digits_multiclass(n_classes=1.5), r"n_classes .* got 1\.5"),
        (lambda: ds.load_digits_images(binary="yes"), r"binary must be True or False, got 'yes'"),
        (lambda: ds.convert_to_one_hot(np.array([[0, 4]]), 4), r"Y must hold whole numbers in \[0, C=4\)"),
        (lambda: ds.convert_to_one_hot(np.array([[0.5]]), 2), r"Y must hold whole numbers"),
        (lambda: ds.convert_to_one_hot(np.array([[0]]), 0), r"C must be an integer >= 1, got 0"),
        (lambda: ds.load_circles(n_samples=1), r"n_samples must be an integer >= 2, got 1"),
        (lambda: ds.load_circles(noise=float("nan")), r"noise must be a finite number >= 0, got nan"),
        (lambda: ds.load_moons(n_test=0), r"n_test must be an integer >= 2, got 0"),
        (lambda: ds.load_moons(seed="3"), r"seed must be an integer .* got '3'"),
        (lambda: ds.load_planar_dataset(m=401), r"m must be even .* got 401"),
        (lambda: ds.load_planar_dataset(m=0), r"m must be an integer >= 2, got 0"),
        (lambda: ds.char_vocabulary(["rex", "T-rex"]), r"names\[1\] must be .* got 'T-rex'"),
        (lambda: ds.stratified_split(np.array([0, 0, 1]), 0.5, 0), r"class 1 has 1 example"),
        (lambda: ds.stratified_split(np.array([], dtype=np.int64), 0.5, 0), r"labels .* empty"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- offline ----------------------------------------------------------------------------------------


def test_no_loader_touches_the_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a loader tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    # Drop the caches so that the files are really read again with the network unavailable.
    ds._digits.cache_clear()
    ds._names.cache_clear()
    assert ds.load_digits_binary()[0].shape[0] == 64
    assert ds.load_digits_multiclass(6)[0].shape[0] == 64
    assert ds.load_digits_images(False)[0].shape[1:] == (8, 8, 1)
    assert ds.load_circles()[0].shape == (2, 300)
    assert ds.load_moons()[0].shape == (2, 300)
    assert ds.load_planar_dataset()[0].shape == (2, 400)
    assert len(ds.load_names()) >= 800
    with pytest.raises(AssertionError, match="network"):
        socket.create_connection(("example.org", 80))
