"""Expression swell: symbolic differentiation (sympy) against the code adcompile generates.

`swell(f)` runs `f` on sympy symbols to get its expression, differentiates it with `sympy.diff`,
shrinks the result with `sympy.cse`, and sets the operation counts and timings beside those of
adcompile's flat, forward- and reverse-mode code. `swell_sweep(family, ns)` does it for every
member of a parameterised family (nested sin, the logistic map, a product chain, an MLP layer).

Operation counts are comparable on purpose:
  sympy      `sympy.count_ops` (an n-ary sum counts n - 1 additions; negation, subtraction,
             division, powers and function applications count one each).
  adcompile  the generated source's AST: one per arithmetic operator (BinOp, UnaryOp on a
             value), comparison, boolean operator and function call. Negative literals,
             assignments, tuples, indexing and the shape bookkeeping on the way out (the
             `type(...) is float` guard, `check_scalar`, `unbroadcast`, `expand_to`,
             `zeros_like`) are not operations, nor the float fast path of code with one (the
             same derivative again for Python floats, before the general code).

sympy and matplotlib are optional (`pip install "adcompile[swell]"`) and imported only here.
"""
from __future__ import annotations

import ast
import builtins
import linecache
import contextlib
import inspect
import math
import signal
import textwrap
import threading
import time
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

import numpy as np

from . import numerics
from .errors import ADCompileError, public

INSTALL = 'pip install "adcompile[swell]"'


class MissingDependencyError(ADCompileError, ImportError):
    """An optional dependency (sympy, matplotlib) is not installed."""


def _need(module, what):
    try:
        return __import__(module)
    except ImportError:
        raise MissingDependencyError(
            f"{what} needs {module}, which is not installed; install it with {INSTALL} "
            f"(or pip install {module}).") from None


# --- counting operations in generated code ---------------------------------------------------
BOOKKEEPING = {"type", "check_scalar", "check_numbers", "unbroadcast", "expand_to", "zeros_like"}


def count_ops(src: str) -> int:
    """Operations in generated Python source, counted on its AST (see the module docstring)."""
    count = 0
    for node in _counted(ast.parse(src)):
        if isinstance(node, ast.BinOp):
            count += 1
        elif isinstance(node, ast.UnaryOp):
            literal = type(node.op) in (ast.USub, ast.UAdd) and type(node.operand) is ast.Constant
            count += 0 if literal else 1
        elif isinstance(node, ast.Compare):
            count += 0 if _is_guard(node) else len(node.ops)
        elif isinstance(node, ast.BoolOp):
            count += 0 if _is_guard(node) else len(node.values) - 1
        elif isinstance(node, ast.Call):
            count += 0 if _callee(node) in BOOKKEEPING else 1
    return count


def _counted(tree):
    """ast.walk without the float fast path: an `if type(...) is float:` block of more than a
    return, the derivative again for Python floats (the general code after it counts)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if type(node) is ast.If and _is_guard(node.test) and len(node.body) > 1:
            todo.extend(node.orelse)
            continue
        todo.extend(ast.iter_child_nodes(node))


def _callee(call):
    f = call.func
    return f.id if type(f) is ast.Name else None


def _is_guard(node):
    """`type(x) is float` and `and`-chains of such tests: the float fast path's check."""
    if type(node) is ast.BoolOp:
        return all(_is_guard(v) for v in node.values)
    return type(node) is ast.Compare and all(type(o) in (ast.Is, ast.IsNot) for o in node.ops) \
        and type(node.left) is ast.Call and _callee(node.left) == "type"


# --- running a function on sympy symbols -----------------------------------------------------
def _sympy_table(sp):
    """Python objects a user's code may call -> their sympy counterparts."""
    def sigmoid(x):
        return 1 / (1 + sp.exp(-x))

    same = {"sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "exp": sp.exp, "log": sp.log,
            "sqrt": sp.sqrt, "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh,
            "erf": sp.erf, "cbrt": sp.cbrt}
    table = {}
    for name, fn in same.items():
        for module in (math, np):
            if hasattr(module, name):
                table[getattr(module, name)] = fn
    table.update({
        math.log1p: lambda x: sp.log(1 + x), np.log1p: lambda x: sp.log(1 + x),
        math.expm1: lambda x: sp.exp(x) - 1, np.expm1: lambda x: sp.exp(x) - 1,
        math.log2: lambda x: sp.log(x, 2), np.log2: lambda x: sp.log(x, 2),
        math.log10: lambda x: sp.log(x, 10), np.log10: lambda x: sp.log(x, 10),
        math.atan: sp.atan, np.arctan: sp.atan, math.asin: sp.asin, np.arcsin: sp.asin,
        math.acos: sp.acos, np.arccos: sp.acos, math.atan2: sp.atan2, np.arctan2: sp.atan2,
        math.hypot: lambda x, y: sp.sqrt(x ** 2 + y ** 2),
        np.hypot: lambda x, y: sp.sqrt(x ** 2 + y ** 2),
        math.fabs: sp.Abs, np.abs: sp.Abs, builtins.abs: sp.Abs,
        np.square: lambda x: x ** 2, np.reciprocal: lambda x: 1 / x,
        np.exp2: lambda x: 2 ** x, math.pow: lambda x, y: x ** y, np.power: lambda x, y: x ** y,
        np.maximum: sp.Max, np.minimum: sp.Min, builtins.max: sp.Max, builtins.min: sp.Min,
        np.add: lambda x, y: x + y, np.subtract: lambda x, y: x - y,
        np.multiply: lambda x, y: x * y, np.divide: lambda x, y: x / y,
        np.negative: lambda x: -x,
        numerics.sigmoid: sigmoid,
        numerics.softplus: lambda x: sp.log(1 + sp.exp(x)),
        numerics.log_sigmoid: lambda x: -sp.log(1 + sp.exp(-x)),
        numerics.relu: lambda x: sp.Max(x, 0),
    })
    return table


class _Namespace(types.SimpleNamespace):
    """`math` or `np` seen by the copy of the user's function: sympy functions and constants."""

    def __getattr__(self, name):
        raise ADCompileError(f"swell: {self._label}.{name} has no sympy counterpart here; swell "
                             "handles scalar functions built from math, NumPy elementwise "
                             "functions and adcompile's sigmoid, softplus, log_sigmoid and relu.")


def _namespace(module, table, sp):
    ns = _Namespace(_label="np" if module is np else module.__name__)
    for name in dir(module):
        obj = getattr(module, name, None)
        try:
            if obj in table:
                setattr(ns, name, table[obj])
        except TypeError:  # unhashable
            pass
    ns.pi, ns.e = sp.pi, sp.E
    return ns


def symbolic(f, sp=None):
    """A copy of `f` whose math, NumPy and adcompile functions are sympy's (helpers it calls are
    copied the same way), so that calling it on sympy symbols builds its expression."""
    sp = sp or _need("sympy", "swell")
    table = _sympy_table(sp)
    namespaces = {id(math): _namespace(math, table, sp), id(np): _namespace(np, table, sp)}
    copies = {}

    def convert(obj):
        if isinstance(obj, types.ModuleType):  # (a module of helpers: its functions copied)
            return namespaces.get(id(obj)) or (obj if obj.__name__.split(".")[0] in _AS_IS else
                                               _Module(obj, convert))
        try:
            if obj in table:
                return table[obj]
        except TypeError:
            return obj
        if isinstance(obj, types.FunctionType):
            return copy(obj)
        return obj

    def copy(fn):
        if fn in copies:
            return copies[fn]
        new_globals = dict(fn.__globals__)
        new = types.FunctionType(fn.__code__, new_globals, fn.__name__, fn.__defaults__,
                                 fn.__closure__)
        copies[fn] = new
        names = set(_names_read(fn.__code__))  # (a lambda or def inside reads them too)
        for name in names:
            if name in fn.__globals__:
                new_globals[name] = convert(fn.__globals__[name])
            elif name in ("abs", "max", "min", "pow"):
                new_globals[name] = convert(getattr(builtins, name))
        if fn.__closure__:
            cells = []
            for cell in fn.__closure__:
                try:
                    cells.append(types.CellType(convert(cell.cell_contents)))
                except ValueError:
                    cells.append(cell)
            new = types.FunctionType(fn.__code__, new_globals, fn.__name__, fn.__defaults__,
                                     tuple(cells))
            copies[fn] = new
        return new

    return copy(f)


_AS_IS = {"sympy", "numpy", "math", "builtins", "adcompile"}


class _Module:
    """A module of the user's helpers seen by the copy: its functions copied the same way."""

    def __init__(self, module, convert):
        self._module, self._convert, self._seen = module, convert, {}

    def __getattr__(self, name):
        if name not in self._seen:
            self._seen[name] = self._convert(getattr(self._module, name))
        return self._seen[name]


def _names_read(code):
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _names_read(const)


def _user_place(tb):
    """(file, line, text) of the innermost frame of the user's code in a traceback, or None."""
    found = None
    while tb is not None:
        name = tb.tb_frame.f_globals.get("__name__", "")
        if name.split(".")[0] not in _AS_IS | {"contextlib", "functools"}:
            file = tb.tb_frame.f_code.co_filename
            found = (file, tb.tb_lineno, linecache.getline(file, tb.tb_lineno).strip())
        tb = tb.tb_next
    return found


def expression(f, sp=None):
    """`(symbols, expression)`: `f` run on one sympy symbol per parameter."""
    sp = sp or _need("sympy", "swell")
    code = f.__code__
    params = code.co_varnames[:code.co_argcount]
    symbols = [sp.Symbol(p, real=True) for p in params]
    try:
        out = symbolic(f, sp)(*symbols)
    except ADCompileError as e:
        if e.filename is not None or _user_place(e.__traceback__) is None:
            raise
        file, line, text = _user_place(e.__traceback__)
        raise ADCompileError(f"{e.message} (at `{text}`)", file, line) from None
    except Exception as e:
        place = _user_place(e.__traceback__)
        file, line, text = place or (None, None, "")
        at = f" at `{text}`" if text else ""
        if isinstance(e, TypeError) and "truth value of Relational" in str(e):
            raise ADCompileError(
                f"swell: {f.__name__} branches on a value it is differentiated in{at}: sympy's "
                "expression of a symbol cannot take one path; swell measures code without such "
                "branches (measure each path as a function of its own)", file, line) from None
        raise ADCompileError(f"swell: running {f.__name__} on sympy symbols failed{at} "
                             f"({type(e).__name__}: {e}); swell handles scalar functions built "
                             "from math, NumPy elementwise functions and helpers written in "
                             "Python.", file, line) from None
    if isinstance(out, (tuple, list)) or not isinstance(out, (sp.Basic, int, float)):
        raise ADCompileError(f"swell: {f.__name__} must return one scalar expression, "
                             f"not {type(out).__name__}.")
    return symbols, sp.sympify(out)


# --- the measurements ------------------------------------------------------------------------
class _OutOfTime(BaseException):  # not caught by the `except Exception` around user code
    pass


@contextlib.contextmanager
def _deadline(seconds):
    """Raise _OutOfTime inside the block after `seconds` (on the main thread of a system with
    SIGALRM; elsewhere the block runs to the end). sympy's work runs in Python, so it stops."""
    if not seconds or not hasattr(signal, "SIGALRM") or \
            threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum, frame):
        raise _OutOfTime()

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _loops(fn) -> list:
    """The user's lines of the loops in flat code (empty if it has none)."""
    from .ir import For, While, blocks_of
    found = []

    def walk(stmts):
        for s in stmts:
            if type(s) in (For, While):
                found.append(fn.source_lines.get(s.line, "").strip())
            for block in blocks_of(s):
                walk(block)
    walk(fn.body)
    return found


def _timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def time_call(fn, args, budget=0.05, repeat=3):
    """Seconds per call of `fn(*args)`: the best of `repeat` runs of as many calls as fit the
    budget."""
    t = time.perf_counter()
    fn(*args)
    once = time.perf_counter() - t
    number = max(1, min(100_000, int(budget / repeat / max(once, 1e-7))))
    best = once
    for _ in range(repeat):
        t = time.perf_counter()
        for _ in range(number):
            fn(*args)
        best = min(best, (time.perf_counter() - t) / number)
    return best


def default_point(n):
    """Where derivatives are evaluated: 0.3, 0.4, ... (inside (0, 1), where the logistic map
    lives)."""
    return tuple(round(0.3 + 0.1 * (i % 6), 1) for i in range(n))


@dataclass
class Measure:
    """One row of the report: an operation count, and times where they apply."""
    label: str
    ops: int
    build: float | None = None   # seconds to produce the code (symbolic or transformation)
    run: float | None = None     # seconds to evaluate the derivative once compiled
    note: str = ""


@dataclass
class SwellReport:
    """What `swell(f)` measured; print it, or call `.table()` / `.markdown()`."""
    name: str
    params: list
    wrt: list
    rows: list = field(default_factory=list)
    max_rel_diff: float | None = None  # sympy's gradient against ours at the point
    point: tuple = ()
    loops: int = 0  # loops in the function: counted once in adcompile's rows

    def __getitem__(self, label):
        """The operation count of a row by key: expr, diff, cse, flat, forward, reverse."""
        return self.ops[label]

    @property
    def ops(self):
        return dict(zip(KEYS, (r.ops for r in self.rows)))

    def _cells(self):
        out = []
        for r in self.rows:
            out.append([r.label, str(r.ops), _fmt_time(r.build), _fmt_time(r.run), r.note])
        return out

    def _title(self):
        return f"{self.name}({', '.join(self.params)}), derivative with respect to " \
               f"{', '.join(self.wrt)}"

    def _footer(self):
        if self.max_rel_diff is None:
            return ""
        point = ", ".join(f"{p} = {v}" for p, v in zip(self.params, self.point))
        loops = "\nadcompile's counts are static: each loop body counts once, however many " \
            "times it runs; sympy's expression has every iteration unrolled." if self.loops else ""
        return f"sympy's and adcompile's derivatives agree to {self.max_rel_diff:.1e} " \
               f"(largest relative difference) at {point}.{loops}"

    def table(self):
        head = ["", "operations", "build time", "eval time", ""]
        text = f"{self._title()}\n\n" + _text_table(head, self._cells(), "lrrrl")
        footer = self._footer()
        return text + (f"\n{footer}\n" if footer else "")

    def markdown(self):
        head = ["", "operations", "build time", "eval time", "note"]
        text = f"**{self._title()}**\n\n" + _md_table(head, self._cells(), "lrrrl")
        footer = self._footer()
        return text + (f"\n{footer}\n" if footer else "")

    def __str__(self):
        return self.table()

    def _repr_markdown_(self):
        return self.markdown()


KEYS = ("expr", "diff", "cse", "flat", "forward", "reverse")


@public
def swell(f: Callable[..., Any], argnums: int | Sequence[int] | None = None, *,
          timing: bool = True, point: Sequence[float] | None = None,
          budget: float | None = 30.0) -> SwellReport:
    """Compare `sympy.diff` (plain and after `sympy.cse`) with adcompile's generated code for the
    scalar function `f`, differentiated with respect to `argnums` (default: every parameter).
    sympy's part stops with an error after `budget` seconds (None: no limit): a loop unrolls
    into sympy's expression, which can grow past what sympy finishes.

    Returns a `SwellReport`; `print(report)` shows the terminal table, `report.markdown()` the
    Markdown one, `report["diff"]` one count (keys: expr, diff, cse, flat, forward, reverse).
    """
    sp = _need("sympy", "swell")
    from .api import _argnums, build
    from .compile import compile_function
    from .unparse import to_source

    try:
        flat = build(f, "flat")
    except ADCompileError:
        if _returns_function(f):
            name = getattr(f, "__name__", "f")
            raise ADCompileError(
                f"swell: {name} returns a function, as a family n -> function does; measure its "
                f"members with swell_sweep({name}, range(1, 13)) (on the command line: "
                f"adcompile swell FILE.py:{name} --sweep n=1..12), or swell one of them, "
                f"swell({name}(3))", *_place(f)) from None
        raise
    nums = _argnums(flat, argnums)
    wrt = [flat.params[i] for i in nums]
    loops = _loops(flat)
    try:
        with _deadline(budget):
            symbols, (expr) = expression(f, sp)
            dx = [symbols[i] for i in nums]
            derivs, t_diff = _timed(lambda: [sp.diff(expr, x) for x in dx])
            (repl, reduced), t_cse = _timed(lambda: sp.cse(derivs))
            ops_expr = sp.count_ops(expr)
            ops_diff = sum(sp.count_ops(d) for d in derivs)
            ops_cse = sum(sp.count_ops(v) for _, v in repl) + \
                sum(sp.count_ops(r) for r in reduced)
            plain, t_lambdify = _timed(lambda: sp.lambdify(symbols, derivs, "math"))
            with_cse, t_lambdify_cse = _timed(lambda: sp.lambdify(symbols, derivs, "math",
                                                                  cse=True))
    except _OutOfTime:
        why = (f": its loop ({loops[0]}) unrolls into one sympy expression, which grows with "
               "every iteration" if loops else "")
        raise ADCompileError(
            f"swell: sympy had not finished with {f.__name__} after {budget:g} s{why}. "
            "adcompile's own counts are static (a loop body counts once); to compare, measure "
            "fewer iterations, or allow more time (budget=, or --budget on the command line).",
            flat.filename, min(flat.source_lines) if flat.source_lines else None) from None

    tuple_nums = tuple(nums)
    ours = {}
    for mode in ("forward", "reverse"):
        def transform(mode=mode):
            fn = build(f, mode, tuple_nums)
            return compile_function(fn)
        (src, compiled), seconds = _timed(transform)
        ours[mode] = (src, compiled, seconds)

    point = tuple(point) if point is not None else default_point(len(symbols))
    n = len(dx)
    report = SwellReport(f.__name__, list(flat.params), wrt, point=point, loops=len(loops))
    k = f"{n} pass{'es' if n > 1 else ''}" if n > 1 else ""
    rows = [Measure("expression (sympy)", ops_expr),
            Measure("sympy.diff", ops_diff, note="diff + lambdify"),
            Measure("sympy.diff + cse", ops_cse, note="diff + cse + lambdify"),
            Measure("flat code (adcompile)", count_ops(to_source(flat))),
            Measure("forward mode (adcompile)", count_ops(ours["forward"][0]),
                    note=f"one pass; the gradient takes {k}" if n > 1 else "transform + compile"),
            Measure("reverse mode (adcompile)", count_ops(ours["reverse"][0]),
                    note="transform + compile")]
    report.rows = rows

    # Both derivatives compiled to Python (above): check they agree with ours.
    grad = ours["reverse"][1]
    jvp = ours["forward"][1]
    basis = [tuple(1.0 if i == j else 0.0 for i in range(n)) for j in range(n)]

    def forward_gradient(*args):
        return [jvp(*args, *b)[1] for b in basis]

    ref = [float(v) for v in with_cse(*point)]
    got = grad(*point)
    got = [float(g) for g in (got if isinstance(got, tuple) else (got,))]
    fwd = [float(g) for g in forward_gradient(*point)]
    scale = max([abs(v) for v in ref] + [1e-300])
    report.max_rel_diff = max(abs(a - b) / scale for a, b in zip(ref + ref, got + fwd))

    rows[1].build = t_diff + t_lambdify
    rows[2].build = t_diff + t_cse + t_lambdify_cse
    rows[4].build = ours["forward"][2]
    rows[5].build = ours["reverse"][2]
    if timing:
        rows[1].run = time_call(plain, point)
        rows[2].run = time_call(with_cse, point)
        rows[4].run = time_call(forward_gradient, point)
        rows[5].run = time_call(grad, point)
    return report


# --- families --------------------------------------------------------------------------------
def _nested_sin(n):
    lines = [f"    s{i} = math.sin({'x' if i == 1 else f's{i - 1}'})" for i in range(1, n + 1)]
    return f"def nested_sin_{n}(x):\n" + "\n".join(lines) + f"\n    return s{n}\n"


def _logistic(n):
    """l_1 = x, l_{k+1} = 4 l_k (1 - l_k), returning l_n (Baydin et al.'s numbering)."""
    lines = [f"    l{k + 1} = 4 * l{k} * (1 - l{k})" for k in range(1, n)]
    return f"def logistic_{n}(x):\n    l1 = x\n" + "".join(line + "\n" for line in lines) + \
        f"    return l{n}\n"


def _product(n):
    xs = [f"x{i}" for i in range(1, n + 1)]
    return f"def product_{n}({', '.join(xs)}):\n    p = {' * '.join(xs)}\n    return p\n"


def _weight(i, j):
    return (-1) ** (i + j) * ((3 * i + 5 * j) % 7 + 1) / 8


def _mlp(n):
    """A layer of n sigmoid units on n inputs with fixed weights, summed with fixed weights."""
    xs = [f"x{i}" for i in range(1, n + 1)]
    lines = []
    for j in range(1, n + 1):
        terms = " + ".join(f"{_weight(i, j)!r} * x{i}" for i in range(1, n + 1))
        lines.append(f"    h{j} = sigmoid({terms} + {_weight(0, j)!r})")
    out = " + ".join(f"{_weight(j, 0)!r} * h{j}" for j in range(1, n + 1))
    return f"def mlp_{n}({', '.join(xs)}):\n" + "\n".join(lines) + f"\n    y = {out}\n" \
        "    return y\n"


FAMILIES = {
    "nested_sin": (_nested_sin, "sin(sin(...sin(x))), n applications of math.sin"),
    "logistic": (_logistic, "the logistic map l_{k+1} = 4 l_k (1 - l_k), l_1 = x, returning l_n"),
    "product": (_product, "x1 * x2 * ... * xn, gradient with respect to all n inputs"),
    "mlp": (_mlp, "sum_j v_j sigmoid(sum_i W_ji x_i + b_j): n sigmoid units on n inputs"),
}


def family_source(family: str, n: int) -> str:
    """The Python source of member `n` of a built-in family (straight-line, unrolled)."""
    if family not in FAMILIES:
        raise ADCompileError(f"unknown family {family!r}; use one of {', '.join(FAMILIES)}")
    if not isinstance(n, int) or n < 1:
        raise ADCompileError(f"family members are numbered from 1, not {n!r}")
    return FAMILIES[family][0](n)


def family_function(family: str, n: int):
    """Member `n` of a built-in family as a function whose source `inspect` (and so adcompile)
    can read: the source is registered in `linecache` under a name of its own."""
    src = family_source(family, n)
    filename = f"<adcompile family {family} {n}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = {"math": math, "np": np, "sigmoid": numerics.sigmoid,
                 "__name__": f"adcompile_family_{family}"}
    exec(compile(src, filename, "exec"), namespace)
    return namespace[f"{family}_{n}"]


@dataclass
class SweepReport:
    """`swell_sweep` results: one `SwellReport` per member n."""
    family: str
    ns: list
    reports: list

    def _cells(self):
        rows = []
        for n, r in zip(self.ns, self.reports):
            ops = r.ops
            rows.append([str(n)] + [str(ops[k]) for k in KEYS] + [
                _fmt_time(r.rows[1].build), _fmt_time(r.rows[5].build),
                _fmt_time(r.rows[2].run), _fmt_time(r.rows[5].run)])
        return rows

    HEAD = ["n", "expr", "diff", "diff+cse", "flat", "forward", "reverse",
            "sympy build", "our build", "sympy+cse eval", "our eval"]

    description: str = ""

    def _title(self):
        return f"{self.family}: {self.description}" if self.description else self.family

    def table(self):
        return f"{self._title()}\n\n" + _text_table(self.HEAD, self._cells(), "r" * 11)

    def markdown(self):
        return f"**{self._title()}**\n\n" + _md_table(self.HEAD, self._cells(), "r" * 11)

    def __str__(self):
        return self.table()

    def _repr_markdown_(self):
        return self.markdown()

    def plot(self, path):
        """Operation counts against n on a log scale, saved to `path` (needs matplotlib)."""
        plot_sweeps([self], path)


@public
def swell_sweep(family: str | Callable[..., Any], ns: Iterable[int] = range(1, 13),
                argnums: int | Sequence[int] | None = None, *,
                timing: bool = True, budget: float | None = 30.0) -> SweepReport:
    """`swell` for members `ns` of a family: a built-in family name (see `FAMILIES`) or a
    function `n -> function`. Returns a `SweepReport` (`.table()`, `.markdown()`, `.plot(path)`).
    `budget` limits sympy's time on each member, as in `swell`."""
    ns = list(ns)
    if isinstance(family, str):
        make, name = (lambda n: family_function(family, n)), family
        description = FAMILIES[family][1] if family in FAMILIES else ""
    elif callable(family):
        make, name = family, getattr(family, "__name__", "family")
        description = (family.__doc__ or "").strip().split("\n")[0]
    else:
        raise ADCompileError(f"a family is a name ({', '.join(FAMILIES)}) or a function "
                             f"n -> function, not {type(family).__name__}")
    return SweepReport(name, ns, [swell(_member(make, n, name), argnums, timing=timing,
                                        budget=budget) for n in ns],
                       description)


def _member(make, n, name):
    """Member n of a family: what make(n) returns, which must be a function."""
    try:
        signature = inspect.signature(make)
        signature.bind(n)
        fits = True
    except TypeError:
        fits = False
    except ValueError:  # (no signature to read: call it)
        fits = True
    f = make(n) if fits else None
    if not callable(f):
        what = "takes other parameters" if not fits else f"returned {type(f).__name__}"
        raise ADCompileError(
            f"swell_sweep: a family is a function n -> function to differentiate, but "
            f"{name}({n}) {what}; measure a function of its own with swell({name}) (on the "
            "command line: adcompile swell FILE.py:FUNC, without --sweep)", *_place(make))
    return f


def _place(f):
    code = getattr(f, "__code__", None)
    return (code.co_filename, code.co_firstlineno) if code is not None else (None, None)


def _returns_function(f) -> bool:
    """Whether the def of `f` returns a function it defines (a lambda or a nested def)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(f)))
    except (OSError, TypeError, SyntaxError):
        return False
    top = tree.body[0] if tree.body else None
    if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False
    defined = {s.name for s in top.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    returned = [s.value for s in top.body if isinstance(s, ast.Return) and s.value is not None]
    return any(isinstance(v, ast.Lambda) or isinstance(v, ast.Name) and v.id in defined
               for v in returned)


def plot_sweeps(sweeps, path):
    """Draw operation counts against n, one panel per family, log scale, into `path`."""
    _need("matplotlib", "--plot")
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(sweeps), figsize=(4.2 * len(sweeps), 3.8), squeeze=False)
    styles = {"diff": ("sympy.diff", "o-"), "cse": ("sympy.diff + cse", "s-"),
              "forward": ("adcompile forward", "^--"), "reverse": ("adcompile reverse", "v-"),
              "expr": ("expression", ":")}
    for ax, sweep in zip(axes[0], sweeps):
        for key, (label, style) in styles.items():
            ys = [max(r.ops[key], 0.8) for r in sweep.reports]  # 0 cannot sit on a log axis
            ax.plot(sweep.ns, ys, style, label=label, markersize=4)
        ax.set_yscale("log")
        ax.set_xlabel("n")
        ax.set_title(sweep.family)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("operations")
    axes[0][-1].legend(fontsize=8)
    fig.text(0.5, 0.01, "adcompile's counts are static: code in a loop counts once, however many "
             "times it runs", ha="center", fontsize=8, color="0.35")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- tables ----------------------------------------------------------------------------------
def _fmt_time(seconds):
    if seconds is None:
        return ""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"


def _text_table(head, rows, align):
    widths = [max(len(str(c)) for c in col) for col in zip(head, *rows)]

    def line(cells):
        return "  ".join(c.rjust(w) if a == "r" else c.ljust(w)
                         for c, w, a in zip(cells, widths, align)).rstrip()
    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(head), rule] + [line(r) for r in rows]) + "\n"


def _md_table(head, rows, align):
    def line(cells):
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"
    rule = "|" + "|".join("---:" if a == "r" else ":---" for a in align) + "|"
    return "\n".join([line(head), rule] + [line(r) for r in rows]) + "\n"
