"""Finite differences and the dot-product test, shared by the tests."""
import numpy as np


def numeric_grad(f, args, i, eps=1e-6):
    """Central differences of the scalar f with respect to argument i."""
    x = args[i]
    if np.ndim(x) == 0:
        hi, lo = list(args), list(args)
        hi[i], lo[i] = x + eps, x - eps
        return (f(*hi) - f(*lo)) / (2 * eps)
    g = np.zeros_like(x, dtype=float)
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x, dtype=float)
        step[idx] = eps
        hi, lo = list(args), list(args)
        hi[i], lo[i] = x + step, x - step
        g[idx] = (f(*hi) - f(*lo)) / (2 * eps)
    return g


def numeric_jacobian(f, args, i, eps=1e-6):
    """Central differences of the array-valued f with respect to argument i (an array):
    shape f's shape + the argument's."""
    x = np.asarray(args[i], dtype=float)
    columns = []
    for idx in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[idx] = eps
        hi, lo = list(args), list(args)
        hi[i], lo[i] = x + step, x - step
        columns.append((np.asarray(f(*hi)) - np.asarray(f(*lo))) / (2 * eps))
    out = np.stack(columns, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


def directional(f, args, direction, eps=1e-6):
    hi = [a + eps * d for a, d in zip(args, direction)]
    lo = [a - eps * d for a, d in zip(args, direction)]
    return (np.asarray(f(*hi)) - np.asarray(f(*lo))) / (2 * eps)


def assert_close(actual, expected, rtol=1e-5, atol=1e-6, what=""):
    actual, expected = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


def inner(a, b):
    """<a, b> over pairs of arrays; a None (the gradient of an int argument) counts as zero."""
    return float(sum(np.sum(np.asarray(x) * np.asarray(y)) for x, y in zip(a, b)
                     if x is not None and y is not None))


def check_complex_direction(f, z, u, rtol=1e-6, atol=0.0, eps=1e-6):
    """The derivative of the real f at the complex z along the complex direction u, by central
    differences, against jvp and against grad paired as re(sum(grad * u)) (JAX's convention:
    grad is d f / d re(z) - 1j d f / d im(z))."""
    from adcompile import grad, jvp
    numeric = (f(z + eps * u) - f(z - eps * u)) / (2 * eps)
    np.testing.assert_allclose(jvp(f, (z,), (u,))[1], numeric, rtol=rtol, atol=atol)
    np.testing.assert_allclose(np.real(np.sum(grad(f)(z) * u)), numeric, rtol=rtol, atol=atol)


def check_refused_at_its_line(f, x, error):
    """grad and jvp of the one-line def `f` at `x` raise `error`, placed at f's line."""
    import pytest
    from adcompile import grad, jvp
    for mode in (lambda: grad(f)(x), lambda: jvp(f, (x,), (x,))):
        with pytest.raises(error) as info:
            mode()
        assert info.value.filename == f.__code__.co_filename
        assert info.value.line == f.__code__.co_firstlineno


_JITTED: dict = {}


def jitted(f, argnums=0):
    """adcompile.jit(grad(f)), compiled once per test session (Numba compiles are slow)."""
    from adcompile import grad, jit
    if (f, argnums) not in _JITTED:
        _JITTED[f, argnums] = jit(grad(f, argnums=argnums))
    return _JITTED[f, argnums]


def agree(f, *args, argnums=0, tol=1e-6):
    """jit(grad(f)) equals grad(f) (to rounding) and central differences; skipped without
    Numba."""
    import pytest
    from adcompile import grad
    pytest.importorskip("numba")
    want = grad(f, argnums=argnums)(*args)
    got = jitted(f, argnums)(*args)
    numbers = argnums if type(argnums) is tuple else (argnums,)
    if type(argnums) is not tuple:
        want, got = (want,), (got,)
    for k, w, g in zip(numbers, want, got):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(g, numeric_grad(f, args, k), rtol=tol, atol=tol)
