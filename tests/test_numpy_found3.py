"""NumPy programs a tester wrote that were refused though an AD library's user expects them to
work: ufunc methods (np.add.reduce, np.maximum.accumulate, np.multiply.outer), np.cross along
an axis, sorting with kind=, positional ddof, np.put and np.putmask. Each checked against
central finite differences in reverse and forward mode (a few to second order), or refused by
name where NumPy's option is not followed."""
import numpy as np
import pytest

import adcompile as ad
from adcompile import UnsupportedSyntaxError
from checks import assert_close, directional, numeric_grad, numeric_jacobian

M = np.arange(1.0, 13.0).reshape(3, 4) ** 1.3 / 5 * np.array([1.0, -1.0, 1.0, -1.0])


def _check(f, *args, hessian=False):
    """The value, grad and jvp (along a fixed direction) of f at args against NumPy and central
    differences; with hessian=True the Hessian against differences of the gradient too."""
    value, g = ad.value_and_grad(f)(*args)
    assert np.isclose(value, f(*args))
    assert_close(g, numeric_grad(f, args, 0), rtol=1e-5, atol=1e-6, what="grad")
    d = np.cos(np.arange(np.size(args[0])) + 0.5).reshape(np.shape(args[0]))
    tangents = (d,) + tuple(np.zeros_like(a) for a in args[1:])
    expected = directional(f, args, tangents)
    assert np.isclose(ad.jvp(f, args, tangents)[1], expected, rtol=1e-5, atol=1e-7)
    if hessian:
        x = args[0]
        flat = numeric_jacobian(ad.grad(f), args, 0).reshape(x.size, x.size)
        assert_close(ad.hessian(f)(*args).reshape(flat.shape), flat, rtol=1e-4, atol=1e-5)


# --- 1. ufunc methods: reduce (axis 0 by default, unlike np.sum), accumulate, outer ----------
def add_reduce(x):
    return np.sum(np.add.reduce(x) ** 2)


def add_reduce_axis(x):
    return np.sum(np.add.reduce(x, axis=1, keepdims=True) * x)


def add_reduce_all(x):
    return np.add.reduce(x, None) ** 2


def multiply_reduce(x):
    return np.sum(np.multiply.reduce(x, 1))


def maximum_reduce(x):
    return np.sum(np.maximum.reduce(x) ** 2) + np.sum(np.minimum.reduce(x, axis=1) ** 3)


def add_accumulate(x):
    return np.sum(np.add.accumulate(x) ** 2)


def multiply_accumulate(x):
    return np.sum(np.multiply.accumulate(x, axis=1))


def maximum_accumulate(x):
    return np.sum(np.maximum.accumulate(x) ** 2 * np.cos(x[-1]))


def minimum_accumulate(x):
    return np.sum(np.sin(np.minimum.accumulate(x, axis=1)) * x)


def multiply_outer(x):
    return np.sum(np.multiply.outer(x[0], x[1:]) ** 2)


def outer_of_each(x, y):
    return np.sum(np.add.outer(x, y) ** 2) + np.sum(np.subtract.outer(y, x) ** 3) + \
        np.sum(np.divide.outer(x, y + 3.0))


UFUNC_METHODS = [add_reduce, add_reduce_axis, add_reduce_all, multiply_reduce, maximum_reduce,
                 add_accumulate, multiply_accumulate, maximum_accumulate, minimum_accumulate,
                 multiply_outer]


@pytest.mark.parametrize("f", UFUNC_METHODS, ids=lambda f: f.__name__)
def test_ufunc_methods(f):
    _check(f, M)


def test_ufunc_methods_second_derivatives():
    for f in (add_reduce, multiply_reduce, multiply_accumulate, maximum_accumulate,
              multiply_outer):
        _check(f, M[:2, :3], hessian=True)


def test_outer_of_two_arrays():
    x, y = np.array([0.5, -1.0, 2.0]), np.array([[1.0, 2.0], [0.3, -0.7]])
    _check(outer_of_each, x, y)
    _check(lambda y, x: outer_of_each(x, y), y, x)
    assert ad.jvp(multiply_outer, (M,), (M,))[0] == multiply_outer(M)


def test_running_maximum_splits_ties_evenly_as_max_does():
    def running(x):
        return np.sum(np.maximum.accumulate(x) * np.array([1.0, 2.0, 4.0, 8.0, 16.0]))

    x = np.array([1.0, 3.0, 3.0, 2.0, 5.0])
    # y = [1, 3, 3, 3, 5]: y[1] follows x[1], y[2] and y[3] half x[1] and half x[2]
    assert_close(ad.grad(running)(x), [1.0, 2.0 + 2.0 + 4.0, 2.0 + 4.0, 0.0, 16.0])
    for k in range(5):
        e = np.eye(5)[k]
        assert np.isclose(ad.jvp(running, (x,), (e,))[1], ad.grad(running)(x)[k])
    assert_close(ad.grad(lambda x: np.max(x) * 2.0)(x[:3]), [0.0, 1.0, 1.0])


def test_ufunc_method_options_refused_by_name():
    def where(x):
        return np.sum(np.add.reduce(x, where=x > 0))

    def out(x):
        return np.sum(np.add.accumulate(x, out=x))

    def positional_dtype(x):
        return np.sum(np.add.reduce(x, 0, np.float32))

    for f, word in [(where, "where="), (out, "out="), (positional_dtype, "dtype")]:
        with pytest.raises(UnsupportedSyntaxError, match=word) as info:
            ad.grad(f)(M)
        assert info.value.line == f.__code__.co_firstlineno + 1



def test_accumulate_over_all_axes_refused_as_numpy_refuses_it():
    """np.add.accumulate(x, axis=None) is an error in NumPy for more than one dimension: it was
    lowered as np.cumsum(x, axis=None), the flattened running sum (a value NumPy never gives)."""
    def by_keyword(x):
        return np.sum(np.add.accumulate(x, axis=None) ** 2)

    def by_position(x):
        return np.sum(np.multiply.accumulate(x, None))

    for f in (by_keyword, by_position):
        with pytest.raises(UnsupportedSyntaxError, match="axis=None") as info:
            ad.grad(f)(M)
        assert info.value.line == f.__code__.co_firstlineno + 1

# --- 3. sorting with kind= (and NumPy 2's stable=): the same values, argsort an integer ----------
def sorted_kind(x):
    order = np.argsort(x[0], kind="stable")
    return np.sum(np.sort(x, kind="mergesort") * x[:, order]) + np.sum(
        np.sort(x, axis=0, stable=True) ** 2)


def test_sort_and_argsort_with_kind():
    _check(sorted_kind, M)


# --- 4. positional axis, dtype, out, ddof, keepdims in NumPy's order --------------------------
def var_positional(x):
    return np.sum(x.var(1, None, None, 1)) + np.sum(np.std(x, 0, None, None, 1, True) * x)


def reductions_positional(x):
    return np.sum(x.sum(0, None, None, True) * x) + np.sum(np.max(x, 1, None, True) * x) + \
        np.sum(np.mean(x, 1, None, None, True) * x) + np.sum(np.cumsum(x, 1, None) ** 2)


@pytest.mark.parametrize("f", [var_positional, reductions_positional], ids=lambda f: f.__name__)
def test_positional_parameters_in_numpys_order(f):
    _check(f, M)


def test_positional_dtype_and_out_refused_by_name():
    def dtype(x):
        return np.sum(np.var(x, 0, np.float32))

    def out(x):
        return np.sum(x.std(0, None, x))

    for f, word in [(dtype, "dtype of np.var given by position"),
                    (out, "out of x.std given by position")]:
        with pytest.raises(UnsupportedSyntaxError, match=word) as info:
            ad.grad(f)(M)
        assert info.value.line == f.__code__.co_firstlineno + 1


# --- 2. np.cross along an axis (axis= or axisa=, axisb=, axisc=) -------------------------------
V = np.array([[0.3, -1.2, 2.0, 0.7], [1.1, 0.4, -0.6, 1.5], [-0.8, 0.9, 1.3, 0.2]])


def cross_axis(v):
    return np.sum(np.cross(v, v ** 2 + 1.0, axis=0) * np.sin(v))


def cross_axes(v):
    c = np.cross(v, v.T[::-1] * 2.0, axisa=0, axisb=1, axisc=0)
    return np.sum(c ** 2 * np.arange(1.0, 5.0))


def cross_broadcast(v):
    return np.sum(np.cross(v[:, 0], v, axisb=0) ** 3)


def cross_two_vectors(v):  # two 2-vectors: the z-component alone, no vector axis to move
    return np.sum(np.cross(v[:2], v[1:], axis=0) ** 2)


@pytest.mark.parametrize("f", [cross_axis, cross_axes, cross_broadcast],
                         ids=lambda f: f.__name__)
def test_cross_along_an_axis(f):
    _check(f, V, hessian=f is cross_axis)


@pytest.mark.filterwarnings("ignore:Arrays of 2-dimensional vectors:DeprecationWarning")
def test_cross_of_two_vectors_along_an_axis():
    try:
        np.cross(np.ones(2), np.ones(2))
    except ValueError:  # (NumPy 2.5 and later: 2-vectors, deprecated in 2.0, are refused)
        pytest.skip("this NumPy's np.cross takes only 3-vectors")
    assert np.isclose(ad.jvp(cross_two_vectors, (V,), (V,))[0], cross_two_vectors(V))
    d = np.cos(np.arange(12.0)).reshape(V.shape)
    assert np.isclose(ad.jvp(cross_two_vectors, (V,), (d,))[1],
                      directional(cross_two_vectors, (V,), (d,)))


# --- 5. np.put, np.putmask, np.place on an array computed in the function ---------------------
def put_values(x):
    a = x * 2.0
    np.put(a, [0, 5, -1], x[1, :3] ** 2)
    return np.sum(a ** 2 * x)


def put_repeated(x):  # v shorter than ind: repeated; a repeated index: the last write wins
    a = np.sin(x)
    np.put(a, np.array([2, 7, 2, 11]), x[0, :2] * 3.0)
    return np.sum(a * np.cos(x))


def put_wrapped(x):
    a = np.exp(x / 3.0)
    np.put(a, [3, 14, -15], x[2, 1:] * 2.0, mode="wrap")
    return np.sum(a ** 2)


def putmask_values(x):
    a = x ** 2
    np.putmask(a, x > 0.5, np.sin(x))
    return np.sum(a * x)


def putmask_repeated(x):  # v of 3 entries repeated over a's 12, in C order (not broadcast)
    a = np.cos(x)
    np.putmask(a, np.abs(x) > 1.0, x[:, 0] * 2.0)
    return np.sum(a ** 2)


def place_values(x):
    a = x * 1.0
    np.place(a, x < 0.0, x[0, :2] ** 3)  # 2 values for the 6 negative entries: repeated
    return np.sum(np.sin(a))


def put_in_a_loop(x):
    a = x[0] * 1.0
    for k in range(3):
        np.put(a, [k], a[k + 1] * x[1, k])
    return np.sum(a ** 2)


PUTS = [put_values, put_repeated, put_wrapped, putmask_values, putmask_repeated, place_values,
        put_in_a_loop]


@pytest.mark.parametrize("f", PUTS, ids=lambda f: f.__name__)
def test_put_putmask_place(f):
    _check(f, M, hessian=f in (put_values, putmask_values))


def test_put_with_other_arguments_refused_by_name():
    def putmask_where(x):
        a = x * 1.0
        np.putmask(a, x > 0, x, 1)
        return np.sum(a)

    with pytest.raises(UnsupportedSyntaxError, match="np.putmask with these arguments") as info:
        ad.grad(putmask_where)(M)
    assert info.value.line == putmask_where.__code__.co_firstlineno + 2


def test_running_maximum_derivatives_do_not_cancel_across_runs():
    # the rules summed tangents with one cumulative sum and took differences at the runs'
    # starts: a large tangent in an earlier run swallowed a small one later (1e17 + 1 - 1e17)
    x = np.array([5.0, 1.0, 7.0, 2.0, 7.0, 9.0])  # runs: [5, 5], [7, 7, 7] (a tie), [9]
    t = np.array([1e17, 0.0, 1.0, 0.0, 3.0, 2.0])
    y, dy = ad.jvp(np.maximum.accumulate, (x,), (t,))
    assert y.tolist() == [5.0, 5.0, 7.0, 7.0, 7.0, 9.0]
    assert dy.tolist() == [1e17, 1e17, 1.0, 1.0, 2.0, 2.0]  # (the tie: (1 + 3) / 2)
    v = np.array([1.0, 0.0, 1e17, 0.0, 0.0, 1.0])
    _, pullback = ad.vjp(np.maximum.accumulate, x)
    assert pullback(v)[0].tolist() == [1.0, 0.0, 1e17, 0.0, 0.0, 1.0]
    # the dot-product test: <v, J t> == <J^T v, t>, row by row along an axis of a matrix
    X = np.array([[3.0, 1.0, 3.0, 4.0], [2.0, 2.0, 1.0, 0.5]])
    T, V = np.cos(np.arange(8.0)).reshape(2, 4), np.sin(np.arange(8.0)).reshape(2, 4)
    _, jt = ad.jvp(lambda a: np.minimum.accumulate(a, axis=1), (X,), (T,))
    _, pb = ad.vjp(lambda a: np.minimum.accumulate(a, axis=1), X)
    assert np.isclose(np.sum(V * jt), np.sum(pb(V)[0] * T))
