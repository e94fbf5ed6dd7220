"""The errors a runtime helper's Numba version raises where the Python helper raises an
adcompile error (a derivative rule met outside the values it holds for: a complex matrix, a
rank that drops, a full SVD), for `adcompile.jit`. Numba raises an exception of a constant
message only and knows no user's line, so `refusal` makes a compiled function that raises the
error class with the helper's name and the message behind `MARK`, and `placed` turns it back
into the error the Python helper raises, at the user's line of the code that calls the helper."""
from __future__ import annotations

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
    line = next((s.line for s in walk_stmts(fn.body)
                 for e in _expressions(s) if type(e) is Op and e.prim == helper), None)
    return type(err)(message, fn.filename, line)


def _expressions(s):
    for e in [getattr(s, "value", None), getattr(s, "test", None), *getattr(s, "values", ())]:
        if e is not None:
            yield from walk_exprs(e)
