"""``application/x-npy``: a NumPy ``.npy`` body, read with ``allow_pickle=False``.

SageMaker's inference toolkit unpickles NPY bodies, which runs code an attacker sends; this
decoder refuses object arrays instead. 1-D is one record, 2-D is rows; a structured array names
its fields, as JSON objects do.
"""

from __future__ import annotations

import io

import numpy as np

from serve.errors import BadRequest
from serve.records import Records


def decode(body: bytes, parameters: dict[str, str]) -> Records:
    if not body:
        raise BadRequest("empty application/x-npy body: send one array saved with numpy.save")
    try:
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except ValueError as error:
        raise BadRequest(f"the body is not a plain .npy array ({error})") from None
    except (OSError, EOFError) as error:
        raise BadRequest(f"the body is not a .npy file ({error})") from None
    if not isinstance(array, np.ndarray):
        raise BadRequest("send one .npy array, not an .npz archive")
    if array.dtype.names:
        return _structured(array)
    return Records(_values(_two_dimensional(array)))


def _two_dimensional(array: np.ndarray) -> np.ndarray:
    if array.ndim == 1:
        return array.reshape(1, -1)
    if array.ndim != 2:
        raise BadRequest(f"expected a 1-D or 2-D array, got shape {array.shape}")
    return array


def _values(array: np.ndarray) -> np.ndarray:
    if array.dtype.kind in "biuf":
        return array.astype(np.float32)
    if array.dtype.kind in "US":
        return array.astype(str)
    raise BadRequest(f"arrays of dtype {array.dtype} cannot be features; send numbers or strings")


def _structured(array: np.ndarray) -> Records:
    names = tuple(array.dtype.names or ())
    flat = array.reshape(-1)
    columns = [_values(flat[name].reshape(-1, 1)) for name in names]
    if all(c.dtype == np.float32 for c in columns):
        return Records(np.hstack(columns), names)
    return Records(np.hstack([c.astype(str) for c in columns]), names)
