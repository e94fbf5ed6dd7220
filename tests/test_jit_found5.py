"""jit gaps found by testers T49/T50: Numba versions of runtime helpers (np.diag's gradient, the
Cholesky gradient's sym and phi, cho_factor's triangles, np.stack of a list, np.imag) and the
words of jit's refusals."""
import numpy as np
import pytest

from checks import agree, jitted
from adcompile import grad

pytest.importorskip("numba")

SPD = np.array([[2.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.5]])


def gp_logdet(B):  # (A symmetric by construction: central differences see the same function)
    A = B @ B.T + np.eye(3)
    L = np.linalg.cholesky(A)
    return np.sum(np.log(np.diag(L)))


def chol_square(B):
    A = B @ B.T + np.eye(3)
    return np.sum(np.linalg.cholesky(A) ** 2 * np.arange(1.0, 10.0).reshape(3, 3))


def diag_of_vector(x):
    return np.sum(np.diag(x, 1) @ np.arange(1.0, 5.0))


def imag_of(x):
    return np.sum(np.imag(x * (1.0 + 2.0j)) ** 2)


def test_the_cholesky_log_det_of_a_gp_compiles():
    pytest.importorskip("scipy")  # (np.linalg under Numba needs SciPy's LAPACK)
    agree(gp_logdet, SPD)
    A = SPD @ SPD.T + np.eye(3)  # (d/dB of log det(A) / 2 is A^-1 B)
    np.testing.assert_allclose(jitted(gp_logdet)(SPD), np.linalg.inv(A) @ SPD, atol=1e-10)


def test_the_cholesky_gradient_compiles():
    pytest.importorskip("scipy")
    agree(chol_square, SPD)


def test_diag_of_a_vector_and_imag_compile():
    pytest.importorskip("scipy")
    agree(diag_of_vector, np.array([1.0, -2.0, 0.5]))
    agree(imag_of, np.array([1.0, -2.0, 0.5]))


def stack_list(xs):
    return np.sum(np.stack(xs) ** 2 * np.arange(1.0, 4.0))


def array_of_numbers(x, n):
    vals = [x[0]]
    for i in range(n):
        vals.append(x[1] * i)
    return np.sum(np.array(vals) ** 2)


def test_np_stack_of_a_list_compiles():
    xs = [np.array([1.0, 2.0, 3.0]), np.array([-1.0, 0.5, 2.0])]
    for g, w in zip(jitted(stack_list)(xs), grad(stack_list)(xs)):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    agree(array_of_numbers, np.array([1.5, -2.0]), 3)
