"""Checks of reference.deep_network: layer and whole-network gradients, torch, course values.

ReLU has a kink at 0 where centered differences are meaningless, so every random case whose
pre-activations come closer to 0 than ``KINK_MARGIN`` is drawn again (deterministically, from the
same generator). A perturbation of h = 1e-5 on one weight moves a pre-activation by at most h
times an input of order 1, far less than the margin.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from reference import deep_network as dn
from reference.arraytypes import Array, Params
from reference.checks.numeric import numerical_gradient, relative_error, weighted_sum
from reference.checks.registry import Check

if TYPE_CHECKING:
    import torch

LinearBackward = Callable[[Array, dn.LinearCache], tuple[Array, Array, Array]]
LayerForward = Callable[[Array, Array, Array, str], tuple[Array, dn.LayerCache]]
LayerBackward = Callable[[Array, dn.LayerCache, str], tuple[Array, Array, Array]]
ModelForward = Callable[[Array, Params], tuple[Array, list[dn.LayerCache]]]
ModelBackward = Callable[[Array, Array, list[dn.LayerCache]], Params]
Cost = Callable[[Array, Array], float]
Update = Callable[[Params, Params, float], Params]

KINK_MARGIN = 1e-3

# (n_prev, n, m) of the single-layer cases; m > 1 so that a missing 1/m shows.
LAYER_CASES = ((1, 1, 1), (3, 2, 4), (5, 4, 7), (8, 3, 16))

# (layer_dims, m) of the whole-network cases.
NET_CASES: tuple[tuple[tuple[int, ...], int], ...] = (
    ((3, 1), 4),
    ((4, 5, 1), 1),
    ((4, 5, 1), 6),
    ((5, 4, 3, 1), 10),
    ((2, 6, 6, 4, 1), 8),
)


def _is_scalar(value: npt.ArrayLike) -> bool:
    return bool(np.ndim(value) == 0)


def _random_layer(
    rng: np.random.Generator, n_prev: int, n: int, m: int, activation: str
) -> tuple[Array, Array, Array]:
    """A_prev, W, b whose pre-activations keep KINK_MARGIN away from 0 when the layer is a ReLU."""
    while True:
        A_prev = rng.standard_normal((n_prev, m))
        W = rng.standard_normal((n, n_prev)) / math.sqrt(n_prev)
        b = rng.standard_normal((n, 1)) * 0.5
        if activation != "relu" or np.min(np.abs(W @ A_prev + b)) > KINK_MARGIN:
            return A_prev, W, b


def _random_net(rng: np.random.Generator, dims: Sequence[int], m: int) -> tuple[Array, Array, Params]:
    """X, Y and parameters whose hidden pre-activations keep KINK_MARGIN away from 0."""
    while True:
        X = rng.standard_normal((dims[0], m))
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        params: Params = {}
        for layer in range(1, len(dims)):
            params["W" + str(layer)] = rng.standard_normal((dims[layer], dims[layer - 1])) / math.sqrt(
                dims[layer - 1]
            )
            params["b" + str(layer)] = rng.standard_normal((dims[layer], 1)) * 0.5
        _, caches = dn.L_model_forward(X, params)
        if all(np.min(np.abs(Z)) > KINK_MARGIN for _, Z in caches[:-1]):
            return X, Y, params


def check_linear_backward(backward: LinearBackward = dn.linear_backward, seed: int = 0) -> float:
    """Worst relative error of dA_prev, dW, db against centered differences of sum(Z * dZ) / m.

    The course's dW and db are averaged over m while dA_prev is not; the scalar whose gradient
    the three are compared with is therefore sum(Z * dZ) / m for dW, db and sum(Z * dZ) for dA_prev.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_prev, n, m in LAYER_CASES:
        A_prev, W, b = _random_layer(rng, n_prev, n, m, "linear")
        dZ = rng.standard_normal((n, m))
        dA_prev, dW, db = backward(dZ, (A_prev, W, b))

        def loss() -> float:
            return weighted_sum(dn.linear_forward(A_prev, W, b)[0], dZ)

        worst = max(
            worst,
            relative_error(dA_prev, numerical_gradient(loss, A_prev)),
            relative_error(dW, numerical_gradient(loss, W) / m),
            relative_error(db, numerical_gradient(loss, b) / m),
        )
    return worst


def check_linear_activation_backward(
    activation: str,
    forward: LayerForward = dn.linear_activation_forward,
    backward: LayerBackward = dn.linear_activation_backward,
    seed: int = 0,
) -> float:
    """Worst relative error of one layer's backward pass against centered differences.

    Scalar: sum(A * dA); dW and db are compared with its gradient divided by m (the course's
    averaging), dA_prev with the gradient itself.
    """
    rng = np.random.default_rng(seed)
    worst = 0.0
    for n_prev, n, m in LAYER_CASES:
        A_prev, W, b = _random_layer(rng, n_prev, n, m, activation)
        dA = rng.standard_normal((n, m))
        _, cache = forward(A_prev, W, b, activation)
        dA_prev, dW, db = backward(dA, cache, activation)

        def loss() -> float:
            return weighted_sum(forward(A_prev, W, b, activation)[0], dA)

        worst = max(
            worst,
            relative_error(dA_prev, numerical_gradient(loss, A_prev)),
            relative_error(dW, numerical_gradient(loss, W) / m),
            relative_error(db, numerical_gradient(loss, b) / m),
        )
    return worst


def check_L_model_backward(
    forward: ModelForward = dn.L_model_forward,
    backward: ModelBackward = dn.L_model_backward,
    cost: Cost = dn.compute_cost,
    seed: int = 0,
) -> float:
    """Worst relative error of every dW, db (and dA0 / m) against centered differences of
    compute_cost(L_model_forward(X)) over several architectures and batch sizes."""
    rng = np.random.default_rng(seed)
    worst = 0.0
    for dims, m in NET_CASES:
        X, Y, params = _random_net(rng, dims, m)
        AL, caches = forward(X, params)
        grads = backward(AL, Y, caches)

        def loss() -> float:
            return float(cost(forward(X, params)[0], Y))

        expected = {f"d{k}": numerical_gradient(loss, v) for k, v in params.items()}
        # dA0 is the gradient of the summed loss, m times the gradient of the cost.
        expected["dA0"] = numerical_gradient(loss, X) * m
        if set(grads) != set(expected) | {f"dA{i}" for i in range(1, len(dims) - 1)}:
            return math.inf
        worst = max(worst, *(relative_error(grads[k], v) for k, v in expected.items()))
    return worst


def _torch_net_cost(X: Array, Y: Array, params: Params) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """The course's network and mean BCE cost in torch; returns (AL, leaf tensors by name)."""
    import torch

    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    leaves["X"] = torch.tensor(X, dtype=torch.float64, requires_grad=True)
    L = len(params) // 2
    A = leaves["X"]
    for layer in range(1, L + 1):
        Z = leaves["W" + str(layer)] @ A + leaves["b" + str(layer)]
        A = torch.sigmoid(Z) if layer == L else torch.relu(Z)
    return A, leaves


def check_L_model_torch(
    forward: ModelForward = dn.L_model_forward,
    backward: ModelBackward = dn.L_model_backward,
    cost: Cost = dn.compute_cost,
    seed: int = 1,
) -> float:
    """Worst relative error of AL, the cost, every dW, db and dA0 against torch autograd, float64.

    Intended difference: the course's grads["dA0"] is the gradient of the SUMMED loss, so it is
    compared with m times torch's gradient of the mean cost with respect to X.
    """
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for dims, m in NET_CASES:
        X, Y, params = _random_net(rng, dims, m)
        AL, caches = forward(X, params)
        value = cost(AL, Y)
        grads = backward(AL, Y, caches)
        tAL, leaves = _torch_net_cost(X, Y, params)
        tcost = torch.nn.functional.binary_cross_entropy(tAL, torch.tensor(Y))
        tcost.backward()
        if not _is_scalar(value):
            return math.inf
        worst = max(worst, relative_error(AL, tAL.detach().numpy()), relative_error(value, tcost.item()))
        for k, leaf in leaves.items():
            assert leaf.grad is not None
            t_grad: Array = leaf.grad.numpy()
            if k == "X":
                worst = max(worst, relative_error(grads["dA0"], t_grad * m))
            else:
                worst = max(worst, relative_error(grads["d" + k], t_grad))
    return worst


def check_compute_cost_torch(cost: Cost = dn.compute_cost, seed: int = 2) -> float:
    """Worst relative error of compute_cost against torch's binary_cross_entropy (mean), float64;
    inf when the cost is not a 0-d value."""
    import torch

    rng = np.random.default_rng(seed)
    worst = 0.0
    for m in (1, 3, 10, 100):
        AL = rng.uniform(0.01, 0.99, size=(1, m))
        Y = (rng.random((1, m)) < 0.5).astype(np.float64)
        value = cost(AL, Y)
        if not _is_scalar(value):
            return math.inf
        expected = torch.nn.functional.binary_cross_entropy(torch.tensor(AL), torch.tensor(Y)).item()
        worst = max(worst, relative_error(float(value), expected))
    return worst


def check_compute_cost_known(cost: Cost = dn.compute_cost) -> float:
    """Absolute error against the course's value 0.27977656 (Y = [[1, 1, 0]], AL = [[.8, .9, .4]]);
    inf when the cost is not a 0-d value."""
    value = cost(np.array([[0.8, 0.9, 0.4]]), np.array([[1.0, 1.0, 0.0]]))
    if not _is_scalar(value):
        return math.inf
    return abs(float(value) - 0.27977656)


def check_forward_known(
    linear_forward: Callable[[Array, Array, Array], tuple[Array, dn.LinearCache]] = dn.linear_forward,
    forward: ModelForward = dn.L_model_forward,
) -> float:
    """Absolute error against the course's test cases of linear_forward (seed 1) and
    L_model_forward (seed 6), which draw their inputs from numpy's global RNG."""
    state = np.random.get_state()
    try:
        np.random.seed(1)
        A, W, b = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
        Z, _ = linear_forward(A, W, b)
        np.random.seed(6)
        X = np.random.randn(5, 4)
        params: Params = {}
        for layer, (n, n_prev) in enumerate(((4, 5), (3, 4), (1, 3)), start=1):
            params["W" + str(layer)] = np.random.randn(n, n_prev)
            params["b" + str(layer)] = np.random.randn(n, 1)
    finally:
        np.random.set_state(state)
    AL, caches = forward(X, params)
    if Z.shape != (1, 2) or AL.shape != (1, 4) or len(caches) != 3:
        return math.inf
    return max(
        float(np.max(np.abs(Z - [[3.26295337, -1.23429987]]))),
        float(np.max(np.abs(AL - [[0.03921668, 0.70498921, 0.19734387, 0.04728177]]))),
    )


def check_L_model_backward_known(backward: ModelBackward = dn.L_model_backward) -> float:
    """Absolute error against the course's L_model_backward test case (seed 3, a 2-layer cache
    drawn at random; AL is a raw randn draw, as in the notebook)."""
    state = np.random.get_state()
    try:
        np.random.seed(3)
        AL = np.random.randn(1, 2)
        A1, W1, b1 = np.random.randn(4, 2), np.random.randn(3, 4), np.random.randn(3, 1)
        Z1 = np.random.randn(3, 2)
        A2, W2, b2 = np.random.randn(3, 2), np.random.randn(1, 3), np.random.randn(1, 1)
        Z2 = np.random.randn(1, 2)
    finally:
        np.random.set_state(state)
    Y = np.array([[1.0, 0.0]])
    grads = backward(AL, Y, [((A1, W1, b1), Z1), ((A2, W2, b2), Z2)])
    expected = {
        "dW1": [
            [0.41010002, 0.07807203, 0.13798444, 0.10502167],
            [0.0, 0.0, 0.0, 0.0],
            [0.05283652, 0.01005865, 0.01777766, 0.0135308],
        ],
        "db1": [[-0.22007063], [0.0], [-0.02835349]],
        "dA1": [[0.12913162, -0.44014127], [-0.14175655, 0.48317296], [0.01663708, -0.05670698]],
    }
    worst = 0.0
    for key, value in expected.items():
        got = grads.get(key)
        if got is None or got.shape != np.shape(value):
            return math.inf
        worst = max(worst, float(np.max(np.abs(got - np.array(value)))))
    return worst


def check_update_parameters(update: Update = dn.update_parameters, seed: int = 0) -> float:
    """1.0 unless update returns a NEW dict with W - lr dW, b - lr db and leaves its inputs unchanged."""
    rng = np.random.default_rng(seed)
    dims = (4, 3, 2, 1)
    params: Params = {}
    grads: Params = {}
    for layer in range(1, len(dims)):
        for name, shape in (("W", (dims[layer], dims[layer - 1])), ("b", (dims[layer], 1))):
            params[name + str(layer)] = rng.standard_normal(shape)
            grads["d" + name + str(layer)] = rng.standard_normal(shape)
    before = {k: v.copy() for k, v in params.items()}
    grads_before = {k: v.copy() for k, v in grads.items()}
    new = update(params, grads, 0.1)
    if new is params or set(new) != set(params):
        return 1.0
    if any(not np.array_equal(params[k], before[k]) for k in params):
        return 1.0
    if any(not np.array_equal(grads[k], grads_before[k]) for k in grads):
        return 1.0
    ok = all(np.allclose(new[k], before[k] - 0.1 * grads["d" + k], rtol=1e-15, atol=0.0) for k in params)
    return 0.0 if ok else 1.0


def _layer_check(activation: str) -> Callable[[], float]:
    return lambda: check_linear_activation_backward(activation)


def checks() -> list[Check]:
    """The checks of the deep network topic."""
    out = [
        Check(
            "deep_network.linear_backward",
            "gradient",
            "dA_prev, dW, db vs centered differences, 4 sizes",
            check_linear_backward,
            1e-7,
        )
    ]
    for activation in ("relu", "sigmoid", "tanh"):
        out.append(
            Check(
                "deep_network.linear_activation_backward",
                "gradient",
                f"{activation} layer vs centered differences, 4 sizes",
                _layer_check(activation),
                1e-7,
            )
        )
    out += [
        Check(
            "deep_network.L_model_backward",
            "gradient",
            "every dW, db, dA0 vs numeric gradient of the cost, 5 nets",
            check_L_model_backward,
            1e-7,
        ),
        Check(
            "deep_network.L_model_backward",
            "oracle",
            "AL, cost, every gradient vs torch MLP autograd float64",
            check_L_model_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "deep_network.compute_cost",
            "oracle",
            "vs torch binary_cross_entropy float64, 4 sizes",
            check_compute_cost_torch,
            1e-12,
            requires_torch=True,
        ),
        Check(
            "deep_network.compute_cost",
            "known-value",
            "course value 0.27977656",
            check_compute_cost_known,
            1e-8,
        ),
        Check(
            "deep_network.L_model_forward",
            "known-value",
            "course test cases of linear_forward and L_model_forward",
            check_forward_known,
            1e-8,
        ),
        Check(
            "deep_network.L_model_backward",
            "known-value",
            "course test case (seed 3): dW1, db1, dA1",
            check_L_model_backward_known,
            1e-8,
        ),
        Check(
            "deep_network.update_parameters",
            "invariant",
            "new dict, W - lr dW, inputs unchanged",
            check_update_parameters,
            0.0,
        ),
    ]
    return out
