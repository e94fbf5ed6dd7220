"""adcompile.jit against Python (tester T41, ML from scratch): 2-D boolean masks, matrix norms by
name, a gradient taken inside a loop, adcompile's own softmax/log_softmax, astype and item, and
the message of a name first bound in a loop. Skipped without Numba."""
import numpy as np
import pytest

from adcompile import grad, jit, log_softmax, softmax
from adcompile.jit import JitError
from checks import numeric_grad

numba = pytest.importorskip("numba")

X2 = np.array([[0.1, 0.2], [0.3, -0.4]])
MASK = np.array([[False, True], [False, False]])


def line_of(f, text):
    """The line of `f`'s file holding `text`."""
    import inspect
    lines, first = inspect.getsourcelines(f)
    return first + next(k for k, s in enumerate(lines) if text in s)


def masked_number(x, mask):
    h = np.tanh(x)
    h[mask] = 0.0  # dropout-style masking of a 2-D activation
    return np.sum(h ** 2)


def masked_values(x, mask, v):
    h = np.tanh(x)
    h[mask] = v * 3.0
    return np.sum(h ** 2)


def test_2d_mask_assignment():
    """Numba's setitem takes 1-D masks only (a bare AssertionError in its lowering): the masked
    write and its adjoint (zeros where the number went) go through the flat views."""
    mask = np.array([[False, True], [True, False]])
    for m in (MASK, mask):
        assert np.allclose(jit(masked_number)(X2, m), masked_number(X2, m))
        got = jit(grad(masked_number))(X2, m)
        assert np.allclose(got, grad(masked_number)(X2, m))
        assert np.allclose(got, numeric_grad(masked_number, [X2, m], 0), atol=1e-6)
    with pytest.raises(IndexError):  # (a mask of another shape, as NumPy)
        jit(masked_number)(X2, np.ones((2, 3), bool))
    v = np.array([0.5, -1.5])
    assert np.allclose(jit(masked_values)(X2, mask, v), masked_values(X2, mask, v))
    with pytest.raises(JitError, match=r"boolean mask of one axis") as info:  # reads g[mask]
        jit(grad(masked_values, argnums=(0, 2)))(X2, mask, v)
    assert info.value.line == line_of(masked_values, "[mask] =")


def masked_read(x, mask):
    return np.sum(np.tanh(x)[mask] ** 2)


def test_2d_mask_read_refused_at_its_line():
    """`x[mask]` with a 2-D mask: Numba's lowering asserts; a JitError at the user's line that
    says what to write instead."""
    for f in (masked_read, grad(masked_read)):
        with pytest.raises(JitError, match=r"ravel\(\)") as info:
            jit(f)(X2, MASK)
        assert info.value.filename == __file__
        assert info.value.line == line_of(masked_read, "[mask]")


def masked_read_flat(x, mask):
    return np.sum(np.tanh(x).ravel()[mask.ravel()] ** 2)


def test_2d_mask_read_as_advised():
    assert np.isclose(jit(masked_read_flat)(X2, MASK), masked_read(X2, MASK))
    assert np.allclose(jit(grad(masked_read_flat))(X2, MASK), grad(masked_read)(X2, MASK))


W = np.array([[1.0, 2.0], [3.0, -1.0]])
NORMS = {
    "fro": lambda w: np.linalg.norm(w, "fro") ** 3,
    "fro_kw": lambda w: np.linalg.norm(w, ord="fro") * 2.0,
    "nuc": lambda w: np.linalg.norm(w, "nuc") * 2.0,
    "2": lambda w: np.linalg.norm(w, 2) * 2.0,
    "-2": lambda w: np.linalg.norm(w, -2) * 2.0,
    "1": lambda w: np.linalg.norm(w, 1) * 2.0,
    "inf": lambda w: np.linalg.norm(w, np.inf) * 2.0,
    "axis0": lambda w: np.sum(np.linalg.norm(w, axis=0)),
    "axis1_ord1": lambda w: np.sum(np.linalg.norm(w, 1, axis=1)),
    "axes": lambda w: np.linalg.norm(w, "fro", axis=(0, 1)),
}


@pytest.mark.parametrize("name", sorted(NORMS))
def test_matrix_norms_right_or_refused_at_their_line(name):
    """np.linalg.norm(W, "fro") compiled, then Numba raised 'Invalid norm order for matrices' at
    run time. Each matrix norm: Python's value, or a JitError at the user's line."""
    pytest.importorskip("scipy")  # (Numba's matrix products need SciPy's BLAS)
    f = NORMS[name]
    for compiled, plain in ((lambda: jit(f), f), (lambda: jit(grad(f)), grad(f))):
        try:
            got = compiled()(W)
        except JitError as e:
            assert e.filename == __file__ and e.line == f.__code__.co_firstlineno, e
            assert name not in ("fro", "fro_kw", "nuc") or plain is not f, e
            continue
        assert np.allclose(got, plain(W))
    if name in ("fro", "fro_kw"):  # the derivative compiles too
        assert np.allclose(jit(grad(f))(W), numeric_grad(f, [W], 0), atol=1e-5)


def test_norm_by_name_of_a_vector_raises_as_numpy():
    f = NORMS["fro"]
    with pytest.raises(ValueError):
        f(np.array([1.0, 2.0]))
    with pytest.raises((ValueError, JitError)):
        jit(f)(np.array([1.0, 2.0]))


def loss(w, X, y):
    return np.mean((np.tanh(X @ w) - y) ** 2)


def outer(lr, w, X, y):
    g = grad(loss)
    for _ in range(3):
        w = w - lr * g(w, X, y)
    return loss(w, X, y)


def test_gradient_taken_in_a_loop():
    """The inlined inner gradient's `type(x) is float` tests were kept in a loop (a flag assigned
    in a block counted twice), and Numba cannot compile type()."""
    pytest.importorskip("scipy")  # (Numba's matrix products need SciPy's BLAS)
    X = np.array([[1.0, 0.5], [0.2, -1.0], [0.3, 0.3]])
    y = np.array([0.1, -0.2, 0.4])
    w = np.array([0.3, -0.2])
    for argnums in (0, 1):
        want = grad(outer, argnums=argnums)(0.1, w, X, y)
        assert np.allclose(jit(grad(outer, argnums=argnums))(0.1, w, X, y), want)
        assert np.allclose(want, numeric_grad(outer, [0.1, w, X, y], argnums), atol=1e-6)


def own_log_softmax(W, x):
    return -log_softmax(W @ x)[0]


def own_softmax(W, x):
    return np.sum(softmax(W, axis=0) * x) + softmax(W * x, axis=1)[0, 1] + \
        log_softmax(W, axis=0)[1, 0]


def own_astype(W, x):
    return np.sum((x > 0).astype(float) * x ** 2) + np.sum(W.astype(np.float64) ** 2)


def own_item(W, x):
    return (W @ x)[1:2].item() * np.sum(x) + x[None, 0].item()


@pytest.mark.parametrize("f", [own_log_softmax, own_softmax, own_astype, own_item])
def test_own_primitives(f):
    """adcompile's softmax and log_softmax, x.astype(float) and x.item() were refused as 'the
    global log_softmax' (an untyped global of the user's): they have Numba versions now."""
    pytest.importorskip("scipy")  # (Numba's matrix products need SciPy's BLAS)
    Wm, x = np.array([[1.0, 2.0], [0.5, -1.0]]), np.array([0.3, -0.7])
    assert np.isclose(jit(f)(Wm, x), f(Wm, x))
    for argnums in (0, 1):
        got = jit(grad(f, argnums=argnums))(Wm, x)
        assert np.allclose(got, grad(f, argnums=argnums)(Wm, x))
        assert np.allclose(got, numeric_grad(f, [Wm, x], argnums), atol=1e-6)


def own_softmax_of_a_number(x):
    return softmax(np.sum(x) * 2.0)


def test_own_primitive_without_numba_version_says_so():
    with pytest.raises(JitError, match="adcompile's `softmax`") as info:
        jit(own_softmax_of_a_number)(np.array([0.3, -0.7]))
    assert info.value.line == line_of(own_softmax_of_a_number, "softmax(")


def power(W, u):
    for _ in range(3):
        v = W.T @ u
        v = v / np.linalg.norm(v)
        u = W @ v
        u = u / np.linalg.norm(u)
    return u @ W @ v


def test_name_first_bound_in_a_loop_message():
    """`v` bound only in the loop body and read after it: the number Numba saw is adcompile's
    placeholder for 'not bound yet', not the user's; the message says so and what to write."""
    pytest.importorskip("scipy")  # (Numba's matrix products need SciPy's BLAS)
    Wm, u = np.array([[2.0, 0.3], [0.1, 1.0]]), np.array([1.0, 0.5])
    for f in (power, grad(power)):
        with pytest.raises(JitError) as info:
            jit(f)(Wm, u)
        message = str(info.value)
        assert "is a number" not in message, message
        assert "`v`" in message and "before the loop" in message, message
        assert info.value.filename == __file__
        assert info.value.line == line_of(power, "for _ in")


def typed(x, n):
    if type(n) is float:  # the user's own test of type()
        return x * n
    return x + n


def test_users_type_test_refused_at_its_line():
    """`type(n) is float` of the user's was folded to False as the generated fast-path tests are
    (Numba's float64 is a Python float and a NumPy one alike): jit gave x + n, silently."""
    assert typed(2.0, 3.0) == 6.0
    for f in (typed, grad(typed)):
        with pytest.raises(JitError, match="cannot tell a Python float") as info:
            jit(f)(2.0, 3.0)
        assert info.value.line == line_of(typed, "type(n)")


def normalized_rows(W):
    return np.sum(W / np.sum(W ** 2, axis=1, keepdims=True) + np.mean(W, axis=0, keepdims=True))


def test_reductions_kept_along_an_axis():
    """np.sum/np.mean(x, axis=k, keepdims=True) (softmax's rules write them; Numba has no
    keepdims)."""
    assert np.isclose(jit(normalized_rows)(W), normalized_rows(W))
    got = jit(grad(normalized_rows))(W)
    assert np.allclose(got, grad(normalized_rows)(W))
    assert np.allclose(got, numeric_grad(normalized_rows, [W], 0), atol=1e-5)
