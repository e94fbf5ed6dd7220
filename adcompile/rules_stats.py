"""Derivative rules of NumPy's statistics and sampled functions: np.median, np.percentile and
np.quantile (method "linear": the gradient goes to the two order statistics each quantile
interpolates, by their weights), np.trapezoid, np.interp (in x and fp; xp is refused), np.polyval,
np.cov and np.corrcoef. Registered into the tables of rules.py (same template language) when the
package is imported; their helpers are in runtime_stats.py."""
from __future__ import annotations

import numpy as np

from . import numerics, runtime_stats
from .errors import NoDerivativeError
from .ir import Const
from .primitives import BY_OBJECT, NAMESPACE, add
from .rules import DERIVATIVES, JVP, LINEAR, ONCE, SEED, VJP, _constant

# Quantiles: np.quantile(x, q) is the sum over `axis` of quantile_weights(x, q) * x, with weights
# that are piecewise constant in x. (q has no rule: a differentiated q is refused.)
_QUANTILE = {"axis": None, "out": None, "overwrite_input": False, "method": "linear",
             "keepdims": False}
add("np.quantile", np.quantile, ("x", "q"), "exact", **_QUANTILE)
add("np.percentile", np.percentile, ("x", "q"), "exact", **_QUANTILE)
add("np.median", np.median, ("x",), "exact", axis=None, out=None, overwrite_input=False,
    keepdims=False)
add("quantile_weights", runtime_stats.quantile_weights, ("x", "q", "axis"), "nondiff", zero="*")
# np.mean's, np.var's and np.std's count of entries per result (rules.py, reverse.py)
add("reduced_size", runtime_stats.reduced_size, ("x", "axis"), "nondiff", zero="*")
for _name in ("quantile_gather", "quantile_spread"):
    add(_name, getattr(runtime_stats, _name), ("v", "w", "x", "axis", "keepdims"), "exact",
        zero=("w", "x"))


def _quantile_rule(template):
    """The rule of a quantile in x, for the default method "linear" only."""
    def rule(op, i):
        if i != 0:
            return None
        method = dict(op.kwargs).get("method")
        method = "linear" if method is None else _constant(method, op, "method")
        if method != "linear":
            raise NoDerivativeError(f"{op.prim} with method={method!r} has no derivative rule; "
                                    "use the default method 'linear'")
        name = op.prim.replace("np.nan", "np.")  # np.nanquantile: that of the entries not NaN
        q = {"np.quantile": "q", "np.percentile": "q / 100", "np.median": "0.5"}[name]
        weights = "quantile_weights" if name == op.prim else "nanquantile_weights"
        return template.format(w=f"{weights}(x, {q}, axis)")
    return rule


for _name in ("np.quantile", "np.percentile", "np.median"):
    VJP[_name] = _quantile_rule("quantile_spread(g, {w}, x, axis, keepdims)")
    JVP[_name] = _quantile_rule("quantile_gather(t, {w}, x, axis, keepdims)")
LINEAR |= {"quantile_gather", "quantile_spread"}
VJP["quantile_gather"] = ("quantile_spread(g, w, x, axis, keepdims)", None, None, None, None)
VJP["quantile_spread"] = ("quantile_gather(g, w, x, axis, keepdims)", None, None, None, None)

# The trapezoidal rule: the sum over `axis` of trapezoid_weights(y, x) * y, linear in y and in x.
# (np.trapz before NumPy 2.0; a differentiated dx is refused.)
_TRAPEZOID = "np.trapezoid" if hasattr(np, "trapezoid") else "np.trapz"
add(_TRAPEZOID, getattr(np, _TRAPEZOID[3:]), ("y", "x"), "exact", dx=1.0, axis=-1)
if hasattr(np, "trapz"):
    BY_OBJECT.setdefault(np.trapz, _TRAPEZOID)
add("trapezoid_weights", runtime_stats.trapezoid_weights, ("y", "x", "dx", "axis"), "exact",
    zero=("y", "dx"))
add("trapezoid_weights_grad", runtime_stats.trapezoid_weights_grad, ("v", "y", "x", "axis"),
    "exact", zero=("y", "x"))


def _trapezoid_rule(in_y, in_x):
    """The rule of np.trapezoid in y (`x` the sample points, or None) or, given x, in x."""
    def rule(op, i):
        given = len(op.args) > 1 and not (type(op.args[1]).__name__ == "Const" and
                                          op.args[1].value is None)
        if i == 0:
            return in_y.format(x="x" if given else "None")
        return in_x if given else None
    return rule


VJP[_TRAPEZOID] = _trapezoid_rule("np.expand_dims(g, axis) * trapezoid_weights(y, {x}, dx, axis)",
                                  "trapezoid_weights_grad(np.expand_dims(g, axis) * y, y, x, axis)")
JVP[_TRAPEZOID] = _trapezoid_rule(f"{_TRAPEZOID}(t, {{x}}, dx=dx, axis=axis)",
                                  "np.sum(trapezoid_weights(y, t, dx, axis) * y, axis=axis)")
VJP["trapezoid_weights"] = (None, "trapezoid_weights_grad(g, y, x, axis)", None, None)
JVP["trapezoid_weights"] = (None, "trapezoid_weights(y, t, dx, axis)", None, None)
LINEAR.add("trapezoid_weights_grad")
VJP["trapezoid_weights_grad"] = ("expand_to(trapezoid_weights(y, g, 1.0, axis), v)", None, None,
                                 None)

# np.interp(x, xp, fp) = interp_gather(fp, x, xp, left, right), plus left or right outside xp
# where given: linear in fp (its adjoint interp_spread hands each gradient to the two sample
# points around its x, by their weights), and in x of slope interp_slope, which is linear in fp
# (adjoint interp_slope_spread) and piecewise constant in x. None of them builds a matrix of
# len(x) * len(xp) entries. xp's rule is fp's weights times -slope; period= is lowered as
# NumPy's steps (forms.py).
add("np.interp", np.interp, ("x", "xp", "fp"), "exact", left=None, right=None, period=None)
for _name in ("interp_gather", "interp_spread"):
    add(_name, getattr(runtime_stats, _name), ("v", "x", "xp", "left", "right"), "exact",
        zero=("left", "right"))
for _name in ("interp_slope", "interp_slope_spread"):
    add(_name, getattr(runtime_stats, _name), ("v", "x", "xp"), "exact", zero=("x",))


def _interp_rule(*templates):
    def rule(op, i):
        period = dict(op.kwargs).get("period")
        if period is not None and _constant(period, op, "period") is not None:
            raise NoDerivativeError("np.interp with a period given by position has no "
                                    "derivative rule; give it by keyword (period=...)")
        return templates[i]
    return rule


# (moving a sample point: y changes by -slope times the point's weight, fp's rule's)
VJP["np.interp"] = _interp_rule("g * interp_slope(fp, x, xp)",
                                "interp_spread(-g * interp_slope(fp, x, xp), x, xp, left, right)",
                                "interp_spread(g, x, xp, left, right)")
JVP["np.interp"] = _interp_rule("t * interp_slope(fp, x, xp)",
                                "-interp_slope(fp, x, xp) * interp_gather(t, x, xp, left, right)",
                                "interp_gather(t, x, xp, left, right)")
LINEAR |= {"interp_slope", "interp_slope_spread"}
VJP["interp_gather"] = ("interp_spread(g, x, xp, left, right)", "g * interp_slope(v, x, xp)",
                        None, None, None)
JVP["interp_gather"] = ("interp_gather(t, x, xp, left, right)", "t * interp_slope(v, x, xp)",
                        None, None, None)
VJP["interp_spread"] = ("interp_gather(g, x, xp, left, right)", "v * interp_slope(g, x, xp)",
                        None, None, None)
JVP["interp_spread"] = ("interp_spread(t, x, xp, left, right)",
                        "interp_slope_spread(v * t, x, xp)", None, None, None)
VJP["interp_slope"] = ("interp_slope_spread(g, x, xp)", None, None)
VJP["interp_slope_spread"] = ("interp_slope(g, x, xp)", None, None)

# np.polyval(p, x) = sum(p[i] * x ** (n - 1 - i)): linear in p; in x, the derivative's polynomial.
# A 2-D p is a polynomial per column (each coefficient a row): the powers' axis is last, and
# p's adjoint is fitted to p with its first axis moved last.
add("np.polyval", np.polyval, ("p", "x"), "exact")
_POWERS = "np.expand_dims(x, -1) ** np.arange(np.shape(p)[0] - 1, -1, -1)"
_SLOPE = "np.polyval(p[:-1] * np.reshape(np.arange(np.shape(p)[0] - 1, 0, -1), " \
    "(-1,) + (1,) * (np.ndim(p) - 1)), x)"
VJP["np.polyval"] = (f"np.moveaxis(unbroadcast(np.expand_dims(g, -1) * {_POWERS}, "
                     "np.moveaxis(p, 0, -1)), -1, 0)", f"unbroadcast(g * {_SLOPE}, x)")
JVP["np.polyval"] = ("np.polyval(t, x)", f"t * {_SLOPE}")

# np.polynomial's series at x (chebval(x, c), legval, hermval, hermeval, lagval, polyval, lowest
# degree first; tensor= refused): linear in c, whose gradient weighs each basis function at x;
# in x, the series of the derivative's coefficients (chebder(c)), series_value of order 1.
for _kind in ("poly", "cheb", "leg", "herm", "herme", "lag"):
    _value = runtime_stats.series_function(_kind, "val")
    _name = f"np.polynomial.{_value.__module__.rsplit('.', 1)[1]}.{_kind}val"
    add(_name, _value, ("x", "c"), "exact")
    VJP[_name] = (f'unbroadcast(g * series_value(x, c, "{_kind}", 1), x)',
                  f'series_coefficients_grad(g, x, c, "{_kind}", 0)')
    JVP[_name] = (f't * series_value(x, c, "{_kind}", 1)', f'series_value(x, t, "{_kind}", 0)')
add("series_value", runtime_stats.series_value, ("x", "c", "kind", "order"), "exact",
    zero=("kind", "order"))
add("series_coefficients_grad", runtime_stats.series_coefficients_grad,
    ("w", "x", "c", "kind", "order"), "exact", zero=("c", "kind", "order"))
VJP["series_value"] = ("unbroadcast(g * series_value(x, c, kind, order + 1), x)",
                       "series_coefficients_grad(g, x, c, kind, order)", None, None)
JVP["series_value"] = ("t * series_value(x, c, kind, order + 1)",
                       "series_value(x, t, kind, order)", None, None)
LINEAR.add("series_coefficients_grad")
NAMESPACE.update(series_value=runtime_stats.series_value,
                 series_coefficients_grad=runtime_stats.series_coefficients_grad)
VJP["series_coefficients_grad"] = ("series_value(x, g, kind, order)",
                                   "unbroadcast(w * series_value(x, g, kind, order + 1), x)",
                                   None, None, None)
JVP["series_coefficients_grad"] = ("series_coefficients_grad(t, x, c, kind, order)",
                                   "series_coefficients_grad(w * t, x, c, kind, order + 1)",
                                   None, None, None)

# np.cov(m) = C @ conj(C).T / (N - ddof), C the rows of m (cov_rows) less their means; np.corrcoef
# divides it by the square roots of its diagonal. Given y, fweights or aweights they are refused.
add("np.cov", np.cov, ("m",), "exact", y=None, rowvar=True, bias=False, ddof=None, fweights=None,
    aweights=None)
add("np.corrcoef", np.corrcoef, ("x",), "exact", y=None, rowvar=True)
add("cov_rows", runtime_stats.cov_rows, ("m", "rowvar"), "exact")
add("uncov_rows", runtime_stats.uncov_rows, ("v", "m", "rowvar"), "exact", zero=("m",))
add("cov_square", runtime_stats.cov_square, ("v", "m", "rowvar"), "exact", zero=("m",))
LINEAR |= {"cov_rows", "uncov_rows", "cov_square"}
VJP["cov_rows"] = ("uncov_rows(g, m, rowvar)", None)
VJP["uncov_rows"] = ("cov_rows(g, rowvar)", None, None)
VJP["cov_square"] = ("np.reshape(g, np.shape(v))", None, None)


def _centered(m):
    rows = f"cov_rows({m}, rowvar)"
    return f"({rows} - np.mean({rows}, axis=1, keepdims=True))"


def _cov_ddof(op):
    """np.cov's ddof: given, or 0 with bias=True, else 1; refused with y or weights."""
    options = dict(op.kwargs)
    for name in ("y", "fweights", "aweights"):
        if name in options and _constant(options[name], op, name) is not None:
            raise NoDerivativeError(f"{op.prim} with {name}= has no derivative rule; stack the "
                                    "variables into one array instead" if name == "y" else
                                    f"{op.prim} with {name}= has no derivative rule")
    ddof = _constant(options["ddof"], op, "ddof") if "ddof" in options else None
    if ddof is None:
        bias = _constant(options["bias"], op, "bias") if "bias" in options else False
        ddof = 0 if bias else 1
    return ddof


def _cov_vjp(g, m, ddof):
    """The gradient of np.cov(m) for the gradient `g` of its result (text)."""
    square = f"cov_square({g}, {m}, rowvar)"
    count = f"(np.shape(cov_rows({m}, rowvar))[1] - {ddof})"
    return f"uncov_rows(({square} + conj({square}).T) @ conj({_centered(m)}) / {count}, {m}, " \
        "rowvar)"


def _cov_jvp(t, m, ddof):
    """The tangent of np.cov(m) as a square matrix, for the tangent `t` of m (text)."""
    count = f"(np.shape(cov_rows({m}, rowvar))[1] - {ddof})"
    d, c = _centered(t), _centered(m)
    return f"({d} @ conj({c}).T + {c} @ conj({d}).T) / {count}"


VJP["np.cov"] = lambda op, i: _cov_vjp("g", "m", _cov_ddof(op))
JVP["np.cov"] = lambda op, i: f"np.reshape({_cov_jvp('t', 'm', _cov_ddof(op))}, np.shape(ans))"
# np.corrcoef: R = C / S with S = sqrt(outer(d, d)), d the (real) diagonal of C = np.cov(x):
# dR = dC / S - R * (dd_i / d_i + dd_j / d_j) / 2.
_C = "np.atleast_2d(np.cov(x, rowvar=rowvar))"
_D = f"np.real(np.diagonal({_C}))"
_S = f"np.sqrt(np.outer({_D}, {_D}))"
_GR = "(np.atleast_2d(g) * np.atleast_2d(ans))"
_GC = f"(np.atleast_2d(g) / {_S} - np.diag(np.real(np.sum({_GR}, axis=1) + np.sum({_GR}, axis=0))" \
    f" / (2 * {_D})))"
_DC = _cov_jvp("t", "x", 1)
_DD = f"(np.real(np.diagonal({_DC})) / {_D})"


def _corrcoef_rule(template):
    def rule(op, i):
        _cov_ddof(op)  # (refuses y)
        return template
    return rule


VJP["np.corrcoef"] = _corrcoef_rule(_cov_vjp(_GC, "x", 1))
JVP["np.corrcoef"] = _corrcoef_rule(f"np.reshape({_DC} / {_S} - np.atleast_2d(ans) * "
                                    f"(np.expand_dims({_DD}, 1) + {_DD}) / 2, np.shape(ans))")

# scipy.special.logsumexp(x, b=b): ans = log(sum(b * exp(x))), whose derivative in x is b times
# exp(x - ans), in b exp(x - ans); with return_sign=True ans = log |sum|, those times the sign.
# weighted_exp(w, x, ans), w * exp(x - ans), is 0 where w (b times the tangent or adjoint) is 0,
# however far x exceeds ans (not 0 * inf).
add("logsumexp_b", numerics.logsumexp_b, ("x", "b"), "exact", axis=None, keepdims=False,
    signed=False)
add("logsumexp_sign", numerics.logsumexp_sign, ("x", "b", "axis", "keepdims"), "nondiff",
    zero="*")
add("keep_axes", runtime_stats.keep_axes, ("v", "axis", "keepdims"), "exact")
add("weighted_exp", runtime_stats.weighted_exp, ("b", "x", "s"), "broadcast")
DERIVATIVES["weighted_exp"] = (f"weighted_exp({SEED}, x, s)", "ans", "-ans")
LINEAR.add("keep_axes")
VJP["keep_axes"] = ("np.reshape(g, np.shape(v))", None, None)


def _lse_rule(reverse):
    def rule(op, i):
        options = dict(op.kwargs)
        signed = _constant(options.get("signed", Const(False)), op, "signed")
        axis, keep = options.get("axis", Const(None)), options.get("keepdims", Const(False))
        kept = (lambda v: v) if type(axis) is Const and axis.value is None or \
            type(keep) is Const and keep.value is True else \
            (lambda v: f"keep_axes({v}, axis, keepdims)")  # (the axes reduced, back)
        seed = kept("g") if reverse else "t"
        term = f"weighted_exp({seed}{' * b' if i == 0 else ''}, x, {kept('ans')})" + \
            (f" * {kept('logsumexp_sign(x, b, axis, keepdims)')}" if signed else "")
        return f"unbroadcast({term}, {'xb'[i]})" if reverse \
            else f"np.sum({term}, axis=axis, keepdims=keepdims)"
    return rule


VJP["logsumexp_b"], JVP["logsumexp_b"] = _lse_rule(True), _lse_rule(False)
# np.average(x, weights=w) of weights that may be differentiated, lowered (forms.py) as
# sum(x * W) / sum(W), W = average_weights(w, x, axis) (laid along axis, broadcast to x's shape)
add("average_weights", runtime_stats.average_weights, ("v", "x", "axis"), "exact", zero=("x",))
add("average_weights_grad", runtime_stats.average_weights_grad, ("v", "w", "x", "axis"), "exact",
    zero=("w", "x"))
LINEAR |= {"average_weights", "average_weights_grad"}
add("check_weights", runtime_stats.check_weights, ("total",), "nondiff", zero="*")
VJP["average_weights"] = ("average_weights_grad(g, v, x, axis)", None, None)
VJP["average_weights_grad"] = ("average_weights(g, x, axis)", None, None, None)
# np.std(x, where=m) or (x, mean=m), lowered (forms.py): the root of its variance, of derivative 0
# where the deviation is 0, as np.std's rule (the variance's derivative is 0 there too), and its
# second derivatives there np.std's too (its divisor 1, not norm_divisor's NaN slope)
add("root_of_var", runtime_stats.root_of_var)
DERIVATIVES["root_of_var"] = ("0.5 / np.where(ans == 0, 1.0, ans)",)
NAMESPACE.update(logsumexp_b=numerics.logsumexp_b, logsumexp_sign=numerics.logsumexp_sign)

for _name in ("quantile_weights", "quantile_gather", "quantile_spread", "trapezoid_weights",
              "trapezoid_weights_grad", "interp_gather", "interp_spread", "interp_slope",
              "interp_slope_spread", "cov_rows", "uncov_rows", "cov_square", "keep_axes",
              "weighted_exp", "average_weights", "average_weights_grad", "check_weights",
              "root_of_var", "reduced_size"):
    NAMESPACE[_name] = getattr(runtime_stats, _name)

# Random draws in their parameters, the stream fixed (primitives.PATHWISE): NumPy draws each
# element from one standard draw, normal as loc + scale * z, lognormal as exp(mean + sigma * z),
# exponential as scale * e and uniform as low + (high - low) * u (distributions.c and
# legacy-distributions.c). The rules read those standard values (standard_of) back from the
# drawn value `ans`, or, where that would lose them (a lognormal underflowed to 0, a scale of 0,
# loc = 1e8 with scale = 1e-3), from the draws the derivative made again before the draw, from
# a copy of the generator (lost_standard_draws, decided from the parameters; pathwise.py), which
# the draw names (its option `drawn`, not printed). The standard values do not move with the
# parameters: standard_of has no derivative. The operands broadcast against each other and
# against `size`: adjoints are summed back to each one's shape.
add("lost_standard_draws", runtime_stats.lost_standard_draws, ("rng", "kind", "*params"),
    "nondiff", zero="*", size=None)
add("standard_of", runtime_stats.standard_of, ("drawn", "x", "shift", "spread"), "nondiff",
    zero="*", log=False)
_Z = {"normal": "standard_of(drawn, ans, loc, scale)",
      "lognormal": "standard_of(drawn, ans, mean, sigma, log=True)",
      "exponential": "standard_of(drawn, ans, 0.0, scale)",
      "uniform": "standard_of(drawn, ans, low, high - low)"}
for _name in ("Generator.", "np.random."):
    _rng = (None,) if _name == "Generator." else ()  # (the Generator has no derivative)
    VJP[_name + "normal"] = _rng + ("unbroadcast(g, loc)",
                                    f"unbroadcast(g * {_Z['normal']}, scale)")
    JVP[_name + "normal"] = _rng + ("expand_to(t, ans)", f"t * {_Z['normal']}")
    VJP[_name + "lognormal"] = _rng + ("unbroadcast(g * ans, mean)",
                                       f"unbroadcast(g * ans * {_Z['lognormal']}, sigma)")
    JVP[_name + "lognormal"] = _rng + ("t * ans", f"t * ans * {_Z['lognormal']}")
    VJP[_name + "exponential"] = _rng + (f"unbroadcast(g * {_Z['exponential']}, scale)",)
    JVP[_name + "exponential"] = _rng + (f"t * {_Z['exponential']}",)
    VJP[_name + "uniform"] = _rng + (f"unbroadcast(g * (1 - {_Z['uniform']}), low)",
                                     f"unbroadcast(g * {_Z['uniform']}, high)")
    JVP[_name + "uniform"] = _rng + (f"t * (1 - {_Z['uniform']})", f"t * {_Z['uniform']}")
ONCE.add("standard_of")  # (uniform's u: read back once for the rules of low and high)
NAMESPACE["lost_standard_draws"] = runtime_stats.lost_standard_draws
NAMESPACE["standard_of"] = runtime_stats.standard_of
