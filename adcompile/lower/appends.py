"""Appends: a list grows (`xs.append(v)`, `xs[k].append(v)`), known here or built by a loop,
and the checks that no other name read later holds the list Python grows in place."""
from __future__ import annotations

import gast

from ..ir import Assign, Const, Op, Var
from .containers import _name
from .scan import Record, Static, changed_parts, holds, records_in


class Appends:
    def append(self, call, env, live=frozenset()):
        """`xs.append(v)`: a list known here grows by one element; a list a loop builds becomes
        `xs = xs + [v]`, a new list each time (so the tape can keep the old one). Python grows
        the list for every name that holds it: another name read later that holds the same
        list is refused (flat code would leave it as it was)."""
        name = call.func.value.id
        if name in self.stacks:
            return self.push(call, env)
        if name not in env and name not in self.own_locals and name not in self.parsed.scope:
            # defined nowhere: Python's NameError where the append runs (a path not taken, as
            # in a helper called on one branch, runs as Python runs it)
            self.throw(Const(NameError), [Const(f"name {name!r} is not defined")])
            return
        if len(call.args) == 1 and name not in env and name not in self.own_locals:  # (a
            # global's or an enclosing function's list)
            raise self.unsupported(call, f"appending to {name}, a list of the module or of an "
                                         "enclosing function (Python grows it at every call, "
                                         "outside what the derivative returns)",
                                   "log outside the differentiated function (the value from "
                                   "value_and_grad, or has_aux=True for others), or append to a "
                                   "list made in the function")
        if len(call.args) != 1:
            raise self.unsupported(call, "this append", "append one value to a list made with []")
        self.not_shared(call, name, env, live)
        if isinstance(call.args[0], gast.Name):  # rows.append(row): rows holds row's value
            if name in self.put_into.get(call.args[0].id, {}):  # (at a second place now)
                self.held_twice.setdefault(name, (call.args[0].id, self.parsed.where(call)[1]))
            self.put_into.setdefault(call.args[0].id, {})[name] = self.parsed.where(call)[1]
        if type(env[name]) is tuple:  # (a list noted as one: is_list)
            env[name] = self.known_list(env[name] + (self.expr(call.args[0], env),))
        else:
            item = self.expr(call.args[0], env)
            if type(item) is Record:
                error = self.unsupported(call, f"appending {item.describe()} to a list a loop "
                                         "builds at run time", "give the loop a count known "
                                         "when it compiles (range(3), range(len(xs)) of a "
                                         "list known here), or keep one list per field "
                                         "(xs.append(a); ys.append(b))")
                error.maybe_container = True  # (a list argument, known at the first call)
                raise error
            env[name] = self.emit("list_append", (self.as_atom(env[name]), self.as_atom(item)),
                                  target=name)

    def append_to_item(self, call, env):
        """`self.history.append(v)`, `groups["a"].append(v)`: the list that item holds grows
        (a new one, stored back where it came from, as `store` does)."""
        where = call.func.value
        items = self.expr(where, env)
        item = self.expr(call.args[0], env)
        root = where
        while isinstance(root, (gast.Attribute, gast.Subscript)):
            root = root.value
        if isinstance(root, gast.Name) and (type(items) is tuple and items or type(items) is Var):
            self.not_shared(call, root.id, env, self.live(), items)  # h = self.history: h too
        if isinstance(root, gast.Name):
            self.not_repeated(call, root.id, env, items)  # m = [[]] * 2: m[0] is m[1]
            if isinstance(call.args[0], gast.Name):  # self.rows.append(row): self holds row
                self.put_into.setdefault(call.args[0].id, {})[root.id] = \
                    self.parsed.where(call)[1]
        if type(items) is tuple:
            grown = self.same_kind(items, items + (item,))
        else:
            grown = self.emit("list_append", (self.as_atom(items), self.as_atom(item)))
        self.store(where, grown, env, plain=True)  # (self.xs.append(v): no setattr runs)

    def extended(self, value, items, call, env):
        """xs.extend(v), v a list or array made at run time: `xs + list(v)` (a list joined as
        `out = out + list(x)` is), under xs's name; v is lowered once."""
        names = [f"<extend {id(call)} {k}>" for k in range(3)]
        env.update(zip(names, (value, items, Static(list))))
        node = gast.copy_location(gast.BinOp(
            left=_name(names[0], call), op=gast.Add(), right=gast.Call(
                func=_name(names[2], call), args=[_name(names[1], call)], keywords=[])), call)
        try:
            return self.expr(node, env, target=call.func.value.id)
        finally:
            for name in names:
                env.pop(name, None)

    def not_shared(self, node, name, env, live, value=None, besides=None, after=None):
        """Refuse changing the list, dict or object `name` in place (growing it, assigning an
        item or a field, or a call changing it) while another name read later holds it, or a
        list, dict or object holding it: Python changes it for all of them, flat code for
        `name` only. `value`: what `name` held before a call changed it, `after` what it holds
        after (then also refused: another name holding a part the call changed, c.step()
        changing c.b with b = c.b); `besides`: a name the change is written through to as well
        (for b in bs: bs)."""
        value = env[name] if value is None else value
        if self.argument_parts.get(id(value)) is value and not self.fn.changes_arguments:
            self.fn.changes_arguments = self.parsed.where(node)  # (boundary.not_held_twice)
        readers = [k for k in env if k not in (name, besides) and not k.startswith("<") and
                   (k in live or k in self.passed)]  # (the caller reads those)
        shared = sorted(k for k in readers if holds(env[k], value))
        if value is env.get(name):
            shared += [f"{k} (it holds {name} since line {line})" for k, line in
                       self.containers_holding(name, live) if k != besides and k not in shared]
        self.not_chosen(node, name, env, live, value, besides)
        how = f"({node.func.attr})" if isinstance(node, gast.Call) and \
            isinstance(node.func, gast.Attribute) else "(augmented)" if \
            isinstance(node, gast.AugAssign) else "(an item or field assigned)" if \
            not isinstance(node, gast.Call) else f"(by {getattr(node.func, 'id', 'a call')})"
        parts = changed_parts(value, after) if after is not None and not shared else ()
        inside = next((k for k in readers if any(holds(env[k], p) for p in parts)), None)
        if inside is not None:
            raise self.unsupported(node, f"changing {name} in place {how} while {inside} "
                                   f"holds a list or object inside {name} that the call "
                                   f"changes (Python changes it for {inside} too)",
                                   f"read it through {name} after the call, not through "
                                   f"{inside}")
        if shared:
            whole = env.get(name, value)  # (bodies[i].v = v changes bodies, a list)
            copy = f"dict({name})" if type(whole) is Record and whole.kind == "dict" else \
                f"dataclasses.replace({name})" if type(whole) is Record and \
                whole.kind == "dataclass" else f"a new {whole.cls.__name__}(...)" \
                if type(whole) is Record else f"list({name})" if type(whole) is tuple or \
                self.sequence_kinds.get(name) == "list" else f"{name}.copy()"  # (an array)
            through = next((k for k in shared if k in env and env[k] is not value), None)
            if through is not None and isinstance(node, gast.Call) and \
                    isinstance(node.func, gast.Attribute):  # for b in bs: b.step(dt)
                hint = f"call it through {through} (for i in range(len({through})): " \
                    f"{through}[i].{node.func.attr}(...)), or make a new one first"
            elif whole is not value and type(whole) is tuple and type(value) is tuple:  # rows
                hint = f"copy what it holds too ({name} = [list(r) for r in {name}], or " \
                    f"copy.deepcopy({name})) before changing it"
            else:
                hint = f"make a new one first ({name} = {copy}) before changing it"
            raise self.unsupported(node, f"changing {name} in place {how} while "
                                   f"{', '.join(shared)} holds the same value (Python changes "
                                   "it for every name holding it)", hint)

    def not_chosen(self, node, name, env, live, value, besides):
        """Refuse changing `value` in place where it is an object chosen at run time (merged
        from two: `w = u if c else v`) and a name read later holds either one, or where such a
        merged object held by a name read later may be `value`: Python changes that one too."""
        if type(value) is not Record:
            return
        mine = self.choices(value)
        others = [(k, v) for k, v in env.items() if k not in (name, besides) and not
                  k.startswith("<") and (k in live or k in self.passed)]
        held_here = [k for k, v in others if any(holds(v, r) for r in mine[1:])]
        if held_here:
            raise self.unsupported(node, f"changing {name} in place, which may be "
                                   f"{' or '.join(held_here)} (chosen at run time; Python "
                                   "changes that object for every name holding it)",
                                   f"change {' or '.join(held_here)} by name where it is "
                                   f"chosen (on each path of an if), or make {name} a new "
                                   "object first")
        chooser = next((k for k, v in others for r in records_in(v) if r is not value and
                        any(c is value for c in self.choices(r)[1:])), None)
        if chooser is not None:
            raise self.unsupported(node, f"changing {name} in place while {chooser} may be it "
                                   "(chosen at run time; Python changes it for both)",
                                   f"make {name} a new object first, or change {chooser} too")

    def grow(self, call, env, live):
        """`xs.extend(ys)` and `xs.insert(i, v)` of a list known here, `d.update(...)` of a dict:
        the name holds the grown value (refused where another name holds the same one)."""
        name, method = call.func.value.id, call.func.attr
        value = env.get(name)
        if method == "update" and type(value) is Record and value.kind == "dict":
            self.not_shared(call, name, env, live)
            for a in call.args:
                other = self.expr(a, env)
                if type(other) is not Record or other.kind != "dict":
                    error = self.unsupported(call, "update from something other than a dict")
                    error.maybe_container = type(other) is Var  # (an argument: a dict known
                    raise error                                 # at the first call)
                for k, v in zip(other.keys, other.values):
                    value = value.replace(k, v)
            for k in call.keywords:
                value = value.replace(k.arg, self.expr(k.value, env))
            env[name] = value
            return
        if method == "reverse" and type(value) is tuple and not call.args and not call.keywords:
            self.not_shared(call, name, env, live)  # (a list known here: its items reversed)
            env[name] = self.same_kind(value, value[::-1])
            return
        if method == "sort" and type(value) is tuple and not call.args and \
                {k.arg for k in call.keywords} <= {"key", "reverse"}:
            self.not_shared(call, name, env, live)  # (xs.sort(key=f): sorted(xs, key=f) in xs)
            env[name] = self.same_kind(value, self.sorted_by(value, call, env))
            return
        options = {k.arg for k in call.keywords}
        if method == "sort" and type(value) is Var and not call.args and "key" in options and \
                options <= {"key", "reverse"}:
            self.not_shared(call, name, env, live)  # (a list built at run time: checked one)
            self.block.append(Assign(None, Op("check_list_sort", (value,)), self.line))
            env[name] = self.sorted_at_run_time(value, call, env)
            return
        if method in ("extend", "insert") and type(value) in (tuple, Var) and \
                not call.keywords and len(call.args) == (1 if method == "extend" else 2):
            self.not_shared(call, name, env, live)
            if method == "extend":
                items = self.iterated(self.expr(call.args[0], env), call)
                if type(items) is tuple:
                    for item in items:
                        value = value + (item,) if type(value) is tuple else self.emit(
                            "list_append", (self.as_atom(value), self.as_atom(item)), target=name)
                    env[name] = self.known_list(value) if type(value) is tuple else value
                    return
                if type(items) is Var:  # a list or array made at run time: as `xs += list(v)`
                    env[name] = self.extended(value, items, call, env)
                    return
            else:
                at = self.expr(call.args[0], env)
                if type(value) is tuple and type(at) is Const and type(at.value) is int:
                    items = list(value)
                    items.insert(at.value, self.expr(call.args[1], env))
                    env[name] = self.known_list(items)
                    return
        error = self.unsupported(call, f"{name}.{method}(...) here", f"{method} a list or dict "
                                 "made in the function, with values and positions known here")
        error.maybe_container = type(value) is Var  # (from an argument: a list known at the
        raise error                                 # first call)
