"""jit gaps found by testers T49/T50: Numba versions of runtime helpers (np.diag's gradient, the
Cholesky gradient's sym and phi, cho_factor's triangles, np.stack of a list, np.imag) and the
words of jit's refusals."""
import numpy as np
import pytest

try:
    import scipy.special
    import scipy.stats
except ImportError:  # (the tests that call them skip)
    scipy = None

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


def _refusal(f, *args):
    from adcompile import JitError, jit
    with pytest.raises(JitError) as e:
        jit(grad(f))(*args)
    return str(e.value)


def payoff_squares(S, K, n):
    vals = [max(S - K * j, 0.0) for j in range(n)]
    t = 0.0
    for i in range(n):
        t = t + vals[i] * vals[i]
    return t


def test_a_list_comprehension_compiles():
    """Refused with the comprehension named before stop 40; its appends are in place under jit
    now (jit_forms.appends_in_place), and a list of arrays is stacked by stack_rows."""
    from adcompile import jit
    assert jit(grad(payoff_squares))(3.0, 1.0, 3) == pytest.approx(
        grad(payoff_squares)(3.0, 1.0, 3), rel=1e-12)
    x = np.arange(4.0)
    np.testing.assert_allclose(jit(grad(windows_stacked))(x, 3), grad(windows_stacked)(x, 3),
                               rtol=1e-12)


def windows_stacked(x, n):
    rows = [x[i:i + 2] for i in range(n)]
    return np.sum(np.stack(rows) ** 2)


def append_in_if(x, n):
    L = []
    if x > 0:
        L.append(x * 2.0)
    return x + sum(L)


def test_a_list_appended_under_an_if_is_not_called_a_comprehension():
    text = _refusal(append_in_if, 1.5, 3)
    assert "comprehension builds" not in text and "`L = []`" in text


def growing_tuple(x, n):
    t = ()
    for i in range(n):
        t += (x * i,)
    return sum(t)


def test_a_growing_tuple_is_said_to_change_length():
    text = _refusal(growing_tuple, 1.5, 3)
    assert "a tuple at one point and a tuple at another" not in text
    assert "a tuple of 0 and of 1 items" in text


def black_scholes_call(S):
    return S * scipy.stats.norm.cdf(S - 1.0)


def with_ndtr(S):
    return S * scipy.special.ndtr(S - 1.0)


def with_default_rng(mu):
    rng = np.random.default_rng(0)
    return mu * np.sum(rng.normal(size=3))


def test_scipy_and_default_rng_are_named_in_adcompiles_words():
    pytest.importorskip("scipy")
    text = _refusal(black_scholes_call, 1.0)
    assert "Unknown attribute" not in text and "Module(" not in text
    assert "scipy.stats.norm.cdf" in text and "math.erf" in text
    assert "test_jit_found5.py:" in text
    assert "math.erf" in _refusal(with_ndtr, 1.0)
    text = _refusal(with_default_rng, 1.0)
    assert "numpy.random.default_rng" in text and "pass them as an argument" in text


def product_of_columns(P, x):
    P1 = P.T @ P
    return np.sum((P1[:, 1:] @ x[1:]) ** 2)


def test_numbas_performance_warning_about_generated_lines_is_not_shown():
    pytest.importorskip("scipy")
    import warnings
    P = np.arange(9.0).reshape(3, 3) / 10
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        agree(product_of_columns, P, np.ones(3))
    assert not [w for w in seen if "Performance" in w.category.__name__], seen


def duration(y, n):
    t = np.arange(1, n + 1, dtype=float)
    w = np.arange(n, dtype="float64") + np.arange(0, 2 * n, 2, dtype=float)
    return np.sum(t * np.exp(-y * t) * w)


def reversed_by_slice(x, n):
    t = 0.0
    for i in range(n)[::-1]:
        t = t * x + i
    return t + x * range(2, 9, 3)[1] + x * range(n)[-1]


def test_arange_with_dtype_float_and_a_reversed_range_compile():
    agree(duration, 0.3, 4)
    agree(reversed_by_slice, 1.5, 4)


def any_of_generator(x, n):
    if any(x * i > 3 for i in range(n)):
        return x * 2.0
    return x


def test_any_of_a_generator_is_refused_with_what_to_write():
    text = _refusal(any_of_generator, 2.0, 3)
    assert "loop with a flag" in text and "np.any" in text


def gp_nll(B, y):
    A = B @ B.T + np.eye(3)
    L = np.linalg.cholesky(A)
    z = scipy.linalg.solve_triangular(L, y, lower=True)
    return 0.5 * np.sum(z ** 2) + np.sum(np.log(np.diag(L)))


def upper_solves(U, b):
    return np.sum(scipy.linalg.solve_triangular(U, b) * b) + np.sum(
        scipy.linalg.solve_triangular(U, b, trans="T", unit_diagonal=True) ** 2)


def test_solve_triangular_compiles():
    pytest.importorskip("scipy")
    y = np.array([1.0, 2.0, -1.0])
    agree(gp_nll, SPD, y, argnums=(0, 1))
    agree(upper_solves, SPD + np.eye(3), y, argnums=(0, 1))
