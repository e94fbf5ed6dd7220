"""Derivative rules of complex parts (np.imag, np.angle, x.real), np.gradient, the products
of several factors (np.linalg.multi_dot, np.convolve, np.correlate) and
np.lib.stride_tricks.sliding_window_view (the NumPy conv/pool idiom). Registered into the tables
of rules.py (same template language) when the package is imported."""
from __future__ import annotations

from .rules import JVP, LINEAR, VJP

def _spacings(op, skip):
    """`, xs[0], xs[1], ...`: np.gradient's spacings, its operands after the first `skip`."""
    return "".join(f", xs[{k}]" for k in range(len(op.args) - skip))


# --- complex parts and np.gradient ---------------------------------------------------------------
# (JAX's convention, as for np.real: the adjoint of complex z is d f / d re(z) - 1j d f / d im(z))
LINEAR |= {"np.imag", "real", "imag", "imag_grad", "np.gradient", "gradient_grad",
           "correlate_full", "correlate_crop"}
VJP.update({
    "np.imag": ("imag_grad(np.real(g), x)",),
    "imag": ("imag_grad(np.real(g), x)",),
    "real": ("np.real(g)",),
    "np.angle": ("imag_grad(np.real(g) / x, x)",),
    "cmath.phase": ("imag_grad(np.real(g) / x, x)",),  # (np.angle's, of a number)
    # (-1j * v: real where v is, complex where v is, as np.angle's g / x)
    "imag_grad": ("real_like(imag_grad(g, x), v)", None),
    "np.gradient": lambda op, i: f"spacing_grad(g, ans, xs[{i - 1}])" if i else
    f"gradient_grad(g, x, axis, edge_order{_spacings(op, 1)})",
    "gradient_grad": lambda op, i: None if i else "np.gradient(g" + "".join(
        f", xs[{k}]" for k in range(len(op.args) - 4)) + ", axis=axis, edge_order=edge_order)",
})
JVP["np.angle"] = JVP["cmath.phase"] = ("np.imag(t / x)",)
JVP["np.gradient"] = lambda op, i: f"spacing_jvp(t, ans, xs[{i - 1}])" if i else \
    f"np.gradient(t{_spacings(op, 1)}, axis=axis, edge_order=edge_order)"
LINEAR |= {"spacing_grad", "spacing_jvp"}  # (in g, t; ans, h differentiated again: refused)


# --- products of several factors: multi_dot, convolutions ----------------------------------------
def _multi_dot_vjp(op, i):
    """multi_dot((..., X, ...)) = L @ X @ R: X's gradient is matmul's, through both sides."""
    left = " @ ".join(f"xs[{k}]" for k in range(i))
    right = " @ ".join(f"xs[{k}]" for k in range(i + 1, len(op.args)))
    grad = f"matmul_grad_left(g, {left + ' @ ' if left else ''}xs[{i}], {right})" if right else "g"
    return f"matmul_grad_right({grad}, {left}, xs[{i}])" if left else grad


VJP.update({
    "np.linalg.multi_dot": _multi_dot_vjp,
    "np.convolve": ("convolve_grad_left(g, x, y, mode)", "convolve_grad_right(g, x, y, mode)"),
    # (np.correlate(x, y) of real vectors is np.convolve(x, y[::-1]))
    "np.correlate": ("convolve_grad_left(correlate_full(g, x, y, mode), x, np.flip(y), 'full')",
                     "np.flip(convolve_grad_right(correlate_full(g, x, y, mode), x, np.flip(y), "
                     "'full'))"),
    # the 'full' output's gradient (NumPy's 'same' window of a correlation is not convolve's)
    "correlate_full": ("correlate_crop(g, x, y, mode)", None, None, None),
    "correlate_crop": ("correlate_full(g, x, y, mode)", None, None, None),
    "convolve_grad_left": ("np.convolve(g, y, mode=mode)", None,
                           "convolve_grad_right(v, g, y, mode)", None),
    "convolve_grad_right": ("np.convolve(x, g, mode=mode)", "convolve_grad_left(v, x, g, mode)",
                            None, None),
})
JVP.update({
    "np.linalg.multi_dot": lambda op, i: "np.linalg.multi_dot((" + "".join(
        ("t" if k == i else f"xs[{k}]") + ", " for k in range(len(op.args))) + "))",
    "np.convolve": ("np.convolve(t, y, mode=mode)", "np.convolve(x, t, mode=mode)"),
    "np.correlate": ("np.correlate(t, y, mode=mode)", "np.correlate(x, t, mode=mode)"),
    "correlate_full": ("correlate_full(t, x, y, mode)", None, None, None),
    "correlate_crop": ("correlate_crop(t, x, y, mode)", None, None, None),
    "convolve_grad_left": ("convolve_grad_left(t, x, y, mode)", None,
                           "convolve_grad_left(v, x, t, mode)", None),
    "convolve_grad_right": ("convolve_grad_right(t, x, y, mode)",
                            "convolve_grad_right(v, t, y, mode)", None, None),
})


# --- sliding windows: a view, linear; its gradient adds each window's back where it came from ----
_SWV = "np.lib.stride_tricks.sliding_window_view"


def _windows(op, i, v):
    """sliding_window_view's rules in operand i of `v` (g or t); a writeable view, which aliases
    x (a write into one window changes the others), has none: refused."""
    writeable = dict(op.kwargs).get("writeable")
    if i != 0 or writeable is not None and not (type(writeable).__name__ == "Const" and
                                                writeable.value is False):
        return None
    return f"sliding_window_grad({v}, x, window_shape, axis)" if v == "g" else \
        f"{_SWV}({v}, window_shape, axis=axis)"


LINEAR |= {_SWV, "sliding_window_grad"}
VJP[_SWV] = lambda op, i: _windows(op, i, "g")
JVP[_SWV] = lambda op, i: _windows(op, i, "t")
VJP["sliding_window_grad"] = (f"{_SWV}(g, window_shape, axis=axis)", None, None, None)
JVP["sliding_window_grad"] = ("sliding_window_grad(t, x, window_shape, axis)", None, None, None)
