"""jit gaps fixed by fixjit41: honest refusals under adcompile.jit that hit common code, now
compiled and compared with grad's to 1e-12 (and finite differences): the gradients of
np.linalg.eigh, svd, qr and lstsq (their helpers' Numba versions, the gradient of the tuple
they return), each check of those helpers still raising the error plain grad raises."""
import numpy as np
import pytest

from adcompile import grad, jit, vjp
from adcompile.errors import OutsideRuleError
from checks import agree

pytest.importorskip("numba")
pytest.importorskip("scipy")  # (Numba's matrix products and linalg call SciPy's BLAS, LAPACK)


# -- 1. np.linalg.eigh, svd, qr, lstsq -------------------------------------------------------------

def golub_welsch(a):
    """Gauss nodes and weights of a Jacobi matrix of diagonal a (Hermite's off-diagonal)."""
    n = a.shape[0]
    off = np.sqrt(np.arange(1, n) / 2.0)
    J = np.diag(a) + np.diag(off, 1) + np.diag(off, -1)
    nodes, vectors = np.linalg.eigh(J)
    weights = vectors[0, :] ** 2
    return np.sum(nodes ** 2 * weights) + np.sum(weights * np.sin(nodes))


def eigh_loss(a):
    w, v = np.linalg.eigh(a + a.T)
    return np.sum(w * np.sin(w)) + np.sum(v[:, 0] ** 4)


def svd_loss(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.sum(s ** 2) + np.sum(u[:, 0] ** 4) + np.sum(vh[0] ** 4)


def qr_loss(a):
    q, r = np.linalg.qr(a)
    return np.sum(r ** 2 * np.arange(r.shape[1])) + np.sum(q[:, 0] ** 3)


def gauss_newton(p):
    t = np.linspace(0, 1, 6)
    y = np.exp(-0.7 * t) + 0.1 * t
    for _ in range(2):
        r = p[0] * np.exp(p[1] * t) - y
        J = np.stack([np.exp(p[1] * t), p[0] * t * np.exp(p[1] * t)], axis=1)
        step, res, rank, sv = np.linalg.lstsq(J, -r, rcond=None)
        p = p + step
    return np.sum(p ** 2)


_RNG = np.random.default_rng(41)


@pytest.mark.parametrize("f, x", [
    (golub_welsch, np.array([0.1, 0.5, -0.3, 0.9])),
    (eigh_loss, _RNG.standard_normal((3, 3))),
    (svd_loss, _RNG.standard_normal((4, 3))),
    (qr_loss, _RNG.standard_normal((4, 3))),
    (gauss_newton, np.array([1.0, -0.5])),
], ids=lambda v: getattr(v, "__name__", ""))
def test_linalg_gradients_compile(f, x):
    agree(f, x, tol=1e-5)


def svd_full(a):  # (full_matrices=True of a matrix not square: no derivative)
    u, s, vh = np.linalg.svd(a)
    return np.sum(u[:, 0] ** 4) + np.sum(s)


def lstsq_of(a):
    x, res, rank, sv = np.linalg.lstsq(a, np.ones(4), rcond=None)
    return np.sum(x ** 2)


def complex_svd(a):
    u, s, vh = np.linalg.svd(a * (1.0 + 0.5j), full_matrices=False)
    return np.sum(s)


@pytest.mark.parametrize("f, x, said", [
    (svd_full, _RNG.standard_normal((4, 3)), "full_matrices=False"),
    (lstsq_of, np.outer(_RNG.standard_normal(4), _RNG.standard_normal(3)), "without full rank"),
    (complex_svd, _RNG.standard_normal((3, 3)), "real values only"),
    (eigh_loss, np.eye(3), "repeated eigenvalue"),
], ids=["svd_full", "lstsq_rank_drop", "complex", "eigh_repeated"])
def test_linalg_checks_raise_as_in_python(f, x, said):
    with pytest.raises(OutsideRuleError, match=said) as want:
        grad(f)(x)
    with pytest.raises(OutsideRuleError, match=said) as got:
        jit(grad(f))(x)
    assert str(got.value) == str(want.value)  # (the same words, at the same line)


# -- 2. np.clip of a number --------------------------------------------------------------------

def damped_newton(x):  # (the cube root of 2, steps clipped to [-0.5, 0.5])
    y = x
    for _ in range(3):
        dx = -(y ** 3 - 2.0) / (3 * y ** 2)
        y = y + float(np.clip(dx, -0.5, 0.5))
    return y * x + float(np.clip(x, None, 0.9)) ** 2


@pytest.mark.parametrize("x", [1.3, 0.7])  # (0.7: the first steps clipped)
def test_clip_of_a_number(x):
    agree(damped_newton, x, tol=1e-5)


# -- 4. np.hstack of numbers and vectors ---------------------------------------------------------

def chebyshev_d(x):
    """Trefethen's Chebyshev differentiation matrix of the nodes x, its squared entries summed."""
    N = x.shape[0] - 1
    c = np.hstack([2.0, np.ones(N - 1), 2.0]) * (-1.0) ** np.arange(N + 1)
    X = np.tile(x, (N + 1, 1)).T
    dX = X - X.T
    D = np.outer(c, 1.0 / c) / (dX + np.eye(N + 1))
    D = D - np.diag(np.sum(D, axis=1))
    return np.sum(D ** 2)


def padded(x):  # (the numbers differentiated too)
    v = np.hstack([x[0], x, 2.0 * x[1], 1])
    return np.sum(v ** 3)


@pytest.mark.parametrize("f", [chebyshev_d, padded], ids=lambda f: f.__name__)
def test_hstack_of_numbers_and_vectors(f):
    x = np.cos(np.pi * np.arange(5) / 4) + 0.01 * np.arange(5)
    agree(f, x, tol=1e-4)


# -- 5. jit(grad(f)) where f calls the pullback of vjp(h), h a while loop (T53 §9) ----------------

def _stepped(y):
    s = y
    n = 0
    while n < 4:
        s = s * 1.1 + np.cos(s)
        n += 1
    return s


def pulled_back(x):  # (the pullback's tape, a list of numbers, popped as `stack[:-1]`)
    out, pb = vjp(_stepped, x)
    return pb(x)[0]


def pulled_back_arrays(x):  # (a tape of arrays)
    out, pb = vjp(_stepped, x)
    return np.sum(pb(x)[0])


@pytest.mark.parametrize("f, x", [(pulled_back, 0.4),
                                  (pulled_back_arrays, np.array([0.4, 0.3]))],
                         ids=["numbers", "arrays"])
def test_pullback_of_a_while_loop(f, x):
    agree(f, x, tol=1e-6)


# -- 3. a matrix held as a list of lists, written A[i][j] = v ------------------------------------

def list_matrix(x):
    n = 3
    A = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(n):
            A[i][j] = x[i] * x[j] + (i == j)
    s = 0.0
    for i in range(n):
        for j in range(n):
            s = s + A[i][j] ** 2 * (j + 1)
    return s


def test_list_of_lists_matrix():
    agree(list_matrix, np.array([0.3, -0.7, 1.1]))
