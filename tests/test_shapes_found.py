"""Shapes met by tester T47: a one-element output of shape (1, 1) scaled after a shape-sensitive
operation (grad's seed), a one-element array output folded by the optimizer, broadcasting under
jit, None then a dict across a loop, list indices under jit, while/continue under jit."""
import numpy as np
import pytest

from adcompile import grad, hessian, value_and_grad, vjp
from checks import assert_close, numeric_grad

RNG = np.random.default_rng(0)
X = RNG.standard_normal((5, 3))
W = RNG.standard_normal((3, 1))
Y = RNG.standard_normal((5, 1))
A = RNG.standard_normal((1, 3))


def colvec_loss(w, X, y):
    r = X @ w - y  # (5, 1)
    return (r.T @ r) / X.shape[0]  # shape (1, 1)


def colvec_loss_scaled(w, X, y):
    r = X @ w - y
    return 0.5 * (r.T @ r) + 1.0


def row_then_getitem(a):
    return a[:, :1] * 2.0  # (1, 1)


def row_then_reshape(a):
    return np.sum(a ** 2).reshape(1, 1) - 1.0


def row_then_transpose(a):
    return np.transpose(a[:, 1:2] * a[:, :1]) * 3.0


def row_then_axis_sum(a):
    return np.sum(a, axis=1, keepdims=True) * 2.0 + np.sum(a ** 2, axis=1)[:, None]


def row_then_axis_sum_1(a):
    return np.sum(a ** 2, axis=1) / 3.0  # shape (1,)


def row_then_dot(a):
    return np.tanh(a @ a.T) * 0.5


def row_then_outer(a):
    return np.outer(a[0, :1], a[0, 1:2]) ** 2


def row_then_max(a):
    return np.max(a ** 2, axis=1, keepdims=True) - 1.0


@pytest.mark.parametrize("f", [row_then_getitem, row_then_reshape, row_then_transpose,
                               row_then_axis_sum, row_then_axis_sum_1, row_then_dot,
                               row_then_outer, row_then_max])
def test_one_element_output_after_a_shape_sensitive_op(f):
    """grad seeds a one-element output with 1.0; an elementwise operation after a matmul, a
    transpose, a reduction over an axis, ... took the number where the rule reads the shape."""
    expected = numeric_grad(lambda a: float(np.sum(f(a))), (A,), 0)
    assert_close(grad(f)(A), expected, what=f.__name__)
    value, g = value_and_grad(f)(A)
    assert_close(g, expected, what=f.__name__)
    assert np.shape(value) == np.shape(f(A))


def test_colvec_loss_divided_by_n():
    """(r.T @ r) / n: the seed 1.0 folded through the division reached matmul_grad_left with
    shape () (IndexError in _sum_to)."""
    expected = (2 * X.T @ (X @ W - Y) / 5)
    assert_close(vjp(colvec_loss, W, X, Y)[1](np.ones((1, 1)))[0], expected)
    assert_close(grad(colvec_loss)(W, X, Y), expected)
    value, g = value_and_grad(colvec_loss)(W, X, Y)
    assert_close(g, expected)
    assert_close(value, colvec_loss(W, X, Y))
    assert_close(grad(colvec_loss_scaled)(W, X, Y), X.T @ (X @ W - Y))
    h = hessian(colvec_loss)(W, X, Y)
    assert_close(h.reshape(3, 3), 2 * X.T @ X / 5)


def array_of_one_sum(w, X, y):
    r = X @ w - y
    return np.array([np.sum(r ** 2)]) * 0.5  # a one-element array output, scaled


def test_one_element_array_output_scaled():
    """The seed 1.0 times 0.5 was folded to 0.5 and indexed: `grad_s2 = 0.5[0]` (TypeError and
    a SyntaxWarning)."""
    X4, w3, y4 = X[:4], W[:, 0], Y[:4, 0]
    expected = X4.T @ (X4 @ w3 - y4)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error", SyntaxWarning)
        assert_close(grad(array_of_one_sum)(w3, X4, y4), expected)
        assert_close(value_and_grad(array_of_one_sum)(w3, X4, y4)[1], expected)
        assert_close(hessian(array_of_one_sum)(w3, X4, y4).reshape(3, 3), X4.T @ X4)


def test_optimizer_keeps_an_indexed_number_named():
    """Constant propagation never writes a number as the base of an index (`0.5[0]`)."""
    from adcompile.ir import Assign, Const, Function, Op, Return, Var
    from adcompile.optimize import optimize
    fn = Function("f", ["x"], [Assign("g", Op("mul", (Const(1.0), Const(0.5)))),
                               Assign("h", Op("getitem", (Var("g"), Const(0)))),
                               Return([Op("mul", (Var("h"), Var("x")))], False)], "f.py", [])
    out = optimize(fn)
    from adcompile.unparse import to_source
    text = to_source(out)
    assert "0.5[" not in text, text


def outer_sum(x, y):
    return np.sum(x.reshape(-1, 1) * y)  # (3, 1) * (2,) -> (3, 2)


def outer_two_ways(x, y):
    return np.sum(x[:, None] * y[None, :] + x.reshape(-1, 1) @ y.reshape(1, -1))


def new_axes_broadcast(x, y):
    return np.sum((x[None, :] + y[:, None]) ** 2 * x[:, None, None])


def tanh_times_row(a, b):
    return np.mean(np.tanh(a) * b)  # (3, 1) * (2,)


def column_minus_vector(w, X, y):
    r = X @ w - y  # (5, 1) - (5,) -> (5, 5)
    return np.mean(r ** 2)


def vector_minus_column(w, X, y):
    return np.mean((X @ w - y) ** 2)  # (5,) - (5, 1)


def stacked_bias(w, X, b):
    return np.sum(np.tanh(X @ w + b))  # (5, 2) + (4, 5, 1)


JIT_BROADCASTS = [
    (outer_sum, (RNG.standard_normal(3), RNG.standard_normal(2))),
    (outer_two_ways, (RNG.standard_normal(3), RNG.standard_normal(2))),
    (new_axes_broadcast, (RNG.standard_normal(3), RNG.standard_normal(2))),
    (tanh_times_row, (RNG.standard_normal((3, 1)), RNG.standard_normal(2))),
    (column_minus_vector, (RNG.standard_normal((3, 1)), X, RNG.standard_normal(5))),
    (vector_minus_column, (RNG.standard_normal(3), X, RNG.standard_normal((5, 1)))),
    (stacked_bias, (RNG.standard_normal((3, 2)), X, RNG.standard_normal((4, 5, 1)))),
]


MATMULS = (outer_two_ways, column_minus_vector, vector_minus_column, stacked_bias)


@pytest.mark.parametrize("f, args", JIT_BROADCASTS, ids=[f.__name__ for f, _ in JIT_BROADCASTS])
def test_jit_gradient_of_broadcasting(f, args):
    """Under jit the Numba helpers refused what the Python ones sum: a gradient of a broadcast
    shape fitted to a smaller operand of more axes ((2,) to (3, 1)), to a matmul's product
    ((5, 5) to (5, 1)), to a value indexed with None ((3, 2) to (1, 2)): a plain ValueError."""
    pytest.importorskip("numba")
    if f in MATMULS:  # (Numba's matrix products need SciPy's BLAS)
        pytest.importorskip("scipy")
    from adcompile import jit
    argnums = tuple(range(len(args)))
    got = jit(grad(f, argnums))(*args)
    for k, g in enumerate(got):
        assert_close(g, numeric_grad(f, args, k), what=f"{f.__name__} argument {k}")


def list_index_written(x):
    a = np.zeros(3)
    a[[0, 0, 1]] = x  # repeated: the last write wins
    return np.sum(a * np.array([1.0, 2.0, 3.0]))


def list_indices_read_and_written(x):
    d = np.zeros((3, 2))
    d[[0, 2], :] = 1.5 * x[:2, None]
    b = x[[2, 1]]
    c = x[[True, False, True]]
    return np.sum(d[[1, 2]] ** 2) + np.sum(b ** 2) + np.sum(c ** 3)


@pytest.mark.parametrize("f", [list_index_written, list_indices_read_and_written])
def test_jit_list_index(f):
    """A constant list as an index (Numba takes none) is an array under jit; a list naming no
    place twice needs no zeros for places written again."""
    pytest.importorskip("numba")
    from adcompile import jit
    x = np.array([0.5, -1.0, 2.0])
    assert_close(jit(grad(f))(x), grad(f)(x))
    assert_close(jit(grad(f))(x), numeric_grad(f, (x,), 0))
    assert_close(jit(f)(x), f(x))


def test_jit_message_of_numba_types():
    """Numba's types are split where no bracket is open (`list(int64)<iv=[0, 0, 1]>` was read
    as `a list, a 0, a 1]>`), and a list given as an index is told to be an array."""
    from adcompile.jit_forms import helper_missing
    message = ">>> setitem(array(float64, 1d, C), list(int64)<iv=[0, 0, 1]>, " \
        "array(float64, 1d, C))\n"
    text, filename, line = helper_missing("setitem", message, "a_1 = setitem(a, [0, 0, 1], x)",
                                          "a[[0, 0, 1]] = x", ("f.py", 5))
    assert "for an array of 1 axis, a list." in text, text
    assert "write it as an array (np.array([0, 2]))" in text, text
    assert (filename, line) == ("f.py", 5)


def skip_negatives(x):
    out = np.zeros(len(x))
    i = -1
    while i < len(x) - 1:
        i += 1
        if x[i] < 0:
            continue
        out[i] = np.sqrt(x[i])
    return np.sum(out ** 2)


def test_jit_gradient_of_while_continue():
    """The gradient's loop reads `grad_out` and `grad_out_1` in one array expression: Numba's
    versions of grad_out (`grad_out.1`) and grad_out_1 met as one name in its pass that fuses
    array expressions (an AssertionError inside Numba, blamed on `out = np.zeros(len(x))`)."""
    pytest.importorskip("numba")
    from adcompile import jit, source
    x = np.array([0.5, 1.0, 2.0, 0.3])
    assert_close(jit(grad(skip_negatives))(x), numeric_grad(skip_negatives, (x,), 0))
    xn = np.array([0.5, -1.0, 2.0, 0.3])
    assert_close(jit(grad(skip_negatives))(xn), grad(skip_negatives)(xn))
    text = source(jit(grad(skip_negatives)))
    assert "grad_out1 = grad_out" in text and "grad_out_1" not in text, text


def sgd_momentum(w, config=None):
    if config is None:
        config = {}
    v = config.get('velocity', np.zeros_like(w))
    v = 0.9 * v - 0.1 * w
    config['velocity'] = v
    return w + v, config


def train_from_none(w0):
    w = w0
    cfg = None
    for it in range(3):
        w, cfg = sgd_momentum(w, cfg)
    return np.sum(w ** 2)


def test_none_then_dict_across_a_loop_is_named():
    """cfg is None at the loop's first step and a dict after: the refusal said "a dict with keys
    " (none) and "a number or array"; it names the caller's line and what to write."""
    from adcompile.errors import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(train_from_none)(np.ones(2))
    text = str(info.value)
    assert "a dict with no keys" in text and "keys  " not in text, text
    assert "`cfg`" in text and "`w, cfg = sgd_momentum(w, cfg)`" in text, text
    assert "cfg = {}, before the loop" in text and "None" in text, text
    assert info.value.line == sgd_momentum.__code__.co_firstlineno + 1
