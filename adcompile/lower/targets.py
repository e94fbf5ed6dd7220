"""Assignment targets evaluated once. Python evaluates the container and the indexes of
`a[f()] += v` and `m[i()][j()] = v` once; lowering reads a target more than once (to load it
and to store into it, and once per level of a nested store), so an index that calls something
is lowered first and every later read of that node gets the same value."""
from __future__ import annotations

import contextlib

import gast

from .arguments import effectful


class Targets:
    @contextlib.contextmanager
    def target_once(self, target, env, verb="assigning into"):
        """Lower the indexes of `target` (a Subscript or Attribute) that call something, in
        Python's order (outer container first); while the statement is lowered, lowering one of
        those nodes again gives that value (Expressions.expr reads self.once)."""
        root, parts = target, []
        while isinstance(root, (gast.Subscript, gast.Attribute)):
            parts.append(root)
            root = root.value
        if not isinstance(root, gast.Name):
            raise self.unsupported(
                target, f"{verb} {gast.unparse(target).strip()}, a part of what "
                f"{gast.unparse(root).strip()} gives,", "Python changes that object wherever it "
                "is held; change it through the name that holds it (xs[0].v += ... where a "
                "helper returns xs[0])")
        added = []
        for part in reversed(parts):
            if isinstance(part, gast.Subscript):
                for node in indexes(part.slice):
                    if id(node) not in self.once:
                        self.once[id(node)] = self.expr(node, env)
                        added.append(id(node))
        try:
            yield target
        finally:
            for key in added:
                del self.once[key]


def indexes(node):
    """The parts of an index that calls something, each to be lowered once: the items of a
    tuple and the bounds of a slice one by one, anything else whole."""
    if isinstance(node, gast.Tuple):
        return [n for e in node.elts for n in indexes(e)]
    if isinstance(node, gast.Slice):
        return [n for p in (node.lower, node.upper, node.step) if p is not None
                for n in indexes(p)]
    return [node] if effectful(node) else []
