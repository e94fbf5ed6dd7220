"""What `jit` does with the globals a function reads. Numba freezes a global into the machine
code; grad's code reads the object it captured when it was built at each call. So an array (or
a tuple of them) the code reads becomes a parameter after the user's, and jit's wrapper passes
the captured array at each call: a change made in place is seen, a rebound name is not, as in
grad(f). Numbers stay constants (grad folds them too); a global list, dict or set, which Numba
cannot take, is refused at the line reading it, and so is a derivative built from a global
since rebound (jit would build from the value now)."""
from __future__ import annotations

import numpy as np

from .boundary import name_of, place_of
from .depends import unchanged
from .ir import Var, stmt_exprs, walk_exprs, walk_stmts


def hidden_arrays(fn):
    """The global arrays `fn` reads (alone or in tuples), made parameters after its own: Numba
    would freeze them into the machine code, and grad's code reads the array it captured at
    each call, changed in place or not. {name: the value captured}, removed from the constants.
    A global list, dict or set is refused: Numba can take none of them."""
    read: dict = {}  # name -> the first line reading it
    for s in walk_stmts(fn.body):
        for e in (y for x in stmt_exprs(s) for y in walk_exprs(x)):
            if type(e) is Var and e.name in fn.constants:
                read.setdefault(e.name, s.line)
    hidden = {}
    for name, line in read.items():
        kind = data_kind(fn.constants[name])
        if kind == "array":
            hidden[name] = fn.constants.pop(name)
            fn.params.append(name)
        elif kind is not None:
            code = fn.source_lines.get(getattr(line, "line", line), "").strip()
            from .jit import JitError
            raise JitError(f"jit reads the global {kind} `{name}`{f' in `{code}`' if code else ''}"
                           f", which Numba cannot take (grad reads it at each call, changes made "
                           f"in place included): hold its values in an array (np.array), which "
                           f"jit reads at each call too, or pass it as an argument; or run the "
                           f"function without jit.", fn.filename, line)
    return hidden


def data_kind(value):
    """"array" for a NumPy array of numbers or a tuple holding one, "list" ("dict", "set") for
    what Numba cannot take as a constant, None for what it freezes as grad does (numbers)."""
    if isinstance(value, np.ndarray):
        return "array" if value.dtype.kind in "biufc" else None
    if type(value) in (list, dict, set):
        return type(value).__name__
    if type(value) is tuple:
        kinds = {data_kind(v) for v in value} - {None}
        return next(iter(sorted(kinds - {"array"})), "array" if kinds else None)
    return None


def check_unchanged(info, function):
    """Refuses a derivative built from a global since rebound (or changed as depends.py sees
    it): it keeps the value it was built with, and jit would build from the one now."""
    for scope, name, then in getattr(info, "dependencies", None) or ():
        if not unchanged([(scope, name, then)]):
            from .jit import JitError
            raise JitError(f"`{name}` changed after the derivative of {name_of(function)} was "
                           f"built (rebound, not changed in place): the derivative keeps the "
                           f"value it was built with, and jit would compile the one now. Take "
                           f"the derivative again (jit(grad(f))) to use the new value, or run "
                           f"it without jit.", *place_of(function))
