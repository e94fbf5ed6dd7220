"""A list grown by append under jit (the fuzzer's jit check, stop 40): flat code writes an append
as a new list (`L = L + [v]`), which Numba cannot type from `L = []`; jit's code appends in place
where nothing else can hold one of the list's values (jit_forms.appends_in_place), and a list of
arrays given to np.stack or np.array is stacked by a helper (Numba's np.stack takes a tuple)."""
import math

import numpy as np
import pytest

from adcompile import grad, jit, source, value_and_grad

from checks import numeric_grad

pytest.importorskip("numba")


def sines_then_array(y, n):
    L = []
    for i in range(n):
        L.append(math.sin(y * i))
    return np.sum(np.array(L) ** 2)


def rows_stacked(x):
    rows = []
    for i in range(3):
        rows.append(x * (i + 1.0))
    return np.sum(np.stack(rows) ** 2)


def appended_under_if(y, n):
    L = []
    for i in range(n):
        if i % 2 == 0:
            L.append(y * i)
    return sum(L) + len(L) * y


def comprehension_summed(y, n):
    L = [math.cos(y * i) for i in range(n)]
    return sum(L)


def kept_by_another_name(a, b):
    L = []
    L.append(a)
    M = L
    L = L + [b]  # (a new list: M still holds [a])
    return sum(M) * 10.0 + sum(L)


def held_in_a_tuple(y, n):
    L = []
    for i in range(n):
        L.append(y * i)
    pair = (L, 2.0)
    return sum(pair[0]) * pair[1]


CASES = [(sines_then_array, (0.7, 5)), (rows_stacked, (np.arange(3.0),)),
         (appended_under_if, (0.7, 5)), (comprehension_summed, (0.7, 5)),
         (kept_by_another_name, (0.3, 0.5)), (held_in_a_tuple, (0.7, 4))]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_a_list_grown_by_append_compiles_and_gives_pythons_numbers(f, args):
    assert jit(f)(*args) == pytest.approx(f(*args), rel=1e-12)
    vg = value_and_grad(f)
    want_value, want = vg(*args)
    got_value, got = jit(vg)(*args)
    assert got_value == pytest.approx(want_value, rel=1e-12)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(want, numeric_grad(f, list(args), 0), rtol=1e-6, atol=1e-8)


def test_the_append_in_place_is_what_jit_compiles():
    text = source(jit(grad(sines_then_array)))
    assert "L.append(" in text and "L = L + [" not in text
    assert "L = L + [" in source(grad(sines_then_array))  # (the Python code keeps its values)
    # a list another name holds keeps flat code's new list at each append
    assert "L.append(" not in source(jit(grad(kept_by_another_name)))


def test_stacking_rows_of_different_shapes_raises_as_numpy_does():
    def ragged(x, n):
        rows = []
        for i in range(n):
            rows.append(x[:i + 1])
        return np.sum(np.stack(rows))
    with pytest.raises(ValueError):
        ragged(np.ones(3), 2)
    with pytest.raises(ValueError):
        jit(ragged)(np.ones(3), 2)


def swapped_in_loops(x, y):
    """(Found by the fuzzer's --jit check, seed 4214012656: jit(f) raised OverflowError from the
    int analysis, whose bounds grew past a float's range and were then mixed with infinity.)"""
    for r2 in (y, y, 1.0):
        if math.log(1.0 + x ** 2) > x:
            continue
        if y + y > 1.0:
            for i3 in range(3 - 1, -1, -1):
                x, y = (y, x)
                _t5, y = (y, x)
        y = y * (r2 * x * r2)
    L8 = [0.1]
    for i9 in range(1, 4):
        L8.append(min(x, 0.5 * i9))
    y -= sum(L8)
    return L8[len(L8) - 1] - r2 + y


def test_int_bounds_past_a_floats_range_are_infinite():
    args = (1.813835, 1.310425)
    assert jit(swapped_in_loops)(*args) == pytest.approx(swapped_in_loops(*args), rel=1e-12)
    got, want = jit(grad(swapped_in_loops, (0, 1)))(*args), grad(swapped_in_loops, (0, 1))(*args)
    assert got == pytest.approx(want, rel=1e-12)
