"""Statements: lower_stmts and the ways a statement list ends (falls through, returns, breaks, continues, or leaves on some paths through a flag); if statements; assignments."""
from __future__ import annotations

import os
import types

import gast

from ..errors import STAND_INS_FILE, ADCompileError, UnsupportedSyntaxError
from ..ir import (Assign, Const, If, Op, Var)
from ..sugar import ERRSTATE_KEYS
from ..primitives import BY_OBJECT, LIST_PRIMS, PRIMS, hashable
from ..runtime import basic_index
from ..templates import dotted
from .arguments import effectful
from .effects import RAISE, KnownToRaise, known_truth
from .changes import in_library
from .containers import in_place_method
from .targets import written_array
from .scan import Record, BROKE, held, repeats, times_held, is_super, is_method_of_name, made_as_arrays, made_of_names, GOING, IndexTarget, LocalFunction, RETURNED, Static, exit_kind, exposed_suffixes, is_append, is_pop, load_of, loaded, may_leave, only_returns, walk_own, uncached


class Statements:
    def lower_stmts(self, stmts, env, later):
        """Lower a statement list into `self.block`. `later` holds the names read after it.
        Returns how the list ends: None (falls through), ("return", values, as_tuple),
        ("break",), ("continue",), ("partial",) (some paths left through the GOING flag, others
        go on) or ("left",) (every path left, some through the flag)."""
        later = later | self.closure_reads  # a nested def may be called later and read them
        for i, stmt in enumerate(stmts):
            self.line = self.here(stmt.lineno)
            setting = self.parsed.errstate.get(stmt.lineno)
            if setting:  # inside `with np.errstate(...)` (parse.py): so is what this line makes
                merged = {**dict(self.fn.errstate.get(self.line, ())), **dict(setting)}
                self.fn.errstate[self.line] = tuple((k, merged[k]) for k in ERRSTATE_KEYS
                                                    if k in merged)
            self.env_now = env  # what a nested def called from here reads
            self.rest_now = later, stmts, i  # (for live(), when something changes in place)
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
                    stmt, env, self.after(later, stmts, i))
                if outermost and RETURNED in env:  # after it: if returned: return result
                    return self.after_returning_loop(stmt, rest, env, later)
                if RETURNED in env and any(isinstance(n, gast.Return) for n in walk_own([stmt])):
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
                if written_array(target) is not None:
                    self.check_in_place(stmt, written_array(target), env,
                                        self.after(later, stmts, i, True), "__setitem__")
                zipped = self.zipped_known(stmt.value, env) if isinstance(
                    target, (gast.Tuple, gast.List)) else None  # a, b = zip(*pairs)
                if zipped is not None:
                    self.bind_target(target, zipped, env)
                else:
                    self.assign(target, stmt.value, env)
            elif t is gast.AnnAssign and stmt.value is not None:
                self.assign(stmt.target, stmt.value, env)
            elif t is gast.AugAssign:
                self.aug_assign(stmt, env, later, stmts, i)
            elif t is gast.FunctionDef:
                env[stmt.name] = Static(LocalFunction(stmt, env, self.parsed, self))
            elif t is gast.Pass or t is gast.Expr and isinstance(stmt.value, gast.Constant):
                pass  # pass, a docstring or a bare constant
            elif t is gast.Expr and (is_method_of_name(stmt.value, ("setdefault", "pop")) and
                                     type(env.get(stmt.value.func.value.id)) is Record or
                                     is_method_of_name(stmt.value, ("pop", "remove")) and
                                     type(env.get(stmt.value.func.value.id)) is tuple):
                self.expr(stmt.value, env)  # (of a dict or list known here; del d[k], xs[k])
            elif t is gast.Expr and isinstance(stmt.value, gast.Call) and \
                    isinstance(stmt.value.func, gast.Name) and stmt.value.func.id not in env \
                    and self.expr(stmt.value.func, env) == Static(setattr):
                call = stmt.value  # setattr(o, name, v) of a name known here: o.name = v
                field = self.attribute_name(setattr, call, env, 3).value
                if len(call.args) != 3:
                    raise self.unsupported(call, "setattr without three arguments")
                self.assign(gast.copy_location(gast.Attribute(
                    value=call.args[0], attr=field, ctx=gast.Store()), call), call.args[2], env)
            elif t is gast.Expr and self.is_plain_setattr(stmt.value, env):
                self.expr(stmt.value, env)  # object.__setattr__(self, k, v) in an override
            elif t is gast.Expr and isinstance(stmt.value, gast.Call) and \
                    self.calls_user_code(stmt.value, env):  # osc.step(dt): for what it changes
                self.expr(stmt.value, env)  # (p.update(k) of the user's class too)
            elif t is gast.Expr and isinstance(stmt.value, gast.Call) and \
                    isinstance(stmt.value.func, gast.Attribute) and \
                    isinstance(stmt.value.func.value, gast.Call) and \
                    isinstance(stmt.value.func.value.func, gast.Attribute) and \
                    type(held(stmt.value.func.value.func.value, env)) is Record:  # (a user object)
                raise self.unsupported(stmt, f"calling .{stmt.value.func.attr}() on what another "
                                       "method returns, for what it changes (a chain: "
                                       "acc.add(x).add(y))", "call the methods one by one "
                                       "on a name (acc.add(x); acc.add(y))")
            elif t is gast.Expr and is_append(stmt.value):
                self.append(stmt.value, env, self.after(later, stmts, i))
            elif t is gast.Expr and isinstance(stmt.value, gast.Call) and \
                    isinstance(stmt.value.func, gast.Attribute) and \
                    stmt.value.func.attr == "append" and len(stmt.value.args) == 1 and \
                    not stmt.value.keywords and isinstance(stmt.value.func.value,
                                                           (gast.Attribute, gast.Subscript)):
                self.lowered_once(stmt.value.func.value, env, lambda call=stmt.value:
                                  self.append_to_item(call, env))  # self.history.append(v)
            elif t is gast.Expr and (is_method_of_name(stmt.value, ("extend", "insert", "update",
                                                                    "reverse")) or is_method_of_name(
                    stmt.value, ("sort",)) and (type(env.get(stmt.value.func.value.id)) is tuple or
                                                any(k.arg == "key" for k in stmt.value.keywords))):
                self.grow(stmt.value, env, self.after(later, stmts, i))
            elif t is gast.Expr and is_pop(stmt.value) and self.is_stack(stmt.value.func.value):
                self.emit("pop", (env[stmt.value.func.value.id],))  # the value is not read
            elif t is gast.Expr and is_pop(stmt.value) and \
                    type(env.get(stmt.value.func.value.id)) is Var:  # xs.pop(0) of a run-time
                item = self.expr(stmt.value, env)  # list: xs[0] (kept: its IndexError), and
                next(s for s in self.block if s.target == item.name).target = None  # xs[1:]
            elif t is gast.Expr and self.is_check(stmt.value, env):
                value = self.expr(stmt.value, env)  # a runtime check (in generated code)
                if self.block and type(self.block[-1]) is Assign and \
                        self.block[-1].target == getattr(value, "name", None):
                    self.block[-1].target = None
            elif t in (gast.Raise, gast.Assert):
                exit = self.lower_effect(stmt, env)
                if exit is not None:
                    return exit
            elif t is gast.Expr and isinstance(stmt.value, gast.Call) and \
                    isinstance(stmt.value.func, gast.Attribute) and \
                    isinstance(stmt.value.func.value, (gast.Subscript, gast.Attribute)) and \
                    held(stmt.value.func.value, env) is None and \
                    type(held(stmt.value.func.value.value, env)) in (tuple, Record):
                raise self.unsupported(stmt, f"calling .{stmt.value.func.attr}() of an item "
                                       "chosen at run time for what it changes in place",
                                       "index with a constant or a loop over range(len(...)) "
                                       "of a list known here (bs[i].step() in for i in "
                                       "range(len(bs)))")
            elif t is gast.Expr and isinstance(stmt.value, gast.Call) and \
                    self.in_place(stmt.value, env):
                pass  # np.add.at(a, i, v), a.sort(), ...: a[...] = the new value (forms.py)
            elif t is gast.Expr and isinstance(stmt.value, gast.Call) and \
                    self.for_global_state(stmt.value, env):  # np.random.seed(7): as written
                value = self.expr(stmt.value, env)
                if self.block and type(self.block[-1]) is Assign and \
                        self.block[-1].target == getattr(value, "name", None):
                    self.block[-1].target = None
            elif t is gast.Expr and isinstance(stmt.value, gast.Call):
                name = dotted(stmt.value.func) or "this function"
                error = self.unsupported(stmt, f"calling {name}(...) for what it changes in "
                                         "place (library code changing its arguments is not "
                                         "followed)", "assign the new value instead (x = "
                                         "np.sort(x)); an array's .sort() and .fill(), "
                                         "np.add.at, np.subtract.at, np.copyto, "
                                         "np.fill_diagonal, np.put, np.putmask, np.place and "
                                         "np.put_along_axis "
                                         "are followed")
                func = stmt.value.func  # o.step(dt) of an argument: an object of the user's?
                receiver = held(func.value, env) if isinstance(func, gast.Attribute) else None
                error.maybe_container = type(receiver) is Var and \
                    receiver.name in self.fn.params  # (known at the first call)
                raise error
            elif t is gast.Expr:
                raise self.unsupported(stmt, "an expression statement (its value is discarded)",
                                       "assign its result to a name or remove it")
            else:
                raise self.unsupported(stmt, self.parsed.describe(stmt))
        return None

    def live(self):
        """The names read after the statement being lowered (computed when a change in place
        needs them: for every statement it would make lowering quadratic)."""
        if self.rest_now is None:
            return frozenset()
        return self.after(*self.rest_now, bound=True)

    def after(self, later, stmts, i, bound=False):
        """`later` and the names the statements after stmts[i] may read: one table of every
        suffix per statement list (recomputing it at each statement is quadratic). `bound`: less
        the names a later statement binds before any read, where no break, continue or return
        may skip it (what a change in place must check: `u_new[0] = v; u = u_new` in a loop)."""
        table = self.suffixes.get(id(stmts))
        if table is None or table[0] is not stmts or len(table[1]) != len(stmts) + 1:
            table = self.suffixes[id(stmts)] = stmts, exposed_suffixes(stmts), {}
        tails = table[2]  # id(later) -> its table (one per lowering of the list); None -> for
        if bound and None not in tails:  # each suffix, whether it may leave (break, ...)
            leaves = [False]
            for s in reversed(stmts):
                leaves.append(leaves[-1] or may_leave([s]))
            tails[None] = leaves[::-1]
        if not bound or tails[None][i]:
            return later | table[1][i + 1]
        if id(later) not in tails or tails[id(later)][0] is not later:
            tails[id(later)] = later, exposed_suffixes(stmts, later)
        return tails[id(later)][1][i + 1]

    def after_returning_loop(self, node, rest, env, later):
        """After the outermost loop holding a return: `if returned: return result`, else the
        rest of the function."""
        values = [env[k] for k in sorted(k for k in env if k.startswith("<result"))]
        test = env[RETURNED]
        for key in [k for k in env if k.startswith("<result") or k == RETURNED]:
            del env[key]  # the slots have done their work
        if only_returns(node):  # `while True:` left only by return: the result is ready
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
            raise self.different_returns(node)
        for k, value in enumerate(values):
            env[f"<out{k}>"] = value

    def returned(self, exit, env, node):
        """The values a function body returns, given how its statements ended."""
        if exit is not None and exit[0] == "return":
            return exit[1], exit[2]
        if exit is not None and exit[0] == "left" and self.outs_tuple:
            as_tuple, n = self.outs_tuple
            return [env[f"<out{k}>"] for k in range(n)], as_tuple
        if exit == RAISE and self.parsed.filename == STAND_INS_FILE and \
                self.raised_here() is not None:  # islice(xs, -1): Python's error, at the call
            raise KnownToRaise(self.raised_here())
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
        test, line = self.test(stmt.test, env), self.line
        if type(test) is Const and known_truth(test):  # known here: that branch, then the rest
            return self.lower_stmts((stmt.body if test.value else stmt.orelse) + rest, env,
                                    later), True
        before = dict(self.bound_at)  # where the values each path keeps were bound
        after = later | loaded(rest)
        envs = [dict(env), dict(env)]
        b1, x1 = self.sub(stmt.body, envs[0], after)
        bound_at, self.bound_at = [self.bound_at], dict(before)
        b2, x2 = self.sub(stmt.orelse, envs[1], after)
        bound_at.append(self.bound_at)
        if RAISE in (x1, x2):
            if x1 == x2:
                self.block.append(If(test, b1, b2, line))
                return RAISE, True
            (x1, x2), envs = self.past_raise([x1, x2], envs)
        consumed = False
        if rest and {exit_kind(x1), exit_kind(x2)} == {None, "leave"}:
            k = 0 if x1 is None else 1
            self.bound_at = bound_at[k]
            block, exit = self.sub(rest, envs[k], later, block=(b1, b2)[k])
            bound_at[k] = self.bound_at
            x1, x2 = (exit, x2) if k == 0 else (x1, exit)
            consumed = True
        self.line = line  # (the branches moved it on)
        self.bound_at = {**bound_at[0], **bound_at[1]}
        return self.join(stmt, test, [b1, b2], [x1, x2], envs, env,
                         later | loaded(rest) if not consumed else later, consumed,
                         tuple(bound_at))

    def join(self, node, test, blocks, exits, envs, env, later, consumed, bound_at=None):
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
        left = () if self.carried else [k for k, x in enumerate(exits)
                                        if x is not None and x[0] in ("return", "left")]
        self.merge_envs(env, envs, (b1, b2), later, bound_at or {}, left)  # (no loop: left
        self.block.append(If(test, b1, b2, self.line))  # by return)
        if mixed:
            return ("partial" if kinds & {None, "partial"} else "left",), consumed
        if kinds == {"continue"}:
            return ("continue",), True
        return None, consumed

    def different_returns(self, node):
        """The refusal of paths that return different numbers of values, naming each return."""
        body = self.parsed.node.body if isinstance(self.parsed.node.body, list) else []
        returns = sorted((n for n in walk_own(body) if isinstance(n, gast.Return)),
                         key=lambda n: n.lineno)
        counts = [len(r.value.elts) if isinstance(r.value, gast.Tuple) else 1 for r in returns]
        said = "; ".join(f"line {r.lineno}: `{self.parsed.lines.get(r.lineno, '').strip()}` "
                         f"({n} value{'s' if n != 1 else ''})"
                         for r, n in zip(returns[:6], counts))
        return self.unsupported(node, f"returning a different number of values on each path "
                                f"({said})", "return as many values on every path")

    def return_from_loop(self, node, exit, env):
        """`return v` inside a loop: v goes into the function's result slots, the flag is set,
        and the loop is left; after the loop, `if returned: return result` (lower_stmts)."""
        _, values, as_tuple = exit
        slots = [k for k in env if k.startswith("<result")]
        if len(values) != len(slots) or self.returns_tuple != as_tuple:
            raise self.different_returns(node)
        for k, value in enumerate(values):
            env[f"<result{k}>"] = self.as_atom(value)
        env[RETURNED] = Const(True)
        return ("break",)

    def open_return_slots(self, loop, env):
        """Before the outermost loop holding a `return`: `returned = False` and result slots."""
        node = next((n for n in walk_own(loop.body) if isinstance(n, gast.Return)), None)
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

    def assign(self, target, value_node, env):
        since = len(self.block)
        if is_pop(value_node) and self.is_stack(value_node.func.value):
            self.pop_into(target, value_node, env)
        elif self.is_stack(target):
            self.new_stack(target.id, env)
        elif isinstance(target, gast.Name):
            env[target.id] = self.bind(target.id, self.expr(value_node, env, target=target.id),
                                       since)
            self.put_into.pop(target.id, None)  # a new value: held by no container yet
            self.held_twice.pop(target.id, None)
            root = value_node
            while isinstance(root, (gast.Subscript, gast.Attribute)):
                root = root.value
            if root is not value_node and isinstance(root, gast.Name) and \
                    env[target.id] == ():  # h = state["hist"]: an empty list is told apart
                self.put_into[target.id] = {root.id: self.parsed.where(target)[1]}  # (from
                # no other by its value)
        elif isinstance(target, (gast.Tuple, gast.List)):
            value = self.expr(value_node, env)
            self.unpacked_views(target, value_node, value, env)
            self.bind_target(target, value, env, since=since)
        elif isinstance(target, (gast.Subscript, gast.Attribute)):
            value = self.expr(value_node, env)  # (Python: the value, then the target's parts)
            self.store_once(target, value, env)
        else:
            raise self.unsupported(target, "this assignment target")

    def unpacked_views(self, target, value_node, value, env):
        """`M[0], M[1] = M[1], M[0]`: Python reads the values on the right first, but a view of M
        among them (a row of a matrix) shows M[0] as the first store left it, so NumPy copies row
        1 into both; flat code swaps values. Generated code checks that no other value of the
        unpacking shares memory with a part stored into (numbers and 1-D entries do not)."""
        if type(value) is not tuple or not isinstance(value_node, (gast.Tuple, gast.List)) or \
                len(value) != len(target.elts) or len(value_node.elts) != len(value):
            return
        for i, t in enumerate(target.elts):
            root = t
            while isinstance(root, (gast.Subscript, gast.Attribute)):
                root = root.value
            if root is t or not isinstance(root, gast.Name) or \
                    type(env.get(root.id)) is not Var or effectful(t):  # (y[f()]: read once)
                continue
            others = [j for j, v in enumerate(value) if j != i and type(v) is Var and isinstance(
                value_node.elts[j], (gast.Name, gast.Subscript, gast.Attribute))]  # (M[1] * 1.0
            # is a new array in Python: the optimizer may still pass M[1] itself)
            if others:  # (against the part stored into: M[1] is no view of row 0)
                filename, line = self.parsed.where(t)
                self.block.append(Assign(None, Op("check_unpacked", (
                    self.as_atom(self.expr(load_of(t), env)), Const("__setitem__"),
                    Const(f"{os.path.basename(filename)}:{line}"), Const(gast.unparse(t).strip()),
                    Const(", ".join(gast.unparse(value_node.elts[j]).strip() for j in others)),
                    *[value[j] for j in others])), self.line))

    def store(self, target, value, env, plain=False):
        """`x[i] = value`, `p["W"] = value`, `self.W = value`, and through items and attributes
        (`m[i][j] = value`, `bodies[0].v = value`, `p["layer"]["b"] = value`): the container
        with that item replaced, stored in turn where it came from, up to a name."""
        base = target.value
        if isinstance(base, gast.Attribute) and base.attr == "flat" and \
                isinstance(target, gast.Subscript):
            return self.store_flat(target, value, env)
        if not isinstance(base, (gast.Name, gast.Subscript, gast.Attribute)):
            raise self.unsupported(target, "assigning into the result of an expression")
        container = self.expr(base, env)
        root = base
        while not isinstance(root, gast.Name):
            if not isinstance(root, (gast.Subscript, gast.Attribute)):
                raise self.unsupported(target, "assigning into the result of an expression")
            root = root.value
        if root.id not in env:  # CFG["calls"] = ...: Python changes the global itself
            raise self.unsupported(target, f"changing {root.id}, a global, in place (generated "
                                   "code reads globals as constants)", "pass it as an argument "
                                   "and return the new value, or build it inside the function")
        if base is root and type(container) is Record and root.id in self.items_of and \
                held(self.items_of[root.id], env) is container:  # for b in bs: b.v = v, b["v"] = v
            new = self.record_store(container, target, value, env, plain)
            if self.through_item(target, root.id, container, new, env):
                return
        if type(container) in (tuple, Record):  # another name holding it would see the change
            self.not_shared(target, root.id, env, self.live(), container)
        elif base is not root:  # an array or list made at run time, held in a container
            if root.id in self.held_twice:  # grid.append(row) twice: grid[0][1] = v
                twice, line = self.held_twice[root.id]
                raise self.unsupported(target, f"changing an item of {root.id} in place, which "
                                       f"holds {twice} at several places (appended again at line "
                                       f"{line}): Python changes it at every place",
                                       f"append a copy ({root.id}.append(" + (
                                           f"list({twice})" if type(env.get(twice)) is tuple or
                                           self.sequence_kinds.get(twice) == "list" else
                                           f"{twice}.copy()") + "))")
            self.check_in_place(target, root.id, env, self.live(), "__setitem__", item=base)
            if isinstance(base, gast.Subscript) and \
                    type(held(base.value, env)) not in (tuple, Record):  # (not q["W"] of a dict)
                self.a_view(base, env)
        if base is not root:  # m[0][1] = v with m = [row] * 2
            self.not_repeated(target, root.id, env, container)
            if isinstance(base, gast.Attribute) and isinstance(target, gast.Subscript) and \
                    type(self.expr(base.value, env)) not in (Record, tuple):  # Y.T[0] = a
                raise self.unsupported(target, f"assigning into {gast.unparse(base).strip()}"
                                       f"[...], an array's .{base.attr}", "assign into the array "
                                       "itself (Y[:, 0] = a for Y.T[0] = a)")
        new = self.store_into(container, target, value, env, root.id if base is root else None,
                              plain)
        if base is root:
            env[root.id] = new
        else:  # (self.d[k] = v: self.d read, changed in place; no self.d = ... runs: plain)
            self.store(base, new, env, plain=True)

    def a_view(self, item, env):
        """`y[index][j] = v` changes y where y[index] is a view of it (ints, slices); an array
        or list index makes a copy, which Python changes and drops: refused, here where the
        index is known, else by generated code when it runs (check_view_index)."""
        index = self.expr(item.slice, env)
        what = gast.unparse(item).strip()
        if type(index) is Const or type(index) is tuple and all(type(i) is Const for i in index):
            if self.is_list(index) or not basic_index(index.value if type(index) is Const else
                                                      tuple(i.value for i in index)):
                raise self.unsupported(item, f"assigning into {what}, a copy (an array or "
                                       "list index makes one, which Python changes and drops)",
                                       "assign into the array itself")
            return
        if type(index) is Var and index.name in self.indices:  # y[i][j] = v in a loop over i
            return
        filename, line = self.parsed.where(item)
        self.block.append(Assign(None, Op("check_view_index", (
            self.as_atom(index), Const(f"{os.path.basename(filename)}:{line}"), Const(what))),
            self.line))

    def not_repeated(self, node, name, env, value):
        """Refuse changing in place a list or object that `name` holds at several places: once
        a list known here holding one row twice (`m = [row] * 2`, `self.repeated`) is made at
        run time, its rows are no longer one list, so any item's change is refused."""
        if name in self.repeated or (type(value) is Record or type(value) is tuple and value) \
                and times_held(env[name], value) > 1:
            raise self.unsupported(node, f"changing in place a list or object that {name} "
                                   "holds at several places (a list repeated, [row] * n, holds "
                                   "one row n times: Python changes it at every place)",
                                   "make each one separately ([[...] for _ in range(n)])")

    def store_into(self, container, target, value, env, name=None, plain=False):
        """`container` with the item or attribute `target` names set to `value`: a new record
        or list known here, or `setitem` of an array or list made at run time."""
        if type(container) is Record:
            return self.record_store(container, target, value, env, plain)
        if isinstance(target, gast.Attribute):
            name = dotted(target.value) or "a"
            raise self.not_an_array(target, f"assigning to the attribute .{target.attr} of an "
                                    "array", f"bind a new array instead ({name} = {name}."
                                    "reshape(...) for .shape, np.real/np.imag for .real/.imag)")
        if type(container) is tuple:  # a list known here: replace an item
            index = self.expr(target.slice, env)
            items = list(container)
            if type(index) is Const and type(index.value) is slice and type(value) is tuple:
                items[index.value] = value  # xs[1:3] = [a, b]: those items replaced
                return self.same_kind(container, items)
            if type(index) is not Const or type(index.value) not in (int, slice):
                raise self.unsupported(target, f"assigning to a list item at an index computed "
                                       f"at run time ({gast.unparse(target.slice).strip()})",
                                       "use an index known when the code is transformed, or "
                                       "an array (np.array(xs))")
            if type(index.value) is slice:
                raise self.unsupported(target, "assigning to a slice of a list something "
                                       "other than a list or tuple written or built here",
                                       "assign a list ([a, b]) or the items one by one")
            if -len(items) <= index.value < len(items):  # (else a run-time list: IndexError)
                items[index.value] = value
                return tuple(items)
            container = self.list_in(self.block, container)
        array = self.as_atom(container)
        index = self.as_atom(self.index(target, env, array))
        return self.emit("setitem", (array, index, self.as_atom(value)), target=name)

    def bind_target(self, target, value, env, index=None, since=None):
        if isinstance(target, IndexTarget):
            start = target.start
            value = Var(index) if start is None else self.emit("add", (Var(index), start))
            env[target.node.id] = value
        elif isinstance(target, gast.Name):
            env[target.id] = self.bind(target.id, value, since)
        elif isinstance(target, (gast.Tuple, gast.List)):
            starred = [k for k, t in enumerate(target.elts) if isinstance(t, gast.Starred)]
            if len(starred) == 1 and type(value) is tuple and \
                    len(value) >= len(target.elts) - 1:  # first, *rest = a, b, c: rest a list
                k, after = starred[0], len(target.elts) - starred[0] - 1
                middle = value[k:len(value) - after]
                value = value[:k] + (middle,) + value[len(value) - after:]
                target = gast.Tuple(elts=target.elts[:k] + [target.elts[k].value] +
                                    target.elts[k + 1:], ctx=gast.Store())
                if isinstance(target.elts[k], gast.Name):
                    self.sequence_kinds[target.elts[k].id] = "list"
            elif len(starred) == 1 and type(value) is Var:  # c, *_ = lstsq(...): the items
                value, target = self.starred_items(target, starred[0], value)  # and a list
            if type(value) is Record and value.kind == "namedtuple":  # W, b = layer
                value = value.values
            if type(value) is not tuple:
                value = tuple(self.emit("getitem", (self.as_atom(value), Const(i)))
                              for i in range(len(target.elts)))
            if len(value) != len(target.elts):
                raise self.unsupported(target, f"unpacking {len(value)} values into "
                                       f"{len(target.elts)} names", "match the counts")
            for t, v in zip(target.elts, value):  # (the values all computed first)
                if isinstance(t, (gast.Subscript, gast.Attribute)):  # self.x, self.y = x, y
                    self.store_once(t, v, env)
                elif not isinstance(t, (gast.Name, IndexTarget, gast.Tuple, gast.List)):
                    raise self.not_an_array(t, "a starred unpacking target (a, *rest = ...) "
                                            "of an array or a list made at run time",
                                            "index it instead (a, rest = xs[0], xs[1:])",
                                            fields=False)
                else:
                    self.bind_target(t, v, env, index, since)
        else:
            raise self.unsupported(target, "this loop target")

    def starred_items(self, target, k, value):
        """`a, b, *rest = v` of a call's tuple (np.linalg.lstsq's) or a list made at run time:
        v[0], v[1] and list(v[2:]), as Python makes them; `*init, last = v` and `a, *mid, b = v`
        read the names after the starred one from v's end, v's length checked against them
        first (Python's ValueError). An array's rest, a list of its rows: refused."""
        made = next((s.value for s in reversed(self.block) if type(s) is Assign and
                     s.target == value.name), None)
        if type(made) is not Op or made.prim not in LIST_PRIMS:
            raise self.not_an_array(target, "a starred unpacking target (a, *rest = ...) of an "
                                    "array or a list made at run time", "index it instead (a, "
                                    "rest = xs[0], xs[1:]); a, *rest = f(...) of a function "
                                    "returning a tuple (np.linalg.lstsq) is unpacked",
                                    fields=False)
        starred = target.elts[k].value
        if isinstance(starred, gast.Name):
            self.sequence_kinds[starred.id] = "list"
        after = len(target.elts) - k - 1
        if after:
            self.block.append(Assign(None, Op("check_unpack", (value, Const(k + after))),
                                     self.line))
        items = tuple(self.emit("getitem", (value, Const(i))) for i in range(k)) + (
            self.emit("list_copy", (self.emit("getitem", (value, Const(slice(
                k, -after if after else None)))),)),) + \
            tuple(self.emit("getitem", (value, Const(i - after))) for i in range(after))
        return items, gast.Tuple(elts=target.elts[:k] + [starred] + target.elts[k + 1:],
                                 ctx=gast.Store())

    def made(self, kind):
        """The names this function binds to new arrays ("arrays") or to lists of names
        ("lists"), found once per function (scan.made_as_arrays, scan.made_of_names)."""
        if kind not in self.made_names:
            self.made_names[kind] = made_as_arrays(self.parsed.nodes, self.parsed.scope) \
                if kind == "arrays" else made_of_names(self.parsed.nodes)
        return self.made_names[kind]

    def aug_assign(self, stmt, env, later, stmts, i):
        """`a += b`, `x[i] *= v`, `p.W -= g`: the target's indexes evaluated once (targets.py)."""
        added = () if isinstance(stmt.target, gast.Name) else \
            self.target_once(stmt.target, env, "changing")
        try:
            self.aug_assign_once(stmt, env, later, stmts, i)
        finally:
            self.forget_once(added)

    def aug_assign_once(self, stmt, env, later, stmts, i):
        if self.in_place_operator(stmt, env):
            method = gast.copy_location(gast.Attribute(
                value=load_of(stmt.target), attr=self.in_place_operator(stmt, env),
                ctx=gast.Load()), stmt)  # a += b: a.__iadd__(b), which changes a
            value = self.expr(gast.copy_location(gast.Call(func=method, args=[stmt.value],
                                                           keywords=[]), stmt), env)
            if isinstance(stmt.target, gast.Name):
                self.bind_target(stmt.target, value, env)
            else:
                self.store(stmt.target, value, env)
            return
        if isinstance(stmt.target, gast.Name) and type(env.get(stmt.target.id)) is \
                tuple and self.is_list(env[stmt.target.id]):  # xs += [v] grows xs
            self.not_shared(stmt, stmt.target.id, env, self.after(later, stmts, i))
        elif isinstance(stmt.target, gast.Name):
            self.check_in_place(stmt, stmt.target.id, env,
                                self.after(later, stmts, i, True),
                                in_place_method(type(stmt.op).__name__))
        elif isinstance(stmt.target, (gast.Subscript, gast.Attribute)) and \
                isinstance(stmt.target.value, gast.Name) and \
                type(env.get(stmt.target.value.id)) in (tuple, Record):
            # parts["vel"] += v: the array the container holds changes in place
            self.check_in_place(stmt, stmt.target.value.id, env,
                                self.after(later, stmts, i, True),
                                in_place_method(type(stmt.op).__name__),
                                load_of(stmt.target))
        elif written_array(stmt.target) is not None:
            self.check_in_place(stmt, written_array(stmt.target), env,
                                self.after(later, stmts, i, True),
                                "__setitem__")  # x[i] *= v writes into x as x[i] = v does
            if self.checks_unbound and written_array(stmt.target) in self.made("lists"):
                self.item_not_shared(stmt, load_of(stmt.target), env, self.after(
                    later, stmts, i), in_place_method(type(stmt.op).__name__))  # params[i] -= g
                # of params = [W, b]: the array W changes in place, in the list and as W
        load = load_of(stmt.target)
        binop = gast.copy_location(gast.BinOp(left=load, op=stmt.op, right=stmt.value), stmt)
        old = env.get(stmt.target.id) if isinstance(stmt.target, gast.Name) else None
        self.assign(stmt.target, binop, env)
        if type(old) is Var and stmt.target.id in self.made("arrays"):
            self.block.append(Assign(None, Op("check_fits", (
                old, self.as_atom(env[stmt.target.id]), Const(stmt.target.id))),
                self.line))  # (NumPy writes into the array: its shape and dtype)

    def in_place_operator(self, stmt, env):
        """For `a += b` where a is an object whose class defines __iadd__ in Python: its name."""
        record = held(stmt.target, env)
        name = in_place_method(type(stmt.op).__name__)
        return name if type(record) is Record and record.kind != "dict" and isinstance(
            vars(self.defining(record.cls, name) or object).get(name), types.FunctionType) \
            else None

    def calls_user_code(self, node, env):
        """Whether `node` calls a function or a method of a class written in the user's code
        (inlined, so what it changes is seen), not a library's."""
        func = node.func
        if is_super(func):
            return True
        if isinstance(func, gast.Name):
            value = env[func.id] if func.id in env else Static(self.parsed.scope.get(func.id))
            obj = value.obj if type(value) is Static else None
        elif isinstance(func, gast.Attribute) and type(held(func.value, env)) is Record and \
                held(func.value, env).kind != "dict":  # osc.step(dt), bs[0].step(dt)
            obj = getattr(held(func.value, env).cls, func.attr, None)
        else:
            return False
        obj = uncached(getattr(obj, "__func__", obj))  # (a static or class method, a cache)
        return isinstance(obj, LocalFunction) or isinstance(obj, types.FunctionType) and \
            not in_library(obj.__code__.co_filename)

    def is_check(self, node, env):
        """A call made for its effect that has no derivative: `check_scalar(L)`."""
        if not isinstance(node, gast.Call) or isinstance(node.func, gast.Attribute):
            return False
        try:
            callee = self.probe(node.func, env)
        except ADCompileError:
            return False
        name = BY_OBJECT.get(callee.obj) if type(callee) is Static and hashable(callee.obj) \
            else None
        return name is not None and PRIMS[name].kind == "nondiff"

    def bind(self, name, value, since=None):
        """Give a value the user's name: an equation result is renamed, other values aliased.
        Only a result the expression being bound computed (a statement at `since` or later) is
        renamed: an older one may be held under another name too."""
        block = self.block
        self.bound_at[name] = self.line
        if type(value) in (tuple, Record) and (repeats(value) or any(
                value is r for r in self.repeats_made)):  # m = [row] * 2: see not_repeated
            self.repeated.add(name)
        if type(value) is Var and value.name in self.namer.temps and since is not None and \
                value.name not in self.foreign and value.name not in self.held and \
                len(block) > since and \
                type(block[-1]) is Assign and block[-1].target == value.name:
            block[-1].target = self.namer.fresh(name)
            self.renamed(value.name, block[-1].target)
            return Var(block[-1].target)
        return value

