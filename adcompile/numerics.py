"""Numerically stable primitives shared by user code and generated derivative code.

Each function accepts a Python ``float``/``int`` or an array (NumPy arrays and
scalars, or any array type that implements NumPy's ``__array_ufunc__`` /
``__array_function__`` protocols). Python numbers take a short ``math``-based
path that returns a plain ``float``, because generated gradients call these in
tight scalar loops; everything else goes through NumPy functions, so dtypes are
preserved (float32 in, float32 out) and inputs are never converted or modified.
The formulas only exponentiate non-positive numbers, so nothing overflows for
inputs of any magnitude. Values too small to represent underflow to 0, which is
the correctly rounded answer, so the array paths silence only NumPy's underflow
flag (and, in the axis functions, the flags listed there); invalid operations
are still reported.
"""

import math

import numpy as np

__all__ = [
    "sigmoid",
    "softplus",
    "log_sigmoid",
    "logsumexp",
    "softmax",
    "log_softmax",
    "relu",
]


def sigmoid(x):
    """Logistic function 1 / (1 + exp(-x)).

    Written as (1 if x >= 0 else e) / (1 + e) with e = exp(-|x|) <= 1, so nothing overflows.
    """
    if type(x) is float or type(x) is int:
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1, e) / (1 + e)


def softplus(x):
    """log(1 + exp(x)), written as max(x, 0) + log1p(exp(-|x|)) so it neither overflows nor
    loses the small term; the array path is np.logaddexp(0, x), which does the same."""
    if type(x) is float or type(x) is int:
        if x > 0:
            return x + math.log1p(math.exp(-x))
        return math.log1p(math.exp(x))
    with np.errstate(under="ignore"):
        return np.logaddexp(0, x)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x); exact -x for very negative x instead of log(0) = -inf."""
    if type(x) is float or type(x) is int:
        if x < 0:
            return x - math.log1p(math.exp(x))
        return -math.log1p(math.exp(-x))
    with np.errstate(under="ignore"):
        return -np.logaddexp(0, -x)


def relu(x):
    """max(x, 0); NaN propagates (as with np.maximum) and a Python int gives a float."""
    if type(x) is float or type(x) is int:
        return 0.0 if x <= 0 else float(x)
    return np.maximum(x, 0)


def _max_shift(x, axis):
    """Max over axis (keepdims) with non-finite maxima replaced by 0, so that x - shift
    never computes inf - inf (e.g. a slice of all -inf gives -inf, not NaN)."""
    m = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


# Inside the axis functions the following flags only ever signal the intended result:
# underflow: exp(x - max) rounding to 0; overflow: x - max rounding to -inf (e.g. -1e308 - 1e308),
# whose exp is 0 anyway, or exp() of a slice whose max is +inf/NaN, whose result is inf/NaN anyway;
# divide: log(0) for a slice of all -inf, which is the correct -inf.


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over axis (None, int or tuple), as scipy.special.logsumexp.

    The max is subtracted first so exp never overflows. A slice of all -inf gives -inf and a
    slice containing +inf gives +inf, without warnings; NaN propagates. Empty slices raise.
    """
    shift = _max_shift(x, axis)
    with np.errstate(under="ignore", over="ignore", divide="ignore"):
        s = np.sum(np.exp(x - shift), axis=axis, keepdims=keepdims)
        if not keepdims:
            shift = np.squeeze(shift, axis=axis)
        return np.log(s) + shift


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) over axis, computed from x - max(x) so exp never overflows.

    A slice of all -inf (0/0) or containing +inf (inf/inf) has no finite limit to shift by:
    its entries come out NaN with NumPy's usual 'invalid value' warning.
    """
    shift = _max_shift(x, axis)
    with np.errstate(under="ignore", over="ignore"):
        e = np.exp(x - shift)
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) over axis, as t - log(sum(exp(t))) with t = x - max(x), so large
    gaps come out exact (log_softmax([1000, 0]) == [0, -1000]) rather than log(0).

    Slices of all -inf or containing +inf give NaN entries with an 'invalid value' warning.
    """
    shift = _max_shift(x, axis)
    with np.errstate(under="ignore", over="ignore", divide="ignore"):
        t = x - shift
        return t - np.log(np.sum(np.exp(t), axis=axis, keepdims=True))
