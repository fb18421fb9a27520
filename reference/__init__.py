"""Reference implementations of every assignment of "Deep Learning from Scratch".

Conventions shared by every module:

- numpy, float64, vectorized; examples are columns (``X: (n_x, m)``) except in the CNN
  assignment, which is channels-last (``A_prev: (m, n_H, n_W, n_C)``).
- ``*_forward`` returns ``(out, cache)``; ``*_backward(dout, cache)`` returns the gradients.
- No function mutates its arguments: parameter updates return new dictionaries.
- Where the course seeds numpy's global random generator inside a function, the reference does
  the same (students' outputs are compared with it); each such function says so.
"""

from __future__ import annotations
