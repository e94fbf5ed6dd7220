"""batch.py: the gradient of a matrix that every step of a loop multiplies, as one product after
the loop. Each program's gradient is checked against finite differences and against the
unoptimized gradient (which adds one product per step); the structural tests check where the
products went, and which loops keep theirs."""
import numpy as np
import pytest

from adcompile import grad, jacfwd, jacrev, source, value_and_grad, vjp
from adcompile.runtime import matmul_grad_left, matmul_grad_right
from adcompile.runtime_arrays import matmul_steps_left, matmul_steps_right
from checks import assert_close, numeric_grad, numeric_jacobian


def rnn(W, h, xs):
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
    return np.sum(h)


def rnn_rows(W, h, xs):  # the matrix on the right: h @ W
    for t in range(xs.shape[0]):
        h = np.tanh(h @ W + xs[t])
    return np.sum(h * h)


def twice(W, h, xs):  # two products with W in each step
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + W @ xs[t])
    return np.sum(h)


def widening(W, Xs):  # matrices of as many columns as the step's number
    s = 0.0
    for t in range(len(Xs)):
        s = s + np.sum(np.sin(W @ Xs[t]))
    return s


def growing(W, h, B):  # h is a vector at the first step, a matrix (broadcast by B) after it
    for t in range(3):
        h = np.tanh(W @ h + B)
    return np.sum(h)


def decaying(W, h, xs):  # W changes from step to step: its products stay in the loop
    for t in range(xs.shape[0]):
        h = np.tanh(W @ h + xs[t])
        W = 0.9 * W
    return np.sum(h)


def indexed(W, h, xs):  # the product's gradient is added up element by element
    for t in range(xs.shape[0]):
        z = W @ h
        h = np.tanh(z + xs[t]) * z[0] + z[1]
    return np.sum(h)


def nested(W, h, xs):  # the loop that multiplies by W runs inside another loop
    for k in range(2):
        for t in range(xs.shape[0]):
            h = np.tanh(W @ h + xs[t])
        h = 0.5 * h
    return np.sum(h)


rng = np.random.default_rng(7)


def draw(matrix, *others):
    """A matrix of small entries and other arguments in [-1, 1], of these shapes."""
    return (rng.uniform(-.5, .5, matrix),) + tuple(rng.uniform(-1, 1, s) for s in others)


CASES = [
    ("vectors", rnn, draw((4, 4), 4, (5, 4))),
    ("a batch of columns", rnn, draw((4, 4), (4, 3), (5, 4, 3))),
    ("no step", rnn, draw((4, 4), 4, (0, 4))),
    ("a stack of matrices", rnn, draw((2, 3, 3), (3, 1), (4, 3, 1))),
    ("rows", rnn_rows, draw((4, 4), 4, (5, 4))),
    ("a batch of rows", rnn_rows, draw((4, 4), (2, 4), (5, 2, 4))),
    ("twice a step", twice, draw((3, 3), 3, (4, 3))),
    ("widening", widening, draw((3, 4)) + ([rng.uniform(-1, 1, (4, k)) for k in (1, 2, 3)],)),
    ("growing", growing, draw((3, 3), 3, (3, 1))),
    ("decaying", decaying, draw((3, 3), 3, (4, 3))),
    ("indexed", indexed, draw((3, 3), 3, (3, 3))),
    ("nested", nested, draw((3, 3), 3, (3, 3))),
]


@pytest.mark.parametrize("name, f, args", CASES, ids=[c[0] for c in CASES])
def test_the_gradient_is_the_sum_of_the_steps(name, f, args):
    nums = tuple(i for i, a in enumerate(args) if type(a) is np.ndarray)
    got = grad(f, argnums=nums)(*args)
    unbatched = grad(f, argnums=nums, optimize=False)(*args)
    for i, g, u in zip(nums, got, unbatched):
        assert np.shape(g) == np.shape(args[i])
        assert_close(g, u, rtol=1e-12, atol=1e-12, what=f"{name}, argument {i}")
        assert_close(g, numeric_grad(f, args, i), what=f"{name}, argument {i}")
    value, also = value_and_grad(f, argnums=nums)(*args)
    assert value == pytest.approx(f(*args))
    for g, a in zip(got, also):
        assert_close(g, a, rtol=0, atol=0)
    out, pullback = vjp(f, *args)
    for g, p in zip(got, [pullback(1.0)[i] for i in nums]):
        assert_close(g, p, rtol=1e-12, atol=1e-12)


def _backward_loop(text):
    """The lines of the last loop of a listing (the backward sweep's)."""
    lines = text.splitlines()
    start = max(k for k, line in enumerate(lines) if line.lstrip().startswith("for "))
    indent = len(lines[start]) - len(lines[start].lstrip())
    body = []
    for line in lines[start + 1:]:
        if len(line) - len(line.lstrip()) <= indent:
            break
        body.append(line)
    return body


@pytest.mark.parametrize("f, helper", [(rnn, "matmul_steps_left"), (rnn_rows, "matmul_steps_right"),
                                       (twice, "matmul_steps_left")])
def test_the_products_of_the_steps_come_after_the_loop(f, helper):
    text = source(f, "grad", argnums=0)
    loop = _backward_loop(text)
    assert not any("matmul_grad" in line for line in loop if "grad_W" in line.split("=")[0]), text
    assert any(".append((" in line for line in loop), text
    assert f"grad_W = grad_W + {helper}(grad_W_steps, W)" in text, text


def test_a_matrix_that_changes_keeps_its_products_in_the_loop():
    text = source(decaying, "grad", argnums=0)
    assert "steps" not in text and "matmul_grad_left" in "\n".join(_backward_loop(text)), text


def test_a_derivative_differentiated_again_sums_step_by_step():
    """The helpers of all steps have no rules: the derivative read again is built without them
    (its listing is the batched one), and its own derivative is right."""
    W, h, xs = CASES[0][2]
    assert "matmul_steps_left" in grad(rnn).__adcompile__.source
    d = grad(rnn)
    assert_close(jacfwd(d)(W, h, xs), numeric_jacobian(d, (W, h, xs), 0))
    hess = jacrev(grad(rnn))(W, h, xs)
    g = grad(rnn)
    E = rng.normal(size=W.shape)
    numeric = (g(W + 1e-6 * E, h, xs) - g(W - 1e-6 * E, h, xs)) / 2e-6
    assert_close(np.tensordot(hess, E, axes=2), numeric)


def _shapes():
    """(matrix, [(g, other), ...]) for each way steps can come: stackable or not."""
    r = np.random.default_rng(1)
    n, m = 3, 4
    yield "vectors", (n, m), [(r.normal(size=n), r.normal(size=m)) for _ in range(5)]
    yield "columns", (n, m), [(r.normal(size=(n, k)), r.normal(size=(m, k))) for k in (1, 2, 3)]
    yield "mixed", (n, m), [(r.normal(size=n), r.normal(size=m)),
                            (r.normal(size=(n, 2)), r.normal(size=(m, 2)))]
    yield "batched", (n, m), [(r.normal(size=(2, n, 3)), r.normal(size=(2, m, 3)))] * 2
    yield "float32", (n, m), [(r.normal(size=n).astype(np.float32), r.normal(size=m))] * 2
    yield "none", (n, m), []


@pytest.mark.parametrize("name, shape, steps", list(_shapes()), ids=[s[0] for s in _shapes()])
def test_the_helpers_are_the_sums_they_replace(name, shape, steps):
    r = np.random.default_rng(2)
    x = r.normal(size=shape)
    left = sum((matmul_grad_left(np.asarray(g), x, y) for g, y in steps), np.zeros(shape))
    assert_close(matmul_steps_left(steps, x), left, rtol=1e-12, atol=1e-12)
    # the same factors as the right-hand side of the product: x.T is the matrix
    rows = [(np.swapaxes(np.asarray(g), -1, -2) if np.ndim(g) > 1 else g,
             np.swapaxes(y, -1, -2) if np.ndim(y) > 1 else y) for g, y in steps]
    right = sum((matmul_grad_right(np.asarray(g), y, x.T) for g, y in rows), np.zeros(shape[::-1]))
    assert_close(matmul_steps_right(rows, x.T), right, rtol=1e-12, atol=1e-12)


def test_no_step_keeps_an_array_that_is_added_into_later():
    """A factor that may be an array scatter_add writes into (a copy of it, a view, what comes
    back from a tape it was pushed on) stays in the loop."""
    from adcompile.batch import _buffers
    from adcompile.ir import Assign, Const, Op, Var
    stmts = [Assign("copy", Var("buf")),
             Assign("view", Op("getitem", (Var("copy"), Const(0)))),
             Assign(None, Op("push", (Var("tape"), Op("tuple", (Var("buf"), Var("x")))))),
             Assign(("a", "b"), Op("pop", (Var("tape"),))),
             Assign("fresh", Op("mul", (Var("buf"), Var("y")))),
             Assign("buf", Op("scatter_add", (Var("buf"), Var("i"), Var("g"))))]
    assert _buffers(stmts) == {"buf", "copy", "view", "tape", "a", "b", "x"}
