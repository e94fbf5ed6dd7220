"""Merging: after a branch or a loop, one name for a value bound differently on each path; the alias graph that guards in-place writes."""
from __future__ import annotations

import os

import gast

from ..errors import UnsupportedSyntaxError
from ..ir import (Assign, Break, Const, If, Inlined, Op, Var, targets_of,
                  uses_of)
from .scan import BOUND, BROKE, GOING, Record, fallthrough_ends, flat, holds, leaf_name, self_copy, \
    user_name

IMMUTABLE = (bool, int, float, complex, str, type(None))  # values no change in place reaches


class Merging:
    def merge_envs(self, env, envs, blocks, later, bound_at=None, left=()):
        """After a branch: a name bound differently on the two paths gets one merged name,
        assigned at the end of each branch. `left`: the paths (0, 1) that left the function:
        a def, a list known here or a record bound only on the other is that path's."""
        taken = set()  # merged names given out here: two user names never share one
        if self.checks_unbound:
            self.flag_unbound(envs, later)
        for name in sorted(set(envs[0]) | set(envs[1])):
            a, b = envs[0].get(name), envs[1].get(name)
            if a is not None and b is not None and a == b and type(a) is type(b) and (
                    type(a) is not Record or a is b):  # (two equal objects stay two)
                env[name] = a
                continue
            if (a is None or b is None) and name not in later and not name.startswith("<"):
                env.pop(name, None)  # bound on one path only and not read after: gone
                continue
            if (a is None or b is None) and (0 if a is None else 1) in left and \
                    type(b if a is None else a) not in (Var, Const):
                env[name] = b if a is None else a  # (what follows runs on the other only)
                continue
            unbound = a is None or b is None
            if unbound:  # read after on the path that bound it (generated code
                # tests the same condition again): the other path gets a placeholder
                missing = Const(True) if name == GOING or name.startswith(BOUND) else \
                    Const(False) if name == BROKE else Const(0.0)
                k = 0 if a is None else 1
                a, b = (missing, b) if a is None else (a, missing)
                envs[k][name] = missing
            if type(a) is Record and type(b) is Record and \
                    (a.kind, a.cls, a.keys) == (b.kind, b.cls, b.keys):  # field by field
                env[name] = self.merge_record(name, a, b, blocks, envs)
                continue
            if type(a) is tuple and type(b) is tuple and len(a) == len(b) and \
                    self.sequence_kinds.get(name) == "tuple":  # a tuple stays one, item by item
                env[name] = self.merge_items(name, a, b, blocks, envs)
                continue
            if type(a) is tuple or type(b) is tuple:  # lists known on one path or differing
                real = self.atom_in if self.sequence_kinds.get(name) == "tuple" else self.list_in
                a, b = (real(block, v) if type(v) is tuple else v  # (real lists now; a tuple
                        for block, v in zip(blocks, (a, b)))  # bound on one path stays one)
            if type(a) not in (Var, Const) or type(b) not in (Var, Const):
                raise self.kinds_differ(name, a, b, unbound)
            merged = a.name if type(a) is Var and a.name not in taken and any(
                type(s) is Assign and s.target == a.name for s in blocks[0]) \
                else self.namer.fresh(user_name(name))
            taken.add(merged)
            for k, (block, value, e) in enumerate(zip(blocks, (a, b), envs)):
                line = self.line  # the line that bound the value on that path (of an if)
                if type(bound_at) is tuple:
                    self.line = bound_at[k].get(name, line)
                elif type(value) is Const and value == env.get(name):
                    self.line = (bound_at or {}).get(name, line)
                self.merge_into(block, value, merged, e)
                self.line = line
            env[name] = Var(merged)
            if any(type(v) is Var and v.name in self.placeholders.get(name, ())
                   for v in (a, b)):  # (a loop's placeholder, on one path: Loops.carry)
                self.placeholders[name].add(merged)
        for key in [k for k in env if k.startswith(BOUND)]:  # (flag_unbound)
            name = key[len(BOUND):-1]
            if env[key] == Const(True) or name not in env:
                del env[key]
            elif type(env.get(name)) is Var:
                self.unbound_values.setdefault(name, set()).add(env[name].name)

    def kinds_differ(self, name, a, b, unbound):
        """The refusal of a name bound to different kinds of value on the two paths (`unbound`:
        on one only). A Var may be an argument that is a container (a dict, a list): compiled
        again at the call, when its structure is known (boundary.py)."""
        one = kind_of(b if type(a) in (Var, Const) else a)
        passed = next((v for v in (a, b) if type(v) is Var), None)
        call = self.fn.source_lines.get(int(self.line), "").strip() if passed is not None and \
            type(self.line) is Inlined and Record in (type(a), type(b)) else ""
        what = f"{name!r} holds {one} on one path of an if and is not bound on the other, " \
            "but is read after it; bind it on every path" if unbound else \
            f"{name!r} holds {kind_of(a if type(a) is Record else b)} on one path of an if " \
            f"and on the other the value `{passed.name}` that line {int(self.line)} " \
            f"(`{call}`) passes, of a kind not known when adcompile compiles it (None, or " \
            f"None at a loop's first step and a dict after); create the dict before that " \
            f"call ({passed.name} = {{}}, before the loop) so that it holds a dict on every " \
            "path" if call else \
            f"{name!r} holds {kind_of(a)} on one path of an if and {kind_of(b)} on the other; " \
            "bind it to the same kind of value on every path (for a dict or an object, the " \
            "same keys or fields)"
        error = UnsupportedSyntaxError(what, self.parsed.filename, self.line)
        error.maybe_container = type(a) is Var or type(b) is Var
        return error

    def flag_unbound(self, envs, later):
        """A name one path of an if binds and the other does not, read after it: Python raises
        UnboundLocalError where the other path's reads it, which a flag, `<bound y>`, tells
        (reads of the merged value check it, Expressions.name); the placeholder value alone
        would be read as 0.0. A path that binds the name again sets its flag."""
        for env in envs:
            for key in [k for k in env if k.startswith(BOUND)]:
                value = env.get(key[len(BOUND):-1])
                if not (type(value) is Var and
                        value.name in self.unbound_values.get(key[len(BOUND):-1], ())):
                    env[key] = Const(True)
        for name in set(envs[0]) ^ set(envs[1]):
            k = 0 if name not in envs[0] else 1  # the path without it
            if name.startswith("<") or name not in later or \
                    type(envs[1 - k][name]) not in (Var, Const):
                continue
            envs[k][BOUND + name + ">"] = Const(False)
            envs[1 - k].setdefault(BOUND + name + ">", Const(True))

    def merge_record(self, name, a, b, blocks, envs):
        """Two records of one class and fields (a field assigned on one path of an if): a
        merged name per field that differs."""
        values = []
        for key, x, y in zip(a.keys, a.values, b.values):
            if x == y and type(x) is type(y) and (type(x) is not Record or x is y):
                values.append(x)
            elif type(x) is Record and type(y) is Record and \
                    (x.kind, x.cls, x.keys) == (y.kind, y.cls, y.keys):
                values.append(self.merge_record(leaf_name(name, key), x, y, blocks, envs))
            elif type(x) in (Var, Const) and type(y) in (Var, Const):
                merged = self.namer.fresh(leaf_name(user_name(name), key))
                for block, value, e in zip(blocks, (x, y), envs):
                    self.merge_into(block, value, merged, e)
                values.append(Var(merged))
            else:
                raise UnsupportedSyntaxError(
                    f"{name!r}'s field {key!r} holds a different kind of value on each path of "
                    "an if", self.parsed.filename, self.line)
        merged = Record(a.kind, a.cls, a.keys, tuple(values))
        self.chosen[id(merged)] = (merged, (a, b))  # (either one, chosen at run time)
        return merged

    def choices(self, value):
        """The records `value` may be at run time: itself, or those it was merged from."""
        entry = self.chosen.get(id(value))
        if entry is None or entry[0] is not value:
            return [value]
        return [value] + [r for source in entry[1] for r in self.choices(source)]

    def merge_items(self, name, a, b, blocks, envs):
        """Two tuples of one length: a merged name per item that differs."""
        items = []
        for x, y in zip(a, b):
            if x == y and type(x) is type(y):
                items.append(x)
                continue
            if type(x) not in (Var, Const) or type(y) not in (Var, Const):
                raise UnsupportedSyntaxError(
                    f"{name!r} holds a different tuple on each path of an if",
                    self.parsed.filename, self.line)
            merged = self.namer.fresh(user_name(name))
            for block, value, e in zip(blocks, (x, y), envs):
                self.merge_into(block, value, merged, e)
            items.append(Var(merged))
        return tuple(items)

    def merge_returns(self, node, blocks, exits, envs):
        if len(exits[0][1]) != len(exits[1][1]) or exits[0][2] != exits[1][2]:
            raise self.different_returns(node)
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
        ends = fallthrough_ends(block)
        if ends != [block]:  # only the paths that go on past this block take the value
            for end in ends:
                self.merge_into(end, value, name, env)
            return
        if type(value) is Var and block:
            last = block[-1]
            if type(last) is If and value.name in targets_of(last) and not (
                    env is not None and sum(1 for v in flat(env.values()) if v == value) > 1):
                for branch in (last.body, last.orelse):  # a branch's merged value: rename inside
                    self.merge_into(branch, value, name)
                    if branch and type(branch[-1]) is Break and len(branch) > 1:
                        self.merge_into(branch[:-1], value, name)
                last.body[:] = [s for s in last.body if not self_copy(s)]
                last.orelse[:] = [s for s in last.orelse if not self_copy(s)]
                return
            for k in range(len(block) - 1, -1, -1):
                s = block[k]
                if type(s) is Assign and s.target == value.name:
                    # (renamed, the statement would overwrite `name` while later statements
                    # still read its old value, or read the value under its own name)
                    later_reads = any(value.name in uses_of(t) or name in uses_of(t)
                                      for t in block[k + 1:])
                    aliases = env is not None and sum(
                        1 for v in flat(env.values()) if v == value) > 1
                    if not later_reads and not aliases:
                        s.target = name
                        self.renamed(value.name, name)
                        if self_copy(s):
                            del block[k]
                        return
                    break
                if value.name in targets_of(s):
                    break
        self.copied(name, value)
        block.append(Assign(name, value, self.line))

    def merge_carried(self, block, carried, env):
        """At a loop's end, a break or a return: every carried name takes its value from `env`,
        all at once. A value that is itself a carried name (a swap `a, b = b, a`) is copied
        first, so that no copy reads a name another copy has already overwritten."""
        pairs = []
        for name, loop_name in carried.items():
            if env.get(name) is None:
                continue
            if type(loop_name) is str:
                value = env[name]
                if value != Var(loop_name):  # (a tuple display stays a tuple, as at the entry)
                    pairs.append((self.atom_in(block, value) if type(value) is tuple and not
                                  self.is_list(value) and self.tuple_display(name) else
                                  self.list_in(block, value), loop_name))
                continue
            pairs += [(self.list_in(block, v), n) for v, n in self.leaf_pairs(name, loop_name,
                                                                                env[name])
                      if v != Var(n)]
        targets = {loop_name for _, loop_name in pairs}
        for k, (value, loop_name) in enumerate(pairs):
            if type(value) is Var and value.name in targets:
                old = self.namer.fresh(f"{value.name}_old")
                block.append(Assign(old, value, self.line))
                pairs[k] = Var(old), loop_name
        for value, loop_name in pairs:
            self.merge_into(block, value, loop_name, env)

    def leaf_pairs(self, name, template, value):
        """(new value, loop name) of each leaf of a carried record: the record built in the loop
        must have the structure it had before (the same fields, the same constants)."""
        if type(template) is Var:
            return [(value, template.name)]
        same = type(value) is type(template) and (
            type(template) is tuple and len(value) == len(template) or
            type(template) is Record and (value.kind, value.cls, value.keys) ==
            (template.kind, template.cls, template.keys))
        if type(template) in (tuple, Record) and same:
            parts = template if type(template) is tuple else template.values
            new = value if type(value) is tuple else value.values
            return [p for t, v in zip(parts, new) for p in self.leaf_pairs(name, t, v)]
        if type(template) not in (tuple, Record) and value == template:
            return []
        raise UnsupportedSyntaxError(
            f"{name!r} changes its structure in a loop (other fields, another class, another "
            "constant); keep the same fields on every iteration", self.parsed.filename, self.line)

    def check_in_place(self, node, name, env, live, method, item=None):
        """`x *= 2` and `x[i] = v` change an array in place, which every name holding the same
        array sees; flat code makes a new array instead. When another name still read later may
        hold the same value, generated code checks at run time that it is not changed in place
        (a number is not) and otherwise stops with this message. With `item` (the node of
        `parts["vel"]` in `parts["vel"] += v`): that item of the container `name` is what changes
        in place, for the names other than the container."""
        value = env.get(name) if item is None else self.expr(item, env)
        if type(value) is not Var:
            return
        if item is not None and self.checks_unbound:  # (not in generated code, which
            self.item_not_shared(node, item, env, live, method)  # shares nothing it changes)
        group = self.sharing(value.name)
        for made in sorted(group & set(self.listed)):  # row = m[i], m a list of lists known here
            if all(type(v) is Const and type(v.value) in IMMUTABLE for v in self.listed[made]):
                continue  # (an item of [1.5, 2.0]: a number, never changed in place)
            holders = sorted(k for k, v in env.items() if k != name and
                             (k in live or k in self.passed) and not k.startswith("<") and
                             holds(v, self.listed[made]))
            if holders:  # (an item that is a list known here, or an array)
                rows = all(type(v) is tuple for v in self.listed[made])
                raise self.unsupported(node, f"changing {name} in place, an item of a list "
                                       f"{', '.join(holders)} holds (Python changes it there too)",
                                       f"assign through the list ({holders[0]}[i][j] = v) or make "
                                       f"a new one first ({name} = " + (
                                           f"list({name}))" if rows else f"{name}.copy()), "
                                           f"and store it back ({holders[0]}[i] = {name})"))
        # (the names read later, not all of env: one `x += v` per line of a long function
        # would make lowering quadratic)
        live_now = sorted(k for k in live if k in env)
        own = env.get(name) if item is not None and type(env.get(name)) is Record else None
        others = [k for k in live_now if k != name and any(  # (a list of the object whose
            type(x) is Var and x.name in group for x in _flat_beside([env[k]], own))]  # field
        # changes holds that object, which sees the change: `for b in bodies: b.pos += v`)
        if item is None:  # a list made at run time holding it or a name sharing it (rows.append(
            for holder in [name] + sorted(k for k in self.put_into if k != name and  # row))
                                          type(env.get(k)) is Var and env[k].name in group):
                others += [k for k, _ in self.containers_holding(holder, live)
                           if k in env and k not in others]
        params = set(self.fn.params) if group & set(self.fn.params) else set()
        if params:  # an argument's array: another argument (or leaf) read later may be it too
            others += [k for k in live_now if k not in others and (
                k != name or item is not None) and not k.startswith("<") and any(
                type(x) is Var and x.name in params - group for x in flat([env[k]]))]
        foreign = group & self.foreign
        if name in self.passed:  # the caller's name for it gets it back (Inlining.write_back)
            foreign -= self.given.get(name, frozenset())  # (what only it holds: self.pos)
            if item is None:  # (its other holders do not: write_back refuses them)
                foreign.discard(value.name)
        caller = self.holders.get(name, {}) if foreign and item is None else {}
        if caller:  # the caller's names read later that hold it (a = step(u); b = step(u))
            others += [k for k in caller if k not in others]
            foreign = set()
        advice, item_now = self.loop_seqs.get(name, (None, None)) if item is None else \
            (None, None)
        if item_now is not None and item_now == value and not others:  # an item of a
            foreign.add(value.name)  # sequence the loop runs over at run time, which holds it
            others.append("the list the loop runs over")  # (and who else: not known)
        elif item_now is not None:  # (for row in U: a view of U, as check_not_in_place says)
            advice = None
        if not others and not foreign:
            return
        filename, line = self.parsed.where(node)
        per_name = [] if foreign else [  # (the caller's: not known)
            [x for x in flat([caller[k] if k in caller else env[k]]) if type(x) is Var and
             (x.name in group and k != name or x.name in params - group)] for k in others]
        held = list(dict.fromkeys(x for xs in per_name for x in xs))
        if len(held) == len(others) and any(len(xs) != 1 for xs in per_name):
            held.append(held[0])  # (one value per name, in order, is how the message names them)
        where = (Const(f"{os.path.basename(filename)}:{line}"),
                 Const(name if item is None else gast.unparse(item).strip()),
                 Const(", ".join(others) or "the caller"))
        self.block.append(Assign(None, Op("check_not_in_place", (
            value, Const(method), *where, *held)) if advice is None else Op(
            "check_item_not_changed", (value, Const(method), *where, Const(advice), *held)),
            self.line))

    def item_not_shared(self, node, item, env, live, method):
        """`rows[0][0] = v` or `rows[0] += v` changes in place the item `rows[0]`, and each
        container on the way to it, which Python changes at every place holding it: another place
        of the same container (`[z] * 2`, `{"h": z, "c": z}`, z appended twice) too. Flat code
        stores a new item at one place, so generated code checks that no other place of its
        container, nor another name read later, holds it (a number is not changed in place)."""
        while isinstance(item, (gast.Subscript, gast.Attribute)):
            part, whole = self.expr(item, env), self.expr(item.value, env)
            if type(part) is Var and type(whole) in (tuple, Record) and \
                    sum(x == part for x in flat([whole])) > 1:
                self.in_place_check(node, part, method, item, f"another place of "
                                    f"{gast.unparse(item.value).strip()}", [part])
            elif type(part) is Var and type(whole) is Var and isinstance(item, gast.Subscript):
                held = [v for k, v in sorted(env.items()) if k in live and
                        not k.startswith("<") for v in flat([v]) if type(v) is Var and v != whole]
                filename, line = self.parsed.where(node)
                self.block.append(Assign(None, Op("check_item_not_in_place", (
                    whole, self.as_atom(self.expr(item.slice, env)), Const(method),
                    Const(f"{os.path.basename(filename)}:{line}"),
                    Const(gast.unparse(item).strip()),
                    Const(f"another item of {gast.unparse(item.value).strip()} or a name read "
                          "later"), *dict.fromkeys(held))), self.line))
            item = item.value

    def in_place_check(self, node, value, method, item, others, held):
        """Generated code's check that `value` (`item`), changed in place, is held by none of
        `held` (`others`, in words)."""
        filename, line = self.parsed.where(node)
        self.block.append(Assign(None, Op("check_not_in_place", (
            value, Const(method), Const(f"{os.path.basename(filename)}:{line}"),
            Const(gast.unparse(item).strip()), Const(others), *held)), self.line))

    def containers_holding(self, name, live):
        """(container, line) of each name read later (or given back to an inlining caller) that
        may hold the value `name` holds: appended to it (`rows.append(row)`, also in an earlier
        iteration of a loop), or read out of it while empty (`h = state["hist"]`)."""
        return [(k, line) for k, line in sorted(self.put_into.get(name, {}).items())
                if k != name and (k in live or k in self.passed)]

    def sharing(self, name):
        """`name` and the names noted as copies of it, directly or through others."""
        group, todo = {name}, [name]
        while todo:
            for other in self.copies.get(todo.pop(), ()):
                if other not in group:
                    group.add(other)
                    todo.append(other)
        return group

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


def kind_of(value):
    """A value of the env, in words, for a refusal."""
    if type(value) is Const and value.value is None:
        return "None"
    if type(value) in (Var, Const):
        return "a number or array"
    if type(value) is Record and not value.keys:
        return f"{value.describe()} with no {'keys' if value.kind == 'dict' else 'fields'}"
    if type(value) is Record:
        return f"{value.describe()} with keys {', '.join(map(repr, value.keys))}" \
            if value.kind == "dict" else f"{value.describe()} with fields {', '.join(value.keys)}"
    if type(value) is tuple:
        return f"a list or tuple of {len(value)} items known here"
    return "a function or module"


def _flat_beside(values, own):
    """The leaves of `values` (scan.flat) but those of the object `own` (itself, not an equal
    one), wherever it is held."""
    for v in values:
        if v is own:
            continue
        if type(v) is tuple:
            yield from _flat_beside(v, own)
        elif type(v) is Record:
            yield from _flat_beside(v.values, own)
        else:
            yield v
