"""Assignment targets evaluated once. Python evaluates the container and the indexes of
`a[f()] += v` and `m[i()][j()] = v` once; lowering reads a target more than once (to load it
and to store into it, and once per level of a nested store), so an index that calls something
is lowered first and every later read of that node gets the same value."""
from __future__ import annotations

import gast

from ..ir import Var
from .arguments import effectful


class Targets:
    def target_once(self, target, env, verb="assigning into"):
        """Lower the indexes of `target` (a Subscript or Attribute) that call something, in
        Python's order (outer container first; verb None: not where the root is no name);
        until forget_once(the keys returned), lowering
        one of those nodes again gives that value (Expressions.expr reads self.once). (No
        context manager: contextlib's frames would stay in the user's traceback.)"""
        root, parts = target, []
        while isinstance(root, (gast.Subscript, gast.Attribute)):
            parts.append(root)
            root = root.value
        if not isinstance(root, gast.Name) and verb is None:  # (f()[g()]: f() first)
            return []
        if not isinstance(root, gast.Name):
            raise self.unsupported(
                target, f"{verb} {gast.unparse(target).strip()}, a part of what "
                f"{gast.unparse(root).strip()} gives,", "Python changes that object wherever it "
                "is held; change it through the name that holds it (xs[0].v += ... where a "
                "helper returns xs[0])")
        added: list = []
        try:
            for part in reversed(parts):
                for node in indexes(part.slice) if isinstance(part, gast.Subscript) else ():
                    if id(node) not in self.once:
                        self.once[id(node)] = self.expr(node, env)
                        added.append(id(node))
        except BaseException:
            self.forget_once(added)
            raise
        return added

    def forget_once(self, added):
        for key in added:
            del self.once[key]

    def store_flat(self, target, value, env):
        """`a.flat[i] = v` of an array a: `a[np.unravel_index(i, a.shape)] = v`, stored as any
        item is (a view of another array refused as there). An index of ints (one or an array
        of them, not negative); a slice is refused."""
        array = self.expr(target.value.value, env)
        if type(array) is not Var or isinstance(target.slice, gast.Slice):
            raise self.unsupported(target, f"assigning into {gast.unparse(target).strip()}"
                                   + ("" if type(array) is Var else ", not of an array"),
                                   "index the array with the positions (a[np.unravel_index("
                                   "np.arange(i, j), a.shape)] = v)")
        shape = self.emit("shape", (array,))
        index = self.emit("np.unravel_index", (self.as_atom(self.expr(target.slice, env)),
                                               shape))
        name = "<flat index>"
        env[name] = index
        try:
            self.store(gast.copy_location(gast.Subscript(
                value=target.value.value, slice=gast.copy_location(gast.Name(
                    id=name, ctx=gast.Load(), annotation=None, type_comment=None), target),
                ctx=gast.Store()), target), value, env)
        finally:
            del env[name]

    def store_once(self, target, value, env):
        """`target = value`, value lowered: the target's indexes evaluated once."""
        added = self.target_once(target, env)
        try:
            self.store(target, value, env)
        finally:
            self.forget_once(added)

    def lowered_once(self, part, env, lower):
        """lower(), where the indexes of `part` (`rows[f()]` of `rows[f()].append(v)`, read and
        then stored into) that call something are lowered first, once."""
        added = self.target_once(part, env, None)
        try:
            return lower()
        finally:
            self.forget_once(added)


def indexes(node):
    """The parts of an index that calls something, each to be lowered once: the items of a
    tuple and the bounds of a slice one by one, anything else whole."""
    if isinstance(node, gast.Tuple):
        return [n for e in node.elts for n in indexes(e)]
    if isinstance(node, gast.Slice):
        return [n for p in (node.lower, node.upper, node.step) if p is not None
                for n in indexes(p)]
    return [node] if effectful(node) else []


def written_array(target):
    """The name written into by the target `x[i]` or `x.flat[i]`, else None."""
    if not isinstance(target, gast.Subscript):
        return None
    base = target.value
    if isinstance(base, gast.Attribute) and base.attr == "flat":
        base = base.value
    return base.id if isinstance(base, gast.Name) else None
