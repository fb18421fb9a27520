"""Array type aliases used across the reference implementations."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]
"""A float64 array; each function documents its shape."""

IntArray = npt.NDArray[np.int64]

Params = dict[str, Array]
"""Parameters or gradients keyed by the course's names (``W1``, ``b1``, ``dW1``, ...)."""

AnyArray = npt.NDArray[Any]
