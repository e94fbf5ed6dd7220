"""Stage: flat -> flat, the last pass of code that runs (`grad`, `value_and_grad`, `vjp`): what a
backward loop sums step by step as one product after the loop.

Backprop through time gives a weight matrix `W`, which every step multiplies (`W @ h`), one outer
product per step: `grad_W = grad_W + matmul_grad_left(grad_s4, W, h_1)`. Here the loop keeps
each step's two factors instead, `grad_W_steps.append((grad_s4, h_1))`, and after the loop
`grad_W = grad_W + matmul_steps_left(grad_W_steps, W)` adds them all as one matrix product of
the stacked factors (`G.T @ H`), which is what a batched hand-written BPTT does.

It applies where that is the same sum: `W` is assigned by no statement of the loop, the
accumulator is read by no other statement of the loop, and no factor is an array the generated
code adds into in place (`scatter_add`). The helper sums step by step where the factors do not
stack (other shapes, other array libraries). Only the order of the additions differs.

Code that is differentiated again or compiled by `jit` is built without this pass
(`build(..., final=False)`): the helpers it calls have no rules, and Numba has no lists of arrays.
"""
from __future__ import annotations

from .ir import Assign, For, Function, Op, Var, stmt_exprs, targets_of, used_names, walk_stmts
from .optimize import blocks
from .polynomial import ARITHMETIC

# results that are new arrays, never an operand's; results that may be their first operand's
FRESH = ARITHMETIC | {"truediv", "pow", "matmul", "matmul_grad_left", "matmul_grad_right",
                      "zeros_like", "add_fitted", "list"}
FIRST = {"scatter_add", "unbroadcast", "expand_to", "getitem", "T"}
# helper of one step -> (the helper of all steps, the matrix's operand, the other factor's)
STEPS = {"matmul_grad_left": ("matmul_steps_left", 1, 2),
         "matmul_grad_right": ("matmul_steps_right", 2, 1)}


def batch(fn: Function) -> Function:
    stmts = list(walk_stmts(fn.body))
    taken = set(fn.params) | set(fn.constants) | {n for s in stmts for n in _names(s)}
    buffers = _buffers(stmts)
    for block in blocks(fn):
        k = 0
        while k < len(block):
            s = block[k]
            if type(s) is For and s.sweep == "backward":
                before, after = _steps(s, taken, buffers)
                block[k:k + 1] = before + [s] + after
                k += len(before) + len(after)
            k += 1
    return fn


def _buffers(stmts):
    """The arrays the generated code adds into in place (`scatter_add`'s), and every name that
    may hold one of them (a copy, a view, a tape's push and pop): no step keeps one for later."""
    linked = {}  # name -> names that may hold the same array
    for s in stmts:
        if type(s) is not Assign:
            continue
        if type(s.value) is Op and s.value.prim == "push":  # what is pushed comes back from the pop
            pairs = [(s.value.args[0], s.value.args[1])]
        else:
            pairs = [(Var(t), s.value) for t in targets_of(s)]
        for holder, value in pairs:
            for n in _may_hold(value):
                if type(holder) is Var:
                    linked.setdefault(holder.name, set()).add(n)
                    linked.setdefault(n, set()).add(holder.name)
    todo = [s.value.args[0].name for s in stmts if type(s) is Assign and type(s.value) is Op
            and s.value.prim == "scatter_add" and type(s.value.args[0]) is Var]
    out = set()
    while todo:
        n = todo.pop()
        if n not in out:
            out.add(n)
            todo += linked.get(n, ())
    return out


def _may_hold(e):
    """The names whose array the value of `e` may be."""
    if type(e) is Var:
        return {e.name}
    if type(e) is not Op or e.prim in FRESH:
        return set()
    if e.prim in FIRST:
        return _may_hold(e.args[0])
    return set().union(*(_may_hold(a) for a in e.args))


def _names(s):
    """The names a statement reads or assigns (not those of its nested blocks)."""
    own = targets_of(s) if type(s) is Assign else [s.target] if type(s) is For else []
    return set(own).union(*(used_names(e) for e in stmt_exprs(s)))


def _steps(loop, taken, buffers):
    """The statements before and after `loop` that batch its products (and `loop.body`
    rewritten to keep their factors)."""
    assigned = {loop.target} | {n for s in loop.body for n in targets_of(s)}
    touching = {}  # name -> how many statements of the loop read or assign it
    for t in walk_stmts(loop.body):
        for n in _names(t):
            touching[n] = touching.get(n, 0) + 1
    found = {}  # accumulator -> [(statement, its terms, their plans)]
    for s in loop.body:
        if not (type(s) is Assign and type(s.target) is str and type(s.value) is Op and
                s.value.prim == "add"):
            continue
        acc, terms = s.target, _terms(s.value)
        if terms.count(Var(acc)) != 1 or any(acc in used_names(t) for t in terms
                                             if t != Var(acc)):
            continue
        plans = [_product(t, assigned, buffers | {acc}) for t in terms]
        found.setdefault(acc, []).append((s, terms, plans))
    lists, before, after, new = {}, [], [], {}
    for acc, statements in found.items():
        if touching[acc] != len(statements) or not any(any(p) for _, _, p in statements):
            continue  # (another statement reads or assigns it)
        for s, terms, plans in statements:
            rest, pushes = [], []
            for t, plan in zip(terms, plans):
                if plan is None:
                    rest.append(t)
                    continue
                batched, matrix, pair = plan
                key = (acc, batched, matrix)
                if key not in lists:
                    lists[key] = _fresh(f"{acc}_steps", taken)
                    before.append(Assign(lists[key], Op("list", ()), loop.line))
                    after.append(Assign(acc, Op("add", (Var(acc), Op(batched, (
                        Var(lists[key]), Var(matrix))))), loop.line))
                pushes.append(Assign(None, Op("push", (Var(lists[key]), Op("tuple", pair))),
                                     s.line))
            new[id(s)] = pushes + ([] if rest == [Var(acc)] else [Assign(acc, _sum(rest), s.line)])
    if new:
        loop.body[:] = [u for s in loop.body for u in new.get(id(s), [s])]
    return before, after


def _terms(e):
    """The terms of a left-nested sum `a + b + c`."""
    out = []
    while type(e) is Op and e.prim == "add":
        out.append(e.args[1])
        e = e.args[0]
    return [e] + out[::-1]


def _sum(terms):
    e = terms[0]
    for t in terms[1:]:
        e = Op("add", (e, t))
    return e


def _product(term, assigned, kept):
    """(helper of all steps, matrix, (the step's two factors)) where `term` is the gradient of
    a matrix no step assigns and its factors read none of `kept`; else None."""
    if type(term) is not Op or term.prim not in STEPS or term.kwargs or len(term.args) != 3:
        return None
    batched, i, j = STEPS[term.prim]
    matrix, g, other = term.args[i], term.args[0], term.args[j]
    if type(matrix) is not Var or matrix.name in assigned or \
            (used_names(g) | used_names(other)) & kept:
        return None
    return batched, matrix.name, (g, other)


def _fresh(name, taken):
    k, out = 1, name
    while out in taken:
        k, out = k + 1, f"{name}_{k}"
    taken.add(out)
    return out
