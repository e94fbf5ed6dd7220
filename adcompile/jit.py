"""`jit`: generated code compiled by Numba (the optional extra `pip install "adcompile[jit]"`).

`jit(f)` compiles `f`'s flat code, `jit(grad(f))` the gradient's, each from a Numba-friendly
variant of the same IR that the Python source prints (`source(jitted)` shows it):

  tapes      one list per taped name (`tape_x_1`) instead of one list of mixed values, so each is
             a typed list; a pop of a tuple becomes one pop per name. The tapes that a loop over
             `range(n)` fills once per iteration are the columns of one array of n rows of
             floats, indexed by the counter; if a value taped there is not a float, the first
             call falls back to the lists
  loops      `reversed(range(a, b))` becomes `range(b - 1, a - 1, -1)`, `range(...)[:n]` a range
  checks     the `type(x) is float` fast-path tests are dropped (Numba specializes on the types);
             the slow path they guard is the same computation. The user's own type() is refused
  integers   an operation on values that may be Python ints is written as a helper that raises
             OverflowError where Python's exact int would not fit in Numba's int64, and an int
             to a power that may be negative as a float, as Python computes it (`jit_ints`)
  floats     the math functions raise CPython's errors, `**` of floats is C's pow as CPython's
             (`jit_math`); float32, float16 and complex64 arguments are refused; indexing is
             bounds-checked (IndexError)
  constants  a math function of constants (math.factorial(3)) is computed once
             (`jit_constants`); a global array is passed at each call, a global list or dict
             refused (`jit_globals`)
  helpers    the runtime helpers that generated code calls (unbroadcast, scatter_add, setitem,
             unreduce, ...) and the package's sigmoid, softmax, relu, ... get Numba versions
             (`jit_helpers`; norms by name, keepdims, reductions and sorts along an axis:
             `jit_forms`, `jit_along`); a helper without one for the argument types (named with
             the generated line calling it), a global or a construct Numba cannot compile is
             refused with a `JitError` naming the user's line
  globals    a global array the code reads (or a tuple of them) is a parameter after the user's,
             and the wrapper passes the array captured when the code was built at each call:
             changes made in place are seen, a rebound name is not, as in grad(f) (`jit_globals`)

`jit` of a derivative compiles that derivative, with all of grad's options (argnums, has_aux,
optimize, a partial's bound arguments, a method's object), and takes its arguments as it does:
keywords and defaults are bound by the user's signature before the compiled code is called, and
containers go through grad's wrapper (boundary.py), which here compiles by Numba the code for the
leaves of each structure of the arguments and rebuilds the results' structure.

Numba caches the machine code on disk (`cache=True`) next to the generated file, whose name is
the hash of its text, of the constants it reads (Numba freezes numbers into the code), of the
fast-math flags and of adcompile's own source (the machine code holds the helpers' code too);
with ADCOMPILE_CACHE_DIR=off, jit writes neither (the text is in linecache only).

`fastmath=True` lets LLVM reassociate, multiply by a reciprocal and fuse multiply-adds (`FASTMATH`)
and keeps NaN, infinity and the math functions exact: the results differ from Python's in the
last bits. A set of Numba's flag names is passed on as it is.
"""
from __future__ import annotations

import hashlib
import inspect
import linecache
import os
import re
import types as pytypes

import numpy as np

from . import (jit_constants, jit_forms, jit_helpers, jit_helpers_copies, jit_helpers_gather,
               jit_helpers_shapes, jit_ints, jit_math, jit_refusals, jit_tuples, runtime)
from .jit_globals import check_unchanged, hidden_arrays
from .boundary import _Boundary, differentiate, name_of, place_of, refuse_unpassed
from .compile import _write, is_generated, located_source  # (the file Numba reads)
from .errors import ADCompileError, ArgumentError, public
from .ir import (Assign, Break, Const, For, Function, If, Op, Return, Var, While, blocks_of,
                 stmt_exprs, targets_of, walk_exprs, walk_stmts)
from .primitives import NAMESPACE, add
from .templates import simplify
from .unparse import aliases

FORMAT = 2  # how jit compiles the text; a change here must not load machine code cached before
MODES = ("flat", "forward", "grad", "value_and_grad")  # vjp returns a closure: Numba cannot
FASTMATH = frozenset({"reassoc", "arcp", "contract"})  # fastmath=True (not nnan, ninf nor afn)
FLAGS = FASTMATH | {"nnan", "ninf", "nsz", "afn", "fast"}  # the LLVM fast-math flags Numba takes


class JitError(ADCompileError):
    """Numba is missing, or cannot compile what the generated code does (the message says what)."""


class JitOverflowError(JitError, OverflowError):
    """An integer the jitted code computes does not fit in Numba's int64, where Python's int
    would have grown, or a float overflows where CPython raises (math.exp(800.0), 10.0 ** 400):
    raised at the user's line instead of the number Numba would wrap to or the infinity."""


class JitValueError(JitError, ValueError):
    """A math domain error (math.log(-1.0), math.sqrt(-0.5)) in jitted code, at the user's line:
    CPython raises ValueError where Numba would return NaN or an infinity."""


class JitZeroDivisionError(JitError, ZeroDivisionError):
    """`0.0 ** -1.0` in jitted code, at the user's line (CPython's ZeroDivisionError)."""


class JitIndexError(JitError, IndexError):
    """An index past the end of an array in jitted code (Numba's bounds check)."""


@public
def jit(f, *, fastmath=False):
    """`f` (a Python function, or one made by grad, value_and_grad or the forward mode) compiled
    by Numba: same parameters, same results, machine-code speed on scalar loops. `fastmath=True`:
    faster arithmetic that rounds differently (reassociated, reciprocals, fused multiply-adds);
    NaN and infinity keep their meaning."""
    flags = _flags(fastmath)
    numba = _numba()
    info = getattr(f, "__adcompile__", None)
    if getattr(f, "py_func", None) is not None and info is not None and \
            getattr(f, "fastmath", None) == flags:
        return f  # already compiled
    if hasattr(f, "__adcompile_jacobian__"):
        of = f.__adcompile_jacobian__[0]
        raise JitError(f"jit compiles functions made by grad and value_and_grad, not a Jacobian "
                       f"of {name_of(of)} made by jacfwd, jacrev or hessian (it calls the "
                       "derivative once per row or column); jit the function, or run the "
                       "Jacobian without jit", *place_of(of))
    partial = getattr(f, "__adcompile_partial__", None)
    if partial is not None:  # grad(functools.partial(g, ...)): g's derivative, given its arguments
        return _of_partial(f, jit(partial[1], fastmath=fastmath), partial[0])
    boundary = getattr(f, "__adcompile_boundary__", None)
    if boundary is not None:  # grad's options as grad's wrapper holds them
        function, mode, argnums, optimize, has_aux = boundary.f, boundary.mode, \
            boundary.argnums, boundary.optimize, boundary.has_aux
    elif info is not None:
        function, mode, argnums, optimize, has_aux = info.function, info.mode, info.argnums, \
            info.optimize, info.has_aux
    elif not callable(f):
        raise ArgumentError(f"jit expects a function, got {type(f).__name__}")
    else:
        function, mode, argnums, optimize, has_aux = f, "flat", None, True, False
    check_unchanged(info, function)
    if mode not in MODES:
        raise JitError(f"jit compiles functions made by grad, value_and_grad and forward mode, "
                       f"not by {mode}: Numba cannot return the pullback a vjp makes")
    made: dict = {}  # the structure of the arguments -> the code compiled for it

    def compiled(function, mode, argnums, optimize, trees=None, has_aux=False):
        """api.compile_derivative's part for grad's wrapper (boundary.py): compiled by Numba."""
        if trees not in made:
            made[trees] = _compiled(numba, flags, function, mode, argnums, optimize, trees,
                                    has_aux)
        return made[trees]
    # as grad's own wrapper: the compiled code itself for plain arguments, else a wrapper that
    # flattens containers, compiles for their structure and rebuilds the results' structure
    if boundary is not None and boundary.receiver is not None:
        out = _Boundary(compiled, function, mode, argnums, optimize, None, None,
                        receiver=boundary.receiver, has_aux=has_aux).function(f)
    else:
        out = differentiate(compiled, function, mode, argnums, optimize, has_aux)
    if getattr(out, "dispatcher", None) is None:  # (the wrapper is compiled too: not again)
        plain = getattr(out.__adcompile_boundary__, "plain", None)
        out.py_func, out.fastmath = getattr(plain, "py_func", out), flags
    return out


def _compiled(numba, flags, function, mode, argnums, optimize, trees, has_aux):
    """The code of `function` in `mode` for arguments of structure `trees` compiled by Numba,
    called with the parameters of the code (keywords and defaults bound as Python would)."""
    from .api import Info, build, offered_defaults

    def variant(arrays):
        fn = numba_friendly(build(function, mode, argnums, optimize, trees, final=False,
                                  has_aux=has_aux), arrays)
        try:  # constants Numba can freeze; Python's ints, float errors and pow
            jit_constants.frozen(fn)
            sites = jit_ints.checked(fn)  # (where Numba's int64 would differ)
            sites += jit_math.checked(fn, fast=bool(flags))
            jit_helpers_gather.read_only_writes(fn, jit_math.Refused)
        except jit_math.Refused as e:
            raise JitError(e.message, e.filename, e.line) from None
        own = len(fn.params)
        hidden = hidden_arrays(fn)  # (global arrays: parameters, passed at each call)
        src, text = located_source(fn)
        py, cacheable = _compile(text, fn, flags)
        if fn.defaults:  # (the user's parameters; a default Python cannot write is not written)
            py.__defaults__ = offered_defaults(function, argnums)
        if hidden:  # (py_func(x) reads them as the generated Python code does)
            py.__defaults__ = (*(py.__defaults__ or ()), *hidden.values())
            scope.update(hidden)
        signature = inspect.signature(py)
        signature = signature.replace(parameters=list(signature.parameters.values())[:own])
        dispatcher = numba.njit(cache=cacheable, fastmath=set(flags) or False,
                                boundscheck=True)(py)  # (an index past the end: IndexError)
        jit_forms.quiet_compiles(dispatcher, numba)
        for w in wrappers:
            w.__adcompile__ = Info(function, mode, argnums, optimize, src, fn.containers,
                                   fn.out_tree, fn.arguments, True, has_aux, fn.aux_tree)
            w.__adcompile__.changes_arguments = fn.changes_arguments
            w.py_func, w.fastmath, w.dispatcher = py, flags, dispatcher
        current[:] = [dispatcher, fn, arrays and "tape_put" in _prims(fn.body), sites,
                      signature, own, tuple(hidden.values())]

    def jitted(*args, **kwargs):
        if kwargs or len(args) != current[5]:  # (Numba's dispatcher takes no keywords)
            try:
                bound = current[4].bind(*args, **kwargs)
            except TypeError as e:  # (as Python words it for the function itself)
                raise TypeError(f"{current[1].name}() {e}") from None
            bound.apply_defaults()
            args = bound.args
        try:
            return current[0](*args, *current[6]) if current[6] else current[0](*args)
        except Exception as e:
            return failed(e, args)

    def failed(e, args):
        """The dispatcher raised `e`: say why in the user's terms, or compile the variant whose
        tapes are lists (a tape holds something other than floats: lists hold any one type)."""
        narrow = jit_math.narrow_argument(args, current[1].params)
        if narrow:  # (float16: Numba fails before check_float64 runs)
            raise JitError(narrow, current[1].filename,  # (the def's line)
                           min(current[1].source_lines, default=None)) from None
        if isinstance(e, numba.core.errors.NumbaError):
            if not current[2] or not isinstance(e, numba.core.errors.TypingError):
                raise _explain(e, current[1]) from None
        elif isinstance(e, ImportError):  # (Numba's matrix products need SciPy's BLAS)
            raise JitError(f"Numba cannot compile {current[1].name} here: {e}; install SciPy "
                           "(pip install scipy) or run it without jit") from None
        elif isinstance(e, OverflowError) and str(e).startswith(jit_ints.MARK):
            raise _overflow(e, current[1], current[3]) from None
        elif isinstance(e, (ValueError, OverflowError, ZeroDivisionError, TypeError)) and \
                str(e).startswith(jit_math.MARK):
            kind, message, line = jit_math.explain(e, current[1], current[3])
            raise _MATH[kind](message, current[1].filename, line) from None
        elif isinstance(e, IndexError) and str(e) == "index is out of bounds" or \
                isinstance(e, ZeroDivisionError):  # (a division Python checks as Numba does)
            what, cls = ("an index is out of bounds", JitIndexError) if isinstance(
                e, IndexError) else (f"{e} (ZeroDivisionError)", JitZeroDivisionError)
            raise cls(f"{what} in {current[1].name} (Numba checks each index and division as "
                      f"Python does, without naming the line: run it without jit to see which)",
                      current[1].filename) from None
        elif isinstance(e, ValueError) and "cross2d" in str(e):  # (Numba's np.cross: 3-vectors)
            line = next((s.line for s in walk_stmts(current[1].body) if type(s) is Assign and
                         type(s.value) is Op and s.value.prim == "np.cross"), None)
            raise JitError("np.cross of 2-vectors has no Numba version (Numba's np.cross takes "
                           "3-vectors); run it without jit, or write the 2-D cross product "
                           "a[0] * b[1] - a[1] * b[0]", current[1].filename, line) from None
        elif isinstance(e, TypeError) and re.fullmatch(r"expected \S+, got None", str(e)):
            raise _none_taped(e, current[1]) from None
        elif jit_refusals.placed(e, current[1]):  # (a helper's check: as the Python one's)
            raise jit_refusals.placed(e, current[1]) from None
        elif jit_forms.internal(e, current[1]):  # (Numba's compiler failed: an assert)
            raise JitError(*jit_forms.internal(e, current[1])) from None
        else:
            raise e
        variant(False)
        return jitted(*args)

    current: list = []
    wrappers = [jitted]  # (the one returned: each variant compiled sets its attributes)
    scope: dict = {}  # the hidden parameters' values, where _fixed's wrapper reads them
    variant(True)
    out = _fixed(current, failed, jitted, scope)
    if out is not jitted:
        wrappers[:] = [out]
        out.__adcompile__, out.py_func, out.fastmath, out.dispatcher = \
            jitted.__adcompile__, jitted.py_func, jitted.fastmath, jitted.dispatcher
    out.__name__ = out.__qualname__ = current[1].name
    out.__doc__ = f"{current[1].name}, compiled by Numba through adcompile.jit."
    return out


_MATH = {"JitError": JitError, "ValueError": JitValueError, "OverflowError": JitOverflowError,
         "ZeroDivisionError": JitZeroDivisionError}


def _fixed(current, failed, jitted, scope):
    """A wrapper of the compiled code with its own parameters (`def grad_f(x, y=2.0)`), where
    they are all positional-or-keyword: Python binds the call, and the arguments go to Numba's
    dispatcher without being packed and unpacked (a tenth of a microsecond, the overhead of a
    scalar loop's compiled gradient), with the global arrays `scope` holds after them.
    `jitted`, taking *args and **kwargs, otherwise."""
    signature = current[4]
    names = list(signature.parameters)
    if any(p.kind is not p.POSITIONAL_OR_KEYWORD for p in signature.parameters.values()) or \
            not all(n.isidentifier() for n in names) or \
            {"current", "failed", "e", current[1].name} & {*names, *scope} or \
            not current[1].name.isidentifier():
        return jitted
    listed, name = ", ".join(names), current[1].name
    passed = ", ".join([*names, *scope])
    scope.update(current=current, failed=failed)
    exec(f"def {name}({listed}):\n"
         f"    try:\n"
         f"        return current[0]({passed})\n"
         f"    except Exception as e:\n"
         f"        return failed(e, ({listed}{',' if len(names) == 1 else ''}))\n", scope)
    fixed = scope[name]
    fixed.__defaults__ = tuple(p.default for p in signature.parameters.values()
                               if p.default is not p.empty) or None
    return fixed


def _of_partial(f, jitted, partial):
    """`f`, the derivative of `partial`'s function called with its bound arguments, made of
    `jitted`, that derivative compiled."""
    must = getattr(f, "__adcompile_must_pass__", ())

    def of_partial(*args, **kwargs):
        refuse_unpassed(partial, must, args, kwargs)
        return jitted(*partial.args, *args, **{**partial.keywords, **kwargs})
    for name in ("__name__", "__qualname__", "__signature__", "__adcompile__"):
        setattr(of_partial, name, getattr(f, name))
    of_partial.py_func, of_partial.fastmath = jitted.py_func, jitted.fastmath
    return of_partial


def _flags(fastmath):
    """The fast-math flags `fastmath` asks for: none, `FASTMATH` for True, or the set given."""
    if fastmath is False or fastmath is None:
        return frozenset()
    if fastmath is True:
        return FASTMATH
    if isinstance(fastmath, (set, frozenset, list, tuple)) and \
            all(isinstance(x, str) for x in fastmath) and set(fastmath) <= FLAGS:
        return frozenset(fastmath)
    raise ArgumentError(f"fastmath must be True, False or a set of LLVM fast-math flags "
                        f"({', '.join(sorted(FLAGS))}), not {fastmath!r}")


def _prims(block):
    return {e.prim for s in walk_stmts(block) for x in stmt_exprs(s) for e in walk_exprs(x)
            if type(e) is Op}


def _numba():
    try:
        import numba
    except ImportError:
        raise JitError("adcompile.jit needs Numba: pip install \"adcompile[jit]\" "
                       "(or pip install numba)") from None
    _register(numba)
    return numba


# -- the Numba-friendly variant of the IR -----------------------------------------------------

def numba_friendly(fn: Function, arrays=True) -> Function:
    """`fn` rewritten into code that Numba compiles: typed tapes, ranges instead of reversed or
    sliced ranges, no `type(x) is float` tests. With `arrays`, a tape that a loop over
    `range(n)` fills once per iteration is an array of n floats indexed by the loop counter."""
    fn.errstate = {}  # (Numba neither warns nor knows np.errstate)
    folded: set = set()  # (first: a float path of its own goes, and with it its tape)
    size = -1
    while size != len(list(walk_stmts(fn.body))):  # (a flag set in both branches of a test
        size = len(list(walk_stmts(fn.body)))      # folded is set once after it)
        assigned: dict = {}
        for s in walk_stmts(fn.body):  # (each statement's own targets, not its blocks')
            for t in targets_of(s) if type(s) is Assign else [s.target] if type(s) is For else ():
                assigned[t] = assigned.get(t, 0) + 1
        fn.body[:] = _drop_type_tests(fn.body, {}, {t for t, n in assigned.items() if n == 1},
                                      folded, None if is_generated(fn.filename) else fn.filename)
    _split_tapes(fn)
    if arrays:
        _array_tapes(fn)
    _ranges(fn.body)
    _drop_unused_lists(fn)
    jit_forms.appends_in_place(fn)
    jit_tuples.rewrite(fn)
    jit_forms.numba_names(fn)
    for s in walk_stmts(fn.body):
        if type(s) is Assign:
            s.value = _whole_reductions(s.value)
        elif type(s) is Return:
            s.values = [_whole_reductions(v) for v in s.values]
    return fn


def tape_put(tape, index, value):
    """`tape[index] = value`: a value taped into an array tape (a float; Numba checks)."""
    tape[index] = value


add("tape_put", tape_put, ("tape", "index", "x"), "nondiff", zero="*")


def range_count(start, stop, step):
    """How many numbers `range(start, stop, step)` holds (a step known only at run time)."""
    return len(range(start, stop, step))


add("range_count", range_count, ("start", "stop", "step"), "nondiff", zero="*")


def _is(e, prim):
    return type(e) is Op and e.prim == prim


def _split_tapes(fn):
    """`tape.append((a, b))` -> `tape_a.append(a)`, `tape_b.append(b)`; `a, b = tape.pop()` ->
    `b = tape_b.pop()`, `a = tape_a.pop()`. Each name's pushes and pops keep the stack order of
    the one tape (a pop takes the latest push not yet popped, and that push holds the name), so
    one list per name holds values of one type."""
    names = {t for s in walk_stmts(fn.body) for t in targets_of(s)} | set(fn.params) | \
        set(fn.constants)
    tapes = {}  # (tape, taped name) -> its list's name
    whole = _whole_tapes(fn.body)

    def tape_of(tape, name):
        if tape in whole:
            return tape
        if (tape, name) not in tapes:
            tapes[tape, name] = _fresh(f"{tape}_{name}", names)
        return tapes[tape, name]

    def split(block):
        out = []
        for s in block:
            for b in blocks_of(s):
                b[:] = split(b)
            if type(s) is Assign and _is(s.value, "push") and s.value.args[0].name in whole:
                out.append(s)
            elif type(s) is Assign and _is(s.value, "push"):
                tape, value = s.value.args
                items = value.args if _is(value, "tuple") else (value,)
                if not all(type(v) is Var for v in items):
                    raise JitError(_UNSPLIT, fn.filename, s.line)
                out += [Assign(None, Op("push", (Var(tape_of(tape.name, v.name)), v)), s.line)
                        for v in items]
            elif type(s) is Assign and _is(s.value, "pop") and s.value.args[0].name in whole:
                out.append(s)
            elif type(s) is Assign and _is(s.value, "pop"):
                tape = s.value.args[0].name
                targets = s.target if type(s.target) is tuple else (s.target,)
                out += [Assign(t, Op("pop", (Var(tape_of(tape, t)),)), s.line)
                        for t in reversed(targets)]
            else:
                out.append(s)
        return out

    fn.body[:] = split(fn.body)
    made = [(s, block) for block in _blocks(fn.body) for s in block if type(s) is Assign and
            _is(s.value, "list") and not s.value.args and s.target not in whole and
            any(tape == s.target for tape, _ in tapes)]
    for s, block in made:  # `tape = []` -> one empty list per name taped on it (first push first)
        at = _index(block, s)
        block[at:at + 1] = [Assign(new, Op("list", ()), s.line)
                            for (tape, _), new in tapes.items() if tape == s.target]
    if any(type(s) is Assign and _is(s.value, "list") and s.value.args
           for s in walk_stmts(fn.body)):
        raise JitError(_UNSPLIT, fn.filename)


_UNSPLIT = ("adcompile.jit cannot compile this derivative: the values its loop saves for the "
            "backward sweep (several at a time, of types Numba cannot keep in one list) are not "
            "in a form jit can give typed lists (this happens in a derivative of a derivative). "
            "Run it without jit, or compile the first derivative, jit(grad(f)), and take the "
            "second by finite differences or forward mode around it")


def _drop_unused_lists(fn):
    """`tape = []` where no code is left that uses the tape (it served a float path dropped):
    Numba cannot type an empty list that nothing appends to."""
    used = {e.name for s in walk_stmts(fn.body) for x in stmt_exprs(s) for e in walk_exprs(x)
            if type(e) is Var}
    for block in _blocks(fn.body):
        block[:] = [s for s in block if not (type(s) is Assign and type(s.target) is str and
                                             _is(s.value, "list") and not s.value.args and
                                             s.target not in used)]


def _whole_tapes(block):
    """The tapes kept as one list: each push of a single value and each pop into a single name,
    where a pop's name is not among those pushed (the derivative of a derivative: the inner
    code's tape, renamed, pushes `s` and pops `s_2`), so splitting by name cannot pair them.
    A tape that pushes one value at a time holds values of one type where Numba compiles it."""
    pushed: dict = {}
    popped: dict = {}
    single: dict = {}
    for s in walk_stmts(block):
        if type(s) is Assign and _is(s.value, "push"):
            tape, value = s.value.args
            pushed.setdefault(tape.name, set()).add(value.name if type(value) is Var else None)
            single[tape.name] = single.get(tape.name, True) and not _is(value, "tuple")
        elif type(s) is Assign and _is(s.value, "pop"):
            tape = s.value.args[0].name
            popped.setdefault(tape, set()).add(s.target if type(s.target) is str else None)
            single[tape] = single.get(tape, True) and type(s.target) is not tuple
    return {t for t, one in single.items()
            if one and not popped.get(t, set()) <= pushed.get(t, set()) - {None}}


def _array_tapes(fn):
    """A tape pushed once in the body of a loop `for i in range(n)` and popped once in the body
    of its backward loop, neither inside another loop and no `break` in between, becomes
    `tape = np.empty(n)` before the loop, `tape_put(tape, i, x)` and `x = tape[i]`; the k
    tapes of one loop become the columns of one `np.empty((n, k))` (one allocation, not k)."""
    where = {}  # tape -> [(statement, its block, the loop whose body holds it, loop depth)]

    def visit(block, loop, depth):
        for s in block:
            if type(s) is Assign and (_is(s.value, "push") or _is(s.value, "pop")):
                where.setdefault(s.value.args[0].name, []).append((s, loop, depth))
            for b in blocks_of(s):
                if type(s) in (For, While):
                    visit(b, s, depth + 1)
                else:
                    visit(b, loop, depth)
    visit(fn.body, None, 0)
    loops = {}  # id(forward loop) -> (the loop, the block holding it)
    for block in _blocks(fn.body):
        for s in block:
            if type(s) is For:
                loops[id(s)] = (s, block)
    groups: dict = {}  # id(forward loop) -> [(tape, its push, its pop, the two loops)]
    for tape, uses in where.items():
        pushes = [u for u in uses if _is(u[0].value, "push")]
        pops = [u for u in uses if _is(u[0].value, "pop")]
        if len(pushes) != 1 or len(pops) != 1:
            continue
        (push, fwd, d1), (pop, back, d2) = pushes[0], pops[0]
        if not (type(fwd) is For and type(back) is For and d1 == d2 == 1 and not fwd.reverse
                and back.reverse and fwd.count is None and back.count is None
                and back.bounds == fwd.bounds and _counts_from_zero(fwd.bounds)
                and any(x is push for x in fwd.body) and any(x is pop for x in back.body)
                and not any(type(s) is Break for s in walk_stmts(fwd.body))):
            continue
        groups.setdefault(id(fwd), []).append((tape, push, pop, fwd, back))
    taken = {t for s in walk_stmts(fn.body) for t in targets_of(s)} | set(fn.params) | \
        set(fn.constants)
    for group in groups.values():
        fwd = group[0][3]
        n = fwd.bounds[0] if len(fwd.bounds) == 1 else fwd.bounds[1]
        if not (type(n) is Const and type(n.value) is int and n.value >= 0):
            n = Op("max", (n, Const(0)))
        array = group[0][0] if len(group) == 1 else _fresh(f"tape_{fwd.target}", taken)
        for column, (tape, push, pop, _, back) in enumerate(group):
            step_in, step_out = Var(fwd.target), Var(back.target)
            if len(group) > 1:
                step_in = Op("tuple", (step_in, Const(column)))
                step_out = Op("tuple", (step_out, Const(column)))
            push.value = Op("tape_put", (Var(array), step_in, push.value.args[1]))
            pop.value = Op("getitem", (Var(array), step_out))
            made, where = next((s, b) for b in _blocks(fn.body) for s in b
                               if type(s) is Assign and s.target == tape)
            del where[_index(where, made)]
        shape = n if len(group) == 1 else Op("tuple", (n, Const(len(group))))
        block = loops[id(fwd)][1]
        block.insert(_index(block, fwd), Assign(array, Op("np.empty", (shape,)), fwd.line))


def _fresh(name, taken):
    """`name`, with underscores added until no name in `taken` is the same (then taken too)."""
    while name in taken:
        name += "_"
    taken.add(name)
    return name


def _counts_from_zero(bounds):
    return len(bounds) == 1 or bounds[0] == Const(0) and (len(bounds) == 2 or
                                                           bounds[2] == Const(1))


def _index(block, stmt):
    return next(k for k, s in enumerate(block) if s is stmt)


def _blocks(block):
    yield block
    for s in block:
        for b in blocks_of(s):
            yield from _blocks(b)


def _ranges(block):
    """`reversed(range(a, b, s)[:n])` and `range(a, b, s)[:n]` as plain ranges."""
    for s in walk_stmts(block):
        if type(s) is not For or not (s.reverse or s.count is not None):
            continue
        a, b, step = (Const(0), s.bounds[0], Const(1)) if len(s.bounds) == 1 else \
            (*s.bounds, Const(1)) if len(s.bounds) == 2 else s.bounds
        k = step.value if type(step) is Const and type(step.value) is int else None
        if s.count is not None:
            count = s.count
        elif k is None:  # (a step known at run time: range's own count)
            count = Op("range_count", (a, b, step))
        elif k > 0:
            count = Op("floordiv", (Op("add", (Op("sub", (b, a)), Const(k - 1))), Const(k)))
        else:
            count = Op("floordiv", (Op("sub", (Op("sub", (a, b)), Const(k + 1))), Const(-k)))
        last = Op("add", (a, Op("mul", (Op("sub", (count, Const(1))), step))))
        if s.reverse:
            bounds = (last, Op("sub", (a, step)),
                      Op("neg", (step,)) if k is None else Const(-k))
        else:
            bounds = (a, Op("add", (a, Op("mul", (count, step)))), step)
        s.bounds = tuple(_fold(simplify(e)) for e in bounds)
        if k == 1 and not s.reverse and s.bounds[0] == Const(0):
            s.bounds = s.bounds[1:2]
        s.reverse, s.count = False, None


def _whole_reductions(e):
    """`np.sum(x, keepdims=True)` and `np.mean(x, keepdims=True)` (reverse rules of var and std
    write them) as `np.sum(x)` and `np.mean(x)`: Numba has no keepdims, and a number broadcasts
    as the array of ones axes does. A helper's keyword after *args (Numba drops it) positional.
    An index `...` alone as `(...,)`, the same index, which Numba takes (`a[...]` it does not)."""
    if type(e) is Const and e.value is Ellipsis:
        return Const((Ellipsis,))
    if type(e) is not Op:
        return e
    args = tuple(_whole_reductions(a) for a in e.args)
    kwargs = tuple((k, _whole_reductions(v)) for k, v in e.kwargs)
    if e.prim in ("np.sum", "np.mean") and len(args) == 1 and \
            dict(kwargs) in ({"keepdims": Const(True)},
                             {"axis": Const(None), "keepdims": Const(True)}):
        kwargs = ()
    if e.prim in jit_helpers_shapes.POSITIONAL:
        return jit_helpers_shapes.positional(Op(e.prim, args, kwargs))
    if e.prim in jit_forms.FORMS:  # (norms by name, keepdims along an axis, reshape_like)
        return jit_forms.numba_form(Op(e.prim, args, kwargs))
    return Op(e.prim, args, kwargs) if (args, kwargs) != (e.args, e.kwargs) else e


def _fold(e):
    """Integer arithmetic on constants folded (`simplify` leaves floor division)."""
    if type(e) is not Op:
        return e
    args = tuple(_fold(a) for a in e.args)
    if e.prim == "floordiv" and all(type(a) is Const and type(a.value) is int for a in args):
        return Const(args[0].value // args[1].value)
    return simplify(Op(e.prim, args, e.kwargs)) if args != e.args else e


_TYPE = object()  # known[name] for `name = type(x)` (the code of a derivative, differentiated)
_USER_TYPE = ("Numba cannot tell a Python float from NumPy's float64, nor an int from int64, so "
              "jit cannot run this test of type(): write a function for each kind of argument, "
              "or run the function without jit")


def _drop_type_tests(block, known, once, folded, user):
    """`type(x) is float` (or int) is False and `type(x) is not float` True: what they guard is
    the general path, which Numba runs at the speed of the fast one. Tests left constant are
    folded away, and so is a flag (assigned `once`) holding one. The user's own `t = type(x)`
    (in the file `user`, not inlined from generated code) is refused: float64 is both."""
    out = []
    for s in block:
        if type(s) is Assign:
            place = getattr(s.line, "place", None) or (user, s.line)
            if place[0] and not is_generated(place[0]) and _is(s.value, "type"):
                raise JitError(_USER_TYPE, *place)  # (generated tests are `type(x) is float`)
            if s.target in once and _is(s.value, "type"):  # `s0 = type(x)`, tested below
                known[s.target] = _TYPE
                continue
            was = s.value
            s.value = _constant(s.value, known)
            if type(s.value) is Const and s.value != was:
                folded.add(s.target)
            if s.target in once and type(s.value) is Const and s.target in folded:
                known[s.target] = s.value.value
                continue
        elif type(s) is Return:
            s.values = [_constant(v, known) for v in s.values]
        elif type(s) is If:
            s.test = _constant(s.test, known)
            if type(s.test) is Const:
                out += _drop_type_tests(s.body if s.test.value else s.orelse, known, once,
                                       folded, user)
                continue
        elif type(s) is While:
            s.test = _constant(s.test, known)
        for b in blocks_of(s):
            b[:] = _drop_type_tests(b, known, once, folded, user)
        out.append(s)
    return out


def _constant(e, known):
    if type(e) is Var and known.get(e.name) is _TYPE:
        raise JitError("adcompile.jit: the generated code uses a type() other than to test for "
                       "float")
    if type(e) is Var and e.name in known:
        return Const(known[e.name])
    if type(e) is not Op:
        return e
    if e.prim in ("is", "isnot") and e.args[1] in (Var("float"), Var("int")) and \
            (_is(e.args[0], "type") or
             type(e.args[0]) is Var and known.get(e.args[0].name) is _TYPE):
        return Const(e.prim == "isnot")
    args = tuple(_constant(a, known) for a in e.args)
    decisive = Const(e.prim == "or")  # False decides an `and`, True an `or`, whatever the rest
    if e.prim in ("and", "or") and decisive in args:
        return decisive
    if e.prim in ("and", "or", "not") and all(type(a) is Const and type(a.value) is bool
                                             for a in args):
        values = [a.value for a in args]
        return Const(all(values) if e.prim == "and" else any(values) if e.prim == "or"
                     else not values[0])
    return Op(e.prim, args, e.kwargs)


# -- compiling ---------------------------------------------------------------------------------

def _compile(text, fn, flags):
    """The Python function Numba compiles, from a file named by the hash of its text, constants
    and fast-math flags (Numba's disk cache is keyed by the file), and whether Numba may cache
    it."""
    from .diskcache import _own_source, folder  # (Numba's cached code holds the helpers' too)
    digest = _digest(fn.constants)
    cacheable = digest is not None
    text += f"# adcompile.jit {FORMAT} {_own_source()[:12]}, constants {digest or 'not cacheable'}"
    text += f", fastmath {' '.join(sorted(flags))}\n" if flags else "\n"
    name = f"{fn.name}-numba-{hashlib.sha1(text.encode()).hexdigest()[:8]}"
    filename = _write(f"{name}.py", text) if folder() else None  # (cache off: nothing on disk)
    if filename is None:
        filename, cacheable = f"<adcompile {name}>", False
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    namespace = dict(NAMESPACE)
    namespace.update(fn.constants)
    namespace["tape_put"], namespace["range_count"] = tape_put, range_count
    aliases(text, namespace)
    namespace["__name__"] = __name__  # Numba's disk cache re-imports the function's module
    exec(compile(text, filename, "exec"), namespace)
    py = namespace[fn.name]
    namespace[fn.name] = NAMESPACE.get(fn.name, py)  # (a helper of its name: the code calls it)
    return py, cacheable


def _digest(constants):
    """A hash of the constants' values, or None when one is not a module, number, array or tuple
    of numbers."""
    h = hashlib.sha1()
    for name in sorted(constants):
        v = constants[name]
        if isinstance(v, pytypes.ModuleType):
            part = f"module {v.__name__}"
        elif type(v) in (bool, int, float, complex):
            part = f"{type(v).__name__} {v!r}"
        elif isinstance(v, np.ndarray) and v.dtype.kind in "biufc":
            part = f"array {v.dtype.str} {v.shape} {hashlib.sha1(v.tobytes()).hexdigest()}"
        elif jit_constants.digest_part(v):
            part = jit_constants.digest_part(v)
        else:
            return None
        h.update(f"{name}={part};".encode())
    return h.hexdigest()[:16]


_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_WHAT = [(re.compile(p), w) for p, w in [
    (r"Untyped global name '(\w+)'", "the global {0}"),
    (r"Unknown attribute '(\w+)' of type ([^\n]+?)\s*$", "the attribute {0} of {1}"),
    (r"No implementation of function Function\(<(?:built-in )?function (\w+)",
     "{0} with these arguments"),
    (r"No implementation of function Function\(<class '(?:[\w.]+\.)?(\w+)'>\)",
     "{0} with these arguments"),
    (r"Use of unsupported opcode \((\w+)\)", "the opcode {0}"),
]]


def _explain(err, fn):
    """A JitError at the user's line that Numba could not compile. It names what Numba could not
    compile where the user wrote it; a helper of adcompile's (the code a line becomes in the
    derivative) is named with the generated line calling it, and the user's line."""
    message = _ANSI.sub("", str(err))
    found = next((m for p, _ in _WHAT for m in [p.search(message)] if m), None)
    what = next(w.format(*found.groups()) for p, w in _WHAT if p is found.re) if found else None
    place = None  # the generated line, which ends in `  # file:line`, the user's line
    text = ""  # the generated code
    for path, number in re.findall(r'File "([^"]+)", line (\d+)', message):
        if os.path.basename(path).startswith(fn.name + "-numba-") or path.startswith("<adcompile"):
            place = linecache.getline(path, int(number)).strip() or place
            text = "".join(linecache.getlines(path))
    located = re.search(r"  # (\S+):(\d+)$", place or "")
    where, line = (fn.filename, None), ""
    if located:
        named = located.group(1)  # (a helper's file: its path, from the inlined lines)
        where = (next((p[0] for s in walk_stmts(fn.body) for p in [getattr(s.line, "place", 0)]
                       if p and os.path.basename(p[0]) == named), named)
                 if named != os.path.basename(fn.filename) else fn.filename, int(located.group(2)))
        line = linecache.getline(*where).strip()
    first = next((ln.strip() for ln in message.splitlines()
                  if ln.strip() and not ln.startswith("Failed in")), message)
    helper = found.group(1) if found and found.re in (_WHAT[0][0], _WHAT[2][0]) else None
    own = helper not in fn.constants and \
        (getattr(NAMESPACE.get(helper), "__module__", None) or "").startswith("adcompile")
    module = re.search(r"Unknown attribute '(\w+)' of type Module\(<module '([\w.]+)'", message)
    if module and line and re.search(rf"\b{module.group(1)}\b", line):  # (scipy.stats.norm)
        return JitError(*jit_forms.no_numba_module_function(module.group(2), module.group(1),
                                                            line, where))
    if found and line and re.search(rf"\b{found.group(1)}\b", line) and not own:  # the user's
        detail = "" if "No implementation of function" in first else f" ({first})"
        return JitError(f"Numba cannot compile {what} in `{line}`{detail}. Run the function "
                        "without jit, or write this line in what Numba supports.", *where)
    generated = re.sub(r"\s*# \S+:\d+$", "", place or "")
    if helper and line and own:  # (adcompile's softmax too, which the user wrote)
        return JitError(*jit_forms.helper_missing(helper, message, generated, line, where))
    called = fn.constants.get(helper) if helper and found.re is _WHAT[0][0] else None
    if called is not None and callable(called) and line:  # (a function of the user's, renamed)
        named = f"{getattr(called, '__module__', None) or ''}.{getattr(called, '__name__', '')}"
        return JitError(f"Numba cannot compile {named.strip('.')} (`{helper}` in `{generated}`, "
                        f"part of the code that `{line}` becomes).{jit_forms.instead(called)} "
                        "Run the function without jit, or write that part in what Numba "
                        "supports.", *where)
    if found and line and re.search(rf"\b{found.group(1)}\b", generated):  # (a helper of theirs)
        return JitError(f"Numba cannot compile {what} in `{generated}`, part of the code that "
                        f"`{line}` becomes (a function it calls, inlined, or a derivative rule). "
                        "Run the function without jit, or write that part in what Numba "
                        "supports.", *where)
    changes = re.search(r"Cannot unify (.+?) and (.+?) for '(\w+?)(?:\.\d+)?'", first)
    if changes and line:
        name = changes.group(3)
        yours = any(re.search(rf"\b{name}\b", text) for text in fn.source_lines.values())
        what = f"`{name}`" if yours else f"`{name}` (a name of the generated code)"
        kinds = [jit_forms.kind_in_words(changes.group(k)) for k in (1, 2)]
        if jit_forms.first_bound_in_loop(fn, name, kinds):  # (its placeholder: a number)
            return JitError(*jit_forms.first_bound_in_loop(fn, name, kinds))
        return JitError(jit_forms.one_type(what, changes.group(1), changes.group(2), line),
                        *where)
    empty = jit_forms.empty_named(first, text)
    if empty and line:
        return JitError(*jit_forms.empty_list(fn, empty, text, line, where))
    if line:
        return JitError(f"adcompile.jit has no Numba version of the code that `{line}` becomes "
                        f"for these argument types ({first}). Run it without jit, or write this "
                        "line another way.", *where)
    return JitError(f"Numba cannot compile {what or 'this'} in {fn.name}: {first}. Run it "
                    "without jit, or rewrite that part in what Numba supports.", *where)


def _none_taped(err, fn):
    """The JitError of a tape (a list of one type under Numba) given None: a name that holds None
    first and a number later (`prev = None`, then `prev = x * i`), saved for the backward sweep."""
    nones = [(s.target, s.line) for s in walk_stmts(fn.body) if type(s) is Assign and
             type(s.target) is str and type(s.value) is Const and s.value.value is None]
    named = ", ".join(f"`{fn.source_lines.get(line, name).strip()}`" for name, line in nones)
    return JitError(f"the derivative under jit saves the values of each step, and one of them is "
                    f"None ({err}){': ' + named if named else ''}: Numba keeps values of one "
                    "type only. Start the variable with a number and keep a flag (first = True) "
                    "for the steps where it has none, or run it without jit.", fn.filename,
                    nones[0][1] if nones else None)


def _overflow(err, fn, sites):
    """The JitOverflowError at the user's line of what `err` (a checked helper's) says; `sites`:
    the helpers the variant calls, with their lines."""
    helper = str(err)[len(jit_ints.MARK):].strip()
    lines = sorted({line for h, line in sites if h == helper and line})
    code = fn.source_lines.get(lines[0], "").strip() if lines else ""
    where = f" in `{code}`" if code else ""
    if lines[1:]:
        where += f" (or at line {', '.join(map(str, lines[1:]))})"
    if helper == "real_pow":
        what = (f"an integer power{where} is a float under jit (its exponent may be negative, "
                "and then Python's is a float too), and this one, an int in Python, is too large "
                "for a float to hold exactly")
        fix = "write the base as a float (2.0 ** k)"
    else:
        what = (f"{jit_ints.WHAT[helper]} does not fit in Numba's int64{where}: Python's int "
                "grows as needed, Numba's 64-bit integers would wrap to a wrong number")
        fix = "keep the value a float (a float %, math.fmod)" if helper in \
            jit_ints.TO_INT.values() else "compute the value that grows as a float (fact = " \
            "1.0, not fact = 1)"
    return JitOverflowError(f"{what}. To compile it, {fix}; or run the function without jit.",
                            fn.filename, lines[0] if lines else None)


# -- Numba implementations of the runtime helpers ------------------------------------------------

_REGISTERED: list = []


def _register(numba):
    """Give Numba an implementation of each helper in `jit_helpers` and of `tape_put`, once."""
    if _REGISTERED:
        return
    from numba.extending import overload
    for helper, typer in {tape_put: _put, range_count: _count,
                          **jit_helpers.helpers(numba)}.items():
        # (an index the user's code wrote reaches setitem in the forward sweep unchecked; the
        # backward sweep's helpers take the indices the forward sweep checked)
        checks = {"boundscheck": True} if helper is runtime.setitem else {}
        literal = helper in (runtime.check_unbound, runtime.getitem_grad, runtime.hstack_part,
                             runtime.check_not_in_place) \
            or helper in jit_helpers_copies.LITERAL  # (getitem_grad: of a tuple, jit_tuples)
        # (check_unbound: the name it raises with, when typed; np.pad: its mode)
        overload(helper, jit_options=checks, prefer_literal=literal)(typer(numba.types))
    jit_ints.register(numba)
    jit_math.register(numba)
    _REGISTERED.append(True)


def _put(t):
    def typer(tape, index, x):
        if x == t.float64:  # else no implementation: jit falls back to lists
            def put(tape, index, x):
                tape[index] = x
            return put
    return typer


def _count(t):
    def typer(start, stop, step):
        return lambda start, stop, step: len(range(start, stop, step))
    return typer
