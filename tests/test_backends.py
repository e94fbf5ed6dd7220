"""Generated code on other array libraries, through NumPy's protocols.

CuPy refuses any NumPy array, even a 0-d one, that meets its arrays (`TypeError: Unsupported type
<class 'numpy.ndarray'>`). `Strict` does the same on the CPU: a NumPy subclass whose operations
raise when a plain NumPy array meets it, and whose reductions give 0-d arrays as CuPy's do (not
NumPy scalars). Generated code that runs on it never mixes NumPy constants into the user's
arrays. The CuPy tests run where CuPy finds a GPU and skip elsewhere.
"""
import numpy as np
import pytest
from backend_cases import cases

from adcompile import grad, jvp, value_and_grad


class Strict(np.ndarray):
    """An array that, like CuPy's, takes Python and NumPy scalars but no NumPy array."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        _refuse_numpy(inputs + kwargs.get("out", ()), ufunc.__name__)
        kwargs = {k: _plain(v) for k, v in kwargs.items()}
        return _strict(getattr(ufunc, method)(*_plain(inputs), **kwargs))

    def __array_function__(self, func, types, args, kwargs):
        _refuse_numpy((args, kwargs), func.__name__)
        return _strict(func(*_plain(args), **_plain(kwargs)))

    def __getitem__(self, index):
        return _strict(np.ndarray.__getitem__(self.view(np.ndarray), index))


def _refuse_numpy(values, where):
    for v in values:
        if type(v) is np.ndarray:
            raise TypeError(f"Unsupported type {type(v)} in {where}")
        if type(v) in (list, tuple):
            _refuse_numpy(v, where)
        elif type(v) is dict:
            _refuse_numpy(v.values(), where)


def _plain(v):
    if isinstance(v, Strict):
        return v.view(np.ndarray)
    if type(v) in (list, tuple):
        return type(v)(_plain(e) for e in v)
    if type(v) is dict:
        return {k: _plain(e) for k, e in v.items()}
    return v


def _strict(v):
    if isinstance(v, (np.ndarray, np.generic)):
        return np.asarray(v).view(Strict)
    if isinstance(v, tuple) and hasattr(v, "_fields"):  # np.linalg.svd's and eigh's results
        return type(v)(*map(_strict, v))
    if type(v) in (list, tuple):
        return type(v)(_strict(e) for e in v)
    return v


def strict(a):
    return np.asarray(a).view(Strict)


def test_strict_refuses_numpy_arrays_as_cupy_does():
    x = strict([1.0, 2.0])
    with pytest.raises(TypeError, match="Unsupported type"):
        x * np.asarray(2.0)
    assert type(x * np.float32(2.0)) is Strict and type(np.sum(x)) is Strict


CASES = cases()


@pytest.mark.parametrize("name, f, args, argnums", CASES, ids=[c[0] for c in CASES])
def test_strict_arrays_in_every_mode(name, f, args, argnums):
    want_value, want = value_and_grad(f, argnums=argnums)(*args)
    value, got = value_and_grad(f, argnums=argnums)(*map(strict, args))
    got_grad = grad(f, argnums=argnums)(*map(strict, args))
    for g in (got, got_grad):
        for a, b in zip(np.atleast_1d(g) if argnums == 0 else g,
                        np.atleast_1d(want) if argnums == 0 else want):
            assert type(a) is Strict
            np.testing.assert_allclose(a.view(np.ndarray), b, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(value.view(np.ndarray)), want_value, rtol=1e-12)
    tangents = tuple(np.ones_like(a) for a in args)
    _, want_t = jvp(f, args, tangents)
    _, t = jvp(f, tuple(map(strict, args)), tuple(map(strict, tangents)))
    assert type(t) is Strict
    np.testing.assert_allclose(t.view(np.ndarray), want_t, rtol=1e-12)


def _cupy():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            pytest.skip("CuPy finds no GPU")
    except Exception as e:  # no driver, no device
        pytest.skip(f"CuPy finds no GPU: {e}")
    return cupy


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, f, args, argnums", CASES, ids=[c[0] for c in CASES])
def test_cupy_in_every_mode(name, f, args, argnums, dtype):
    cp = _cupy()
    args = tuple(a.astype(dtype) for a in args)
    want_value, want = value_and_grad(f, argnums=argnums)(*args)
    value, got = value_and_grad(f, argnums=argnums)(*map(cp.asarray, args))
    tol = 1e-4 if dtype == np.float32 else 1e-10
    for a, b in zip([got] if argnums == 0 else got, [want] if argnums == 0 else want):
        assert type(a) is cp.ndarray and a.dtype == dtype
        np.testing.assert_allclose(cp.asnumpy(a), b, rtol=tol, atol=tol)
    np.testing.assert_allclose(float(value), want_value, rtol=tol)
    tangents = tuple(np.ones_like(a) for a in args)
    _, want_t = jvp(f, args, tangents)
    _, t = jvp(f, tuple(map(cp.asarray, args)), tuple(map(cp.asarray, tangents)))
    assert type(t) is cp.ndarray and t.dtype == dtype
    np.testing.assert_allclose(float(t), want_t, rtol=tol)


def trace(A):
    return np.trace(A) * 2.0 + np.sum(np.diagonal(A, 1) ** 2)


def eigen(A):
    return np.sum(np.linalg.eigvalsh(A + A.T) ** 2) + np.sum(np.linalg.svd(A)[1])


def repeat(A):
    return np.sum(np.repeat(A, 2, axis=0) ** 2) + np.sum(np.gradient(A, axis=0) ** 2)


def einsum(A):
    return np.einsum("ii->", A) + np.sum(np.einsum("ij->i", A) ** 2)


@pytest.mark.parametrize("f", [trace, eigen, repeat, einsum])
def test_strict_arrays_through_rules_that_build_arrays(f):
    """Rules whose gradients build arrays (an identity, zeros to add into) build them with the
    input's library (`like=`, `zeros_like`), not as NumPy constants."""
    A = np.array([[2.0, 0.3, 0.1], [0.2, 1.5, 0.4], [0.1, 0.3, 1.8]])
    got = grad(f)(strict(A))
    assert type(got) is Strict
    np.testing.assert_allclose(got.view(np.ndarray), grad(f)(A), rtol=1e-12)
