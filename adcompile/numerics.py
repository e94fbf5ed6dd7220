"""Numerically stable primitives called by user code and by generated derivative code.

Python floats and ints take a short ``math`` path that returns a plain ``float`` (generated
gradients call these in scalar loops). Anything else goes through NumPy functions, which
dispatch via NumPy's array protocols, keep the dtype (float32 in, float32 out) and never
convert or modify the input. Only non-positive numbers are ever exponentiated, so nothing
overflows at any magnitude; results too small to represent underflow to 0, which is the
correctly rounded answer, so the array paths silence NumPy's underflow flag (and, in the axis
functions, the flags explained below) while invalid operations are still reported.
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
    "stop_gradient",
]


def sigmoid(x):
    """Logistic 1 / (1 + exp(-x)), computed as (1 if x >= 0 else e) / (1 + e) with
    e = exp(-|x|) <= 1, so nothing overflows and tiny results keep full relative accuracy."""
    if type(x) is float or type(x) is int:
        if x >= 0:
            return 1.0 / (1.0 + math.exp(-x))
        e = math.exp(x)
        return e / (1.0 + e)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(x))
        return np.where(x >= 0, 1, e) / (1 + e)


def softplus(x):
    """log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)) (np.logaddexp(0, x) for arrays),
    so large x does not overflow and the small term for negative x is not lost."""
    if type(x) is float or type(x) is int:
        if x > 0:
            return x + math.log1p(math.exp(-x))
        return math.log1p(math.exp(x))
    with np.errstate(under="ignore"):
        return np.logaddexp(0, x)


def log_sigmoid(x):
    """log(sigmoid(x)) as -softplus(-x): very negative x gives x rather than log(0) = -inf,
    and large x gives -exp(-x) rather than log(1.0) = 0."""
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


def stop_gradient(x):
    """x itself, with a derivative of zero (JAX's `lax.stop_gradient`): differentiation treats
    it as a constant. The log-sum-exp idiom's stabilizer gets one (rewrite.py), since the value
    does not depend on it."""
    return x


def max_shift(x, axis=None, keepdims=True):
    """Max over axis (keepdims, always) with non-finite maxima replaced by 0, so that x - shift
    never computes inf - inf (e.g. a slice of all -inf gives -inf, not NaN)."""
    m = np.max(x, axis=axis, keepdims=True)
    return np.where(np.isfinite(m), m, 0)


_max_shift = max_shift


# Inside the axis functions the following flags only ever signal the intended result:
# underflow: exp(x - max) rounding to 0; overflow: x - max rounding to -inf (e.g. -1e308 - 1e308),
# whose exp is 0 anyway, or exp() of a slice whose max is +inf/NaN, whose result is inf/NaN anyway;
# divide: log(0) for a slice of all -inf, which is the correct -inf.


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over axis (None, int or tuple; keepdims as scipy), shifted by the max so
    exp cannot overflow. All -inf gives -inf, any +inf gives +inf, quietly; NaN propagates."""
    shift = _max_shift(x, axis)
    with np.errstate(under="ignore", over="ignore", divide="ignore"):
        s = np.sum(np.exp(x - shift), axis=axis, keepdims=keepdims)
        if not keepdims:
            shift = np.squeeze(shift, axis=axis)
        return np.log(s) + shift


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) over axis, shifted by the max so exp cannot overflow. A slice of
    all -inf (0/0) or with +inf (inf/inf) is undefined: NaN, with NumPy's 'invalid' warning."""
    shift = _max_shift(x, axis)
    with np.errstate(under="ignore", over="ignore"):
        e = np.exp(x - shift)
        return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) over axis, as t - log(sum(exp(t))) with t = x - max, so [1000, 0] gives
    [0, -1000], not log(0). All -inf or +inf slices: NaN with NumPy's 'invalid' warning."""
    shift = _max_shift(x, axis)
    with np.errstate(under="ignore", over="ignore", divide="ignore"):
        t = x - shift
        return t - np.log(np.sum(np.exp(t), axis=axis, keepdims=True))


# B_2, B_4, ..., B_20: the Bernoulli numbers of the asymptotic series of polygamma
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510,
              43867 / 798, -174611 / 330)


def polygamma(n, x):
    """The n-th derivative of the digamma function at the float x (n = 0: digamma, the
    derivative of math.lgamma; math has none): the recurrence psi(n, x) = psi(n, x + 1) -
    (-1)^n n! / x^(n + 1) up to x >= 20 + n, then the asymptotic series. NaN at the poles."""
    x = float(x)
    if x <= 0 and x == math.floor(x):
        return math.nan
    sign, fact = (-1.0) ** n, math.factorial(n)
    shift = 0.0
    while x < 20.0 + n:
        shift += sign * fact / x ** (n + 1)
        x += 1.0
    r = 1.0 / x  # (powers of 1 / x underflow to 0 where those of a large x would overflow)
    if n == 0:
        series = math.log(x) - 0.5 * r
        for k, b in enumerate(_BERNOULLI, 1):
            series -= b * r ** (2 * k) / (2 * k)
    else:
        series = math.factorial(n - 1) * r ** n + fact * r ** (n + 1) / 2
        for k, b in enumerate(_BERNOULLI, 1):
            series += b * math.factorial(2 * k + n - 1) / math.factorial(2 * k) * r ** (2 * k + n)
        series *= -sign
    return series - shift


def logsumexp_b(x, b, axis=None, keepdims=False, signed=False):
    """scipy.special.logsumexp(x, b=b): log(sum(b * exp(x))) over axis, shifted by the max of x
    where b is not 0; NaN where the sum is negative, or log |sum| if `signed` (its sign:
    logsumexp_sign). Quiet as logsumexp."""
    x = np.where(b != 0, x, -np.inf)
    shift = max_shift(x, axis)
    with np.errstate(under="ignore", over="ignore", divide="ignore", invalid="ignore"):
        s = np.sum(b * np.exp(x - shift), axis=axis, keepdims=keepdims)
        if not keepdims:
            shift = np.squeeze(shift, axis=axis)
        return np.log(np.abs(s) if signed else s) + shift


def logsumexp_sign(x, b, axis=None, keepdims=False):
    """The sign of sum(b * exp(x)) over axis (1.0, -1.0, or 0.0 for a sum of 0), as
    scipy.special.logsumexp(x, b=b, return_sign=True) gives it."""
    x = np.where(b != 0, x, -np.inf)
    shift = max_shift(x, axis)
    with np.errstate(under="ignore", over="ignore", invalid="ignore"):
        return np.sign(np.sum(b * np.exp(x - shift), axis=axis, keepdims=keepdims))
