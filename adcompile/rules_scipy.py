"""Derivative rules for SciPy's special functions and normal distribution, registered when SciPy
imports (SciPy is optional). Generated code calls them as `special.gammaln(x)` and
`stats.norm.cdf(x)`, the way a user who wrote `from scipy import special, stats` would.

Each rule is written with functions that have rules too, so the derivatives differentiate again:
gammaln -> digamma -> polygamma(1, x) -> polygamma(2, x) ..., i0 -> i1 -> iv(2, x) ...
(SciPy's expit, log_expit, logsumexp, softmax and log_softmax are the stable primitives of
numerics.py, mapped in primitives.py.)
"""
from __future__ import annotations

import scipy.special as special
import scipy.stats as stats

from .primitives import NAMESPACE, PRIMS, add
from .rules import DERIVATIVES

NAMESPACE["special"] = special
NAMESPACE["stats"] = stats

SQRT_PI_2 = 0.886226925452758    # sqrt(pi) / 2
TWO_SQRT_PI = 1.1283791670955126  # 2 / sqrt(pi)
INV_SQRT_2PI = 0.3989422804014327  # 1 / sqrt(2 pi)

for _name in ("gammaln", "digamma", "erf", "erfc", "erfinv", "erfcinv", "logit", "i0", "i1",
              "i0e", "i1e", "ndtr", "ndtri", "log_ndtr"):
    add(f"special.{_name}", getattr(special, _name))
for _name, _params in [("polygamma", ("n", "x")), ("iv", ("v", "x")), ("ive", ("v", "x")),
                       ("xlogy", ("x", "y")), ("xlog1py", ("x", "y")), ("beta", ("a", "b")),
                       ("betaln", ("a", "b"))]:
    add(f"special.{_name}", getattr(special, _name), _params, "broadcast",
        zero=("n", "v") if _params[0] in ("n", "v") else ())
DERIVATIVES.update({
    "special.gammaln": ("special.digamma(x)",),
    "special.digamma": ("special.polygamma(1, x)",),
    "special.polygamma": (None, "special.polygamma(n + 1, x)"),
    "special.erf": (f"{TWO_SQRT_PI} * np.exp(-x ** 2)",),
    "special.erfc": (f"{-TWO_SQRT_PI} * np.exp(-x ** 2)",),
    "special.erfinv": (f"{SQRT_PI_2} * np.exp(ans ** 2)",),
    "special.erfcinv": (f"{-SQRT_PI_2} * np.exp(ans ** 2)",),
    "special.logit": ("1 / (x * (1 - x))",),
    "special.xlogy": ("np.log(y)", "x / y"),
    "special.xlog1py": ("np.log1p(y)", "x / (1 + y)"),
    # modified Bessel functions: I0' = I1, Iv' = (I(v-1) + I(v+1)) / 2; the scaled ones
    # ive = iv * exp(-|x|) lose sign(x) * ive
    "special.i0": ("special.i1(x)",),
    "special.i1": ("(special.i0(x) + special.iv(2, x)) / 2",),
    "special.iv": (None, "(special.iv(v - 1, x) + special.iv(v + 1, x)) / 2"),
    "special.i0e": ("special.i1e(x) - np.sign(x) * ans",),
    "special.i1e": ("(special.i0e(x) + special.ive(2, x)) / 2 - np.sign(x) * ans",),
    "special.ive": (None, "(special.ive(v - 1, x) + special.ive(v + 1, x)) / 2 - np.sign(x) * ans"),
    "special.beta": ("ans * (special.digamma(a) - special.digamma(a + b))",
                     "ans * (special.digamma(b) - special.digamma(a + b))"),
    "special.betaln": ("special.digamma(a) - special.digamma(a + b)",
                       "special.digamma(b) - special.digamma(a + b)"),
    # the standard normal distribution: ndtr is its cdf, ndtri the inverse
    "special.ndtr": (f"{INV_SQRT_2PI} * np.exp(-x ** 2 / 2)",),
    "special.log_ndtr": (f"{INV_SQRT_2PI} * np.exp(-x ** 2 / 2 - ans)",),
    "special.ndtri": (f"{1 / INV_SQRT_2PI} * np.exp(ans ** 2 / 2)",),
})


# --- scipy.stats.norm: pdf, logpdf, cdf, logcdf in x, loc and scale -----------------------------
def _norm_partials(partials):
    """Partials in x, loc and scale over z = (x - loc) / scale, with loc = 0 and scale = 1 filled
    in where the call leaves them out."""
    def rule(op, i):
        loc = "loc" if len(op.args) > 1 else "0.0"
        scale = "scale" if len(op.args) > 2 else "1.0"
        z = f"((x - {loc}) / {scale})" if len(op.args) > 1 else f"(x / {scale})"
        call = "x" + (f", {loc}" if len(op.args) > 1 else "") + (f", {scale}" if len(op.args) > 2
                                                                 else "")
        return partials[i].format(z=z, scale=scale, args=call) if i < len(partials) else None
    return rule


for _name in ("pdf", "logpdf", "cdf", "logcdf"):
    add(f"stats.norm.{_name}", getattr(stats.norm, _name), ("x", "loc", "scale"), "broadcast")
DERIVATIVES.update({
    "stats.norm.logpdf": _norm_partials(("-{z} / {scale}", "{z} / {scale}",
                                         "({z} ** 2 - 1) / {scale}")),
    "stats.norm.pdf": _norm_partials(("-ans * {z} / {scale}", "ans * {z} / {scale}",
                                      "ans * ({z} ** 2 - 1) / {scale}")),
    "stats.norm.cdf": _norm_partials(("stats.norm.pdf({args})", "-stats.norm.pdf({args})",
                                      "-stats.norm.pdf({args}) * {z}")),
    "stats.norm.logcdf": _norm_partials((
        "np.exp(stats.norm.logpdf({args}) - ans)", "-np.exp(stats.norm.logpdf({args}) - ans)",
        "-np.exp(stats.norm.logpdf({args}) - ans) * {z}")),
})
