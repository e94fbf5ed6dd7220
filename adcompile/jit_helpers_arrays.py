"""Numba implementations of the helpers of runtime_arrays.py (sorting, np.transpose's adjoint,
np.cumprod's and np.prod's exact derivatives, np.column_stack of a list, xdivy, np.sinc's
derivatives), as in jit_helpers.py: each typer returns an implementation for the Numba types it
handles (float arrays; np.cumprod and np.prod along every entry, axis None, the only one Numba's
np.cumprod and np.prod take), else None, and jit refuses at the user's line."""
from __future__ import annotations

import math

import numpy as np

from . import runtime, runtime_arrays


def _array(x, t):
    return isinstance(x, t.Array)


def _float_array(x, t):
    return _array(x, t) and isinstance(x.dtype, t.Float)


def _real(x, t):
    """A float array, or a real number (broadcast to the array's shape)."""
    return _float_array(x, t) or isinstance(x, (t.Float, t.Integer))


def _no_axis(axis, t):
    return axis is None or isinstance(axis, (t.NoneType, t.Omitted))


# -- sorted(xs, key=...) of numbers computed at run time -----------------------------------------

def _sorted_order(t):
    def typer(xs, reverse):
        if isinstance(xs, (t.List, t.UniTuple)):
            def impl(xs, reverse):  # a stable insertion sort by `<`, as Python's sort compares
                order = np.arange(len(xs))
                for i in range(1, len(xs)):
                    k, j = order[i], i
                    while j > 0 and (xs[order[j - 1]] < xs[k] if reverse else
                                     xs[k] < xs[order[j - 1]]):
                        order[j] = order[j - 1]
                        j -= 1
                    order[j] = k
                return order
            return impl
    return typer


def _list_add(t):
    """runtime.list_add: two gradients of a list added. A list of numbers' gradient is an array
    under Numba (getitem_grad's), a number is the zero gradient of a list not built."""
    def typer(a, b):
        if _float_array(a, t) and _float_array(b, t) and a.ndim == b.ndim == 1:
            def arrays(a, b):
                if a.size != b.size:
                    raise ValueError("adcompile.jit: two gradients of one list of other lengths")
                return a + b
            return arrays
        if isinstance(a, t.List) and isinstance(b, t.List) and _array(a.dtype, t):
            def lists(a, b):
                if len(a) != len(b):
                    raise ValueError("adcompile.jit: two gradients of one list of other lengths")
                out = [a[0] + b[0]]
                for i in range(1, len(a)):
                    out.append(a[i] + b[i])
                return out
            return lists
        if isinstance(a, (t.Float, t.Integer)) and isinstance(b, (t.Float, t.Integer)):
            return lambda a, b: a + b
        for number, other in ((a, b), (b, a)):
            if isinstance(number, (t.Float, t.Integer)) and (
                    _float_array(other, t) or isinstance(other, t.List)):
                return _beside_zero(number is a)
    return typer


def _beside_zero(first):
    if first:
        def number_first(a, b):
            _check_zero(a)
            return b
        return number_first

    def number_second(a, b):
        _check_zero(b)
        return a
    return number_second


def _check_zero(number):
    """(Compiled as it is, for the implementations above.)"""
    if number != 0:
        raise ValueError("adcompile's generated code added a gradient that is a number to the "
                         "gradient of a list; this is a defect of adcompile's: please report "
                         "the function")


# -- rearrangements ------------------------------------------------------------------------------

def _untranspose(t):
    """np.transpose(g, axes)'s adjoint: g transposed by the inverse permutation of the axes (read
    modulo g's ndim), written out for the number of axes."""
    def typer(g, axes):
        if not _array(g, t) or not isinstance(axes, t.BaseTuple) or len(axes) != g.ndim or \
                not all(isinstance(a, t.Integer) for a in axes):
            return None
        n = g.ndim
        lines = ["def untranspose(g, axes):", f"    inv = np.empty({n}, np.intp)"]
        lines += [f"    inv[axes[{k}] % {n}] = {k}" for k in range(n)]
        lines += [f"    return np.transpose(g, ({', '.join(f'inv[{k}]' for k in range(n))},))"]
        scope: dict = {"np": np}
        exec("\n".join(lines) + "\n", scope)
        return scope["untranspose"]
    return typer


def _roll_along(g, shift, axis):
    """np.roll(g, shift, axis) for one integer axis, on g seen as (before, axis, after).
    (Compiled as it is, for the implementations below.)"""
    k = axis % g.ndim
    before, after = 1, 1
    for d in range(k):
        before *= g.shape[d]
    for d in range(k + 1, g.ndim):
        after *= g.shape[d]
    n = g.shape[k]
    cube = np.ascontiguousarray(g).reshape((before, n, after))
    out = np.empty_like(cube)
    for i in range(n):
        out[:, (i + shift) % n, :] = cube[:, i, :]
    return out.reshape(g.shape)


def _unroll(t):
    """np.roll's adjoint, g rolled back by an integer shift: Numba's np.roll (no axis) of the
    flattened array, or _roll_along one axis."""
    def typer(g, shift, axis):
        if not _array(g, t) or not isinstance(shift, t.Integer):
            return None
        if _no_axis(axis, t):
            return lambda g, shift, axis: np.roll(g, -shift)
        if isinstance(axis, t.Integer):
            return lambda g, shift, axis: _roll_along(g, -shift, axis)
    return typer


def _roll(t):
    """np.roll(a, shift, axis) with one integer axis (Numba's np.roll takes none)."""
    def typer(a, shift, axis=None):
        if _array(a, t) and isinstance(shift, t.Integer) and isinstance(axis, t.Integer):
            return lambda a, shift, axis=None: _roll_along(a, shift, axis)
    return typer


def _column_stack(t):
    """np.column_stack of a list a loop builds (Numba's takes a tuple): 1-D items are columns,
    2-D ones are joined along their second axis."""
    def typer(xs):
        if not isinstance(xs, t.List) or not _array(xs.dtype, t) or xs.dtype.ndim not in (1, 2):
            return None
        if xs.dtype.ndim == 1:
            def columns(xs):
                out = np.empty((xs[0].shape[0], len(xs)), xs[0].dtype)
                for i in range(len(xs)):
                    _check_rows(xs[i].shape[0], out.shape[0])
                    out[:, i] = xs[i]
                return out
            return columns

        def blocks(xs):
            width = 0
            for x in xs:
                _check_rows(x.shape[0], xs[0].shape[0])
                width += x.shape[1]
            out = np.empty((xs[0].shape[0], width), xs[0].dtype)
            at = 0
            for x in xs:
                out[:, at:at + x.shape[1]] = x
                at += x.shape[1]
            return out
        return blocks
    return typer


def _check_rows(rows, want):
    """(Compiled as it is, for the implementations above.)"""
    if rows != want:
        raise ValueError("all the input array dimensions except for the concatenation axis "
                         "must match exactly")


def _column_stack_grad(t):
    def typer(g, xs):
        if not _array(g, t) or g.ndim != 2 or not isinstance(xs, t.List) or \
                not _array(xs.dtype, t) or xs.dtype.ndim not in (1, 2):
            return None
        if xs.dtype.ndim == 1:
            def columns(g, xs):  # (the piece of g that each column came from)
                out = [g[:, 0].copy()]
                for i in range(1, len(xs)):
                    out.append(g[:, i].copy())
                return out
            return columns

        def blocks(g, xs):
            out = [g[:, :xs[0].shape[1]].copy()]
            at = xs[0].shape[1]
            for i in range(1, len(xs)):
                out.append(g[:, at:at + xs[i].shape[1]].copy())
                at += xs[i].shape[1]
            return out
        return blocks
    return typer


# -- np.diag, np.stack of a list, np.imag ----------------------------------------------------

def _diag_grad(t):
    """The gradient of np.diag(x, k): the k-th diagonal of g for a vector x, g put on x's k-th
    diagonal for a matrix x."""
    def typer(g, x, k):
        if not (_float_array(g, t) and _array(x, t) and isinstance(k, t.Integer)):
            return None
        if x.ndim == 1 and g.ndim == 2:
            return lambda g, x, k: np.diag(g, k)
        if x.ndim == 2 and g.ndim == 1:
            def put(g, x, k):
                out = np.zeros(x.shape, g.dtype)
                for i in range(g.size):
                    out[i + max(-k, 0), i + max(k, 0)] = g[i]
                return out
            return put
    return typer


def _stack_grad(t):
    """The gradients of the parts of np.stack(xs, axis) (np.array(xs)) of a list built at run
    time: the piece of g along `axis` each part became, a list (numbers: g's entries)."""
    def typer(g, xs, axis):
        if _float_array(g, t) and _array(xs, t) and xs.ndim == 1 == g.ndim and \
                isinstance(axis, t.Integer):  # (Numba made a list of numbers an array)
            return lambda g, xs, axis: [g[i] for i in range(len(xs))]
        if not (_float_array(g, t) and isinstance(xs, t.List) and isinstance(axis, t.Integer)):
            return None
        if isinstance(xs.dtype, (t.Float, t.Integer)) and g.ndim == 1:
            return lambda g, xs, axis: [g[i] for i in range(len(xs))]
        if _array(xs.dtype, t) and xs.dtype.ndim == g.ndim - 1:
            def parts(g, xs, axis):
                a = axis % g.ndim
                before, after = 1, 1
                for k in range(g.ndim):
                    if k < a:
                        before *= g.shape[k]
                    elif k > a:
                        after *= g.shape[k]
                flat = np.ascontiguousarray(g).reshape((before, g.shape[a], after))
                out = [np.ascontiguousarray(flat[:, 0, :]).reshape(xs[0].shape)]
                for i in range(1, len(xs)):
                    out.append(np.ascontiguousarray(flat[:, i, :]).reshape(xs[i].shape))
                return out
            return parts
    return typer


def _imag_grad(t):
    """The gradient of np.imag(x): -1j * g for a complex x, zeros for a real one (constant)."""
    def typer(g, x):
        if isinstance(x.dtype if _array(x, t) else x, t.Complex):
            return lambda g, x: -1j * g
        if isinstance(x.dtype if _array(x, t) else x, (t.Float, t.Integer)):
            return lambda g, x: runtime.zeros_like(x)
    return typer


# -- np.cumprod and np.prod: exact derivatives, no division --------------------------------------

def _rows(count, kinds):
    """Code putting the `count` arrays or numbers `ts` (an array: x's size) as the rows of
    `rows`, an array (count, n)."""
    lines = [f"    rows = np.empty(({count}, n))"]
    for r in range(count):
        if kinds[r]:
            lines += [f"    if ts[{r}].size != n:",
                      "        raise ValueError('adcompile.jit: a tangent broadcast to its "
                      "value is not supported under Numba here')",
                      f"    rows[{r}] = np.ascontiguousarray(ts[{r}]).reshape(n)"]
        else:
            lines.append(f"    rows[{r}] = ts[{r}]")
    return lines


def _dual_run(run, x, rows, k, new):
    """runtime_arrays._dual_step: the coefficients `run` (one per mask of directions) times
    factor k, x[k] + e_1 rows[0, k] + ..., into `new` (the sums in Python's order)."""
    count = rows.shape[0]
    for m in range(run.size):
        acc = 0.0
        for r in range(count):
            if m >> r & 1:
                acc += run[m ^ 1 << r] * rows[r, k]
        new[m] = run[m] * x[k] + acc


def _cumprod_jvp_flat(x, rows):
    n, full = x.size, 2 ** rows.shape[0] - 1
    out = np.zeros(n)
    run, new = np.zeros(full + 1), np.empty(full + 1)
    run[0] = 1.0
    for k in range(n):
        _dual_run(run, x, rows, k, new)
        run[:] = new
        out[k] = run[full]
    return out


def _cumprod_vjp_flat(v, x, rows):
    n, full = x.size, 2 ** rows.shape[0] - 1
    before = np.zeros((n, full + 1))
    before[0, 0] = 1.0
    for k in range(n - 1):
        _dual_run(before[k], x, rows, k, before[k + 1])
    after, new = np.zeros(full + 1), np.empty(full + 1)
    after[0] = v[n - 1]
    out = np.empty(n)
    for i in range(n - 1, -1, -1):
        if i < n - 1:  # S_i = v_i + x_{i+1} S_{i+1}
            _dual_run(after, x, rows, i + 1, new)
            after[:] = new
            after[0] = after[0] + v[i]
        acc = 0.0
        for m in range(full + 1):
            acc += before[i, m] * after[full ^ m]
        out[i] = acc
    return out


def _prod_others_flat(x, rows):
    """runtime_arrays.prod_others_tangents along every entry: coefficients of the products to
    the left and to the right of each entry, one per mask of directions."""
    n, full = x.size, 2 ** rows.shape[0] - 1
    left, right = np.zeros((full + 1, n)), np.zeros((full + 1, n))
    left[0], right[0] = 1.0, 1.0
    new = np.empty(full + 1)
    for i in range(n - 1):
        j = n - 1 - i
        _dual_run(left[:, i].copy(), x, rows, i, new)
        left[:, i + 1] = new
        _dual_run(right[:, j].copy(), x, rows, j, new)
        right[:, j - 1] = new
    out = np.zeros(n)
    for m in range(full + 1):
        out = out + left[m] * right[full ^ m]
    return out


def _cumprod_jvp(flat):
    def make(t):
        def typer(x, axis, *ts):
            if not _float_array(x, t) or not _no_axis(axis, t) or not ts or \
                    not all(_real(e, t) for e in ts):
                return None
            lines = ["def cumprod_jvp(x, axis, *ts):",
                     "    xs = np.ascontiguousarray(x).reshape(-1)",
                     "    n = xs.size"]
            if len(ts) == 1:  # (runtime_arrays.cumprod_jvp's one direction and no zero)
                lines += ["    if np.all(xs != 0):",
                          "        return np.cumsum(ts[0] / x) * np.cumprod(x)"]
            lines += _rows(len(ts), [_array(e, t) for e in ts])
            lines += ["    return flat(xs, rows)"]
            return _made(lines, "cumprod_jvp", flat)
        return typer
    return make


def _cumprod_vjp(flat):
    def make(t):
        def typer(v, x, axis, *ts):
            if not _float_array(x, t) or not _no_axis(axis, t) or not _real(v, t) or \
                    not all(_real(e, t) for e in ts):
                return None
            lines = ["def cumprod_vjp(v, x, axis, *ts):",
                     "    xs = np.ascontiguousarray(x).reshape(-1)",
                     "    n = xs.size"]
            if not ts:  # (runtime_arrays.cumprod_vjp's no direction and no zero)
                lines += ["    if np.all(xs != 0):",
                          "        w = (v * np.cumprod(x))[::-1]",
                          "        return (np.cumsum(w)[::-1] / xs).reshape(x.shape)"]
            lines += _rows(len(ts), [_array(e, t) for e in ts])
            lines += ["    vs = np.ascontiguousarray(v).reshape(-1)" if _array(v, t) else
                      "    vs = np.full(n, v)",
                      "    if vs.size != n:",
                      "        raise ValueError('adcompile.jit: a gradient broadcast to its "
                      "value is not supported under Numba here')",
                      "    return flat(vs, xs, rows).reshape(x.shape)"]
            return _made(lines, "cumprod_vjp", flat)
        return typer
    return make


def _prod_others_tangents(flat):
    def make(t):
        def typer(x, axis, *ts):
            if not _float_array(x, t) or not _no_axis(axis, t) or not ts or \
                    not all(_real(e, t) for e in ts):
                return None
            lines = ["def prod_others_tangents(x, axis, *ts):",
                     "    xs = np.ascontiguousarray(x).reshape(-1)",
                     "    n = xs.size"]
            lines += _rows(len(ts), [_array(e, t) for e in ts])
            lines += ["    return flat(xs, rows).reshape(x.shape)"]
            return _made(lines, "prod_others_tangents", flat)
        return typer
    return make


def _prod_others_tangent(t):
    def typer(x, v, axis):
        return lambda x, v, axis: runtime_arrays.prod_others_tangents(x, axis, v)
    return typer


def _made(lines, name, flat):
    scope: dict = {"np": np, "flat": flat}
    exec("\n".join(lines) + "\n", scope)
    return scope[name]


# -- elementwise: xdivy, np.sinc's derivatives ---------------------------------------------------

def _xdivy(t):
    def typer(x, y):
        if isinstance(x, (t.Float, t.Integer)) and isinstance(y, (t.Float, t.Integer)):
            def numbers(x, y):  # (runtime_arrays.xdivy)
                if x == 0:
                    return 0.0
                if y != 0:
                    return x / y
                return math.copysign(math.inf, x) * math.copysign(1.0, y)
            return numbers
        if _real(x, t) and _real(y, t):
            return lambda x, y: np.where(x == 0, 0.0, x / np.where(x == 0, 1.0, y))
    return typer


_P2 = math.pi ** 2


def _dsinc(x):  # runtime_arrays.dsinc
    if abs(x) < 1e-3:
        return x * (-_P2 / 3 + _P2 * _P2 / 30 * x * x)
    return (math.cos(math.pi * x) - np.sinc(x)) / x


def _d2sinc(x):  # runtime_arrays.d2sinc
    if abs(x) < 1e-3:
        return -_P2 / 3 + _P2 * _P2 / 10 * x * x
    return -(_P2 * np.sinc(x) + 2 * ((math.cos(math.pi * x) - np.sinc(x)) / x) / x)


ORDERS = 16  # sinc_derivative's orders under Numba: its series' coefficients, as Python's
_COEFFICIENTS = np.array([[(-1) ** j * math.pi ** (2 * j) / ((2 * j + 1) * math.factorial(
    2 * j - n)) for j in range((n + 1) // 2, (n + 1) // 2 + 24)] for n in range(ORDERS + 1)])


def _sinc_derivative_at(n, x, coefficients):  # runtime_arrays.sinc_derivative, of a number
    if abs(x) < 1:
        series = 0.0
        for k in range(24):
            series = series + coefficients[n, k] * x ** float(2 * ((n + 1) // 2 + k) - n)
        return series
    f = np.sinc(x)
    for k in range(1, n + 1):
        f = (math.pi ** (k - 1) * math.sin(math.pi * x + k * math.pi / 2) - k * f) / x
    return f


def _check_order(n):
    """(Compiled as it is, for the implementations below.)"""
    if n < 1 or n > ORDERS:
        raise ValueError("adcompile.jit: a derivative of np.sinc of an order above 16 is not "
                         "supported under Numba")


def _sinc_derivative(at):
    def make(t):
        def typer(n, x):
            if not isinstance(n, t.Integer):
                return None

            if isinstance(x, (t.Float, t.Integer)):
                def number(n, x):
                    _check_order(n)
                    return at(n, float(x), _COEFFICIENTS)
                return number
            if _float_array(x, t):
                def each(n, x):
                    _check_order(n)
                    flat = np.ascontiguousarray(x).reshape(-1)
                    out = np.empty_like(flat)
                    for k in range(flat.size):
                        out[k] = at(n, flat[k], _COEFFICIENTS)
                    return out.reshape(x.shape)
                return each
        return typer
    return make


def _extreme_initial(bigger):
    """runtime_arrays.max_initial (min_initial) over the whole array: `initial` where it is
    empty (Numba has no np.max with an axis, nor initial=)."""
    def maker(t):
        def typer(x, initial, axis=None, keepdims=False):
            if not _over_all(x, axis, t) or not (keepdims is False or
                                                  isinstance(keepdims, t.Omitted)):
                return None

            def impl(x, initial, axis=None, keepdims=False):
                if x.size == 0:
                    return initial + 0.0 * x.sum()  # (one type with the other return)
                m = x.max() if bigger else x.min()
                return np.maximum(m, initial) if bigger else np.minimum(m, initial)
            return impl
        return typer
    return maker


def _over_all(x, axis, t):
    """Whether a max_initial helper's operands are a real array reduced as a whole."""
    return _array(x, t) and not isinstance(x.dtype, t.Complex) and \
        (axis is None or isinstance(axis, (t.NoneType, t.Omitted)))  # (None: left out)


def _initial_weights(t):
    def typer(x, ans, axis, keepdims):
        if _over_all(x, axis, t):
            def impl(x, ans, axis, keepdims):
                hit = np.where(x == ans, 1.0, 0.0)
                return hit / max(hit.sum(), 1.0)
            return impl
    return typer


def _initial_won(t):
    def typer(x, ans, axis, keepdims):
        if _over_all(x, axis, t):
            return lambda x, ans, axis, keepdims: 1.0 if np.sum(x == ans) == 0 else 0.0
    return typer


def _clip(t):
    """np.clip of a number (Numba's takes arrays): min(max(a, a_min), a_max) as NumPy computes
    it (NaN stays NaN), a bound given as None left out."""
    number = (t.Float, t.Integer, t.Boolean)

    def typer(a, a_min, a_max, out=None):
        if not isinstance(a, number) or not isinstance(out, (t.NoneType, t.Omitted)) and \
                out is not None:
            return None
        low, high = isinstance(a_min, number), isinstance(a_max, number)
        if low and high:
            return lambda a, a_min, a_max, out=None: np.minimum(np.maximum(a, a_min), a_max)
        if low and isinstance(a_max, t.NoneType):
            return lambda a, a_min, a_max, out=None: np.maximum(a, a_min)
        if high and isinstance(a_min, t.NoneType):
            return lambda a, a_min, a_max, out=None: np.minimum(a, a_max)
    return typer


def helpers(numba, elementwise):
    """{helper: overload typer} of this module's helpers; `elementwise`: jit_helpers' maker of
    an overload of a function of one number."""
    scalar = {f: numba.njit(f) for f in (_dsinc, _d2sinc, _sinc_derivative_at)}
    return {
        np.clip: _clip,
        runtime_arrays.sorted_order: _sorted_order,
        runtime_arrays.max_initial: _extreme_initial(True),
        runtime_arrays.min_initial: _extreme_initial(False),
        runtime_arrays.initial_weights: _initial_weights,
        runtime_arrays.initial_won: _initial_won,
        runtime.list_add: _list_add,
        runtime_arrays.untranspose: _untranspose,
        runtime_arrays.unroll: _unroll,
        np.roll: _roll,  # (with an axis)
        _roll_along: lambda t: lambda g, shift, axis: _roll_along,
        np.column_stack: _column_stack,  # (a list only: Numba's own takes the tuples)
        runtime_arrays.column_stack_grad: _column_stack_grad,
        runtime_arrays.cumprod_jvp: _cumprod_jvp(_cumprod_jvp_flat),
        runtime_arrays.cumprod_vjp: _cumprod_vjp(_cumprod_vjp_flat),
        runtime_arrays.prod_others_tangents: _prod_others_tangents(_prod_others_flat),
        runtime_arrays.prod_others_tangent: _prod_others_tangent,
        runtime_arrays.xdivy: _xdivy,
        runtime_arrays.diag_grad: _diag_grad,
        runtime_arrays.stack_grad: _stack_grad,
        runtime.imag_grad: _imag_grad,
        runtime_arrays.dsinc: elementwise(scalar[_dsinc]),
        runtime_arrays.d2sinc: elementwise(scalar[_d2sinc]),
        runtime_arrays.sinc_derivative: _sinc_derivative(scalar[_sinc_derivative_at]),
        _check_zero: lambda t: lambda number: _check_zero,
        _check_rows: lambda t: lambda rows, want: _check_rows,
        _check_order: lambda t: lambda n: _check_order,
        _dual_run: lambda t: lambda run, x, rows, k, new: _dual_run,
        _cumprod_jvp_flat: lambda t: lambda x, rows: _cumprod_jvp_flat,
        _cumprod_vjp_flat: lambda t: lambda v, x, rows: _cumprod_vjp_flat,
        _prod_others_flat: lambda t: lambda x, rows: _prod_others_flat,
    }
