"""The character-level model's hidden checks: cases, the coupled RNG of sample, the clipping that
optimize must do, the loss-threshold comparer of model, and the embedded names of the notebook."""

from __future__ import annotations

import ast
import copy

import numpy as np
import pytest

from grader import plaindata
from grader.cases import all_checks, get_check
from grader.cases import char_model as cases_module
from grader.compare import compare
from grader.hidden import run_check
from reference import char_model as cm
from reference.datasets import char_vocabulary, load_names
from tests.assignments.harness import Assignment, all_assignments, execute, grade, grade_id

SEEDS = tuple(range(6))
TOPIC = [c for c in all_checks() if c.name.startswith("char_model.")]
FAST = [c for c in TOPIC if c.function != "model"]
ASSIGNMENT = next(Assignment(m) for m in all_assignments() if m.name == "char_model")


def _families(name: str, seed: int = 0) -> dict:
    return {c.family: c for c in get_check(name).make_cases(np.random.default_rng(seed))}


def _student_model(data_x, ix_to_char, char_to_ix, num_iterations=35000, n_a=50, learning_rate=0.01):
    """The course's training loop on the reference pieces, with a learning rate to play with."""
    parameters = cm.initialize_parameters(n_a, 27, 27)
    examples = [x.strip() for x in data_x]
    np.random.seed(0)
    np.random.shuffle(examples)
    a_prev = np.zeros((n_a, 1))
    for j in range(num_iterations):
        X = [None, *(char_to_ix[ch] for ch in examples[j % len(examples)])]
        Y = [*X[1:], char_to_ix["\n"]]
        _, _, a_prev, parameters = cm.optimize_step(X, Y, a_prev, parameters, learning_rate)
    return parameters


# ---------------------------------------------------------------------------------------------
# Cases


def test_every_function_has_one_check_in_notebook_order():
    assert [c.function for c in TOPIC] == ["clip", "sample", "optimize", "model"]


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_four_to_eight_cases_in_distinct_named_families(check_def):
    for seed in SEEDS:
        cases = check_def.make_cases(np.random.default_rng(seed))
        assert 4 <= len(cases) <= 8
        assert len({c.family for c in cases}) == len(cases)


@pytest.mark.parametrize("check_def", FAST, ids=lambda c: c.function)
def test_the_reference_passes_its_own_check_for_many_seeds(check_def):
    for seed in SEEDS:
        report = run_check(check_def.name, check_def.reference, seed=seed)
        assert report.passed, report.feedback()


def test_the_reference_model_passes_the_model_check():
    for seed in (0, 1):
        report = run_check("char_model.model", cm.model, seed=seed)
        assert report.passed, report.feedback()


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_inputs_depend_on_the_seed_only_and_change_with_it(check_def):
    first = check_def.make_cases(np.random.default_rng(11))
    again = check_def.make_cases(np.random.default_rng(11))
    other = check_def.make_cases(np.random.default_rng(12))
    assert all(
        compare(a.args, b.args).passed and a.kwargs == b.kwargs for a, b in zip(first, again, strict=True)
    )
    for a, b in zip(first, other, strict=True):
        assert not compare(a.args, b.args).passed, a.family


@pytest.mark.parametrize("check_def", TOPIC, ids=lambda c: c.function)
def test_case_inputs_survive_plain_data(check_def):
    for case in check_def.make_cases(np.random.default_rng(21)):
        for value in (case.args, case.kwargs):
            tree, arrays = plaindata.encode(value)
            decoded = plaindata.decode(tree, arrays)
            assert "Unencodable" not in repr(decoded)
            assert plaindata.encode(decoded)[0] == tree


@pytest.mark.parametrize("check_def", FAST, ids=lambda c: c.function)
def test_computing_the_expected_output_leaves_the_case_unchanged(check_def):
    cases = check_def.make_cases(np.random.default_rng(31))
    before = copy.deepcopy([c.args for c in cases])
    for case in cases:
        check_def.expected(case)
    for case, args in zip(cases, before, strict=True):
        assert compare(args, case.args, rtol=0.0, atol=0.0).passed


# ---------------------------------------------------------------------------------------------
# clip


def test_clip_families_have_what_their_names_say():
    for seed in SEEDS:
        f = _families("char_model.clip", seed)
        g, bound = f["nothing to clip"].args
        assert all(np.all(np.abs(v) <= bound) for v in g.values())
        g, bound = f["every entry beyond the bound"].args
        assert all(np.all(np.abs(v) > bound) for v in g.values())
        g, bound = f["some entries beyond the bound"].args
        share = np.mean(np.concatenate([np.abs(v).ravel() > bound for v in g.values()]))
        assert 0.1 < share < 0.9
        assert "da_next" in f["with da_next, as rnn_backward returns them"].args[0]


def test_clip_accepts_a_copy_that_keeps_da_next_but_not_an_in_place_clip():
    def keeps_everything(gradients, maxValue):
        return {k: np.clip(v, -maxValue, maxValue) for k, v in gradients.items()}

    def in_place(gradients, maxValue):
        for key in ("dWaa", "dWax", "dWya", "db", "dby"):
            np.clip(gradients[key], -maxValue, maxValue, out=gradients[key])
        return gradients

    assert run_check("char_model.clip", keeps_everything, seed=2).passed
    report = run_check("char_model.clip", in_place, seed=2)
    assert report.n_passed == 1  # only "nothing to clip" leaves the input as it was
    assert "modified its input `gradients` in place" in report.feedback()


# ---------------------------------------------------------------------------------------------
# sample


def test_sample_families_end_where_their_names_say():
    for seed in SEEDS:
        f = _families("char_model.sample", seed)
        never = cm.sample(*f["newline never drawn (50 characters)"].args)
        assert len(never) == 51 and never[-1] == 0 and 0 not in never[:-1]
        small = f["small alphabet, newline last"].args
        assert small[1]["\n"] == 5 and small[0]["by"].shape == (6, 1)
        assert cm.sample(*small)[-1] == 5
        lengths = [len(cm.sample(*c.args)) for c in f.values()]
        assert min(lengths) < 51  # most samples stop at a newline, which a mutant never reaching it fails


def test_sample_depends_only_on_its_arguments_not_on_the_global_generator():
    case = _families("char_model.sample")["trained-looking weights"]
    np.random.seed(123)
    first = cm.sample(*copy.deepcopy(case.args))
    np.random.rand(17)
    assert cm.sample(*copy.deepcopy(case.args)) == first


def test_sample_returning_numpy_integers_passes():
    def numpy_ints(parameters, char_to_ix, seed):
        return [np.int64(i) for i in cm.sample(parameters, char_to_ix, seed)]

    assert run_check("char_model.sample", numpy_ints, seed=4).passed


# ---------------------------------------------------------------------------------------------
# optimize


def test_the_clipping_family_has_gradients_beyond_the_bound_for_every_seed():
    for seed in range(20):
        X, Y, a_prev, parameters = _families("char_model.optimize", seed)[
            "one character repeated (gradients clipped)"
        ].args
        _, cache = cm.rnn_forward(X, Y, a_prev, parameters)
        gradients, _ = cm.rnn_backward(X, Y, parameters, cache)
        assert max(np.max(np.abs(gradients[k])) for k in ("dWax", "dWaa", "dWya", "db", "dby")) > 10


def test_optimize_that_updates_parameters_in_place_as_the_course_does_passes():
    def course_optimize(X, Y, a_prev, parameters, learning_rate=0.01):
        loss, gradients, a_last, new = cm.optimize_step(X, Y, a_prev, parameters, learning_rate)
        parameters.update(new)
        return loss, gradients, a_last

    assert run_check("char_model.optimize", course_optimize, seed=5).passed


# ---------------------------------------------------------------------------------------------
# model


def test_the_model_families_leave_a_clear_margin_between_untrained_and_trained():
    for seed in SEEDS:
        for case in get_check("char_model.model").make_cases(np.random.default_rng(seed)):
            data_x = case.args[0]
            assert all(isinstance(n, str) for n in data_x)
            assert case.kwargs["num_iterations"] <= 320 and case.kwargs["n_a"] <= 30
    expected = get_check("char_model.model").expected(
        get_check("char_model.model").make_cases(np.random.default_rng(0))[0]
    )
    assert expected["initial_loss"] - expected["trained_loss"] > 3.0


@pytest.fixture(scope="module")
def model_case():
    check_def = get_check("char_model.model")
    case = check_def.make_cases(np.random.default_rng(7))[0]
    return check_def, case, check_def.expected(case)


def test_model_comparer_accepts_the_reference_and_rejects_untrained_or_diverging_parameters(model_case):
    check_def, case, expected = model_case
    assert check_def.compare(expected, copy.deepcopy(expected["parameters"])).passed
    n_a = case.kwargs["n_a"]
    untrained = check_def.compare(expected, cm.initialize_parameters(n_a, 27, 27))
    assert not untrained.passed and "improved only" in untrained.message
    ascent = _student_model(*case.args, **case.kwargs, learning_rate=-0.01)
    verdict = check_def.compare(expected, ascent)
    assert not verdict.passed and "went up" in verdict.message


def test_model_comparer_explains_wrong_structure(model_case):
    check_def, _case, expected = model_case
    good = expected["parameters"]
    assert "expected the dict" in check_def.compare(expected, (good, "Dino")).message
    assert (
        "miss the keys by"
        in check_def.compare(expected, {k: v for k, v in good.items() if k != "by"}).message
    )
    assert "expected shape" in check_def.compare(expected, {**good, "Waa": good["Waa"].T[:, :-1]}).message
    nan = {**good, "b": np.full_like(good["b"], np.nan)}
    assert "diverged" in check_def.compare(expected, nan).message


def test_model_that_does_not_carry_the_state_or_shuffle_still_trains_well_enough(model_case):
    # The threshold judges whether training works, not the exact recipe: small deviations pass.
    check_def, case, expected = model_case

    def reset_state(data_x, ix_to_char, char_to_ix, num_iterations, n_a):
        parameters = cm.initialize_parameters(n_a, 27, 27)
        for j in range(num_iterations):
            name = data_x[j % len(data_x)].strip()
            X = [None, *(char_to_ix[ch] for ch in name)]
            _, _, _, parameters = cm.optimize_step(X, [*X[1:], 0], np.zeros((n_a, 1)), parameters)
        return parameters

    assert check_def.compare(expected, reset_state(*case.args, **case.kwargs)).passed


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the diverging model's log(0)
def test_a_sign_flipped_update_in_optimize_is_caught_by_the_model_check_only():
    # The course's optimize returns (loss, gradients, a_last) and updates the parameters in place,
    # which the optimize check cannot see; the model check trains with it and catches it.
    nb = ASSIGNMENT.source()
    solution = next(c.source for c in nb.cells if grade_id(c) == "optimize" and c.cell_type == "code")
    flipped = solution.replace(
        "update_parameters(parameters, gradients, learning_rate)",
        "update_parameters(parameters, gradients, -learning_rate)",
    )
    assert flipped != solution
    namespace, errors, _ = execute(nb, {"optimize": flipped})
    assert "optimize" not in errors
    scores = grade(nb, namespace, seed=3)
    assert scores["optimize"][0] == scores["optimize"][1]
    assert scores["model"][0] == 0


# ---------------------------------------------------------------------------------------------
# The notebook's own data


def test_the_notebook_embeds_150_shipped_names_and_reads_no_file():
    nb = ASSIGNMENT.source()
    setup = next(c.source for c in nb.cells if grade_id(c) == "setup")
    tree = ast.parse(setup)
    names = next(
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "names"
    )
    assert len(names) == 150 and len(set(names)) == 150
    assert set(names) <= set(load_names())
    assert set("".join(names)) == set("abcdefghijklmnopqrstuvwxyz")
    every_source = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    for forbidden in ("open(", "import reference", "from reference", "names.txt"):
        assert forbidden not in every_source
    char_to_ix, _ = char_vocabulary(names)
    assert 'chars = list("\\nabcdefghijklmnopqrstuvwxyz")' in setup
    assert list(char_to_ix) == ["\n", *"abcdefghijklmnopqrstuvwxyz"]


def test_mean_loss_matches_the_course_loss_of_each_name():
    char_to_ix, _ = char_vocabulary([])
    parameters = cm.initialize_parameters(6, 27, 27)
    X = [None, *(char_to_ix[ch] for ch in "rex")]
    loss, _ = cm.rnn_forward(X, [*X[1:], 0], np.zeros((6, 1)), parameters)
    assert cases_module.mean_loss(parameters, ["rex", "rex"], char_to_ix) == pytest.approx(loss)
