"""Derivative rules of NumPy's discrete Fourier transforms: np.fft.fft, ifft, fftn, ifftn, fft2,
ifft2, rfft, irfft, rfftn, irfftn, rfft2, irfft2, fftshift, ifftshift, fftfreq and rfftfreq.
Registered into the tables of rules.py (same template language) when the package is imported;
their helpers are in runtime_fft.py.

Each transform is linear, so its forward rule is the transform of the tangent. Reverse rules
follow JAX's convention for complex values (the adjoint of z is d f / d re(z) - 1j d f / d im(z)):
the adjoint of a linear map is its transpose, without a conjugate. The DFT matrix is symmetric,
so fft's reverse rule is fft of the adjoint, with the same `norm` (and ifft's, ifft). With `n`
the input is cropped or padded first, whose adjoint fits the adjoint back to the
input's length. rfft keeps the first n // 2 + 1 frequencies of a real input: its adjoint is the
real part of fft of the adjoint padded with zeros to n. irfft reads n // 2 + 1 frequencies as
half of a Hermitian spectrum, each but the zero and Nyquist frequencies standing for two (their
imaginary parts ignored): its adjoint is those counts times the conjugate of rfft of the adjoint,
whose scale (norm) is the inverse of irfft's. The n-dimensional ones take `axes` and `norm`; a
shape `s` is refused. rfftn is rfft along the last of its axes then fftn along the others (irfftn:
ifftn, then irfft), so its adjoint is theirs in turn (runtime_fft.rfftn_vjp, irfftn_vjp)."""
from __future__ import annotations

import numpy as np

from . import runtime_fft
from .errors import NoDerivativeError
from .primitives import NAMESPACE, add
from .rules import JVP, LINEAR, VJP, _constant

_ONE_AXIS = ("np.fft.fft", "np.fft.ifft", "np.fft.rfft", "np.fft.irfft")
_N_AXES = {"np.fft.fft2": (-2, -1), "np.fft.ifft2": (-2, -1), "np.fft.fftn": None,
           "np.fft.ifftn": None}
for _name in _ONE_AXIS:
    add(_name, getattr(np.fft, _name[7:]), ("x",), "exact", n=None, axis=-1, norm=None)
for _name, _axes in _N_AXES.items():
    add(_name, getattr(np.fft, _name[7:]), ("x",), "exact", s=None, axes=_axes, norm=None)
_REAL_N = {"np.fft.rfft2": (-2, -1), "np.fft.irfft2": (-2, -1), "np.fft.rfftn": None,
           "np.fft.irfftn": None}
for _name, _axes in _REAL_N.items():
    add(_name, getattr(np.fft, _name[7:]), ("x",), "exact", s=None, axes=_axes, norm=None)
add("rfftn_vjp", runtime_fft.rfftn_vjp, ("v", "x", "axes", "norm"), "exact", zero=("x", "norm"))
add("irfftn_vjp", runtime_fft.irfftn_vjp, ("v", "axes", "norm"), "exact", zero=("norm",))
for _name in ("np.fft.fftshift", "np.fft.ifftshift"):
    add(_name, getattr(np.fft, _name[7:]), ("x",), "exact", axes=None)
add("fft_fit_like", runtime_fft.fft_fit_like, ("v", "like", "axis"), "exact", zero=("like",))
add("fft_length", runtime_fft.fft_length, ("x", "axis"), "nondiff", zero="*")
add("irfft_weights", runtime_fft.irfft_weights, ("g", "axis"), "nondiff", zero="*")
for _name in ("fft_fit_like", "fft_length", "irfft_weights", "rfftn_vjp", "irfftn_vjp"):
    NAMESPACE[_name] = getattr(runtime_fft, _name)

# np.fft.fftfreq(n, d) and rfftfreq: the frequencies k / (n d), k counted by the length n; in d
# (a domain's length differentiated, d = L / n) their derivative is -ans / d.
for _name in ("np.fft.fftfreq", "np.fft.rfftfreq"):
    add(_name, getattr(np.fft, _name[7:]), ("n", "d"), "exact", zero=("n",))
    VJP[_name] = (None, "unbroadcast(-g * ans / d, d)")
    JVP[_name] = (None, "-t * ans / d")

# Every one is linear in x: the forward rule applies it to the tangent (rules.py's LINEAR).
LINEAR |= set(_ONE_AXIS) | set(_N_AXES) | {"np.fft.fftshift", "np.fft.ifftshift", "fft_fit_like",
                                           "rfftn_vjp", "irfftn_vjp"}
# The inverse scale of each norm: irfft's adjoint is an rfft whose scale is irfft's own.
_INVERSE_NORM = {None: "forward", "backward": "forward", "ortho": "ortho", "forward": "backward"}


def _option(op, name):
    """The option `name` of op as given, or None when left out."""
    return dict(op.kwargs).get(name)


def _given(expr):
    """Whether an option is given a value other than None."""
    return expr is not None and not (type(expr).__name__ == "Const" and expr.value is None)


def _norm(op):
    norm = _option(op, "norm")
    norm = None if norm is None else _constant(norm, op, "norm")
    if norm not in _INVERSE_NORM:
        raise NoDerivativeError(f"{op.prim} with norm={norm!r} has no derivative rule; use None, "
                                "'backward', 'ortho' or 'forward'")
    return norm


def _fitted(op, template):
    """`template` fitted back to x's length along `axis` when the transform crops or pads x."""
    return f"fft_fit_like({template}, x, axis)" if _given(_option(op, "n")) else template


def _fft_vjp(op, i):
    """fft and ifft: the transform of the adjoint (the DFT matrix is symmetric)."""
    if i != 0:
        return None
    _norm(op)
    return _fitted(op, f"{op.prim}(g, axis=axis, norm=norm)")


def _fftn_rule(template):
    """fftn, fft2 and their inverses over `axes`: the transform of the adjoint or the tangent
    (a shape `s` is refused in both modes)."""
    def rule(op, i):
        if i != 0:
            return None
        if _given(_option(op, "s")):
            raise NoDerivativeError(f"{op.prim} with a shape s has no derivative rule; crop or "
                                    "pad the input with np.pad or indexing, or call it without s")
        _norm(op)
        return template.format(prim=op.prim)
    return rule


def _one_axis_jvp(op, i):
    """fft, ifft, rfft and irfft: the transform of the tangent."""
    if i != 0:
        return None
    _norm(op)
    return f"{op.prim}(t, n=n, axis=axis, norm=norm)"


def _rfft_vjp(op, i):
    """rfft of a real x: the real part of fft of the adjoint padded with zeros to the length
    rfft transforms (the dropped half of the spectrum holds no adjoint)."""
    if i != 0:
        return None
    _norm(op)
    n = "n" if _given(_option(op, "n")) else "fft_length(x, axis)"
    return _fitted(op, f"np.real(np.fft.fft(g, n={n}, axis=axis, norm=norm))")


def _irfft_vjp(op, i):
    """irfft: each frequency read counts once (zero, Nyquist) or twice (a conjugate pair), times
    the conjugate of rfft of the (real) adjoint at irfft's own scale."""
    if i != 0:
        return None
    inverse = _INVERSE_NORM[_norm(op)]
    return _fitted(op, f"irfft_weights(g, axis) * conj(np.fft.rfft(real_part(g), axis=axis, "
                       f"norm={inverse!r}))")


VJP.update({
    "np.fft.fft": _fft_vjp,
    "np.fft.ifft": _fft_vjp,
    "np.fft.rfft": _rfft_vjp,
    "np.fft.irfft": _irfft_vjp,
    **{name: _fftn_rule("{prim}(g, axes=axes, norm=norm)") for name in _N_AXES},
    "np.fft.fftshift": ("np.fft.ifftshift(g, axes=axes)",),
    "np.fft.ifftshift": ("np.fft.fftshift(g, axes=axes)",),
    # the helper, linear in v: the adjoint of a fit fits back
    "fft_fit_like": ("fft_fit_like(g, v, axis)", None, None),
    # rfftn and irfftn: rfft or irfft along the last of `axes`, fftn or ifftn along the others;
    # each adjoint's adjoint is the transform
    "np.fft.rfftn": _fftn_rule("rfftn_vjp(g, x, axes, norm)"),
    "np.fft.rfft2": _fftn_rule("rfftn_vjp(g, x, axes, norm)"),
    "np.fft.irfftn": _fftn_rule("irfftn_vjp(g, axes, norm)"),
    "np.fft.irfft2": _fftn_rule("irfftn_vjp(g, axes, norm)"),
    "rfftn_vjp": ("np.fft.rfftn(g, axes=axes, norm=norm)", None, None, None),
    "irfftn_vjp": ("np.fft.irfftn(g, axes=axes, norm=norm)", None, None),
})
JVP.update({name: _one_axis_jvp for name in _ONE_AXIS})
JVP.update({name: _fftn_rule("{prim}(t, axes=axes, norm=norm)") for name in (*_N_AXES, *_REAL_N)})
