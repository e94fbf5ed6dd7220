"""Stage: flat code -> forward-mode flat code. Each value is followed by its tangent `d_<name>`.

Only values that depend on a differentiated input are active and get a tangent; every other
tangent is a symbolic zero and never appears. Branches and loops keep their shape: the tangent of
a merged or loop-carried name is assigned wherever the name is, so it follows the same control
flow; no tape is needed. (A derivative differentiated again has a tape of its own, a stack: its
tangents are a stack too, pushed and popped in step with it.)

A tangent of a broadcast value may be smaller than the value (`d_z = d_x` for `z = x + Y` with a
constant array `Y`); such tangents are expanded to the value's shape where shape matters: before a
reduction or a product, at the output, and inside branches and loops, where a name's tangent must
have one shape whatever the path.
"""
from __future__ import annotations

from collections import Counter

from .analysis import Readers, active_names, add_op, all_names, into_loop, list_names, \
    one_branch, reaching, real_only, shape_classes
from .errors import NoDerivativeError
from .ir import Namer, Assign, Break, Const, For, Function, If, Op, Return, Var, While, blocks_of, \
    stmt_exprs, targets_of, used_names, uses_of, walk_exprs, walk_stmts
from .lower.hoist import runs_test
from .pathwise import with_standard_draws
from .primitives import PRIMS
from .templates import has_rule, jvp_term, located, no_rule, shared


def forward(fn: Function, wrt, name=None, aux=False) -> Function:
    """The JVP function: `name(*params, *d_params)` returns `(out, d_out)`. With `aux`
    (has_aux, auxiliary.py) the Return's last value is not differentiated: `(out, d_out, aux)`."""
    ret = fn.body[-1]
    outs = ret.values[:-1] if aux else ret.values
    useful = reaching(fn, [v.name for v in outs if type(v) is Var])  # (not the aux, not tests)
    fn = with_standard_draws(fn, wrt, useful)
    namer = Namer(all_names(fn), all_names(fn))
    active = active_names(fn, wrt, useful)
    same = shape_classes(fn)
    lists = list_names(fn)
    names = {}
    short = set()  # tangents possibly smaller than their values

    def _exprs(st):
        return list(walk_exprs(st.value))

    made = set()  # every tangent's name

    def tangent(n):
        if n not in names:
            names[n] = namer.fresh(f"d_{n}")
            made.add(names[n])
        return names[n]

    def exact(v: Var, out, line, nested=False):
        """v's tangent at v's shape: a short one is expanded once, into a new name in
        straight-line code (SSA), in place inside a branch or loop (where every path must
        leave the tangent under the one name)."""
        t = tangent(v.name)
        if t in short:
            if nested:  # (still short on the paths that skip this block)
                out.append(Assign(t, Op("expand_to", (Var(t), v)), line))
                return Var(t)
            full = namer.fresh(t)
            made.add(full)
            out.append(Assign(full, Op("expand_to", (Var(t), v)), line))
            names[v.name] = t = full
        return Var(t)

    def block(stmts, nested):
        out = []
        for s in stmts:
            t = type(s)
            if t is Return:
                values = s.values[:-1] if aux else s.values
                outs = [exact(v, out, s.line) if type(v) is Var and v.name in active
                        else Op("zeros_like", (v,)) for v in values]
                out.append(Return([_pack(values, s.as_tuple), _pack(outs, s.as_tuple)] +
                                  s.values[len(values):], True, s.line))
            elif t is Assign and type(s.value) is Op and s.value.prim in ("push", "pop") and \
                    s.value.args[0].name in active:
                out.append(s)
                stack(s, out, nested)
            elif t is Assign:
                if s.target in active and type(s.value) is Op and any(
                        a == Var(s.target) for a in s.value.args):
                    self_update(s, out, nested)
                    continue
                out.append(real_only(s, active))
                if s.target in active:
                    assign(s, out, nested)
            elif t is If:
                out.append(If(s.test, block(s.body, True), block(s.orelse, True), s.line))
            elif t is For:
                out.append(For(s.target, s.bounds, block(s.body, True), s.line, s.reverse, s.count))
            elif t is While:
                out.append(While(s.test, block(s.body, True), s.line))
            else:
                out.append(s)
        return out

    def stack(s, out, nested):
        """A stack holding active values (the tape of a derivative differentiated again) has a
        stack of tangents beside it: pushed and popped in step, each tangent at its value's
        shape."""
        tangents = Var(tangent(s.value.args[0].name))
        if s.value.prim == "pop":
            out.append(Assign(tangent(s.target), Op("pop", (tangents,)), s.line))
            return
        v = s.value.args[1]
        t = exact(v, out, s.line, nested) if type(v) is Var and v.name in active else \
            Op("zeros_like", (v,))
        out.append(Assign(None, Op("push", (tangents, t)), s.line))

    def self_update(s, out, nested):
        """`acc = acc * s7`: the tangent reads the old value, so it comes first; when it also
        reads the new one, the new value is computed into a temporary first."""
        tangent_code = []
        assign(s, tangent_code, nested)
        reads_new = any(Var(s.target) in _exprs(st) for st in tangent_code)
        if not reads_new:
            out.extend(tangent_code)
            out.append(s)
            return
        new = namer.fresh(s.target)
        out.append(Assign(new, s.value, s.line))
        tangent_code = []
        assign(Assign(new, s.value, s.line), tangent_code, nested, name=s.target)
        out.extend(tangent_code)
        out.append(Assign(s.target, Var(new), s.line))

    def assign(s, out, nested, name=None):
        v = s.value
        target = name or s.target
        if type(v) is not Op:  # a copy, or a constant given to a name that is active elsewhere
            value = exact(v, out, s.line, nested) if type(v) is Var and v.name in active else \
                Op("zeros_like", (Var(s.target),))
            out.append(Assign(tangent(target), value, s.line))
            return
        p = PRIMS[v.prim]
        args = [i for i, a in enumerate(v.args) if type(a) is Var and a.name in active]
        terms = []
        if p.kind != "nondiff" and args:
            if not has_rule(v.prim):
                raise NoDerivativeError(no_rule(p, "forward"), fn.filename, s.line)
            for i in args:
                t = exact(v.args[i], out, s.line, nested) if p.kind == "exact" or nested \
                    else Var(tangent(v.args[i].name))
                try:
                    term = jvp_term(v, s.target, i, t)
                except NoDerivativeError as e:  # (a custom rule for reverse mode only)
                    raise located(e, fn.filename, s.line) from None
                if term is not None:
                    terms.append(term)
        if not terms:
            out.append(Assign(tangent(target), Op("zeros_like", (Var(s.target),)), s.line))
            return
        lets, terms = shared(terms, namer, s.line)
        out.extend(lets)
        while len(terms) > 32:  # (many: in pairs, so that no expression nests deeply)
            terms = [Op(add_op(target, lists), tuple(terms[k:k + 2])) if k + 1 < len(terms)
                     else terms[k] for k in range(0, len(terms), 2)]
        total = terms[0]
        for term in terms[1:]:
            total = Op(add_op(target, lists), (total, term))
        is_short = any(names.get(v.args[i].name) in short for i in args) or \
            p.kind == "broadcast" and s.target not in same and any(
                type(a) is Var and a.name not in active for a in v.args)
        if is_short and nested:
            total, is_short = Op("expand_to", (total, Var(s.target))), False
        out.append(Assign(tangent(target), total, s.line))
        (short.add if is_short else short.discard)(tangent(target))

    body = block(fn.body, False)
    once = Counter(t for st in walk_stmts(body) if type(st) is Assign for t in targets_of(st))
    # a tape and its tangents change in place (push, pop): what reads them stays where it is
    stacks = {st.value.args[0].name for st in walk_stmts(body) if type(st) is Assign and
              type(st.value) is Op and st.value.prim in ("push", "pop")}
    marks: dict = {}
    _sink(body, lambda st: st.target in made and once[st.target] == 1 and st.target not in stacks
          and not used_names(st.value) & stacks, set(), marks)  # (not a carried one)
    if marks:
        _once(body, marks, namer)
    params = list(fn.params) + [tangent(p) for p in wrt]
    return Function(name or f"jvp_{fn.name}", params, body, fn.filename, fn.source_lines,
                    dict(fn.constants), errstate=fn.errstate)


def _pack(values, as_tuple):
    return Op("tuple", tuple(values)) if as_tuple else values[0]



def _sink(stmts, movable, after, marks):
    """Move each tangent computed before an `if` and read in one of its branches only into that
    branch (analysis.one_branch): on the other path its rule could divide by zero where the
    value it belongs to is singular (`math.sqrt(x)` at 0 guarded by `if x <= 0`), where the
    primal does not. One read only inside a loop moves into its body (analysis.into_loop), and on
    into a branch there, as the loop may run no step or never take that branch; `marks` records
    the loop it entered first (id of the statement -> the loop), which `_once` turns into a flag.
    `after`: the names read after this block."""
    def free(a):  # (a copy `_spread` made is read after this block only through other copies)
        return movable(a) and (a.target not in after or id(a) in marks)

    k, readers = 0, None
    while k < len(stmts):
        s = stmts[k]
        if type(s) is If:
            readers = readers or Readers(stmts)
            into = one_branch(readers, k, free)
            if any(into):
                for branch, js in zip((s.body, s.orelse), into):
                    branch[0:0] = [stmts[j] for j in js]
                for j in sorted(into[0] + into[1], reverse=True):
                    del stmts[j]
                k -= len(into[0]) + len(into[1])
                readers = None
        elif type(s) in (For, While):
            readers = readers or Readers(stmts)
            js = into_loop(readers, k, free)
            if js:
                s.body[0:0] = [stmts[j] for j in js]
                for j in reversed(js):
                    marks.setdefault(id(stmts[j]), (s, id(stmts[j])))
                    del stmts[j]
                k -= len(js)
                readers = None
        k += 1
    _spread(stmts, free, marks)
    for k, s in enumerate(stmts):
        blocks = blocks_of(s)
        if blocks:
            later = set(after).union(*map(uses_of, stmts[k + 1:]))
            if type(s) is not If:  # (a loop's header reads what its body assigns)
                later = later.union(*map(used_names, stmt_exprs(s)))
            for b in blocks:
                _sink(b, movable, later, marks)


def _spread(stmts, movable, marks):
    """A tangent that several later loops or branches read, and nothing else in this block (a
    gradient's loop and the `if grad_r_set:` after it): a copy of it goes into each (into the
    branches that read it), to be computed where it is read, once (`_once`: under one flag for
    the copies alike, set before the first of them). Its operands must not change until the last
    of them reads it."""
    j, readers = len(stmts), None
    while j > 0:  # (the last first: a statement is decided after those that read its value)
        j -= 1
        st = stmts[j]
        if type(st) is not Assign or type(st.target) is not str or not movable(st):
            continue
        readers = readers or Readers(stmts)
        users = sorted(set(readers.users.get(st.target, ())))
        if len(users) < 2 or readers.assigns.get(st.target) != [j] or any(
                u < j or type(stmts[u]) not in (If, For, While) or
                any(st.target in used_names(e) for e in stmt_exprs(stmts[u])) for u in users):
            continue
        if any(j < a <= users[-1] for n in used_names(st.value)
               for a in readers.assigns.get(n, ())):
            continue  # (an operand changes before the last reader)
        for u in users:
            for b in blocks_of(stmts[u]):
                if any(st.target in uses_of(x) for x in b):
                    copy = Assign(st.target, st.value, st.line)
                    marks[id(copy)] = marks.get(id(st), (stmts[users[0]], id(st)))
                    b.insert(0, copy)
        del stmts[j]
        readers = None


def _once(stmts, marks, namer, flags=None, names=None):
    """Each run of statements `_sink` moved into a loop, wherever they came to rest in it, runs
    once: under a flag set before the loop they entered first, or the first statement `_spread`
    copied them into (`d_r_unset = True`), and cleared by the run; runs of the same statements
    share it. (Their operands do not change there: once is as good as at every step.)"""
    flags = {} if flags is None else flags  # id of a loop -> the flags to set before it
    names = {} if names is None else names  # (a loop, the statements run) -> their flag
    k = 0
    while k < len(stmts):
        s = stmts[k]
        loop = marks.get(id(s))
        if loop is None:
            for b in blocks_of(s):
                _once(b, marks, namer, flags, names)
            k += 1
            continue
        end = k
        while end < len(stmts) and marks.get(id(stmts[end]), (None,))[0] is loop[0]:
            end += 1
        key = (id(loop[0]),) + tuple(marks[id(x)][1] for x in stmts[k:end])
        before = {t for x in walk_stmts(stmts[:k]) if type(x) is Assign for t in targets_of(x)}
        runs = runs_test(loop[0], namer) if type(loop[0]) in (For, While) and \
            stmts is loop[0].body and not any(type(x) is Break for x in walk_stmts(stmts)) \
            and not before & {n for x in stmts[k:end] for n in uses_of(x)} else None
        # (not where it reads what this body computed first: a copy run once under its flag)
        if runs is not None:  # (read at every step: before the loop, where it runs a step)
            run = stmts[k:end]
            flags.setdefault(id(loop[0]), []).extend(
                runs[0] + (run if type(runs[1]) is Const else [If(runs[1], run, [], s.line)]))
            del stmts[k:end]
            continue
        flag = names.get(key)
        if flag is None:
            flag = names[key] = namer.fresh(f"{s.target}_unset")
            flags.setdefault(id(loop[0]), []).append(Assign(flag, Const(True), s.line))
        stmts[k:end] = [If(Var(flag), stmts[k:end] + [Assign(flag, Const(False), s.line)], [],
                           s.line)]
        k += 1
    k = 0
    while k < len(stmts):  # (the flags of loops in this block: set right before them)
        inits = flags.pop(id(stmts[k]), [])
        stmts[k:k] = inits
        k += len(inits) + 1
