"""Complex values and linear algebra met by tester T48: builtin abs of a complex value (its
adjoint's real part), jit(grad) of a real function with complex intermediates (real gradients),
Numba's internal errors as JitErrors, svd at a zero singular value of a square matrix, a wide
svd's message, .conjugate() in a loop differentiated twice, a 2-D display of scalars under jit."""
import math

import numpy as np
import pytest

from adcompile import grad, hessian, jit, jvp, source, value_and_grad
from adcompile.errors import OutsideRuleError
from checks import assert_close, numeric_grad, numeric_jacobian


def z_times_abs(a, b):
    z = complex(a, b)
    return (z * abs(z)).real  # a * |z|


def z_times_abs_1j(a, b):
    z = a + 1j * b
    return (z * abs(z) * (0.5 - 0.2j)).imag


def whiten(x):
    X = np.fft.rfft(x)
    return np.sum(np.fft.irfft(X / (abs(X) + 0.1), len(x)) * np.arange(len(x)))


def abs_of_array(x):
    z = x * np.exp(1j * x)
    return np.sum((z * abs(z)).real)


def math_of_abs(a, b):
    z = complex(a, b) * complex(b, 0.3)
    return math.log(abs(z)) + math.sqrt(abs(z)) + float(abs(z)) * a


def float_abs(x, y):
    return abs(x - y) * y


X4 = np.array([0.6, 0.2, 0.8, -0.3])


@pytest.mark.parametrize("f", [z_times_abs, z_times_abs_1j, math_of_abs])
def test_builtin_abs_of_a_complex_scalar(f):
    # abs's rule g * sign(x) did not take the real part of a complex adjoint g: (2.0, 0.0)
    args = (0.6, 0.8)
    expected = [numeric_grad(f, args, i) for i in (0, 1)]
    assert_close(grad(f, argnums=(0, 1))(*args), expected)
    assert_close(value_and_grad(f, argnums=(0, 1))(*args)[1], expected)
    assert_close(jvp(f, args, (0.3, -0.7))[1], 0.3 * expected[0] - 0.7 * expected[1])


def test_builtin_abs_of_complex_arrays():
    assert_close(grad(whiten)(X4), numeric_grad(whiten, (X4,), 0))
    assert_close(grad(abs_of_array)(X4), numeric_grad(abs_of_array, (X4,), 0))
    h = hessian(abs_of_array)(X4)
    assert_close(h, numeric_jacobian(lambda x: grad(abs_of_array)(x), (X4,), 0), rtol=1e-4)


def test_builtin_abs_of_floats_stays_one_call():
    # the float code of abs gains no helper call (real_part) for the complex case
    text = source(grad(float_abs, argnums=(0, 1)))
    line = next(ln for ln in text.splitlines() if ln.strip().startswith("grad_s0 ="))
    assert "real_part" not in text and line.count("(") == 1, line
    assert grad(float_abs, argnums=(0, 1))(0.3, 0.7) == (-0.7, pytest.approx(1.1))
    assert type(grad(float_abs)(0.3, 0.7)) is float


def squared_real(a, b):
    z = complex(a, b)
    return (z * z).real


def rotated_points(theta, pts):
    z = pts[:, 0] + 1j * pts[:, 1]
    w = z * np.exp(1j * theta)
    return np.sum(w.real ** 2)


PTS = np.array([[1.0, 0.5], [0.2, -0.3]])


def test_jit_grad_of_complex_intermediates_is_real():
    pytest.importorskip("numba")
    # jit's final unbroadcast kept the complex adjoint of a float argument: ((1.2+0.6j), ...)
    g = jit(grad(squared_real, argnums=(0, 1)))(0.6, 0.3)
    assert g == (pytest.approx(1.2), pytest.approx(-0.6))
    assert all(type(v) is float for v in g)
    v, g = jit(value_and_grad(squared_real, argnums=(0, 1)))(0.6, 0.3)
    assert type(g[0]) is float and g[0] == pytest.approx(1.2)
    # complex array intermediates: Numba's typing raised an AttributeError from inside it
    ga, gp = jit(grad(rotated_points, argnums=(0, 1)))(0.4, PTS)
    assert_close(ga, numeric_grad(rotated_points, (0.4, PTS), 0))
    assert_close(gp, numeric_grad(rotated_points, (0.4, PTS), 1))
    assert not np.iscomplexobj(gp)


def exp_sum(x):
    y = np.exp(x)
    return np.sum(y * 2.0)


def test_numba_internal_errors_are_jit_errors(monkeypatch):
    pytest.importorskip("numba")
    from numba.core.typing import npydecl

    from adcompile.jit import JitError

    def broken(self, args, kws):  # as Numba's typing of `+=` failed on complex into float
        raise AttributeError("'NoneType' object has no attribute 'args'")
    monkeypatch.setattr(npydecl.Numpy_rules_ufunc, "generic", broken)
    # an exception of any type raised inside Numba's typing is placed at the user's line
    with pytest.raises(JitError, match=r"Numba failed inside its compiler \(AttributeError") \
            as info:
        jit(exp_sum)(X4)
    assert info.value.line == exp_sum.__code__.co_firstlineno + 1


def null_vector(x):
    A = np.array([[x[0], x[1], x[2]], [x[3], x[4], x[5]], [0.0, 0.0, 0.0]])
    U, S, Vt = np.linalg.svd(A)
    v = Vt[-1] * np.sign(Vt[-1][2])
    return v[0] + 2 * v[1] + np.sum(U[:, 0] * S)


def tall_svd(x):
    U, S, Vt = np.linalg.svd(x, full_matrices=False)
    return np.sum(U[:, 0] * np.array([1.0, 2.0, 3.0])) * np.sign(U[0, 0]) + np.sum(S * Vt[0])


X6 = np.array([1.0, 0.2, -0.3, 0.4, 1.5, 0.7])


def test_svd_of_a_square_matrix_at_a_zero_singular_value():
    # (I - U U^T) / s is 0 / 0 for a square U: NaN gradients where the derivative exists
    with np.errstate(all="raise"):
        g = grad(null_vector)(X6)
        t = jvp(null_vector, (X6,), (X6[::-1],))[1]
    expected = numeric_grad(null_vector, (X6,), 0)
    assert_close(g, expected)
    assert_close(t, expected @ X6[::-1])
    tall = np.array([[1.0, 0.3], [0.2, -0.5], [0.4, 0.9]])
    assert_close(grad(tall_svd)(tall), numeric_grad(tall_svd, (tall,), 0))
    assert_close(grad(lambda a: tall_svd(a.T.T))(tall), numeric_grad(tall_svd, (tall,), 0))


def wide_null(A):
    U, S, Vt = np.linalg.svd(A)
    return Vt[-1][0] * np.sign(Vt[-1][2])


def test_wide_svd_message_says_what_full_matrices_false_drops():
    A = np.array([[1.0, 0.2, -0.3], [0.4, 1.5, 0.7]])
    with pytest.raises(OutsideRuleError, match=r"np\.linalg\.eigh\(A\.T @ A\)") as info:
        grad(wide_null)(A)
    assert "drops" in str(info.value)
    assert info.value.line == wide_null.__code__.co_firstlineno + 1


def conj_in_loop(a):
    z = complex(a, 0.3)
    acc = 0.0
    for k in range(2):
        z = z * z
        acc += (z * z.conjugate()).real
    return acc


def conj_of_float_in_loop(a):
    z = a
    for k in range(2):
        z = z * 1.5
        acc = z.conjugate()
    return acc


def test_conjugate_method_in_a_loop_differentiated_twice():
    # UnboundLocalError of the loop's renamed z in the second-order code: the look-ahead over a
    # loop body put Python's error in the code (fixed by Expressions.probe)
    expected = numeric_grad(lambda a: grad(conj_in_loop)(a), (0.6,), 0, eps=1e-5)
    assert hessian(conj_in_loop)(0.6) == pytest.approx(expected, rel=1e-5)
    assert grad(grad(conj_in_loop))(0.6) == pytest.approx(expected, rel=1e-5)
    assert grad(grad(conj_of_float_in_loop))(0.6) == 0.0
    assert grad(conj_of_float_in_loop)(0.6) == pytest.approx(2.25)


def rotation_trace(a):
    c, s = np.cos(a), np.sin(a)
    R = np.array([[c, -s], [s, c]])
    return np.trace(R @ R)


def rotation_rows(a, p):
    R = np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])
    return np.sum((R @ p) ** 2 * np.array([1.0, 2.0, 3.0]))


def test_jit_two_dimensional_display_of_scalars():
    pytest.importorskip("numba")
    pytest.importorskip("scipy")  # (R @ p: Numba's matrix products need SciPy's BLAS)
    assert jit(rotation_trace)(0.3) == pytest.approx(rotation_trace(0.3))
    assert jit(grad(rotation_trace))(0.3) == pytest.approx(grad(rotation_trace)(0.3))
    p = np.array([0.3, -1.0, 0.5])
    assert jit(rotation_rows)(0.4, p) == pytest.approx(rotation_rows(0.4, p))
    assert_close(jit(grad(rotation_rows, argnums=(0, 1)))(0.4, p)[1],
                 numeric_grad(rotation_rows, (0.4, p), 1))
    assert jit(grad(rotation_rows))(0.4, p) == pytest.approx(
        numeric_grad(rotation_rows, (0.4, p), 0))
