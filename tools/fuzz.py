"""Differential fuzzer for adcompile: random programs through forward and reverse mode.

    python tools/fuzz.py --n 2000 --seed 1 --variant both --time 600 --out /tmp/fuzz_out

For every generated program (tools/gen.py) at two random points (compiled once) it checks
  * the forward sweep's value: jvp(f, args, v)[0] == f(*args), and value_and_grad's and vjp's;
  * grad(f, argnums) and vjp's pullback(1.0) give value_and_grad's gradient;
  * the dot-product test: sum(v_i * grad_i) == jvp(f, args, v)[1] (relative tolerance 1e-7);
  * both against central finite differences along v, at points where three step sizes agree
    and f is continuous (branch switches, kinks and jumps are skipped, not failed);
  * with --order 2, at the first point: reverse over reverse against forward over reverse,
    u . (H v) from jvp(grad(f)) == (u H) . v from jacrev(grad(f));
  * with --jit, at the first point: adcompile.jit(f) and jit(value_and_grad(f)) (Numba, exact
    mode) give f's value and value_and_grad's gradient (a JitError is a refusal);
and classifies it as ok, wrong, crash (an exception that is not an ADCompileError, raised while
building or running a derivative, or a derivative that hangs), refused (an ADCompileError) or
skipped (f itself raised, returned a non-finite value, or finite differences are unstable).
Wrong and crash programs are minimized (statements dropped, branches and loops unwrapped,
sub-expressions replaced) while the same failure signature persists, and written to --out.
"""
from __future__ import annotations

import argparse
import ast
import collections
import copy
import importlib.util
import itertools
import math
import os
import re
import signal
import sys
import tempfile
import time
import traceback
import warnings

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# ADFUZZ_ADCOMPILE=/some/checkout fuzzes another copy of the package (e.g. a clean HEAD).
sys.path.insert(0, os.environ.get("ADFUZZ_ADCOMPILE") or ROOT)
if ROOT not in sys.path:
    sys.path.append(ROOT)

import adcompile  # noqa: E402
from adcompile.errors import ADCompileError  # noqa: E402

try:
    from tools.gen import Program, generate, value_source  # noqa: E402
except ImportError:   # run as a script from elsewhere
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from gen import Program, generate, value_source  # noqa: E402

CLASSES = ("ok", "wrong", "crash", "refused", "skipped")
RTOL_VALUE = 1e-9
RTOL_DOT = 1e-7
TIMEOUT_S = 10
ORDER = 1  # 2: also check second derivatives (--order)
JIT = False  # True: also check adcompile.jit's compiled code (--jit)


# ------------------------------------------------------------------------------ loading
class Loader:
    """Writes sources to real files in a temporary directory and imports them (inspect needs
    a file); every module gets a unique name."""

    def __init__(self, directory=None):
        self.dir = directory or tempfile.mkdtemp(prefix="adfuzz_")
        self.count = itertools.count()

    def load(self, source):
        name = f"adfuzz_{os.getpid()}_{next(self.count)}"
        path = os.path.join(self.dir, name + ".py")
        with open(path, "w") as fh:
            fh.write(source)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        try:
            spec.loader.exec_module(mod)
        finally:
            sys.modules.pop(name, None)
        return mod


class Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise Timeout(f"no result within {TIMEOUT_S} s")


# ------------------------------------------------------------------------------ oracle
class Result:
    __slots__ = ("cls", "signature", "detail", "point")

    def __init__(self, cls, signature="", detail=""):
        self.cls, self.signature, self.detail = cls, signature, detail
        self.point = 0

    def __repr__(self):
        return f"Result({self.cls!r}, {self.signature!r}, {self.detail!r})"


def _copy(a):
    return a.copy() if isinstance(a, np.ndarray) else a


def _same(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    return a == b


def _num(x):
    """A scalar result as a Python float, or None when it is not one."""
    if isinstance(x, (bool, np.bool_)):
        return None
    if isinstance(x, (int, float, np.floating, np.integer)):
        return float(x)
    if isinstance(x, np.ndarray) and x.shape == ():
        return float(x)
    return None


def _directions(prog, rng):
    out = []
    for i, a in enumerate(prog.args):
        if i not in prog.argnums:
            out.append(0.0)
        elif isinstance(a, np.ndarray):
            out.append(rng.uniform(-1.0, 1.0, a.shape))
        else:
            out.append(float(rng.uniform(-1.0, 1.0)))
    return out


def _shift(prog, args, v, h):
    return [a + h * d if i in prog.argnums else a for i, (a, d) in enumerate(zip(args, v))]


def _crash_signature(stage, exc):
    tb = traceback.extract_tb(exc.__traceback__)
    frame = None
    for fr in reversed(tb):   # the deepest frame in adcompile or in generated code
        if os.sep + "adcompile" + os.sep in fr.filename or not os.path.isabs(fr.filename):
            frame = fr
            break
    if frame is None and tb:
        frame = tb[-1]
    where = "?"
    if frame is not None:
        fname = os.path.basename(frame.filename)
        if fname.startswith("adfuzz_"):
            fname = "<program>"
        fname = re.sub(r"[-_ ]?[0-9a-f]{8,}", "", fname)   # generated code: drop its hash
        where = f"{fname}:{frame.name}"
    return f"crash:{stage}:{type(exc).__name__}:{where}"


def refusal_reason(exc):
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    msg = re.sub(r"^\S*adfuzz_\w+\.py:\d+: ", "", msg)       # the file and line
    msg = re.sub(r"'[^']*'|\"[^\"]*\"|`[^`]*`", "'_'", msg)    # quoted names
    msg = re.sub(r"\b[a-zA-Z]+\d+\b", "_", msg)                # generated names t3, i4, ...
    msg = re.sub(r"\d+(\.\d+)?", "N", msg)
    return f"{type(exc).__name__}: {msg[:160]}"


def check(prog, loader, *, api=None, seed=0):
    """Classify one program; `api` replaces (jvp, value_and_grad) to test the oracle itself.
    Every phase (the original, the derivatives, finite differences) gets TIMEOUT_S seconds."""
    old = signal.signal(signal.SIGALRM, _alarm)
    try:
        return _check(prog, loader, api, seed)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


def _check(prog, loader, api, seed):
    try:
        mod = loader.load(prog.source)
        f = mod.f
    except Exception as exc:   # a generator bug, not a compiler bug
        return Result("skipped", "skip:load", f"{type(exc).__name__}: {exc}")
    v = getattr(prog, "direction", None) or _directions(prog, np.random.default_rng(seed))
    points = [(prog.args, v)] + list(getattr(prog, "points", None) or [])
    ok = skipped = None
    for k, (args, v) in enumerate(points):
        res = _check_point(f, prog, args, v, api)
        if res.cls == "ok" and k == 0 and ORDER == 2 and api is None:
            res = _second_order(f, prog, args, v, seed)
        if res.cls == "ok" and k == 0 and JIT and api is None:
            res = _jit_check(f, prog, args)
        res.point = k
        if res.cls not in ("ok", "skipped"):
            return res
        if res.cls == "ok":
            ok = ok or res
        else:
            skipped = skipped or res
    return ok or skipped


def _ill_conditioned(f, prog, saved, v, jvp_, vag_, dot, dval):
    """Whether a dot-test mismatch is rounding: the same generated code run in np.longdouble
    moves the tangent or v.grad by more than the float64 gap between them (a program that cubes
    x three times reaches 1e23, and its tangent cancels catastrophically)."""
    def wide(a):
        return np.asarray(a, dtype=np.longdouble) if isinstance(a, np.ndarray) else \
            np.longdouble(a) if isinstance(a, float) else a
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            args = [wide(_copy(a)) for a in saved]
            _, dval_w = jvp_(f, tuple(args), tuple(wide(d) for d in v))
            _, grads_w = vag_(f, argnums=prog.argnums)(*args)
        dot_w = sum(np.sum(wide(v[i]) * g) for i, g in zip(prog.argnums, grads_w))
        moved = max(abs(float(np.sum(dval_w)) - dval), abs(float(dot_w) - dot))
        return moved > abs(dot - dval) / 2
    except Exception:  # a program that does not run in long double: no evidence either way
        return False


def _check_point(f, prog, saved, v, api):
    """Check f at one point `saved` (never passed to anything: every call gets copies) along v."""
    jvp_, vag_ = api or (adcompile.jvp, adcompile.value_and_grad)
    args = [_copy(a) for a in saved]
    signal.alarm(TIMEOUT_S)
    try:
        with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error")
            y = f(*args)
    except Exception as exc:
        return Result("skipped", "skip:original", f"f raised {type(exc).__name__}: {exc}")
    y = _num(y)
    if y is None or not math.isfinite(y) or abs(y) > 1e12:
        return Result("skipped", "skip:original", "f's value is not a finite scalar")
    if not all(_same(a, b) for a, b in zip(args, saved)):
        return Result("skipped", "skip:mutates", "f writes into its argument")
    args = [_copy(a) for a in saved]
    signal.alarm(TIMEOUT_S)
    stage = "build"
    more = {}
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            stage = "jvp"
            val_f, dval = jvp_(f, tuple(args), tuple(v))
            stage = "value_and_grad"
            if not all(_same(a, b) for a, b in zip(args, saved)):
                return Result("wrong", "wrong:mutates-argument", "jvp wrote into an argument")
            val_r, grads = vag_(f, argnums=prog.argnums)(*args)
            if api is None:    # the other reverse-mode entry points give the same gradient
                stage = "grad"
                more["grad"] = adcompile.grad(f, argnums=prog.argnums)(*args)
                stage = "vjp"
                val_v, pullback = adcompile.vjp(f, *args)
                cot = pullback(1.0)
                more["vjp"] = tuple(cot[i] for i in prog.argnums)
                more["value-vjp"] = val_v
        signal.alarm(0)
    except ADCompileError as exc:
        return Result("refused", refusal_reason(exc), str(exc).splitlines()[0] if str(exc) else "")
    except BaseException as exc:   # noqa: BLE001 - everything else is a crash
        if isinstance(exc, KeyboardInterrupt):
            raise
        sig = _crash_signature(stage, exc)
        return Result("crash", sig, f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    if not all(_same(a, b) for a, b in zip(args, saved)):
        return Result("wrong", "wrong:mutates-argument",
                      "a reverse-mode derivative wrote into an argument")
    if "value-vjp" in more:
        val = _num(more["value-vjp"])
        if val is None or not (abs(val - y) <= RTOL_VALUE * max(1.0, abs(y))):
            return Result("wrong", "wrong:value-vjp", f"value: f(*args) = {y!r}, vjp gives {val!r}")
    for name in ("grad", "vjp"):
        if name in more:
            other = more[name]
            if not isinstance(other, tuple) or len(other) != len(grads) or not all(
                    np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-9, atol=1e-12,
                                                               equal_nan=True)
                    for a, b in zip(other, grads)):
                return Result("wrong", f"wrong:{name}-vs-value_and_grad",
                              f"{name} gives {other!r}, value_and_grad gives {grads!r}")
    args = saved
    # -- values
    for name, val in (("jvp", val_f), ("value_and_grad", val_r)):
        val = _num(val)
        if val is None or not (abs(val - y) <= RTOL_VALUE * max(1.0, abs(y))):
            return Result("wrong", f"wrong:value-{name}",
                          f"value: f(*args) = {y!r}, {name} gives {val!r}")
    dval_n = _num(dval)
    if dval_n is None:
        return Result("wrong", "wrong:jvp-shape", f"jvp's tangent is {dval!r}, not a scalar")
    if not isinstance(grads, tuple) or len(grads) != len(prog.argnums):
        return Result("wrong", "wrong:grad-structure", f"grad returned {grads!r}")
    dot, scale = 0.0, 0.0
    for i, g in zip(prog.argnums, grads):
        a = args[i]
        if np.shape(g) != np.shape(a):
            return Result("wrong", "wrong:grad-shape",
                          f"grad of {prog.params[i]} has shape {np.shape(g)}, not {np.shape(a)}")
        dot += float(np.sum(v[i] * g))
        scale += float(np.sum(np.abs(v[i] * g)))
    if not (math.isfinite(dot) and math.isfinite(dval_n)):
        # e.g. 0 * inf from an intermediate overflow in f: not the compiler's fault
        return Result("skipped", "skip:nonfinite-derivative",
                      f"jvp tangent {dval_n!r}, v.grad {dot!r} (f = {y!r})")
    # -- finite differences along v, only where two step sizes agree
    fd, jump = [], False
    signal.alarm(TIMEOUT_S)
    try:
        with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
            warnings.simplefilter("error")
            for h in (1e-4, 1e-5, 1e-6):
                hi, lo = _num(f(*_shift(prog, args, v, h))), _num(f(*_shift(prog, args, v, -h)))
                fd.append((hi - lo) / (2 * h))
            # f itself must be continuous at the point: a branch taken only at the point (a
            # tie that rounding makes exact) has a slope the neighbours do not share
            jump = abs((hi + lo) / 2 - y) > 1e-7 * (1.0 + abs(y))
    except Exception:
        fd = []
    signal.alarm(0)
    # three step sizes must agree (1e-4 loosely), and the slope must be moderate: a huge one
    # means an ill-conditioned program whose finite differences cannot be trusted
    fd_ok = len(fd) == 3 and not jump and all(map(math.isfinite, fd)) and \
        abs(fd[1] - fd[2]) <= 1e-5 * (1.0 + abs(fd[1]) + abs(fd[2]) + 1e-6 * abs(y)) and \
        abs(fd[0] - fd[2]) <= 1e-2 * (1.0 + abs(fd[0]) + abs(fd[2])) and \
        max(abs(fd[2]), abs(dval_n), abs(dot)) < 1e8
    fd = fd[1:] if len(fd) == 3 else fd
    if fd_ok:
        tol = 1e-4 * (1.0 + abs(fd[1]) + 1e-6 * abs(y))
        if abs(dval_n - fd[1]) > tol:
            return Result("wrong", "wrong:jvp-vs-fd",
                          f"jvp tangent {dval_n!r}, finite differences {fd[1]!r}"
                          f" (v.grad {dot!r})")
        if abs(dot - fd[1]) > tol:
            return Result("wrong", "wrong:grad-vs-fd",
                          f"v.grad {dot!r}, finite differences {fd[1]!r} (jvp tangent {dval_n!r})")
    if abs(dot - dval_n) > RTOL_DOT * (scale + abs(dval_n)) + 1e-12 and \
            _ill_conditioned(f, prog, saved, v, jvp_, vag_, dot, dval_n):
        return Result("skipped", "skip:ill-conditioned",
                      f"jvp tangent {dval_n!r}, v.grad {dot!r}: in long double they move more "
                      "than they differ")
    if abs(dot - dval_n) > RTOL_DOT * (scale + abs(dval_n)) + 1e-12:
        return Result("wrong", "wrong:dot-test",
                      f"jvp tangent {dval_n!r}, v.grad {dot!r}"
                      + (f", finite differences {fd[1]!r}" if fd_ok else ", finite differences unstable"))
    if not fd_ok:
        return Result("skipped", "skip:fd-unstable", f"finite differences {fd!r}")
    return Result("ok")


def _second_order(f, prog, saved, v, seed):
    """Reverse over reverse against forward over reverse at one point: for g = grad(f), u times
    jacrev(g) (reverse over reverse) dotted with v equals u dotted with jvp(g)'s tangent along v
    (forward over reverse)."""
    rng = np.random.default_rng(seed + 1)
    args = [_copy(a) for a in saved]
    u = tuple(rng.uniform(-1.0, 1.0, np.shape(args[i])) if isinstance(args[i], np.ndarray)
              else float(rng.uniform(-1.0, 1.0)) for i in prog.argnums)
    signal.alarm(6 * TIMEOUT_S)  # (the gradient of a long program is several times as long)
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            g = adcompile.grad(f, argnums=prog.argnums)
            _, hv = adcompile.jvp(g, tuple(args), tuple(v))
            jac = adcompile.jacrev(g, argnums=prog.argnums)(*args)  # [i][j]: d g_i / d arg_j
            uh = {j: sum(np.tensordot(u[i], jac[i][k], axes=np.ndim(u[i]))
                         for i in range(len(u))) for k, j in enumerate(prog.argnums)}
        signal.alarm(0)
    except ADCompileError as exc:
        return Result("refused", "second order: " + refusal_reason(exc),
                      str(exc).splitlines()[0] if str(exc) else "")
    except BaseException as exc:   # noqa: BLE001 - everything else is a crash
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Result("crash", _crash_signature("second-order", exc),
                      f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    pairs = list(zip(u, hv)) + [(uh[i], v[i]) for i in prog.argnums]
    left = sum(float(np.sum(np.multiply(a, b))) for a, b in pairs[:len(u)])
    right = sum(float(np.sum(np.multiply(a, b))) for a, b in pairs[len(u):])
    scale = sum(float(np.sum(np.abs(np.multiply(a, b)))) for a, b in pairs)
    if not (math.isfinite(left) and math.isfinite(right)) or scale > 1e12:
        return Result("skipped", "skip:second-order-nonfinite", f"{left!r}, {right!r}")
    if abs(left - right) > 1e3 * RTOL_DOT * scale + 1e-10:
        return Result("wrong", "wrong:second-order-dot-test",
                      f"u.(Hv) by forward over reverse {left!r}, (uH).v by reverse over "
                      f"reverse {right!r}")
    return Result("ok")


def _jit_check(f, prog, saved):
    """adcompile.jit of f and of value_and_grad(f) (exact mode) against the Python code: the same
    value and gradient (to rounding: Numba's sums and a few math functions round differently),
    no argument written into, and an error only where Python raised one."""
    signal.alarm(12 * TIMEOUT_S)  # (Numba compiles each program)
    stage = "jit(f)"
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            args = [_copy(a) for a in saved]
            y, y_j = f(*[_copy(a) for a in saved]), adcompile.jit(f)(*args)
            stage = "jit(value_and_grad)"
            vag = adcompile.value_and_grad(f, argnums=prog.argnums)
            val, grads = vag(*[_copy(a) for a in saved])
            val_j, grads_j = adcompile.jit(vag)(*args)
    except ADCompileError as exc:
        return Result("refused", "jit: " + refusal_reason(exc),
                      str(exc).splitlines()[0] if str(exc) else "")
    except BaseException as exc:   # noqa: BLE001 - everything else is a crash
        if isinstance(exc, KeyboardInterrupt):
            raise
        return Result("crash", _crash_signature(stage, exc),
                      f"{type(exc).__name__}: {exc}".splitlines()[0][:300])
    finally:
        signal.alarm(0)
    if not all(_same(a, b) for a, b in zip(args, saved)):
        return Result("wrong", "wrong:jit-mutates-argument", "jitted code wrote into an argument")
    for name, a, b in (("jit(f)", y, y_j), ("jit(value_and_grad) value", val, val_j)):
        if np.shape(a) != np.shape(b) or not np.allclose(a, b, rtol=1e-9, atol=1e-12,
                                                         equal_nan=True):
            return Result("wrong", f"wrong:value-{name}", f"Python gives {a!r}, {name} {b!r}")
    if not isinstance(grads_j, tuple) or len(grads_j) != len(grads) or not all(
            np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
            for a, b in zip(grads, grads_j)):
        return Result("wrong", "wrong:jit-gradient",
                      f"value_and_grad gives {grads!r}, jitted {grads_j!r}")
    return Result("ok")


# ------------------------------------------------------------------------------ minimizer
PARAM_FALLBACK = "1.0"


def _stmt_lists(tree):
    """Every statement list in the tree, as (owner node, field name)."""
    for node in ast.walk(tree):
        for fld in ("body", "orelse"):
            lst = getattr(node, fld, None)
            if isinstance(lst, list) and lst and isinstance(lst[0], ast.stmt):
                yield node, fld


def _candidates(tree, params):
    """Smaller variants of the module, biggest cuts first (generated lazily)."""
    # 1. drop a statement (an emptied body gets `pass`)
    lists = list(_stmt_lists(tree))
    for li, (node, fld) in enumerate(lists):
        n = len(getattr(node, fld))
        for i in range(n):
            def drop(t, li=li, i=i):
                nd, fl = list(_stmt_lists(t))[li]
                lst = getattr(nd, fl)
                if isinstance(lst[i], (ast.Import, ast.ImportFrom)) or (
                        isinstance(lst[i], ast.FunctionDef) and lst[i].name == "f"):
                    return False
                if isinstance(nd, ast.While) and isinstance(lst[i], ast.AugAssign) and any(
                        isinstance(n, ast.Name) and n.id == getattr(lst[i].target, "id", None)
                        for n in ast.walk(nd.test)):
                    return False    # the counter that bounds the loop
                del lst[i]
                if not lst and fl == "body":
                    lst.append(ast.Pass())
                return True
            yield drop
    # 2. replace a compound statement by one of its bodies
    for li, (node, fld) in enumerate(lists):
        for i, st in enumerate(getattr(node, fld)):
            if isinstance(st, (ast.If, ast.For, ast.While)):
                for part in ("body", "orelse"):
                    if not getattr(st, part):
                        continue

                    def unwrap(t, li=li, i=i, part=part):
                        nd, fl = list(_stmt_lists(t))[li]
                        lst = getattr(nd, fl)
                        s = lst[i]
                        new = list(getattr(s, part))
                        if isinstance(s, ast.For) and part == "body":
                            new = [ast.Assign(targets=[s.target], value=_first_item(s.iter),
                                              lineno=0)] + new
                        lst[i:i + 1] = new
                        return True
                    yield unwrap
            if isinstance(st, ast.If) and st.orelse:
                def drop_else(t, li=li, i=i):
                    nd, fl = list(_stmt_lists(t))[li]
                    getattr(nd, fl)[i].orelse = []
                    return True
                yield drop_else
    # 3. replace a sub-expression by one of its operands, a parameter or a constant
    exprs = _exprs(tree)
    for k, e in enumerate(exprs):
        subs = []
        if isinstance(e, ast.BinOp):
            subs = [e.left, e.right]
        elif isinstance(e, ast.Call):
            subs = list(e.args)
        elif isinstance(e, ast.IfExp):
            subs = [e.body, e.orelse]
        elif isinstance(e, ast.BoolOp):
            subs = list(e.values)
        elif isinstance(e, ast.UnaryOp):
            subs = [e.operand]
        elif isinstance(e, ast.Compare):
            subs = [ast.Compare(left=e.left, ops=e.ops[:1], comparators=e.comparators[:1])] \
                if len(e.ops) > 1 else []
        leaves = [ast.Name(id=p, ctx=ast.Load()) for p in params[:2]] + [
            ast.Constant(value=1.0)]
        for j in range(len(subs) + len(leaves)):
            def repl(t, k=k, j=j):
                target = _exprs(t)[k]
                options = _subs(target) + [ast.Name(id=p, ctx=ast.Load()) for p in params[:2]] \
                    + [ast.Constant(value=1.0)]
                if j >= len(options):
                    return False
                return _replace_node(t, target, copy.deepcopy(options[j]))
            yield repl


def _exprs(tree):
    """Sub-expressions the minimizer may replace: not in a while test (that could make the
    loop endless) nor a call's function."""
    frozen = {id(m) for w in ast.walk(tree) if isinstance(w, ast.While) for m in ast.walk(w.test)}
    return [n for n in ast.walk(tree) if isinstance(n, (ast.BinOp, ast.Call, ast.IfExp, ast.BoolOp,
                                                        ast.UnaryOp, ast.Compare, ast.Subscript))
            and id(n) not in frozen]


def _names_defined(tree):
    """Every name read is bound somewhere (a dropped assignment leaves no dangling read)."""
    import builtins
    bound = set(dir(builtins))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound.add(n.id)
        elif isinstance(n, ast.FunctionDef):
            bound.add(n.name)
            bound |= {a.arg for a in n.args.args}
        elif isinstance(n, ast.Lambda):
            bound |= {a.arg for a in n.args.args}
        elif isinstance(n, (ast.Import, ast.ImportFrom)):
            bound |= {a.asname or a.name.split(".")[0] for a in n.names}
    return all(n.id in bound for n in ast.walk(tree)
               if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load))


def _subs(e):
    if isinstance(e, ast.BinOp):
        return [e.left, e.right]
    if isinstance(e, ast.Call):
        return list(e.args)
    if isinstance(e, ast.IfExp):
        return [e.body, e.orelse]
    if isinstance(e, ast.BoolOp):
        return list(e.values)
    if isinstance(e, ast.UnaryOp):
        return [e.operand]
    if isinstance(e, ast.Compare) and len(e.ops) > 1:
        return [ast.Compare(left=e.left, ops=e.ops[:1], comparators=e.comparators[:1])]
    return []


def _first_item(it):
    """The first value a for loop's iterable gives, as an expression (best effort)."""
    if isinstance(it, ast.Call) and isinstance(it.func, ast.Name):
        if it.func.id == "range":
            if len(it.args) == 1:
                return ast.Constant(value=0)
            return it.args[0]
        if it.func.id == "reversed" and it.args and isinstance(it.args[0], ast.Call) \
                and len(it.args[0].args) == 1:
            return ast.BinOp(left=it.args[0].args[0], op=ast.Sub(), right=ast.Constant(value=1))
        if it.func.id == "enumerate" and it.args:
            return ast.Tuple(elts=[ast.Constant(value=0), ast.Subscript(
                value=it.args[0], slice=ast.Constant(value=0), ctx=ast.Load())], ctx=ast.Load())
    if isinstance(it, ast.Tuple) and it.elts:
        return it.elts[0]
    return ast.Subscript(value=it, slice=ast.Constant(value=0), ctx=ast.Load())


def _replace_node(tree, old, new):
    for parent in ast.walk(tree):
        for fld, val in ast.iter_fields(parent):
            if val is old:
                setattr(parent, fld, new)
                return True
            if isinstance(val, list):
                for i, x in enumerate(val):
                    if x is old:
                        val[i] = new
                        return True
    return False


def minimize(prog, result, loader, *, budget_s=60.0, max_tries=1500, check_fn=None):
    """Shrink `prog` while check() keeps giving the same failure signature."""
    global TIMEOUT_S
    check_fn = check_fn or (lambda p: check(p, loader))
    best = prog
    saved_timeout, TIMEOUT_S = TIMEOUT_S, min(TIMEOUT_S, 3)
    try:
        return _minimize(prog, result, tree_budget=(budget_s, max_tries), check_fn=check_fn)
    finally:
        TIMEOUT_S = saved_timeout


def _minimize(prog, result, tree_budget, check_fn):
    budget_s, max_tries = tree_budget
    best = prog
    tree = ast.parse(prog.source)
    params = [p for i, p in enumerate(prog.params) if i in prog.argnums]
    t0, tries = time.time(), 0
    progress = True
    while progress and time.time() - t0 < budget_s and tries < max_tries:
        progress = False
        k = 0     # after a success, go on from the same candidate number in the smaller tree
        while time.time() - t0 < budget_s and tries < max_tries:
            cands = list(itertools.islice(_candidates(tree, params), k, k + 1))
            if not cands:
                break
            k += 1
            t = copy.deepcopy(tree)
            try:
                if not cands[0](t) or not _names_defined(t):
                    continue
                src = ast.unparse(ast.fix_missing_locations(t)) + "\n"
            except Exception:
                continue
            if len(src) > len(best.source):
                continue
            tries += 1
            p = Program(src, prog.params, prog.args, prog.argnums, prog.variant, prog.seed)
            p.direction = getattr(prog, "direction", None)
            p.points = getattr(prog, "points", [])
            r = check_fn(p)
            if r.cls == result.cls and r.signature == result.signature:
                tree, best, result = t, p, r
                progress = True
                k -= 1
    return best, result


def reproducer(prog, result, origin=""):
    """A standalone script: the program, its arguments and the checks that fail."""
    src = prog.source.rstrip()
    return f'''"""adcompile fuzz reproducer: {result.signature}
{result.detail}
found by: {origin}
"""
{src}


ARGS = {prog.args_source()}
ARGNUMS = {prog.argnums!r}
V = {"(" + "".join(value_source(a) + ", " for a in getattr(prog, "direction", [])) + ")"}

if __name__ == "__main__":
    import sys
    sys.path.insert(0, {ROOT!r})
    from adcompile import grad, jvp, value_and_grad, vjp
    print("f(*ARGS)            =", f(*ARGS))
    if V:
        out, tangent = jvp(f, ARGS, V)
        value, grads = value_and_grad(f, argnums=ARGNUMS)(*ARGS)
        print("jvp value, tangent  =", out, tangent)
        print("value_and_grad      =", value, grads)
        print("grad                =", grad(f, argnums=ARGNUMS)(*ARGS))
        out_v, pullback = vjp(f, *ARGS)
        print("vjp value, pullback =", out_v, pullback(1.0))
        print("v . grad            =", sum(float(np.sum(V[i] * g)) for i, g in zip(ARGNUMS, grads)))
        h = 1e-6
        plus = [a + h * d if i in ARGNUMS else a for i, (a, d) in enumerate(zip(ARGS, V))]
        minus = [a - h * d if i in ARGNUMS else a for i, (a, d) in enumerate(zip(ARGS, V))]
        print("finite differences  =", (f(*plus) - f(*minus)) / (2 * h))
'''


# ------------------------------------------------------------------------------ driver
def run_one(seed, variant, loader, points=2):
    """Generate and check one program at `points` random points (compiled once). A failing
    program comes back with the failing point as its arguments."""
    prog = generate(seed, variant)
    rng = np.random.default_rng(seed)
    prog.direction = _directions(prog, rng)
    prog.points = []
    for _ in range(points - 1):
        args = [np.round(rng.uniform(-2.0, 2.0, a.shape), 6) if isinstance(a, np.ndarray)
                else round(float(rng.uniform(-2.0, 2.0)), 6) if i in prog.argnums else a
                for i, a in enumerate(prog.args)]
        prog.points.append((args, _directions(prog, rng)))
    res = check(prog, loader, seed=seed)
    if res.point:
        prog.args, prog.direction = prog.points[res.point - 1]
        prog.points = []
    return prog, res


def _clear_cache():
    cache = getattr(getattr(adcompile, "api", None), "_CACHE", None)
    if isinstance(cache, dict):
        cache.clear()


class Fuzzer:
    def __init__(self, out=None, minimize_per_signature=2, minimize_budget_s=30.0, log=print):
        self.loader = Loader()
        self.counts = collections.defaultdict(collections.Counter)   # variant -> class -> n
        self.refusals = collections.Counter()
        self.signatures = collections.Counter()
        self.skips = collections.Counter()
        self.found = {}          # dedup key -> (program, result, origin)
        self.first = {}          # signature -> first failing (program, result, origin)
        self.minimized = collections.Counter()
        self.out = out
        self.per_sig = minimize_per_signature
        self.budget = minimize_budget_s
        self.log = log
        if out:
            os.makedirs(out, exist_ok=True)

    def run(self, seed, variant):
        prog, res = run_one(seed, variant, self.loader)
        self.counts[variant][res.cls] += 1
        if res.cls == "refused":
            self.refusals[res.signature] += 1
        if res.cls == "skipped":
            self.skips[res.signature] += 1
        if res.cls in ("wrong", "crash"):
            self.signatures[res.signature] += 1
            origin = f"--variant {variant} --seed {seed}"
            self.first.setdefault(res.signature, (prog, res, origin))
            if self.minimized[res.signature] < self.per_sig:
                self.minimized[res.signature] += 1
                small, sres = minimize(prog, res, self.loader, budget_s=self.budget)
                small.direction = prog.direction
                key = (sres.signature, _fingerprint(small.source))
                if key not in self.found or len(small.source) < len(self.found[key][0].source):
                    self.found[key] = (small, sres, origin)
                    self.log(f"  [{sres.signature}] minimized reproducer of {origin}:\n"
                             + _indent(small.source))
        if sum(self.counts[variant].values()) % 200 == 0:
            _clear_cache()
        return prog, res

    def write(self):
        paths = []
        if not self.out:
            return paths
        for k, (key, (prog, res, origin)) in enumerate(sorted(
                self.found.items(), key=lambda kv: len(kv[1][0].source))):
            slug = re.sub(r"[^A-Za-z0-9]+", "_", res.signature).strip("_")[:80]
            path = os.path.join(self.out, f"repro_{k:03d}_{slug}.py")
            with open(path, "w") as fh:
                fh.write(reproducer(prog, res, origin))
            paths.append(path)
        return paths

    def report(self):
        lines = []
        for variant, c in sorted(self.counts.items()):
            total = sum(c.values())
            parts = ", ".join(f"{k} {c[k]} ({100.0 * c[k] / max(total, 1):.1f}%)" for k in CLASSES)
            lines.append(f"{variant}: {total} programs: {parts}")
        if self.signatures:
            lines.append("failure signatures:")
            for sig, n in self.signatures.most_common():
                lines.append(f"  {n:6d}  {sig}")
        if self.refusals:
            lines.append("refusals:")
            for msg, n in self.refusals.most_common():
                lines.append(f"  {n:6d}  {msg}")
        if self.skips:
            lines.append("skipped: " + ", ".join(f"{k} {n}" for k, n in self.skips.most_common()))
        lines.append(f"distinct minimized reproducers: {len(self.found)}")
        return "\n".join(lines)


def _fingerprint(source):
    """The constructs a minimized program uses: a coarse key to deduplicate reproducers."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return source
    kinds = set()
    for n in ast.walk(tree):
        if isinstance(n, (ast.stmt, ast.BoolOp, ast.IfExp, ast.Lambda, ast.Compare)):
            kinds.add(type(n).__name__)
        elif isinstance(n, ast.Call):
            kinds.add("call:" + ast.unparse(n.func))
        elif isinstance(n, ast.Subscript):
            kinds.add("subscript")
        elif isinstance(n, ast.Tuple) and isinstance(getattr(n, "ctx", None), ast.Store):
            kinds.add("tuple-assign")
    return tuple(sorted(kinds))


def _indent(s):
    return "".join("      " + l + "\n" for l in s.rstrip().splitlines())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="programs per variant")
    ap.add_argument("--seed", type=int, default=0, help="first seed")
    ap.add_argument("--variant", choices=("scalar", "numpy", "both"), default="both")
    ap.add_argument("--time", type=float, default=None, help="stop after this many seconds")
    ap.add_argument("--out", default=None, help="folder for minimized reproducers")
    ap.add_argument("--minimize", type=int, default=2,
                    help="programs to minimize per failure signature (0: none)")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--order", type=int, choices=(1, 2), default=1,
                    help="2: also check second derivatives, reverse over reverse")
    ap.add_argument("--jit", action="store_true",
                    help="also check adcompile.jit's compiled f and value_and_grad (Numba)")
    a = ap.parse_args(argv)
    global ORDER, JIT
    ORDER, JIT = a.order, a.jit
    variants = ("scalar", "numpy") if a.variant == "both" else (a.variant,)
    fz = Fuzzer(a.out, minimize_per_signature=a.minimize,
                log=(lambda *x: None) if a.quiet else print)
    t0 = time.time()
    try:
        for k in range(a.n):
            if a.time is not None and time.time() - t0 > a.time:
                print(f"time limit reached after {k} programs per variant")
                break
            for variant in variants:
                fz.run(a.seed * 1_000_003 + k, variant)
            if not a.quiet and (k + 1) % 500 == 0:
                print(f"... {k + 1} programs per variant, {time.time() - t0:.0f} s", flush=True)
    except KeyboardInterrupt:
        print("interrupted")
    paths = fz.write()
    print(f"\n=== adcompile fuzz: seed {a.seed}, {time.time() - t0:.0f} s ===")
    print(fz.report())
    for p in paths:
        print("  wrote", p)
    failures = sum(c["wrong"] + c["crash"] for c in fz.counts.values())
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
