"""NumPy's discrete Fourier transforms (rules_fft.py): fft, ifft, rfft, irfft, fft2, ifft2, fftn,
ifftn, fftshift and ifftshift, with every norm, several shapes, axes and lengths n (cropping and
padding; even and odd), of real and complex inputs. Each loss is checked forward against finite
differences, reverse against forward and (order 2) its second derivatives; the gradient of a
complex input also against finite differences along random complex directions (JAX's
convention: d f / d re(z) - 1j d f / d im(z)). What has no rule is refused at the user's line."""
import numpy as np
import pytest

from adcompile import NoDerivativeError, grad, hessian, jacfwd, jacrev, jvp
from adcompile.higher import check_grads
from checks import check_complex_direction

R = np.random.default_rng(7)
NORMS = [None, "backward", "ortho", "forward"]


def real(*shape):
    return R.uniform(-1.0, 1.0, size=shape)


def cplx(*shape):
    return real(*shape) + 1j * real(*shape)


def mix(y):
    """A real loss of a complex array that mixes its real and imaginary parts nonlinearly."""
    return spectrum_mix(y)


# --- the losses: each builds a function whose options (n, axis, norm) are constants -------------
def fft_loss(n, axis, norm):
    def fft_mix(x):
        y = np.fft.fft(x, n=n, axis=axis, norm=norm)
        return spectrum_mix(y)
    return fft_mix


def fft_power(n, axis, norm):
    def fft_power(x):
        return np.sum(np.abs(np.fft.fft(x, n=n, axis=axis, norm=norm)) ** 2)
    return fft_power


def spectrum_mix(y):
    """A real loss of a complex spectrum that reads its real and imaginary parts."""
    return np.sum(np.sin(np.real(y)) * np.cos(0.7 * np.imag(y)) + 0.3 * np.imag(y))


def ifft_loss(n, axis, norm):
    def ifft_mix(x):
        y = np.fft.ifft(x, n=n, axis=axis, norm=norm)
        return spectrum_mix(y)
    return ifft_mix


def ifft_weighted(w, norm):
    def ifft_weighted(x):
        return np.sum(np.real(np.fft.ifft(x * w, norm=norm)) ** 3)
    return ifft_weighted


def rfft_loss(n, axis, norm):
    def rfft_mix(x):
        y = np.fft.rfft(x, n=n, axis=axis, norm=norm)
        return spectrum_mix(y)
    return rfft_mix


def round_trip(h, n, axis, norm):
    def rfft_irfft(x):
        y = np.fft.irfft(np.fft.rfft(x, axis=axis, norm=norm) * h, n=n, axis=axis, norm=norm)
        return np.sum(y) + np.sum(np.sin(y))
    return rfft_irfft


def irfft_loss(n, axis, norm):
    def irfft_sin(c):
        return np.sum(np.sin(np.fft.irfft(c, n=n, axis=axis, norm=norm)))
    return irfft_sin


def fft2_loss(prim, axes, norm):
    def fftn_mix(x):
        y = prim(x, axes=axes, norm=norm)
        return spectrum_mix(y)
    return fftn_mix


def shift_loss(shift, w, axes):
    def shifted(x):
        return np.sum(np.abs(np.sin(shift(x, axes=axes)) * w) ** 2)
    return shifted


def param(f, *args, name=None):
    shape = "x".join(map(str, np.shape(args[0])))
    kind = "complex" if np.iscomplexobj(args[0]) else "real"
    return pytest.param(f, args, id=f"{name or f.__name__}-{kind}-{shape}")


# (shape, axis, n): even and odd lengths, cropping (n smaller) and padding (n larger)
ONE_AXIS = [((8,), -1, None), ((7,), -1, None), ((3, 6), -1, None), ((5, 4), 0, None),
            ((6,), -1, 4), ((5,), -1, 9), ((3, 5), 1, 8), ((7, 2), 0, 6)]
# irfft reads m frequencies: n = 2 (m - 1) by default; given n, even and odd, below and above
IRFFT = [((5,), -1, None), ((3, 4), -1, None), ((4, 3), 0, None), ((5,), -1, 9),
         ((5,), -1, 7), ((5,), -1, 4), ((3, 4), 1, 5), ((4, 2), 0, 10)]


def _cases():
    for norm in NORMS:
        for shape, axis, n in ONE_AXIS:
            yield param(fft_loss(n, axis, norm), real(*shape))
            yield param(fft_loss(n, axis, norm), cplx(*shape))
            yield param(ifft_loss(n, axis, norm), real(*shape))
            yield param(ifft_loss(n, axis, norm), cplx(*shape))
            yield param(rfft_loss(n, axis, norm), real(*shape))
        for shape, axis, n in IRFFT:
            yield param(irfft_loss(n, axis, norm), cplx(*shape))
        yield param(fft_power(None, -1, norm), real(6))
        yield param(fft_power(None, 0, norm), cplx(5, 2))
        yield param(ifft_weighted(real(7), norm), real(7))
        for size, n in ((8, None), (7, None), (7, 7), (6, 6), (6, 5)):
            h = cplx(size // 2 + 1)
            yield param(round_trip(h, n, -1, norm), real(size))
        yield param(round_trip(cplx(3, 1), 5, 0, norm), real(5, 2))
        for prim in (np.fft.fft2, np.fft.ifft2):
            yield param(fft2_loss(prim, (-2, -1), norm), real(3, 4), name=prim.__name__)
            yield param(fft2_loss(prim, (0, 2), norm), cplx(3, 2, 5), name=prim.__name__)
        for prim in (np.fft.fftn, np.fft.ifftn):
            yield param(fft2_loss(prim, None, norm), real(3, 4, 2), name=prim.__name__)
            yield param(fft2_loss(prim, (1,), norm), cplx(3, 5), name=prim.__name__)
    for shift in (np.fft.fftshift, np.fft.ifftshift):
        yield param(shift_loss(shift, real(5), None), real(5), name=shift.__name__)
        yield param(shift_loss(shift, real(3, 5), (1,)), real(3, 5), name=shift.__name__)
        yield param(shift_loss(shift, real(3, 5), None), cplx(3, 5), name=shift.__name__)


CASES = list(_cases())


@pytest.mark.parametrize("f, args", CASES)
def test_fft_derivatives(f, args):
    check_grads(f, args, order=2)


# --- complex inputs: the gradient against finite differences along complex directions ----------
def _directional(f, z):
    """d/de f(z + e u) by central differences, and the same from grad(f) and jvp: equal when
    grad is d f / d re(z) - 1j d f / d im(z), paired with u as re(sum(grad * u))."""
    check_complex_direction(f, z, cplx(*z.shape), atol=1e-9)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("make, shape, axis, n", [
    (fft_loss, (6,), -1, None), (fft_loss, (3, 5), 0, 7), (fft_loss, (4, 5), 1, 3),
    (ifft_loss, (7,), -1, None), (ifft_loss, (3, 4), 0, 2), (ifft_loss, (4, 3), -1, 6),
    (irfft_loss, (5,), -1, None), (irfft_loss, (4,), -1, 7), (irfft_loss, (4, 3), 0, 4)])
def test_complex_gradients_along_complex_directions(make, shape, axis, n, norm):
    for _ in range(3):
        _directional(make(n, axis, norm), cplx(*shape))


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("prim, axes", [(np.fft.fft2, (-2, -1)), (np.fft.ifft2, (0, 1)),
                                        (np.fft.fftn, None), (np.fft.ifftn, (2, 0))])
def test_complex_gradients_of_fft2_along_complex_directions(prim, axes, norm):
    for _ in range(3):
        _directional(fft2_loss(prim, axes, norm), cplx(3, 4, 2))


def test_the_gradient_of_a_real_input_is_real():
    for f, x in ((fft_loss(None, -1, "ortho"), real(7)), (ifft_loss(4, -1, None), real(7)),
                 (rfft_loss(9, -1, "forward"), real(7)), (irfft_loss(None, 0, None), real(4, 2)),
                 (fft2_loss(np.fft.fft2, (-2, -1), None), real(3, 4))):
        g = grad(f)(x)
        assert g.dtype == np.float64 and g.shape == x.shape


def spectrum_meets_complex(x):
    """irfft's real result multiplied by a complex number: its adjoint arrives complex, of which
    only the real part counts."""
    y = np.fft.irfft(np.fft.rfft(x) * (1.0 + 0.5j), n=6) * (2.0 - 1.0j)
    return np.sum(np.abs(y) ** 2) + np.sum(np.real(y * (0.3 + 0.8j)))


def spectrum_of_irfft(c):
    """irfft's real result transformed again: fft's adjoint, handed to irfft, is complex."""
    return mix(np.fft.fft(np.fft.irfft(c, n=7) * 1.5))


def test_irfft_takes_the_real_part_of_its_adjoint():
    check_grads(spectrum_meets_complex, (real(6),), order=2)
    check_grads(spectrum_of_irfft, (cplx(4),), order=2)
    _directional(spectrum_of_irfft, cplx(4))


def exported(x):
    return np.sum(np.abs(np.fft.irfft(np.fft.rfft(x, n=9) * H5, n=7)) ** 2)


def test_export_carries_the_helpers(tmp_path):
    """An exported gradient runs without adcompile: its helpers (fft_fit_like, fft_length,
    irfft_weights) travel with it."""
    import subprocess
    import sys
    from adcompile.export import export_source
    path = tmp_path / "exported_fft.py"
    path.write_text(export_source(exported, "reverse") + "\nimport numpy as np\n"
                    "print(repr(grad_exported(np.linspace(0.1, 0.9, 8)).tolist()))\n")
    out = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True,
                         check=True).stdout
    np.testing.assert_allclose(eval(out), grad(exported)(np.linspace(0.1, 0.9, 8)), rtol=1e-12)


def parseval(x):
    return np.sum(np.abs(np.fft.fft(x, norm="ortho")) ** 2)


def test_second_derivatives_of_a_power_spectrum():
    """Parseval: sum |fft(x, norm='ortho')| ** 2 is sum x ** 2, whose Hessian is 2 I."""
    x = real(5)
    np.testing.assert_allclose(grad(parseval)(x), 2 * x, atol=1e-12)
    for h in (hessian(parseval)(x), jacrev(grad(parseval))(x), jacfwd(grad(parseval))(x)):
        np.testing.assert_allclose(h, 2 * np.eye(5), atol=1e-12)


def half_spectrum_power(x):
    return np.sum(np.abs(np.fft.rfft(x)) ** 2)


@pytest.mark.parametrize("size", [6, 7])
def test_rfft_counts_the_dropped_half(size):
    """sum |rfft(x)| ** 2 keeps the zero frequency (and, for an even length, the Nyquist) once and
    the others once of their two: its gradient is the one of the matrix that says so."""
    x = real(size)
    m = size // 2 + 1
    dft = np.exp(-2j * np.pi * np.outer(np.arange(m), np.arange(size)) / size)
    a = np.real(dft.conj().T @ dft)
    np.testing.assert_allclose(grad(half_spectrum_power)(x), 2 * a @ x, atol=1e-12)
    np.testing.assert_allclose(hessian(half_spectrum_power)(x), 2 * a, atol=1e-12)


def linear_round_trip(x):
    return np.sum(np.fft.irfft(np.fft.rfft(x) * H5))


H5 = cplx(5)


def test_irfft_of_rfft_is_the_dense_operator():
    """np.sum(irfft(rfft(x) * h)) is linear in x: its gradient is the column sums of the dense
    matrix built by applying the map to the unit vectors."""
    x = real(8)
    dense = np.stack([np.fft.irfft(np.fft.rfft(e) * H5) for e in np.eye(8)], axis=1)
    np.testing.assert_allclose(grad(linear_round_trip)(x), np.sum(dense, axis=0), atol=1e-12)


# --- variants without a rule: refused at the user's line, never silently wrong ------------------
def fft2_with_s(x): return np.sum(np.abs(np.fft.fft2(x, s=(4, 4))) ** 2)
def fftn_with_s(x): return np.sum(np.real(np.fft.fftn(x, s=(2, 5), axes=(0, 1))))
def ifft2_with_s(x): return np.sum(np.real(np.fft.ifft2(x, (3, 3))))
def bad_norm(x): return np.sum(np.real(np.fft.fft(x, norm="twice")))
def irfft_bad_norm(x): return np.sum(np.fft.irfft(x, norm="half"))


@pytest.mark.parametrize("f", [fft2_with_s, fftn_with_s, ifft2_with_s, bad_norm, irfft_bad_norm])
def test_variants_without_a_rule_are_refused_at_the_users_line(f):
    x = real(3, 4)
    for mode in (lambda: grad(f)(x), lambda: jvp(f, (x,), (x,))):
        with pytest.raises(NoDerivativeError) as info:
            mode()
        assert info.value.filename == __file__ and info.value.line == f.__code__.co_firstlineno
