"""NumPy coverage a tester found missing (T51), refused until now: np.add.reduceat (segment sums,
with NumPy's rule for indices[i] >= indices[i + 1]), np.put_along_axis (written in place as an
item assignment: the last write to a place wins, as in NumPy), a RandomState's rand/randn with
a shape spread (rs.rand(*x.shape)) and its other draws, np.frexp and np.divmod; np.maximum's
and np.minimum's tie split at the cost of one mask. Each is checked forward against finite
differences, reverse against forward by the dot-product test, and (order 2) the derivatives
themselves (adcompile.higher.check_grads)."""
import math

import numpy as np
import pytest

import adcompile as ad
from adcompile.higher import check_grads
from checks import assert_close, numeric_grad
from test_numpy_breadth import arr, case, distinct


# --- 1. np.add.reduceat --------------------------------------------------------------------------
def reduceat_flat(x):  # 5 >= 3: the segment is x[5] alone; 2 >= 2: x[2] alone
    return np.add.reduceat(x, [0, 2, 2, 5, 3]) ** 2


def reduceat_rows(x):
    return np.sin(np.add.reduceat(x, np.array([0, 1, 3]), axis=0)) * 2.0


def reduceat_cols(x):  # along the last axis, an unsorted index
    return np.add.reduceat(x ** 2, [3, 0, 2], axis=-1) * np.add.reduceat(x, [1], 1)


def reduceat_positional(x):
    return np.add.reduceat(x, [0, 2], 1) ** 3


# --- 2. np.put_along_axis and np.take_along_axis -------------------------------------------------
def put_along(x, v):
    y = x * 1.0
    np.put_along_axis(y, np.array([[0], [2]]), v ** 2, axis=1)
    return y * x


def put_along_repeated(x, v):  # places named twice: the last write wins, as NumPy's
    y = x ** 2
    np.put_along_axis(y, np.array([[1, 1, 3], [0, 2, 0]]), v, axis=1)
    return np.sin(y)


def put_along_broadcast(x, v):  # one index per row, values broadcast over the rows
    y = np.cos(x)
    np.put_along_axis(y, np.argmax(x, axis=1, keepdims=True), v[0] * 3.0, 1)
    return y * x


def put_along_flat(x, v):  # axis None: the flat array
    y = x + 0.0
    np.put_along_axis(y, np.array([4, 1, 4]), v[:3], axis=None)
    return y ** 2


def put_along_axis0(x, v):
    y = np.zeros((3, 2))
    np.put_along_axis(y, indices=np.array([[2, 0]]), values=v[:2].reshape(1, 2), axis=0)
    return y * x[:3, :2] + y


def take_along(x):
    i = np.array([[0, 0, 2], [1, 3, 3]])
    return np.take_along_axis(x, i, axis=1) ** 2 + np.take_along_axis(x, np.array([5, 5, 0]), None)


def take_along_broadcast(x):
    return np.sin(np.take_along_axis(x, np.array([[1], [0]]), axis=1)) * x


CASES = [
    case(reduceat_flat, arr(6), order=2), case(reduceat_rows, arr(4, 3), order=2),
    case(reduceat_cols, arr(2, 5), order=2), case(reduceat_positional, arr(3, 4), order=2),
    case(put_along, arr(2, 4), arr(2, 1), order=2),
    case(put_along_repeated, arr(2, 4), arr(2, 3), order=2),
    case(put_along_broadcast, distinct(2, 3), arr(2), order=2),
    case(put_along_flat, arr(2, 3), arr(4), order=2),
    case(put_along_axis0, arr(4, 3), arr(3), order=2),
    case(take_along, arr(2, 4), order=2), case(take_along_broadcast, arr(2, 3), order=2),
]


@pytest.mark.parametrize("f, args, order, tol", CASES)
def test_against_finite_differences_and_each_other(f, args, order, tol):
    check_grads(f, args, order=order, **tol)


def test_reduceat_gradient_repeats_the_segment_gradient():
    x = np.arange(1.0, 7.0)
    y = np.add.reduceat(x, [0, 2, 2, 5, 3])
    assert y.tolist() == [3.0, 3.0, 12.0, 6.0, 15.0]  # (NumPy's rule for 2 >= 2 and 5 >= 3)
    g = ad.grad(lambda a: np.sum(np.add.reduceat(a, [0, 2, 2, 5, 3]) ** 2))(x)
    # x0, x1: segment 0; x2: segments 1 and 2; x3, x4: 2 and 4; x5: 3 and 4
    assert g.tolist() == [6.0, 6.0, 6.0 + 24.0, 24.0 + 30.0, 24.0 + 30.0, 12.0 + 30.0]


def test_reduceat_gradient_keeps_a_small_segment_next_to_a_large_one():
    """Positions, not differences of a running sum: 1e16 next to 1.0 loses nothing."""
    w = np.array([1e16, 1.0])
    g = ad.grad(lambda a: np.sum(w * np.add.reduceat(a, [0, 2])))(np.ones(4))
    assert g.tolist() == [1e16, 1e16, 1.0, 1.0]


def test_reduceat_keeps_float32():
    x = np.ones(4, np.float32)
    assert ad.grad(lambda a: np.sum(np.add.reduceat(a, [0, 1])))(x).dtype == np.float32


def test_put_along_axis_last_write_wins_as_numpy():
    x, v = np.zeros((1, 5)), np.array([[5.0, 6.0, 7.0]])
    index = np.array([[1, 1, 3]])

    def f(x, v):
        y = x * 1.0
        np.put_along_axis(y, index, v, axis=1)
        return np.sum(y * np.arange(1.0, 6.0))

    expected = x.copy()
    np.put_along_axis(expected, index, v, axis=1)
    assert expected.tolist() == [[0.0, 6.0, 0.0, 7.0, 0.0]]  # (NumPy: the last write)
    gx, gv = ad.grad(f, argnums=(0, 1))(x, v)
    assert gx.tolist() == [[1.0, 0.0, 3.0, 0.0, 5.0]]  # (overwritten: no gradient)
    assert gv.tolist() == [[0.0, 2.0, 4.0]]  # (the first write to place 1 is lost)
    assert_close(gv, numeric_grad(f, (x, v), 1))


def test_put_along_axis_into_an_argument_as_an_item_assignment():
    def f(x):
        np.put_along_axis(x, np.array([[0]]), 0.0, axis=1)
        return np.sum(x ** 2)

    x = np.ones((1, 2))
    assert ad.grad(f)(x).tolist() == [[0.0, 2.0]]  # (as x[0, 0] = 0.0 gives)
    assert x.tolist() == [[1.0, 1.0]]


def test_put_along_axis_with_other_arguments_is_refused_by_name():
    def f(x):
        y = x * 1.0
        np.put_along_axis(y, np.array([[0]]), 0.0)  # (axis left out: NumPy's TypeError)
        return np.sum(y)

    with pytest.raises(ad.UnsupportedSyntaxError, match="np.put_along_axis with these") as info:
        ad.grad(f)(np.ones((1, 2)))
    assert info.value.line == f.__code__.co_firstlineno + 2


# --- 3. a RandomState's draws --------------------------------------------------------------------
def drawn_spread(a):
    r = np.random.RandomState(0)
    return np.sum(a * r.rand(*a.shape)) + np.sum(a * r.randn(*a.shape))


def drawn_written(a):
    r = np.random.RandomState(0)
    return np.sum(a * r.rand(2, 3) * r.random_sample((2, 3)) + r.randint(0, 5, size=(2, 3)) * a)


def drawn_by_argument(a, r):
    return np.sum(a * r.randn(*a.shape))


def test_random_state_rand_and_randn_with_a_spread_shape():
    a = np.ones((2, 3))
    r = np.random.RandomState(0)
    expected = r.rand(2, 3) + r.randn(2, 3)
    assert_close(ad.grad(drawn_spread)(a), expected, rtol=1e-15, atol=0)
    assert "r.rand(*" in ad.source(ad.grad(drawn_spread))


def test_random_state_draws_written_out():
    a = np.ones((2, 3))
    r = np.random.RandomState(0)
    expected = r.rand(2, 3) * r.random_sample((2, 3)) + r.randint(0, 5, size=(2, 3))
    assert_close(ad.grad(drawn_written)(a), expected, rtol=1e-15, atol=0)


def test_random_state_passed_in_draws_as_python():
    a = np.ones((3, 2))
    g = ad.grad(drawn_by_argument)(a, np.random.RandomState(4))
    assert_close(g, np.random.RandomState(4).randn(3, 2), rtol=1e-15, atol=0)
    assert np.isscalar(np.random.RandomState(1).rand(*()))  # (rand() is a float, as drawn)
    g0 = ad.grad(lambda s, r: s * r.rand(*np.shape(s)))(2.0, np.random.RandomState(1))
    assert g0 == np.random.RandomState(1).rand()


def test_under_jit_refused_with_the_line():
    pytest.importorskip("numba")
    with pytest.raises(ad.JitError, match="reduceat_grad") as info:
        ad.jit(ad.grad(lambda x: np.sum(reduceat_flat(x))))(np.arange(6.0))
    assert info.value.line == reduceat_flat.__code__.co_firstlineno + 1
    with pytest.raises(ad.JitError, match="along_index"):
        ad.jit(ad.grad(lambda x, v: np.sum(put_along(x, v))))(np.ones((2, 4)), np.ones((2, 1)))


# --- 4. np.maximum's tie split at the cost of one product ----------------------------------------
def relu_net(W, x):
    h = np.maximum(x @ W, 0)
    return np.sum(np.minimum(h, 0.5) ** 2)


def test_tie_split_is_one_helper_and_equals_the_selected_form():
    from adcompile.runtime_ufuncs import tie_split
    assert "tie_split(" in ad.source(ad.grad(relu_net))
    rng = np.random.default_rng(3)
    x = rng.integers(-2, 3, size=(40, 7)).astype(float)  # (many ties with 0)
    v = rng.normal(size=(40, 7))

    def selected(v, win, tie):
        return np.where(win, v, np.where(tie, 0.5 * v, 0.0))

    for vv in (v, v[0], 2.5, np.float32(v)):
        got, want = tie_split(vv, x > 0, x == 0), selected(vv, x > 0, x == 0)
        assert np.array_equal(got, want) and got.dtype == want.dtype
    assert tie_split(np.float32(v), x > 1, x == 1).dtype == np.float32
    w = v.copy()
    w[0, 0], w[1, 1], w[2, 2] = np.inf, -np.inf, np.nan  # (selected: 0 where the operand loses)
    assert np.array_equal(tie_split(w, x > 0, x == 0), selected(w, x > 0, x == 0), equal_nan=True)
    assert tie_split(3.0, True, False) == 3.0 and tie_split(3.0, False, True) == 1.5


def distance(a, b):  # (sqrt of a difference of squares clamped at 0: an infinite adjoint at 0)
    return np.sum(np.sqrt(np.maximum(a * a - b * b, 0.0)))


def test_an_infinite_adjoint_gives_no_nan_where_the_operand_loses():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 1.0, 3.0])
    with np.errstate(divide="ignore", invalid="ignore"):
        ga = ad.grad(distance)(a, b)
    assert ga[0] == 0.0 and np.isfinite(ga[1]) and np.isinf(ga[2])  # (a tie: half of inf)


def test_relu_net_against_finite_differences_and_second_order():
    rng = np.random.default_rng(5)
    W, x = rng.normal(size=(4, 3)), rng.normal(size=(6, 4))
    check_grads(relu_net, (W, x), order=2)


def test_relu_net_under_jit():
    pytest.importorskip("scipy")  # (Numba's matrix products need SciPy's BLAS)
    from checks import agree
    rng = np.random.default_rng(5)
    agree(relu_net, rng.normal(size=(4, 3)), rng.normal(size=(6, 4)))
    agree(lambda a: np.maximum(a, 0.5) * np.minimum(a, 1.0) + max(a, 0.2), 0.7)


# --- 5. np.frexp and np.divmod -------------------------------------------------------------------
def frexp_parts(x):
    m, e = np.frexp(x * 3.0)
    return np.sin(m) * e + m ** 2


def divmod_parts(x, y):
    q, r = np.divmod(x, y)
    return r ** 2 + q * r + np.divmod(x, 0.75)[1]


def divmod_broadcast(x, y):
    return np.sum(np.divmod(x, y)[1] ** 2, axis=0)


@pytest.mark.parametrize("f, args", [
    (frexp_parts, (np.array([0.3, 1.7, -5.2, 11.0]),)),
    (divmod_parts, (np.array([0.3, 1.7, -5.2, 11.0]), np.array([0.7, -0.4, 1.1, 2.3]))),
    (divmod_broadcast, (np.array([[0.3], [2.9]]), np.array([0.7, -0.4, 1.1]))),
])
def test_frexp_and_divmod(f, args):
    check_grads(f, args, order=2)


def test_frexp_and_divmod_values():
    x = np.array([0.3, 1.7, -5.2])
    m, e = np.frexp(3.0 * x)
    assert_close(ad.grad(lambda a: np.sum(np.frexp(3.0 * a)[0]))(x), 3.0 / 2.0 ** e)
    y = np.array([0.7, -0.4, 1.1])
    gx, gy = ad.grad(lambda a, b: np.sum(np.divmod(a, b)[1]), argnums=(0, 1))(x, y)
    assert gx.tolist() == [1.0, 1.0, 1.0] and gy.tolist() == (-np.floor_divide(x, y)).tolist()


def math_frexp_of(x):
    m, e = math.frexp(x * 3.0)
    return math.sin(m) * e + m ** 2


def test_math_frexp_as_np_frexp():
    check_grads(math_frexp_of, (1.3,), order=2)
    assert ad.grad(lambda x: math.frexp(x)[0])(5.0) == 2.0 ** -3
