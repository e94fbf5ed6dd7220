"""adcompile.jit of gradients whose code calls helpers that had no Numba version (mT, column_of,
cofactor, take_along_axis_grad, quantile_weights and quantile_spread: np.linalg.solve, inv,
det, np.sort, np.median, np.quantile, np.take_along_axis) and of functions reading global lists,
dicts and math.factorial of constants. Each compares jit(grad(f)) with grad(f) and with finite
differences. Skipped without Numba."""
import math

import numpy as np
import pytest

from adcompile import grad, jit
from adcompile.jit import JitError
from checks import agree, jitted, numeric_grad

numba = pytest.importorskip("numba")

M = np.array([[2.0, 0.3, 0.1], [0.2, 1.5, -0.4], [0.1, 0.6, 3.0]])
B = np.array([1.0, 2.0, 3.0])
V = np.array([0.3, -1.2, 0.7, 2.1, -0.4])


# -- linear algebra: mT, column_of, uncolumn, cofactor -----------------------------------------

def solve_both(a, b):
    return np.sum(np.linalg.solve(a, b) ** 2)


def inv_squares(a):
    return np.sum(np.linalg.inv(a) ** 2)


def det_of(a):
    return np.linalg.det(a)


def test_solve_inv_det_under_jit():
    """Their reverse rules call mT (and column_of, uncolumn; cofactor for det)."""
    pytest.importorskip("scipy")  # (Numba's linear algebra needs SciPy's LAPACK)
    agree(solve_both, M, B, argnums=(0, 1))
    agree(inv_squares, M)
    agree(det_of, M)


def test_det_of_a_singular_matrix_under_jit():
    """cofactor's other path: inv fails, the SVD gives the gradient (the adjugate)."""
    pytest.importorskip("scipy")
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]])
    got, want = jitted(det_of)(singular), grad(det_of)(singular)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got, numeric_grad(det_of, (singular,), 0), atol=1e-6)


# -- sorting, quantiles, take_along_axis --------------------------------------------------------

def sorted_weighted(v):
    return np.sum(np.sort(v) * np.arange(5.0))


def median_of(v):
    return np.median(v) * 2.0


def quantiles(v):
    return np.quantile(v, 0.3) + np.sum(np.percentile(v, np.array([25.0, 90.0])))


IDX = np.array([[1, 0], [1, 1]])


def taken(v):
    return np.sum(np.take_along_axis(v, np.argsort(v), axis=0) * np.arange(5.0)) + \
        np.sum(np.take_along_axis(v[:4].reshape(2, 2), IDX, axis=1) ** 2)


@pytest.mark.parametrize("f", [sorted_weighted, median_of, quantiles, taken])
def test_sort_quantile_take_along_axis_under_jit(f):
    agree(f, V)


def test_median_of_ties_agrees():
    """Tied entries: the weights follow a stable order in both (not argsort's quicksort)."""
    tied = np.array([1.0, 3.0, 3.0, 3.0, 0.0, 5.0])
    np.testing.assert_array_equal(jitted(median_of)(tied), grad(median_of)(tied))


# -- constants: global lists and dicts, math.factorial, min, max and sum of lists ------------

COEF = [1.5, 2.0, -0.5]
TABLE = {"a": 1.5, "b": -2.0, "w": [0.5, 4.0]}


def list_constant(v):
    s = 0.0
    for i in range(3):
        s += COEF[i] * v[i] ** 2
    return s + max(COEF) * v[3] + min(COEF) * v[4]


def dict_constant(v):
    TABLE_w = TABLE["w"]  # (a local named as jit names the constant it makes of TABLE["w"])
    return TABLE["a"] * v[0] + TABLE["b"] * v[1] ** 2 + TABLE_w[1] * v[2] + TABLE["w"][0] * v[3]


def factorial_of_constant(v):
    return v[0] ** 3 / math.factorial(3) + math.comb(5, 2) * v[1]


def lists_of_floats(v):
    xs = [v[0], v[1] * 2.0, v[2] ** 2]
    return min(xs) + max([v[3], v[4], 0.5]) + sum(xs)


@pytest.mark.parametrize("f", [factorial_of_constant, lists_of_floats])
def test_constants_and_lists_under_jit(f):
    agree(f, V)
    assert jit(f)(V) == f(V)


@pytest.mark.parametrize("f", [list_constant, dict_constant])
def test_a_global_list_or_dict_is_refused_under_jit(f):
    """grad(f) reads a global list or dict at each call, changed in place or not; Numba would
    freeze it (stale after a change in place): refused, saying what to write."""
    g = grad(f)(V)
    with pytest.raises(JitError, match=r"global (list|dict)"):
        jit(grad(f))(V)
    COEF[0] += 1.0
    try:
        assert not np.allclose(grad(list_constant)(V), g) or f is dict_constant
    finally:
        COEF[0] -= 1.0


def factorial_too_large(v):
    return v[0] / math.factorial(25)


def test_factorial_beyond_int64_refused():
    with pytest.raises(JitError, match=r"factorial.*int64") as info:
        jit(grad(factorial_too_large))(V)
    assert info.value.line == factorial_too_large.__code__.co_firstlineno + 1


# -- common array programs whose gradients called helpers without a Numba version -------------

R = np.array([[0.5, -1.0, 2.0, 0.3], [1.5, 0.2, -0.7, 1.1], [0.4, 0.9, -1.3, 0.6]])


def joined(m):  # concatenate_part (an axis given: Numba drops a keyword after *xs), hstack, vstack
    return np.sum(np.concatenate((m, m ** 2), axis=1) ** 2) + \
        np.sum(np.concatenate([m, 2.0 * m]) * R[0, 0]) + \
        np.sum(np.hstack((m[0], m[1] ** 2)) ** 2) + np.sum(np.vstack((m[0], m[2] * 3.0)) ** 2)


def accumulated(m):  # cumsum_grad, diff_grad
    v = m[0]
    return np.sum(np.cumsum(v) ** 2) + np.sum(np.diff(v, n=2) ** 2) + np.sum(np.diff(m) ** 3)


def traced(m):  # trace_grad, with an offset
    return np.trace(m) + 2.0 * np.trace(m, 1)


def outer_by_new_axes(m):  # getitem_grad of an index with None
    v = m[1]
    return np.sum(v[:, None] * v[None, :] * 2.0) + np.sum(m[:, None, 1:] ** 2)


@pytest.mark.parametrize("f", [joined, accumulated, traced, outer_by_new_axes])
def test_array_programs_under_jit(f):
    agree(f, R)
