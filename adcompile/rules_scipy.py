"""Derivative rules for SciPy (an optional dependency), registered when SciPy imports: special
functions, distributions (scipy.stats norm, t, gamma, beta, poisson, multivariate_normal,
dirichlet) and scipy.linalg (solve_triangular, solve_sylvester, sqrtm, expm, cholesky,
cho_factor, cho_solve, and the functions NumPy also has). Generated code calls them as
`special.gammaln(x)`, `stats.norm.cdf(x)` and `scipy.linalg.expm(a)`, the way a user who wrote
`from scipy import special, stats` would.

Each rule is written with functions that have rules too, so the derivatives differentiate again:
gammaln -> digamma -> polygamma(1, x) -> polygamma(2, x) ..., i0 -> i1 -> iv(2, x) ...
A parameter without a rule is refused where it is differentiated (an order v of a Bessel
function); only one that holds integers (polygamma's n) is declared zero.
(SciPy's expit, log_expit, logsumexp, softmax and log_softmax are the stable primitives of
numerics.py, mapped in primitives.py.)
"""
from __future__ import annotations

import numpy as np
import scipy
import scipy.linalg
import scipy.special as special
import scipy.stats as stats

from . import runtime_linalg, runtime_stats
from .primitives import BY_OBJECT, FROZEN, NAMESPACE, OPTIONAL, add
from .rules import DERIVATIVES, JVP, LINEAR, VJP

NAMESPACE["special"] = special
NAMESPACE["stats"] = stats

SQRT_PI_2 = 0.886226925452758    # sqrt(pi) / 2
TWO_SQRT_PI = 1.1283791670955126  # 2 / sqrt(pi)
INV_SQRT_2PI = 0.3989422804014327  # 1 / sqrt(2 pi)

for _name in ("gamma", "gammaln", "loggamma", "digamma", "erf", "erfc", "erfinv", "erfcinv",
              "logit", "i0", "i1", "i0e", "i1e", "ndtr", "ndtri", "log_ndtr"):
    add(f"special.{_name}", getattr(special, _name))
# polygamma's order n is an integer (its derivative in n is zero); a Bessel function's order v is
# real, its derivative in v has no closed form: refused where v is differentiated (no rule, no zero)
add("special.polygamma", special.polygamma, ("n", "x"), "broadcast", zero=("n",))
for _name, _params in [("iv", ("v", "x")), ("ive", ("v", "x")), ("jv", ("v", "x")),
                       ("jve", ("v", "x")), ("yv", ("v", "x")), ("yve", ("v", "x")),
                       ("kv", ("v", "x")), ("kve", ("v", "x")), ("xlogy", ("x", "y")),
                       ("xlog1py", ("x", "y")), ("beta", ("a", "b")), ("betaln", ("a", "b"))]:
    add(f"special.{_name}", getattr(special, _name), _params, "broadcast")
DERIVATIVES.update({
    "special.gamma": ("ans * special.digamma(x)",),
    "special.gammaln": ("special.digamma(x)",),
    "special.loggamma": ("special.digamma(x)",),  # (of a real x)
    "special.digamma": ("special.polygamma(1, x)",),
    "special.polygamma": (None, "special.polygamma(n + 1, x)"),
    "special.erf": (f"{TWO_SQRT_PI} * np.exp(-x * x)",),
    "special.erfc": (f"{-TWO_SQRT_PI} * np.exp(-x * x)",),
    "special.erfinv": (f"{SQRT_PI_2} * np.exp(ans * ans)",),
    "special.erfcinv": (f"{-SQRT_PI_2} * np.exp(ans * ans)",),
    "special.logit": ("1 / (x * (1 - x))",),
    # (in y 0 where x == 0, y == -1 or 0 included: xlogy(0, y) is 0 for every y)
    "special.xlogy": ("np.log(y)", "xdivy(x, y)"),
    "special.xlog1py": ("np.log1p(y)", "xdivy(x, 1 + y)"),
    # modified Bessel functions: I0' = I1, Iv' = (I(v-1) + I(v+1)) / 2; the scaled ones
    # ive = iv * exp(-|x|) lose sign(x) * ive
    "special.i0": ("special.i1(x)",),
    "special.i1": ("(special.i0(x) + special.iv(2, x)) / 2",),
    "special.iv": (None, "(special.iv(v - 1, x) + special.iv(v + 1, x)) / 2"),
    "special.i0e": ("special.i1e(x) - np.sign(x) * ans",),
    "special.i1e": ("(special.i0e(x) + special.ive(2, x)) / 2 - np.sign(x) * ans",),
    "special.ive": (None, "(special.ive(v - 1, x) + special.ive(v + 1, x)) / 2 - np.sign(x) * ans"),
    # Bessel J, Y: Cv' = (C(v-1) - C(v+1)) / 2; K: Kv' = -(K(v-1) + K(v+1)) / 2; the scaled jve, yve
    # (times exp(-|imag x|)) are as jv, yv for a real x, kve = kv * exp(x) gains ans
    "special.jv": (None, "(special.jv(v - 1, x) - special.jv(v + 1, x)) / 2"),
    "special.jve": (None, "(special.jve(v - 1, x) - special.jve(v + 1, x)) / 2"),
    "special.yv": (None, "(special.yv(v - 1, x) - special.yv(v + 1, x)) / 2"),
    "special.yve": (None, "(special.yve(v - 1, x) - special.yve(v + 1, x)) / 2"),
    "special.kv": (None, "-(special.kv(v - 1, x) + special.kv(v + 1, x)) / 2"),
    "special.kve": (None, "ans - (special.kve(v - 1, x) + special.kve(v + 1, x)) / 2"),
    "special.beta": ("ans * (special.digamma(a) - special.digamma(a + b))",
                     "ans * (special.digamma(b) - special.digamma(a + b))"),
    "special.betaln": ("special.digamma(a) - special.digamma(a + b)",
                       "special.digamma(b) - special.digamma(a + b)"),
    # the standard normal distribution: ndtr is its cdf, ndtri the inverse
    "special.ndtr": (f"{INV_SQRT_2PI} * np.exp(-x * x / 2)",),
    "special.log_ndtr": (f"{INV_SQRT_2PI} * np.exp(-x * x / 2 - ans)",),
    "special.ndtri": (f"{1 / INV_SQRT_2PI} * np.exp(ans * ans / 2)",),
})


# --- scipy.stats.norm: pdf, logpdf, cdf, logcdf in x, loc and scale ------------------------------
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


# (a loc left out where scale= is given takes its default, as SciPy binds them)
_LOC_SCALE_VALUES = {"loc": 0.0, "scale": 1.0}
for _name in ("pdf", "logpdf", "cdf", "logcdf"):
    add(f"stats.norm.{_name}", getattr(stats.norm, _name), ("x", "loc", "scale"), "broadcast")
    OPTIONAL[f"stats.norm.{_name}"] = _LOC_SCALE_VALUES
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


# a frozen distribution, stats.norm(mu, s): its methods call the distribution's with the
# arguments stored after the call's (d.logpdf(x) is stats.norm.logpdf(x, mu, s))
FROZEN.update({stats.rv_continuous: stats._distn_infrastructure.rv_continuous_frozen,
               stats.rv_discrete: stats._distn_infrastructure.rv_discrete_frozen,
               stats._multivariate.multi_rv_generic: stats._multivariate.multi_rv_frozen})


# --- more distributions: logpdf (and pdf = ans * the same partials) in every parameter -----------
def _located(partials, params, defaults, scaled=False):
    """Partials over a distribution's parameters, `{z}` standing for (x - loc) / scale, with the
    defaults filled in where the call leaves a parameter out; `scaled`: times ans (the pdf)."""
    def rule(op, i):
        if i >= len(partials) or partials[i] is None:
            return None
        names = {p: p if k < len(op.args) else defaults.get(p, p) for k, p in enumerate(params)}
        names["z"] = f"(({names['x']} - {names['loc']}) / {names['scale']})" \
            if "scale" in names else None
        text = partials[i].format(**names)
        return f"ans * ({text})" if scaled else text
    return rule


_LOC_SCALE = {"loc": "0.0", "scale": "1.0"}
_T = ("-({df} + 1) * {z} / ({scale} * ({df} + {z} ** 2))",
      "0.5 * (special.digamma(({df} + 1) / 2) - special.digamma({df} / 2) - 1 / {df} - "
      "np.log1p({z} ** 2 / {df}) + ({df} + 1) * {z} ** 2 / ({df} * ({df} + {z} ** 2)))",
      "({df} + 1) * {z} / ({scale} * ({df} + {z} ** 2))",
      "(({df} + 1) * {z} ** 2 / ({df} + {z} ** 2) - 1) / {scale}")
_GAMMA = ("(({a} - 1) / {z} - 1) / {scale}", "np.log({z}) - special.digamma({a})",
          "-(({a} - 1) / {z} - 1) / {scale}", "({z} - {a}) / {scale}")
_BETA = ("(({a} - 1) / {z} - ({b} - 1) / (1 - {z})) / {scale}",
         "np.log({z}) - special.digamma({a}) + special.digamma({a} + {b})",
         "np.log1p(-{z}) - special.digamma({b}) + special.digamma({a} + {b})",
         "-(({a} - 1) / {z} - ({b} - 1) / (1 - {z})) / {scale}",
         "-((({a} - 1) / {z} - ({b} - 1) / (1 - {z})) * {z} + 1) / {scale}")
for _dist, _params, _partials in [("t", ("x", "df", "loc", "scale"), _T),
                                  ("gamma", ("x", "a", "loc", "scale"), _GAMMA),
                                  ("beta", ("x", "a", "b", "loc", "scale"), _BETA)]:
    for _fn, _scaled in (("logpdf", False), ("pdf", True)):
        add(f"stats.{_dist}.{_fn}", getattr(getattr(stats, _dist), _fn), _params, "broadcast")
        DERIVATIVES[f"stats.{_dist}.{_fn}"] = _located(_partials, _params, _LOC_SCALE, _scaled)
        OPTIONAL[f"stats.{_dist}.{_fn}"] = _LOC_SCALE_VALUES
# poisson.logpmf(k, mu, loc): in mu (k and loc are integers: a differentiated one is refused)
add("stats.poisson.logpmf", stats.poisson.logpmf, ("k", "mu", "loc"), "broadcast")
OPTIONAL["stats.poisson.logpmf"] = {"loc": 0}
DERIVATIVES["stats.poisson.logpmf"] = _located((None, "({k} - {loc}) / {mu} - 1"),
                                               ("k", "mu", "loc"), {"loc": "0"})


# multivariate_normal.logpdf(x, mean, cov): with S = (x - mean) cov^-1 (cov symmetric),
# d/dx = -S, d/dmean = S, d/dcov = (S^T S - cov^-1) / 2, summed over a batch of x; x and cov read
# as SciPy reads them (mvn_points, mvn_cov: a number or a vector for cov, points in one dimension)
def _mvn(templates):
    def rule(op, i):
        if len(op.args) != 3 or op.kwargs:
            from .errors import NoDerivativeError
            raise NoDerivativeError("stats.multivariate_normal.logpdf has a derivative rule for "
                                    "logpdf(x, mean, cov) with mean and cov given")
        return templates[i]
    return rule


add("mvn_cov", runtime_stats.mvn_cov, ("cov", "mean"), "exact", zero=("mean",))
add("mvn_cov_grad", runtime_stats.mvn_cov_grad, ("v", "cov"), "exact", zero=("cov",))
add("mvn_points", runtime_stats.mvn_points, ("x", "mean"), "exact", zero=("mean",))
LINEAR.update({"mvn_cov", "mvn_cov_grad", "mvn_points"})
VJP.update({"mvn_cov": ("mvn_cov_grad(g, cov)", None), "mvn_cov_grad": ("mvn_cov(g, v[0])", None),
            "mvn_points": ("np.reshape(g, np.shape(x))", None)})
for _name in ("mvn_cov", "mvn_cov_grad", "mvn_points"):
    NAMESPACE[_name] = getattr(runtime_stats, _name)
_X, _C = "mvn_points(x, mean)", "mvn_cov(cov, mean)"
_S = f"(({_X} - mean) @ np.linalg.inv({_C}))"
add("stats.multivariate_normal.logpdf", stats.multivariate_normal.logpdf, ("x", "mean", "cov"),
    "exact")
VJP["stats.multivariate_normal.logpdf"] = _mvn((
    f"np.reshape(unbroadcast(-np.expand_dims(g, -1) * {_S}, {_X}), np.shape(x))",
    f"unbroadcast(np.expand_dims(g, -1) * {_S}, mean)",
    f"mvn_cov_grad(0.5 * (mT(np.reshape(np.expand_dims(g, -1) * {_S}, (-1, np.shape({_C})[0])))"
    f" @ np.reshape({_S}, (-1, np.shape({_C})[0])) - np.sum(g) * np.linalg.inv({_C})), cov)"))
JVP["stats.multivariate_normal.logpdf"] = _mvn(tuple(f"np.reshape({t}, np.shape(ans))" for t in (
    f"-np.sum(mvn_points(t, mean) * {_S}, axis=-1)", f"np.sum(t * {_S}, axis=-1)",
    f"0.5 * (np.sum(({_S} @ mvn_cov(t, mean)) * {_S}, axis=-1) - "
    f"np.trace(np.linalg.solve({_C}, mvn_cov(t, mean))))")))


# --- scipy.linalg: triangular solves, Sylvester equations, matrix square roots -------------------
NAMESPACE["scipy"] = scipy
add("scipy.linalg.solve_triangular", scipy.linalg.solve_triangular, ("a", "b"), "exact",
    trans=0, lower=False, unit_diagonal=False)
add("scipy.linalg.solve_sylvester", scipy.linalg.solve_sylvester, ("a", "b", "q"), "exact")
add("scipy.linalg.sqrtm", scipy.linalg.sqrtm, kind="exact")


def _triangular(mode):
    """X = op(A)^-1 B, op(A) = A or A^T (trans), A read as its lower or upper triangle (and
    without its diagonal when unit_diagonal): B's rule is a solve with the transpose; A's is
    -op(A)^-T G X^T kept on the triangle that was read."""
    def rule(op, i):
        from .errors import NoDerivativeError
        from .rules import _constant
        kw = {k: _constant(v, op, k) for k, v in op.kwargs}
        trans = {"N": 0, "T": 1}.get(kw.get("trans", 0), kw.get("trans", 0))
        if trans not in (0, 1):
            raise NoDerivativeError("scipy.linalg.solve_triangular has a derivative rule for "
                                    "trans 0 ('N') and 1 ('T')")
        lower, unit = bool(kw.get("lower", False)), bool(kw.get("unit_diagonal", False))
        tri = ("np.tril" if lower else "np.triu") + "({}" + (
            (", k=-1)" if lower else ", k=1)") if unit else ")")
        flags = f"lower={lower}, unit_diagonal={unit}"
        if mode == "vjp":
            back = f"scipy.linalg.solve_triangular(a, g, trans={1 - trans}, {flags})"
            if i == 1:
                return back
            grad_op = f"matmul_grad_left({back}, a, ans)"
            return "-" + tri.format(grad_op if trans == 0 else f"mT({grad_op})")
        if i == 1:
            return f"scipy.linalg.solve_triangular(a, t, trans={trans}, {flags})"
        moved = tri.format("t") if trans == 0 else f"mT({tri.format('t')})"
        return f"-scipy.linalg.solve_triangular(a, {moved} @ ans, trans={trans}, {flags})"
    return rule


VJP.update({
    "scipy.linalg.solve_triangular": _triangular("vjp"),
    # X solves a X + X b = q: with Y solving a^T Y + Y b^T = g, q gets Y, a gets -Y X^T, b -X^T Y
    "scipy.linalg.solve_sylvester": (
        "-scipy.linalg.solve_sylvester(mT(a), mT(b), g) @ mT(ans)",
        "-mT(ans) @ scipy.linalg.solve_sylvester(mT(a), mT(b), g)",
        "scipy.linalg.solve_sylvester(mT(a), mT(b), g)"),
    # S = sqrtm(A): S dS + dS S = dA
    "scipy.linalg.sqrtm": ("scipy.linalg.solve_sylvester(mT(ans), mT(ans), g)",),
})
JVP.update({
    "scipy.linalg.solve_triangular": _triangular("jvp"),
    "scipy.linalg.solve_sylvester": ("-scipy.linalg.solve_sylvester(a, b, t @ ans)",
                                     "-scipy.linalg.solve_sylvester(a, b, ans @ t)",
                                     "scipy.linalg.solve_sylvester(a, b, t)"),
    "scipy.linalg.sqrtm": ("scipy.linalg.solve_sylvester(ans, ans, t)",),
})


# scipy.linalg's spellings of NumPy's functions, with the same defaults: the same rules
for _name in ("inv", "det", "solve", "eigh", "svd", "pinv", "norm"):
    BY_OBJECT.setdefault(getattr(scipy.linalg, _name), f"np.linalg.{_name}")


# scipy.linalg.cholesky(a, lower=False) is upper triangular unless lower: np.linalg.cholesky's
# rule on its transpose
def _cholesky(mode):
    def rule(op, i):
        from .rules import _constant
        lower = dict(op.kwargs).get("lower")
        lower = False if lower is None else _constant(lower, op, "lower")
        low, flip = ("ans", "") if lower else ("mT(ans)", "mT")
        if mode == "vjp":
            return f"sym(mT(np.linalg.solve(mT({low}), mT(np.linalg.solve(mT({low}), " \
                f"phi(mT({low}) @ {flip}(real_part(g))))))))"
        return f"{flip}(real_matrix({low}) @ phi(mT(np.linalg.solve({low}, mT(np.linalg.solve(" \
            f"{low}, sym(t)))))))"
    return rule


add("scipy.linalg.cholesky", scipy.linalg.cholesky, kind="exact", lower=False)
VJP["scipy.linalg.cholesky"] = _cholesky("vjp")
JVP["scipy.linalg.cholesky"] = _cholesky("jvp")


# cho_factor(a) -> (c, lower): c holds the factor in one triangle (cholesky's rule) and a's own
# entries in the other; cho_solve((c, lower), b) solves A x = b, A = L L^T: dx = -A^-1 dA x
for _fn in (runtime_linalg.cho_lower, runtime_linalg.cho_lower_grad, runtime_linalg.cho_other):
    add(_fn.__name__, _fn, ("v", "lower"), "exact", zero=("lower",))
    NAMESPACE[_fn.__name__] = _fn
add("scipy.linalg.cho_factor", scipy.linalg.cho_factor, kind="exact", lower=False)
add("scipy.linalg.cho_solve", scipy.linalg.cho_solve, ("cf", "b"), "exact")
LINEAR.update({"cho_lower", "cho_lower_grad", "cho_other"})
_L, _CL = "cho_lower(ans[0], ans[1])", "cho_lower(cf[0], cf[1])"
_DA = f"(cho_lower(t[0], cf[1]) @ mT({_CL}) + {_CL} @ mT(cho_lower(t[0], cf[1])))"
_GA = "matmul_grad_left(scipy.linalg.cho_solve(cf, g), cf[0], ans)"
VJP.update({
    "cho_lower": ("cho_lower_grad(g, lower)", None),
    "cho_lower_grad": ("cho_lower(g, lower)", None),
    "cho_other": ("cho_other(g, lower)", None),
    "scipy.linalg.cho_factor": (f"sym(mT(np.linalg.solve(mT({_L}), mT(np.linalg.solve(mT({_L}), "
                                f"phi(mT({_L}) @ cho_lower(real_part(g[0]), ans[1]))))))) + "
                                "cho_other(real_part(g[0]), ans[1])",),
    "scipy.linalg.cho_solve": (f"getitem_grad(cho_lower_grad(-({_GA} + mT({_GA})) @ {_CL}, cf[1]),"
                               " cf, 0)", "scipy.linalg.cho_solve(cf, g)"),
})
JVP.update({
    "scipy.linalg.cho_factor": (f"(cho_lower_grad(real_matrix({_L}) @ phi(mT(np.linalg.solve({_L}, mT("
                                f"np.linalg.solve({_L}, sym(t)))))), ans[1]) + cho_other(t, ans[1]),"
                                " 0.0)",),
    "scipy.linalg.cho_solve": (f"-scipy.linalg.cho_solve(cf, {_DA} @ ans)",
                               "scipy.linalg.cho_solve(cf, t)"),
})


# expm: its derivative is the Frechet derivative L(A, E), adjoint L(A^T, G); L's own derivative
# in A is a corner of L of the block matrix [[A, E], [0, A]]
def expm_frechet(x, e):
    """The Frechet derivative of the matrix exponential at x in the direction e."""
    return scipy.linalg.expm_frechet(x, e, compute_expm=False)


def frechet_block(x, e):
    """The block matrix [[x, e], [0, x]]."""
    return np.block([[x, e], [np.zeros_like(x), x]])


def block_corner(m):
    """The upper right quarter of m."""
    n = np.shape(m)[-1] // 2
    return m[..., :n, n:]


def block_diagonal_sum(m):
    """The sum of m's two diagonal quarters."""
    n = np.shape(m)[-1] // 2
    return m[..., :n, :n] + m[..., n:, n:]


add("scipy.linalg.expm", scipy.linalg.expm, kind="exact")
for _fn, _params in [(expm_frechet, ("x", "e")), (frechet_block, ("x", "e")),
                     (block_corner, ("x",)), (block_diagonal_sum, ("x",))]:
    add(_fn.__name__, _fn, _params, "exact")
    NAMESPACE[_fn.__name__] = _fn
LINEAR.update({"block_corner", "block_diagonal_sum"})
VJP.update({
    "scipy.linalg.expm": ("expm_frechet(mT(x), g)",),
    "expm_frechet": ("block_diagonal_sum(expm_frechet(mT(frechet_block(x, e)), "
                     "frechet_block(zeros_like(g), g)))", "expm_frechet(mT(x), g)"),
    "frechet_block": ("block_diagonal_sum(g)", "block_corner(g)"),
    "block_corner": ("frechet_block(zeros_like(g), g)",),
    "block_diagonal_sum": ("frechet_block(g, zeros_like(g))",),
})
JVP.update({
    "scipy.linalg.expm": ("expm_frechet(x, t)",),
    "expm_frechet": ("block_corner(expm_frechet(frechet_block(x, e), frechet_block(t, "
                     "zeros_like(t))))", "expm_frechet(x, t)"),
    "frechet_block": ("frechet_block(t, zeros_like(e))", "frechet_block(zeros_like(x), t)"),
})


# dirichlet.logpdf(x, alpha), x on the simplex along its first axis (a batch after it):
# d/dx = (alpha - 1) / x, d/dalpha = log x - digamma(alpha) + digamma(sum alpha)
_A = "np.reshape(alpha, (-1,) + (1,) * (np.ndim(x) - 1))"  # alpha along x's first axis
_DA = f"(np.log(x) - special.digamma({_A}) + special.digamma(np.sum(alpha)))"
add("stats.dirichlet.logpdf", stats.dirichlet.logpdf, ("x", "alpha"), "exact")
VJP["stats.dirichlet.logpdf"] = (
    f"np.expand_dims(g, 0) * ({_A} - 1) / x",
    f"np.reshape(unbroadcast(np.expand_dims(g, 0) * {_DA}, {_A}), np.shape(alpha))")
JVP["stats.dirichlet.logpdf"] = (
    f"np.sum(t * ({_A} - 1) / x, axis=0)",
    f"np.sum(np.reshape(t, (-1,) + (1,) * (np.ndim(x) - 1)) * {_DA}, axis=0)")
