"""Python's integers under Numba, for `adcompile.jit`.

Python's int never overflows and `2 ** -1` is 0.5; Numba computes with int64, which wrap
silently, and its `int ** int` is an int (`2 ** -1` is 0). `checked(fn)` rewrites the operations
of the Numba variant where the two differ into calls of helpers that compute Python's number or
raise:

  checked_add, _sub, _mul, _floordiv, _lshift, _neg, _abs, _pow
                an operation on two values that may both be ints and whose exact result may not
                fit in int64: on ints it raises OverflowError where the result does not fit, on
                anything else it is the operator
  real_pow      `a ** b` where both may be ints and `b` may be negative: on ints Python's
                number as a float (`float(a) ** b` for `b < 0`; for `b >= 0` the exact power,
                refused where a float cannot hold it exactly)
  checked_int, _round, _floor, _ceil, _trunc
                int(x), round(x), math.floor(x), ... of a value that may be a float: refused
                where the int would not fit in int64 (NaN and infinity raise as in Python)

Which operations those are is decided by an interval analysis of the flat code: each name's
possible kinds (a Python int, a float, anything else) and, for ints, bounds on its values.
Loop counters, lengths, constants and sums of them are bounded; a name multiplied in a loop is
not (the bounds widen to infinity). Parameters may be any int64, except those `check_scalar`
requires to be floats (the differentiated ones). Operations on floats are written as Python
wrote them; so is index arithmetic whose bounds fit.
"""
from __future__ import annotations

import math
import operator

from .jit_math import float_pow, helpers_written
from .ir import Assign, Const, For, Op, Var, stmt_exprs, targets_of, walk_stmts
from .primitives import NAMESPACE, add

INT, FLOAT, OTHER = "int", "float", "other"
ANY = frozenset((INT, FLOAT, OTHER))
LOW, HIGH = -2 ** 63, 2 ** 63 - 1
INF = math.inf
BOTTOM: tuple = (frozenset(), INF, -INF)  # no value yet
TOP = (ANY, LOW, HIGH)  # anything Numba may hold: an int is an int64
FLOATS = (frozenset((FLOAT, OTHER)), INF, -INF)  # a float, an array, a NumPy number
SIZE = (frozenset((INT,)), 0, HIGH)  # a length, a shape's entry

# helper -> (the operation it checks, what the error calls it)
BINARY = {"add": "checked_add", "sub": "checked_sub", "mul": "checked_mul",
          "floordiv": "checked_floordiv", "lshift": "checked_lshift", "pow": "checked_pow"}
UNARY = {"neg": "checked_neg", "abs": "checked_abs"}
TO_INT = {"int": "checked_int", "round": "checked_round", "math.floor": "checked_floor",
          "math.ceil": "checked_ceil", "math.trunc": "checked_trunc"}
WHAT = {"checked_add": "an integer sum", "checked_sub": "an integer difference",
        "checked_mul": "an integer product", "checked_floordiv": "an integer quotient",
        "checked_lshift": "an integer shift", "checked_pow": "an integer power",
        "checked_neg": "an integer negation", "checked_abs": "an integer's abs",
        "real_pow": "an integer power",
        "checked_int": "int() of a float", "checked_round": "round() of a float",
        "checked_floor": "math.floor() of a float", "checked_ceil": "math.ceil() of a float",
        "checked_trunc": "math.trunc() of a float"}
MARK = "adcompile.jit int64:"  # how the helpers' OverflowError starts: jit names the line

# The helpers as Python runs them (the jitted function's py_func): Python's operations.
def checked_add(x, y):
    return x + y


def checked_sub(x, y):
    return x - y


def checked_mul(x, y):
    return x * y


def checked_floordiv(x, y):
    return x // y


def checked_lshift(x, y):
    return x << y


def checked_pow(x, y):
    return x ** y


def real_pow(x, y):
    return x ** y


def checked_neg(x):
    return -x


def checked_abs(x):
    return abs(x)


def checked_int(x):
    return int(x)


def checked_round(x):
    return round(x)


def checked_floor(x):
    return math.floor(x)


def checked_ceil(x):
    return math.ceil(x)


def checked_trunc(x):
    return math.trunc(x)


HELPERS = {f.__name__: f for f in (
    checked_add, checked_sub, checked_mul, checked_floordiv, checked_lshift, checked_pow,
    real_pow, checked_neg, checked_abs, checked_int, checked_round, checked_floor, checked_ceil,
    checked_trunc)}
for _name, _check in HELPERS.items():
    add(_name, _check, ("x", "y") if _check.__code__.co_argcount == 2 else ("x",),
        "nondiff", zero="*")
    NAMESPACE[_name] = _check


SIZES = {"len", "size", "ndim", "np.ndim", "np.size", "size_of"}
BOOLS = {"lt", "le", "gt", "ge", "eq", "ne", "is", "isnot", "in", "notin", "not",
         "math.isnan", "math.isinf", "math.isfinite"}


def checked(fn):
    """Rewrite `fn` (the Numba variant) as the module says; the helpers written, with the user's
    line of each: [(helper, line)]."""
    env = _analyse(fn)
    return helpers_written(fn, lambda e, args, kwargs, line: _helper(
        e.prim, [_value(a, env) for a in args], kwargs))


def _helper(prim, values, kwargs):
    """The helper that computes `prim` of operands of these abstract values as Python does, or
    None where Numba's operation is Python's."""
    if kwargs:
        return None
    # Each int is an int64 here (what could have left int64 raised before): clamped to it
    values = [(k, max(lo, LOW), min(hi, HIGH)) for k, lo, hi in values]
    if prim in BINARY and len(values) == 2:
        (ka, *_), (kb, *_) = values
        if INT not in ka or INT not in kb:
            return None
        if prim == "pow" and values[1][1] < 0:
            return "real_pow"
        return BINARY[prim] if not _fits(_binary(prim, *values)) else None
    if prim in UNARY and len(values) == 1:
        return UNARY[prim] if INT in values[0][0] and not _fits(_unary(prim, values[0])) \
            else None
    if prim in TO_INT and len(values) == 1:
        return TO_INT[prim] if values[0][0] - {INT} else None
    return None


def _fits(v):
    return LOW <= v[1] and v[2] <= HIGH


# -- the analysis -------------------------------------------------------------------------------

def _analyse(fn, widen_after=4):
    """{name: (kinds, low, high)}: what each name may hold in any of its assignments, a value
    popped from a tape or read from an array tape under `[]name`."""
    assigned: dict = {}
    for s in walk_stmts(fn.body):
        for t in targets_of(s) if type(s) is Assign else ():
            assigned[t] = assigned.get(t, 0) + 1
    floats = {a.name for s in walk_stmts(fn.body) for x in stmt_exprs(s) for e in _ops(x)
              if e.prim == "check_scalar" for a in e.args[1:] if type(a) is Var}
    once = {t for t, n in assigned.items() if n == 1} | (floats & set(fn.params))
    env = {"[]": frozenset(once)}  # names assigned once: what `[]name` says of their items holds
    for p in fn.params:
        env[p] = FLOATS if p in floats else TOP
        if p in floats:  # a differentiated parameter: floats, or an array or list of floats
            env["[]" + p] = FLOATS
    for name, v in fn.constants.items():
        env[name] = _of_constant(v)
    for n in range(1000):
        old = dict(env)
        for s in walk_stmts(fn.body):
            _step(s, env)
        if env == old:
            return env
        if n >= widen_after:  # still growing: what grows has no bound
            for k, v in env.items():
                if old.get(k) != v:
                    lo, hi = old.get(k, BOTTOM)[1:]
                    env[k] = (v[0], -INF if v[1] < lo else v[1], INF if v[2] > hi else v[2])
    raise AssertionError("jit_ints: the analysis did not settle")


def _ops(e):
    if type(e) is Op:
        yield e
        for a in (*e.args, *(v for _, v in e.kwargs)):
            yield from _ops(a)


def _step(s, env):
    def put(name, v):
        env[name] = _join(env.get(name, BOTTOM), v)

    if type(s) is For:
        put(s.target, _counter(s.bounds, env))
        return
    if not hasattr(s, "target"):
        return
    v = s.value
    if type(v) is Op and v.prim in ("push", "tape_put") and type(v.args[0]) is Var:
        put(_item(v.args[0].name, v.args[1] if v.prim == "tape_put" else None),
            _value(v.args[-1], env))
    if type(s.target) is str:
        put(s.target, _value(v, env))
        if type(v) is Op and v.prim in ("list", "np.empty", "shape") and s.target in env["[]"]:
            put("[]" + s.target, {"list": BOTTOM, "np.empty": FLOATS, "shape": SIZE}[v.prim])
    elif s.target is not None:
        for t in targets_of(s):
            put(t, TOP)


def _is(e, prim):
    return type(e) is Op and e.prim == prim


def _item(name, index):
    """Where the analysis keeps what `name`'s items may be: `[]name`, or `[]name[c]` for column
    c of an array tape (written and read at `(i, c)`)."""
    if _is(index, "tuple") and index.args and type(index.args[-1]) is Const:
        return f"[]{name}[{index.args[-1].value}]"
    return "[]" + name


def _counter(bounds, env):
    vs = [_value(b, env) for b in bounds]
    if len(vs) == 1:
        return (frozenset((INT,)), 0, vs[0][2] - 1)
    start, stop = vs[0], vs[1]
    step = bounds[2].value if len(bounds) == 3 and type(bounds[2]) is Const else \
        1 if len(bounds) == 2 else None
    if type(step) is int and step > 0:
        return (frozenset((INT,)), start[1], stop[2] - 1)
    if type(step) is int and step < 0:
        return (frozenset((INT,)), stop[1] + 1, start[2])
    return (frozenset((INT,)), min(start[1], stop[1]), max(start[2], stop[2]))


def _join(a, b):
    return (a[0] | b[0], min(a[1], b[1]), max(a[2], b[2]))


def _of_constant(v):
    if type(v) is bool:
        return (frozenset((INT,)), 0, 1)
    if type(v) is int:
        return (frozenset((INT,)), v, v)
    if type(v) is float:
        return (frozenset((FLOAT,)), INF, -INF)
    return (frozenset((OTHER,)), INF, -INF)


def _value(e, env):
    """The abstract value of expression `e`: (kinds, low, high), the bounds those of its ints."""
    if type(e) is Const:
        return _of_constant(e.value)
    if type(e) is Var:
        return env.get(e.name, BOTTOM)
    args = [_value(a, env) for a in e.args]
    p = e.prim
    if p in BINARY or p in ("truediv", "mod", "rshift", "bitand", "bitor", "bitxor"):
        return _binary(p, *args) if len(args) == 2 else TOP
    if p in UNARY or p in ("pos", "invert"):
        return _unary(p, args[0])
    if p in ("max", "min", "and", "or"):
        out = BOTTOM
        for a in args:
            out = _join(out, a)
        return out
    if p in BOOLS:
        return (frozenset((INT,)), 0, 1)
    if p in SIZES:
        return SIZE
    if p in TO_INT and len(args) == 1 or p in TO_INT.values():
        a = args[0]
        return (frozenset((INT,)), -INF, INF) if a[0] - {INT} else (frozenset((INT,)),) + a[1:]
    if p == "real_pow":
        return FLOATS
    if p in BINARY.values() or p in UNARY.values():
        return _value(Op(_UNCHECKED[p], e.args), env)
    if p == "getitem" and _is(e.args[0], "shape"):
        return SIZE
    if p in ("pop", "getitem") and e.args and type(e.args[0]) is Var and \
            e.args[0].name in env["[]"] and "[]" + e.args[0].name in env:
        column = _item(e.args[0].name, e.args[1] if p == "getitem" else None)
        return _join(env["[]" + e.args[0].name], env.get(column, BOTTOM))
    if p in ("getitem", "pop"):
        return TOP  # an item of a container: Numba's ints are int64
    if p in ("float", "truediv") or p.startswith(("np.", "math.")) or p in _FLOAT_HELPERS:
        return FLOATS
    if p in ("tuple", "list", "push", "tape_put", "check_scalar", "slice"):
        return (frozenset((OTHER,)), INF, -INF)
    return (ANY, -INF, INF)  # a helper or a function of the user's: unknown


_UNCHECKED = {v: k for k, v in (*BINARY.items(), *UNARY.items())}
# the runtime helpers of derivative code: floats or arrays, never Python ints
_FLOAT_HELPERS = {"zeros_like", "unbroadcast", "add_fitted", "in_dtype_of", "unreduce",
                  "max_weights", "prod_others", "setitem", "zero_at", "scatter_add",
                  "getitem_grad", "last_written", "matmul_grad_left", "matmul_grad_right",
                  "dot_grad_left", "dot_grad_right", "conj", "real_part", "phase", "sign",
                  "times_pow", "pow_dy", "sigmoid", "softplus", "log_sigmoid", "relu", "logsumexp",
                  "norm_divisor", "norm_slope", "recip_or_zero", "gap", "abs_vjp"}


def _binary(p, a, b):
    (ka, alo, ahi), (kb, blo, bhi) = a, b
    if not ka or not kb:
        return BOTTOM
    kinds = set()
    if OTHER in ka or OTHER in kb:
        kinds.add(OTHER)
    if FLOAT in ka and kb - {OTHER} or FLOAT in kb and ka - {OTHER}:
        kinds.add(FLOAT)
    if INT not in ka or INT not in kb:
        return (frozenset(kinds), INF, -INF)
    if p == "truediv" or p == "pow" and blo < 0:  # (jit writes real_pow: a float)
        return (frozenset(kinds | {FLOAT}), INF, -INF)
    kinds.add(INT)
    return (frozenset(kinds), *_bounds(p, alo, ahi, blo, bhi))


def _bounds(p, alo, ahi, blo, bhi):
    """Bounds on `a p b` for ints a in [alo, ahi] and b in [blo, bhi]; one past 2 ** 128 is
    infinite (a product grown step by step would pass a float's range, where ints and INF mix)."""
    lo, hi = _exact_bounds(p, alo, ahi, blo, bhi)
    return (-INF if lo < -2 ** 128 else lo), (INF if hi > 2 ** 128 else hi)


def _exact_bounds(p, alo, ahi, blo, bhi):
    if p == "add":
        return alo + blo, ahi + bhi
    if p == "sub":
        return alo - bhi, ahi - blo
    if p == "mul":
        corners = [_times(x, y) for x in (alo, ahi) for y in (blo, bhi)]
        return min(corners), max(corners)
    m = max(abs(alo), abs(ahi))
    if p == "floordiv":
        if blo >= 1:
            return min(alo, 0), max(ahi, 0)
        return -m, m
    if p == "mod":
        return min(blo + 1, 0), max(bhi - 1, 0)
    if p == "pow":
        top = max(bhi, 0)
        big = 1 if m <= 1 else INF if top == INF or top > 64 * 64 else min(m ** top, INF)
        big = INF if big > 2 ** 128 else big
        return (0 if alo >= 0 else -big), big
    if p == "lshift":
        if blo < 0 or bhi == INF or bhi > 128:
            return -INF, INF
        return min(alo * 2 ** bhi, alo), max(ahi * 2 ** bhi, ahi)
    if p == "rshift":
        return min(alo, 0), max(ahi, 0)
    bits = 2 ** (m.bit_length() if m != INF else 64)  # bitand, bitor, bitxor
    return (0, bits - 1) if alo >= 0 and blo >= 0 else (-bits, bits - 1)


def _times(x, y):
    return 0 if x == 0 or y == 0 else x * y


def _unary(p, a):
    kinds, lo, hi = a
    if p == "neg":
        return (kinds, -hi, -lo)
    if p == "abs" and lo <= hi:
        return (kinds, lo if lo >= 0 else -hi if hi <= 0 else 0, max(abs(lo), abs(hi)))
    if p == "invert":
        return (kinds, -hi - 1, -lo - 1)
    return a


# -- the helpers under Numba ---------------------------------------------------------------------

_PLAIN = {"checked_add": operator.add, "checked_sub": operator.sub, "checked_mul": operator.mul,
          "checked_floordiv": operator.floordiv, "checked_lshift": operator.lshift,
          "checked_pow": float_pow, "real_pow": float_pow, "checked_neg": operator.neg,
          "checked_abs": abs, "checked_int": int, "checked_round": round,
          "checked_floor": math.floor, "checked_ceil": math.ceil, "checked_trunc": math.trunc}


def register(numba):
    """Teach Numba the helpers: on ints (int64 or bool; on floats for the conversions) the
    checked operation, compiled once per type; on anything else Numba's own operation, emitted
    in place as the operator would be (no call, and fast-math flags reach it), and for a power
    jit_math's float_pow (CPython's pow); a conversion of an int is the int. Numba's disk
    cache knows the generated text, not these: a change to what they compile to bumps
    jit.FORMAT."""
    from numba.extending import lower_builtin, type_callable
    t = numba.types
    checks = _checks(numba)

    def checked_types(name, types):
        if name in TO_INT.values():
            return isinstance(types[0], t.Float)
        return all(isinstance(x, t.Boolean) or isinstance(x, t.Integer) and x.signed
                   for x in types)

    def define(name):
        op, arity = _PLAIN[name], HELPERS[name].__code__.co_argcount

        def typed(context, *types):
            if name in TO_INT.values() and isinstance(types[0], (t.Integer, t.Boolean)):
                return t.int64  # int(n), round(n), math.floor(n) of an int: n
            if checked_types(name, types):
                return t.float64 if name == "real_pow" else t.int64
            sig = context.resolve_function_type(op, types, {})
            return sig.return_type if sig is not None else None

        @type_callable(HELPERS[name])
        def typing(context):
            if arity == 1:
                return lambda x: typed(context, x)  # (Numba reads the parameters)
            return lambda x, y: typed(context, x, y)

        @lower_builtin(HELPERS[name], *[t.Any] * arity)
        def lower(context, builder, sig, args):
            if name in TO_INT.values() and isinstance(sig.args[0], (t.Integer, t.Boolean)):
                if sig.args[0] == t.uint64:  # (beyond int64: refused, as a float would be)
                    return context.compile_internal(builder, checks[name + "_u64"], sig, args)
                return context.cast(builder, args[0], sig.args[0], t.int64)
            if checked_types(name, sig.args):
                to = t.float64 if name in TO_INT.values() else t.int64
                args = [context.cast(builder, v, a, to) for v, a in zip(args, sig.args)]
                inner = sig.return_type(*[to] * len(args))
                return context.compile_internal(builder, checks[name], inner, args)
            if op is float_pow:
                return context.compile_internal(builder, _float_pow, sig, args)
            own = context.typing_context.resolve_function_type(op, sig.args, {})
            args = [context.cast(builder, v, a, b) for v, a, b in zip(args, sig.args, own.args)]
            out = context.get_function(op, own)(builder, args)
            return context.cast(builder, out, own.return_type, sig.return_type)

    for name in HELPERS:
        define(name)


def _checks(numba):
    """{helper: its checked operation on int64 (floats for the conversions)}, raising
    OverflowError with the helper's name where Python's exact result leaves int64."""
    from numba.extending import intrinsic
    t = numba.types

    def with_overflow(method):
        @intrinsic
        def op(typingctx, a, b):
            if a != t.int64 or b != t.int64:
                return None
            sig = t.Tuple((t.int64, t.boolean))(t.int64, t.int64)

            def codegen(context, builder, sig, args):
                pair = getattr(builder, method)(*args)
                return context.make_tuple(builder, sig.return_type,
                                          [builder.extract_value(pair, 0),
                                           builder.extract_value(pair, 1)])
            return sig, codegen
        return op

    add_o, sub_o, mul_o = (with_overflow(f"{m}_with_overflow") for m in ("sadd", "ssub", "smul"))
    message = {name: f"{MARK} {name}" for name in HELPERS}
    m_div, m_shift, m_pow, m_real, m_neg, m_abs = (message[n] for n in (
        "checked_floordiv", "checked_lshift", "checked_pow", "real_pow", "checked_neg",
        "checked_abs"))  # (Numba keys what it compiles by the closure's cells: no dict there)

    @numba.njit
    def ipow(a, b):  # a ** b for b >= 0, by squaring; (r, whether it overflowed)
        r = 1
        while b > 0:
            if b & 1:
                r, o = mul_o(r, a)
                if o:
                    return r, True
            b >>= 1
            if b > 0:
                a, o = mul_o(a, a)
                if o:
                    return r, True
        return r, False

    def overflowing(op, m):
        def impl(x, y):
            r, o = op(x, y)
            if o:
                raise OverflowError(m)
            return r
        return impl

    def floordiv(x, y):
        if x == LOW and y == -1:
            raise OverflowError(m_div)
        return x // y

    def lshift(x, y):
        if y < 0:
            raise ValueError("negative shift count")
        if x == 0:
            return 0
        if y >= 63 or (x << y) >> y != x:
            raise OverflowError(m_shift)
        return x << y

    def power(x, y):
        if y < 0:
            raise ValueError("adcompile.jit: an exponent proven non-negative was negative")
        r, o = ipow(x, y)
        if o:
            raise OverflowError(m_pow)
        return r

    def float_power(x, y):
        if y < 0:
            if x == 0:
                raise ZeroDivisionError("0.0 cannot be raised to a negative power")
            return float(x) ** float(y)
        r, o = ipow(x, y)
        f = float(r)
        if o or f >= 9.223372036854776e18 or int(f) != r:
            raise OverflowError(m_real)
        return f

    def negative(x):
        if x == LOW:
            raise OverflowError(m_neg)
        return -x

    def absolute(x):
        if x == LOW:
            raise OverflowError(m_abs)
        return abs(x)

    def to_int(name):
        convert = numba.njit({"checked_int": lambda x: int(x), "checked_round": lambda x: round(x),
                              "checked_floor": lambda x: math.floor(x),
                              "checked_ceil": lambda x: math.ceil(x),
                              "checked_trunc": lambda x: math.trunc(x)}[name])
        m = message[name]

        def impl(x):
            if x != x:
                raise ValueError("cannot convert float NaN to integer")
            if x == math.inf or x == -math.inf:
                raise OverflowError("cannot convert float infinity to integer")
            if not -9.223372036854776e18 <= x < 9.223372036854776e18:
                raise OverflowError(m)
            return convert(x)
        return impl

    def from_u64(m):
        def impl(x):
            if x > 9223372036854775807:
                raise OverflowError(m)
            return x
        return impl

    return {**{f"{name}_u64": from_u64(message[name]) for name in TO_INT.values()},
            "checked_add": overflowing(add_o, message["checked_add"]),
            "checked_sub": overflowing(sub_o, message["checked_sub"]),
            "checked_mul": overflowing(mul_o, message["checked_mul"]),
            "checked_floordiv": floordiv, "checked_lshift": lshift, "checked_pow": power,
            "real_pow": float_power, "checked_neg": negative, "checked_abs": absolute,
            **{name: to_int(name) for name in TO_INT.values()}}


def _float_pow(x, y):  # (checked_pow, real_pow on anything but two ints: Python's pow)
    return float_pow(x, y)
