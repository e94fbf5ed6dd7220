"""Complex values met by rules written for real ones (tester T38): builtin abs and np.sign of a
complex value differentiated again, jacrev of a complex output, singular values, slogdet and
lstsq of complex matrices, a complex adjoint added into a real gradient, np.fft.rfft2."""
import warnings

import numpy as np
import pytest

from adcompile import check_grads, grad, hessian, jacfwd, jacrev, jvp, source
from adcompile.errors import ArgumentError, OutsideRuleError
from checks import assert_close, numeric_grad, numeric_jacobian

C3 = np.exp(1j * np.array([0.3, 1.1, 2.0]))
X3 = np.array([0.3, -1.2, 0.8])
B = np.array([[1.0 + 0.5j, 0.3 - 0.2j, 0.1j], [0.2, -0.4 + 1j, 0.7], [0.1 - 0.1j, 0.2, 1.5]])
D = np.array([[0.3j, 1.0, 0.0], [0.5, 0.0, -0.2j], [0.1, 0.2j, 0.3]])


def _second(f, x):
    """The Hessian of the scalar f by central differences of its finite-difference gradient."""
    return numeric_jacobian(lambda y: numeric_grad(f, (y,), 0, eps=1e-5), (x,), 0, eps=1e-4)


def _abs_builtin(t):
    return abs(t * (0.6 + 0.8j) + 1.0)


def _power_builtin(x):
    return abs(np.sum(x * C3)) ** 2


def test_builtin_abs_of_a_complex_value_differentiated_twice():
    # abs's rule g * sign(x) read sign(x) = conj(x / |x|) as a constant: second derivatives 0
    fd = (_abs_builtin(0.7 + 1e-4) - 2 * _abs_builtin(0.7) + _abs_builtin(0.7 - 1e-4)) / 1e-8
    assert grad(grad(_abs_builtin))(0.7) == pytest.approx(fd, rel=1e-5)
    assert hessian(_abs_builtin)(0.7) == pytest.approx(fd, rel=1e-5)
    assert jvp(grad(_abs_builtin), (0.7,), (1.0,))[1] == pytest.approx(fd, rel=1e-5)
    assert_close(hessian(_power_builtin)(X3), 2 * np.real(np.outer(C3, C3.conj())))
    assert_close(grad(grad(_abs_builtin, argnums=0))(0.7), fd, rtol=1e-5)


def _abs_times(x):
    return abs(x) * x


def test_builtin_abs_of_floats_stays_plain():
    # the first derivative of plain-float code gains nothing; the second is zero at a kink's side
    assert "sign_vjp" not in source(grad(_abs_times)) and grad(_abs_times)(-1.5) == 3.0
    assert grad(grad(_abs_times))(-1.5) == -2.0 and hessian(_abs_times)(2.0) == 2.0


def _phase_sum(x):
    z = x * C3 + 0.5
    return np.sum(np.real(np.sign(z)) * np.array([1.0, 2.0, 3.0]))


def _norm1(x):
    return np.linalg.vector_norm(x * C3 + 0.7, ord=1)


def _norm3(x):
    return np.linalg.norm(x * C3 + 0.7, ord=3)


def _sign_real(x):
    return np.sum(np.sign(x) * x ** 2)


def _phase_written(x):
    z = x * C3 + 0.5
    return np.sum(np.real(z / np.abs(z)) * np.array([1.0, 2.0, 3.0]))


def test_np_sign_of_a_complex_value_is_refused():
    # NumPy 2's np.sign(z) is z / |z|; it was taken as piecewise constant (derivative 0). Real
    # values keep the zero derivative (no adjoint is computed for it)
    for run in (lambda: grad(_phase_sum)(X3), lambda: jvp(_phase_sum, (X3,), (X3,))):
        with pytest.raises(OutsideRuleError, match=r"write z / np.abs\(z\)") as info:
            run()
        assert info.value.line == _phase_sum.__code__.co_firstlineno + 2
    assert _phase_written(X3) == pytest.approx(_phase_sum(X3))
    assert_close(grad(_phase_written)(X3), numeric_grad(_phase_written, (X3,), 0))
    assert_close(grad(_sign_real)(X3), 2 * np.sign(X3) * X3)
    assert_close(hessian(_sign_real)(X3), np.diag(2 * np.sign(X3)))
    assert "grad_s0" not in source(grad(_sign_real))


def test_p_norms_of_complex_vectors_differentiated_twice():
    # their rules used conj(np.sign(x)), constant in x: second derivatives were 0
    for f in (_norm1, _norm3):
        assert_close(hessian(f)(X3), _second(f, X3), rtol=1e-4, atol=1e-6, what=f.__name__)


def _wave(x):
    return x * np.exp(1j * x)


def _spectrum(x):
    return np.fft.rfft(x)


def _complex_in(z):
    return z * z


def test_jacrev_of_a_complex_output_keeps_its_imaginary_part():
    # real unit cotangents gave the real part of the Jacobian only
    for f, x in ((_wave, X3[:2]), (_spectrum, np.array([0.3, -1.2, 0.8, 0.5]))):
        rev, fwd = jacrev(f)(x), jacfwd(f)(x)
        assert np.iscomplexobj(rev)
        np.testing.assert_allclose(rev, fwd, atol=1e-12)
    with pytest.raises(ArgumentError, match="holomorphic=True"):  # (as jacfwd, since T53)
        jacrev(_complex_in)(np.array([1.0 + 1j, 2.0]))


def _svd_sum(t):
    return np.sum(np.linalg.svd(B + t * D, compute_uv=False))


def _svdvals_top(t):
    return np.linalg.svdvals(B + t * D)[0] * 2.0


def _cond(t):
    return np.linalg.cond(B + t * D)


def _cond_minus2(t):
    return np.linalg.cond(B + t * D, p=-2)


@pytest.mark.parametrize("f", [_svd_sum, _svdvals_top, _cond, _cond_minus2])
def test_singular_values_of_a_complex_matrix(f):
    expected = numeric_grad(f, (0.4,), 0)
    assert grad(f)(0.4) == pytest.approx(expected, rel=1e-6)
    tangent = jvp(f, (0.4,), (1.0,))[1]
    assert not np.iscomplexobj(tangent) and tangent == pytest.approx(expected, rel=1e-6)


def _singular_value_sum(a):
    return np.sum(np.linalg.svd(a, compute_uv=False))


def test_singular_values_of_a_complex_matrix_as_its_gradient():
    z = B[:2] + 0.3 * D[:2]
    for f in (_singular_value_sum, np.linalg.cond):
        u = np.cos(np.arange(6.0)).reshape(2, 3) + 1j * np.sin(np.arange(6.0)).reshape(2, 3)
        numeric = (f(z + 1e-6 * u) - f(z - 1e-6 * u)) / 2e-6
        assert np.real(np.sum(grad(f)(z) * u)) == pytest.approx(numeric, rel=1e-6)


def _logabsdet(t):
    return np.linalg.slogdet(B + t * D)[1]


def _sign_part(t):
    return np.real(np.linalg.slogdet(B + t * D)[0] * (0.3 - 2j))


def test_slogdet_of_a_complex_matrix():
    # logabsdet's tangent came back complex; the sign's derivative was 0
    for f in (_logabsdet, _sign_part):
        expected = numeric_grad(f, (0.4,), 0)
        tangent = jvp(f, (0.4,), (1.0,))[1]
        assert not np.iscomplexobj(tangent) and tangent == pytest.approx(expected, rel=1e-6)
        assert grad(f)(0.4) == pytest.approx(expected, rel=1e-6)
    real = np.array([[2.0, 0.3], [0.1, -1.5]])
    assert_close(grad(_both_parts)(real), np.linalg.inv(real).T)
    check_grads(_both_parts, (real,))
    check_grads(_both_parts, (B,))  # (second order too: the sign's tangent is bilinear)


def _both_parts(a):
    sign, logabsdet = np.linalg.slogdet(a)
    return np.real(sign * (1 - 2j)) + logabsdet


def _lstsq(t):
    b = np.array([1.0, 2j, 3.0])
    return np.sum(np.abs(np.linalg.lstsq((B + t * D)[:, :2], b, rcond=None)[0]) ** 2)


def _lstsq_complex_b(a):
    return np.sum(np.linalg.lstsq(a, np.array([1.0, 2j, 3.0]), rcond=None)[1])


def test_lstsq_of_complex_values_is_refused():
    # its rule transposes where a complex matrix needs the conjugate transpose
    a = np.array([[1.0, 0.2], [0.3, -1.0], [0.5, 0.5]])
    for f, run in ((_lstsq, lambda: grad(_lstsq)(0.4)),
                   (_lstsq, lambda: jvp(_lstsq, (0.4,), (1.0,))),
                   (_lstsq_complex_b, lambda: grad(_lstsq_complex_b)(a))):
        with pytest.raises(OutsideRuleError, match=r"np.linalg.lstsq's .* real values only") as e:
            run()
        assert e.value.line == f.__code__.co_firstlineno + (2 if f is _lstsq else 1)


def _filled(x):
    z = np.zeros(len(x), dtype=complex)
    for i in range(len(x)):
        z[i] = x[i] * np.exp(1j * i * 0.4)
    return np.abs(np.sum(z))


def _filled_slices(x):
    z = np.zeros((2, 3), dtype=complex)
    z[0] = x * C3
    z[1, 1:] = x[:2] * 1j
    return np.sum(np.abs(z) ** 2)


def _cast(x):
    return np.sum(np.abs(np.fft.fft(x.astype(complex) * np.exp(1j * x))))


def test_complex_adjoints_of_real_values_raise_no_warning():
    # the real part of a real value's adjoint counts: NumPy's ComplexWarning leaked (or a
    # casting error was raised) where it was added into a real gradient
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f in (_filled, _filled_slices, _cast):
            assert_close(grad(f)(X3), numeric_grad(f, (X3,), 0), what=f.__name__)


def _rfft2(a):
    return np.sum(np.abs(np.fft.rfft2(a)) ** 2 * np.arange(1.0, 4.0))


def _rfftn(a):
    return np.sum(np.abs(np.fft.rfftn(a, axes=(0, 2), norm="ortho")) ** 1.5)


def _irfft2(a):
    return np.sum(np.fft.irfft2(a) ** 3)


def _irfftn(a):
    return np.sum(np.cos(np.fft.irfftn(a, norm="forward")))


def test_real_n_dimensional_transforms():
    # np.fft.rfft2 and co. were refused with a message about warnings.warn and in-place changes
    rng = np.random.default_rng(38)
    a = rng.standard_normal((3, 4))
    check_grads(_rfft2, (a,))
    check_grads(_rfftn, (rng.standard_normal((3, 2, 4)),))
    assert_close(grad(_rfft2)(a), numeric_grad(_rfft2, (a,), 0))
    spectrum = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
    check_grads(_irfft2, (spectrum,))
    for f in (_irfft2, _irfftn):
        u = rng.standard_normal((3, 3)) + 1j * rng.standard_normal((3, 3))
        numeric = (f(spectrum + 1e-6 * u) - f(spectrum - 1e-6 * u)) / 2e-6
        assert jvp(f, (spectrum,), (u,))[1] == pytest.approx(numeric, rel=1e-6)
        assert np.real(np.sum(grad(f)(spectrum) * u)) == pytest.approx(numeric, rel=1e-6)
