"""grader.hidden: reading hidden test cells without running them, and in-process checks."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from grader.cases import UnknownCheckError, get_check
from grader.errors import DlgradeError
from grader.hidden import CheckCall, CheckReport, HiddenTestError, check, parse_checks, run_check
from reference import deep_network as dn
from reference import initialization as init

# ---------------------------------------------------------------------------------------------
# parse_checks

CELL = """\
### BEGIN HIDDEN TESTS
from grader.hidden import check

# comments, imports and other statements are not checks
x = 1
check("deep_network.linear_forward", linear_forward)
check("deep_network.compute_cost", my_cost, cases=3, seed=42)
### END HIDDEN TESTS
"""


def test_parse_checks_reads_names_functions_options_and_lines():
    calls = parse_checks(CELL)
    assert calls == [
        CheckCall("deep_network.linear_forward", "linear_forward", {}, 6),
        CheckCall("deep_network.compute_cost", "my_cost", {"cases": 3, "seed": 42}, 7),
    ]


def test_a_cell_without_checks_gives_no_calls():
    assert parse_checks("") == []
    assert parse_checks("# nothing\nimport numpy as np\nassert True\n") == []


def test_only_bare_check_names_count():
    source = 'hidden.check("deep_network.linear_forward", linear_forward)\nchecker("x", f)\n'
    assert parse_checks(source) == []


def test_the_seed_option_may_be_none():
    (call,) = parse_checks('check("deep_network.linear_forward", f, seed=None)')
    assert call.options == {"seed": None}


@pytest.mark.parametrize(
    ("source", "problem"),
    [
        ('check("deep_network.linear_forward", linear_forward', "not valid Python"),
        ("%time check('deep_network.linear_forward', f)", "not valid Python"),
        ("check(name, linear_forward)", "must be a string literal"),
        ('check(f"deep_network.{fn}", linear_forward)', "must be a string literal"),
        ('check("deep_network.linear_forward", module.linear_forward)', "bare name"),
        ('check("deep_network.linear_forward", make())', "bare name"),
        ('check("deep_network.linear_forward")', "exactly two positional arguments"),
        ('check("deep_network.linear_forward", f, g)', "exactly two positional arguments"),
        ("check(*args)", "cannot take *args or **kwargs"),
        ('check("deep_network.linear_forward", f, **opts)', "cannot take *args or **kwargs"),
        ('check("deep_network.linear_forward", f, rtol=1e-3)', "unknown option 'rtol'"),
        ('check("deep_network.linear_forward", f, cases=n)', "must be a literal value"),
        ('check("deep_network.linear_forward", f, cases=0)', "option 'cases' must be a positive int"),
        ('check("deep_network.linear_forward", f, cases=True)', "option 'cases' must be a positive int"),
        ('check("deep_network.linear_forward", f, seed=-1)', "option 'seed' must be an int >= 0"),
        ('check("deep_network.linear_forwrd", f)', "did you mean deep_network.linear_forward"),
        ('for fn in fns:\n    check("deep_network.linear_forward", fn)', "top level"),
        ('result = check("deep_network.linear_forward", f)', "top level"),
        ('def run():\n    check("deep_network.linear_forward", f)', "top level"),
    ],
)
def test_malformed_cells_raise_an_error_naming_the_cell_and_line(source, problem):
    with pytest.raises(HiddenTestError) as info:
        parse_checks(source, cell="linear_forward_hidden_tests")
    error = info.value
    assert isinstance(error, DlgradeError)
    assert problem in error.message
    assert error.message.startswith("hidden test cell 'linear_forward_hidden_tests', line ")
    assert error.cell == "linear_forward_hidden_tests"
    assert error.line is not None and error.line >= 1


def test_the_error_quotes_the_offending_source_line():
    source = 'from grader.hidden import check\n\ncheck("deep_network.linear_forward", f, cases=-2)\n'
    with pytest.raises(HiddenTestError) as info:
        parse_checks(source)
    assert info.value.line == 3
    assert info.value.line_text == 'check("deep_network.linear_forward", f, cases=-2)'
    assert str(info.value).endswith('\n    check("deep_network.linear_forward", f, cases=-2)')
    assert str(info.value).startswith("hidden test cell, line 3:")


def test_unknown_checks_are_a_dlgrade_error():
    with pytest.raises(UnknownCheckError, match=r"unknown hidden check 'deep_network\.nope'"):
        get_check("deep_network.nope")


# ---------------------------------------------------------------------------------------------
# In-process checks


def test_check_passes_the_reference_and_returns_a_report():
    report = check("deep_network.linear_backward", dn.linear_backward, seed=5)
    assert isinstance(report, CheckReport)
    assert report.passed and report.fraction == 1.0
    assert report.seed == 5
    assert len(report.cases) == len(
        get_check("deep_network.linear_backward").make_cases(np.random.default_rng(5))
    )
    assert all(c.check == "deep_network.linear_backward" and c.message == "" for c in report.cases)
    n = len(report.cases)
    assert repr(report) == f"<CheckReport deep_network.linear_backward: {n}/{n} cases passed, seed 5>"


def test_a_wrong_function_raises_assertion_error_with_feedback_and_seed():
    def no_one_over_m(dZ, cache):
        dA_prev, dW, db = dn.linear_backward(dZ, cache)
        return dA_prev, dW * cache[0].shape[1], db

    with pytest.raises(AssertionError) as info:
        check("deep_network.linear_backward", no_one_over_m, seed=9)
    text = str(info.value)
    assert text.startswith("deep_network.linear_backward: 1 of 5 hidden cases passed")
    assert "- case 3 (batch of examples): dW: " in text
    assert "(seed 9)" in text


def test_run_check_reports_partial_credit_per_case_without_raising():
    def cost_over_rows(AL, Y):  # m taken from the wrong axis: right only for one example
        return float(-np.sum(Y * np.log(AL) + (1 - Y) * np.log(1 - AL)) / Y.shape[0])

    report = run_check("deep_network.compute_cost", cost_over_rows, seed=3)
    passed = {c.family for c in report.cases if c.passed}
    assert passed == {"single example"}
    assert 0 < report.fraction < 1
    assert (
        report.feedback().splitlines()[0]
        == f"deep_network.compute_cost: 1 of {len(report.cases)} hidden cases passed"
    )


def test_exceptions_of_the_function_are_failed_cases():
    def broken(A, W, b):
        raise ValueError("shapes not aligned")

    def stub(A, W, b):
        raise NotImplementedError()

    report = run_check("deep_network.linear_forward", broken, seed=1)
    assert not any(c.passed for c in report.cases)
    assert report.cases[0].message == "`linear_forward` raised ValueError: shapes not aligned"
    report = run_check("deep_network.linear_forward", stub, seed=1)
    assert (
        report.cases[0].message == "`linear_forward` is not implemented yet (it raised NotImplementedError)"
    )


def test_long_exception_messages_are_clipped():
    def chatty(A, W, b):
        raise RuntimeError("x" * 5000)

    report = run_check("deep_network.linear_forward", chatty, seed=1)
    assert len(report.cases[0].message) < 400


def test_cases_option_keeps_the_first_cases():
    report = run_check("deep_network.linear_forward", dn.linear_forward, cases=2, seed=4)
    assert [c.family for c in report.cases] == ["single example", "one unit"]


def test_the_same_seed_draws_the_same_cases_and_a_fresh_seed_is_reported():
    check_def = get_check("deep_network.L_model_forward")
    first = check_def.make_cases(np.random.default_rng(77))
    second = check_def.make_cases(np.random.default_rng(77))
    for a, b in zip(first, second, strict=True):
        assert check_def.compare(a.args, b.args).passed
    report = run_check("deep_network.L_model_forward", dn.L_model_forward)
    assert isinstance(report.seed, int) and report.passed


def test_modifying_an_input_in_place_fails_even_with_the_right_output():
    def in_place(parameters, grads, learning_rate):
        for key in parameters:
            parameters[key] -= learning_rate * grads["d" + key]
        return parameters

    report = run_check("deep_network.update_parameters", in_place, seed=2)
    assert not any(c.passed for c in report.cases)
    assert report.cases[0].message.startswith("modified its input `parameters` in place (changed: W1, b1")
    assert report.cases[0].message.endswith("work on a copy instead")


def test_the_inputs_given_to_the_function_are_private_copies():
    seen = []

    def spy(layer_dims):
        seen.append(layer_dims)
        layer_dims.append(99)  # a mutation must not leak into the reference's inputs
        return init.initialize_parameters_deep(layer_dims[:-1])

    report = run_check("deep_network.initialize_parameters_deep", spy, seed=8)
    assert report.passed
    cases = get_check("deep_network.initialize_parameters_deep").make_cases(np.random.default_rng(8))
    assert [s[:-1] for s in seen] == [c.args[0] for c in cases]


def test_a_report_displays_as_printed_text_in_jupyter(capsys):
    report = run_check("deep_network.linear_forward", dn.linear_forward, seed=6)
    report._ipython_display_()
    n = len(report.cases)
    expected = f"deep_network.linear_forward: {n} of {n} hidden cases passed (seed 6)"
    assert capsys.readouterr().out.strip() == expected


def test_check_results_do_not_depend_on_the_global_random_state():
    np.random.seed(123)
    before = copy.deepcopy(np.random.get_state())
    report = run_check("deep_network.linear_forward", dn.linear_forward, seed=10)
    assert report.passed
    after = np.random.get_state()
    assert before[0] == after[0] and np.array_equal(before[1], after[1])
