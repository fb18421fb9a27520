"""Hidden checks of the character-level language model ("Dinosaurus Island").

The names come from the shipped list (``reference/data/names.txt``, read here in the grader
process; the notebook carries its own small copy). The vocabulary is the course's 27 symbols
('\\n' at index 0, then a-z), except in the families that use a small alphabet with the newline
at another index, so that code which hard-codes 27 or index 0 is caught.

- ``clip``: gradient dictionaries of several sizes and bounds (some entries beyond the bound,
  none, all), with and without the ``da_next`` entry that ``rnn_backward`` also returns; the
  input must come back unchanged (the course clips a deep copy).
- ``sample``: the course couples the sampling to numpy's global generator (it reseeds it with
  ``counter + seed`` before every draw), so the indices of a correct solution are exactly the
  reference's for the same parameters and seed. Families: an untrained model (nearly uniform
  predictions), trained-looking weights, a likely newline (short names), a newline that is never
  drawn (50 characters, then the newline is appended), a small alphabet, one hidden unit.
- ``optimize``: one training step on one name; the loss, the clipped gradients and the last
  hidden state are compared with the reference. Two families (a long name with large weights,
  and a long run of one character that the model finds unlikely) have gradients well beyond the
  clipping bound of 5. The parameter update itself is not visible in the course's return value
  (the course updates ``parameters`` in place), so a wrong update is caught by the ``model``
  check instead.
- ``model``: a short training run (200 to 320 iterations on up to 130 names, hidden states of
  at most 30 units: well under a second each). The comparer computes, in the grader process, the mean loss
  per name of the returned parameters and accepts it when it is within 10% of the reference's
  improvement (initial loss minus trained loss) of the reference's trained loss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from grader.cases.checkdef import Case, CheckDef
from grader.compare import Verdict, describe
from reference import char_model as cm
from reference.arraytypes import Params
from reference.datasets import char_vocabulary, load_names

PARAMETER_KEYS = ("Wax", "Waa", "Wya", "b", "by")
MODEL_TOLERANCE = 0.1
"""The model check accepts a mean loss within this share of the reference's improvement."""

SMALL_ALPHABET = "abcde\n"
"""A small vocabulary with the newline last: index 5, not 0."""


# ---------------------------------------------------------------------------------------------
# Drawing inputs


def _size(rng: np.random.Generator, low: int, high: int) -> int:
    return int(rng.integers(low, high + 1))


def _vocabulary() -> dict[str, int]:
    char_to_ix, _ = char_vocabulary([])
    return char_to_ix


def _small_vocabulary() -> dict[str, int]:
    return {ch: i for i, ch in enumerate(SMALL_ALPHABET)}


def _parameters(rng: np.random.Generator, vocab_size: int, n_a: int, scale: float) -> Params:
    """Random character-model parameters; ``scale`` multiplies standard normal entries."""
    return {
        "Wax": rng.standard_normal((n_a, vocab_size)) * scale,
        "Waa": rng.standard_normal((n_a, n_a)) * scale,
        "Wya": rng.standard_normal((vocab_size, n_a)) * scale,
        "b": rng.standard_normal((n_a, 1)) * scale,
        "by": rng.standard_normal((vocab_size, 1)) * scale,
    }


def _gradients(
    rng: np.random.Generator, vocab_size: int, n_a: int, scale: float, *, with_da_next: bool = False
) -> Params:
    gradients = {"d" + key: value for key, value in _parameters(rng, vocab_size, n_a, scale).items()}
    if with_da_next:
        gradients["da_next"] = rng.standard_normal((n_a, 1)) * scale
    return gradients


def _example(name: str, char_to_ix: Mapping[str, int]) -> tuple[list[int | None], list[int]]:
    """The course's training pair for one name: X = [None, c1, ..., cn], Y = [c1, ..., cn, '\\n']."""
    X: list[int | None] = [None, *(char_to_ix[ch] for ch in name)]
    Y = [char_to_ix[ch] for ch in name] + [char_to_ix["\n"]]
    return X, Y


def _pick_name(rng: np.random.Generator, low: int, high: int) -> str:
    """A shipped name with a length in [low, high]."""
    fitting = [n for n in load_names() if low <= len(n) <= high]
    return str(fitting[int(rng.integers(len(fitting)))])


# ---------------------------------------------------------------------------------------------
# clip


def clip_cases(rng: np.random.Generator) -> list[Case]:
    """Gradient dictionaries with some, none or all entries beyond the bound."""
    cases = []
    n_a, vocab = _size(rng, 3, 8), 27
    cases.append(Case("some entries beyond the bound", (_gradients(rng, vocab, n_a, 7.0), 5)))
    bound = float(np.round(rng.uniform(0.2, 0.9), 2))
    n_a, vocab = _size(rng, 2, 6), _size(rng, 4, 9)
    cases.append(Case("small bound", (_gradients(rng, vocab, n_a, 1.0), bound)))
    n_a, vocab = _size(rng, 2, 6), _size(rng, 4, 9)
    inside = {k: np.clip(v, -2.9, 2.9) for k, v in _gradients(rng, vocab, n_a, 1.0).items()}
    cases.append(Case("nothing to clip", (inside, 3)))
    n_a, vocab = _size(rng, 2, 5), _size(rng, 4, 9)
    bound = _size(rng, 2, 6)
    beyond = {k: np.sign(v) * (bound + 0.5 + np.abs(v)) for k, v in _gradients(rng, vocab, n_a, 1.0).items()}
    cases.append(Case("every entry beyond the bound", (beyond, bound)))
    n_a = _size(rng, 3, 8)
    with_da = _gradients(rng, 27, n_a, 6.0, with_da_next=True)
    cases.append(Case("with da_next, as rnn_backward returns them", (with_da, _size(rng, 2, 8))))
    n_a, vocab = _size(rng, 2, 5), _size(rng, 4, 9)
    cases.append(Case("large bound and gradients", (_gradients(rng, vocab, n_a, 60.0), 50.0)))
    return cases


# ---------------------------------------------------------------------------------------------
# sample


def sample_cases(rng: np.random.Generator) -> list[Case]:
    """Parameters, vocabulary and seed; the reference reproduces the course's draws exactly."""
    vocab = _vocabulary()
    small = _small_vocabulary()
    cases = []
    for family, char_to_ix, n_a, scale, newline_shift in [
        ("untrained model (tiny weights)", vocab, _size(rng, 5, 20), 0.01, 0.0),
        ("trained-looking weights", vocab, _size(rng, 5, 15), 0.6, 0.0),
        ("newline likely (short names)", vocab, _size(rng, 4, 12), 0.4, 3.0),
        ("newline never drawn (50 characters)", vocab, _size(rng, 4, 12), 0.4, -40.0),
        ("small alphabet, newline last", small, _size(rng, 3, 8), 0.5, 0.0),
        ("one hidden unit", vocab, 1, 0.5, 0.0),
    ]:
        parameters = _parameters(rng, len(char_to_ix), n_a, scale)
        parameters["by"][char_to_ix["\n"]] += newline_shift
        cases.append(Case(family, (parameters, dict(char_to_ix), _size(rng, 0, 99))))
    return cases


# ---------------------------------------------------------------------------------------------
# optimize


def optimize_cases(rng: np.random.Generator) -> list[Case]:
    """One training step on one name, from several states and model sizes."""
    vocab = _vocabulary()
    small = _small_vocabulary()
    cases = []
    repeated = str(rng.choice(list("aeinorsu"))) * _size(rng, 14, 20)
    small_name = "".join(str(c) for c in rng.choice(list(SMALL_ALPHABET[:-1]), size=_size(rng, 5, 9)))
    rate = float(np.round(rng.uniform(0.02, 0.08), 3))
    for family, name, char_to_ix, n_a, scale, start, learning_rate in [
        ("short name", _pick_name(rng, 4, 7), vocab, _size(rng, 4, 10), 0.3, False, None),
        ("long name", _pick_name(rng, 15, 22), vocab, _size(rng, 8, 16), 1.0, False, None),
        ("one character repeated (gradients clipped)", repeated, vocab, _size(rng, 5, 10), 1.5, False, None),
        ("non-zero starting state", _pick_name(rng, 8, 12), vocab, _size(rng, 5, 10), 0.3, True, None),
        ("small alphabet, newline last", small_name, small, _size(rng, 3, 6), 0.5, False, None),
        ("one-letter name, learning rate given", str(rng.choice(list("abcxyz"))), vocab, 5, 0.3, True, rate),
    ]:
        # The outputs do not depend on the learning rate; the keyword must still be accepted.
        kwargs: dict[str, object] = {} if learning_rate is None else {"learning_rate": learning_rate}
        X, Y = _example(name, char_to_ix)
        parameters = _parameters(rng, len(char_to_ix), n_a, scale)
        if name == repeated:
            # The model finds the repeated character unlikely: dby at its index is about -len(name).
            parameters["by"][char_to_ix[name[0]]] -= 3.0
        a_prev = rng.uniform(-0.9, 0.9, (n_a, 1)) if start else np.zeros((n_a, 1))
        cases.append(Case(family, (X, Y, a_prev, parameters), kwargs))
    return cases


# ---------------------------------------------------------------------------------------------
# model


def model_cases(rng: np.random.Generator) -> list[Case]:
    """Short training runs on random subsets of the shipped names."""
    names = load_names()
    char_to_ix, ix_to_char = char_vocabulary([])
    letters = [ix_to_char[i] for i in range(len(ix_to_char))]
    cases = []
    for family, n_names, iterations, n_a, newlines in [
        ("few names, several passes", _size(rng, 25, 35), _size(rng, 200, 260), _size(rng, 5, 10), False),
        ("many names", _size(rng, 100, 130), _size(rng, 200, 280), _size(rng, 10, 16), False),
        (
            "names read from a file (with newlines)",
            _size(rng, 50, 70),
            _size(rng, 200, 260),
            _size(rng, 8, 14),
            True,
        ),
        ("larger hidden state", _size(rng, 60, 90), _size(rng, 250, 320), _size(rng, 24, 30), False),
    ]:
        picked = sorted(str(n) for n in rng.choice(names, size=n_names, replace=False))
        data_x = [n + "\n" for n in picked] if newlines else picked
        # ix_to_char goes in as a list of the characters (index -> character), because plain data
        # only has dictionaries with string keys; indexing it works exactly like the course's dict.
        cases.append(
            Case(
                family, (data_x, list(letters), dict(char_to_ix)), {"num_iterations": iterations, "n_a": n_a}
            )
        )
    return cases


def mean_loss(parameters: Params, names: Sequence[str], char_to_ix: Mapping[str, int]) -> float:
    """Mean over ``names`` of the summed cross-entropy of each name, from a zero hidden state."""
    n_a = parameters["Waa"].shape[0]
    total = 0.0
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        for name in names:
            X, Y = _example(name, char_to_ix)
            loss, _ = cm.rnn_forward(X, Y, np.zeros((n_a, 1)), parameters, vocab_size=len(char_to_ix))
            total += loss
    return total / len(names)


def _model_outcome(
    data_x: Sequence[str],
    ix_to_char: Sequence[str],
    char_to_ix: Mapping[str, int],
    num_iterations: int = 35000,
    n_a: int = 50,
) -> dict[str, object]:
    """What the model comparer needs: the reference's trained parameters, the mean loss per name
    before and after training, and the names and vocabulary to measure a student's parameters."""
    vocab_size = len(char_to_ix)
    parameters = cm.model(
        data_x,
        dict(enumerate(ix_to_char)),
        char_to_ix,
        num_iterations=num_iterations,
        n_a=n_a,
        vocab_size=vocab_size,
    )
    names = [n.strip() for n in data_x]
    initial = cm.initialize_parameters(n_a, vocab_size, vocab_size)
    return {
        "parameters": parameters,
        "initial_loss": mean_loss(initial, names, char_to_ix),
        "trained_loss": mean_loss(parameters, names, char_to_ix),
        "names": names,
        "char_to_ix": dict(char_to_ix),
    }


def compare_model(expected: object, actual: object) -> Verdict:
    """Accept trained parameters whose mean loss per name is close to the reference's.

    ``expected`` is what ``_model_outcome`` returned; ``actual`` the student's return value.
    """
    assert isinstance(expected, dict)
    reference: Params = expected["parameters"]
    if not isinstance(actual, dict):
        return Verdict(False, f"model returned {describe(actual)}; expected the dict of trained parameters")
    missing = [k for k in PARAMETER_KEYS if k not in actual]
    if missing:
        return Verdict(False, f"the returned parameters miss the keys {', '.join(missing)}")
    for key in PARAMETER_KEYS:
        value = actual[key]
        want = reference[key].shape
        if not isinstance(value, np.ndarray) or value.dtype.kind not in "iuf":
            return Verdict(
                False, f'parameters["{key}"] is {describe(value)}; expected an array of shape {want}'
            )
        if value.shape != want:
            return Verdict(False, f'parameters["{key}"] has shape {value.shape}; expected shape {want}')
        if not np.all(np.isfinite(value)):
            return Verdict(False, f'parameters["{key}"] has NaN or infinite entries: training diverged')
    trained = {k: np.asarray(actual[k], dtype=np.float64) for k in PARAMETER_KEYS}
    loss = mean_loss(trained, expected["names"], expected["char_to_ix"])
    initial, target = float(expected["initial_loss"]), float(expected["trained_loss"])
    margin = MODEL_TOLERANCE * (initial - target)
    if math.isfinite(loss) and abs(loss - target) <= margin:
        return Verdict(True, "")
    if not math.isfinite(loss) or loss > initial:
        how = "is worse than before training: the loss went up instead of down"
    elif loss > target:
        how = f"improved only {(initial - loss) / (initial - target):.0%} of the expected improvement"
    else:
        how = "is far lower than expected: train exactly num_iterations steps, one name per step"
    return Verdict(False, f"the mean loss per name of the trained parameters {how}")


# ---------------------------------------------------------------------------------------------
# The checks


def checks() -> list[CheckDef]:
    """The hidden checks of the character-level model, in the notebook's order."""
    return [
        CheckDef(
            name="char_model.clip",
            function="clip",
            reference=cm.clip,
            make_cases=clip_cases,
            description="every gradient clipped to [-maxValue, maxValue], without changing the input",
            args=("gradients", "maxValue"),
            output="gradients",
            # The course returns the five gradients; a copy that keeps da_next as well is fine.
            allow_extra_keys=True,
            unchanged_args=(0,),
        ),
        CheckDef(
            name="char_model.sample",
            function="sample",
            reference=cm.sample,
            make_cases=sample_cases,
            description="the sampled indices, up to the newline or 50 characters, with the course's seeds",
            args=("parameters", "char_to_ix", "seed"),
            output="indices",
        ),
        CheckDef(
            name="char_model.optimize",
            function="optimize",
            reference=cm.optimize,
            make_cases=optimize_cases,
            description="one training step: the loss, the gradients clipped at 5 and the last state",
            args=("X", "Y", "a_prev", "parameters"),
            output=("loss", "gradients", "a_last"),
            allow_extra_keys=True,
        ),
        CheckDef(
            name="char_model.model",
            function="model",
            reference=_model_outcome,
            make_cases=model_cases,
            description="a short training run: the trained parameters reach the expected loss",
            args=("data_x", "ix_to_char", "char_to_ix"),
            output="parameters",
            comparer=compare_model,
        ),
    ]
