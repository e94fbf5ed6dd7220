"""Higher order: grad(grad(f)) source to source, to any depth; jacfwd, jacrev, hessian, hvp; and
check_grads at order 2 over the shared corpus."""
import math
from collections import namedtuple

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adcompile import (ArgumentError, GradientCheckError, check_grads, grad,
                       hessian, hvp, jacfwd, jacrev, jvp, sigmoid, softmax, source,
                       value_and_grad, vjp)
from checks import assert_close, numeric_grad, numeric_jacobian
from corpus import CORPUS, S

Pair = namedtuple("Pair", "a b")
SETTINGS = settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))


def poly_sin(x, y):
    return x ** 3 * y + math.sin(x * y)


def test_grad_of_grad_matches_the_closed_form():
    x, y = 1.5, 0.5
    assert math.isclose(grad(grad(poly_sin))(x, y), 6 * x * y - y * y * math.sin(x * y))
    assert math.isclose(grad(grad(poly_sin), argnums=1)(x, y),
                        3 * x * x + math.cos(x * y) - x * y * math.sin(x * y))
    assert math.isclose(grad(grad(grad(poly_sin)))(x, y), 6 * y - y ** 3 * math.cos(x * y))


def sine(x):
    return math.sin(x)


def test_any_depth():
    d = sine
    for k in range(1, 7):
        d = grad(d)
        expected = [math.sin, math.cos, lambda x: -math.sin(x), lambda x: -math.cos(x)][k % 4]
        assert math.isclose(d(0.7), expected(0.7), rel_tol=1e-12), k


def test_the_generated_gradient_is_reparsed_source_to_source():
    src = source(grad(grad(poly_sin)))
    assert src.startswith("def grad_grad_poly_sin(x, y):")
    assert "grad_grad_x" in src  # the adjoint of the inner gradient grad_x
    assert source(grad(grad(poly_sin))) == src  # deterministic


def test_second_derivatives_through_loops_and_branches():
    from corpus_control import CONTROL
    rng = np.random.default_rng(2)
    for f, domains in CONTROL:  # forward over reverse, through every control-flow function
        args = [rng.uniform(d.lo, d.hi) if not hasattr(d, "shape") else
                rng.uniform(d.lo, d.hi, size=d.shape) for d in domains]
        d = grad(f)
        u = rng.normal(size=np.shape(args[0]))
        tangents = [u] + [np.zeros_like(a) for a in args[1:]]
        _, t = jvp(d, tuple(args), tuple(tangents))
        hi, lo = list(args), list(args)
        hi[0], lo[0] = args[0] + 1e-6 * u, args[0] - 1e-6 * u
        numeric = (np.asarray(d(*hi)) - np.asarray(d(*lo))) / 2e-6
        np.testing.assert_allclose(t, numeric, rtol=1e-4, atol=1e-5, err_msg=f.__name__)
    from corpus_control import branches
    for f, x in [(branches, 0.2), (branches, -0.9)]:  # reverse over reverse through branches
        d = grad(f)
        numeric = (d(x + 1e-5, 0.7) - d(x - 1e-5, 0.7)) / 2e-5
        assert math.isclose(grad(d)(x, 0.7), numeric, rel_tol=1e-6, abs_tol=1e-6)


def _control_args(domains, rng):
    return [rng.uniform(d.lo, d.hi) if not hasattr(d, "shape") else
            rng.uniform(d.lo, d.hi, size=d.shape) for d in domains]


def _control_ids():
    from corpus_control import CONTROL
    return [f.__name__ for f, _ in CONTROL]


@pytest.mark.parametrize("k", range(len(_control_ids())), ids=_control_ids())
def test_reverse_over_reverse_through_loops_and_branches(k):
    """The gradient's tape is data like any other: vjp of grad(f) (reverse over reverse, which
    runs the tape backwards) equals jvp of grad(f) (forward over reverse), since the Hessian is
    symmetric, for every control-flow function and every argument."""
    from corpus_control import CONTROL
    f, domains = CONTROL[k]
    rng = np.random.default_rng(10 + k)
    args = _control_args(domains, rng)
    d = grad(f, argnums=tuple(range(len(args))))
    us = [rng.normal(size=np.shape(a)) for a in args]
    _, pullback = vjp(d, *args)
    reverse = pullback(tuple(us))
    _, forward = jvp(d, tuple(args), tuple(us))
    for r, t, a in zip(reverse, forward, args):
        assert np.shape(r) == np.shape(a)
        np.testing.assert_allclose(r, t, rtol=1e-8, atol=1e-10, err_msg=f.__name__)
    first = grad(f)  # and jacrev(grad(f)) is hessian(f), entry by entry
    np.testing.assert_allclose(jacrev(first)(*args), hessian(f)(*args), rtol=1e-8, atol=1e-10,
                               err_msg=f.__name__)


def _logistic_in_x(x):
    for i in range(6):
        x = 3.3 * x * (1.0 - x)
    return x


def test_grad_of_grad_of_grad_through_a_loop():
    from corpus_control import counted_loop, while_loop
    for f, x in [(counted_loop, 0.3), (while_loop, 1.7), (_logistic_in_x, 0.4)]:
        d2 = grad(grad(f))
        numeric = (d2(x + 1e-5) - d2(x - 1e-5)) / 2e-5
        assert math.isclose(d2(x), float(hessian(f)(x)), rel_tol=1e-9, abs_tol=1e-12)
        assert math.isclose(grad(d2)(x), numeric, rel_tol=1e-5, abs_tol=1e-6)


def test_hessian_of_the_rnn_by_reverse_over_reverse():
    from corpus_control import rnn
    rng = np.random.default_rng(3)
    W, h, xs = rng.uniform(-0.7, 0.7, (3, 3)), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (4, 3))
    H = jacrev(grad(rnn))(W, h, xs)
    assert H.shape == (3, 3, 3, 3)
    np.testing.assert_allclose(H, hessian(rnn)(W, h, xs), rtol=1e-8, atol=1e-10)
    g = grad(rnn)
    E = rng.normal(size=(3, 3))
    numeric = (g(W + 1e-6 * E, h, xs) - g(W - 1e-6 * E, h, xs)) / 2e-6
    np.testing.assert_allclose(np.tensordot(H, E, axes=2), numeric, rtol=1e-5, atol=1e-7)


def test_value_and_grad_and_jvp_of_a_gradient():
    value, g2 = value_and_grad(grad(poly_sin))(1.5, 0.5)
    assert math.isclose(value, grad(poly_sin)(1.5, 0.5)) and math.isclose(
        g2, grad(grad(poly_sin))(1.5, 0.5))
    _, t = jvp(grad(poly_sin, argnums=(0, 1)), (1.5, 0.5), (1.0, 0.0))
    assert math.isclose(t[0], g2) and math.isclose(t[1], grad(grad(poly_sin, argnums=1))(1.5, 0.5))


def test_a_pullback_cannot_be_rebuilt():
    _, pullback = vjp(poly_sin, 1.0, 2.0)
    from adcompile.api import compile_derivative
    f = compile_derivative(poly_sin, "vjp", None)
    with pytest.raises(ArgumentError, match="pullback"):
        grad(f)


# --- Hessians of NumPy functions -------------------------------------------------------------
def mlp(W, x):
    h = np.tanh(W @ x)
    return np.sum(softmax(h) * np.arange(3.0)) + 0.1 * np.sum(W ** 2)


def logreg(w, X, y):
    p = sigmoid(X @ w)
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


def quadratic(x, A):
    return 0.5 * x @ A @ x + np.sum(np.sin(x))


def log_det(M):
    return np.linalg.slogdet(M)[1] - np.trace(np.linalg.inv(M)) + np.linalg.det(M)


def mixed(x):
    return np.max(x[:3]) * np.sum(np.concatenate([x, x[::-1] ** 2]) ** 2) + np.linalg.norm(x) \
        + np.einsum("i,i->", x, np.cos(x)) + np.var(x) * np.prod(x[1:3])


def fd_hessian(f, args, i):
    return np.array([numeric_grad(lambda *a, k=k: np.ravel(grad(f, argnums=i)(*a))[k], args, i)
                     for k in range(np.size(args[i]))]).reshape(np.shape(args[i]) * 2)


@pytest.mark.parametrize("f, args, i", [
    (mlp, (np.linspace(-1, 1, 12).reshape(3, 4), np.array([0.5, -0.2, 0.1, 0.9])), 0),
    (mlp, (np.linspace(-1, 1, 12).reshape(3, 4), np.array([0.5, -0.2, 0.1, 0.9])), 1),
    (logreg, (np.array([0.3, -0.5]), np.array([[1.0, 2.0], [-1.0, 0.5], [0.3, 0.3]]),
              np.array([1.0, 0.0, 1.0])), 0),
    (quadratic, (np.array([0.3, -0.5, 1.0]), np.array([[2.0, 0.5, 0.0], [0.1, 1.0, 0.3],
                                                       [0.0, 0.2, 3.0]])), 0),
    (log_det, (np.array([[2.0, 0.3], [0.1, 1.5]]),), 0),
    (mixed, (np.array([0.3, 0.9, -0.5, 0.2]),), 0),
], ids=["mlp_W", "mlp_x", "logreg", "quadratic", "log_det", "mixed"])
def test_hessian_against_finite_differences_of_the_gradient(f, args, i):
    H = hessian(f, argnums=i)(*args)
    assert H.shape == np.shape(args[i]) * 2
    assert_close(H, fd_hessian(f, args, i), rtol=1e-5, atol=1e-6)
    if np.ndim(args[i]) == 1:
        assert_close(H, H.T, rtol=1e-10, atol=1e-12)


def test_quadratic_hessian_is_exact():
    A = np.array([[2.0, 0.5], [0.1, 1.0]])
    assert_close(hessian(quadratic)(np.zeros(2), A), (A + A.T) / 2, rtol=0, atol=1e-15)


@SETTINGS
@given(st.integers(1, 4), st.integers(0, 2 ** 32 - 1))
def test_hessian_of_drawn_size(n, seed):
    rng = np.random.default_rng(seed)
    x, A = rng.normal(size=n), rng.normal(size=(n, n))
    H = hessian(quadratic)(x, A)
    assert_close(H, (A + A.T) / 2 - np.diag(np.sin(x)), rtol=1e-10, atol=1e-12)
    v = rng.normal(size=n)
    assert_close(hvp(quadratic_of_x(A), (x,), (v,)), H @ v, rtol=1e-10, atol=1e-12)


def quadratic_of_x(A):
    def q(x):
        return 0.5 * x @ A @ x + np.sum(np.sin(x))
    return q


def two_args(x, W):
    return np.sum(np.tanh(W @ x) ** 2) + x @ x * np.sum(W)


def test_hessian_blocks_and_hvp_with_several_primals():
    x, W = np.array([0.3, -0.4]), np.array([[0.5, 1.0], [-0.3, 0.2], [0.1, 0.1]])
    blocks = hessian(two_args, argnums=(0, 1))(x, W)
    assert blocks[0][0].shape == (2, 2) and blocks[0][1].shape == (2, 3, 2)
    assert blocks[1][0].shape == (3, 2, 2) and blocks[1][1].shape == (3, 2, 3, 2)
    assert_close(blocks[0][1], np.transpose(blocks[1][0], (2, 0, 1)), rtol=1e-10, atol=1e-12)
    v = (np.array([1.0, -2.0]), np.ones((3, 2)))
    hx, hW = hvp(two_args, (x, W), v)
    assert_close(hx, blocks[0][0] @ v[0] + np.tensordot(blocks[0][1], v[1], 2), rtol=1e-10,
                 atol=1e-12)
    assert_close(hW, np.tensordot(blocks[1][0], v[0], 1) + np.tensordot(blocks[1][1], v[1], 2),
                 rtol=1e-10, atol=1e-12)


def test_float32_hessian():
    x = np.array([0.3, -0.5, 1.0], dtype=np.float32)
    A = np.eye(3, dtype=np.float32)
    assert hessian(quadratic)(x, A).dtype == np.float32


# --- Jacobians -------------------------------------------------------------------------------
def vector_function(x, W):
    return np.tanh(W @ x) * x[0] + np.concatenate([x[:1], x[1:] ** 2])[:3]


def two_outputs(x):
    return np.sum(x ** 2), np.cumsum(x)


def test_jacfwd_and_jacrev_agree_and_have_jax_shapes():
    x, W = np.array([0.3, -0.4, 0.8]), np.linspace(-1, 1, 9).reshape(3, 3)
    jf, jr = jacfwd(vector_function)(x, W), jacrev(vector_function)(x, W)
    assert jf.shape == (3, 3) and jr.shape == (3, 3)
    assert_close(jf, jr, rtol=1e-12, atol=1e-12)
    eps = 1e-6
    fd = np.stack([(vector_function(x + eps * e, W) - vector_function(x - eps * e, W)) / (2 * eps)
                   for e in np.eye(3)], axis=1)
    assert_close(jf, fd, rtol=1e-6, atol=1e-8)
    jfw = jacfwd(vector_function, argnums=(0, 1))(x, W)
    jrw = jacrev(vector_function, argnums=(0, 1))(x, W)
    assert jfw[1].shape == (3, 3, 3) and jrw[1].shape == (3, 3, 3)
    assert_close(jfw[1], jrw[1], rtol=1e-12, atol=1e-12)
    (a, b) = jacfwd(two_outputs)(x)
    (c, d) = jacrev(two_outputs)(x)
    assert a.shape == (3,) and b.shape == (3, 3)
    assert_close(a, 2 * x) and assert_close(c, 2 * x)
    assert_close(b, np.tril(np.ones((3, 3)))) and assert_close(d, np.tril(np.ones((3, 3))))


def scalar_input(t):
    return np.array([math.sin(t), t * t])


def test_jacobian_of_a_scalar_input():
    assert_close(jacfwd(scalar_input)(0.5), [math.cos(0.5), 1.0])
    assert_close(jacrev(scalar_input)(0.5), [math.cos(0.5), 1.0])


# --- check_grads -----------------------------------------------------------------------------
def draw(domains, rng):
    return tuple(float(rng.uniform(d.lo + 0.1 * (d.hi - d.lo), d.hi - 0.1 * (d.hi - d.lo)))
                 if type(d) is S else rng.uniform(d.lo + 0.1 * (d.hi - d.lo),
                                                  d.hi - 0.1 * (d.hi - d.lo), size=d.shape)
                 for d in domains)


def _with_control():
    from corpus_control import CONTROL
    return CORPUS + CONTROL


@pytest.mark.parametrize("f, domains", _with_control(),
                         ids=[f.__name__ for f, _ in _with_control()])
def test_second_order_over_the_corpus(f, domains):
    """Forward over forward, forward over reverse and reverse over reverse (check_grads at
    order 2), through the loops and branches of the control-flow corpus too."""
    check_grads(f, draw(domains, np.random.default_rng(7)), order=2, rtol=1e-4, atol=1e-5)


def test_check_grads_reports_what_failed():
    def kinked(x):
        return np.sum(np.abs(x))

    check_grads(kinked, (np.array([0.5, -1.0]),), order=2)
    with pytest.raises(GradientCheckError) as info:
        check_grads(kinked, (np.array([1e-9, -1.0]),), order=1, eps=1e-3)
    msg = str(info.value)
    assert "forward mode of kinked" in msg and "finite differences" in msg and "output 0 is" in msg
    with pytest.raises(ArgumentError, match="integer"):
        check_grads(kinked, (np.arange(3),))
    with pytest.raises(ArgumentError, match="mode"):
        check_grads(kinked, (np.ones(2),), modes=("backward",))


def test_the_newton_example_converges_quadratically():
    import importlib.util
    import os
    path = os.path.join(os.path.dirname(__file__), os.pardir, "examples", "newton.py")
    spec = importlib.util.spec_from_file_location("newton_example", path)
    newton = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(newton)
    x, steps = newton.newton(newton.rosenbrock, np.array([-1.2, 1.0]))
    assert np.allclose(x, [1.0, 1.0], atol=1e-12) and steps <= 8


def list_product(xs):
    return np.sum(xs[0] ** 2 * xs[1]) + xs[2] ** 3


def test_hessian_and_jacobians_of_a_list_argument():
    # (were a TypeError: the basis of a list was taken as one array's)
    xs = [np.array([1.0, 2.0]), np.array([3.0, 4.0]), 0.5]
    h = hessian(list_product)(xs)
    assert len(h) == 3 and all(len(row) == 3 for row in h)
    np.testing.assert_allclose(h[0][0], np.diag(2 * xs[1]))
    np.testing.assert_allclose(h[0][1], np.diag(2 * xs[0]))
    np.testing.assert_allclose(h[1][0], np.diag(2 * xs[0]))
    np.testing.assert_allclose(h[1][1], np.zeros((2, 2)))
    assert np.shape(h[0][2]) == (2,) and h[2][2] == pytest.approx(6 * xs[2])
    for jac in (jacfwd, jacrev):
        j = jac(list_product)(xs)
        np.testing.assert_allclose(j[0], 2 * xs[0] * xs[1])
        np.testing.assert_allclose(j[1], xs[0] ** 2)
        assert j[2] == pytest.approx(3 * xs[2] ** 2)


def square_and_sine(x):
    return x ** 2, np.sin(x) * x[0]


def test_check_grads_to_second_order_of_a_function_with_tuple_outputs():
    # (forward over forward hands back lists, which were compared as one stacked array)
    check_grads(square_and_sine, (np.array([0.3, 0.5]),), order=2)
    check_grads(square_and_sine, (np.array([0.3, 0.5]),), order=3)


def list_item_after_a_loop(x, s):
    L1 = [1.25]
    for _ in x:
        L1.append(s)
    return s * L1[1] + np.sum(x * L1[-1])


def sum_of_a_list_built_in_a_loop(x, y, n):
    L = []
    for i in range(n):
        L.append(np.sin(x * i) + y)
    total = 0.0
    for j in range(2):
        total = total + sum(L[1:]) * L[0]
    return np.sum(total * x)


def _tanh_sum(a, b):
    for i in reversed(range(2)):
        L2 = [math.tanh(float(i)) * a for r4 in (b, 1.0) if b >= 0.25]
    return sum(L2) / (1.0 + min(1.5, b) ** 2)


def lists_of_helper_values_in_nested_loops(x, y, z, n):
    for _ in range(n):
        z, y = (y, z)
        L = []
        for i in range(1, n + 1):
            L.append(max(y, _tanh_sum(z, x)))
        t = sum(L)
    return max(z, x) ** 3 + t * y


@pytest.mark.parametrize("f, args", [
    (list_item_after_a_loop, (np.array([-0.7, 0.03, 1.2]), 0.4)),
    (sum_of_a_list_built_in_a_loop, (np.array([0.3, -0.5]), 0.7, 3)),
    (lists_of_helper_values_in_nested_loops, (-0.5, 1.89, 0.56, 2)),
])
def test_reverse_over_reverse_of_lists_built_in_loops(f, args):
    """The gradient of a list is a list (a TupleGrad): reverse over reverse added into one in
    place (TypeError: 'TupleGrad' object does not support item assignment), had no rule for
    sum_grad (the gradient of sum(L)), added two adjoints of a list with + (concatenating them),
    and added a list into a slice of one with + too (found by tools/fuzz.py --order 2)."""
    wrt = tuple(i for i, a in enumerate(args) if not isinstance(a, int))
    g = grad(f, argnums=wrt)
    H = jacrev(g, argnums=wrt)(*args)
    F = jacfwd(g, argnums=wrt)(*args)
    for i in range(len(wrt)):
        for j in range(len(wrt)):
            np.testing.assert_allclose(H[i][j], F[i][j], rtol=1e-9, atol=1e-12)


def test_forward_over_reverse_keeps_the_tape_a_stack():
    """jvp of a gradient lowered its tape as a list value, `tape = tape + [v]` with a list of
    tangents beside it, copying both at every push: an RNN's Hessian-vector product over 200
    steps took 190 times its gradient's time (5 times now, measured in benchmarks/bench_loops.py).
    The tape stays one list, with a stack of tangents pushed and popped in step."""
    from corpus_control import rnn
    from adcompile.api import compile_derivative
    fwd = compile_derivative(grad(rnn), "forward", None)
    text = source(fwd)
    assert ".pop()" in text and "tape + [" not in text
    rng = np.random.default_rng(4)
    W, h, xs = rng.uniform(-0.7, 0.7, (3, 3)), rng.uniform(-1, 1, 3), rng.uniform(-1, 1, (5, 3))
    E = rng.normal(size=(3, 3))
    _, hv = jvp(grad(rnn), (W, h, xs), (E, np.zeros(3), np.zeros((5, 3))))
    np.testing.assert_allclose(hv, np.tensordot(hessian(rnn)(W, h, xs), E, axes=2), rtol=1e-12)
    g = grad(rnn)
    numeric = (g(W + 1e-6 * E, h, xs) - g(W - 1e-6 * E, h, xs)) / 2e-6
    np.testing.assert_allclose(hv, numeric, rtol=1e-5, atol=1e-7)


def rows_by_a_list(W, s):
    idx = [1, 1]  # rows 1 and 1: generated code writes getitem_grad(g, W, [1, 1])
    return np.sum(W[idx]) * s


def test_reverse_over_reverse_of_a_list_index():
    """Generated code passes a list index as a list display, getitem_grad(g, W, [1, 1]); read
    again it became a tuple (one entry), and reverse over reverse raised ValueError (found by
    tools/fuzz.py --order 2, seed 8000039)."""
    W, s = np.arange(6.0).reshape(2, 3), 0.5
    g = grad(rows_by_a_list, argnums=(0, 1))
    H = jacrev(g, argnums=(0, 1))(W, s)
    F = jacfwd(g, argnums=(0, 1))(W, s)
    for i in range(2):
        for j in range(2):
            np.testing.assert_allclose(H[i][j], F[i][j], rtol=1e-12, atol=1e-12)


def column_entry_in_a_branch(x, W, s, n):
    t = 0.0
    if s < 0.9:
        t = W[:, n % 3][1] * s  # generated code: s7 = (slice(None), n % 3) on this path only
    return t + np.sum(x) * s


def test_reverse_over_reverse_of_a_tuple_index_bound_on_one_path():
    """Read again, the gradient's index tuple bound on one path of an if was merged with the
    other path's placeholder into a list, and a list holding a slice is no index: IndexError
    (tools/fuzz.py --order 2, seeds 8000205 and 8001565)."""
    args = (np.array([0.3, -0.2, 0.5]), np.arange(6.0).reshape(2, 3), 0.5, 2)
    g = grad(column_entry_in_a_branch, argnums=(0, 1, 2))
    H = jacrev(g, argnums=(0, 1, 2))(*args)
    F = jacfwd(g, argnums=(0, 1, 2))(*args)
    for i in range(3):
        for j in range(3):
            np.testing.assert_allclose(H[i][j], F[i][j], rtol=1e-12, atol=1e-12)


def rows_scaled(W, s):
    c = W + 0.0
    for i in range(2):
        c[i, 0] = c[i, 0] * s + np.sin(c[i, 1])
    return np.sum(c * c) * s


def test_an_index_built_from_the_loop_counter_is_rebuilt_not_taped():
    """`c[i, 0]` in a loop: the gradient taped the index tuple `(i, 0)`, so differentiating it
    again met `c[s1]` with s1 popped from the tape, a list or tuple made elsewhere: refused
    (found by the fuzzer at second order, 6% of its NumPy programs). The backward loop rebuilds
    the tuple from the counter instead."""
    from checks import numeric_jacobian
    rng = np.random.default_rng(3)
    W, s = rng.normal(size=(2, 3)), 0.7
    assert "s0, s1" not in source(grad(rows_scaled, argnums=(0, 1))), "an index on the tape"
    for i in (0, 1):
        numeric = numeric_jacobian(lambda W, s, i=i: np.asarray(grad(rows_scaled, argnums=i)(W, s)),
                                   (W, np.array(s)), 1)
        assert_close(hessian(rows_scaled, argnums=(0, 1))(W, s)[i][1], numeric, rtol=1e-5)
    assert_close(jacrev(grad(rows_scaled))(W, s),
                 numeric_jacobian(grad(rows_scaled), (W, s), 0), rtol=1e-5)


def rows_by_branch(W, s):
    t = 0.0
    for i in range(2):
        if W[i, 0] > 0.0:
            j = 1
        else:
            j = 2
        t = t + W[i, j] * s + np.sin(W[i, j] * t)
    return t * s


def rows_by_break(W, s):
    t = 0.0
    for i in range(2):
        j = 1 if W[i, 0] > 0.0 else 2
        t = t + W[i, j] * s
        if t > 5.0:
            break
    return t * s


@pytest.mark.parametrize("f", [rows_by_branch, rows_by_break])
def test_an_index_whose_items_the_loop_assigns_is_rebuilt_from_them(f):
    """`W[i, j]` with j assigned on both branches of an if: the tape keeps j, and the backward
    loop rebuilds (i, j), so the gradient can be differentiated again (a loop that may stop
    early keeps the tuple, and is still refused then)."""
    from checks import numeric_jacobian
    rng = np.random.default_rng(4)
    W = rng.normal(size=(2, 3))
    W[0, 0], W[1, 0] = 1.0, -1.0  # one step takes each branch
    for s in (0.7, -0.4):
        assert_close(grad(f, argnums=(0, 1))(W, s)[0], numeric_jacobian(f, (W, s), 0),
                     rtol=1e-6)
        assert_close(jacrev(grad(f))(W, s), numeric_jacobian(grad(f), (W, s), 0), rtol=1e-5)
        assert_close(hessian(f, argnums=1)(W, s),
                     numeric_jacobian(grad(f, argnums=1), (W, np.array(s)), 1), rtol=1e-5)


def rows_by_while(W, s):
    t, i = 0.0, 0
    while i < 2 and t < 5.0:
        j = i % 2 + 1
        t = t + W[i, j] * s + np.sin(W[i, j] * t)
        i = i + 1  # after the index (i, j): the tape keeps the tuple itself
    return t * s


@pytest.mark.parametrize("f", [rows_by_break, rows_by_while])
def test_an_index_tuple_on_the_tape_is_differentiated_again(f):
    """In a loop that may stop early, the tape keeps the index (i, j) itself, and the backward
    loop pops it into the name the forward sweep bound to the tuple display. Differentiated
    again, lowering knew that name only as bound two ways, and refused `W[s1]` as an index it
    could not tell from a list. The pop restores what the push saved from the same name, so
    the display decides its kind."""
    from checks import numeric_jacobian
    rng = np.random.default_rng(5)
    W = rng.normal(size=(2, 3))
    W[0, 0], W[1, 0] = 1.0, -1.0
    for s in (0.7, -0.4, 3.0):
        assert_close(jacrev(grad(f))(W, s), numeric_jacobian(grad(f), (W, s), 0), rtol=1e-5)
        assert_close(jacfwd(grad(f))(W, s), numeric_jacobian(grad(f), (W, s), 0), rtol=1e-5)
        assert_close(hessian(f, argnums=(0, 1))(W, s)[0][1],
                     numeric_jacobian(grad(f, argnums=0), (W, np.array(s)), 1), rtol=1e-5)


def outer_sum(p, q):
    return np.sum(p["a"][:, None] * q[0][None, :] ** 2)


def plain_outer_sum(a, b):
    return np.sum(a[:, None] * b[None, :] ** 2)


def test_hessian_blocks_of_containers_with_several_argnums():
    """As in JAX, H[i][key][j][key2]: argument i's structure, each leaf holding the tuple over j
    of argument j's structure of blocks (the plain arrays' H[i][j] with the keys put in); the
    off-diagonal blocks came nested another way (H[0][1] a tuple of q's structure)."""
    a, b = np.array([1.0, 2.0]), np.array([1.0, 2.0, 3.0])
    plain = hessian(plain_outer_sum, (0, 1))(a, b)
    H = hessian(outer_sum, [0, 1])({"a": a}, (b,))
    assert type(H[0]) is dict and type(H[0]["a"]) is tuple and type(H[0]["a"][1]) is tuple
    assert type(H[1]) is tuple and type(H[1][0]) is tuple and type(H[1][0][0]) is dict
    assert_close(H[0]["a"][0]["a"], plain[0][0])
    assert_close(H[0]["a"][1][0], plain[0][1])       # shape (2, 3)
    assert_close(H[1][0][0]["a"], plain[1][0])       # shape (3, 2)
    assert_close(H[1][0][1][0], plain[1][1])
    g, h = grad(plain_outer_sum, argnums=(0, 1)), 1e-6  # against differences of the gradient
    for k in range(3):
        e = np.eye(3)[k] * h
        assert_close(H[0]["a"][1][0][:, k], (g(a, b + e)[0] - g(a, b - e)[0]) / (2 * h))
        assert_close(H[1][0][1][0][:, k], (g(a, b + e)[1] - g(a, b - e)[1]) / (2 * h))


def bilinear_in_nested_pairs(p):
    return 3.0 * p[0][0] * p[1][1] + 5.0 * p[0][1] * p[1][0]


def unpacks_nested_pairs(p):
    (a0, b0), (a1, b1) = p
    return 3.0 * a0 * b1 + 5.0 * b0 * a1


def product_of_nested(p):
    return p[0] * p[1][0] * p[1][1]


def test_hessian_of_nested_tuple_arguments():
    """H[i][k][j][l] = d2f / dp[i][k] dp[j][l]: the layout was wrong (the 3 and the 5 swapped),
    and jacrev(grad(f)) and unpacking the argument crashed."""
    p = ((1.0, 2.0), (0.5, -1.0))
    expected = np.zeros((2, 2, 2, 2))
    expected[0, 0, 1, 1] = expected[1, 1, 0, 0] = 3.0
    expected[0, 1, 1, 0] = expected[1, 0, 0, 1] = 5.0
    for H in (hessian(bilinear_in_nested_pairs)(p), jacrev(grad(bilinear_in_nested_pairs))(p),
              jacfwd(grad(bilinear_in_nested_pairs))(p), hessian(unpacks_nested_pairs)(p)):
        assert_close(np.array(H, dtype=float), expected)
    H = hessian(product_of_nested)((1.0, (2.0, 3.0)))
    assert H[0][1][1] == 2.0 and H[1][0][0] == 3.0 and H[1][1][0] == 2.0 and H[0][0] == 0.0
    assert H[1][0][1][1] == 1.0 and H[1][1][1][0] == 1.0 and H[1][1][1][1] == 0.0


def dict_of_results(x):
    return {"a": np.sum(x), "b": x ** 2}


def namedtuple_of_results(x):
    return Pair(x * 2.0, x * x)


def nested_results(x):
    return (x * 2.0, (x * x, x * 3.0))


def test_jacobians_of_container_results_keep_their_structure():
    """The Jacobian has the output's structure (JAX): jacrev lost it (a tuple for a dict or a
    namedtuple), jacfwd crashed on a dict and flattened a nested tuple."""
    x = np.array([1.0, 2.0, 3.0])
    for jac in (jacfwd, jacrev):
        J = jac(dict_of_results)(x)
        assert type(J) is dict and list(J) == ["a", "b"]
        assert_close(J["a"], np.ones(3))
        assert_close(J["b"], numeric_jacobian(lambda x: x ** 2, (x,), 0))
        J = jac(namedtuple_of_results)(1.5)
        assert type(J) is Pair and J == (2.0, 3.0)
        J = jac(nested_results)(1.5)
        assert J[0] == 2.0 and type(J[1]) is tuple and J[1] == (3.0, 3.0)
        J = jac(namedtuple_of_results, (0,))(x)
        assert type(J) is Pair and type(J.b) is tuple and J.b[0].shape == (3, 3)
        assert_close(J.b[0], np.diag(2 * x))


def test_jacobians_and_hessians_honour_defaults_and_keywords():
    """A default parameter made jacfwd and hessian call the forward code without all its
    tangents (TypeError); keyword arguments at call time were refused."""
    for jac in (jacfwd, jacrev):
        assert jac(scaled_square)(0.7) == pytest.approx(2.8)
        assert jac(scaled_square)(0.7, a=3.0) == pytest.approx(4.2)
        assert jac(scaled_square, 1)(0.7, a=3.0) == pytest.approx(0.49)
    assert hessian(scaled_square)(3.0) == pytest.approx(4.0)
    assert hessian(scaled_square)(3.0, a=5.0) == pytest.approx(10.0)
    with pytest.raises(ArgumentError, match=r"scaled_square\(\): too many positional"):
        jacfwd(scaled_square)(1.0, 2.0, 3.0)


def scaled_square(x, a=2.0):
    return a * x * x


def cube_sine(x):
    return x ** 3 * math.sin(x)


def cube_sine_pair(x, y):
    return np.sin(x) * y ** 3


def test_jacobians_of_jacobians():
    """jacfwd(jacrev(f)) parsed f's source with the globals of adcompile's wrapper ('name math
    is not defined'); a Jacobian of a Jacobian is f's second derivative."""
    x = 0.7
    second = 6 * x * math.sin(x) + 6 * x * x * math.cos(x) - x ** 3 * math.sin(x)
    for outer in (jacfwd, jacrev):
        for inner in (jacfwd, jacrev):
            assert outer(inner(cube_sine))(x) == pytest.approx(second, rel=1e-12)
    third = numeric_grad(lambda x: float(hessian(cube_sine)(x)), (x,), 0)
    assert jacfwd(hessian(cube_sine))(x) == pytest.approx(third, rel=1e-6)
    xs, y = np.array([0.3, -1.2]), 0.8
    H = jacrev(jacfwd(cube_sine_pair, (0, 1)), (0, 1))(xs, y)
    plain = hessian(lambda_free_sum, (0, 1))(xs, y)
    for i in range(2):
        for j in range(2):
            assert np.shape(H[i][j]) == (2,) + np.shape((xs, y)[i]) + np.shape((xs, y)[j])
            assert_close(np.sum(H[i][j], axis=0), plain[i][j], rtol=1e-10, atol=1e-12)
    with pytest.raises(ArgumentError, match="a Jacobian made by jacfwd or jacrev"):
        grad(jacrev(cube_sine))(x)


def lambda_free_sum(x, y):
    return np.sum(np.sin(x) * y ** 3)


# --- grad(f) called inside a differentiated function (refused, naming adcompile's api.py) -------
def cubic_sine(x):
    return x ** 3 * math.sin(x)


def uses_grad_inside(x):
    return grad(cubic_sine)(x) * x + value_and_grad(cubic_sine)(x * 2.0)[1]


def test_grad_called_inside_differentiated_code():
    x = 0.7
    g = grad(uses_grad_inside)(x)
    assert g == pytest.approx(numeric_grad(uses_grad_inside, (x,), 0), rel=1e-6)
    assert jvp(uses_grad_inside, (x,), (1.0,))[1] == pytest.approx(g, rel=1e-12)
    h = hessian(uses_grad_inside)(x)
    assert h == pytest.approx(numeric_grad(grad(uses_grad_inside), (x,), 0), rel=1e-5)


# --- hvp of a function of a dict: NumPy's ValueError from inside the generated code ------------
def loss_of_dict(p):
    return np.sum(np.tanh(p["W"] * 2.0) ** 2) + np.sum(p["b"] ** 3)


def test_hvp_of_containers_equals_the_hessian_times_the_direction():
    p = {"W": np.array([0.3, -0.2]), "b": np.array([0.5])}
    v = {"W": np.array([1.0, 2.0]), "b": np.array([-1.0])}
    out = hvp(loss_of_dict, (p,), (v,))
    H = hessian(loss_of_dict)(p)
    for key in p:
        expected = sum(np.tensordot(H[key][other], v[other], axes=1) for other in p)
        assert_close(out[key], expected)


def cubes_scaled(x):
    return np.sum(x ** 3 * x[0])


def cubes(x):
    return x ** 3 * x[0]


def test_messages_of_nested_jacobians_say_what_works():
    """Found by a tester (T21): a third Jacobian was refused saying that jacfwd differentiates a
    Jacobian again; source() of a Jacobian spoke of differentiating it; hessian of an array
    output spoke of grad. Each now says what works, at the user's function."""
    x = np.array([0.5, 1.0])
    assert jacfwd(jacfwd(grad(cubes_scaled)))(x).shape == (2, 2, 2)
    for made in (jacfwd(jacfwd(jacfwd(cubes_scaled))), jacfwd(jacfwd(hessian(cubes_scaled)))):
        with pytest.raises(ArgumentError, match=r"test_higher.py:\d+: .*not three.*"
                           r"jacfwd\(jacfwd\(grad\(f\)\)\)"):
            made(x)
    with pytest.raises(ArgumentError, match=r"test_higher.py:\d+: hessian needs a scalar output"
                       r".*shape \(2,\).*jacfwd\(jacrev\(f\)\)"):
        hessian(cubes)(x)
    assert_close(jacfwd(jacrev(cubes))(x)[0], [[3.0, 0.0], [0.0, 0.0]])
    with pytest.raises(ArgumentError, match=r"source\(grad\(cubes_scaled\), mode='forward'\)"):
        source(hessian(cubes_scaled))
    with pytest.raises(ArgumentError, match=r"source\(cubes, mode='vjp'\)"):
        source(jacrev(cubes))
    assert source(grad(cubes_scaled), mode="forward").startswith("def jvp_grad_cubes_scaled")


def flow(y0, T):
    t, y = 0.5, y0
    for i in range(2):
        h = T - t
        y = y + h * y * np.sin(t)
        t = t + h
    return y


def slope_of_flow_times_x(x, T):
    return grad(flow, 0)(x, T) * x


def two_carried(u, a):
    x, J = 1.0, 0.0
    for k in range(2):
        x = a * x + u
        J = J + x * x
    return J


def curvature_times_a(u, a):
    return grad(grad(two_carried, 0), 0)(u, a) * a


@pytest.mark.parametrize("f, args", [(slope_of_flow_times_x, (0.8, 1.03)),
                                     (curvature_times_a, (0.3, 0.9))])
def test_grad_made_inside_of_code_with_a_tape(f, args):
    """grad(inner) called inside a differentiated function, inner's derivative holding a tape
    of numbers and tuples: its code was inlined without its tapes kept as stacks, so a pop was
    taken for a list and `+` of adjoints for joining lists (TypeError: object of type 'float'
    has no len(); T22)."""
    for k in range(2):
        assert_close(grad(f, k)(*args), numeric_grad(f, args, k), rtol=1e-5, atol=1e-7)
    u = (1.0, -0.5)
    expected = sum(ui * numeric_grad(f, args, k) for k, ui in enumerate(u))
    assert_close(jvp(f, args, u)[1], expected, rtol=1e-5, atol=1e-7)


# --- np.asarray / np.array of an array or of a list, used twice, differentiated twice ----------
def asarray_of_array_twice(x):
    return np.sum(np.asarray(x) * np.asarray(x))


def array_of_array_twice(x):
    y = np.sin(x)
    return np.sum(np.array(y) * np.array(y))


def asarray_of_loop_array_twice(x):  # T25's reproducer: Hessian 8 * I, was 4 * I
    y = np.zeros(3)
    for i in range(3):
        y[i] = 2.0 * x[i]
    return np.sum(np.asarray(y) * np.asarray(y))


def array_of_list_twice(x):
    xs = [x[0], x[1] * x[2], np.sin(x[2])]
    return np.sum(np.asarray(xs) * np.array(xs))


def array_of_loop_list_twice(x):
    xs = []
    for i in range(3):
        xs.append(x[i] * x[(i + 1) % 3])
    return np.sum(np.array(xs) * np.asarray(xs))


def array_of_list_and_array(x):
    xs = [x[2], x[0] * x[1], x[1]]
    return np.sum(np.asarray(xs) * np.asarray(x)) + np.sum(np.array(x) * np.array(xs))


def hstack_of_array_twice(x):
    m = np.reshape(x, (3, 1))
    return np.sum(np.hstack(m) * np.hstack(m) * np.cos(x))


@pytest.mark.parametrize("f", [asarray_of_array_twice, array_of_array_twice,
                               asarray_of_loop_array_twice, array_of_list_twice,
                               array_of_loop_list_twice, array_of_list_and_array,
                               hstack_of_array_twice])
def test_second_derivatives_of_an_array_made_twice(f):
    """The gradient of np.asarray(y) is stack_grad, taken for a list whatever y was: the sum of
    two such adjoints of an array y became two lists joined end to end, so forward mode over the
    gradient read half of it (Hessian 4 * I for 8 * I) or crashed (cannot reshape array of size
    6 into shape (3,); T25). It is a list only where y is one."""
    x = np.array([0.3, -0.7, 1.1])
    expected = numeric_jacobian(lambda x: numeric_grad(f, (x,), 0, 1e-4), (x,), 0, 1e-4)
    for how in (hessian, lambda f: jacfwd(grad(f)), lambda f: jacrev(grad(f))):
        assert_close(how(f)(x), expected, rtol=1e-5, atol=1e-6)
    v = np.array([1.0, -2.0, 0.5])
    assert_close(hvp(f, (x,), (v,)), expected @ v, rtol=1e-5, atol=1e-6)
