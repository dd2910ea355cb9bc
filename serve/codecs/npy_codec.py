"""``application/x-npy``: a NumPy ``.npy`` body, checked against its own length, never unpickled.

SageMaker's inference toolkit unpickles NPY bodies, which runs code an attacker sends; this
decoder reads the header (at most :data:`MAX_HEADER_BYTES`), refuses every dtype that is not
plain numbers or strings (object, void, complex, dates, sub-arrays, zero-size items), and
checks that the shape times the item size is exactly the data the body holds before it reads
anything: the header cannot make it allocate more than the body, nor claim records of no bytes.
1-D is one record, 2-D is rows; a structured array (a flat table of plain fields) names its
fields, as JSON objects do.
"""

from __future__ import annotations

import io
import math

import numpy as np

from serve.errors import BadRequest
from serve.records import Records

MAX_HEADER_BYTES = 10_000
"""The longest ``.npy`` header read (numpy's own default for ``np.load``); longer is a 400."""

MAGIC = b"\x93NUMPY"
PLAIN_KINDS = "biufUS"  # bool, integers, floats, unicode and byte strings
LARGEST_CODE_POINT = 0x10FFFF


def decode(body: bytes, parameters: dict[str, str]) -> Records:
    if not body:
        raise BadRequest("empty application/x-npy body: send one array saved with numpy.save")
    shape, fortran_order, dtype, offset = _header(body)
    _check_dtype(dtype)
    count = _check_shape(shape, dtype, len(body) - offset)
    array = np.frombuffer(body, dtype=dtype, count=count, offset=offset)
    array = array.reshape(shape[::-1]).T if fortran_order else array.reshape(shape)
    if dtype.names is not None:
        return _structured(array)
    return Records(_values(_two_dimensional(array)))


def _header(body: bytes) -> tuple[tuple[int, ...], bool, np.dtype, int]:
    """Shape, Fortran order, dtype and where the data starts; BadRequest for a bad header."""
    if not body.startswith(MAGIC):
        if body.startswith(b"PK\x03\x04"):
            raise BadRequest("send one .npy array (numpy.save), not an .npz archive")
        raise BadRequest("the body is not a .npy file: it must start with \\x93NUMPY")
    stream = io.BytesIO(body)
    try:
        version = np.lib.format.read_magic(stream)
    except ValueError as error:
        raise BadRequest(f"the body is not a .npy file ({error})") from None
    readers = {
        (1, 0): np.lib.format.read_array_header_1_0,
        (2, 0): np.lib.format.read_array_header_2_0,
    }
    if version not in readers:
        raise BadRequest(f".npy format version {version} is not read here; send version 1.0 or 2.0")
    try:
        shape, fortran_order, dtype = readers[version](stream, max_header_size=MAX_HEADER_BYTES)
    except Exception as error:  # numpy evaluates the header's literal: anything it raises is ours
        raise BadRequest(f"the .npy header is not valid ({_first_line(error)})") from None
    return tuple(shape), bool(fortran_order), dtype, stream.tell()


def _first_line(error: Exception) -> str:
    text = str(error).split("\n", 1)[0]
    return text if len(text) <= 200 else text[:200] + "..."


def _check_dtype(dtype: np.dtype) -> None:
    if dtype.names is None:
        _check_plain(dtype, "the array")
        return
    if not dtype.names:
        raise BadRequest("the .npy structured dtype has no fields; send numbers or strings")
    for name in dtype.names:
        _check_plain(dtype.fields[name][0], f"field {name!r}")  # type: ignore[index]


def _check_plain(dtype: np.dtype, what: str) -> None:
    if dtype.kind == "O":
        raise BadRequest(
            f"{what} holds Python objects, which are never unpickled here (allow_pickle=False); "
            "send numbers or strings"
        )
    if dtype.names is not None or dtype.shape != ():
        raise BadRequest(f"{what} has the nested dtype {dtype}; send plain numbers or strings")
    if dtype.kind not in PLAIN_KINDS:
        raise BadRequest(
            f"{what} has dtype {dtype}, which cannot be features; send numbers or strings"
        )
    if dtype.itemsize == 0:
        raise BadRequest(f"{what} has the zero-size dtype {dtype}; give strings a length")


def _check_shape(shape: tuple[int, ...], dtype: np.dtype, data_bytes: int) -> int:
    """The item count, once the shape is a table of records that the data holds exactly."""
    if any(type(size) is not int for size in shape):  # True and False pass numpy's check
        raise BadRequest(f"the .npy shape {shape} must hold whole numbers")
    if any(size < 0 for size in shape):
        raise BadRequest(f"the .npy shape {shape} has a negative size")
    if dtype.names is None and len(shape) not in (1, 2):
        raise BadRequest(f"expected a 1-D or 2-D array, got shape {shape}")
    if dtype.names is not None and len(shape) > 2:
        raise BadRequest(f"expected a 1-D or 2-D structured array, got shape {shape}")
    count = math.prod(shape)
    if count == 0:
        raise BadRequest(f"the array of shape {shape} holds no values: send at least one record")
    expected = count * dtype.itemsize
    if expected != data_bytes:
        raise BadRequest(
            f"the .npy header claims shape {shape} of {dtype} ({expected} bytes) but the body "
            f"holds {data_bytes} bytes of data"
        )
    return count


def _two_dimensional(array: np.ndarray) -> np.ndarray:
    return array.reshape(1, -1) if array.ndim == 1 else array


def _values(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind in "biuf":
        with np.errstate(over="ignore"):  # beyond float32 is inf, as in every other codec
            return array.astype(np.float32)
    if array.dtype.kind == "S":
        try:
            return array.astype(str)
        except UnicodeDecodeError:
            raise BadRequest(
                f"byte strings (dtype {array.dtype}) must be ASCII; send unicode (dtype U)"
            ) from None
    native = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("="))
    if int(native.view(np.uint32).max()) > LARGEST_CODE_POINT:
        raise BadRequest(f"the strings ({array.dtype}) hold code points beyond U+10FFFF")
    return native.astype(str)


def _structured(array: np.ndarray) -> Records:
    names = tuple(array.dtype.names or ())
    flat = array.reshape(-1)
    columns = [_values(flat[name].reshape(-1, 1)) for name in names]
    if all(c.dtype == np.float32 for c in columns):
        return Records(np.hstack(columns), names)
    return Records(np.hstack([c.astype(str) for c in columns]), names)
