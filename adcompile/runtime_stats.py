"""Helpers of the rules for NumPy's statistics and sampled functions: quantiles (np.median,
np.percentile, np.quantile), the trapezoidal rule (np.trapezoid), piecewise linear interpolation
(np.interp) and covariances (np.cov, np.corrcoef). Each is piecewise constant (the weights a
quantile gives its entries, an interpolation's slopes), piecewise linear (an interpolation's
weights) or linear in one operand, so the rules of rules_stats.py that call them differentiate
again. Plain NumPy, like runtime.py, so an exported derivative can carry them along."""
import math
import threading

import numpy as np

from .runtime import _ndim, _shape, _weak, size_of, unbroadcast


def _axes(axis, n):
    """`axis` of np.quantile (None, an int or a tuple) as a sorted tuple of axes."""
    if axis is None:
        return tuple(range(n))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(sorted(a % n for a in axes))


def reduced_size(x, axis):
    """How many entries of x each result of np.mean, np.var or np.std over `axis` reduces: the
    product of those axes' lengths (not size(x) / size(result), 0 / 0 where another axis is
    empty); inf for an empty x (no entry to hand a share of the gradient: every share 0)."""
    n = size_of(x) if axis is None else math.prod(_shape(x)[a] for a in _axes(axis, _ndim(x)))
    if n != n:  # (Dask, lengths not known yet)
        return size_of(x) / size_of(np.sum(x, axis=axis))
    return float(n) if n else math.inf


def quantile_weights(x, q, axis):
    """The weights np.quantile(x, q, axis) (method "linear") gives each entry of x: for each q,
    1 - f on the order statistic at floor(q (n - 1)) and f on the next, f the fractional part of
    q (n - 1); 0 elsewhere. Shaped q.shape + x.shape; np.quantile is the sum of weights times x
    over `axis`. Piecewise constant in x (ties: a stable sort's order)."""
    return _quantile_weights(x, q, axis, False)


def nanquantile_weights(x, q, axis):
    """quantile_weights for np.nanquantile: the order statistics of the entries that are not NaN
    (n counted in each slice), and weight 0 on a NaN."""
    return _quantile_weights(x, q, axis, True)


def _quantile_weights(x, q, axis, skip_nan):
    n = _ndim(x)
    axes = _axes(axis, n)
    moved = np.moveaxis(x, axes, tuple(range(n - len(axes), n)))
    rest = _shape(moved)[:n - len(axes)]
    flat = np.reshape(moved, rest + (math.prod(_shape(moved)[len(rest):]),))  # (not -1: rest
    # may hold a 0)
    m = np.sum(~np.isnan(flat), axis=-1) if skip_nan else _shape(flat)[-1]  # (NaNs sort last)
    q = np.asarray(q, dtype=float)
    position = np.reshape(q, q.shape + (1,) * len(rest)) * (m - 1)
    low = np.clip(np.floor(position).astype(int), 0, np.maximum(m - 1, 0))
    high = np.minimum(low + 1, m - 1)
    frac = (position - low).astype(np.result_type(getattr(x, "dtype", float), 1.0))  # (float32)
    # each entry's place in order (ties: first come first, as jit's Numba version)
    ranks = np.argsort(np.argsort(flat, axis=-1, kind="stable"), axis=-1)
    low, high, frac = (np.expand_dims(v, -1) for v in (low, high, frac))
    weights = (ranks == low) * (1 - frac) + (ranks == high) * frac
    if skip_nan:  # (a slice of NaNs only has n = 0: no order statistic)
        weights = weights * ~np.isnan(flat)
    weights = np.reshape(weights, q.shape + _shape(moved))
    k = q.ndim
    return np.moveaxis(weights, tuple(range(k + n - len(axes), k + n)), tuple(k + a for a in axes))


def quantile_gather(v, w, x, axis, keepdims):
    """sum(w * v) over `axis` of x (w from quantile_weights, with q's axes in front): the
    quantile's tangent, shaped as np.quantile's result."""
    n = _ndim(x)
    k = _ndim(w) - n
    return np.sum(w * v, axis=tuple(k + a for a in _axes(axis, n)), keepdims=keepdims)


def quantile_spread(v, w, x, axis, keepdims):
    """The adjoint of quantile_gather: the quantile's gradient `v` handed to the entries of x by
    their weights w (summed over q's axes)."""
    n = _ndim(x)
    k = _ndim(w) - n
    if not keepdims:  # (a Python number in x's dtype first: float32 stays float32)
        v = np.expand_dims(_weak(v, x), tuple(k + a for a in _axes(axis, n)))
    return np.sum(v * w, axis=tuple(range(k)))


def trapezoid_weights(y, x, dx, axis):
    """The weights np.trapezoid(y, x, dx, axis) gives each sample of y along `axis`, shaped to
    broadcast against y: half of the widths of the intervals on either side of each sample
    (dx, or the steps of x, a 1-D x lying along `axis`). Linear in x."""
    n, size = _ndim(y), _shape(y)[axis]
    along = [-1 if k == axis % n else 1 for k in range(n)]
    if x is None:
        ends = np.ones(size)
        ends[[0, -1]] = 0.5
        return np.reshape(ends * dx, along)
    if _ndim(x) == 1 and n > 1:
        x = np.reshape(x, along)
    steps = np.diff(x, axis=axis)
    pad = [(0, 0)] * _ndim(steps)
    before, after = list(pad), list(pad)
    before[axis % n], after[axis % n] = (1, 0), (0, 1)
    return (np.pad(steps, before) + np.pad(steps, after)) / 2


def trapezoid_weights_grad(v, y, x, axis):
    """The adjoint of trapezoid_weights in x: `v` (shaped like y) summed to the weights' shape,
    each interval's share (half of each of its two samples) handed back to the steps of x, and
    the steps to x's entries."""
    n = _ndim(y)
    a = axis % n
    if _ndim(x) == 1 and n > 1:
        v = np.sum(v, axis=tuple(k for k in range(n) if k != a))
    elif _shape(v) != _shape(x):
        v = np.sum(v, axis=tuple(k for k in range(n) if _shape(x)[k] == 1 != _shape(v)[k]),
                   keepdims=True)
    ax = 0 if _ndim(v) == 1 else a
    first = [slice(None)] * _ndim(v)
    last = list(first)
    first[ax], last[ax] = slice(None, -1), slice(1, None)
    shares = (v[tuple(first)] + v[tuple(last)]) / 2  # the gradient of each step
    zero = np.zeros_like(shares, shape=tuple(1 if k == ax else s for k, s in
                                             enumerate(_shape(shares))))
    return -np.diff(shares, axis=ax, prepend=zero, append=zero)


def _interval(x, xp):
    """Where each x lies among the sample points xp: the index j of its interval [xp[j],
    xp[j + 1]] (the first or last interval outside xp), the interval's width h, and whether x
    lies inside [xp[0], xp[-1]]. Each shaped like x."""
    x, xp = np.asarray(x), np.asarray(xp)
    j = np.clip(np.searchsorted(xp, x, side="right") - 1, 0, _shape(xp)[0] - 2)
    return j, xp[j + 1] - xp[j], (x >= xp[0]) & (x <= xp[-1])


def _scatter(index, v, size):
    """The sum of the entries of v at each index in range(size), shaped (size,)."""
    index, v = np.ravel(index), np.ravel(v)
    if np.iscomplexobj(v):
        return _scatter(index, np.real(v), size) + 1j * _scatter(index, np.imag(v), size)
    return np.bincount(index, weights=v, minlength=size)


def interp_gather(v, x, xp, left, right):
    """The values v (one for each sample point xp) interpolated at x: np.interp(x, xp, v), but 0
    outside xp where `left` or `right` is given (there np.interp's value does not come from v).
    Shaped like x. Linear in v; in x its slope is interp_slope."""
    return np.interp(x, xp, v, left=None if left is None else 0.0,
                     right=None if right is None else 0.0)


def interp_spread(v, x, xp, left, right):
    """The adjoint of interp_gather in v: each entry of v (shaped like x) handed to the two
    sample points around its x, 1 - w to the lower and w to the upper (w the place of x
    between them), all to the first or last point where x lies outside xp (none where `left`
    or `right` is given). Shaped (len(xp),). Linear in v, piecewise linear in x."""
    x, xp = np.asarray(x), np.asarray(xp)
    size = _shape(xp)[0]
    j, h, _ = _interval(x, xp)
    w = np.clip((x - xp[j]) / h, 0.0, 1.0)
    v = np.broadcast_to(v, _shape(x))
    if left is not None:
        v = np.where(x < xp[0], 0.0, v)
    if right is not None:
        v = np.where(x > xp[-1], 0.0, v)
    return _scatter(j, v * (1 - w), size) + _scatter(j + 1, v * w, size)


def interp_slope(v, x, xp):
    """The slope at x of the values v (one for each sample point xp) interpolated linearly:
    (v[j + 1] - v[j]) / (xp[j + 1] - xp[j]) on the interval j around x, 0 outside xp. Shaped
    like x. Linear in v, piecewise constant in x."""
    v = np.asarray(v)
    j, h, inside = _interval(x, xp)
    return np.where(inside, (v[j + 1] - v[j]) / h, 0.0)


def interp_slope_spread(v, x, xp):
    """The adjoint of interp_slope in its values: each entry of v (shaped like x) divided by the
    width h of the interval around its x and handed to the interval's two sample points, -v / h
    to the lower and v / h to the upper (nothing where x lies outside xp). Shaped (len(xp),).
    Linear in v, piecewise constant in x."""
    size = _shape(np.asarray(xp))[0]
    j, h, inside = _interval(x, xp)
    share = np.where(inside, np.broadcast_to(v, _shape(np.asarray(x))) / h, 0.0)
    return _scatter(j + 1, share, size) - _scatter(j, share, size)


# whether np.cov(m, rowvar=False) reads one row as one observation of each column (NumPy 2.2 and
# later, numpy#27658) or as one variable (before)
def series_function(kind, what):
    """np.polynomial's function `what` ("val", "der", "vander") of the series `kind`, named by
    its prefix: chebval for ("cheb", "val")."""
    module = {"poly": "polynomial", "cheb": "chebyshev", "leg": "legendre", "herm": "hermite",
              "herme": "hermite_e", "lag": "laguerre"}[kind]
    return getattr(getattr(np.polynomial, module), kind + what)


def series_value(x, c, kind, order):
    """At x, the order-th derivative of the series of np.polynomial's `kind` whose coefficients
    are c (its first axis the degree): chebval(x, chebder(c, order)) for "cheb"."""
    if order:
        c = series_function(kind, "der")(c, order)
    return series_function(kind, "val")(x, c)


def series_coefficients_grad(w, x, c, kind, order):
    """The gradient of c from series_value(x, c, kind, order) whose result's gradient is w
    (shaped c.shape[1:] + x.shape): each coefficient's basis function (its order-th derivative)
    at the points x, weighted by w and summed over the points."""
    c = np.asarray(c)
    n = c.shape[0]
    basis = series_function(kind, "vander")(np.ravel(x), max(n - order - 1, 0))
    if order:  # (the derivatives of the basis functions, in the basis of lower degree)
        basis = basis @ series_function(kind, "der")(np.eye(n), order)
    w = np.reshape(np.broadcast_to(w, c.shape[1:] + np.shape(x)), (-1, basis.shape[0]))
    return np.reshape((w @ basis).T, c.shape)


_ONE_ROW_OF_COLUMNS = np.shape(np.cov(np.zeros((1, 2)), rowvar=False, ddof=0)) == (2, 2)


def _columns_are_variables(m, rowvar):
    return not rowvar and _ndim(m) >= 2 and (_ONE_ROW_OF_COLUMNS or _shape(m)[0] != 1)


def cov_rows(m, rowvar):
    """`m` as np.cov reads it: a matrix with one variable a row (a vector is one variable; with
    rowvar=False the columns are the variables, of one row too as this NumPy has it)."""
    x = np.reshape(m, (1, -1)) if _ndim(m) < 2 else m
    return x.T if _columns_are_variables(m, rowvar) else x


def uncov_rows(v, m, rowvar):
    """The adjoint of cov_rows: `v` (one variable a row) back in m's layout."""
    v = v.T if _columns_are_variables(m, rowvar) else v
    return np.reshape(v, _shape(m))


def cov_square(g, m, rowvar):
    """The gradient of np.cov's result (a number for one variable) as the square matrix of the
    covariances it lists."""
    k = _shape(cov_rows(m, rowvar))[0]
    return np.reshape(g, (k, k))



def weighted_exp(w, x, s):
    """w * exp(x - s), 0 where w == 0: the terms of scipy.special.logsumexp(x, b=b)'s derivative
    (s its result, w b times a tangent or an adjoint): an entry of weight 0 adds nothing however
    far x exceeds s (not 0 * inf)."""
    return w * np.exp(np.where(w == 0, -np.inf, x) - s)


def _mvn_dim(mean):
    """The dimension of stats.multivariate_normal with this mean (a number: 1)."""
    dim = 1
    for n in _shape(mean):
        dim *= n
    return dim


def mvn_cov(cov, mean):
    """cov as stats.multivariate_normal reads it: a number c is c I, a vector the diagonal, a
    matrix itself. `mean` gives the dimension. Linear in cov."""
    n = _ndim(cov)
    if n == 2:
        return cov
    if n == 1:
        return np.diag(cov)
    dim = _mvn_dim(mean)
    return np.reshape(cov, (1, 1)) if dim == 1 else cov * np.eye(dim, like=mean)


def mvn_cov_grad(v, cov):
    """The adjoint of mvn_cov: the gradient `v` of the matrix in cov's form (its trace for a
    number, its diagonal for a vector)."""
    n = _ndim(cov)
    return v if n == 2 else np.diagonal(v) if n == 1 else np.trace(v)


def mvn_points(x, mean):
    """x as stats.multivariate_normal reads it, one point a row: in one dimension a number or
    each entry of a vector is a point (a column), else x as it is (a number stands for each
    component). Linear in x."""
    return np.reshape(x, (-1, 1)) if _ndim(x) < 2 and _mvn_dim(mean) == 1 else x


def keep_axes(v, axis, keepdims):
    """The result `v` of a reduction over `axis` with those axes back at length 1, so that it
    broadcasts against the operand (unreduce without the broadcast)."""
    return v if keepdims or axis is None else np.expand_dims(v, axis)


def average_weights(v, x, axis):
    """np.average's weights `v` as it multiplies x by them: 1-D weights along `axis` laid
    along it, then broadcast to x's shape."""
    n = _ndim(x)
    if axis is None and _shape(v) != _shape(x):
        raise TypeError("Axis must be specified when shapes of a and weights differ.")
    if _ndim(v) != n:
        v = np.reshape(v, [-1 if k == axis % n else 1 for k in range(n)])
    return np.broadcast_to(v, _shape(x))


def root_of_var(v):
    """np.std with where= or mean=: the square root of its variance (rules_stats.py: its
    derivative at a variance of 0 is np.std's there, at every order)."""
    return np.sqrt(v)


def check_weights(total):
    """np.average's check of weights computed at run time: where they sum to 0 it raises
    NumPy's error (NumPy's arrays and numbers; another library's average does not check)."""
    if isinstance(total, (float, int, np.ndarray, np.generic)) and np.any(total == 0.0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")


def average_weights_grad(v, w, x, axis):
    """The adjoint of average_weights: `v` (x's shape) summed back to the weights `w`'s."""
    n = _ndim(x)
    if _ndim(w) != n:
        return np.sum(v, axis=tuple(k for k in range(n) if k != axis % n))
    return unbroadcast(v, w)


def lost_standard_draws(rng, kind, *params, size=None):
    """The standard draws of the next `rng.<kind>(*params, size=size)` where reading them back
    from its drawn values would lose digits of them (standard_draws: drawn again from a copy of
    rng), else None: the rule reads them back (standard_of), which costs nothing, where copying
    a generator's state costs 10 (PCG64) to 200 (MT19937) times a scalar draw. Decided from the
    parameters alone, before the draw (_read_back_exact)."""
    if _read_back_exact(kind, params) and (rng is None or isinstance(
            rng, (np.random.Generator, np.random.RandomState))):
        return None
    return standard_draws(rng, kind, *params, size=size)


READ_BACK = 1024.0  # the largest |shift| / |spread| of a draw whose standard draws are read back


def _read_back_exact(kind, params):
    """Whether every standard draw s of a draw `kind` with these parameters is read back from
    the drawn value x to a few ulps. NumPy draws x = shift + spread * s (normal: loc + scale * z,
    uniform: low + (high - low) * u, exponential: scale * e) and x is rounded to eps * |x|, so
    (x - shift) / spread keeps s to eps * (|shift| / |spread| + |s|): to a thousand ulps of a
    standard draw where |shift| <= READ_BACK |spread|, and spread * s neither overflows nor falls
    subnormal (a price drawn as normal(100, 2) is read back; a loc of 1e8 with a scale of 1e-3 is
    not). A lognormal's log(x) = mean + sigma * z also carries log's and exp's roundings, about
    eps each: read back where 1 + |mean| <= READ_BACK |sigma| and exp neither overflows nor
    underflows (|z| < 40). Not where a parameter is 0, infinite or NaN (those draw again)."""
    if kind == "uniform":
        low, high = params
        return _spread_keeps(low, _array(high) - _array(low))
    if kind == "exponential":
        return _spread_keeps(0.0, params[0])
    shift, spread = params
    if kind == "normal":
        return _spread_keeps(shift, spread)
    shift, spread = _array(shift), _array(spread)
    return _spread_keeps(1 + abs(shift), spread) and \
        _all(abs(shift) + 40 * abs(spread) < 700)


def _spread_keeps(shift, spread):
    """Whether (x - shift) / spread gives back every s of x = shift + spread * s to a thousand
    ulps (|s| < 40: a standard draw; _read_back_exact)."""
    if type(spread) is float and type(shift) is float:  # (a scalar draw: 0.1 us)
        return 2.0 ** -900 <= abs(spread) <= 2.0 ** 900 and abs(shift) <= READ_BACK * abs(spread)
    scale = abs(_array(spread))
    return _all((2.0 ** -900 <= scale) & (scale <= 2.0 ** 900) &
                (abs(_array(shift)) <= READ_BACK * scale))


def _array(x):
    """x itself if a Python float or int (tested with plain comparisons), else as an array."""
    return x if type(x) is float or type(x) is int else np.asarray(x)


def _all(test):
    """A test's answer, a Python bool or an array of them."""
    return test if type(test) is bool else bool(np.all(test))


def standard_of(drawn, x, shift, spread, log=False):
    """The standard draws s of the drawn values x = shift + spread * s (log: log(x) = shift +
    spread * s), for a derivative of the draw in its parameters: `drawn` where drawn again
    (lost_standard_draws), else read back from x, which keeps them there to a thousand ulps."""
    if drawn is not None:
        return drawn
    return ((np.log(x) if log else x) - shift) / spread


_STANDARD = {"normal": "standard_normal", "lognormal": "standard_normal",
             "exponential": "standard_exponential", "uniform": "random"}


def standard_draws(rng, kind, *params, size=None):
    """The standard draws that the next `rng.<kind>(*params, size=size)` makes its values from
    (z of normal(loc, scale) = loc + scale * z and of lognormal, e of exponential, u of uniform),
    drawn from a copy of `rng` as it stands before that draw (None: NumPy's global state, which
    np.random's functions draw from); `rng` itself does not move. The pathwise rules read them
    (rules_stats.py): exact, where reading them back from the drawn value would lose them (a
    lognormal that underflowed to 0, a scale of 0, a loc much larger than scale * z)."""
    if rng is None:
        rng = np.random.mtrand._rand
    if not isinstance(rng, (np.random.Generator, np.random.RandomState)):
        from .runtime import outside_rule
        raise outside_rule(
            f"the draw .{kind}() of a {type(rng).__name__}, not a NumPy Generator or "
            "RandomState, is differentiated in its parameters: its standard draws are not known; "
            "draw them yourself (z = rng.standard_normal(n); x = loc + scale * z)")
    if size is None:
        try:
            size = np.broadcast_shapes(*(np.shape(p) for p in params)) or None
        except ValueError:  # (the draw itself raises NumPy's error next)
            return None
    method = _STANDARD[kind]
    copy = _copy_of(rng)
    if method == "random" and isinstance(copy, np.random.RandomState):
        method = "random_sample"
    return getattr(copy, method)(size=size)


def _copy_of(rng):
    """A generator at rng's state, drawing apart from it (one kept per thread and kind, set to
    that state: making a new one, seeded, costs more than the draw). Kept on the function
    itself, so that an exported copy keeps its own."""
    kind = type(rng.bit_generator) if isinstance(rng, np.random.Generator) else None
    kept = vars(_copy_of.__dict__.setdefault("scratch", threading.local())).setdefault(
        "generators", {})
    try:
        if kind is not None:
            copy = kept.get(kind) or kept.setdefault(kind, np.random.Generator(kind(0)))
            copy.bit_generator.state = rng.bit_generator.state
            return copy
        copy = kept.get(None) or kept.setdefault(None, np.random.RandomState(0))
        copy.set_state(rng.get_state(legacy=False))
        return copy
    except (TypeError, ValueError):  # (a bit generator of another kind, or seeded otherwise)
        import copy as copying
        return copying.deepcopy(rng)
