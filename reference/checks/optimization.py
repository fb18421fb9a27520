"""Checks of reference.optimization (mini-batches, GD, momentum, RMSProp, Adam, learning-rate decay).

The optimizer oracles run the course's update rules and torch.optim side by side for several
steps on a real loss, the 3-layer classifier of reference.regularization: the numpy side takes
its gradients from ``regularization.backward_propagation``, the torch side from autograd, each at
its own current parameters, and every step's parameters (and optimizer state) are compared.

How the course's rules map onto torch.optim (float64, no weight decay):

* gradient descent = ``SGD(lr)``.
* momentum ``v = beta v + (1 - beta) g; W -= lr v`` = ``SGD(lr, momentum=beta, dampening=beta)``:
  torch scales the new gradient by ``1 - dampening``, so the dampening that reproduces the course
  is beta itself (``dampening = 1 - beta`` would scale it by beta). And torch starts its buffer at
  the first gradient (``buf = g_1``, undamped) where the course starts at ``v = 0`` (so
  ``v_1 = (1 - beta) g_1``). The trajectories agree once the buffer is pre-set to zeros
  (``optimizer.state[p]["momentum_buffer"] = torch.zeros_like(p)``); with torch's default the
  first step is 1 / (1 - beta) times larger, which ``check_momentum_torch(preset_zero_buffer=False)``
  measures.
* RMSProp ``s = beta s + (1 - beta) g^2; W -= lr g / (sqrt(s) + eps)`` = ``RMSprop(lr, alpha=beta,
  eps=eps)``: torch also starts at s = 0 and adds eps after the root.
* Adam = ``Adam(lr, betas=(beta1, beta2), eps)``. torch writes the bias correction as
  ``step_size = lr / (1 - beta1^t)`` and ``denom = sqrt(s) / sqrt(1 - beta2^t) + eps``; since
  sqrt(s / c) = sqrt(s) / sqrt(c) this is the course's ``lr * v_hat / (sqrt(s_hat) + eps)``
  exactly, up to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from reference import optimization as opt
from reference import regularization as reg
from reference.arraytypes import AnyArray, Array, Params
from reference.checks.numeric import relative_error, seeded_global_rng
from reference.checks.registry import Check
from reference.checks.regularization import make_problem

PARAM_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
STEPS = 8

GdUpdate = Callable[[Params, Params, float], Params]
MomentumUpdate = Callable[[Params, Params, Params, float, float], tuple[Params, Params]]
RmspropUpdate = Callable[[Params, Params, Params, float, float, float], tuple[Params, Params]]
AdamUpdate = Callable[
    [Params, Params, Params, Params, int, float, float, float, float],
    tuple[Params, Params, Params, Params, Params],
]
Init = Callable[[Params], Params]
AdamInit = Callable[[Params], tuple[Params, Params]]
MiniBatches = Callable[[AnyArray, AnyArray, int, int], list[tuple[AnyArray, AnyArray]]]


def _problem(seed: int) -> tuple[Array, Array, Params]:
    return make_problem(np.random.default_rng(seed), 4, 6, 3, 16)


def _gradients(X: Array, Y: Array, params: Params) -> Params:
    """dW1, db1, ... of the 3-layer net's cost at params (the numpy side's gradient)."""
    _, cache = reg.forward_propagation(X, params)
    grads = reg.backward_propagation(X, Y, cache)
    return {"d" + k: grads["d" + k] for k in PARAM_KEYS}


def _torch_run(
    X: Array,
    Y: Array,
    params: Params,
    make_optimizer: Callable[[list[Any]], Any],
    state_name: str | None = None,
    prepare: Callable[[Any, list[Any]], None] | None = None,
) -> list[tuple[Params, Params]]:
    """STEPS steps of a torch optimizer on the 3-layer net; after each step the parameters and
    (when state_name is given) that optimizer state, keyed like the course's."""
    import torch

    tensors = [torch.tensor(params[k], dtype=torch.float64, requires_grad=True) for k in PARAM_KEYS]
    optimizer = make_optimizer(tensors)
    if prepare is not None:
        prepare(optimizer, tensors)
    tx = torch.tensor(X, dtype=torch.float64)
    ty = torch.tensor(Y, dtype=torch.float64)
    W1, b1, W2, b2, W3, b3 = tensors
    history: list[tuple[Params, Params]] = []
    for _ in range(STEPS):
        optimizer.zero_grad()
        Z3 = W3 @ torch.relu(W2 @ torch.relu(W1 @ tx + b1) + b2) + b3
        torch.nn.functional.binary_cross_entropy_with_logits(Z3, ty).backward()
        optimizer.step()
        values = {k: t.detach().numpy().copy() for k, t in zip(PARAM_KEYS, tensors, strict=True)}
        state: Params = {}
        if state_name is not None:
            for k, t in zip(PARAM_KEYS, tensors, strict=True):
                state["d" + k] = optimizer.state[t][state_name].detach().numpy().copy()
        history.append((values, state))
    return history


def _worst(history: list[tuple[Params, Params]], torch_history: list[tuple[Params, Params]]) -> float:
    worst = 0.0
    for (params, state), (want_params, want_state) in zip(history, torch_history, strict=True):
        for key, value in want_params.items():
            worst = max(worst, relative_error(params[key], value))
        for key, value in want_state.items():
            worst = max(worst, relative_error(state[key], value))
    return worst


def check_gd_torch(update: GdUpdate = opt.update_parameters_with_gd) -> float:
    """Worst relative error of an 8-step gradient-descent trajectory against torch.optim.SGD."""
    import torch

    X, Y, params = _problem(0)
    lr = 0.5
    history: list[tuple[Params, Params]] = []
    for _ in range(STEPS):
        params = update(params, _gradients(X, Y, params), lr)
        history.append((params, {}))
    X, Y, start = _problem(0)
    return _worst(history, _torch_run(X, Y, start, lambda ps: torch.optim.SGD(ps, lr=lr)))


def check_momentum_torch(
    update: MomentumUpdate = opt.update_parameters_with_momentum,
    init: Init = opt.initialize_velocity,
    preset_zero_buffer: bool = True,
    dampening: float | None = None,
) -> float:
    """Worst relative error of 8-step momentum trajectories (parameters and v) against
    torch.optim.SGD(momentum=beta, dampening=beta) with its buffer pre-set to zeros.

    ``preset_zero_buffer=False`` keeps torch's default (buffer = first gradient) and
    ``dampening`` overrides torch's dampening; both exist to measure the documented differences.
    """
    import torch

    worst = 0.0
    for beta, lr in ((0.9, 0.3), (0.5, 0.1)):
        X, Y, params = _problem(1)
        v = init(params)
        history: list[tuple[Params, Params]] = []
        for _ in range(STEPS):
            params, v = update(params, _gradients(X, Y, params), v, beta, lr)
            history.append((params, v))
        damp = beta if dampening is None else dampening

        def make(ps: list[Any], beta: float = beta, lr: float = lr, damp: float = damp) -> Any:
            return torch.optim.SGD(ps, lr=lr, momentum=beta, dampening=damp)

        def zero_buffers(optimizer: Any, tensors: list[Any]) -> None:
            for t in tensors:
                optimizer.state[t]["momentum_buffer"] = torch.zeros_like(t)

        X, Y, start = _problem(1)
        want = _torch_run(X, Y, start, make, "momentum_buffer", zero_buffers if preset_zero_buffer else None)
        worst = max(worst, _worst(history, want))
    return worst


def check_rmsprop_torch(
    update: RmspropUpdate = opt.update_parameters_with_rmsprop,
    init: Init = opt.initialize_rmsprop,
) -> float:
    """Worst relative error of 8-step RMSProp trajectories (parameters and s) against
    torch.optim.RMSprop(alpha=beta, eps=epsilon), for eps 1e-8 and 1e-4."""
    import torch

    worst = 0.0
    for beta, lr, eps in ((0.99, 0.01, 1e-8), (0.9, 0.003, 1e-4)):
        X, Y, params = _problem(2)
        s = init(params)
        history: list[tuple[Params, Params]] = []
        for _ in range(STEPS):
            params, s = update(params, _gradients(X, Y, params), s, beta, lr, eps)
            history.append((params, s))

        def make(ps: list[Any], beta: float = beta, lr: float = lr, eps: float = eps) -> Any:
            return torch.optim.RMSprop(ps, lr=lr, alpha=beta, eps=eps)

        X, Y, start = _problem(2)
        worst = max(worst, _worst(history, _torch_run(X, Y, start, make, "square_avg")))
    return worst


def check_adam_torch(
    update: AdamUpdate = opt.update_parameters_with_adam,
    init: AdamInit = opt.initialize_adam,
) -> float:
    """Worst relative error of 8-step Adam trajectories (parameters, v and s) against
    torch.optim.Adam(betas=(beta1, beta2), eps), for the course's defaults and for the course
    test's (lr 0.02, betas 0.8/0.888, eps 1e-2)."""
    import torch

    worst = 0.0
    for lr, beta1, beta2, eps in ((0.01, 0.9, 0.999, 1e-8), (0.02, 0.8, 0.888, 1e-2)):
        X, Y, params = _problem(3)
        v, s = init(params)
        firsts: list[tuple[Params, Params]] = []
        seconds: list[tuple[Params, Params]] = []
        for t in range(1, STEPS + 1):
            params, v, s, _, _ = update(params, _gradients(X, Y, params), v, s, t, lr, beta1, beta2, eps)
            firsts.append((params, v))
            seconds.append(({}, s))

        def make(
            ps: list[Any], lr: float = lr, beta1: float = beta1, beta2: float = beta2, eps: float = eps
        ) -> Any:
            return torch.optim.Adam(ps, lr=lr, betas=(beta1, beta2), eps=eps)

        X, Y, start = _problem(3)
        worst = max(worst, _worst(firsts, _torch_run(X, Y, start, make, "exp_avg")))
        want_s: list[tuple[Params, Params]] = [
            ({}, state) for _, state in _torch_run(X, Y, start, make, "exp_avg_sq")
        ]
        worst = max(worst, _worst(seconds, want_s))
    return worst


# --- the course's own test cases -------------------------------------------------------------


def course_case() -> tuple[Params, Params]:
    """The course's optimizer test case: after np.random.seed(1), W1 (2, 3), b1 (2, 1), W2 (3, 3),
    b2 (3, 1), then dW1, db1, dW2, db2 of the same shapes, drawn with randn in that order."""
    shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (3, 3), "b2": (3, 1)}
    with seeded_global_rng(1):
        params: Params = {k: np.random.randn(*shape) for k, shape in shapes.items()}
        grads: Params = {"d" + k: np.random.randn(*shape) for k, shape in shapes.items()}
    return params, grads


COURSE_GD = {
    "W1": [[1.63535156, -0.62320365, -0.53718766], [-1.07799357, 0.85639907, -2.29470142]],
    "b1": [[1.74604067], [-0.75184921]],
    "W2": [
        [0.32171798, -0.25467393, 1.46902454],
        [-2.05617317, -0.31554548, -0.3756023],
        [1.1404819, -1.09976462, -0.1612551],
    ],
    "b2": [[-0.88020257], [0.02561572], [0.57539477]],
}
"""update_parameters_with_gd(course_case, learning_rate=0.01)."""

COURSE_MOMENTUM_PARAMS = {
    "W1": [[1.62544598, -0.61290114, -0.52907334], [-1.07347112, 0.86450677, -2.30085497]],
    "b1": [[1.74493465], [-0.76027113]],
    "W2": [
        [0.31930698, -0.24990073, 1.4627996],
        [-2.05974396, -0.32173003, -0.38320915],
        [1.13444069, -1.0998786, -0.1713109],
    ],
    "b2": [[-0.87809283], [0.04055394], [0.58207317]],
}
COURSE_MOMENTUM_V = {
    "dW1": [[-0.11006192, 0.11447237, 0.09015907], [0.05024943, 0.09008559, -0.06837279]],
    "dW2": [
        [-0.02678881, 0.05303555, -0.06916608],
        [-0.03967535, -0.06871727, -0.08452056],
        [-0.06712461, -0.00126646, -0.11173103],
    ],
    "db1": [[-0.01228902], [-0.09357694]],
    "db2": [[0.02344157], [0.16598022], [0.07420442]],
}
"""update_parameters_with_momentum(course_case, zero v, beta=0.9, learning_rate=0.01)."""

COURSE_ADAM_FIRST_ROWS = {
    "W1": [1.63942428, -0.6268425, -0.54320974],
    "W2": [0.33356139, -0.26425199, 1.47707772],
    "b1": [1.75854357],
    "b2": [-0.89228024],
}
COURSE_ADAM_V = {
    "dW1": [[-0.22012384, 0.22894474, 0.18031814], [0.10049887, 0.18017119, -0.13674557]],
    "dW2": [
        [-0.05357762, 0.10607109, -0.13833215],
        [-0.07935071, -0.13743454, -0.16904113],
        [-0.13424923, -0.00253292, -0.22346207],
    ],
    "db1": [[-0.02457805], [-0.18715389]],
    "db2": [[0.04688314], [0.33196044], [0.14840883]],
}
COURSE_ADAM_S = {
    "dW1": [[0.13567261, 0.14676395, 0.09104097], [0.02828006, 0.09089264, 0.05235818]],
    "dW2": [
        [0.00803757, 0.03150302, 0.05358019],
        [0.0176303, 0.05288711, 0.08000973],
        [5.04639932e-02, 1.79639114e-05, 1.39818830e-01],
    ],
    "db1": [[0.00169142], [0.09807442]],
    "db2": [[0.00615448], [0.30855365], [0.06167051]],
}
"""update_parameters_with_adam(course_case, zero v/s, t=2, lr 0.02, betas 0.8/0.888, eps 1e-2).

The current course test checks the first row of each parameter (listed above). An older version
of that test expected W1[0] = [1.63949493, -0.62691477, -0.54326465], which is what epsilon
UNDER the square root, lr * v_hat / sqrt(s_hat + eps), gives; the reference follows the current
test and the Adam paper (epsilon added after the root).
"""


def _abs_error(got: Params, want: dict[str, Any]) -> float:
    return max(float(np.max(np.abs(np.asarray(got[k]) - np.array(v)))) for k, v in want.items())


def check_update_known_values(
    gd: GdUpdate = opt.update_parameters_with_gd,
    momentum: MomentumUpdate = opt.update_parameters_with_momentum,
    adam: AdamUpdate = opt.update_parameters_with_adam,
) -> float:
    """Worst absolute error on the course's gd, momentum and Adam tests (Adam: parameters' first
    rows, v, s, and v_corrected / s_corrected = v / (1 - beta1^2), s / (1 - beta2^2))."""
    params, grads = course_case()
    errors = [_abs_error(gd(params, grads, 0.01), COURSE_GD)]
    new, v = momentum(params, grads, opt.initialize_velocity(params), 0.9, 0.01)
    errors += [_abs_error(new, COURSE_MOMENTUM_PARAMS), _abs_error(v, COURSE_MOMENTUM_V)]
    v0, s0 = opt.initialize_adam(params)
    new, v, s, v_hat, s_hat = adam(params, grads, v0, s0, 2, 0.02, 0.8, 0.888, 1e-2)
    first_rows = {k: value[0] for k, value in new.items()}
    errors += [
        _abs_error(first_rows, COURSE_ADAM_FIRST_ROWS),
        _abs_error(v, COURSE_ADAM_V),
        _abs_error(s, COURSE_ADAM_S),
        # Undo the correction rather than apply it to the 8-digit expected values, whose
        # rounding 1 / (1 - 0.888^2) ~ 4.8 would otherwise magnify past the tolerance.
        _abs_error({k: x * (1 - 0.8**2) for k, x in v_hat.items()}, COURSE_ADAM_V),
        _abs_error({k: x * (1 - 0.888**2) for k, x in s_hat.items()}, COURSE_ADAM_S),
    ]
    return max(errors)


LR_CASES: tuple[tuple[float, int, float, int | None, float], ...] = (
    (0.5, 2, 1.0, None, 1.0 / 6.0),
    (1.0, 2, 1.0, None, 1.0 / 3.0),
    (0.5, 100, 1.0, 100, 0.25),
    (0.5, 10, 1.0, 100, 0.5),
    (1.0, 100, 1.0, 100, 0.5),
    (1.0, 10, 1.0, 100, 1.0),
    (0.3, 1000, 0.25, 100, 0.3 / 3.5),
    (0.3, 100, 0.25, 100, 0.24),
)
"""(learning_rate0, epoch_num, decay_rate, time_interval or None for update_lr, expected)."""


def check_lr_known_values(
    update_lr: Callable[[float, int, float], float] = opt.update_lr,
    schedule_lr_decay: Callable[[float, int, float, int], float] = opt.schedule_lr_decay,
) -> float:
    """Worst absolute error on the course's learning-rate decay values."""
    errors = []
    for lr0, epoch, decay, interval, expected in LR_CASES:
        got = (
            update_lr(lr0, epoch, decay)
            if interval is None
            else schedule_lr_decay(lr0, epoch, decay, interval)
        )
        errors.append(abs(got - expected))
    return max(errors)


def check_mini_batches_known(random_mini_batches: MiniBatches = opt.random_mini_batches) -> float:
    """Worst absolute error on the course's test: np.random.seed(1); X = randn(7, 3);
    Y = randn(1, 3) < 0.5; mini_batch_size 2, default seed 0 -> columns [2, 1] then [0]."""
    with seeded_global_rng(1):
        X: Array = np.random.randn(7, 3)
        Y: AnyArray = np.random.randn(1, 3) < 0.5
    with seeded_global_rng(0):  # the function reseeds; this only restores the caller's state
        batches = random_mini_batches(X, Y, 2, 0)
    first_column = [-0.52817175, -2.3015387, 0.3190391, -2.06014071, 1.13376944, -0.87785842, -1.10061918]
    if len(batches) != 2 or [b[0].shape for b in batches] != [(7, 2), (7, 1)]:
        return 1.0
    if not (np.array_equal(batches[0][1], Y[:, [2, 1]]) and np.array_equal(batches[1][1], Y[:, [0]])):
        return 1.0
    return max(
        float(np.max(np.abs(batches[0][0][:, 0] - np.array(first_column)))),
        float(np.max(np.abs(batches[0][0] - X[:, [2, 1]]))),
        float(np.max(np.abs(batches[1][0] - X[:, [0]]))),
    )


PARTITION_CASES = ((148, 64), (10, 3), (8, 4), (5, 10), (1, 1), (7, 7), (64, 1), (13, 5))


def check_mini_batch_partition(random_mini_batches: MiniBatches = opt.random_mini_batches) -> float:
    """1.0 unless, for several (m, mini_batch_size) and seeds, the batches are floor(m / size)
    full ones then one of m % size (if any), every column appears exactly once with its Y column,
    and the order is the course's (np.random.seed(seed); np.random.permutation(m))."""
    for m, size in PARTITION_CASES:
        for seed in (0, 3):
            X = np.vstack([np.arange(m, dtype=np.float64), -np.arange(m, dtype=np.float64)])
            Y = np.arange(m, dtype=np.float64).reshape(1, m) * 10.0
            with seeded_global_rng(seed):
                batches = random_mini_batches(X, Y, size, seed)
                order = np.random.RandomState(seed).permutation(m)
            expected_sizes = [size] * (m // size) + ([m % size] if m % size else [])
            if [b[0].shape[1] for b in batches] != expected_sizes:
                return 1.0
            if any(b[1].shape != (1, b[0].shape[1]) for b in batches):
                return 1.0
            columns = np.concatenate([b[0][0] for b in batches])
            labels = np.concatenate([b[1][0] for b in batches])
            if not (np.array_equal(columns, order) and np.array_equal(labels, 10.0 * columns)):
                return 1.0
    return 0.0


def check_initializers(
    initialize_velocity: Init = opt.initialize_velocity,
    initialize_adam: AdamInit = opt.initialize_adam,
    initialize_rmsprop: Init = opt.initialize_rmsprop,
) -> float:
    """1.0 unless every initializer returns float64 zeros keyed dW1, db1, ... shaped like the
    parameters, and Adam's v and s are separate arrays (an update of one must not move the other)."""
    params, _ = course_case()
    params = {**params, "W3": np.ones((1, 3)), "b3": np.ones((1, 1))}
    v, s = initialize_adam(params)
    for state in (initialize_velocity(params), v, s, initialize_rmsprop(params)):
        if set(state) != {"d" + k for k in params}:
            return 1.0
        for key, value in params.items():
            z = state["d" + key]
            if z.shape != value.shape or z.dtype != np.float64 or np.any(z != 0):
                return 1.0
    if any(np.shares_memory(v[k], s[k]) for k in v):
        return 1.0
    return 0.0


def checks() -> list[Check]:
    """The checks of the optimization assignment."""
    topic = "optimization"
    return [
        Check(
            f"{topic}.update_parameters_with_gd",
            "oracle",
            "8-step trajectory vs torch.optim.SGD float64",
            check_gd_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            f"{topic}.update_parameters_with_momentum",
            "oracle",
            "8-step trajectory and v vs SGD(momentum, dampening=beta), zero buffer",
            check_momentum_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            f"{topic}.update_parameters_with_rmsprop",
            "oracle",
            "8-step trajectory and s vs torch.optim.RMSprop, 2 settings",
            check_rmsprop_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            f"{topic}.update_parameters_with_adam",
            "oracle",
            "8-step trajectory, v and s vs torch.optim.Adam, 2 settings",
            check_adam_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            f"{topic}.update_parameters_with_adam",
            "known-value",
            "course tests of gd, momentum and Adam",
            check_update_known_values,
            1e-8,
        ),
        Check(
            f"{topic}.schedule_lr_decay",
            "known-value",
            "update_lr(0.5,2,1)=1/6, schedule_lr_decay(0.5,100,1,100)=0.25 and others",
            check_lr_known_values,
            1e-12,
        ),
        Check(
            f"{topic}.random_mini_batches",
            "known-value",
            "course test: 7x3, batch size 2, seed 0",
            check_mini_batches_known,
            1e-8,
        ),
        Check(
            f"{topic}.random_mini_batches",
            "invariant",
            "exact partition, short last batch, course's permutation",
            check_mini_batch_partition,
            0.0,
        ),
        Check(
            f"{topic}.initialize_adam",
            "invariant",
            "velocity, Adam and RMSProp states are separate zeros",
            check_initializers,
            0.0,
        ),
    ]
