"""JAX's `has_aux`: f returns a pair `(out, aux)`; only `out` is differentiated, and `aux` is
handed back as the forward sweep computed it.

`split(fn)` rewrites the end of lowered flat code so that its Return holds the values of `out`
followed by one value, the aux: the value itself when the pair holds no container the lowering
flattened (`return loss, acc`, `return loss, (a, b)`), else a tuple of its leaves, named `aux`,
whose structure `rebuild` restores at the boundary (`return loss, {"acc": acc}`). Forward and
reverse mode then return that last value beside their results (`return (grad_x, aux)`); since
the output does not depend on the aux, nothing computes a derivative of it (analysis.reaching).
"""
from __future__ import annotations

from .analysis import all_names
from .errors import ArgumentError
from .ir import Assign, Function, Namer, Op, Return, Var, blocks_of, walk_stmts
from .pytree import Tree, unflatten


def split(fn: Function):
    """Split `fn`'s Return into out's values and one aux value (see the module's doc); sets
    `fn.out_tree` to out's structure. Returns the aux's structure (a pytree.Tree), or None when
    the aux value is returned as it is."""
    ret = fn.body[-1]
    tree = fn.out_tree
    if isinstance(tree, Tree):
        if tree.kind != "tuple" or len(tree.children) != 2:
            raise _not_a_pair(fn, ret, f"a {tree.kind}" if tree.kind != "tuple" else
                              f"a tuple of {len(tree.children)}")
        out_tree, aux_tree = tree.children
        n = len(out_tree.leaves())
        values, aux = ret.values[:n], ret.values[n:]
        name = Namer(all_names(fn), all_names(fn)).fresh("aux")
        fn.body.insert(len(fn.body) - 1, Assign(name, Op("tuple", tuple(aux)), ret.line))
        fn.out_tree = out_tree if out_tree.kind != "leaf" else None
        fn.body[-1] = Return(list(values) + [Var(name)], out_tree.kind != "leaf", ret.line)
        return aux_tree
    if not ret.as_tuple or len(ret.values) != 2:
        raise _not_a_pair(fn, ret, f"a tuple of {len(ret.values)}" if ret.as_tuple else
                          "one value")
    out, aux = ret.values
    parts = _tuple_of(fn, out)  # `return (a, b), aux`: out is the tuple (a, b), as without aux
    fn.body[-1] = Return(list(parts or [out]) + [aux], parts is not None, ret.line)
    return None


def _tuple_of(fn, atom):
    """The elements of the tuple `atom` names, when one top-level statement builds it."""
    if type(atom) is not Var:
        return None
    defs = [s for s in walk_stmts(fn.body) if type(s) is Assign and s.target == atom.name]
    if len(defs) != 1 or defs[0] not in fn.body or type(defs[0].value) is not Op or \
            defs[0].value.prim != "tuple" or any(blocks_of(s) for s in defs):
        return None
    return list(defs[0].value.args)


def _not_a_pair(fn, ret, what):
    return ArgumentError(f"{fn.name} is differentiated with has_aux=True, so it must return a "
                         f"pair (output, aux), but it returns {what}; return `out, aux`, or "
                         "leave has_aux out", fn.filename, ret.line)


def rebuild(tree, aux):
    """The aux in the user's structure: as it is (tree None), or its leaves put back."""
    return aux if tree is None else unflatten(tree, aux)
