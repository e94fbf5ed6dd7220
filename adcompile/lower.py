"""Stage 2: lower a parsed function to SSA flat code, one primitive per statement.

User names survive where the user wrote them (`L = sigmoid(...)` keeps `L`); compiler temporaries
are `s0, s1, ...` in order; a name assigned again gets a fresh version (`x`, then `x_1`). Calls to
the user's own Python functions are inlined. Names read from globals or closures that hold data
become constants of the generated function; modules and functions are resolved here, once.
"""
from __future__ import annotations

import os
import types
from dataclasses import dataclass

import gast
import numpy as np

from .errors import ADCompileError, NoDerivativeError, UnsupportedSyntaxError
from .ir import (Assign, Break, Const, For, Function, If, Op, Return, Var, While, targets_of,
                 uses_of)
from .parse import Parsed, parse
from .primitives import ATTRIBUTES, BY_OBJECT, METHODS, OBJECT_OPTIONS, PRIMS
from .templates import OPERATORS, dotted

_MISSING = object()
SCALARS = (int, float, complex, bool, np.generic, str, type(None))


@dataclass(frozen=True, slots=True)
class Static:
    """A value known at transformation time that is not data: a module or a function."""
    obj: object


class Namer:
    """Deterministic fresh names: temporaries avoid every name the user wrote; a user name is kept
    the first time it is assigned and versioned (`x_1`, `x_2`) after that."""

    def __init__(self, reserved, assigned=()):
        self.reserved = set(reserved)  # names written in the user's code
        self.assigned = set(assigned)  # names given out so far
        self.temps = set()
        self.counter = 0

    def temp(self):
        while f"s{self.counter}" in self.reserved | self.assigned:
            self.counter += 1
        name = f"s{self.counter}"
        self.assigned.add(name)
        self.temps.add(name)
        return name

    def fresh(self, base):
        name, i = base, 0
        while name in self.assigned or (i and name in self.reserved):
            i += 1
            name = f"{base}_{i}"
        self.assigned.add(name)
        return name


def lower(f) -> Function:
    """Lower the Python function `f` to flat code."""
    parsed = parse(f)
    written = {n.id for n in gast.walk(parsed.node) if isinstance(n, gast.Name)}
    params = [a.id for a in parsed.node.args.args]
    fn = Function(parsed.node.name, params, [], parsed.filename, parsed.lines)
    lowerer = Lowerer(parsed, fn, Namer(written, params), stack=(f.__code__,))
    env = {p: Var(p) for p in params}
    lowerer.block = fn.body
    values, as_tuple = lowerer.returned(lowerer.lower_stmts(parsed.node.body, env, frozenset()),
                                        env, parsed.node)
    line = lowerer.line
    fn.body.append(Return([lowerer.as_atom(v) for v in values], as_tuple, line))
    return fn


def loaded(stmts):
    """Names read anywhere in gast statements (`x += 1` reads x)."""
    out = set()
    for s in stmts:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                out.add(n.id)
            elif isinstance(n, gast.AugAssign):
                target = n.target
                while isinstance(target, gast.Subscript):
                    target = target.value
                if isinstance(target, gast.Name):
                    out.add(target.id)
    return out


def stored(stmts):
    """Names assigned anywhere in gast statements (subscript writes and appends included)."""
    out = set()
    for s in stmts:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                out.add(n.id)
            elif isinstance(n, (gast.Assign, gast.AugAssign)):
                for t in getattr(n, "targets", None) or [n.target]:
                    if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
                        out.add(t.value.id)
            elif isinstance(n, gast.Call) and (_is_append(n) or _is_pop(n)):
                out.add(n.func.value.id)
    return out


def _is_pop(node):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr == "pop" and isinstance(node.func.value, gast.Name)


def _is_append(node):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr == "append" and isinstance(node.func.value, gast.Name)


def _load(target):
    if isinstance(target, gast.Name):
        return gast.Name(id=target.id, ctx=gast.Load(), annotation=None, type_comment=None)
    if isinstance(target, gast.Subscript):
        return gast.Subscript(value=_load(target.value), slice=target.slice, ctx=gast.Load())
    raise UnsupportedSyntaxError("augmented assignment to this target is not supported")


RETURNED = "<returned>"  # env key of the flag a return inside a loop sets
# When some paths through a branch leave the loop body or the function (break, continue,
# return) and others go on, the env key GOING names a flag, False on the paths that left, and
# the statements after the branch run under `if going:`, a shape reverse mode can mirror. A
# function's values returned that way are kept under the keys `<out0>`, `<out1>`, ...
GOING = "<going>"
BROKE = "<broke>"  # True on the paths that break: the body's last statement is `if broke: break`
LEAVING = ("return", "break", "continue", "left")
VIEWS = {"getitem", "T", "np.transpose", "np.reshape", "np.ravel", "np.squeeze", "np.swapaxes",
         "np.moveaxis", "np.expand_dims", "np.diagonal", "np.broadcast_to", "np.atleast_1d",
         "np.atleast_2d", "np.atleast_3d", "np.real"}  # exits through which every path leaves


def _only_returns(loop):
    """A `while True:` loop without a break of its own ends only by returning."""
    if not (isinstance(loop, gast.While) and isinstance(loop.test, gast.Constant) and
            loop.test.value is True):
        return False
    stack = list(loop.body)
    while stack:
        node = stack.pop()
        if isinstance(node, gast.Break):
            return False
        if not isinstance(node, (gast.For, gast.While, gast.FunctionDef, gast.Lambda)):
            stack.extend(gast.iter_child_nodes(node))
    return True


def _user_name(key):
    """The name to print for an env key: `<result0>` (a return slot) prints as result."""
    if key.startswith("<out"):
        return "result"
    return key.strip("<>").rstrip("0123456789") if key.startswith("<") else key


def _walk_own(stmts):
    """gast nodes of statements, not descending into nested functions."""
    stack = list(stmts)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (gast.FunctionDef, gast.Lambda)):
            stack.extend(gast.iter_child_nodes(node))


def _fallthrough_ends(block):
    """The blocks whose end is reached on the paths through `block` that do not break."""
    if block and type(block[-1]) is Break:
        return []
    if block and type(block[-1]) is If and (_has_break(block[-1].body) or
                                            _has_break(block[-1].orelse)):
        return _fallthrough_ends(block[-1].body) + _fallthrough_ends(block[-1].orelse)
    return [block]


def _has_break(block):
    return any(type(s) is Break or type(s) is If and (_has_break(s.body) or _has_break(s.orelse))
               for s in block)


def _may_leave(body):
    """A loop body that may stop its loop or an iteration early: a break or continue of its own,
    or a return anywhere."""
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, (gast.Return, gast.Break, gast.Continue)):
            return True
        if isinstance(node, (gast.For, gast.While)):
            stack.extend(n for n in gast.walk(node) if isinstance(n, gast.Return))
        elif not isinstance(node, (gast.FunctionDef, gast.Lambda)):
            stack.extend(gast.iter_child_nodes(node))
    return False


def _kind(exit):
    """None (falls through), "leave" (every path leaves) or "partial"."""
    if exit is None:
        return None
    return "leave" if exit[0] in LEAVING else "partial"


def _self_copy(s):
    return type(s) is Assign and type(s.value) is Var and s.value.name == s.target


def _flat(values):
    for v in values:
        if type(v) is tuple:
            yield from _flat(v)
        else:
            yield v


class _Enumerate:
    """The targets of `for i, x in enumerate(xs, start)`."""

    def __init__(self, index, value, start):
        self.index, self.value, self.start = index, value, start


class _IndexTarget:
    """The `i` of `for i, x in enumerate(xs)`: bound to the loop index (plus start)."""

    def __init__(self, node, start):
        self.node, self.start = node, start


class Lowerer:
    def __init__(self, parsed: Parsed, fn: Function, namer: Namer, stack, call_line=None):
        self.parsed, self.fn, self.namer, self.stack = parsed, fn, namer, stack
        self.call_line = call_line  # inlined code is attributed to the caller's line
        self.line = call_line
        self.env_now = {}
        self.closure_reads = frozenset(loaded(  # names the nested defs and lambdas read
            [n for n in gast.walk(parsed.node) if isinstance(n, (gast.FunctionDef, gast.Lambda))
             and n is not parsed.node]))
        self.carried = []  # per enclosing loop: user name -> the name the loop carries it under
        self.foreign = frozenset()  # names an inlining caller still reads: never reused
        self.outs_tuple = None  # whether the values kept under <out0>, ... form a tuple
        self.copies = {}  # name -> names it was copied from or to (one value, several names)
        self.returns_tuple = False

    # --- errors -------------------------------------------------------------------------------
    def unsupported(self, node, what, hint="rewrite it with supported constructs"):
        return UnsupportedSyntaxError(f"{what} is not supported; {hint}.", *self.parsed.where(node))

    # --- statements ---------------------------------------------------------------------------
    def lower_stmts(self, stmts, env, later):
        """Lower a statement list into `self.block`. `later` holds the names read after it.
        Returns how the list ends: None (falls through), ("return", values, as_tuple),
        ("break",), ("continue",), ("partial",) (some paths left through the GOING flag, others
        go on) or ("left",) (every path left, some through the flag)."""
        later = later | self.closure_reads  # a nested def may be called later and read them
        for i, stmt in enumerate(stmts):
            self.line = self.call_line or stmt.lineno
            self.env_now = env  # what a nested def called from here reads
            rest = stmts[i + 1:]
            t = type(stmt)
            if t is gast.Return:
                if stmt.value is None:
                    raise self.unsupported(stmt, "return without a value", "return a number or array")
                value = self.expr(stmt.value, env)
                if type(value) is tuple:
                    return "return", list(value), True
                return "return", [value], False
            if t is gast.Break:
                return ("break",)
            if t is gast.Continue:
                return ("continue",)
            if t is gast.If:
                exit, consumed = self.lower_if(stmt, rest, env, later)
                if exit is not None and exit[0] == "partial" and not consumed and rest:
                    return self.rest_if_going(stmt, rest, env, later)
                if consumed or exit is not None:
                    return exit
            elif t in (gast.For, gast.While):
                outermost = RETURNED not in env
                self.open_return_slots(stmt, env)
                (self.lower_for if t is gast.For else self.lower_while)(
                    stmt, env, later | loaded(rest))
                if outermost and RETURNED in env:  # after it: if returned: return result
                    return self.after_returning_loop(stmt, rest, env, later)
                if RETURNED in env and any(isinstance(n, gast.Return) for n in _walk_own([stmt])):
                    # an inner loop returned: leave the enclosing loop too
                    envs = [dict(env), dict(env)]
                    b2, x2 = self.sub(rest, envs[1], later)
                    exit, _ = self.join(stmt, env[RETURNED], [[], b2], [("break",), x2], envs,
                                        env, later, True)
                    return exit
            elif t is gast.Assign:
                if len(stmt.targets) != 1:
                    raise self.unsupported(stmt, "chained assignment a = b = ...", "assign once")
                target = stmt.targets[0]
                if isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
                    self.check_in_place(stmt, target.value.id, env, later | loaded(rest),
                                        "__setitem__")
                self.assign(target, stmt.value, env)
            elif t is gast.AnnAssign and stmt.value is not None:
                self.assign(stmt.target, stmt.value, env)
            elif t is gast.AugAssign:
                if isinstance(stmt.target, gast.Name):
                    self.check_in_place(stmt, stmt.target.id, env, later | loaded(rest),
                                        f"__i{OPERATORS[type(stmt.op).__name__]}__")
                load = _load(stmt.target)
                binop = gast.copy_location(gast.BinOp(left=load, op=stmt.op, right=stmt.value), stmt)
                self.assign(stmt.target, binop, env)
            elif t is gast.FunctionDef:
                env[stmt.name] = Static(LocalFunction(stmt, env, self.parsed, self))
            elif t is gast.Pass or t is gast.Expr and isinstance(stmt.value, gast.Constant):
                pass  # pass, a docstring or a bare constant
            elif t is gast.Expr and _is_append(stmt.value):
                self.append(stmt.value, env)
            elif t is gast.Expr and self.is_check(stmt.value, env):
                value = self.expr(stmt.value, env)  # a runtime check (in generated code)
                if self.block and type(self.block[-1]) is Assign and \
                        self.block[-1].target == getattr(value, "name", None):
                    self.block[-1].target = None
            elif t is gast.Expr:
                raise self.unsupported(stmt, "an expression statement (its value is discarded)",
                                       "assign its result to a name or remove it")
            else:
                raise self.unsupported(stmt, f"the statement {type(stmt).__name__}")
        return None

    def after_returning_loop(self, node, rest, env, later):
        """After the outermost loop holding a return: `if returned: return result`, else the
        rest of the function."""
        values = [env[k] for k in sorted(k for k in env if k.startswith("<result"))]
        test = env[RETURNED]
        for key in [k for k in env if k.startswith("<result") or k == RETURNED]:
            del env[key]  # the slots have done their work
        if _only_returns(node):  # `while True:` left only by return: the result is ready
            return "return", values, self.returns_tuple
        envs = [dict(env), dict(env)]
        b2, x2 = self.sub(rest, envs[1], later)
        exit, _ = self.join(node, test, [[], b2], [("return", values, self.returns_tuple), x2],
                            envs, env, later, True)
        return exit  # (the function's end checks that every path returned)

    def rest_if_going(self, node, rest, env, later):
        """After a branch some of whose paths left: the rest, on the paths that go on."""
        envs = [dict(env), dict(env)]
        rb, xr = self.sub(rest, envs[0], later)
        exit, _ = self.join(node, env[GOING], [rb, []], [xr, ("left",)], envs, env, later, True)
        return exit

    def leave(self, node, exit, env):
        """A path that leaves where others go on: it clears the flag; a return keeps its
        values under <out0>, ..."""
        env[GOING] = Const(False)
        if exit[0] == "break":
            env[BROKE] = Const(True)
        if exit[0] != "return":
            return
        _, values, as_tuple = exit
        if self.outs_tuple is None:
            self.outs_tuple = as_tuple, len(values)
        if self.outs_tuple != (as_tuple, len(values)):
            raise self.unsupported(node, "returning a different number of values on each path")
        for k, value in enumerate(values):
            env[f"<out{k}>"] = value

    def returned(self, exit, env, node):
        """The values a function body returns, given how its statements ended."""
        if exit is not None and exit[0] == "return":
            return exit[1], exit[2]
        if exit is not None and exit[0] == "left" and self.outs_tuple:
            as_tuple, n = self.outs_tuple
            return [env[f"<out{k}>"] for k in range(n)], as_tuple
        raise UnsupportedSyntaxError(
            f"{self.fn.name if len(self.stack) == 1 else getattr(node, 'name', 'a function')} "
            "does not return a value on every path; return the value to differentiate.",
            self.parsed.filename, node.lineno)

    def sub(self, stmts, env, later, block=None):
        """Lower `stmts` into a new (or the given) block; returns (block, exit)."""
        outer, self.block = self.block, [] if block is None else block
        try:
            exit = self.lower_stmts(stmts, env, later)
        finally:
            block, self.block = self.block, outer
        return block, exit

    def lower_if(self, stmt, rest, env, later):
        """Lower an if statement. When one branch leaves (return, break, continue) and the other
        does not, the statements after the `if` belong to the other branch and are lowered there."""
        test, line = self.atom(stmt.test, env), self.line
        after = later | loaded(rest)
        envs = [dict(env), dict(env)]
        (b1, x1), (b2, x2) = (self.sub(stmt.body, envs[0], after),
                              self.sub(stmt.orelse, envs[1], after))
        consumed = False
        if rest and {_kind(x1), _kind(x2)} == {None, "leave"}:
            k = 0 if x1 is None else 1
            block, exit = self.sub(rest, envs[k], later, block=(b1, b2)[k])
            x1, x2 = (exit, x2) if k == 0 else (x1, exit)
            consumed = True
        self.line = line  # (the branches moved it on)
        return self.join(stmt, test, [b1, b2], [x1, x2], envs, env,
                         later | loaded(rest) if not consumed else later, consumed)

    def join(self, node, test, blocks, exits, envs, env, later, consumed):
        """Finish an `if` whose branches were lowered into `blocks` and ended with `exits`."""
        if self.carried:  # a return inside a loop: keep the values, note it, leave the loop
            for k, exit in enumerate(exits):
                if exit is not None and exit[0] == "return":
                    exits[k] = self.return_from_loop(node, exit, envs[k])
        (b1, b2), (x1, x2) = blocks, exits
        kinds = {x[0] if x else None for x in (x1, x2)}
        if kinds == {"return"}:
            values = self.merge_returns(node, (b1, b2), (x1, x2), envs)
            self.block.append(If(test, b1, b2, self.line))
            return ("return", values, x1[2]), True
        mixed = len(kinds) > 1 or bool(kinds & {"partial", "left", "break"})
        if mixed:  # paths that leave and paths that go on: the leaving ones clear the flag
            for exit, e in zip(exits, envs):
                if exit is not None and exit[0] in ("return", "break", "continue"):
                    self.leave(node, exit, e)
        self.merge_envs(env, envs, (b1, b2), later)
        self.block.append(If(test, b1, b2, self.line))
        if mixed:
            return ("partial" if kinds & {None, "partial"} else "left",), consumed
        if kinds == {"continue"}:
            return ("continue",), True
        return None, consumed

    def return_from_loop(self, node, exit, env):
        """`return v` inside a loop: v goes into the function's result slots, the flag is set,
        and the loop is left; after the loop, `if returned: return result` (lower_stmts)."""
        _, values, as_tuple = exit
        slots = [k for k in env if k.startswith("<result")]
        if len(values) != len(slots) or self.returns_tuple != as_tuple:
            raise self.unsupported(node, "returning a different number of values on each path")
        for k, value in enumerate(values):
            env[f"<result{k}>"] = self.as_atom(value)
        env[RETURNED] = Const(True)
        return ("break",)

    def open_return_slots(self, loop, env):
        """Before the outermost loop holding a `return`: `returned = False` and result slots."""
        node = next((n for n in _walk_own(loop.body) if isinstance(n, gast.Return)), None)
        if node is None or RETURNED in env:
            return
        values = node.value.elts if isinstance(node.value, gast.Tuple) else [node.value]
        self.returns_tuple = isinstance(node.value, gast.Tuple)
        flag = self.namer.fresh("returned")
        self.block.append(Assign(flag, Const(False), self.line))
        env[RETURNED] = Var(flag)
        for k in range(len(values)):
            slot = self.namer.fresh("result")
            self.block.append(Assign(slot, Const(0.0), self.line))
            env[f"<result{k}>"] = Var(slot)

    def merge_envs(self, env, envs, blocks, later):
        """After a branch: a name bound differently on the two paths gets one merged name,
        assigned at the end of each branch."""
        taken = set()  # merged names given out here: two user names never share one
        for name in sorted(set(envs[0]) | set(envs[1])):
            a, b = envs[0].get(name), envs[1].get(name)
            if a is not None and b is not None and a == b and type(a) is type(b):
                env[name] = a
                continue
            if (a is None or b is None) and name not in later and not name.startswith("<"):
                env.pop(name, None)  # bound on one path only and not read after: gone
                continue
            if a is None or b is None:  # read after on the path that bound it (generated code
                # tests the same condition again): the other path gets a placeholder
                missing = Const(True) if name == GOING else Const(False) if name == BROKE \
                    else Const(0.0)
                k = 0 if a is None else 1
                a, b = (missing, b) if a is None else (a, missing)
                envs[k][name] = missing
            if type(a) is tuple or type(b) is tuple:  # lists known on one path or differing
                a, b = (self.list_in(block, v) if type(v) is tuple else v  # (real lists now)
                        for block, v in zip(blocks, (a, b)))
            if type(a) not in (Var, Const) or type(b) not in (Var, Const):
                raise UnsupportedSyntaxError(
                    f"{name!r} holds a different tuple or function on each path of an if",
                    self.parsed.filename, self.line)
            merged = a.name if type(a) is Var and a.name not in taken and any(
                type(s) is Assign and s.target == a.name for s in blocks[0]) \
                else self.namer.fresh(_user_name(name))
            taken.add(merged)
            for block, value, e in zip(blocks, (a, b), envs):
                self.merge_into(block, value, merged, e)
            env[name] = Var(merged)

    def merge_returns(self, node, blocks, exits, envs):
        if len(exits[0][1]) != len(exits[1][1]) or exits[0][2] != exits[1][2]:
            raise self.unsupported(node, "returning a different number of values on each path")
        values = []
        for k in range(len(exits[0][1])):
            merged = self.namer.fresh("result")
            for block, exit, e in zip(blocks, exits, envs):
                self.merge_into(block, self.atom_in(block, exit[1][k]), merged, e)
            values.append(Var(merged))
        return values

    def merge_into(self, block, value, name, env=None):
        """Make `name` hold `value` at the end of `block`: rename the statement that computed it
        when nothing else reads it, else copy."""
        if value == Var(name):
            return
        ends = _fallthrough_ends(block)
        if ends != [block]:  # only the paths that go on past this block take the value
            for end in ends:
                self.merge_into(end, value, name, env)
            return
        if type(value) is Var and block:
            last = block[-1]
            if type(last) is If and value.name in targets_of(last) and not (
                    env is not None and sum(1 for v in _flat(env.values()) if v == value) > 1):
                for branch in (last.body, last.orelse):  # a branch's merged value: rename inside
                    self.merge_into(branch, value, name)
                    if branch and type(branch[-1]) is Break and len(branch) > 1:
                        self.merge_into(branch[:-1], value, name)
                last.body[:] = [s for s in last.body if not _self_copy(s)]
                last.orelse[:] = [s for s in last.orelse if not _self_copy(s)]
                return
            for k in range(len(block) - 1, -1, -1):
                s = block[k]
                if type(s) is Assign and s.target == value.name:
                    # (renamed, the statement would overwrite `name` while later statements
                    # still read its old value, or read the value under its own name)
                    later_reads = any(value.name in uses_of(t) or name in uses_of(t)
                                      for t in block[k + 1:])
                    aliases = env is not None and sum(
                        1 for v in _flat(env.values()) if v == value) > 1
                    if not later_reads and not aliases:
                        s.target = name
                        self.renamed(value.name, name)
                        if _self_copy(s):
                            del block[k]
                        return
                    break
                if value.name in targets_of(s):
                    break
        self.copied(name, value)
        block.append(Assign(name, value, self.line))

    def check_in_place(self, node, name, env, live, method):
        """`x *= 2` and `x[i] = v` change an array in place, which every name holding the same
        array sees; flat code makes a new array instead. When another name still read later may
        hold the same value, generated code checks at run time that it is not changed in place
        (a number is not) and otherwise stops with this message."""
        value = env.get(name)
        if type(value) is not Var:
            return
        group, todo = {value.name}, [value.name]
        while todo:
            for other in self.copies.get(todo.pop(), ()):
                if other not in group:
                    group.add(other)
                    todo.append(other)
        others = sorted(k for k, v in env.items() if k != name and k in live and any(
            type(x) is Var and x.name in group for x in _flat([v])))
        if not others and not group & self.foreign:
            return
        filename, line = self.parsed.where(node)
        self.block.append(Assign(None, Op("check_not_in_place", (
            value, Const(method), Const(f"{os.path.basename(filename)}:{line}"), Const(name),
            Const(", ".join(others) or "the caller"))), self.line))

    def renamed(self, old, new):
        """A statement's result `old` is now called `new`: it keeps what it shares."""
        for other in self.copies.pop(old, set()) - {old}:
            self.copies[other].discard(old)
            self.copied(new, Var(other))

    def copied(self, name, value):
        """Note that `name` is assigned a copy of `value` (the same object at run time)."""
        if type(value) is Var and value.name != name:
            self.copies.setdefault(name, set()).add(value.name)
            self.copies.setdefault(value.name, set()).add(name)

    def merge_carried(self, block, carried, env):
        """At a loop's end, a break or a return: every carried name takes its value from `env`,
        all at once. A value that is itself a carried name (a swap `a, b = b, a`) is copied
        first, so that no copy reads a name another copy has already overwritten."""
        pairs = [(self.list_in(block, env[name]), loop_name) for name, loop_name in carried.items()
                 if env.get(name) is not None and env[name] != Var(loop_name)]
        targets = {loop_name for _, loop_name in pairs}
        for k, (value, loop_name) in enumerate(pairs):
            if type(value) is Var and value.name in targets:
                old = self.namer.fresh(f"{value.name}_old")
                block.append(Assign(old, value, self.line))
                pairs[k] = Var(old), loop_name
        for value, loop_name in pairs:
            self.merge_into(block, value, loop_name, env)

    def lower_for(self, stmt, env, later):
        bounds, elements, target, reverse, count = self.iteration(stmt, env)
        if bounds is None:  # a tuple known here: unroll
            for element in elements:
                self.bind_target(target, element, env)
                _, exit = self.sub(stmt.body, env, later | loaded(stmt.body), block=self.block)
                if exit is not None:
                    raise self.unsupported(stmt, "break, continue or return in a loop over a tuple")
            return
        names = {n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}
        carried = self.carry(stmt, env, later, names if elements is not None else ())
        index = self.namer.fresh(target.id) if elements is None else self.fresh_index(target)
        body_env = dict(env)
        body_env.pop(GOING, None)  # every iteration starts going
        body_env.pop(BROKE, None)
        body, exit = self.sub([], body_env, later)
        outer, self.block = self.block, body
        try:
            if elements is None:
                body_env[target.id] = Var(index)
            elif type(target) is _Enumerate:
                self.bind_target(_IndexTarget(target.index, target.start), None, body_env, index)
                self.bind_target(target.value, self.emit("getitem", (elements[0], Var(index))),
                                 body_env, since=0)
            else:
                values = tuple(self.emit("getitem", (seq, Var(index))) for seq in elements)
                self.bind_target(target, values if type(target) is gast.Tuple and len(values) > 1
                                 else values[0], body_env, index, since=0)
            exit = self.lower_stmts(stmt.body, body_env, later | loaded(stmt.body))
        finally:
            self.block = outer
        self.finish_loop(stmt, exit, body, body_env, carried, env)
        if elements is None and target.id in later:  # after the loop, its last index
            env[target.id] = Var(index)
        self.line = self.call_line or stmt.lineno
        self.block.append(For(index, bounds, body, self.line, reverse=reverse, count=count))

    def lower_while(self, stmt, env, later):
        carried = self.carry(stmt, env, later)
        test = self.atom(stmt.test, env)
        if type(test) is Var:
            carried[test.name] = test.name
        body_env = dict(env)
        body_env.pop(GOING, None)  # every iteration starts going
        body_env.pop(BROKE, None)
        body, exit = self.sub(stmt.body, body_env, later | loaded(stmt.body) | loaded([stmt.test]))

        def again(block):  # the test again, at the end of the body
            outer, self.block = self.block, block
            try:
                self.merge_into(block, self.atom(stmt.test, body_env), test.name, body_env)
            finally:
                self.block = outer
        self.finish_loop(stmt, exit, body, body_env, carried, env,
                         again if type(test) is Var else None)
        self.line = self.call_line or stmt.lineno
        self.block.append(While(test, body, self.line))

    def fresh_index(self, target):
        """The loop index of `for x in xs`: the user's `i` of enumerate, else a new name."""
        if type(target) is _Enumerate and isinstance(target.index, gast.Name) and \
                target.start is None:
            return self.namer.fresh(target.index.id)
        name = next(n for n in ("i", "j", "k") + tuple(f"k{m}" for m in range(99))
                    if n not in self.namer.reserved | self.namer.assigned)
        return self.namer.fresh(name)

    def carry(self, stmt, env, later, targets=()):
        """Names a loop carries from one iteration to the next or out of the loop: each keeps one
        name through the loop (a copy is made first when its current name is shared). `targets`:
        the names a `for` binds to the elements, carried out when read after the loop."""
        assigned = stored(stmt.body) | {n for n in targets if n in later}
        reads = loaded(stmt.body)
        if any(isinstance(n, gast.Return) for n in _walk_own(stmt.body)):
            pseudo = {k for k in env if k.startswith("<result") or k == RETURNED}
            assigned, later = assigned | pseudo, later | pseudo
        carried = {}
        for name in sorted(assigned):
            if not (name in later or name in env and name in reads):
                continue
            value = env.get(name)
            own = type(value) is Var and value.name not in self.foreign and \
                value.name not in self.fn.params and any(
                type(s) is Assign and s.target == value.name for s in self.block) and sum(
                1 for v in _flat(env.values()) if v == value) == 1
            if own:
                loop_name = value.name
            else:
                loop_name = self.namer.fresh(_user_name(name))
                if type(value) is tuple:  # a list the loop appends to: a real list from here on
                    self.block.append(Assign(loop_name, self.list_in(self.block, value), self.line))
                elif value is not None:
                    self.copied(loop_name, self.as_atom(value))
                    self.block.append(Assign(loop_name, self.as_atom(value), self.line))
                else:  # first assigned in the loop: a placeholder, so every iteration has an
                    # old value to keep (reverse mode tapes it); read only if the loop never ran
                    self.block.append(Assign(loop_name, Const(0.0), self.line))
            env[name] = Var(loop_name)
            carried[name] = loop_name
        self.carried.append(carried)
        return carried

    def finish_loop(self, stmt, exit, body, body_env, carried, env, again=None):
        """The end of a loop body, reached on every path (a `break` inside a branch only sets
        a flag): the carried names take their new values, then `if broke: break`, else a while
        loop's test again (`again`)."""
        if exit is not None and exit[0] == "return":
            exit = self.return_from_loop(stmt, exit, body_env)
        self.carried.pop()
        self.merge_carried(body, carried, body_env)
        for name, loop_name in carried.items():
            if name in body_env:
                body_env[name] = Var(loop_name)
            if name in env or body_env.get(name) is not None:
                env[name] = Var(loop_name)
        if exit == ("break",):
            body.append(Break(self.line))
            return
        if type(body_env.get(BROKE)) is Var:  # (the test again only on the paths that go on)
            going = []
            if again is not None:
                again(going)
            body.append(If(body_env[BROKE], [Break(self.line)], going, self.line))
        elif again is not None:
            again(body)

    def iteration(self, stmt, env):
        """(range bounds, sequences indexed per iteration, target, reversed, count) of a for
        loop; bounds None for a tuple known at transformation time (then the second item holds
        its elements). `reversed(range(...)[:count])` is how reverse mode writes a loop back."""
        node, target = stmt.iter, stmt.target
        func = self.expr(node.func, env) if isinstance(node, gast.Call) else None
        if type(func) is Static and func.obj is reversed and len(node.args) == 1:
            inner, count = node.args[0], None  # reversed(range(...)[:k]), as reverse mode writes
            if isinstance(inner, gast.Subscript) and isinstance(inner.slice, gast.Slice) and \
                    inner.slice.lower is None and inner.slice.step is None:
                count, inner = self.atom(inner.slice.upper, env), inner.value
            if isinstance(inner, gast.Call) and self.expr(inner.func, env) == Static(range):
                bounds = tuple(self.atom(a, env) for a in inner.args)
                if count is None and _may_leave(stmt.body):
                    # a loop that may stop early runs over the reversed range itself, whose
                    # first `trips` elements reverse mode can walk back
                    return self.reversed_range(inner, bounds), None, target, False, None
                return bounds, None, target, True, count
        if type(func) is Static and func.obj is range:
            if not isinstance(target, gast.Name):
                raise self.unsupported(target, "unpacking the index of a range loop")
            return tuple(self.atom(a, env) for a in node.args), None, target, False, None
        if type(func) is Static and func.obj is enumerate:
            seq = self.atom(node.args[0], env)
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2):
                raise self.unsupported(target, "enumerate without `i, x` targets")
            n = self.emit("len", (seq,))
            start = self.atom(node.args[1], env) if len(node.args) > 1 else None
            return (n,), (seq,), _Enumerate(target.elts[0], target.elts[1], start), False, None
        if type(func) is Static and func.obj is zip:
            seqs = tuple(self.atom(a, env) for a in node.args)
            n = self.emit("len", (seqs[0],))
            for other in seqs[1:]:
                n = self.emit("min", (n, self.emit("len", (other,))))
            return (n,), seqs, target, False, None
        seq = self.expr(node, env)
        if type(seq) is tuple and _may_leave(stmt.body):  # a real loop, over a real list
            seq = self.list_in(self.block, seq)
        if type(seq) is tuple:
            return None, seq, target, False, None
        seq = self.as_atom(seq)
        return (self.emit("len", (seq,)),), (seq,), target, False, None

    def reversed_range(self, node, bounds):
        """Bounds of the range that is `reversed(range(*bounds))`."""
        if all(type(b) is Const and type(b.value) is int for b in bounds):
            r = range(*(b.value for b in bounds))[::-1]
            return Const(r.start), Const(r.stop), Const(r.step)
        start, stop, step = (Const(0), bounds[0], Const(1)) if len(bounds) == 1 else \
            (bounds + (Const(1),))[:3]
        if type(step) is not Const or type(step.value) is not int or not step.value:
            raise self.unsupported(node, "reversed(range(...)) with a computed step in a loop "
                                   "that may stop early", "give range a constant step")
        c = step.value  # the last element: start + ((stop - start - sign) // c) * c
        span = self.emit("sub", (self.emit("sub", (stop, start)), Const(1 if c > 0 else -1)))
        last = self.emit("add", (start, self.emit("mul", (
            self.emit("floordiv", (span, step)), step))))
        return last, self.emit("sub", (start, Const(1 if c > 0 else -1))), Const(-c)

    def bind_target(self, target, value, env, index=None, since=None):
        if isinstance(target, _IndexTarget):
            start = target.start
            value = Var(index) if start is None else self.emit("add", (Var(index), start))
            env[target.node.id] = value
        elif isinstance(target, gast.Name):
            env[target.id] = self.bind(target.id, value, since)
        elif isinstance(target, (gast.Tuple, gast.List)):
            if type(value) is not tuple:
                value = tuple(self.emit("getitem", (self.as_atom(value), Const(i)))
                              for i in range(len(target.elts)))
            if len(value) != len(target.elts):
                raise self.unsupported(target, f"unpacking {len(value)} values into "
                                       f"{len(target.elts)} names", "match the counts")
            for t, v in zip(target.elts, value):
                if isinstance(t, (gast.Tuple, gast.List)) or not isinstance(t, (gast.Name, _IndexTarget)):
                    raise self.unsupported(t, "nested or starred unpacking targets")
                self.bind_target(t, v, env, index, since)
        else:
            raise self.unsupported(target, "this loop target")

    def assign(self, target, value_node, env):
        since = len(self.block)
        if isinstance(target, gast.Name):
            env[target.id] = self.bind(target.id, self.expr(value_node, env, target=target.id),
                                       since)
        elif isinstance(target, (gast.Tuple, gast.List)):
            self.bind_target(target, self.expr(value_node, env), env, since=since)
        elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name) and \
                type(env.get(target.value.id)) is tuple:  # a list known here: replace an item
            items, index = list(env[target.value.id]), self.expr(target.slice, env)
            if type(index) is not Const or type(index.value) is not int:
                raise self.unsupported(target, "assigning to a list item at a computed index")
            items[index.value] = self.expr(value_node, env)
            env[target.value.id] = tuple(items)
        elif isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name):
            array = self.atom(target.value, env)
            index = self.atom(target.slice, env)
            value = self.atom(value_node, env)
            env[target.value.id] = self.emit("setitem", (array, index, value),
                                             target=target.value.id)
        else:
            raise self.unsupported(target, "assignment to an attribute or a nested subscript")

    def is_check(self, node, env):
        """A call made for its effect that has no derivative: `check_scalar(L)`."""
        if not isinstance(node, gast.Call) or isinstance(node.func, gast.Attribute):
            return False
        try:
            callee = self.expr(node.func, env)
        except ADCompileError:
            return False
        name = BY_OBJECT.get(callee.obj) if type(callee) is Static and _hashable(callee.obj) \
            else None
        return name is not None and PRIMS[name].kind == "nondiff"

    def append(self, call, env):
        """`xs.append(v)`: a list known here grows by one element; a list a loop builds becomes
        `xs = xs + [v]`, a new list each time (so the tape can keep the old one)."""
        name = call.func.value.id
        if len(call.args) != 1 or name not in env:
            raise self.unsupported(call, "this append", "append one value to a list made with []")
        if type(env[name]) is tuple:
            env[name] = env[name] + (self.expr(call.args[0], env),)
        else:
            env[name] = self.emit("list_append", (self.as_atom(env[name]), self.atom(call.args[0], env)),
                                  target=name)

    def bind(self, name, value, since=None):
        """Give a value the user's name: an equation result is renamed, other values aliased.
        Only a result the expression being bound computed (a statement at `since` or later) is
        renamed: an older one may be held under another name too."""
        block = self.block
        if type(value) is Var and value.name in self.namer.temps and since is not None and \
                value.name not in self.foreign and len(block) > since and \
                type(block[-1]) is Assign and block[-1].target == value.name:
            block[-1].target = self.namer.fresh(name)
            self.renamed(value.name, block[-1].target)
            return Var(block[-1].target)
        return value

    # --- expressions --------------------------------------------------------------------------
    def emit(self, prim, args, kwargs=(), target=None):
        name = self.namer.fresh(target) if target else self.namer.temp()
        if prim in VIEWS:  # NumPy may hand back a view: changing one changes the other
            self.copied(name, args[0])
        self.block.append(Assign(name, Op(prim, tuple(args), tuple(kwargs)), self.line))
        return Var(name)

    def branch_value(self, test, make_then, make_else, target=None):
        """`then if test else else_`, each side lowered into its own branch (short-circuit)."""
        merged = self.namer.fresh(target) if target else self.namer.temp()
        blocks = []
        for make in (make_then, make_else):
            block, _ = self.sub([], {}, set())
            outer, self.block = self.block, block
            try:
                value = self.as_atom(make())
            finally:
                self.block = outer
            self.merge_into(block, value, merged)
            blocks.append(block)
        self.block.append(If(test, blocks[0], blocks[1], self.line))
        return Var(merged)

    def list_in(self, block, value):
        """atom_in, where a list known here becomes a real list (a loop carries it as one)."""
        if type(value) is not tuple:
            return self.atom_in(block, value)
        items = tuple(self.atom_in(block, v) for v in value)
        outer, self.block = self.block, block
        try:
            return self.emit("make_list", items)
        finally:
            self.block = outer

    def atom_in(self, block, value):
        """as_atom, with any statement it needs (a tuple) written into `block`."""
        outer, self.block = self.block, block
        try:
            return self.as_atom(value)
        finally:
            self.block = outer

    def as_atom(self, value, line=None):
        """A Var or Const for `value`: static tuples of constants become constants."""
        if type(value) in (Var, Const):
            return value
        if type(value) is tuple:
            atoms = [self.as_atom(v) for v in value]
            if all(type(a) is Const for a in atoms):
                return Const(tuple(a.value for a in atoms))
            return self.emit("tuple", atoms)
        if type(value) is Static and isinstance(value.obj, type) and issubclass(
                value.obj, (np.generic, float, int, bool, complex)):
            return Const(np.dtype(value.obj).name)  # a dtype: dtype=np.float32 is "float32"
        if type(value) is Static:
            raise UnsupportedSyntaxError(
                f"{getattr(value.obj, '__name__', value.obj)!r} is used as a value; only numbers "
                "and arrays can flow through differentiated code.", self.parsed.filename, self.line)
        raise TypeError(value)

    def expr(self, node, env, target=None):
        t = type(node)
        if t is gast.Name:
            return self.name(node, env)
        if t is gast.Constant:
            return Const(node.value)
        if t in (gast.Tuple, gast.List):
            return tuple(self.expr(e, env) for e in node.elts)
        if t is gast.BinOp and type(node.op) is gast.Add and isinstance(node.right, gast.List) \
                and len(node.right.elts) == 1 and type(self.expr(node.left, env)) is Var:
            return self.emit("list_append", (self.atom(node.left, env),  # xs + [v]: a list grows
                                             self.atom(node.right.elts[0], env)), target=target)
        if t is gast.BinOp:
            return self.emit(OPERATORS[type(node.op).__name__],
                             (self.atom(node.left, env), self.atom(node.right, env)), target=target)
        if t is gast.UnaryOp:
            operand = self.atom(node.operand, env)
            if type(operand) is Const and type(node.op) in (gast.USub, gast.UAdd):
                return Const(-operand.value if type(node.op) is gast.USub else operand.value)
            return self.emit(OPERATORS[type(node.op).__name__], (operand,), target=target)
        if t is gast.Compare:
            left = self.atom(node.left, env)
            right = self.expr(node.comparators[0], env)
            if type(right) is Static and type(node.ops[0]) in (gast.Is, gast.IsNot) and \
                    right.obj in (float, int, bool):  # `type(x) is float` (generated code's test)
                right = Var(right.obj.__name__)
            right = self.as_atom(right)
            first = self.emit(OPERATORS[type(node.ops[0]).__name__], (left, right),
                              target=target if len(node.ops) == 1 else None)
            if len(node.ops) == 1:
                return first
            rest = gast.Compare(left=node.comparators[0], ops=node.ops[1:],
                                comparators=node.comparators[1:])  # a < b < c: (a < b) and (b < c)
            return self.branch_value(first, lambda: self.expr(rest, env), lambda: first, target)
        if t is gast.BoolOp:
            value = self.atom(node.values[0], env)
            for operand in node.values[1:]:
                later = (lambda o: lambda: self.expr(o, env))(operand)
                same = (lambda v: lambda: v)(value)
                value = self.branch_value(value, later, same, target) \
                    if type(node.op) is gast.And else self.branch_value(value, same, later, target)
            return value
        if t is gast.IfExp:
            test = self.atom(node.test, env)
            return self.branch_value(test, lambda: self.expr(node.body, env),
                                     lambda: self.expr(node.orelse, env), target)
        if t is gast.Attribute:
            return self.attribute(node, env, target)
        if t is gast.Subscript:
            return self.subscript(node, env, target)
        if t is gast.Call:
            return self.call(node, env, target)
        if t is gast.Lambda:
            ret = gast.copy_location(gast.Return(value=node.body), node)
            fn = gast.copy_location(gast.FunctionDef(
                name="<lambda>", args=node.args, body=[ret], decorator_list=[], returns=None,
                type_comment=None, type_params=[]), node)
            return Static(LocalFunction(fn, env, self.parsed, self))
        if t is gast.Slice:
            parts = [self.atom(p, env) if p is not None else Const(None)
                     for p in (node.lower, node.upper, node.step)]
            if all(type(p) is Const for p in parts):
                return Const(slice(*(p.value for p in parts)))
            raise self.unsupported(node, "a slice with computed bounds")
        raise self.unsupported(node, self.parsed.describe(node))

    def atom(self, node, env):
        return self.as_atom(self.expr(node, env))

    def name(self, node, env):
        if node.id in env:
            return env[node.id]
        scope = self.parsed.scope
        if node.id not in scope:
            raise UnsupportedSyntaxError(f"name {node.id!r} is not defined",
                                         *self.parsed.where(node))
        obj = scope[node.id]
        if self.parsed.globals.get(node.id, _MISSING) is obj:
            self.fn.dependencies.append((self.parsed.globals, node.id, obj))
        return self.outer(node.id, obj)

    def outer(self, name, obj):
        """A value from the function's globals, closure or builtins."""
        if isinstance(obj, (types.ModuleType, types.FunctionType, types.BuiltinFunctionType,
                            type, np.ufunc)) or callable(obj) and not isinstance(obj, np.ndarray):
            return Static(obj)
        if isinstance(obj, SCALARS) and not isinstance(obj, np.generic):
            return Const(obj)
        consts = self.fn.constants
        if name in consts and consts[name] is not obj:
            name = self.namer.fresh(name)
        self.namer.assigned.add(name)
        consts[name] = obj
        return Var(name)

    def attribute(self, node, env, target):
        base = self.expr(node.value, env)
        if type(base) is Static:
            try:
                obj = getattr(base.obj, node.attr)
            except AttributeError:
                raise UnsupportedSyntaxError(
                    f"{dotted(node) or node.attr} does not exist", *self.parsed.where(node)) from None
            return self.outer(dotted(node) or node.attr, obj)
        if node.attr in ATTRIBUTES:
            return self.emit(node.attr, (self.as_atom(base),), target=target)
        raise self.unsupported(node, f"the attribute .{node.attr}",
                               "use .T, .shape, .ndim, .size or a NumPy function")

    def subscript(self, node, env, target):
        base = self.expr(node.value, env)
        index = self.expr(node.slice, env)
        if isinstance(node.slice, gast.List):  # x[[0, 2]] takes rows 0 and 2; x[0, 2] one entry
            atoms = [self.as_atom(v) for v in index]
            index = Const([a.value for a in atoms]) if all(type(a) is Const for a in atoms) \
                else self.emit("np.array", atoms)
        if type(base) is tuple:
            if type(index) is Const and isinstance(index.value, (int, slice)):
                return base[index.value]
            base = self.list_in(self.block, base)  # a computed index: a real list to index
        return self.emit("getitem", (self.as_atom(base), self.as_atom(index)), target=target)

    def call(self, node, env, target):
        if any(isinstance(a, gast.Starred) for a in node.args) or any(
                k.arg is None for k in node.keywords):
            raise self.unsupported(node, "*args or **kwargs in a call", "pass arguments by name")
        func = node.func
        if isinstance(func, gast.Attribute):
            base = self.expr(func.value, env)
            if func.attr == "pop" and not node.args and isinstance(func.value, gast.Name) and \
                    type(base) in (Var, tuple):  # a list (the tape of generated code): its last
                name = func.value.id
                if type(base) is tuple:
                    env[name] = base[:-1]
                    return base[-1]
                last = self.emit("getitem", (base, Const(-1)), target=target)
                env[name] = self.emit("getitem", (base, Const(slice(None, -1))), target=name)
                return last
            if type(base) is not Static:  # a method of an array: x.sum(axis=0)
                prim = METHODS.get(func.attr)
                if prim is None:
                    raise self.unsupported(node, f"the method .{func.attr}()",
                                           f"use a NumPy function; supported methods: "
                                           f"{', '.join(sorted(METHODS))}")
                args = [self.as_atom(base)] + [self.atom(a, env) for a in node.args]
                if func.attr in ("reshape", "transpose") and len(args) > 2:
                    args = [args[0], self.as_atom(tuple(args[1:]))]
                return self.primitive(prim, node, args, env, target)
            callee = self.attribute(func, env, None)
        else:
            callee = self.expr(func, env)
        if type(callee) is not Static:
            raise self.unsupported(node, "calling a value that is not a function")
        obj = callee.obj
        if obj in (max, min) and len(node.args) == 1 and not node.keywords:
            items = self.expr(node.args[0], env)  # max([a, b, c]): pairwise, as Python does
            if type(items) is not tuple or not items:
                raise self.unsupported(node, f"{obj.__name__}() of a sequence built at run time",
                                       f"use np.{obj.__name__} or {obj.__name__}(a, b)")
            best = self.as_atom(items[0])
            for item in items[1:]:
                best = self.emit(obj.__name__, (best, self.as_atom(item)))
            return best
        prim = BY_OBJECT.get(obj) if _hashable(obj) else None
        if prim is not None and PRIMS[prim].form == "seq":
            return self.sequence(prim, node, env, target)
        if prim is not None:
            args = [self.atom(a, env) for a in node.args]
            if prim == "math.log" and len(args) == 2:  # log(x, base) = log(x) / log(base)
                num = self.emit("math.log", args[:1])
                den = self.emit("math.log", args[1:]) if type(args[1]) is Var else Const(
                    PRIMS["math.log"].fn(args[1].value))
                return self.emit("truediv", (num, den), target=target)
            return self.primitive(prim, node, args, env, target, OBJECT_OPTIONS.get(obj))
        if obj is slice:  # slice(None, -1, None), as generated code spells a constant slice
            parts = [self.atom(a, env) for a in node.args]
            if all(type(p) is Const for p in parts):
                return Const(slice(*(p.value for p in parts)))
        if obj is sum and len(node.args) == 1 and type(self.expr(node.args[0], env)) is Var:
            return self.emit("list_sum", (self.atom(node.args[0], env),), target=target)
        if obj is sum and len(node.args) == 1 and type(self.expr(node.args[0], env)) is tuple:
            items = [self.as_atom(v) for v in self.expr(node.args[0], env)]
            total = Const(0)
            for item in items:
                total = item if total == Const(0) else self.emit("add", (total, item))
            return total
        if isinstance(obj, types.FunctionType):
            return self.inline(obj, node, env, target)
        if isinstance(obj, LocalFunction):
            return self.inline_local(obj, node, env, target)
        from .custom import how_to_register
        raise NoDerivativeError(how_to_register(obj, dotted(func)), *self.parsed.where(node))

    def primitive(self, name, node, args, env, target, defaults=None):
        p = PRIMS[name]
        params = p.params
        if params and params[-1].startswith("*"):  # np.einsum(subscripts, *operands)
            params = params[:-1] + ("",) * max(len(args) - len(params) + 1, 0)
        names = list(params) + list(p.options)
        if len(args) > len(names):
            raise self.unsupported(node, f"{name} with {len(args)} positional arguments")
        kwargs = {k: Const(v) for k, v in (defaults or {}).items()}
        kwargs.update(zip(names[len(params):], args[len(params):]))
        args = args[:len(params)]
        for k in node.keywords:
            if k.arg in p.options:
                kwargs[k.arg] = self.atom(k.value, env)
            elif k.arg in params[len(args):] and len(args) == params.index(k.arg):
                args.append(self.atom(k.value, env))
            else:
                raise self.unsupported(node, f"the argument {k.arg}= of {name}",
                                       f"supported keywords: {', '.join(p.options) or 'none'}")
        return self.emit(name, args, tuple(kwargs.items()), target=target)

    def sequence(self, name, node, env, target):
        """np.stack([a, b], axis=0): the items of the list are the operands. np.array nests:
        np.array([[a, b], [c, d]]) is an np.array of np.arrays."""
        p = PRIMS[name]
        items = self.expr(node.args[0], env) if node.args else None
        if type(items) is not tuple:
            if name == "np.array" and type(items) is Const and len(node.args) == 1 \
                    and not node.keywords:
                return self.emit("np.copy", (items,), target=target)
            whole = name.replace("np.", "") + "_list"  # a list a loop builds or a caller passes
            if type(items) is Var and whole in PRIMS:
                return self.primitive(whole, node, [items] + [self.atom(a, env)
                                                              for a in node.args[1:]],
                                      env, target)
            raise self.unsupported(node, f"{name} of something other than a list or tuple",
                                   f"write the operands out: {name}([a, b])")
        kwargs = {k: self.atom(a, env) for k, a in zip(p.options, node.args[1:])}
        for k in node.keywords:
            if k.arg not in p.options:
                raise self.unsupported(node, f"the argument {k.arg}= of {name}",
                                       f"supported keywords: {', '.join(p.options) or 'none'}")
            kwargs[k.arg] = self.atom(k.value, env)
        kwargs = tuple(kwargs.items())
        nested = name == "np.array"

        def operand(item):
            if nested and type(item) is tuple and not all(type(i) is Const for i in item):
                return self.emit(name, [operand(i) for i in item], kwargs)
            return self.as_atom(item)
        return self.emit(name, [operand(i) for i in items], kwargs, target=target)

    def inline_local(self, local, node, env, target):
        since = len(self.block)
        fn = local.node
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs or fn.decorator_list:
            raise self.unsupported(fn, "*args, **kwargs, keyword-only parameters or decorators on "
                                   "a nested function")
        if any(s is fn for s in self.stack):
            raise self.unsupported(node, f"recursion ({fn.name} calls itself)",
                                   "write the recursion as a loop")
        params = [a.id for a in args.args]
        values = [self.expr(a, env) for a in node.args]
        # the enclosing function's names as they are bound now, as Python's closures read them
        scope = local.owner.env_now
        bound = {k: v for k, v in scope.items() if not k.startswith("<")}  # (not its flags)
        bound.update(zip(params, values))
        for k in node.keywords:
            if k.arg not in params:
                raise self.unsupported(node, f"the argument {k.arg}= of {fn.name}()")
            bound[k.arg] = self.expr(k.value, env)
        defaults = args.defaults or []
        for p, d in zip(params[len(params) - len(defaults):], defaults):
            if p not in bound or len(values) <= params.index(p) and p not in (
                    k.arg for k in node.keywords):
                bound[p] = self.expr(d, local.env)
        missing = [p for p in params if p not in bound]
        if missing:
            raise self.unsupported(node, f"{fn.name}() without {', '.join(missing)}")
        inner = Lowerer(local.parsed, self.fn, self.namer, self.stack + (fn,),
                        call_line=self.line)
        inner.block, inner.copies = self.block, self.copies
        inner.foreign = self.foreign | _names_in(env.values()) | _names_in(bound.values())
        values, as_tuple = inner.returned(inner.lower_stmts(fn.body, bound, frozenset()), bound,
                                          fn)
        value = tuple(values) if as_tuple else values[0]
        return self.bind(target, value, since) if target and type(value) is Var else value

    def inline(self, obj, node, env, target):
        since = len(self.block)
        if obj.__code__ in self.stack:
            raise self.unsupported(node, f"recursion ({obj.__name__} calls itself)",
                                   "write the recursion as a loop")
        callee = parse(obj)
        params = [a.id for a in callee.node.args.args]
        values = [self.expr(a, env) for a in node.args]
        if len(values) > len(params):
            raise self.unsupported(node, f"{obj.__name__}() with too many arguments")
        bound = dict(zip(params, values))
        for k in node.keywords:
            if k.arg not in params or k.arg in bound:
                raise self.unsupported(node, f"the argument {k.arg}= of {obj.__name__}()")
            bound[k.arg] = self.expr(k.value, env)
        defaults = obj.__defaults__ or ()
        for p, d in zip(params[len(params) - len(defaults):], defaults):
            bound.setdefault(p, self.outer(p, d))
        missing = [p for p in params if p not in bound]
        if missing:
            raise self.unsupported(node, f"{obj.__name__}() without {', '.join(missing)}")
        self.namer.reserved |= {n.id for n in gast.walk(callee.node) if isinstance(n, gast.Name)}
        inner = Lowerer(callee, self.fn, self.namer, self.stack + (obj.__code__,),
                        call_line=self.line)
        inner.block, inner.copies = self.block, self.copies
        inner.foreign = self.foreign | _names_in(env.values()) | _names_in(bound.values())
        values, as_tuple = inner.returned(inner.lower_stmts(callee.node.body, bound, frozenset()),
                                          bound, callee.node)
        value = tuple(values) if as_tuple else values[0]
        return self.bind(target, value, since) if target and type(value) is Var else value


class LocalFunction:
    """A function defined inside the differentiated one (def or lambda): inlined where it is
    called, reading the enclosing function's names as they are bound at the call."""

    def __init__(self, node, env, parsed, owner):
        self.node, self.parsed, self.owner = node, parsed, owner
        self.env = dict(env)  # as at the def, for its default values


def _names_in(values):
    return frozenset(v.name for v in _flat(values) if type(v) is Var)


def _hashable(obj):
    try:
        hash(obj)
        return True
    except TypeError:
        return False
