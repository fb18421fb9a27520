"""Plain data: the only form in which values cross the sandbox boundary.

Student code returns arbitrary Python objects; the grader must judge them without running any of
their code. Values are therefore reduced to a closed set of plain types (None, bool, int, float,
str, list, tuple, dict with str keys, numeric ndarrays and numpy scalars), written as a JSON tree
plus an ``.npz`` of arrays, and read back with strict validation. Pickle is never involved: arrays
are written with ``allow_pickle=False`` and read by checking each ``.npy`` header (boolean,
integer and floating dtypes only) and copying the raw data, never through ``np.load``.

Encoding reads the real data of builtin and ndarray subclasses through the base types' own
methods, so an overridden ``__eq__``, ``__array__`` or ``__iter__`` cannot change what is sent.
Any other object becomes an :class:`Unencodable` marker, so feedback can say what was returned.

This module is copied into the sandbox next to the runner: it imports only the standard library
and numpy.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DATA_FILE = "data.json"
ARRAYS_FILE = "arrays.npz"

# Tags of the JSON tree. A JSON list is a Python list; every JSON object is a tagged node.
_TAG = "$"
_ARRAY_NAME = re.compile(r"a[0-9]{1,7}")
_MAX_SUMMARY = 200
# Decimal digits of the largest int accepted (CPython refuses str() of ints above 4300 digits).
_MAX_INT_BITS = 10_000
# Dtypes allowed in arrays and numpy scalars: booleans, integers and real floating point.
_ALLOWED_KINDS = frozenset("biuf")
_NPY_MAGIC_1_0 = b"\x93NUMPY\x01\x00"
# The header numpy writes (version 1.0) for the dtypes above, padded with spaces to a newline.
_NPY_HEADER = re.compile(
    rb"\{'descr': '([<|][biuf][1248])', 'fortran_order': (True|False), "
    rb"'shape': \(((?:[0-9]{1,18}, ?)*(?:[0-9]{1,18})?)\), \} *\n"
)


class PlainDataError(ValueError):
    """A value cannot be written as plain data, or a file does not hold valid plain data."""


@dataclass(frozen=True)
class Unencodable:
    """Stands for a value that is not plain data: its type name and a short description."""

    type_name: str
    summary: str

    def __str__(self) -> str:
        return f"{self.type_name} ({self.summary})" if self.summary else self.type_name


@dataclass(frozen=True)
class PlainDataLimits:
    """Bounds on one encoded value; both encoding and loading enforce them."""

    max_depth: int = 32
    max_nodes: int = 100_000
    max_arrays: int = 10_000
    # Below the sandbox's default file size limit (64 MiB), so that a result this large can be written.
    max_array_bytes: int = 32 * 1024**2
    max_string_chars: int = 4 * 1024**2
    max_json_bytes: int = 16 * 1024**2


DEFAULT_LIMITS = PlainDataLimits()


def type_name(obj: object) -> str:
    """The qualified name of obj's type, without running code the object's class defines."""
    cls = type(obj)
    try:
        name = type.__dict__["__qualname__"].__get__(cls)
        module = type.__dict__["__module__"].__get__(cls)
    except Exception:  # a class whose metaclass breaks even these: say so rather than fail
        return "<unknown type>"
    name = str.__str__(name) if isinstance(name, str) else "<unknown type>"
    if isinstance(module, str) and module not in ("builtins", "__main__"):
        name = f"{str.__str__(module)}.{name}"
    return name[:_MAX_SUMMARY]


_FRAMEWORK_MODULES = ("tensorflow", "keras")
"""Top-level modules whose tensors and models ``from_framework`` converts (by type name only)."""

MODEL_KEY = "keras_model"
"""The key of a converted Keras model: ``{"keras_model": {"json": ..., "weights": [arrays]}}``."""


def _is_framework_object(obj: object) -> bool:
    name = type_name(obj)
    return any(name == m or name.startswith(m + ".") for m in _FRAMEWORK_MODULES)


def from_framework(obj: object, *, depth: int = 0) -> object:
    """``obj`` with framework values turned into plain data, recursively through lists, tuples and
    dicts; anything else is returned as it is (and encodes, or becomes an Unencodable marker).

    TensorFlow/Keras tensors and variables (a type defined in a ``tensorflow`` or ``keras`` module,
    with ``.numpy()``) become numpy arrays; a Keras model (``to_json`` and ``get_weights``) becomes
    ``{"keras_model": {"json": <its architecture>, "weights": [arrays]}}``, rebuilt and judged outside
    the sandbox. Types are recognised by their module name, so neither framework is imported here.
    A conversion that fails leaves the object unchanged.
    """
    if depth > DEFAULT_LIMITS.max_depth:
        return obj
    # Exact builtin containers only, walked through the base types' own methods.
    if isinstance(obj, list) and type(obj) is list:
        return [from_framework(item, depth=depth + 1) for item in list.__iter__(obj)]
    if isinstance(obj, tuple) and type(obj) is tuple:
        return tuple(from_framework(item, depth=depth + 1) for item in tuple.__iter__(obj))
    if isinstance(obj, dict) and type(obj) is dict:
        return {key: from_framework(value, depth=depth + 1) for key, value in dict.items(obj)}
    if not _is_framework_object(obj):
        return obj
    try:
        if hasattr(obj, "to_json") and hasattr(obj, "get_weights"):
            weights = [np.asarray(w) for w in obj.get_weights()]
            return {MODEL_KEY: {"json": str(obj.to_json()), "weights": weights}}
        if hasattr(obj, "numpy"):
            return np.asarray(obj.numpy())
    except Exception:  # not convertible: it travels as an Unencodable marker
        pass
    return obj


class _Encoder:
    """One encoding pass: counts nodes, strings and array bytes against the limits."""

    def __init__(self, limits: PlainDataLimits, strict: bool) -> None:
        self.limits = limits
        self.strict = strict
        self.nodes = 0
        self.string_chars = 0
        self.array_bytes = 0
        self.arrays: dict[str, np.ndarray[Any, Any]] = {}

    def unencodable(self, obj: object, summary: str) -> dict[str, Any]:
        name = type_name(obj)
        if self.strict:
            raise PlainDataError(f"a value of type {name} is not plain data ({summary})")
        return {_TAG: "unencodable", "type": name, "summary": summary[:_MAX_SUMMARY]}

    def string(self, value: str) -> str:
        self.string_chars += len(value)
        if self.string_chars > self.limits.max_string_chars:
            raise PlainDataError(f"more than {self.limits.max_string_chars} characters of strings")
        return value

    def encode(self, obj: object, depth: int) -> Any:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise PlainDataError(f"more than {self.limits.max_nodes} values")
        if depth > self.limits.max_depth:
            raise PlainDataError(f"nested deeper than {self.limits.max_depth} levels")
        # numpy scalars first: np.float64 is a float subclass, np.bool_ is not a bool.
        if isinstance(obj, np.generic):
            return self.numpy_scalar(obj)
        if isinstance(obj, np.ndarray):
            return self.array(obj)
        if type(obj) is Unencodable:  # a marker made earlier travels as itself
            name, summary = obj.type_name, obj.summary
            return {
                _TAG: "unencodable",
                "type": self.string(str.__str__(name)[:_MAX_SUMMARY] if isinstance(name, str) else "?"),
                "summary": self.string(
                    str.__str__(summary)[:_MAX_SUMMARY] if isinstance(summary, str) else ""
                ),
            }
        if obj is None or obj is True or obj is False:
            return obj
        if isinstance(obj, int):
            value = int.__int__(obj)
            if value.bit_length() > _MAX_INT_BITS:
                raise PlainDataError(f"an integer of more than {_MAX_INT_BITS} bits")
            return value
        if isinstance(obj, float):
            return _encode_float(float.__float__(obj))
        if isinstance(obj, str):
            return self.string(str.__str__(obj))
        if isinstance(obj, list):
            return [self.encode(item, depth + 1) for item in list.__iter__(obj)]
        if isinstance(obj, tuple):
            return {_TAG: "tuple", "v": [self.encode(item, depth + 1) for item in tuple.__iter__(obj)]}
        if isinstance(obj, dict):
            items = list(dict.items(obj))
            for key, _ in items:
                if not isinstance(key, str):
                    return self.unencodable(obj, f"a dict with a key of type {type_name(key)}")
            return {
                _TAG: "dict",
                "v": {self.string(str.__str__(k)): self.encode(v, depth + 1) for k, v in items},
            }
        if isinstance(obj, complex):
            return self.unencodable(obj, "a complex number")
        return self.unencodable(obj, "not a number, string, array or container of them")

    def numpy_scalar(self, obj: np.generic) -> Any:
        dtype = np.dtype(type(obj)) if type(obj) in _SCALAR_TYPES else None
        if dtype is None:
            if isinstance(obj, np.str_):
                return self.string(str.__str__(obj))
            return self.unencodable(obj, "a numpy scalar that is not boolean, integer or real")
        node: dict[str, Any] = {_TAG: "scalar", "dtype": dtype.name}
        if dtype.kind == "b":
            node["v"] = bool(obj)
        elif dtype.kind in "iu":
            node["v"] = int(obj)
        else:
            node["v"] = _encode_float(float(obj))
        return node

    def array(self, obj: np.ndarray[Any, Any]) -> Any:
        # The base class's own view: no Python-level method of a subclass runs.
        base: np.ndarray[Any, Any] = np.ndarray.view(obj, np.ndarray)
        if base.dtype.kind not in _ALLOWED_KINDS or base.dtype.fields is not None:
            return self.unencodable(obj, f"an array of dtype {base.dtype} with shape {base.shape}")
        if len(self.arrays) >= self.limits.max_arrays:
            raise PlainDataError(f"more than {self.limits.max_arrays} arrays")
        self.array_bytes += base.nbytes
        if self.array_bytes > self.limits.max_array_bytes:
            raise PlainDataError(f"more than {self.limits.max_array_bytes} bytes of arrays")
        name = f"a{len(self.arrays)}"
        self.arrays[name] = np.array(base, copy=True, order="C")
        node: dict[str, Any] = {_TAG: "ndarray", "ref": name}
        if type(obj) is not np.ndarray:
            node["subclass"] = type_name(obj)
        return node


# The canonical scalar types; decoding always returns one of these (np.longlong, a distinct type
# with the same dtype as np.int64 on Linux, is accepted when encoding and comes back as np.int64).
_CANONICAL_SCALARS: tuple[type[np.generic], ...] = (
    np.bool_,
    np.int8,
    np.int16,
    np.int32,
    np.int64,
    np.uint8,
    np.uint16,
    np.uint32,
    np.uint64,
    np.float16,
    np.float32,
    np.float64,
)
_SCALAR_TYPES: frozenset[type] = frozenset({*_CANONICAL_SCALARS, np.longlong, np.ulonglong})
_SCALAR_DTYPES: dict[str, np.dtype[Any]] = {np.dtype(t).name: np.dtype(t) for t in _CANONICAL_SCALARS}


def _encode_float(value: float) -> Any:
    if math.isfinite(value):
        return value
    return {_TAG: "float", "v": "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")}


def encode(
    obj: object, limits: PlainDataLimits = DEFAULT_LIMITS, *, strict: bool = False
) -> tuple[Any, dict[str, np.ndarray[Any, Any]]]:
    """The JSON-able tree of obj and the arrays it refers to by name.

    Values that are not plain data become Unencodable markers, or raise PlainDataError when
    ``strict``. Exceeding a limit always raises PlainDataError.
    """
    encoder = _Encoder(limits, strict)
    tree = encoder.encode(obj, 0)
    return tree, encoder.arrays


class _Decoder:
    """One decoding pass over an untrusted tree: every node is checked before it is built."""

    def __init__(self, arrays: dict[str, np.ndarray[Any, Any]], limits: PlainDataLimits) -> None:
        self.arrays = arrays
        self.limits = limits
        self.nodes = 0
        self.string_chars = 0
        self.used: set[str] = set()

    def decode(self, node: Any, depth: int) -> object:
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise PlainDataError(f"more than {self.limits.max_nodes} values")
        if depth > self.limits.max_depth:
            raise PlainDataError(f"nested deeper than {self.limits.max_depth} levels")
        if node is None or isinstance(node, bool | float):
            return node
        if isinstance(node, int):
            if node.bit_length() > _MAX_INT_BITS:
                raise PlainDataError("integer too large")
            return node
        if isinstance(node, str):
            return self.string(node)
        if isinstance(node, list):
            return [self.decode(item, depth + 1) for item in node]
        if isinstance(node, dict):
            return self.tagged(node, depth)
        raise PlainDataError(f"unexpected JSON value of type {type(node).__name__}")

    def string(self, value: str) -> str:
        self.string_chars += len(value)
        if self.string_chars > self.limits.max_string_chars:
            raise PlainDataError(f"more than {self.limits.max_string_chars} characters of strings")
        return value

    def tagged(self, node: dict[str, Any], depth: int) -> object:
        tag = node.get(_TAG)
        if tag == "tuple":
            _expect_keys(node, {"v"})
            items = node["v"]
            if not isinstance(items, list):
                raise PlainDataError("a tuple node without a list of items")
            return tuple(self.decode(item, depth + 1) for item in items)
        if tag == "dict":
            _expect_keys(node, {"v"})
            mapping = node["v"]
            if not isinstance(mapping, dict):
                raise PlainDataError("a dict node without a mapping")
            return {self.string(k): self.decode(v, depth + 1) for k, v in mapping.items()}
        if tag == "float":
            _expect_keys(node, {"v"})
            return _decode_float(node)
        if tag == "scalar":
            _expect_keys(node, {"dtype", "v"})
            return _decode_scalar(node)
        if tag == "ndarray":
            _expect_keys(node, {"ref"}, optional={"subclass"})
            if "subclass" in node and not isinstance(node["subclass"], str):
                raise PlainDataError("an ndarray node whose subclass is not a string")
            return self.array(node["ref"])
        if tag == "unencodable":
            _expect_keys(node, {"type", "summary"})
            type_name, summary = node["type"], node["summary"]
            if not isinstance(type_name, str) or not isinstance(summary, str):
                raise PlainDataError("an unencodable node without type and summary strings")
            return Unencodable(type_name[:_MAX_SUMMARY], summary[:_MAX_SUMMARY])
        raise PlainDataError(f"unknown node tag {str(tag)[:40]!r}")

    def array(self, ref: object) -> np.ndarray[Any, Any]:
        if not isinstance(ref, str) or ref not in self.arrays:
            raise PlainDataError(f"an ndarray node refers to a missing array {str(ref)[:40]!r}")
        if ref in self.used:
            raise PlainDataError(f"array {ref!r} is referred to twice")
        self.used.add(ref)
        return self.arrays[ref]


def _expect_keys(
    node: dict[str, Any], required: set[str], optional: frozenset[str] | set[str] = frozenset()
) -> None:
    keys = set(node) - {_TAG}
    if not required <= keys or not keys <= required | set(optional):
        raise PlainDataError(f"a {node[_TAG]!r} node with keys {sorted(keys)[:10]}")


def _decode_float(node: dict[str, Any]) -> float:
    text = node.get("v")
    if text == "nan":
        return math.nan
    if text == "inf":
        return math.inf
    if text == "-inf":
        return -math.inf
    raise PlainDataError("a float node that is not nan, inf or -inf")


def _decode_scalar(node: dict[str, Any]) -> np.generic:
    dtype = _SCALAR_DTYPES.get(node["dtype"]) if isinstance(node["dtype"], str) else None
    if dtype is None:
        raise PlainDataError(f"a scalar of unsupported dtype {str(node['dtype'])[:40]!r}")
    value = node["v"]
    if isinstance(value, dict) and value.get(_TAG) == "float":
        _expect_keys(value, {"v"})
        value = _decode_float(value)
    ok = {
        "b": isinstance(value, bool),
        "i": isinstance(value, int) and not isinstance(value, bool),
        "u": isinstance(value, int) and not isinstance(value, bool),
        "f": isinstance(value, float),
    }[dtype.kind]
    if not ok:
        raise PlainDataError(f"a {dtype.name} scalar holding a {type(value).__name__}")
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise PlainDataError(f"a {dtype.name} scalar out of range")
    scalar: np.generic = dtype.type(value)
    return scalar


def decode(
    tree: Any, arrays: dict[str, np.ndarray[Any, Any]], limits: PlainDataLimits = DEFAULT_LIMITS
) -> object:
    """The value that ``encode`` turned into tree and arrays; raises PlainDataError if invalid.

    Arrays of ndarray subclasses come back as plain ndarrays; Unencodable markers come back as
    Unencodable instances.
    """
    decoder = _Decoder(arrays, limits)
    try:
        value = decoder.decode(tree, 0)
    except RecursionError:
        raise PlainDataError("nested too deeply") from None
    unused = set(arrays) - decoder.used
    if unused:
        raise PlainDataError(f"{len(unused)} array(s) not referred to by the data")
    return value


def dump(
    obj: object, directory: Path, limits: PlainDataLimits = DEFAULT_LIMITS, *, strict: bool = False
) -> None:
    """Write obj as ``data.json`` and ``arrays.npz`` in an existing directory.

    Existing files are overwritten in place (never replaced), so that a directory whose files
    were created in advance by someone else keeps working. Without arrays, ``arrays.npz`` is
    left empty.
    """
    write_files(directory, encode_files(obj, limits, strict=strict))


def encode_files(
    obj: object, limits: PlainDataLimits = DEFAULT_LIMITS, *, strict: bool = False
) -> tuple[bytes, bytes]:
    """The contents of ``data.json`` and ``arrays.npz`` for obj (``b""`` when it holds no array)."""
    tree, arrays = encode(obj, limits, strict=strict)
    text = json.dumps(tree, allow_nan=False, separators=(",", ":"))
    if len(text) > limits.max_json_bytes:
        raise PlainDataError(f"more than {limits.max_json_bytes} bytes of JSON")
    if not arrays:
        return text.encode("ascii"), b""
    # The same uncompressed archive np.savez writes, built in memory.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name, array in arrays.items():
            with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, array, allow_pickle=False)
    return text.encode("ascii"), buffer.getvalue()


def write_files(directory: Path, files: tuple[bytes, bytes]) -> None:
    """Write what :func:`encode_files` returned into an existing directory, overwriting in place."""
    data, arrays = files
    _write(directory / DATA_FILE, data)
    npz = directory / ARRAYS_FILE
    if arrays or (npz.exists() and npz.stat().st_size):
        _write(npz, arrays)


def _write(path: Path, data: bytes) -> None:
    """Write data over path, truncating an existing file rather than replacing it."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def read_regular_file(directory_fd: int, name: str, max_bytes: int) -> bytes | None:
    """The bytes of file name in an open directory, or None if it does not exist.

    Symlinks, FIFOs and devices are refused (PlainDataError), as are files above max_bytes.
    """
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=directory_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PlainDataError(f"{name}: cannot open ({exc.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise PlainDataError(f"{name}: not a regular file")
        if info.st_size > max_bytes:
            raise PlainDataError(f"{name}: {info.st_size} bytes, more than the limit of {max_bytes}")
        chunks = []
        remaining = max_bytes + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1024 * 1024))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        data = b"".join(chunks)
        if len(data) > max_bytes:
            raise PlainDataError(f"{name}: more than the limit of {max_bytes} bytes")
        return data
    finally:
        os.close(fd)


def _reject_constant(name: str) -> float:
    raise PlainDataError(f"JSON constant {name} is not allowed")


def _load_arrays(data: bytes, limits: PlainDataLimits) -> dict[str, np.ndarray[Any, Any]]:
    """The arrays of an uncompressed npz archive, each header checked before its data is used.

    Members must be stored (not deflated: no decompression bombs) and named a<N>.npy; the data
    is copied out of the file's bytes with the header's dtype and shape, so no pickle-capable
    code path of numpy is ever reached.
    """
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise PlainDataError(f"{ARRAYS_FILE}: not a valid npz archive ({exc})") from None
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_arrays:
            raise PlainDataError(f"{ARRAYS_FILE}: more than {limits.max_arrays} arrays")
        budget = limits.max_array_bytes
        for info in infos:
            if not info.filename.endswith(".npy") or not _ARRAY_NAME.fullmatch(info.filename[:-4]):
                raise PlainDataError(f"{ARRAYS_FILE}: unexpected member {info.filename[:60]!r}")
            name = info.filename[:-4]
            if name in arrays:
                raise PlainDataError(f"{ARRAYS_FILE}: array {name!r} appears twice")
            if info.compress_type != zipfile.ZIP_STORED:
                raise PlainDataError(f"{ARRAYS_FILE}: array {name!r} is compressed")
            try:
                raw = archive.read(info)
            except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
                raise PlainDataError(f"{ARRAYS_FILE}: array {name!r} is invalid ({exc})") from None
            fast = _fast_header(raw)
            if fast is None:
                member = io.BytesIO(raw)
                dtype, shape, fortran = _read_header(member, name)
                offset = member.tell()
            else:
                dtype, shape, fortran, offset = fast
            if len(shape) > 32:
                raise PlainDataError(f"{ARRAYS_FILE}: array {name!r} has an invalid shape")
            nbytes = math.prod(shape) * dtype.itemsize
            if nbytes > budget:
                raise PlainDataError(f"{ARRAYS_FILE}: more than {limits.max_array_bytes} bytes of arrays")
            budget -= nbytes
            if len(raw) - offset != nbytes:
                raise PlainDataError(
                    f"{ARRAYS_FILE}: array {name!r} is invalid (its data has the wrong size)"
                )
            flat = np.frombuffer(raw, dtype=dtype, count=math.prod(shape), offset=offset)
            arrays[name] = np.array(flat.reshape(shape, order="F" if fortran else "C"), order="C")
    return arrays


def _fast_header(raw: bytes) -> tuple[np.dtype[Any], tuple[int, ...], bool, int] | None:
    """dtype, shape, Fortran order and data offset of a version 1.0 .npy header exactly as numpy
    writes it for a boolean, integer or float array; None for anything else (numpy's own parser,
    which evaluates the header with ``ast.literal_eval``, then decides, at ten times the cost)."""
    if raw[:8] != _NPY_MAGIC_1_0 or len(raw) < 10:
        return None
    end = 10 + int.from_bytes(raw[8:10], "little")
    match = _NPY_HEADER.fullmatch(raw[10:end])
    if match is None:
        return None
    dims = match[3].decode("ascii").replace(" ", "").rstrip(",")
    shape = tuple(int(n) for n in dims.split(",")) if dims else ()
    try:
        dtype = np.dtype(match[1].decode("ascii"))
    except TypeError:  # e.g. '<f1': numpy's parser reports it
        return None
    return dtype, shape, match[2] == b"True", end


def _read_header(member: Any, name: str) -> tuple[np.dtype[Any], tuple[int, ...], bool]:
    """dtype, shape and Fortran order of one .npy member, checked before its data is used."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(member)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(member)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(member)
        else:
            raise ValueError(f"npy version {version}")
    except ValueError as exc:
        raise PlainDataError(f"{ARRAYS_FILE}: array {name!r} has an invalid header ({exc})") from None
    if dtype.kind not in _ALLOWED_KINDS or dtype.fields is not None or dtype.subdtype is not None:
        raise PlainDataError(f"{ARRAYS_FILE}: array {name!r} has dtype {str(dtype)[:40]}, not bool/int/float")
    if (
        not isinstance(shape, tuple)
        or len(shape) > 32
        or not all(isinstance(n, int) and n >= 0 for n in shape)
    ):
        raise PlainDataError(f"{ARRAYS_FILE}: array {name!r} has an invalid shape")
    return dtype, shape, bool(fortran)


def load(directory: Path, limits: PlainDataLimits = DEFAULT_LIMITS) -> object:
    """The value stored by ``dump`` in directory, validated strictly; raises PlainDataError.

    Files are opened without following symlinks and must be regular files within the size
    limits; the JSON must use only known tags; arrays must be boolean, integer or float.
    """
    try:
        dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise PlainDataError(f"{directory}: cannot open ({exc.strerror})") from None
    try:
        raw = read_regular_file(dir_fd, DATA_FILE, limits.max_json_bytes)
        if raw is None:
            raise PlainDataError(f"{directory}: no {DATA_FILE}")
        npz_limit = limits.max_array_bytes + 1024 * (limits.max_arrays + 1)
        npz_bytes = read_regular_file(dir_fd, ARRAYS_FILE, npz_limit)
    finally:
        os.close(dir_fd)
    try:
        tree = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except PlainDataError:
        raise
    except RecursionError:
        raise PlainDataError(f"{DATA_FILE}: nested too deeply") from None
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise PlainDataError(f"{DATA_FILE}: not valid JSON ({str(exc)[:100]})") from None
    arrays = _load_arrays(npz_bytes, limits) if npz_bytes else {}
    return decode(tree, arrays, limits)
