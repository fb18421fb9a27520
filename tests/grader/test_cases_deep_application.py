"""The deep network application's hidden checks: held-out sets, the training and predict comparers."""

from __future__ import annotations

import numpy as np
import pytest

from grader.cases import all_checks, get_check
from grader.cases.deep_application import compare_predictions, compare_training, held_out, training_set
from grader.hidden import run_check
from reference import deep_application as app

TOPIC = [c for c in all_checks() if c.name.startswith("deep_application.")]
REFERENCES = {
    "predict": lambda X, y, parameters: app.predict(X, y, parameters),
    "two_layer_model": app.two_layer_model,
    "L_layer_model": app.L_layer_model,
}


def test_one_check_per_graded_function_in_notebook_order():
    assert [c.function for c in TOPIC] == ["predict", "two_layer_model", "L_layer_model"]


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_four_to_eight_cases_in_distinct_named_families_of_plain_data(check_def):
    for seed in range(6):
        cases = check_def.make_cases(np.random.default_rng(seed))
        assert 4 <= len(cases) <= 8
        assert len({c.family for c in cases}) == len(cases)
        for case in cases:
            for value in (*case.args, *case.kwargs.values()):
                assert isinstance(value, np.ndarray | dict | tuple | list | int | float)


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_the_reference_passes_for_several_seeds(check_def):
    for seed in range(3):
        report = run_check(check_def.name, REFERENCES[check_def.function], seed=seed)
        assert report.passed, report.feedback()


def test_the_held_out_set_is_the_rest_of_the_same_two_digits():
    rng = np.random.default_rng(4)
    X, Y = training_set(rng, 100)
    X_held, Y_held = held_out(X, Y)
    assert X.shape == (64, 100) and Y.shape == (1, 100) and 0 < Y.mean() < 1
    # Two digits have about 360 images: the held-out set is what the training set left.
    assert 200 < X_held.shape[1] < 300
    assert Y_held.shape == (1, X_held.shape[1]) and 0.3 < Y_held.mean() < 0.7
    train_columns = {X[:, j].tobytes() for j in range(X.shape[1])}
    assert not any(X_held[:, j].tobytes() in train_columns for j in range(X_held.shape[1]))
    with pytest.raises(ValueError):
        held_out(X + 0.01, Y)


def test_the_held_out_set_never_enters_the_case():
    check = get_check("deep_application.L_layer_model")
    case = check.make_cases(np.random.default_rng(0))[1]
    expected = check.expected(case)
    assert isinstance(expected, dict)
    X_held = expected["X_held"]
    sent = [a for a in (*case.args, *case.kwargs.values()) if isinstance(a, np.ndarray)]
    assert all(a.shape != X_held.shape for a in sent)


@pytest.fixture(scope="module")
def trained():
    check = get_check("deep_application.L_layer_model")
    case = next(c for c in check.make_cases(np.random.default_rng(2)) if c.family == "three layers")
    expected = check.expected(case)
    parameters, costs = app.L_layer_model(*case.args, **case.kwargs)
    return case, expected, parameters, costs


def test_training_comparer_accepts_the_reference_and_lists_or_arrays_of_costs(trained):
    _, expected, parameters, costs = trained
    assert compare_training(expected, (parameters, costs)).passed
    assert compare_training(expected, [parameters, np.array(costs)]).passed
    assert compare_training(expected, (parameters, [np.array(c) for c in costs])).passed


def test_training_comparer_names_each_failure(trained):
    case, expected, parameters, costs = trained
    assert "tuple of 2" in compare_training(expected, parameters).message
    two_layers = {k: v for k, v in parameters.items() if k in ("W1", "b1", "W2", "b2")}
    assert "missing W3" in compare_training(expected, (two_layers, costs)).message
    transposed = dict(parameters, W2=parameters["W2"].T)
    assert "shape" in compare_training(expected, (transposed, costs)).message
    diverged = dict(parameters, W1=np.full_like(parameters["W1"], np.nan))
    assert "NaN" in compare_training(expected, (diverged, costs)).message
    untrained = app.L_layer_model(*case.args[:3], learning_rate=0.0, num_iterations=1)[0]
    assert "too little progress" in compare_training(expected, (untrained, costs)).message
    assert "empty" in compare_training(expected, (parameters, [])).message
    assert "did not go down" in compare_training(expected, (parameters, [0.5, 0.6])).message
    assert "finite numbers" in compare_training(expected, (parameters, [0.7, "x"])).message


def test_training_comparer_checks_held_out_accuracy(trained):
    _, expected, parameters, costs = trained
    strict = dict(expected, min_accuracy=1.01)
    verdict = compare_training(strict, (parameters, costs))
    assert not verdict.passed and "held-out" in verdict.message


def test_predict_comparer_accepts_any_label_dtype_and_names_mistakes():
    check = get_check("deep_application.predict")
    case = next(c for c in check.make_cases(np.random.default_rng(1)) if c.family == "three layers")
    expected = check.expected(case)
    p = app.predict(*case.args)
    assert compare_predictions(expected, p).passed
    assert compare_predictions(expected, p.astype(bool)).passed
    assert compare_predictions(expected, p.astype(np.int64)).passed
    assert "opposite" in compare_predictions(expected, 1.0 - p).message
    assert "shape" in compare_predictions(expected, p.reshape(-1)).message
    assert "other than 0 and 1" in compare_predictions(expected, expected["probas"]).message
    one_wrong = p.copy()
    one_wrong[0, 0] = 1.0 - one_wrong[0, 0]
    assert "1 of" in compare_predictions(expected, one_wrong).message


def test_predict_does_not_judge_probabilities_at_one_half():
    expected = {"p": np.array([[1.0, 0.0]]), "probas": np.array([[0.9, 0.5]])}
    assert compare_predictions(expected, np.array([[1.0, 1.0]])).passed
    assert not compare_predictions(expected, np.array([[0.0, 1.0]])).passed


def test_predict_cases_have_both_labels():
    check = get_check("deep_application.predict")
    for seed in range(10):
        for case in check.make_cases(np.random.default_rng(seed)):
            p = app.predict(*case.args)
            if p.shape[1] >= 5:
                assert 0 < p.mean() < 1, case.family
