"""Helpers of the rules for NumPy's discrete Fourier transforms (rules_fft.py): fitting an array
to a length along an axis (cropping or padding with zeros, as np.fft.fft does with its `n`),
the length of an axis, and the weights irfft gives the frequencies it reads. Each is linear in
its operand or has derivative zero, so the rules that call them differentiate again. Plain
NumPy, like runtime.py, so an exported derivative can carry them along."""
import numpy as np


def fft_fit(v, n, axis):
    """`v` cropped or padded with zeros at the end of `axis` to length `n` (None: unchanged),
    as np.fft.fft(v, n, axis) does before it transforms."""
    if n is None:
        return v
    m = np.shape(v)[axis]
    if n == m:
        return v
    if n < m:
        index = [slice(None)] * np.ndim(v)
        index[axis] = slice(0, n)
        return v[tuple(index)]
    widths = [(0, 0)] * np.ndim(v)
    widths[axis] = (0, n - m)
    return np.pad(v, widths)


def fft_fit_like(v, like, axis):
    """`v` fitted (fft_fit) to the length `like` has along `axis`: the adjoint of a fit."""
    return fft_fit(v, np.shape(like)[axis], axis)


def fft_length(x, axis):
    """The length of `x` along `axis`: the `n` of a transform that does not crop or pad."""
    return np.shape(x)[axis]


def irfft_weights(g, axis):
    """How many times np.fft.irfft(c, n) counts each of the n // 2 + 1 frequencies it reads (n
    the length of its result `g` along `axis`): 2 for those that stand for a conjugate pair of
    the full spectrum, 1 for the zero frequency and, for an even n, the Nyquist frequency. Shaped
    to broadcast along `axis`."""
    n = np.shape(g)[axis]
    w = np.full(n // 2 + 1, 2.0)
    w[0] = 1.0
    if n % 2 == 0:
        w[-1] = 1.0
    shape = [1] * np.ndim(g)
    shape[axis] = n // 2 + 1
    return np.reshape(w, shape)


_INVERSE_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _fft_axes(x, axes):
    return tuple(range(np.ndim(x))) if axes is None else tuple(axes)


def rfftn_vjp(g, x, axes, norm):
    """The adjoint of np.fft.rfftn(x, axes=axes, norm=norm) (rfft2 too) of a real x: rfftn is
    rfft along the last axis, then fftn along the others; their adjoints in turn, fftn of g
    (the DFT matrix is symmetric), then the real part of fft padded to x's length."""
    axes = _fft_axes(x, axes)
    if len(axes) > 1:
        g = np.fft.fftn(g, axes=axes[:-1], norm=norm)
    return np.real(np.fft.fft(g, n=np.shape(x)[axes[-1]], axis=axes[-1], norm=norm))


def irfftn_vjp(g, axes, norm):
    """The adjoint of np.fft.irfftn(c, axes=axes, norm=norm) (irfft2 too): ifftn along all axes
    but the last, then irfft along the last; irfft's adjoint (irfft_weights times the conjugate
    of rfft at the inverse scale), then ifftn's (ifftn of it)."""
    axes = _fft_axes(g, axes)
    v = irfft_weights(g, axes[-1]) * np.conj(np.fft.rfft(np.real(g), axis=axes[-1],
                                                         norm=_INVERSE_NORM[norm]))
    return np.fft.ifftn(v, axes=axes[:-1], norm=norm) if len(axes) > 1 else v
