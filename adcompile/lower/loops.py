"""Loops: for and while, the names a loop carries, how an iteration is taken (range, enumerate, zip, a known tuple, reversed(range) as reverse mode writes it)."""
from __future__ import annotations

import types

import gast
import numpy as np

from ..ir import (Assign, Break, Const, For, If, Op, Var, While)
from ..errors import ADCompileError
from ..runtime import UNBOUND, UNBOUND_INT
from .comprehensions import Indexed, Later, holds_keys, zipped_here
from .containers import must_unroll
from .changes import changes, function_of
from .scan import MUTATORS, loop_names, LocalFunction, exposed, Record, assigned_names, augments, is_method_of_name, held, changes_in_place, leaf_name, holds, holds_record, names_in, rebound_names, BROKE, Enumerate, GOING, IndexTarget, RETURNED, Static, flat, loaded, may_leave, stored, user_name, walk_own


def containers_in(value):
    """`value` and the dicts, lists and objects known here inside it."""
    parts = value.values if type(value) is Record else value if type(value) is tuple else ()
    return [value] + [p for v in parts if type(v) in (Record, tuple) and (type(v) is not tuple or v)
                      for p in containers_in(v)]


def item_sources(stmt):
    """(name, node of the sequence, keyed) for each name a for loop binds to the items of a
    sequence: `for p in ps`, the p of `enumerate(ps)`, each of `zip(ps, gs)`, `reversed(ps)`;
    keyed for the values of a dict (`d.values()`, the v of `d.items()`)."""
    target, it = stmt.target, stmt.iter
    func = it.func if isinstance(it, gast.Call) and not it.keywords else None
    name = func.id if isinstance(func, gast.Name) else func.attr \
        if isinstance(func, gast.Attribute) and not it.args else None
    elts = target.elts if isinstance(target, gast.Tuple) else ()
    pairs = [(target, it.args[0], False)] if name == "reversed" and len(it.args) == 1 else \
        [(elts[1], it.args[0], False)] if name == "enumerate" and len(elts) == 2 and it.args \
        else [(t, a, False) for t, a in zip(elts, it.args)] if name == "zip" and \
        len(elts) == len(it.args) else [(target, func.value, True)] if name == "values" else \
        [(elts[1], func.value, True)] if name == "items" and len(elts) == 2 else \
        [] if name in ("enumerate", "zip", "items") else [(target, it, False)]
    return [(t.id, seq, keyed) for t, seq, keyed in pairs if isinstance(t, gast.Name)]


def item_advice(seq, keyed):
    """What to write instead of changing an array in place through a loop's name for an item
    of `seq` (a gast node): assign the sequence's item, or change each array by its name."""
    text = gast.unparse(seq).strip()
    if isinstance(seq, (gast.List, gast.Tuple)) and seq.elts and \
            all(isinstance(e, gast.Name) for e in seq.elts):
        return "change each array by its own name (" + "; ".join(
            f"{e.id} -= ..." for e in seq.elts[:2]) + ")"
    if isinstance(seq, (gast.Name, gast.Attribute, gast.Subscript)):
        i = "k" if keyed else "i"
        return (f"assign a new array to its item instead (for {i} in " +
                (text if keyed else f"range(len({text}))") + f": {text}[{i}] = {text}[{i}] - "
                f"...) and read it as {text}[{i}]")
    return "make a new array (p = p - ...) and keep it in a list of your own"


def runs_here(bounds):
    """Whether a loop over range(*bounds) runs at least once, as known here."""
    if not all(type(b) is Const and type(b.value) is int for b in bounds):
        return False
    try:
        return len(range(*(b.value for b in bounds))) > 0
    except ValueError:  # (a step of 0: Python's error, when run)
        return False


def binds_first(body, name):
    """Whether a loop body binds `name` in one of its own statements before any that may leave
    the iteration (a break, continue, return or raise): then each iteration binds it."""
    for stmt in body:
        if isinstance(stmt, (gast.Assign, gast.AnnAssign)) and any(
                isinstance(n, gast.Name) and n.id == name for t in (
                    stmt.targets if isinstance(stmt, gast.Assign) else [stmt.target])
                for n in gast.walk(t)):
            return True
        if any(isinstance(n, (gast.Break, gast.Continue, gast.Return, gast.Raise))
               for n in gast.walk(stmt)):
            return False
    return False


class Loops:
    def changed_items(self, stmt, env):
        """The names a for loop binds to items of a sequence that its body changes in place
        (`p -= g`, `p[0] = v`), with the sequence: {name: (node, keyed)}."""
        sources = {name: (seq, keyed) for name, seq, keyed in item_sources(stmt)}
        if not sources:
            return {}
        by_calls = self.changed_by_calls(stmt.body, env)
        return {name: source for name, source in sources.items() if augments(stmt.body, name)
                or changes_in_place(stmt.body, name, through_calls=False) or name in by_calls}

    def lower_for(self, stmt, env, later):
        seen, in_place = self.iterated_changes(stmt, env)
        changed = self.changed_items(stmt, env)
        outer_items = {name: self.loop_seqs.get(name) for name in changed}
        try:
            self.lower_for_items(stmt, env, later, seen, in_place, changed)
        finally:
            for name, old in outer_items.items():
                if old is None:
                    self.loop_seqs.pop(name, None)
                else:
                    self.loop_seqs[name] = old

    def lower_for_items(self, stmt, env, later, seen, in_place, changed):
        """lower_for; `changed`: changed_items, whose changes in place a check guards (an
        array held elsewhere too is refused; the loop's sequence when made at run time)."""
        for name, (seq, keyed) in changed.items():  # (unrolled: its holders are known here)
            self.loop_seqs[name] = (item_advice(seq, keyed), None)
        self.unroll_changed = bool(changed) and not may_leave(stmt.body)
        bounds, elements, target, reverse, count = self.iteration(stmt, seen)
        self.unroll_changed = False
        current = in_place and bounds is not None and type(elements) is tuple and \
            len(elements) == 1 and elements[0] == env.get(in_place)
        if bounds is None:  # a tuple known here: unroll
            foreign = self.foreign  # the elements still to come keep their names
            named = self.item_targets(stmt, env, elements)
            for k, element in enumerate(elements):
                if in_place:  # u[-1] += 1 in `for ui in u`: later items are read as they are now
                    element = self.current_item(env[in_place], k)
                self.foreign = foreign | names_in(elements[k + 1:])
                self.bind_indexed(target, element, env)  # (zip's run-time items: Later)
                for name, seq in named:  # for b in bs: b is bs[k] (a change to b is one to
                    self.items_of[name] = gast.copy_location(gast.Subscript(  # bs[k])
                        value=seq, slice=gast.Constant(value=k, kind=None),
                        ctx=gast.Load()), seq)
                _, exit = self.sub(stmt.body, env, later | exposed(stmt.body), block=self.block)
                for name, _ in named:
                    self.items_of.pop(name, None)
                if exit is not None:
                    raise self.unsupported(stmt, "a break, continue, return or raise in a "
                                           "loop over a tuple")
            self.foreign = foreign
            return
        if elements is None and not reverse and count is None and self.unrolled(stmt, bounds, env,
                                                                                later):
            return
        names = {n.id for n in gast.walk(stmt.target) if isinstance(n, gast.Name)}
        carried = self.carry(stmt, env, later, names,  # (read after the loop: carried out)
                             counter=target.id if elements is None else None,
                             runs=runs_here(bounds))
        if current:  # the sequence the loop changes in place: read under its loop name
            elements = (env[in_place],)
        index = self.namer.fresh(target.id) if elements is None else \
            self.fresh_index(getattr(elements, "counter", None) or target)
        self.indices.add(index)
        def lower(body_env):
            body, exit = self.sub([], body_env, later)
            outer, self.block = self.block, body
            try:
                if elements is None:
                    body_env[target.id] = Var(index)
                elif type(elements) is Indexed:  # nested iteration helpers
                    self.bind_indexed(target, elements.at(Var(index)), body_env)
                elif type(target) is Enumerate:
                    self.bind_target(IndexTarget(target.index, target.start), None, body_env,
                                     index)
                    self.bind_target(target.value, self.emit("getitem", (elements[0],
                                                                         Var(index))),
                                     body_env, since=0)
                else:
                    values = tuple(self.emit("getitem", (seq, Var(index))) for seq in elements)
                    self.bind_target(target, values if type(target) is gast.Tuple and
                                     len(values) > 1 else values[0], body_env, index, since=0)
                for name in changed if elements is not None else ():  # an item of a sequence
                    self.loop_seqs[name] = (self.loop_seqs[name][0], body_env.get(name))
                # iterated at run time: who else holds it is not known
                return body, self.lower_stmts(stmt.body, body_env, later | exposed(stmt.body))
            finally:
                self.block = outer
        body, exit, body_env = self.loop_body(stmt, env, carried, lower)
        self.finish_loop(stmt, exit, body, body_env, carried, env)
        self.line = self.here(stmt.lineno)
        self.block.append(For(index, bounds, body, self.line, reverse=reverse, count=count))

    def item_targets(self, stmt, env, elements):
        """(name, node of the sequence) for each name of a loop unrolled over a sequence known
        here that is bound to the items of a sequence a name holds: `for b in bs`, the `b` of
        `for i, b in enumerate(bs)`, each of `for a, b in zip(as_, bs)`."""
        target, it = stmt.target, stmt.iter
        if isinstance(target, gast.Name):
            return [(target.id, it)] if held(it, env) is elements else []
        if not (isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and
                isinstance(target, gast.Tuple)) or it.keywords:
            return []
        func = self.expr(it.func, env)
        obj = func.obj if type(func) is Static else None
        pairs = [(target.elts[1], it.args[0])] if obj is enumerate and len(target.elts) == 2 \
            else list(zip(target.elts, it.args)) if obj is zip and \
            len(target.elts) == len(it.args) else []
        return [(t.id, seq) for t, seq in pairs if isinstance(t, gast.Name) and
                isinstance(seq, (gast.Name, gast.Subscript, gast.Attribute)) and
                type(held(seq, env)) is tuple]

    def unrolled(self, stmt, bounds, env, later):
        """`for k in range(n)` with constant bounds over a list of containers (`layers[k]["W"]`)
        runs at transformation time, once per k: a record has no run-time form to index."""
        if not all(type(b) is Const and type(b.value) is int for b in bounds) or \
                may_leave(stmt.body) or not isinstance(stmt.target, gast.Name):
            return False
        reads = loaded(stmt.body)
        if not any(holds_record(env[name]) or type(env[name]) is tuple and must_unroll(env[name])
                   for name in reads if name in env) and \
                not self.appends_records(stmt.body, env):  # (fs[k](x), fs a list of functions)
            return False
        for k in range(*(b.value for b in bounds)):
            env[stmt.target.id] = Const(k)
            self.sub(stmt.body, env, later | exposed(stmt.body), block=self.block)
        return True

    def appends_records(self, stmts, env):
        """Whether `stmts` append a dict, dataclass or object to a list (`rows.append({...})`,
        `rows.append(P(a, b))`, or a name bound to one there): a list of records has no
        run-time form, so a loop with a count known here building one runs here."""
        made = {n.targets[0].id for n in walk_own(stmts) if isinstance(n, gast.Assign) and
                len(n.targets) == 1 and isinstance(n.targets[0], gast.Name) and
                self.makes_record(n.value, env)}
        return any(is_method_of_name(n, ("append", "insert")) and n.args and (
            self.makes_record(n.args[-1], env) or isinstance(n.args[-1], gast.Name) and
            n.args[-1].id in made) for n in walk_own(stmts))

    def makes_record(self, node, env):
        """Whether `node` is a dict display or a call of dict or of a class of the user's."""
        if isinstance(node, gast.Dict):
            return True
        if not (isinstance(node, gast.Call) and isinstance(node.func, (gast.Name,
                                                                       gast.Attribute))):
            return False
        root = node.func
        while isinstance(root, gast.Attribute):
            root = root.value
        if not isinstance(root, gast.Name) or root.id in env:
            return False  # (a local name: a function of the user's, lowered as it is called)
        try:
            callee = self.probe(node.func, env)
        except ADCompileError:  # (not resolved here: lowering the body says what it is)
            return False
        obj = callee.obj if type(callee) is Static else None
        return obj is dict or isinstance(obj, type) and obj.__module__ not in (
            "builtins", "numpy") and not issubclass(obj, (int, float, complex, np.ndarray))

    def lower_while(self, stmt, env, later):
        carried = self.carry(stmt, env, later | loaded([stmt.test]),  # (`while go:`: go too)
                             runs=isinstance(stmt.test, gast.Constant) and bool(stmt.test.value))
        with self.inside_expression():
            test = self.atom(stmt.test, env)
        if type(test) is Var:
            carried[test.name] = test.name
        body, exit, body_env = self.loop_body(stmt, env, carried, lambda body_env: self.sub(
            stmt.body, body_env, later | exposed(stmt.body) | loaded([stmt.test])))

        def again(block):  # the test again, at the end of the body
            outer, self.block = self.block, block
            try:
                with self.inside_expression():
                    value = self.atom(stmt.test, body_env)
                self.merge_into(block, value, test.name, body_env)
            finally:
                self.block = outer
        self.finish_loop(stmt, exit, body, body_env, carried, env,
                         again if type(test) is Var else None)
        self.line = self.here(stmt.lineno)
        self.block.append(While(test, body, self.line))

    def loop_body(self, stmt, env, carried, lower):
        """(block, exit, env at its end) of a loop body, lowered by `lower(env)`; again, once, when
        two names may hold one array at its end (`u = u_new`, also a view) and the body changes
        one in place: the next iteration's `u_new[0] = v` changes u too, so they are noted as
        copies at its top, where check_in_place checks them (numbers never change in place)."""
        saved = {k: set(v) for k, v in self.copies.items()}
        for again in (False, True):
            body_env = dict(env)
            body_env.pop(GOING, None)  # every iteration starts going
            body_env.pop(BROKE, None)
            body, exit = lower(body_env)
            pairs = [] if again else self.back_edge_aliases(stmt, env, carried, body_env)
            if not pairs:
                return body, exit, body_env
            self.copies.clear()  # (the first lowering's names are gone)
            self.copies.update(saved)
            for loop_name, value in pairs:
                self.copied(loop_name, value)
        raise AssertionError("unreachable")

    def back_edge_aliases(self, stmt, env, carried, body_env):
        """(loop name, value at the top of the body) of each carried name whose value at the end
        of the body another name may hold then too, not known to at the top, where the body
        changes one of the two in place (an array made here for `x += v`)."""
        def changed(n):
            return changes_in_place(stmt.body, n) or augments(stmt.body, n) and \
                n in self.made("arrays")
        pairs = []
        for name, loop_name in sorted(carried.items()):
            end = body_env.get(name)
            if type(loop_name) is not str or type(end) is not Var:
                continue
            group = self.sharing(end.name)
            for other, value in sorted(body_env.items()):
                top = env.get(other)
                if other != name and not other.startswith("<") and type(value) is Var and \
                        value.name in group and type(top) is Var and \
                        top.name not in self.sharing(loop_name) and \
                        (changed(name) or changed(other)):
                    pairs.append((loop_name, top))
        return pairs

    def fresh_index(self, target):
        """The loop index of `for x in xs`: the user's `i` of enumerate, else a new name."""
        if type(target) is Enumerate and isinstance(target.index, gast.Name) and \
                target.start is None:
            return self.namer.fresh(target.index.id)
        name = next(n for n in ("i", "j", "k") + tuple(f"k{m}" for m in range(99))
                    if n not in self.namer.reserved | self.namer.assigned)
        return self.namer.fresh(name)

    def carry(self, stmt, env, later, targets=(), counter=None, runs=False):
        """Names a loop carries from one iteration to the next or out of the loop: each keeps one
        name through the loop (a copy is made first when its current name is shared). `targets`:
        the names a `for` binds, carried out when read after the loop (the body may rebind them,
        and a loop that does not run leaves them as they were). `counter`: the one bound to a
        range's numbers, whose placeholder is an int. `runs`: the loop runs at least once (its
        count is known here). (A stack is one list all along, changed by its pushes and pops: not
        carried.)"""
        rebound = stored(stmt.body)
        self.no_function_out(stmt, later)
        for n in gast.walk(stmt):  # rows.append(row) in an earlier iteration: rows holds row
            if isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                    n.func.attr == "append" and len(n.args) == 1 and \
                    isinstance(n.args[0], gast.Name) and isinstance(n.func.value, gast.Name):
                self.put_into.setdefault(n.args[0].id, {}).setdefault(n.func.value.id, n.lineno)
                if n.args[0].id not in rebound:  # the same value appended at every iteration
                    self.held_twice.setdefault(n.func.value.id, (n.args[0].id, n.lineno))
        by_calls = self.changed_by_calls(stmt.body, env)
        reads = loaded(stmt.body)
        through_items = {n for n in reads & set(env) if holds_record(env[n]) and any(  # for b
            changes_in_place(stmt.body, b, through_calls=False)  # in bs: b["v"] = v changes bs
            for b in loop_names(stmt.body, n) - {n})}
        assigned = stored(stmt.body) - self.stacks | {n for n in targets if n in later} | \
            by_calls | through_items
        if any(isinstance(n, gast.Return) for n in walk_own(stmt.body)):
            pseudo = {k for k in env if k.startswith("<result") or k == RETURNED}
            assigned, later = assigned | pseudo, later | pseudo
        carried = {}
        first = exposed(stmt.body)  # (read before the iteration binds it: the last one's value)
        for name in sorted(assigned):
            if not (name in later or name in reads and (name in env or name in first)):
                continue
            value = env.get(name)
            if (type(value) is Record or type(value) is tuple and value) and (
                    name in by_calls | through_items or
                    changes_in_place(stmt.body, name, through_calls=False)
                    or augments(stmt.body, name)):  # (xs += [v] grows the list in place)
                parts = containers_in(value)  # (first = ds[0]; for d in ds: d["x"] = v)
                holders = sorted(k for k, v in env.items() if k != name and (  # the loop gets
                    k in later or k in reads or k in self.passed) and  # its own copy, so no
                    not k.startswith("<") and any(holds(v, p) for p in parts))  # other name
                if holders:  # may hold it or a list, dict or object inside it
                    raise self.unsupported(stmt, f"changing {name} in a loop while "
                                           f"{', '.join(holders)} holds the same value or one "
                                           f"{name} holds (Python changes it for every name "
                                           "holding it)",
                                           f"make a new one first ({name} = list({name}) or "
                                           f"dict({name})) before the loop" if any(
                                               holds(env[k], value) for k in holders) else
                                           f"read it through {name} after the loop, or make "
                                           f"{holders[0]} a copy ({holders[0]} = dict("
                                           f"{holders[0]}) or list(...)) before it")
            if holds_record(value):  # a record the loop rebinds: a loop name per leaf
                env[name] = carried[name] = self.carry_leaves(name, value)
                continue
            own = type(value) is Var and value.name not in self.foreign and \
                value.name not in self.fn.params and any(
                type(s) is Assign and s.target == value.name for s in self.block) and sum(
                1 for v in flat(env.values()) if v == value) == 1
            if own:
                loop_name = value.name
            else:
                loop_name = self.namer.fresh(user_name(name))
                line = self.line  # a copy made here is labelled with the line that bound it
                if value is not None:
                    self.line = self.bound_at.get(name, line)
                if type(value) is tuple:  # a list the loop appends to: a real list from here on
                    items = tuple(self.atom_in(self.block, v) for v in value)  # (a tuple: one
                    made = "tuple" if not self.is_list(value) and \
                        self.tuple_display(name) else "make_list"  # it grows, acc + (v,))
                    self.block.append(Assign(loop_name, Op(made, items), self.line))
                elif value is not None:
                    self.copied(loop_name, self.as_atom(value))
                    self.block.append(Assign(loop_name, self.as_atom(value), self.line))
                else:  # first assigned in the loop: a placeholder, so every iteration has an
                    # old value to keep (reverse mode tapes it); read only if the loop never ran
                    # or never bound it (UNBOUND, which reads check: Expressions.name)
                    unbound = self.checks_unbound and not (runs and (
                        name == counter or binds_first(stmt.body, name)))
                    self.block.append(Assign(loop_name, Const(
                        (UNBOUND_INT if unbound else 0) if name == counter else
                        UNBOUND if unbound else 0.0), self.line))
                    if unbound:
                        self.placeholders.setdefault(name, set()).add(loop_name)
                self.line = line
            if type(value) is Var and value.name in self.placeholders.get(name, ()):
                self.placeholders[name].add(loop_name)  # (its copy, or itself, may hold it)
            env[name] = Var(loop_name)
            carried[name] = loop_name
        self.carried.append(carried)
        return carried

    def no_function_out(self, stmt, later):
        """Refuse a function a loop defines (a def, a lambda) that is read after the loop: a
        loop carries numbers and arrays from one iteration to the next, not functions."""
        for n in walk_own(stmt.body):
            names = [n.name] if isinstance(n, gast.FunctionDef) else [
                t.id for t in n.targets if isinstance(t, gast.Name)] if isinstance(
                n, gast.Assign) and isinstance(n.value, gast.Lambda) else []
            for name in names:
                if name in later:
                    raise self.unsupported(n, f"{name}, a function defined in a loop and used "
                                           "after it", f"define {name} before the loop, with "
                                           "what it reads from the loop as parameters")

    def iterated_changes(self, stmt, env):
        """A name a for loop iterates over (`for ui in u`, also in enumerate, zip, reversed) that
        its body changes. Python iterates the object: a change in place (u[-1] += 1) is seen by
        the iterations after it, a rebinding (u = u + 1) is not. Returns the env to take the
        iteration in (a rebound name's value there a copy, which the loop does not rebind) and
        the name `for ui in u` changes in place (its items are read as they are then), or None."""
        node = stmt.iter
        names = [node] if isinstance(node, gast.Name) else [
            a for a in node.args if isinstance(a, gast.Name)] if isinstance(node, gast.Call) \
            and isinstance(node.func, gast.Name) and node.func.id in (
                "enumerate", "zip", "reversed") else []
        seen, in_place = env, None
        by_calls = self.changed_by_calls(stmt.body, env) if names else set()
        for name in [n.id for n in names if n.id in env]:
            rebound = name in assigned_names(stmt.body)
            changed = changes_in_place(stmt.body, name, through_calls=False) or \
                name in by_calls or augments(stmt.body, name)
            grows = any(is_method_of_name(n, MUTATORS) and n.func.value.id == name or
                        isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name) and
                        n.target.id == name and (type(env[name]) is tuple or isinstance(
                            n.value, (gast.List, gast.ListComp, gast.Tuple)))
                        for n in walk_own(stmt.body))  # (an array's x += v keeps its length)
            if changed and node is not names[0] and not (rebound or grows):
                raise self.unsupported(stmt, f"a loop over {node.func.id}(...) of {name} that "
                                       f"changes {name} in place (only `for v in {name}:` sees "
                                       "the items it assigns)", f"loop over range(len({name})) "
                                       f"and read {name}[i] in the body")
            if changed and (rebound or node is not names[0] or grows):
                raise self.unsupported(stmt, f"a loop over {name} that changes it in place "
                                       "other than by assigning its items (or also rebinds it)",
                                       f"loop over a copy (for v in list({name}):) or over "
                                       f"range(len({name}))")
            if changed and type(env[name]) is Record and env[name].kind == "dict" and \
                    not grows and not rebound:
                continue  # for k in d: d[k] = v: its keys, which stay as they are
            if changed:
                in_place = name
            elif rebound and type(env[name]) is Var:  # u = u + 1 in the loop: the old u
                copy = self.namer.fresh(user_name(name))
                self.block.append(Assign(copy, env[name], self.line))
                seen = {**seen, name: Var(copy)}
        return seen, in_place

    def current_item(self, value, k):
        """Item k of a sequence the loop changes in place, as it is now."""
        if type(value) is tuple:
            return value[k]
        return self.emit("getitem", (self.as_atom(value), Const(k)))

    def item_later(self, seq, i):
        """`seq[i]`, lowered when the loop's target is bound (Later)."""
        return Later(lambda: self.emit("getitem", (seq, i)))

    def changed_by_calls(self, stmts, env):
        """Names the calls in `stmts` change in place (so a loop carries them): an object whose
        method changes `self` (osc.step(dt)), a list, dict, object or array passed to a function
        of the user's that changes that parameter (push(xs, v)), a name of this function that a
        nested def changes (acc[0] += v); see changes.py."""
        out = set()
        for n in (n for s in stmts for n in gast.walk(s) if isinstance(n, gast.Call)):
            f, args = n.func, list(n.args)
            if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and \
                    type(env.get(f.value.id)) is Record:  # a method: self, then the arguments
                args.insert(0, f.value)
                callee = function_of(getattr(env[f.value.id].cls, f.attr, None))
            elif isinstance(f, gast.Name):
                value = env.get(f.id, Static(self.parsed.scope.get(f.id)))
                callee = function_of(getattr(value, "obj", None))
                if callee is not None and isinstance(value.obj, LocalFunction):
                    fn, scope = callee
                    out |= {k for k in env if not k.startswith("<") and k not in
                            rebound_names(fn.body) and changes(fn, scope, k)}
            else:
                continue
            if callee is None:
                continue
            fn, scope = callee
            params = [a.id for a in fn.args.posonlyargs + fn.args.args]
            pairs = list(zip(params, args)) + [(k.arg, k.value) for k in n.keywords]
            out |= {a.id for p, a in pairs if isinstance(a, gast.Name) and changes(fn, scope, p)}
        return out

    def tuple_display(self, name):
        """Whether the user's code binds `name` to a tuple display (`()`, `(x,)`): an empty
        sequence known here may be a list or a tuple (() is one object, never noted as a list),
        and a list grown by append is not always noted as one."""
        return any(isinstance(n, gast.Assign) and isinstance(n.value, gast.Tuple) and
                   any(isinstance(t, gast.Name) and t.id == name for t in n.targets)
                   for n in self.parsed.nodes)

    def carry_leaves(self, prefix, value):
        """The loop names of a carried record's leaves (a copy of each before the loop), as a
        record of the same structure."""
        if type(value) is Record:
            return Record(value.kind, value.cls, value.keys, tuple(
                self.carry_leaves(leaf_name(prefix, key), v)
                for key, v in zip(value.keys, value.values)))
        if type(value) is tuple:
            return tuple(self.carry_leaves(f"{prefix}_{k}", v) for k, v in enumerate(value))
        if type(value) not in (Var, Const):
            return value  # a function, a module: the same on every iteration (checked at the end)
        loop_name = self.namer.fresh(user_name(prefix))
        self.copied(loop_name, value)
        self.block.append(Assign(loop_name, value, self.line))
        return Var(loop_name)

    def finish_loop(self, stmt, exit, body, body_env, carried, env, again=None):
        """The end of a loop body, reached on every path (a `break` inside a branch only sets
        a flag): the carried names take their new values, then `if broke: break`, else a while
        loop's test again (`again`)."""
        if exit is not None and exit[0] == "return":
            exit = self.return_from_loop(stmt, exit, body_env)
        assigned = stored([stmt])  # (the loop's target too)
        for name, value in env.items():  # a record changed in place (m.W = ..., m.step())
            if holds_record(value) and name not in carried and body_env.get(name) != value:
                what = value.describe() if type(value) is Record else "a tuple of records"
                raise self.unsupported(stmt, f"changing {name!r}, {what}, in a loop run at run "
                                       "time",
                                       "build a new one each iteration (m = Model(...)) in a loop "
                                       "over a constant range, or keep the changing value in a "
                                       "name of its own")
            if name not in carried and name not in assigned and not name.startswith("<") and \
                    name in body_env and body_env[name] is not value:  # by a call: push(xs, v)
                raise self.unsupported(stmt, f"changing {name!r} in place through a call in a "
                                       "loop", f"assign it in the loop ({name} = f({name}, ...)"
                                       ", f returning the new value)")
        self.carried.pop()
        self.merge_carried(body, carried, body_env)
        for name, loop_name in carried.items():
            value = Var(loop_name) if type(loop_name) is str else loop_name  # (a record's names)
            if name in body_env:
                body_env[name] = value
            if name in env or body_env.get(name) is not None:
                env[name] = value
        if exit == ("break",) or body_env.get(BROKE) == Const(True):  # every path breaks
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
        node = self.mapped(node, env) or node  # for v in map(f, xs): (f(x) for x in xs)
        nested = self.nested_iteration(node, target, env, may_leave(stmt.body))
        if nested is not None:
            return (*nested, target, False, None)
        func = self.callee(node, env)
        if type(func) is Static and func.obj is reversed and len(node.args) == 1:
            inner, count = node.args[0], None  # reversed(range(...)[:k]), as reverse mode writes
            if isinstance(inner, gast.Subscript) and isinstance(inner.slice, gast.Slice) and \
                    inner.slice.lower is None and inner.slice.step is None:
                count, inner = self.atom(inner.slice.upper, env), inner.value
            if isinstance(inner, gast.Call) and self.expr(inner.func, env) == Static(range):
                bounds = tuple(self.atom(a, env) for a in inner.args)
                if count is None and may_leave(stmt.body):
                    # a loop that may stop early runs over the reversed range itself, whose
                    # first `trips` elements reverse mode can walk back
                    return self.reversed_range(inner, bounds), None, target, False, None
                return bounds, None, target, True, count
        if type(func) is Static and func.obj is range:
            if not isinstance(target, gast.Name):
                raise self.unsupported(target, "unpacking the index of a range loop")
            return tuple(self.atom(a, env) for a in node.args), None, target, False, None
        if type(func) is Static and func.obj is enumerate:
            seq = self.iterated(self.expr(node.args[0], env), node)
            start = self.atom(node.args[1], env) if len(node.args) > 1 else None
            if (must_unroll(seq) or holds_keys(seq) or self.unroll_changed and
                    type(seq) is tuple) and type(start or Const(0)) is Const:
                # a list of records, or of a dict's keys (which index it here)
                self.no_exit(stmt)
                first = (start or Const(0)).value
                return None, tuple((Const(first + k), v) for k, v in enumerate(seq)), target, \
                    False, None
            seq = self.as_atom(seq)
            if not (isinstance(target, gast.Tuple) and len(target.elts) == 2):
                raise self.unsupported(target, "an enumerate loop without two targets",
                                       "write for i, x in enumerate(xs)")
            n = self.emit("len", (seq,))
            return (n,), (seq,), Enumerate(target.elts[0], target.elts[1], start), False, None
        if type(func) is Static and func.obj is zip:
            seqs = tuple(self.iterated(self.expr(a, env), node) for a in node.args)
            if all(type(q) is tuple for q in seqs) and (self.unroll_changed or any(
                    must_unroll(q) or holds_keys(q) for q in seqs)):  # (or items changed)
                self.no_exit(stmt)
                return None, tuple(zip(*seqs)), target, False, None
            if any(map(must_unroll, seqs)):  # a list of records with an array: read at k
                self.no_exit(stmt)
                return None, zipped_here([q if type(q) is tuple else (
                    lambda a: lambda i: self.item_later(a, i))(self.as_atom(q)) for q in seqs]), \
                    target, False, None
            seqs = tuple(map(self.as_atom, seqs))
            n = self.emit("len", (seqs[0],))
            for other in seqs[1:]:
                n = self.emit("min", (n, self.emit("len", (other,))))
            # an element is the tuple of the items at i: `for a, b in zip(...)` unpacks it,
            # `for p in zip(...)` binds all of it
            return (n,), Indexed(lambda i: tuple(self.item_later(seq, i) for seq in seqs)), \
                target, False, None
        seq = self.iterated(self.expr(node, env), node)
        if must_unroll(seq):
            self.no_exit(stmt)
        if type(seq) is tuple and may_leave(stmt.body):  # a real loop, over a real list
            seq = self.list_in(self.block, seq)
        if type(seq) is tuple:
            return None, seq, target, False, None
        seq = self.as_atom(seq)
        return (self.emit("len", (seq,)),), (seq,), target, False, None

    def callee(self, node, env):
        """What a call iterated over calls, where that is a name or a module's function
        (range, zip, np.ravel); None for anything else: a method of a value (x.ravel(),
        p.items() of a record), lowered with the whole call as any expression."""
        if not isinstance(node, gast.Call):
            return None
        if isinstance(node.func, gast.Name):
            return self.expr(node.func, env)
        root = node.func
        while isinstance(root, gast.Attribute):
            root = root.value
        if isinstance(root, gast.Name) and root.id not in env and isinstance(
                self.parsed.scope.get(root.id), types.ModuleType):  # np.ravel, itertools.chain
            return self.expr(node.func, env)
        return None

    def no_exit(self, stmt):
        """A loop over containers or functions runs here, element by element: it cannot stop
        early at run time."""
        if may_leave(stmt.body):
            raise self.unsupported(stmt, "a break, continue or return in a loop over containers "
                                   "or functions (a list of dicts, objects, namedtuples), which "
                                   "runs element by element when the code is transformed",
                                   "keep a flag instead (if not done: ...), and return after "
                                   "the loop")

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

