"""Slices whose bounds are computed (`x[i:i + 3]`, `u[1:n - 1]`, `img[i:i + kh, j:j + kw]`):
sliding windows, stencils, convolutions and prefixes, read and assigned, in both modes and at
order 2 (they were refused: "a slice with computed bounds")."""
import numpy as np
import pytest

from adcompile import grad, hessian, jacfwd, jvp, source
from checks import numeric_grad

R = np.random.default_rng(7)


def window_sums(x, k):
    s = 0.0
    for i in range(len(x) - 2):
        s = s + np.sum(x[i:i + 3] * k) ** 2
    return s


def stencil(u):
    n = u.shape[0]
    for _ in range(3):
        u = u.copy()
        u[1:n - 1] = u[1:n - 1] + 0.1 * (u[2:] - 2 * u[1:n - 1] + u[:n - 2])
    return np.sum(u ** 3)


def conv2d(img, w):
    kh, kw = w.shape
    out = 0.0
    for i in range(img.shape[0] - kh + 1):
        for j in range(img.shape[1] - kw + 1):
            out = out + np.tanh(np.sum(img[i:i + kh, j:j + kw] * w))
    return out


def prefix_and_stride(x, m):
    return np.sum(x[:m] ** 2) + np.sum(np.sin(x[m::2])) + np.sum(x[-m:] * x[:m])


def max_pool(x):
    half = len(x) // 2
    pairs = x[:2 * half].reshape(half, 2)
    return np.sum(np.max(pairs, axis=1) ** 2)


def reversed_window(x, i):
    return np.sum(x[i + 2:i - 1 if i > 0 else None:-1] * np.arange(3.0))


def running_assign(x):
    y = np.zeros(len(x) + 2)
    for i in range(len(x)):
        y[i:i + 3] = y[i:i + 3] + x[i] * np.array([0.25, 0.5, 0.25])
    return np.sum(y ** 2)


CASES = [
    (window_sums, (R.normal(size=6), R.normal(size=3))),
    (stencil, (R.normal(size=7),)),
    (conv2d, (R.normal(size=(4, 5)), R.normal(size=(2, 3)) * 0.5)),
    (prefix_and_stride, (R.normal(size=7), 3)),
    (max_pool, (R.permutation(7) * 0.3 + 0.1,)),
    (reversed_window, (R.normal(size=6), 2)),
    (reversed_window, (R.normal(size=6), 0)),
    (running_assign, (R.normal(size=5),)),
]


@pytest.mark.parametrize("f, args", CASES, ids=[f.__name__ for f, _ in CASES])
def test_computed_slices_against_finite_differences(f, args):
    for i in (i for i, a in enumerate(args) if isinstance(a, np.ndarray)):
        g = grad(f, i)(*args)
        np.testing.assert_allclose(g, numeric_grad(f, args, i), rtol=1e-5, atol=1e-7)
        u = R.normal(size=args[i].shape)
        tangents = tuple(u if k == i else 0 * np.asarray(a) for k, a in enumerate(args))
        if len(args) == 1 or i == 0 and not isinstance(args[1], int):
            assert jvp(f, args, tangents)[1] == pytest.approx(np.sum(g * u), rel=1e-9)
        np.testing.assert_allclose(jacfwd(grad(f, i), i)(*args),
                                   numeric_jacobian_of_grad(f, args, i), rtol=1e-4, atol=1e-6)


def numeric_jacobian_of_grad(f, args, i, eps=1e-5):
    x = args[i]
    rows = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = eps
        hi, lo = list(args), list(args)
        hi[i], lo[i] = x + step.reshape(x.shape), x - step.reshape(x.shape)
        rows.append(((grad(f, i)(*hi) - grad(f, i)(*lo)) / (2 * eps)).ravel())
    return np.array(rows).T.reshape(x.shape + x.shape)


def test_the_listing_writes_the_slice_as_the_user_did():
    text = source(grad(window_sums, 1))
    assert "x[i:i + 3]" in text and "slice(" not in text


def test_forward_and_second_order_of_a_stencil():
    u = R.normal(size=6)
    h = hessian(stencil)(u)
    np.testing.assert_allclose(h, h.T, rtol=1e-10)
    np.testing.assert_allclose(jacfwd(grad(stencil))(u), h, rtol=1e-10)
    _, dy = jvp(stencil, (u,), (np.ones(6),))
    assert dy == pytest.approx(np.sum(grad(stencil)(u)), rel=1e-12)
