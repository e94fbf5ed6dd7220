"""Python's float arithmetic under Numba, for `adcompile.jit`: math errors, CPython's pow.

CPython's math functions raise where the C library's result is NaN from inputs that are not
(ValueError, "math domain error") or infinite from finite inputs (OverflowError, "math range
error", for the functions that can overflow; ValueError for the others and at a pole: log(0.0),
gamma(0.0)). `x ** y` of floats (an int among them is converted) is C's pow, raising
ZeroDivisionError for 0.0 to a negative power and OverflowError on overflow; a negative base to a
fractional power is a complex number. Numba returns the NaN or the infinity, computes a float to
an int power by repeated multiplication, and LLVM rewrites pow(x, 2.0) as x * x: both differ from
C's pow in the last bit.

`checked(fn)` writes, in the Numba variant, each math function of `RULES` and each `**` that
jit_ints left as a helper that calls the C function, tests that the result is finite (one
comparison) and only then looks for the error CPython raises (`float_pow` also for `**` of
ints and arrays: Numba's operator there). Its errors start with `MARK`: jit names the line. It
refuses `round(x, ndigits)` (Numba's is not correctly rounded), and `check_float64` refuses
float32, float16 and complex64 arguments (Numba computes them in float64: other numbers than
NumPy's), a test made when the code is compiled for those types, none per call.
"""
from __future__ import annotations

import math

from .errors import ADCompileError
from .ir import Assign, Const, Op, Var, walk_stmts
from .primitives import NAMESPACE, add

MARK = "adcompile.jit math:"  # how the helpers' errors start: jit names the line
DOMAIN, RANGE = "math domain error", "math range error"
POW_RANGE = "(34, 'Numerical result out of range')"  # (CPython's float_pow: errno ERANGE)
ZERO_POW = "0.0 cannot be raised to a negative power"

# math function -> what CPython raises where C's result is infinite from finite inputs (NaN
# from inputs not NaN: ValueError always); "pole": ValueError at 0, -1, -2, ..., else overflow
RULES = {
    "math.exp": OverflowError, "math.exp2": OverflowError, "math.expm1": OverflowError,
    "math.cosh": OverflowError, "math.sinh": OverflowError, "math.ldexp": OverflowError,
    "math.log": ValueError, "math.log2": ValueError, "math.log10": ValueError,
    "math.log1p": ValueError, "math.sqrt": ValueError, "math.acos": ValueError,
    "math.asin": ValueError, "math.acosh": ValueError, "math.atanh": ValueError,
    "math.asinh": ValueError, "math.atan": ValueError, "math.sin": ValueError,
    "math.cos": ValueError, "math.tan": ValueError, "math.tanh": ValueError,
    "math.erf": ValueError, "math.erfc": ValueError,
    "math.gamma": "pole", "math.lgamma": "pole",
    "math.fmod": ValueError,  # (fmod(x, 0.0), fmod(inf, y): NaN in C)
}  # (math.pow: float_pow of its operands as floats)
C_FUNCTIONS = {"math.fmod": "fmod"}  # math functions Numba lacks: NumPy's ufunc of the same C
RULES = {k: v for k, v in RULES.items() if hasattr(math, k.partition(".")[2])}  # (3.10: no exp2)


def float_pow(x, y):
    """`x ** y` as Python computes it (under Numba: C's pow for floats, the checks of float_pow
    in CPython's floatobject.c)."""
    return x ** y


def fast_pow(x, y):
    """`x ** y` under fastmath: Numba's (repeated multiplication for an int exponent), with
    float_pow's errors."""
    return x ** y


HELPERS = {"float_pow": float_pow, "fast_pow": fast_pow}
for _prim in RULES:
    _name = _prim.split(".")[1]
    _fn = getattr(math, _name)
    _helper = (lambda fn: lambda *args: fn(*args))(_fn)
    _helper.__name__ = _helper.__qualname__ = f"checked_{_name}"
    _helper.__doc__ = f"math.{_name}, raising where CPython's does (under Numba: checked)."
    HELPERS[_helper.__name__] = _helper
for _name, _check in HELPERS.items():
    add(_name, _check, ("x", "y"), "nondiff", zero="*")
    NAMESPACE[_name] = _check
HELPER_OF = {prim: f"checked_{prim.split('.')[1]}" for prim in RULES}


class Refused(ADCompileError):
    """What `checked` cannot compile as Python computes it (jit raises it as a JitError)."""


def checked(fn, fast=False):
    """Rewrite `fn` (the Numba variant) as the module says; the helpers written, with the user's
    line of each: [(helper, line)]. Raises `Refused` at a `round(x, ndigits)`. `fast`
    (fastmath): `**` is Numba's, with CPython's errors."""
    def helper_of(e, args, kwargs, line):
        if e.prim == "round" and len(args) + len(kwargs) == 2 and \
                (args[1:] or [kwargs[0][1]])[0] != Const(None):
            code = fn.source_lines.get(line, "").strip()
            raise Refused(f"round(x, ndigits) under jit (in `{code}`) is Numba's, which is not "
                          "correctly rounded as Python's (round(2.675, 2) is 2.67 in Python, "
                          "2.68 in Numba). Round outside the compiled function, or run it "
                          "without jit.", fn.filename, line)
        if e.prim == "math.pow":  # (of the operands as floats: C's pow, float_pow's errors)
            args[:] = [Op("float", (a,)) for a in args]
            e = Op("pow", ())
        return ("fast_pow" if fast else "float_pow") if e.prim == "pow" and len(args) == 2 else \
            HELPER_OF.get(e.prim) if not kwargs else None

    sites = helpers_written(fn, helper_of)
    if fn.params:  # (one call at the top: Numba compiles it to nothing for float64)
        fn.body.insert(0, Assign(None, Op("check_float64", tuple(Var(p) for p in fn.params)),
                                 fn.body[0].line if fn.body else None))
    return sites


def helpers_written(fn, helper_of):
    """Each operation of `fn` (in nested blocks, in its operands first) for which
    `helper_of(op, args, kwargs, line)` names a helper, replaced by a call of the helper on its
    operands (`args`, rewritten, a list the function may change); [(helper, line)] of each."""
    sites = []

    def rewrite(e, line):
        if type(e) is not Op:
            return e
        args = [rewrite(a, line) for a in e.args]
        kwargs = tuple((k, rewrite(v, line)) for k, v in e.kwargs)
        helper = helper_of(e, args, kwargs, line)
        if helper:
            sites.append((helper, line))
            return Op(helper, tuple(args))
        args = tuple(args)
        return Op(e.prim, args, kwargs) if (args, kwargs) != (e.args, e.kwargs) else e
    rewrite_statements(fn, rewrite)
    return sites


def rewrite_statements(fn, rewrite):
    """Each expression a statement of `fn` reads replaced by `rewrite(expr, line)`."""
    for s in walk_stmts(fn.body):
        for attr in ("value", "test"):
            if getattr(s, attr, None) is not None:
                setattr(s, attr, rewrite(getattr(s, attr), s.line))
        if hasattr(s, "values"):
            s.values = [rewrite(v, s.line) for v in s.values]
        if hasattr(s, "bounds"):
            s.bounds = tuple(rewrite(b, s.line) for b in s.bounds)


def check_float64(*values):
    """Nothing in Python; under Numba an error for a float32, float16 or complex64 argument."""


add("check_float64", check_float64, ("x",), "nondiff", zero="*")
NAMESPACE["check_float64"] = check_float64


def explain(err, fn, sites):
    """(the exception class's name, the message, the user's line) for `err`, a helper's."""
    helper, _, said = str(err)[len(MARK):].strip().partition(": ")
    if helper == "check_float64":
        k, dtype = said.split()
        return "JitError", narrow(fn.params[int(k)], dtype), min(fn.source_lines, default=None)
    pows = {"float_pow", "fast_pow", "checked_pow", "real_pow"} if helper == "float_pow" \
        else {helper}
    lines = sorted({line for h, line in sites if h in pows and line})
    code = fn.source_lines.get(lines[0], "").strip() if lines else ""
    where = f" in `{code}`" if code else ""
    if lines[1:]:
        where += f" (or at line {', '.join(map(str, lines[1:]))})"
    line = lines[0] if lines else None
    if said == "complex":
        return "JitError", (f"a negative number to a fractional power{where} is a complex "
                            "number in Python; the compiled code computes floats only. Keep "
                            "the base positive, or run the function without jit."), line
    kind = type(err).__name__
    return kind, f"{said}{where} ({kind}, as Python raises it)", line


def narrow(name, dtype):
    """The message that refuses argument `name` of `dtype` (float32, float16, complex64)."""
    return (f"`{name}` is {dtype}: NumPy computes {dtype} in {dtype}, the compiled code in "
            f"float64 (other numbers, another dtype). Cast it to float64 (np.asarray({name}, "
            "dtype=np.float64)), or run the function without jit.")


def narrow_argument(args, params):
    """The message of `narrow` for the first argument of a narrow float dtype, or None (where
    Numba fails before check_float64 runs: float16)."""
    for name, a in zip(params, args):
        dtype = getattr(a, "dtype", None)
        if dtype is not None and dtype in ("float32", "float16", "complex64"):
            return narrow(name, dtype)
    return None


# -- the helpers under Numba ---------------------------------------------------------------------

def register(numba):
    """Teach Numba the helpers (jit._register calls it once)."""
    from llvmlite import ir
    from numba.core import cgutils
    from numba.extending import intrinsic, overload
    t = numba.types

    @intrinsic
    def c_pow(typingctx, x, y):
        """C's pow, called as a plain function: LLVM may not rewrite it (pow(x, 2.0) as x * x,
        pow(x, 0.5) as sqrt(x)), which would round otherwise than CPython's."""
        if x != t.float64 or y != t.float64:
            return None

        def codegen(context, builder, sig, args):
            double = ir.DoubleType()
            c = cgutils.get_or_insert_function(builder.module,
                                               ir.FunctionType(double, [double, double]), "pow")
            for attribute in ("nobuiltin", "readnone", "nounwind"):  # (hoisted out of loops)
                c.attributes.add(attribute)
            return builder.call(c, args)
        return t.float64(t.float64, t.float64), codegen

    def real(x):
        return isinstance(x, (t.Float, t.Integer, t.Boolean))

    def raising(kind, helper, said):
        m = f"{MARK} {helper}: {said}"  # (a constant: Numba's exceptions take no formatted text)
        if kind is ValueError:
            def fail():
                raise ValueError(m)
        elif kind is OverflowError:
            def fail():
                raise OverflowError(m)
        else:
            def fail():
                raise ZeroDivisionError(m)
        return numba.njit(fail)

    def pow_typer(x, y, native=False):
        if not (real(x) and real(y)) or not isinstance(x, t.Float) and \
                not isinstance(y, t.Float):
            return lambda x, y: x ** y  # ints (jit_ints checks them), arrays: Numba's
        zero, big = raising(ZeroDivisionError, "float_pow", ZERO_POW), \
            raising(OverflowError, "float_pow", POW_RANGE)
        nan = raising(ValueError, "float_pow", "complex")

        def impl(x, y):
            r = x ** y if native else c_pow(float(x), float(y))
            if r - r == 0.0:  # finite
                return r
            if math.isfinite(x) and math.isfinite(y):
                if x == 0:
                    zero()
                if r != r:
                    nan()
                big()
            return r
        return impl
    overload(float_pow)(lambda x, y: pow_typer(x, y))
    overload(fast_pow)(lambda x, y: pow_typer(x, y, True))

    for prim, rule in RULES.items():
        overload(HELPERS[HELPER_OF[prim]])(_typer(numba, prim, rule, real, raising))

    def float64_typer(*values):
        for k, v in enumerate(values):
            d = v.dtype if isinstance(v, t.Array) else v
            if isinstance(d, t.Float) and d.bitwidth < 64 or d == t.complex64:
                return _refusing(f"{MARK} check_float64: {k} {d}")
        return lambda *values: None
    overload(check_float64)(float64_typer)


def _refusing(m):
    def narrow(*values):
        raise TypeError(m)
    return narrow


def _typer(numba, prim, rule, real, raising):
    """The overload typer of the helper of math function `prim`: C's function, then CPython's
    test of its result."""
    import numpy as np
    fn = getattr(np, C_FUNCTIONS[prim]) if prim in C_FUNCTIONS else \
        getattr(math, prim.split(".")[1])
    helper = HELPER_OF[prim]
    domain, pole = raising(ValueError, helper, DOMAIN), rule == "pole"
    inf = domain if rule is ValueError else raising(OverflowError, helper, RANGE)

    @numba.njit
    def slow(x, r):  # r is NaN or infinite: CPython's error, if any
        if r != r and x == x:
            domain()
        if r == r and math.isfinite(x):
            if pole and x <= 0 and x == math.floor(x):
                domain()
            inf()
        return r

    def typer(x, y=None):
        if not real(x) or not (y is None or real(y)):
            return None
        if y is None:
            def one(x, y=None):
                r = fn(x)
                return r if abs(r) < math.inf else slow(x, r)
            return one
        if prim == "math.log":  # log(x, base): each log checked, then their quotient
            def of_base(x, y=None):
                a, b = fn(x), fn(y)
                a = a if a - a == 0.0 else slow(x, a)
                b = b if b - b == 0.0 else slow(y, b)
                return a / b
            return of_base

        def two(x, y=None):  # ldexp: NaN from numbers, infinity from finite ones
            r = fn(x, y)
            if r - r == 0.0:
                return r
            if r != r and x == x and y == y:
                domain()
            if r == r and math.isfinite(x) and math.isfinite(y):
                inf()
            return r
        return two
    return typer
