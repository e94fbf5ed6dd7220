"""Stacks: the tape of a derivative that is differentiated again.

Generated code keeps what its backward loops read on a list used as a stack: `tape = []`,
`tape.append(v)`, `x = tape.pop()`. Lowered as a list value (the way a user's list is), each
push would copy the whole tape. Here the tape stays one list, changed by `push` and `pop`
statements, which are differentiated like any data: the adjoint of a stack is a stack of
adjoints, pushed where the values were popped and popped where they were pushed (reverse.py);
its tangent is a stack of tangents, pushed and popped in step with it (forward.py).

A pushed tuple is pushed item by item and popped into its names last to first: in generated code
every pop unpacks exactly what its push packed, which is why only generated code gets stacks.
"""
from __future__ import annotations

import gast

from ..ir import Assign, Op
from .scan import is_append, is_pop


def stack_names(node):
    """Names that are lists used only as stacks: assigned only `[]` (generated code's float path
    and generic path each start a tape) and otherwise named only as `name.append(v)` or
    `name.pop()`."""
    inits, uses, names = set(), set(), set()
    for n in gast.walk(node):
        if isinstance(n, gast.Assign) and len(n.targets) == 1 and \
                isinstance(n.targets[0], gast.Name) and isinstance(n.value, gast.List) and \
                not n.value.elts:
            inits.add(id(n.targets[0]))
            names.add(n.targets[0].id)
        elif isinstance(n, gast.Call) and (is_append(n) and len(n.args) == 1 and
                                           not n.keywords or is_pop(n) and not n.args):
            uses.add(id(n.func.value))
    other = {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and
             id(n) not in inits and id(n) not in uses}
    return frozenset(names - other)


class Stacks:
    def is_stack(self, node):
        return isinstance(node, gast.Name) and node.id in self.stacks

    def new_stack(self, name, env):
        env[name] = self.emit("list", (), target=name)

    def push(self, call, env):
        """`tape.append(v)`; a tuple item by item."""
        stack = env[call.func.value.id]
        value = call.args[0]
        for item in value.elts if isinstance(value, gast.Tuple) else [value]:
            self.block.append(Assign(None, Op("push", (stack, self.atom(item, env))), self.line))

    def pop_into(self, target, call, env):
        """`x = tape.pop()`, or `a, b = tape.pop()`: the names last to first."""
        stack = env[call.func.value.id]
        names = target.elts if isinstance(target, gast.Tuple) else [target]
        if not all(isinstance(t, gast.Name) for t in names):
            raise self.unsupported(target, "popping into this target", "pop into names")
        for t in reversed(names):
            since = len(self.block)
            env[t.id] = self.bind(t.id, self.emit("pop", (stack,), target=t.id), since)
