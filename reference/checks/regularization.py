"""Checks of reference.regularization (3-layer net, L2 penalty, dropout)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from reference import regularization as reg
from reference.activations import relu, sigmoid
from reference.arraytypes import Array, Params
from reference.checks.numeric import numerical_gradient, relative_error, seeded_global_rng
from reference.checks.registry import Check

Forward = Callable[[Array, Params], tuple[Array, reg.ForwardCache]]
Backward = Callable[[Array, Array, reg.ForwardCache], Params]
RegBackward = Callable[[Array, Array, reg.ForwardCache, float], Params]
RegCost = Callable[[Array, Array, Params, float], float]
Cost = Callable[[Array, Array], float]
DropoutForward = Callable[[Array, Params, float], tuple[Array, reg.DropoutCache]]
DropoutBackward = Callable[[Array, Array, reg.DropoutCache, float], Params]

SIZES = ((3, 5, 4, 7), (2, 3, 2, 5), (4, 6, 3, 1))
"""(n_x, n_1, n_2, m): a typical net, a narrow one, and a single example."""

PARAM_KEYS = ("W1", "b1", "W2", "b2", "W3", "b3")
GRAD_KEYS = ("dZ3", "dW3", "db3", "dA2", "dZ2", "dW2", "db2", "dA1", "dZ1", "dW1", "db1")


def make_problem(
    rng: np.random.Generator, n_x: int, n_1: int, n_2: int, m: int, scale: float = 0.7
) -> tuple[Array, Array, Params]:
    """Random X: (n_x, m), 0/1 labels Y: (1, m) and parameters of the 3-layer net."""
    X = rng.standard_normal((n_x, m))
    Y = (rng.random((1, m)) < 0.5).astype(np.float64)
    dims = (n_x, n_1, n_2, 1)
    params: Params = {}
    for layer in (1, 2, 3):
        params[f"W{layer}"] = rng.standard_normal((dims[layer], dims[layer - 1])) * scale
        params[f"b{layer}"] = rng.standard_normal((dims[layer], 1)) * 0.3
    return X, Y, params


def forward_with_masks(
    X: Array, parameters: Params, D1: Array, D2: Array, keep_prob: float
) -> tuple[Array, reg.DropoutCache]:
    """The dropout forward pass with GIVEN masks, so that the cost is a deterministic function."""
    W1, b1 = parameters["W1"], parameters["b1"]
    W2, b2 = parameters["W2"], parameters["b2"]
    W3, b3 = parameters["W3"], parameters["b3"]
    Z1: Array = W1 @ X + b1
    A1: Array = relu(Z1)[0] * D1 / keep_prob
    Z2: Array = W2 @ A1 + b2
    A2: Array = relu(Z2)[0] * D2 / keep_prob
    Z3: Array = W3 @ A2 + b3
    A3 = sigmoid(Z3)[0]
    return A3, (Z1, D1, A1, W1, b1, Z2, D2, A2, W2, b2, Z3, A3, W3, b3)


def worst_parameter_error(grads: Params, params: Params, cost: Callable[[], float]) -> float:
    """Worst relative error of grads['dW1'...] against centered differences of cost()."""
    worst = 0.0
    for key in PARAM_KEYS:
        numeric = numerical_gradient(cost, params[key])
        worst = max(worst, relative_error(grads["d" + key], numeric))
    return worst


def check_backward_propagation(
    forward: Forward = reg.forward_propagation, backward: Backward = reg.backward_propagation
) -> float:
    """Worst relative error of dW/db against centered differences of compute_cost."""
    rng = np.random.default_rng(0)
    worst = 0.0
    for sizes in SIZES:
        X, Y, params = make_problem(rng, *sizes)
        _, cache = forward(X, params)
        grads = backward(X, Y, cache)
        worst = max(
            worst,
            worst_parameter_error(
                grads, params, lambda: reg.compute_cost(reg.forward_propagation(X, params)[0], Y)
            ),
        )
    return worst


def check_backward_with_regularization(
    backward: RegBackward = reg.backward_propagation_with_regularization,
) -> float:
    """Worst relative error against centered differences of the L2-regularized cost."""
    rng = np.random.default_rng(1)
    worst = 0.0
    for sizes, lambd in zip(SIZES, (0.7, 0.1, 2.0), strict=True):
        X, Y, params = make_problem(rng, *sizes)
        _, cache = reg.forward_propagation(X, params)
        grads = backward(X, Y, cache, lambd)

        def cost() -> float:
            A3, _ = reg.forward_propagation(X, params)
            return reg.compute_cost_with_regularization(A3, Y, params, lambd)

        worst = max(worst, worst_parameter_error(grads, params, cost))
    return worst


def check_backward_with_dropout(
    forward: DropoutForward = reg.forward_propagation_with_dropout,
    backward: DropoutBackward = reg.backward_propagation_with_dropout,
) -> float:
    """Worst relative error against centered differences of the cost with the masks held fixed.

    The masks come from ``forward`` (run with numpy's global generator seeded); the numeric side
    replays them through ``forward_with_masks``.
    """
    rng = np.random.default_rng(2)
    worst = 0.0
    for sizes, keep_prob in zip(SIZES, (0.8, 0.5, 1.0), strict=True):
        X, Y, params = make_problem(rng, *sizes)
        with seeded_global_rng(3):
            _, cache = forward(X, params, keep_prob)
        grads = backward(X, Y, cache, keep_prob)
        D1, D2 = cache[1], cache[6]
        worst = max(
            worst,
            worst_parameter_error(
                grads,
                params,
                lambda: reg.compute_cost(forward_with_masks(X, params, D1, D2, keep_prob)[0], Y),
            ),
        )
    return worst


def check_dropout_masks(forward: DropoutForward = reg.forward_propagation_with_dropout) -> float:
    """1.0 unless the cache is consistent and the masks are the course's.

    Consistent: masks hold only 0/1, A_l = relu(Z_l) * D_l / keep_prob, and the rest of the
    cache is the forward pass through those masks. The course's masks: after np.random.seed(k),
    D1 = rand(n_1, m) < keep_prob and then D2 = rand(n_2, m) < keep_prob.
    """
    rng = np.random.default_rng(4)
    for sizes, keep_prob in zip(SIZES, (0.7, 0.5, 0.9), strict=True):
        X, _, params = make_problem(rng, *sizes)
        with seeded_global_rng(5):
            A3, cache = forward(X, params, keep_prob)
        with seeded_global_rng(5):
            D1 = (np.random.rand(sizes[1], sizes[3]) < keep_prob).astype(np.float64)
            D2 = (np.random.rand(sizes[2], sizes[3]) < keep_prob).astype(np.float64)
        expected_A3, expected = forward_with_masks(X, params, D1, D2, keep_prob)
        if len(cache) != 14:
            return 1.0
        for got, want in zip((A3, *cache), (expected_A3, *expected), strict=True):
            if np.shape(got) != want.shape or not np.allclose(got, want, rtol=1e-12, atol=0.0):
                return 1.0
    return 0.0


KEEP_TOLERANCE = 0.01
MEAN_TOLERANCE = 0.03


def check_dropout_statistics(forward: DropoutForward = reg.forward_propagation_with_dropout) -> float:
    """1.0 unless, on a 500 x 1000 hidden layer, the kept fraction is within 0.01 of keep_prob
    and the mean activation after dropout within 3% of the mean without it (inverted dropout
    preserves it in expectation)."""
    rng = np.random.default_rng(6)
    X, _, params = make_problem(rng, 4, 500, 20, 1000)
    relu_mean = float(np.mean(relu(params["W1"] @ X + params["b1"])[0]))
    for keep_prob in (0.3, 0.8):
        with seeded_global_rng(7):
            _, cache = forward(X, params, keep_prob)
        D1, A1, D2 = cache[1], cache[2], cache[6]
        for D in (D1, D2):
            if abs(float(np.mean(D)) - keep_prob) > KEEP_TOLERANCE:
                return 1.0
        if abs(float(np.mean(A1)) / relu_mean - 1.0) > MEAN_TOLERANCE:
            return 1.0
    return 0.0


def _torch_net(
    X: Array,
    Y: Array,
    params: Params,
    lambd: float = 0.0,
    masks: tuple[Array, Array] | None = None,
    keep_prob: float = 1.0,
) -> tuple[float, Params]:
    """Cost and the course's gradient dictionary computed by torch autograd in float64.

    dZ/dA entries are m times torch's gradients (the course's are for the summed loss); dA_l is
    the gradient with respect to relu(Z_l) before dropout, which is what the course stores.
    """
    import torch

    m = X.shape[1]
    t = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in params.items()}
    tx = torch.tensor(X, dtype=torch.float64)
    ty = torch.tensor(Y, dtype=torch.float64)
    Z1 = t["W1"] @ tx + t["b1"]
    R1 = torch.relu(Z1)
    A1 = R1 if masks is None else R1 * torch.tensor(masks[0]) / keep_prob
    Z2 = t["W2"] @ A1 + t["b2"]
    R2 = torch.relu(Z2)
    A2 = R2 if masks is None else R2 * torch.tensor(masks[1]) / keep_prob
    Z3 = t["W3"] @ A2 + t["b3"]
    for inner in (Z1, R1, Z2, R2, Z3):
        inner.retain_grad()
    cost = torch.nn.functional.binary_cross_entropy_with_logits(Z3, ty)
    cost = cost + lambd / (2 * m) * sum(torch.sum(t[f"W{layer}"] ** 2) for layer in (1, 2, 3))
    cost.backward()
    grads: Params = {}
    for name, tensor in (("Z1", Z1), ("A1", R1), ("Z2", Z2), ("A2", R2), ("Z3", Z3)):
        assert tensor.grad is not None
        grads["d" + name] = m * tensor.grad.numpy()
    for key in PARAM_KEYS:
        grad = t[key].grad
        assert grad is not None
        grads["d" + key] = grad.numpy()
    return float(cost.item()), grads


def _worst_dict_error(got: Params, want: Params) -> float:
    return max(relative_error(got[k], want[k]) for k in GRAD_KEYS)


def check_backward_torch(
    forward: Forward = reg.forward_propagation,
    backward: Backward = reg.backward_propagation,
    cost: Cost = reg.compute_cost,
) -> float:
    """Worst relative error of the cost and every gradient entry against torch autograd.

    torch computes the cost from the logits (binary_cross_entropy_with_logits); the course's
    cost takes the probabilities A3, and log(1 - A3) magnifies the rounding of A3 by 1/(1 - A3)
    for confident predictions. On these nets that costs up to ~3e-13 relative, hence the
    tolerance of 1e-10 on the three torch checks (the gradients agree to ~1e-16).
    """
    rng = np.random.default_rng(8)
    worst = 0.0
    for sizes in (*SIZES, (5, 20, 10, 64)):
        X, Y, params = make_problem(rng, *sizes)
        A3, cache = forward(X, params)
        want_cost, want = _torch_net(X, Y, params)
        worst = max(
            worst, relative_error(cost(A3, Y), want_cost), _worst_dict_error(backward(X, Y, cache), want)
        )
    return worst


def check_regularization_torch(
    cost: RegCost = reg.compute_cost_with_regularization,
    backward: RegBackward = reg.backward_propagation_with_regularization,
) -> float:
    """Worst relative error of the L2-regularized cost and its gradients against torch autograd
    (tolerance as in ``check_backward_torch``)."""
    rng = np.random.default_rng(9)
    worst = 0.0
    for sizes, lambd in zip((*SIZES, (5, 20, 10, 64)), (0.7, 0.1, 2.0, 0.3), strict=True):
        X, Y, params = make_problem(rng, *sizes)
        A3, cache = reg.forward_propagation(X, params)
        want_cost, want = _torch_net(X, Y, params, lambd=lambd)
        worst = max(
            worst,
            relative_error(cost(A3, Y, params, lambd), want_cost),
            _worst_dict_error(backward(X, Y, cache, lambd), want),
        )
    return worst


def check_dropout_torch(
    forward: DropoutForward = reg.forward_propagation_with_dropout,
    backward: DropoutBackward = reg.backward_propagation_with_dropout,
) -> float:
    """Worst relative error of the dropout pass (cost, every gradient) against torch autograd
    run through the same masks (tolerance as in ``check_backward_torch``)."""
    rng = np.random.default_rng(10)
    worst = 0.0
    for sizes, keep_prob in zip((*SIZES, (5, 20, 10, 64)), (0.8, 0.5, 1.0, 0.6), strict=True):
        X, Y, params = make_problem(rng, *sizes)
        with seeded_global_rng(11):
            A3, cache = forward(X, params, keep_prob)
        want_cost, want = _torch_net(X, Y, params, masks=(cache[1], cache[6]), keep_prob=keep_prob)
        worst = max(
            worst,
            relative_error(reg.compute_cost(A3, Y), want_cost),
            _worst_dict_error(backward(X, Y, cache, keep_prob), want),
        )
    return worst


# --- the course's own test cases -------------------------------------------------------------


def course_parameters(with_X: bool) -> tuple[Array, Params]:
    """The course's seed-1 test case: X = randn(3, 5) (when drawn) then W1 (2, 3), b1, W2 (3, 2),
    b2, W3 (1, 3), b3, drawn in that order from np.random.seed(1)."""
    with seeded_global_rng(1):
        X: Array = np.random.randn(3, 5) if with_X else np.zeros((3, 5))
        shapes = {"W1": (2, 3), "b1": (2, 1), "W2": (3, 2), "b2": (3, 1), "W3": (1, 3), "b3": (1, 1)}
        params: Params = {k: np.random.randn(*shape) for k, shape in shapes.items()}
    return X, params


COURSE_Y = np.array([[1.0, 1.0, 0.0, 1.0, 0.0]])

COURSE_L2_GRADS: dict[str, list[list[float]]] = {
    "dZ3": [[-0.59317598, -0.98370716, 0.16722898, -0.89881889, 0.40682402]],
    "dW3": [[-1.77691347, -0.11832879, -0.09397446]],
    "db3": [[-0.38032981]],
    "dW2": [[0.79276486, 0.85133918], [-0.0957219, -0.01720463], [-0.13100772, -0.03750433]],
    "db2": [[0.26135226], [0.0], [0.0]],
    "dW1": [[-0.25604646, 0.12298827, -0.28297129], [-0.17706303, 0.34536094, -0.4410571]],
    "db1": [[0.11845855], [0.21236874]],
}
"""backward_propagation_with_regularization on the course's case with lambd = 0.7."""

COURSE_DROPOUT_A3 = [[0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]]
COURSE_DROPOUT_D1 = [[1, 0, 1, 1, 1], [1, 1, 1, 1, 1]]
COURSE_DROPOUT_D2 = [[1, 1, 1, 0, 1], [1, 1, 1, 1, 1], [0, 0, 1, 1, 0]]
"""forward_propagation_with_dropout(X, parameters, keep_prob=0.7) after np.random.seed(1)."""

# The course's backward-dropout test feeds a cache whose activations were scaled with keep_prob
# 0.5 and these masks, then calls the backward pass with keep_prob 0.8; the expected values
# below are for exactly that mismatch, which the check reproduces.
COURSE_BACKWARD_D1 = [[1, 0, 1, 1, 1], [1, 1, 1, 1, 0]]
COURSE_BACKWARD_D2 = [[1, 0, 1, 0, 1], [0, 1, 0, 1, 1], [0, 0, 1, 0, 0]]
COURSE_DROPOUT_GRADS: dict[str, list[list[float]]] = {
    "dZ3": [[-0.67733606, -0.50316611, 0.00348883, -0.50316611, 0.32266394]],
    "dW3": [[-0.06951191, 0.0, 0.0]],
    "db3": [[-0.2715031]],
    "dA2": [
        [0.58180856, 0.0, -0.00299679, 0.0, -0.27715731],
        [0.0, 0.53159854, -0.0, 0.53159854, -0.34089673],
        [0.0, 0.0, -0.00292733, 0.0, -0.0],
    ],
    "dW2": [[-0.00256518, -0.0009476], [0.0, 0.0], [0.0, 0.0]],
    "db2": [[0.06033089], [0.0], [0.0]],
    "dA1": [[0.36544439, 0.0, -0.00188233, 0.0, -0.17408748], [0.65515713, 0.0, -0.00337459, 0.0, -0.0]],
    "dW1": [[0.00019884, 0.00028657, 0.00012138], [0.00035647, 0.00051375, 0.00021761]],
    "db1": [[-0.00037647], [-0.00067492]],
}


def _worst_abs(got: Params, want: dict[str, list[list[float]]]) -> float:
    return max(float(np.max(np.abs(np.asarray(got[k]) - np.array(v)))) for k, v in want.items())


def check_cost_known_values(
    cost: Cost = reg.compute_cost, cost_with_regularization: RegCost = reg.compute_cost_with_regularization
) -> float:
    """Worst absolute error on the course's values: compute_cost([[.8, .9, .4]], [[1, 1, 0]]) =
    0.2797765635793422 and the seed-1 regularized cost with lambd 0.1 = 1.7864859451590758."""
    _, params = course_parameters(with_X=False)
    A3 = np.array([[0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]])
    errors = (
        abs(cost(np.array([[0.8, 0.9, 0.4]]), np.array([[1.0, 1.0, 0.0]])) - 0.2797765635793422),
        abs(cost_with_regularization(A3, COURSE_Y, params, 0.1) - 1.7864859451590758),
    )
    return max(errors)


def check_regularization_backward_known(
    backward: RegBackward = reg.backward_propagation_with_regularization,
) -> float:
    """Worst absolute error on the course's backward_propagation_with_regularization test."""
    X, params = course_parameters(with_X=True)
    _, cache = reg.forward_propagation(X, params)
    return _worst_abs(backward(X, COURSE_Y, cache, 0.7), COURSE_L2_GRADS)


def check_dropout_forward_known(forward: DropoutForward = reg.forward_propagation_with_dropout) -> float:
    """Worst absolute error on the course's forward_propagation_with_dropout test (A3, D1, D2)."""
    X, params = course_parameters(with_X=True)
    with seeded_global_rng(1):
        A3, cache = forward(X, params, 0.7)
    return max(
        float(np.max(np.abs(A3 - np.array(COURSE_DROPOUT_A3)))),
        float(np.max(np.abs(np.asarray(cache[1], dtype=np.float64) - np.array(COURSE_DROPOUT_D1)))),
        float(np.max(np.abs(np.asarray(cache[6], dtype=np.float64) - np.array(COURSE_DROPOUT_D2)))),
    )


def check_dropout_backward_known(backward: DropoutBackward = reg.backward_propagation_with_dropout) -> float:
    """Worst absolute error on the course's backward_propagation_with_dropout test."""
    X, params = course_parameters(with_X=True)
    D1 = np.array(COURSE_BACKWARD_D1, dtype=np.float64)
    D2 = np.array(COURSE_BACKWARD_D2, dtype=np.float64)
    _, cache = forward_with_masks(X, params, D1, D2, 0.5)
    return _worst_abs(backward(X, COURSE_Y, cache, 0.8), COURSE_DROPOUT_GRADS)


def check_cost_finite(cost: Cost = reg.compute_cost) -> float:
    """1.0 unless the cost is finite when A3 is exactly 0 or 1 and equals the plain formula
    (to 1e-14) for ordinary probabilities."""
    Y = np.array([[1.0, 0.0, 1.0, 0.0, 1.0]])
    saturated = np.array([[1.0, 0.0, 0.0, 1.0, 0.5]])
    value = cost(saturated, Y)
    if not np.isfinite(value) or value <= 0:
        return 1.0
    A3 = np.array([[0.3, 0.2, 0.9, 0.6, 0.999]])
    plain = float(-np.sum(Y * np.log(A3) + (1 - Y) * np.log(1 - A3)) / 5)
    return 0.0 if abs(cost(A3, Y) - plain) <= 1e-14 else 1.0


def checks() -> list[Check]:
    """The checks of the regularization assignment."""
    topic = "regularization"
    return [
        Check(
            f"{topic}.backward_propagation",
            "gradient",
            "centered differences of compute_cost, 3 sizes",
            check_backward_propagation,
            1e-7,
        ),
        Check(
            f"{topic}.backward_propagation_with_regularization",
            "gradient",
            "centered differences of the L2 cost, 3 sizes and lambdas",
            check_backward_with_regularization,
            1e-7,
        ),
        Check(
            f"{topic}.backward_propagation_with_dropout",
            "gradient",
            "centered differences with the masks fixed, keep_prob 0.8/0.5/1",
            check_backward_with_dropout,
            1e-7,
        ),
        Check(
            f"{topic}.backward_propagation",
            "oracle",
            "cost and every gradient entry vs torch autograd float64",
            check_backward_torch,
            1e-10,
            requires_torch=True,
        ),
        Check(
            f"{topic}.compute_cost_with_regularization",
            "oracle",
            "L2 cost and its backward vs torch autograd float64",
            check_regularization_torch,
            1e-10,
            requires_torch=True,
        ),
        Check(
            f"{topic}.backward_propagation_with_dropout",
            "oracle",
            "dropout pass vs torch autograd with the same masks",
            check_dropout_torch,
            1e-10,
            requires_torch=True,
        ),
        Check(
            f"{topic}.compute_cost_with_regularization",
            "known-value",
            "course values 0.27977656 and 1.78648595",
            check_cost_known_values,
            1e-12,
        ),
        Check(
            f"{topic}.backward_propagation_with_regularization",
            "known-value",
            "course test case, lambd 0.7",
            check_regularization_backward_known,
            1e-8,
        ),
        Check(
            f"{topic}.forward_propagation_with_dropout",
            "known-value",
            "course test case after np.random.seed(1), keep_prob 0.7",
            check_dropout_forward_known,
            1e-8,
        ),
        Check(
            f"{topic}.backward_propagation_with_dropout",
            "known-value",
            "course test case, keep_prob 0.8",
            check_dropout_backward_known,
            1e-8,
        ),
        Check(
            f"{topic}.forward_propagation_with_dropout",
            "invariant",
            "cache consistent, masks drawn as the course draws them",
            check_dropout_masks,
            0.0,
        ),
        Check(
            f"{topic}.forward_propagation_with_dropout",
            "invariant",
            "kept fraction ~ keep_prob and mean activation preserved",
            check_dropout_statistics,
            0.0,
        ),
        Check(
            f"{topic}.compute_cost",
            "invariant",
            "finite when A3 is exactly 0 or 1",
            check_cost_finite,
            0.0,
        ),
    ]
