"""The errors a runtime helper's Numba version raises where the Python helper raises an
adcompile error (a derivative rule met outside the values it holds for: a complex matrix, a
rank that drops, a full SVD), for `adcompile.jit`. Numba raises an exception of a constant
message only and knows no user's line, so `refusal` makes a compiled function that raises the
error class with the helper's name and the message behind `MARK`, and `placed` turns it back
into the error the Python helper raises, at the user's line of the code that calls the helper."""
from __future__ import annotations

import os

from .errors import ADCompileError
from .ir import Op, walk_exprs, walk_stmts

MARK = "adcompile.jit refusal:"  # how the compiled helpers' messages start


def refusal(numba, cls, helper, message):
    """A compiled function of no arguments raising `cls` with `message`, said by `helper`."""
    said = f"{MARK} {helper}: {message}"  # (a constant: Numba's exceptions take no formatted text)

    def refuse():
        raise cls(said)
    return numba.njit(refuse)


def placed(err, fn):
    """The error `err` (a refusal's) says, at the user's line of the first statement of `fn`
    (the compiled flat code) that calls its helper; None for any other error."""
    if not isinstance(err, ADCompileError) or err.filename or not str(err).startswith(MARK):
        return None
    helper, _, message = str(err)[len(MARK):].strip().partition(": ")
    helper, _, where = helper.partition("@")  # (a helper's version per place: its file:line)
    line = next((s.line for s in walk_stmts(fn.body)
                 for e in _expressions(s) if type(e) is Op and e.prim == helper), None)
    if where.rpartition(":")[0] == os.path.basename(fn.filename or ""):
        line = int(where.rpartition(":")[2])
    return type(err)(message, fn.filename, line)


def _expressions(s):
    for e in [getattr(s, "value", None), getattr(s, "test", None), *getattr(s, "values", ())]:
        if e is not None:
            yield from walk_exprs(e)


def check_not_in_place(t):
    """runtime.check_not_in_place's Numba version: an array changed in place (`s[0] += v`, `w -=
    g`), which other values read later may be (or view): numbers never are; an array is when
    their memory overlaps (NumPy's may_share_memory, by address bounds). Refused where the
    names are not known as literals (a version per place: `where` names it)."""
    def typer(x, method, where, name, others, *values):
        arrays = [k for k, v in enumerate(values) if isinstance(v, t.Array)]
        if isinstance(x, t.Number) or isinstance(x, t.Array) and values and not arrays and all(
                isinstance(v, (t.Number, t.Boolean)) for v in values):  # (none is an array)
            return lambda x, method, where, name, others, *values: None
        if not isinstance(x, t.Array) or not values or not all(  # (no values: the caller
                isinstance(v, (t.Number, t.Boolean, t.Array)) for v in values):  # holds it)
            return None
        words = [getattr(v, "literal_value", None) for v in (where, name, others)]
        if not all(isinstance(w, str) for w in words):
            return None
        where, name, others = words
        said = (f"{MARK} check_not_in_place@{where}: {name} is changed in place, and "
                f"{others} may hold the same array (or a view of it): Python changes both, "
                f"generated code cannot. Make a new array first ({name} = {name}.copy()) or "
                f"write {name} = {name} ... instead of changing it in place.")
        from .errors import UnsupportedSyntaxError
        scope = {"overlap": _overlap(), "Refused": UnsupportedSyntaxError, "said": said}
        test = " or ".join(f"overlap(x, values[{k}])" for k in arrays)
        exec(f"def check(x, method, where, name, others, *values):\n"
             f"    if {test}:\n"
             f"        raise Refused(said)\n", scope)
        return scope["check"]
    return typer


_OVERLAP: list = []


def _overlap():
    """A compiled test of whether two arrays' memory overlaps (their address bounds)."""
    if not _OVERLAP:
        import numba

        @numba.njit
        def bounds(a):
            low = high = a.ctypes.data
            for k in range(a.ndim):
                if a.shape[k] == 0:
                    return 0, 0
                step = (a.shape[k] - 1) * a.strides[k]
                if step < 0:
                    low += step
                else:
                    high += step
            return low, high + a.itemsize

        @numba.njit
        def overlap(a, b):
            la, ha = bounds(a)
            lb, hb = bounds(b)
            return la < ha and lb < hb and la < hb and lb < ha
        _OVERLAP.append(overlap)
    return _OVERLAP[0]
