"""grader.compare: structural and numerical comparison, and what its messages say (and never say)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from grader import plaindata
from grader.compare import MAX_PROBLEMS, compare, describe


def fails(expected, actual, **kwargs) -> str:
    verdict = compare(expected, actual, **kwargs)
    assert not verdict.passed, "expected the comparison to fail"
    assert verdict.message
    return verdict.message


# ---------------------------------------------------------------------------------------------
# Passing comparisons


def test_equal_nested_structures_pass_with_an_empty_message():
    value = (np.arange(6.0).reshape(2, 3), {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}, [1.5, "relu"])
    verdict = compare(value, value)
    assert verdict.passed
    assert verdict.message == ""


def test_values_within_tolerance_pass_and_outside_fail():
    expected = np.array([[1.0, 2.0], [0.0, -3.0]])
    assert compare(expected, expected * (1 + 1e-9)).passed
    assert compare(expected, expected + 1e-10).passed  # atol covers the zero entry
    fails(expected, expected + 1e-3)
    assert compare(expected, expected + 1e-3, rtol=1e-2, atol=1e-2).passed


def test_lists_and_tuples_are_interchangeable():
    assert compare((np.ones(2), np.zeros(2)), [np.ones(2), np.zeros(2)]).passed
    assert compare([1.0, 2.0], (1.0, 2.0)).passed


def test_nan_equals_nan_and_infinities_of_the_same_sign():
    expected = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert compare(expected, expected.copy()).passed
    assert compare(float("nan"), np.float64("nan")).passed


@given(arrays(np.float64, array_shapes(max_dims=3, max_side=5), elements=st.floats(-1e6, 1e6)))
def test_any_array_equals_itself_and_a_perturbed_copy_is_counted(x):
    assert compare(x, x.copy()).passed
    shifted = x + 1.0 + np.abs(x)  # moves every entry far outside the tolerance
    message = fails(x, shifted)
    assert f"{x.size} of {x.size} entries differ (100%)" in message


# ---------------------------------------------------------------------------------------------
# Types and structure


def test_wrong_top_level_type_names_both_types():
    message = fails((np.ones((2, 2)), (1.0,)), np.ones((2, 2)), names=("Z", "cache"))
    assert message == "output: is an array of shape (2, 2); expected a tuple of 2 values (Z, cache)"


def test_tuple_length_mismatch():
    message = fails((1.0, 2.0, 3.0), (1.0, 2.0), names=("dA_prev", "dW", "db"))
    assert "has 2 items; expected a tuple of 3 values (dA_prev, dW, db)" in message


def test_tuple_positions_are_named_when_names_are_given():
    expected = (np.zeros((2, 3)), np.ones((2, 1)))
    message = fails(expected, (np.zeros((2, 3)), np.ones((2, 1)) * 2), names=("dW", "db"))
    assert message.startswith("db: 2 of 2 entries differ")
    message = fails(expected, (np.zeros((2, 3)), np.ones((2, 1)) * 2))
    assert message.startswith("output[1]: 2 of 2 entries differ")


def test_dict_missing_and_unexpected_keys():
    expected = {"W1": np.ones((2, 2)), "b1": np.zeros((2, 1))}
    message = fails(expected, {"W1": np.ones((2, 2)), "B1": np.zeros((2, 1))}, what="parameters")
    assert 'parameters: missing key "b1"' in message
    assert 'parameters: unexpected key "B1"' in message


def test_extra_keys_can_be_allowed():
    expected = {"dW1": np.ones((2, 2))}
    actual = {"dW1": np.ones((2, 2)), "dA2": np.zeros(3)}
    fails(expected, actual)
    assert compare(expected, actual, allow_extra_keys=True).passed


def test_nested_paths_name_dict_keys_and_positions():
    expected = {"caches": [((np.ones((2, 2)), np.ones((3, 2))), np.zeros((3, 2)))]}
    actual = {"caches": [((np.ones((2, 2)), np.ones((3, 2))), np.ones((3, 2)))]}
    message = fails(expected, actual, what="out")
    assert message.startswith('out["caches"][0][1]: 6 of 6 entries differ')


def test_string_and_none_expectations():
    assert compare("relu", "relu").passed
    assert fails("relu", "sigmoid") == "output: differs from the expected text"
    assert fails("relu", 3) == "output: is an int; expected a str"
    assert compare(None, None).passed
    assert fails(None, 0.0) == "output: is a float; expected None"


def test_unsupported_expected_type_is_a_programming_error():
    with pytest.raises(TypeError, match="cannot compare"):
        compare(object(), object())


# ---------------------------------------------------------------------------------------------
# Arrays: shapes, dtypes, values


def test_shape_mismatch_states_the_expected_shape():
    message = fails(np.zeros((3, 4)), np.zeros((3, 5)), what="Z")
    assert message == "Z: has shape (3, 5); expected shape (3, 4)"


def test_transposed_shape_gets_a_hint():
    assert "(transposed?)" in fails(np.zeros((3, 4)), np.zeros((4, 3)))


def test_dropped_dimension_gets_a_keepdims_hint():
    message = fails(np.zeros((5, 1)), np.zeros(5), what="db")
    assert message.startswith("db: has shape (5,); expected shape (5, 1)")
    assert "keepdims=True" in message


def test_same_size_other_arrangement_gets_a_hint():
    assert "arranged differently" in fails(np.zeros((2, 6)), np.zeros((3, 4)))


def test_integer_or_boolean_arrays_are_rejected_where_floats_are_expected():
    assert fails(np.zeros((2, 2)), np.zeros((2, 2), dtype=np.int64)) == (
        "output: has dtype int64; expected floating-point values"
    )
    assert "has dtype bool" in fails(np.zeros((2, 2)), np.zeros((2, 2), dtype=bool))
    assert "has dtype object" in fails(np.zeros(2), np.array([None, None], dtype=object))


def test_integer_expectations_accept_float_arrays_with_the_same_values():
    assert compare(np.array([[1, 0, 1]]), np.array([[1.0, 0.0, 1.0]])).passed


def test_a_list_where_an_array_is_expected():
    message = fails(np.zeros((1, 2)), [[0.0, 0.0]])
    assert (
        message == "output: is a list of 1 item; expected an array of shape (1, 2) (convert it with np.array)"
    )


def test_value_message_counts_entries_and_locates_the_largest_difference():
    expected = np.zeros((3, 4))
    actual = expected.copy()
    actual[0, 0], actual[1, 2], actual[2, 3] = 0.1, 0.41, -0.2
    message = fails(expected, actual, what="Z")
    assert message == "Z: 3 of 12 entries differ (25%), largest difference 0.41 at index (1, 2)"


def test_nan_and_infinite_entries_are_counted():
    expected = np.ones((2, 3))
    actual = expected.copy()
    actual[0, 1] = np.nan
    actual[1, 1] = np.inf
    actual[1, 2] = 3.0
    message = fails(expected, actual)
    assert "3 of 6 entries differ (50%)" in message
    assert "largest difference 2 at index (1, 2)" in message
    assert "1 is NaN" in message and "1 is infinite" in message


def test_flipped_signs_and_common_factors_get_hints():
    expected = np.array([[1.0, -2.0], [3.0, 0.5]])
    assert "(every sign is flipped)" in fails(expected, -expected)
    assert "times one same factor" in fails(expected, expected * 7)
    assert "factor" not in fails(expected, expected + np.array([[1.0, 2.0], [3.0, 4.0]]))


def test_tiny_shares_are_shown_as_below_one_percent():
    expected = np.zeros(1000)
    actual = expected.copy()
    actual[7] = 1.0
    assert "1 of 1000 entries differ (<1%)" in fails(expected, actual)


def test_many_problems_are_summarised():
    expected = {f"W{i}": np.zeros(2) for i in range(6)}
    actual = {f"W{i}": np.ones(2) for i in range(6)}
    message = fails(expected, actual)
    assert message.count("entries differ") == MAX_PROBLEMS
    assert message.endswith(f"and {6 - MAX_PROBLEMS} more problems")


def test_messages_never_contain_expected_values():
    expected = np.array([[123.456789, -98.7654321], [55.5555, 0.123123]])
    actual = expected + np.array([[0.5, 0.0], [0.0, 0.25]])
    message = fails(expected, actual)
    for value in ["123.4", "98.76", "55.55", "0.1231", "123.9", "55.8"]:
        assert value not in message


# ---------------------------------------------------------------------------------------------
# Scalars (compute_cost returns one number)


@pytest.mark.parametrize(
    "actual", [0.25, np.float64(0.25), np.array(0.25), np.float32(0.25), 0.25 + 1e-12], ids=repr
)
def test_float_like_scalars_are_accepted(actual):
    assert compare(0.25, actual, rtol=1e-6).passed


def test_a_one_by_one_array_is_not_a_scalar():
    message = fails(0.25, np.array([[0.25]]), what="cost")
    assert (
        message == "cost: is an array of shape (1, 1); expected a single number (use np.squeeze or float())"
    )


def test_one_value_per_example_is_not_a_scalar():
    assert fails(0.25, np.array([0.1, 0.2, 0.3]), what="cost") == (
        "cost: is an array of shape (3,); expected a single number"
    )


def test_scalar_value_difference_gives_absolute_and_relative_error():
    message = fails(0.5, 0.6, what="cost")
    assert message == "cost: differs from the expected value by 0.1 (20% of the expected value)"


def test_scalar_nan_inf_bool_and_text_are_rejected():
    assert fails(0.5, float("nan")) == "output: is NaN; expected a number"
    assert fails(0.5, float("inf")) == "output: is infinite; expected a finite number"
    assert "is a bool" in fails(0.5, True)
    assert "is a str" in fails(0.5, "0.5")
    assert "is None" in fails(0.5, None)


def test_bool_expectations():
    assert compare(True, np.bool_(True)).passed
    assert fails(True, False) == "output: is False; expected True"
    assert "is an int" in fails(True, 1)


# ---------------------------------------------------------------------------------------------
# Untrusted values: markers from the sandbox, lying objects in-process


def test_unencodable_markers_name_the_returned_type():
    marker = plaindata.Unencodable("Tensor", "tensor([1., 2.])")
    message = fails(np.zeros(2), marker, what="Z")
    assert message.startswith("Z: is an object of type Tensor, which cannot be graded")
    assert "expected an array of shape (2,)" in message
    nested = fails({"W1": np.zeros(2)}, {"W1": marker}, what="parameters")
    assert nested.startswith('parameters["W1"]: is an object of type Tensor')
    assert describe(marker) == "an object of type Tensor"


def test_values_decoded_from_plain_data_compare_like_the_originals():
    value = (np.arange(6.0).reshape(2, 3), {"dW1": np.ones((2, 1))}, np.float64(0.5), [1, "relu"])
    tree, arrays_ = plaindata.encode(value)
    assert compare(value, plaindata.decode(tree, arrays_), rtol=0.0, atol=0.0).passed


class _AlwaysEqual:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


class _LyingArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), dtype=bool)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.shape(inputs[0]))


def test_objects_claiming_equality_are_not_trusted():
    assert fails(np.zeros((2, 2)), _AlwaysEqual()) == (
        "output: is an object of type _AlwaysEqual; expected an array of shape (2, 2)"
    )
    assert "is an object of type _AlwaysEqual" in fails(0.5, _AlwaysEqual())


def test_ndarray_subclasses_are_compared_by_their_data():
    expected = np.ones((2, 2))
    liar = np.full((2, 2), 5.0).view(_LyingArray)
    assert "4 of 4 entries differ" in fails(expected, liar)
    honest = np.ones((2, 2)).view(_LyingArray)
    assert compare(expected, honest).passed
