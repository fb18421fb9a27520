"""Plain data: exact round trips of plain values, and strict rejection of everything else."""

from __future__ import annotations

import io
import json
import math
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from grader import plaindata
from grader.plaindata import PlainDataError, PlainDataLimits, Unencodable, decode, dump, encode, load

SCALAR_TYPES = [
    np.bool_,
    np.int8,
    np.int32,
    np.int64,
    np.uint8,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
]


def same(a: object, b: object) -> bool:
    """Equal values of exactly the same types (nan equal to nan, -0.0 distinct from 0.0)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray)
        return (
            a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    if isinstance(a, float | np.floating):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))  # type: ignore[arg-type]
    if isinstance(a, list | tuple):
        assert isinstance(b, list | tuple)
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


def roundtrip(value: object, tmp_path: Path) -> object:
    dump(value, tmp_path)
    return load(tmp_path)


arrays = st.sampled_from(
    ["bool", "int8", "int64", "uint16", "uint64", "float16", "float32", "float64"]
).flatmap(lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4)))
numpy_scalars = st.sampled_from(SCALAR_TYPES).flatmap(
    lambda t: hnp.from_dtype(np.dtype(t)).map(lambda v: np.dtype(t).type(v))
)
leaves = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20) | numpy_scalars | arrays
)
plain_values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(plain_values)
def test_encode_then_decode_is_exact(value):
    tree, arrays = encode(value)
    json.dumps(tree, allow_nan=False)  # the tree is strict JSON
    assert same(decode(json.loads(json.dumps(tree)), arrays), value)


@given(plain_values)
def test_dump_then_load_is_exact(value):
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        assert same(roundtrip(value, Path(directory)), value)


def test_special_values_survive(tmp_path):
    value = {
        "nan": math.nan,
        "inf": math.inf,
        "-inf": -math.inf,
        "neg0": -0.0,
        "big": 2**200,
        "f64": np.float64(math.nan),
        "empty": np.zeros((0, 3)),
        "scalar0d": np.array(1.5),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "strided": np.arange(10.0)[::3],
        "text": "héllo \udcff",
    }
    back = roundtrip(value, tmp_path)
    assert same(
        back, {**value, "fortran": np.arange(6.0).reshape(2, 3), "strided": np.array([0.0, 3.0, 6.0, 9.0])}
    )


def test_numpy_scalar_types_are_kept(tmp_path):
    values = [t(1) for t in SCALAR_TYPES] + [np.longlong(7)]
    back = roundtrip(values, tmp_path)
    assert isinstance(back, list)
    assert [type(v) for v in back] == [*SCALAR_TYPES, np.int64]


class Liar(np.ndarray):
    def __eq__(self, other):  # type: ignore[override]
        return True

    def __array__(self, dtype=None, copy=None):
        return np.zeros(self.shape)

    def view(self, *args, **kwargs):  # type: ignore[override]
        raise RuntimeError("never called")


def test_an_ndarray_subclass_is_stored_as_its_real_data():
    lying = np.arange(4.0).view(Liar)
    tree, arrays = encode(lying)
    assert tree == {"$": "ndarray", "ref": "a0", "subclass": f"{__name__}.Liar"}
    assert type(arrays["a0"]) is np.ndarray and arrays["a0"].tolist() == [0.0, 1.0, 2.0, 3.0]
    back = decode(tree, arrays)
    assert type(back) is np.ndarray


class LyingFloat(float):
    def __float__(self):
        return 0.0

    def __eq__(self, other):
        return True

    __hash__ = float.__hash__


class LyingDict(dict):
    def items(self):  # type: ignore[override]
        return [("fake", 0)]

    def __iter__(self):
        return iter(["fake"])


class LyingList(list):
    def __iter__(self):
        return iter([0])


def test_builtin_subclasses_are_read_through_the_base_types():
    tree, _ = encode([LyingFloat(2.5), LyingDict(real=1), LyingList([7, 8])])
    assert decode(tree, {}) == [2.5, {"real": 1}, [7, 8]]


class AlwaysEqual:
    def __eq__(self, other):
        return True

    def __repr__(self):
        raise RuntimeError("never called")


@pytest.mark.parametrize(
    ("value", "type_name"),
    [
        (AlwaysEqual(), f"{__name__}.AlwaysEqual"),
        (1 + 2j, "complex"),
        (np.array([1 + 2j]), "numpy.ndarray"),
        (np.array([{"a": 1}], dtype=object), "numpy.ndarray"),
        (np.zeros(2, dtype=[("x", "f8")]), "numpy.ndarray"),
        ({1: "int key"}, "dict"),
        ({1, 2}, "set"),
        (len, "builtin_function_or_method"),
        (np.complex128(1), "numpy.complex128"),
    ],
)
def test_values_that_are_not_plain_data_become_unencodable(value, type_name, tmp_path):
    back = roundtrip({"x": value}, tmp_path)
    assert isinstance(back, dict)
    marker = back["x"]
    assert isinstance(marker, Unencodable) and marker.type_name == type_name and marker.summary
    with pytest.raises(PlainDataError, match="not plain data"):
        encode(value, strict=True)


def test_an_unencodable_marker_travels_as_itself(tmp_path):
    marker = Unencodable("Foo", "too large")
    assert roundtrip([marker], tmp_path) == [marker]


SMALL = PlainDataLimits(max_depth=5, max_nodes=50, max_arrays=3, max_array_bytes=1000, max_string_chars=100)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([[[[[[[1]]]]]]], "deeper"),
        (list(range(100)), "more than 50 values"),
        ([np.zeros(1)] * 4, "more than 3 arrays"),
        (np.zeros(200), "bytes of arrays"),
        ("x" * 101, "characters"),
        (2**20000, "integer"),
    ],
    ids=["depth", "nodes", "arrays", "array-bytes", "strings", "big-int"],
)
def test_encoding_beyond_the_limits_raises(value, message):
    with pytest.raises(PlainDataError, match=message):
        encode(value, SMALL)


def test_a_cycle_is_too_deep():
    cycle: list[object] = []
    cycle.append(cycle)
    with pytest.raises(PlainDataError, match="deeper"):
        encode(cycle)


def write(directory: Path, tree: object, arrays: dict[str, np.ndarray] | None = None) -> Path:
    (directory / "data.json").write_text(json.dumps(tree) if not isinstance(tree, str) else tree)
    if arrays is not None:
        np.savez(directory / "arrays.npz", **arrays)  # type: ignore[arg-type]
    return directory


@pytest.mark.parametrize(
    ("tree", "message"),
    [
        ({"$": "pickle", "v": "x"}, "unknown node tag"),
        ({"a": 1}, "unknown node tag"),
        ({"$": "tuple", "v": [], "extra": 1}, "keys"),
        ({"$": "tuple", "v": {}}, "list of items"),
        ({"$": "dict", "v": []}, "mapping"),
        ({"$": "float", "v": "1.5"}, "nan, inf"),
        ({"$": "scalar", "dtype": "object", "v": 1}, "unsupported dtype"),
        ({"$": "scalar", "dtype": "complex128", "v": 1}, "unsupported dtype"),
        ({"$": "scalar", "dtype": "int8", "v": 1000}, "out of range"),
        ({"$": "scalar", "dtype": "float64", "v": "1"}, "holding a str"),
        ({"$": "scalar", "dtype": "bool", "v": 1}, "holding a int"),
        ({"$": "ndarray", "ref": "a0"}, "missing array"),
        ({"$": "unencodable", "type": 1, "summary": ""}, "strings"),
        ("[NaN]", "constant NaN"),
        ("{not json", "not valid JSON"),
        ("[" * 100_000 + "]" * 100_000, "deep"),
    ],
)
def test_load_rejects_invalid_trees(tree, message, tmp_path):
    write(tmp_path, tree)
    with pytest.raises(PlainDataError, match=message):
        load(tmp_path)


def test_load_rejects_nesting_beyond_the_depth_limit(tmp_path):
    write(tmp_path, [[[[[[[[1]]]]]]]])
    with pytest.raises(PlainDataError, match="deeper"):
        load(tmp_path, SMALL)


def test_load_rejects_too_many_nodes_and_too_much_text(tmp_path):
    write(tmp_path, list(range(51)))
    with pytest.raises(PlainDataError, match="values"):
        load(tmp_path, SMALL)
    write(tmp_path, ["x" * 60, "y" * 60])
    with pytest.raises(PlainDataError, match="characters"):
        load(tmp_path, SMALL)


def test_load_rejects_invalid_utf8(tmp_path):
    (tmp_path / "data.json").write_bytes(b'"\xff\xfe"')
    with pytest.raises(PlainDataError, match="not valid JSON"):
        load(tmp_path)


class Payload:
    """Unpickling this would create a file: proof that pickle ran."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_load_never_unpickles_an_object_array(tmp_path):
    marker = tmp_path.parent / f"{tmp_path.name}-unpickled"
    payload = np.empty(1, dtype=object)
    payload[0] = Payload(str(marker))
    write(tmp_path, {"$": "ndarray", "ref": "a0"})
    np.savez(tmp_path / "arrays.npz", a0=payload, allow_pickle=True)
    with pytest.raises(PlainDataError, match="dtype object"):
        load(tmp_path)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("arrays", "message"),
    [
        ({"a0": np.zeros(2, dtype=[("x", "f8")])}, "not bool/int/float"),
        ({"a0": np.array(["text"])}, "not bool/int/float"),
        ({"a0": np.zeros(2, dtype=np.complex128)}, "not bool/int/float"),
        ({"evil": np.zeros(2)}, "unexpected member"),
        ({"a0": np.zeros(2), "a1": np.zeros(2)}, "not referred to"),
        ({"a0": np.zeros(300)}, "bytes of arrays"),
    ],
)
def test_load_rejects_invalid_arrays(arrays, message, tmp_path):
    write(tmp_path, {"$": "ndarray", "ref": "a0"}, arrays)
    with pytest.raises(PlainDataError, match=message):
        load(tmp_path, PlainDataLimits(max_array_bytes=1000))


def test_load_rejects_compressed_archives(tmp_path):
    write(tmp_path, {"$": "ndarray", "ref": "a0"})
    np.savez_compressed(tmp_path / "arrays.npz", a0=np.zeros(1000))
    with pytest.raises(PlainDataError, match="compressed"):
        load(tmp_path)


def test_load_rejects_an_array_referred_to_twice(tmp_path):
    write(tmp_path, [{"$": "ndarray", "ref": "a0"}, {"$": "ndarray", "ref": "a0"}], {"a0": np.zeros(2)})
    with pytest.raises(PlainDataError, match="twice"):
        load(tmp_path)


def test_load_checks_the_header_before_reading_an_array(tmp_path):
    # A header that declares 2**40 float64 values but carries none: refused without allocating.
    header = {"descr": "<f8", "fortran_order": False, "shape": (2**40,)}
    with zipfile.ZipFile(tmp_path / "arrays.npz", "w") as archive, archive.open("a0.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, header)
    write(tmp_path, {"$": "ndarray", "ref": "a0"})
    with pytest.raises(PlainDataError, match="bytes of arrays"):
        load(tmp_path)


def test_load_rejects_a_truncated_array(tmp_path):
    header = {"descr": "<f8", "fortran_order": False, "shape": (100,)}
    with zipfile.ZipFile(tmp_path / "arrays.npz", "w") as archive, archive.open("a0.npy", "w") as member:
        np.lib.format.write_array_header_1_0(member, header)
        member.write(b"\0" * 16)
    write(tmp_path, {"$": "ndarray", "ref": "a0"})
    with pytest.raises(PlainDataError, match="invalid"):
        load(tmp_path)


def test_load_rejects_garbage_npz_and_oversized_files(tmp_path):
    write(tmp_path, {"$": "ndarray", "ref": "a0"})
    (tmp_path / "arrays.npz").write_bytes(os.urandom(1000))
    with pytest.raises(PlainDataError, match="npz"):
        load(tmp_path)
    (tmp_path / "data.json").write_text("[" + "1," * 1000 + "1]")
    with pytest.raises(PlainDataError, match="limit"):
        load(tmp_path, PlainDataLimits(max_json_bytes=100))


def test_load_refuses_symlinks_and_fifos(tmp_path):
    secret = tmp_path / "secret.json"
    secret.write_text('"secret"')
    target = tmp_path / "out"
    target.mkdir()
    (target / "data.json").symlink_to(secret)
    with pytest.raises(PlainDataError, match="cannot open"):
        load(target)
    (target / "data.json").unlink()
    os.mkfifo(target / "data.json")
    with pytest.raises(PlainDataError, match="not a regular file"):
        load(target)


def test_load_without_data_is_an_error_and_without_arrays_is_fine(tmp_path):
    with pytest.raises(PlainDataError, match=r"no data\.json"):
        load(tmp_path)
    write(tmp_path, [1, 2])
    (tmp_path / "arrays.npz").write_bytes(b"")
    assert load(tmp_path) == [1, 2]


def test_dump_overwrites_existing_files_in_place(tmp_path):
    dump(np.arange(3), tmp_path)
    inode = (tmp_path / "arrays.npz").stat().st_ino
    dump([1], tmp_path)
    assert (tmp_path / "arrays.npz").stat().st_ino == inode and (tmp_path / "arrays.npz").stat().st_size == 0
    assert load(tmp_path) == [1]


def test_the_module_imports_only_the_standard_library_and_numpy():
    import ast

    tree = ast.parse(Path(plaindata.__file__).read_text())
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]  # type: ignore[union-attr]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    import sys

    assert imported - {"__future__", "numpy"} <= set(sys.stdlib_module_names)


# -- the fast path for .npy headers -------------------------------------------------------------

_DTYPES = st.sampled_from(["<f8", "<f4", "<f2", "<i8", "<i4", "<i2", "|i1", "<u8", "|u1", "|b1"])


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=False)
    return buffer.getvalue()


@given(hnp.arrays(_DTYPES, hnp.array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=4)), st.booleans())
def test_the_fast_header_reads_what_numpy_writes_as_numpy_does(array, fortran):
    array = np.asfortranarray(array) if fortran else array
    raw = _npy(array)
    fast = plaindata._fast_header(raw)
    assert fast is not None
    dtype, shape, fortran_order, offset = fast
    member = io.BytesIO(raw)
    assert (dtype, shape, fortran_order) == plaindata._read_header(member, "a0")
    assert offset == member.tell()


def test_headers_off_the_fast_path_go_through_numpys_parser(tmp_path):
    big_endian = np.arange(6, dtype=">f8").reshape(2, 3)
    assert plaindata._fast_header(_npy(big_endian)) is None
    with zipfile.ZipFile(tmp_path / "arrays.npz", "w") as archive:
        archive.writestr("a0.npy", _npy(big_endian))
    (tmp_path / "data.json").write_text(json.dumps({"$": "ndarray", "ref": "a0"}))
    back = load(tmp_path)
    np.testing.assert_array_equal(back, big_endian)


def test_a_fast_header_that_lies_about_the_size_is_refused(tmp_path):
    raw = bytearray(_npy(np.zeros((2, 3))))
    raw[raw.index(b"(2, 3)") : raw.index(b"(2, 3)") + 6] = b"(9, 3)"
    with zipfile.ZipFile(tmp_path / "arrays.npz", "w") as archive:
        archive.writestr("a0.npy", bytes(raw))
    (tmp_path / "data.json").write_text(json.dumps({"$": "ndarray", "ref": "a0"}))
    with pytest.raises(PlainDataError, match="wrong size"):
        load(tmp_path)
