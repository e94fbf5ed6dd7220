"""Stage: flat code -> reverse-mode flat code: the forward sweep, then the adjoint sweep.

The adjoint of `v` is `grad_v`. The sweep visits statements last to first and hands each operand
of an active equation its contribution from the rule table. In straight-line code `grad_v` is
written once, as soon as every contribution has arrived, that is right after the statement that
uses `v` first, which is where the lecture writes it (`grad_s3 = ...`, then `grad_w2 = grad_s3`).

Branches and loops keep their shape: a branch's backward code re-takes the branch, a loop's runs
the loop reversed (a trip count is kept for `while` and `break`). An adjoint that crosses such a
boundary gets its variable before the structure and is added to in place inside it; the adjoint
of a name a loop carries is reset where the loop assigns the name. A loop pushes on a tape, once
per iteration, only what the backward loop reads and the forward loop overwrites; cheap
arithmetic of loop-invariant values is recomputed instead.

Broadcasting: a contribution from `z = x + y` has `z`'s shape, which may be larger than `x`'s
(BIG), and the adjoint a full sum hands back is one number, smaller than `x` (SMALL, "loose").
Fitting them to `x`'s shape (`unbroadcast`) commutes with the elementwise rules that follow, so
it is put off until the shape matters: where contributions are added, before a rule that needs
exact shapes (`@`, `np.sum`), and at the returned gradients; a loose adjoint also before a
broadcasting rule, which would lose count of repeated elements. At the returned gradients the
fitting is skipped at no cost when the output and every value entering a `math` function are
Python floats, which proves that no array took part.
"""
from __future__ import annotations

from collections import Counter

from .compile import is_generated
from .errors import ArgumentError, NoDerivativeError
from .analysis import SCALAR, Readers, active_names, add_op, all_names, each_assign, \
    keeps_dimensions, list_names, one_branch, reaching, real_only, shape_classes
from .floats import FITTING, all_floats, complex_numbers, operands, python_numbers, \
    read_in_structures, tested, unfitted, zeroed
from .ir import (Namer, copy_block, walk_stmts, Assign, Break, Const, For, Function, If, Op, Return, Var, While,
                 stmt_exprs, substitute, targets_of, used_names, uses_of)
from .pathwise import with_standard_draws
from .primitives import PRIMS
from .tape import index_of, lay
from .rules import FITS_ITSELF
from .seeds import checked_results, kept_value, label_of, seed_of_output, seeds_of
from .templates import has_rule, is_loose, located, no_rule, shared, vjp_term

BIG, SMALL = 1, 2  # an adjoint may carry broadcast axes (BIG) or be loose, still to broadcast
KEPT = 4  # with SMALL: loose along the kept dimensions of a reduction only, not one number
CHUNK = 32  # the most contributions one statement adds (the passes recurse into expressions)


class Backward:
    """The adjoint sweep over structured flat code.

    In straight-line code an adjoint is written once, when its last contribution has arrived
    (`pending` collects them). A name whose adjoint crosses a branch or loop boundary (it is used
    inside and defined outside, or carried by the loop) gets an adjoint variable before the
    structure, accumulated in place inside it. A loop-carried name's adjoint is reset where the
    loop assigns the name: from there on it is the adjoint of the previous value.
    """

    def __init__(self, fn, wrt, namer, active):
        self.fn, self.wrt, self.namer, self.active = fn, wrt, namer, active
        self.same = shape_classes(fn)
        self.shapes = shape_classes(fn, covering=True) if keeps_dimensions(fn) else self.same
        self.scalars = {n for n, c in self.same.items() if c == SCALAR} | {
            s.target for s in walk_stmts(fn.body) if type(s) is For}  # Python numbers
        self.lists = list_names(fn)
        self.defining = {s.target: PRIMS[s.value.prim].kind for s in each_assign(fn.body)
                         if type(s.target) is str and type(s.value) is Op}
        once = Counter(t for st in walk_stmts(fn.body) for t in (
            targets_of(st) if type(st) is Assign else [st.target] if type(st) is For else []))
        self.ruled = {st.target for st in each_assign(fn.body) if type(st.target) is str and
                      once[st.target] == 1 and st.target not in fn.params}  # (for flags)
        self.fitting = {s.target for s in each_assign(fn.body) if type(s.target) is str and
                        type(s.value) is Op and s.value.prim in FITS_ITSELF}
        self.sums = {s.target for s in each_assign(fn.body) if type(s.value) is Op and
                     s.value.prim in ("np.sum", "np.mean") and
                     set(dict(s.value.kwargs)) <= {"axis", "keepdims"}}  # take loose adjoints
        self.pending = {}    # name -> [(expr, deferred)]
        self.term_lines = {}  # name -> the user's lines its pending terms come from
        self.adjoint = {}    # name -> Var holding its adjoint
        self.deferred = {}  # name -> BIG | SMALL: its adjoint may not have its shape yet
        self.barrier_inputs = []
        self.mirrors = []    # (forward block, backward block) pairs inside loops, for the tape
        self.markers = []    # (forward block, a carried def, backward block, where to restore)
        self.loops = []      # (forward loop, count name or None)
        self.loop_stack = []
        self.zeroed = set()  # in-place adjoints that hold zero but were not written yet
        self.owned = set()   # in-place adjoints that are fresh arrays this code may write into
        self.stacks = {}     # a stack holding differentiated values -> its stack of adjoints
        # name -> (a flag, whether its contributions set it): an adjoint that only a loop's steps
        # add to, when the loop may run none, is not handed on through its rule unless the flag
        # says something was added (a rule's slope may be infinite: 0 * inf is NaN)
        self.flags = {}

    # --- adjoints ---------------------------------------------------------------------------------
    def contribute(self, name, expr, deferred, out, inplace, line):
        if name in inplace and self.flags.get(name, (None, False))[1]:
            out.append(Assign(self.flags[name][0], Const(True), line))
        if name in inplace:
            g = self.adjoint[name]
            if deferred:
                expr = Op("unbroadcast", (expr, Var(name)))
            if name in self.zeroed:  # the first contribution after a reset: no zeros to add to
                self.zeroed.discard(name)
                out.append(Assign(g.name, expr, line))
            elif name in self.owned and type(expr) is Op and expr.prim == "getitem_grad":
                out.append(Assign(g.name, Op("scatter_add", (g, expr.args[2], expr.args[0])), line))
            else:
                out.append(Assign(g.name, Op(add_op(name, self.lists), (g, expr)), line))
        else:
            self.pending.setdefault(name, []).append((expr, deferred))
            self.term_lines.setdefault(name, []).append(line)

    def write(self, name, out, line, exact=False):
        terms = self.pending.pop(name)
        self.flags.pop(name, None)  # (terms from code that runs on every path)
        lines = [n for n in self.term_lines.pop(name, ()) if n is not None]
        if lines and line not in lines:  # (written where a line adding nothing reads the name)
            line = lines[-1]
        if name in self.adjoint:  # what a branch or loop already accumulated comes first
            self.unzero(name, out, line)
            terms.insert(0, (self.adjoint[name], self.deferred.get(name, 0)))
        if sum(1 for _, d in terms if d) > 1 and name not in self.lists:
            # several contributions of possibly different shapes: one call fits and adds them
            # (for Python floats it only adds)
            terms = [(Op("add_fitted", (Var(name),) + tuple(e for e, _ in terms)), False)]
        elif len(terms) > 1 or exact or terms[0][1] and self.defining.get(name) == "exact" and \
                not (terms[0][1] == SMALL and name in self.sums) and \
                not (terms[0][1] == BIG and name in self.fitting):
            # contributions of different shapes, or a rule that needs the exact shape next
            terms = [(Op("unbroadcast", (e, Var(name))) if d else e, False) for e, d in terms]
        total = terms[0][0]
        for k, (e, _) in enumerate(terms[1:], 1):
            if k % CHUNK == 0:  # many contributions: a chain of sums, not one deep expression
                part = self.namer.fresh(f"grad_{name}")
                out.append(Assign(part, total, line))
                total = Var(part)
            total = Op(add_op(name, self.lists), (total, e))
        g = self.namer.fresh(f"grad_{name}")
        out.append(Assign(g, total, line))
        self.adjoint[name] = Var(g)
        self.deferred[name] = terms[0][1] if len(terms) == 1 else 0

    def materialize(self, name, out, line, flag=None):
        """Give `name` an adjoint variable that code inside a structure can add to in place.
        `flag` (a loop's boundary: True; a rule run under a flag: that flag): where the adjoint
        starts at zero and comes from a rule, it is flagged. One flagged already that a rule run
        under another flag, or a loop not setting that flag, adds to now loses its flag: its
        rule runs on every path."""
        known = self.flags.get(name)
        if known is not None and name in self.adjoint and flag is not None and \
                flag != known[0] and not (flag is True and known[1]):  # (the flag of `a`'s
            self.flags.pop(name)  # rule would skip what `b`'s rule, or a loop, added)
        if name in self.pending:
            self.write(name, out, line, exact=True)
        elif name in self.adjoint and self.deferred.get(name):
            g = self.namer.fresh(f"grad_{name}")
            out.append(Assign(g, Op("unbroadcast", (self.adjoint[name], Var(name))), line))
            self.adjoint[name] = Var(g)
        elif name not in self.adjoint:
            g = self.namer.fresh(f"grad_{name}")
            out.append(Assign(g, Op("zeros_like", (Var(name),)), line))
            self.adjoint[name] = Var(g)
            self.owned.add(name)
            if flag and name in self.ruled:
                if flag is True:
                    flag = self.namer.fresh(f"{g}_set")
                    out.append(Assign(flag, Const(False), line))
                    self.flags[name] = (flag, True)
                else:
                    self.flags[name] = (flag, False)
        self.unzero(name, out, line)
        self.deferred.pop(name, None)

    def forget(self, names):
        """Adjoint variables made inside one branch exist on that path only: the other branch,
        and the code before the `if`, make their own."""
        for n in names:
            for table in (self.adjoint, self.deferred, self.pending, self.term_lines, self.flags):
                table.pop(n, None)
            self.zeroed.discard(n)
            self.owned.discard(n)

    def flush(self, s, out):
        """Write the pending adjoints whose terms read a value that the backward code of the
        structure `s` restores from the tape: after it they would read the older value. (The
        names `s` assigns get their adjoint variables before it anyway: `boundary`.)"""
        restored = {n for loop in walk_stmts([s]) if type(loop) in (For, While)
                    for n in targets_of(loop)}
        for name in sorted(set(self.pending) - set(targets_of(s))):
            if any(used_names(e) & restored for e, _ in self.pending[name]):
                self.write(name, out, s.line)

    def unzero(self, name, out, line):
        """A zero adjoint that is about to be read gets its zeros after all."""
        if name in self.zeroed:
            self.zeroed.discard(name)
            out.append(Assign(self.adjoint[name].name, Op("zeros_like", (Var(name),)), line))

    # --- statements -------------------------------------------------------------------------------
    def block(self, stmts, inplace, resets, top=False, moved=()):
        """The backward code of a statement list (visited last to first). An adjoint is written
        here only for a name this list assigns (or, at the top, a parameter): a name from outside
        read only by a check inside a branch is written where the outside reads it first.
        `moved`: statements before the `if` holding this branch whose value only the branch
        reads: their rules run here, last, on the path that gives them an adjoint."""
        out = []
        seq = list(moved) + stmts
        local = {t for st in seq for t in targets_of(st)}
        first_use = {}
        for i, s in enumerate(seq):
            for n in uses_of(s):
                first_use.setdefault(n, i)
        zeroed_before = set(self.zeroed)
        outside = set(self.adjoint)  # (adjoints with contributions from after this block)
        readers, gone = None, set()  # (statements whose rules moved into a branch)
        for i in range(len(seq) - 1, -1, -1):
            s = seq[i]
            t = type(s)
            if i in gone:
                pass
            elif t is Assign:
                try:
                    self.assign(s, out, inplace, resets, stmts)
                except NoDerivativeError as e:  # (a rule for forward mode only: no place yet)
                    raise located(e, self.fn.filename, s.line) from None
            elif t in (If, For, While):
                self.flush(s, out)
                if t is If:
                    readers = readers or Readers(seq)
                    into = one_branch(readers, i, lambda a: self.movable(a, resets, outside),
                                      self.inert)
                    gone.update(*into)
                    self.structure(s, out, inplace, resets, [[seq[j] for j in k] for k in into])
                else:
                    self.loop(s, out, inplace, resets, stmts)
            for n in sorted(uses_of(s), key=lambda n: _order(s, n)):
                if first_use.get(n) == i and n in self.pending and n not in inplace and (
                        top or n in local):
                    self.write(n, out, s.line)
        for n in sorted(self.zeroed - zeroed_before):  # still zero at the end of this block
            self.unzero(n, out, seq[0].line if seq else None)
        return out

    def inert(self, s):
        """Whether statement `s` hands no adjoint to what it reads (a comparison, a value that
        carries no derivative)."""
        if type(s) is not Assign:
            return False
        v = s.value
        if type(v) is Op and v.prim in ("push", "pop"):
            return False
        return type(s.target) is not str or s.target not in self.active or \
            type(v) is Op and PRIMS[v.prim].kind == "nondiff"

    def movable(self, s, resets, outside):
        """Whether the rule of `s` may run in a branch after it instead (analysis.one_branch):
        its adjoint has no contribution yet from after the branch, but from the same branch of a
        later `if` on the same test in this block (one_branch checks that nothing else in it
        reads the value; `outside`: the adjoints this block found, from code after it), and it
        restores nothing."""
        z = s.target
        return z in self.active and z not in resets and z not in self.pending and \
            z not in outside and not (type(s.value) is Op and s.value.prim in ("push", "pop"))

    def assign(self, s, out, inplace, resets, block):
        z = s.target
        if type(s.value) is Op and s.value.prim in ("push", "pop") and \
                s.value.args[0].name in self.active:
            return self.stack_op(s, out, inplace, resets, block)
        if type(z) is not str:
            return
        if z not in self.active:  # no adjoint; but a value the loop overwrites is restored
            if z in resets:  # here for the rules that read it (the tape keeps it if they do)
                self.markers.append((block, s, out, len(out)))
            return
        if z in self.pending:  # an output of the function that is also read later
            self.write(z, out, s.line)
        g = self.adjoint.get(z)
        if g is None:
            return
        if z in self.flags and z not in resets and z not in self.zeroed:
            # only a loop's steps added to z's adjoint: its rule runs if one did
            flag = self.flags.pop(z)[0]
            inner = self.boundary(If(Var(flag), [s], [], s.line), out, inplace, flag=flag)
            rules: list = []
            self.assign(s, rules, inner, resets, block)
            if rules:
                out.append(If(Var(flag), rules, [], s.line))
            return
        if z in self.zeroed:  # a symbolic zero: nothing flows back, but the tape stays paired
            self.markers.append((block, s, out, len(out)))
            return
        flag = self.deferred.get(z, 0)
        v = s.value
        reset = z in resets
        terms = []  # (arg name, expr, deferred)
        ans = z
        if reset:
            # A loop-carried name: this assignment overwrote the value the rules read as an
            # operand, which the tape restores here. The adjoint is about to be reset and the
            # value restored, so the rules read copies of both.
            snap = self.namer.fresh(g.name)
            out.append(Assign(snap, g, s.line))
            g = Var(snap)
            ans = self.namer.fresh(z)
            keep = len(out)
        if type(v) is Var:
            if v.name in self.active:
                terms.append((v.name, g, flag))
        elif type(v) is Op and PRIMS[v.prim].kind != "nondiff":
            p = PRIMS[v.prim]
            if not has_rule(v.prim):
                raise NoDerivativeError(no_rule(p, "reverse"), self.fn.filename, s.line)
            widened = p.kind == "broadcast" and any(
                self.klass(a.name) not in (self.klass(z), SCALAR) for a in v.args if type(a) is Var)
            # a loose adjoint is one number for every element: a sum over some axes hands it on
            # as it is, a mean scaled (no helper spreads it over the summed axes)
            uniform = flag == SMALL and z in self.sums
            # a loose adjoint times the other operand (`g * y` for `y * x`) broadcasts, against
            # x, to z's shape: fitted to x at once it counts the broadcasting (g alone would not)
            counted = flag == SMALL and p.kind == "broadcast" and widened and \
                self.counted(v, ans, g)
            fits = flag == BIG and v.prim in FITS_ITSELF  # the helper sums g itself
            if flag and not uniform and not counted and not fits and \
                    (p.kind == "exact" or flag & SMALL and widened):
                # the rule needs the adjoint at z's own shape: a loose one would lose count of
                # how often z's elements were broadcast
                fitted = self.namer.fresh(g.name)
                out.append(Assign(fitted, Op("unbroadcast", (g, Var(ans))), s.line))
                g, flag = Var(fitted), 0
            operands = {a.name for a in v.args if type(a) is Var} | {ans}
            for j, a in enumerate(v.args):
                if type(a) is not Var or a.name not in self.active:
                    continue
                term = vjp_term(v, ans, j, g) if not uniform else g if v.prim == "np.sum" \
                    else Op("truediv", (g, Op("reduced_size", (a, dict(v.kwargs).get(
                        "axis", Const(p.options.get("axis")))))))
                if term is None:
                    continue
                if p.barrier:
                    self.barrier_inputs.append(a)
                covers = widened and self.covers(v, j)
                if covers == "smaller":  # a kept reduction's share: fitted at once, a minus
                    # sign after the sum, on fewer elements (the sum of -g is -(sum of g))
                    negated = type(term) is Op and term.prim == "neg"
                    fitted = Op("unbroadcast", (term.args[0] if negated else term, a))
                    terms.append((a.name, Op("neg", (fitted,)) if negated else fitted, 0))
                    continue
                tflag = 0 if fits else (flag & BIG) | (BIG if widened and not covers else 0)
                loose = is_loose(v)
                if flag & SMALL and not used_names(term) & operands - self.scalars or \
                        loose or uniform:
                    tflag |= SMALL | (flag & KEPT)  # still the loose adjoint, times constants
                    if loose == "kept":
                        tflag |= KEPT
                if counted:
                    term, tflag = Op("unbroadcast", (term, a)), 0
                terms.append((a.name, term, tflag))
        terms = _same_operand_first(terms, self.lists)
        lets, exprs = shared([e for _, e, _ in terms], self.namer, s.line)
        terms = [(n, e, d) for (n, _, d), e in zip(terms, exprs)]
        if not reset:
            out.extend(lets)
            for n, e, d in terms:
                self.contribute(n, e, d, out, inplace, s.line)
            return
        if any(ans in uses_of(Assign("_", e)) for e in [e for _, e, _ in terms] +
               [let.value for let in lets]):
            out.insert(keep, Assign(ans, Var(z), s.line))  # the new value, before the restore
        self.markers.append((block, s, out, len(out)))
        out.extend(lets)
        own = [(e, d) for n, e, d in terms if n == z]
        for n, e, d in terms:
            if n != z:
                self.contribute(n, e, d, out, inplace, s.line)
        if not own:  # the previous value's adjoint starts at zero: written by its first use
            self.zeroed.add(z)
            self.owned.discard(z)
        else:
            value = own[0][0] if not own[0][1] else Op("unbroadcast", (own[0][0], Var(z)))
            for e, d in own[1:]:
                value = Op(add_op(z, self.lists), (value, Op("unbroadcast", (e, Var(z))) if d else e))
            if value != g:  # (else the previous value's adjoint is the same: nothing to reset)
                out.append(Assign(self.adjoint[z].name, value, s.line))
                if z in self.lists and _sliced(value):  # a new list: `hs[-1]` adds into it
                    self.owned.add(z)
                else:  # (it may be the array of another name: not to add into)
                    self.owned.discard(z)

    def covers(self, v, j):
        """For a broadcasting operation whose operands' shape classes are one class K and
        reductions of K that keep their dimensions (`z - lse`, lse = logsumexp(z, axis=1,
        keepdims=True)): "smaller" for operand j when it is such a reduction (its adjoint is
        summed to it at once), True when it is of class K (it has the result's shape), else
        False."""
        classes = [SCALAR if type(a) is Const else self.klass(a.name) for a in v.args]
        # (classes from `shapes`: `z - m` with m a kept max of z has z's class)
        base = {c[1] if type(c) is tuple and c[0] == "kept" else c for c in classes} - {SCALAR}
        if len(base) != 1 or base == set(classes) - {SCALAR}:
            return False
        k = base.pop()
        return True if classes[j] == k else "smaller" if classes[j] != SCALAR else False

    def klass(self, name):
        return SCALAR if name in self.scalars else self.shapes.get(name, name)

    def counted(self, v, ans, g):
        """Whether each term of broadcasting `v` reads every other operand, so that a loose
        adjoint times it broadcasts against the operand to v's shape (`g * y` for `y * x`,
        unlike `g` for `y + x`)."""
        if any(type(a) is Const and type(a.value) not in (int, float, bool) for a in v.args):
            return False
        for j, a in enumerate(v.args):
            if type(a) is not Var or a.name not in self.active:
                continue
            term = vjp_term(v, ans, j, g)
            others = {b.name for k, b in enumerate(v.args) if k != j and type(b) is Var}
            if term is not None and not others <= used_names(term):
                return False
        return True

    def stack_op(self, s, out, inplace, resets, block):
        """A stack holding differentiated values (the tape of a derivative differentiated
        again) has a stack of adjoints: a pop's adjoint is pushed on it, and a push's value
        gets the adjoint popped from it (one entry each, zeros included, so the two stay
        paired)."""
        stack = s.value.args[0].name
        if stack not in self.stacks:
            self.stacks[stack] = self.namer.fresh(f"grad_{stack}")
        adjoints = Var(self.stacks[stack])
        if s.value.prim == "push":
            value = s.value.args[1]
            if type(value) is Var and value.name in self.active:
                g = self.namer.fresh(f"grad_{value.name}")
                out.append(Assign(g, Op("pop", (adjoints,)), s.line))
                self.contribute(value.name, Var(g), 0, out, inplace, s.line)
            else:
                out.append(Assign(None, Op("pop", (adjoints,)), s.line))
            return
        z = s.target
        if z in self.pending:
            self.write(z, out, s.line)
        g = self.adjoint.get(z)
        if g is None or z in self.zeroed:
            g = Op("zeros_like", (Var(z),))
        elif self.deferred.get(z):
            g = Op("unbroadcast", (g, Var(z)))
        out.append(Assign(None, Op("push", (adjoints, g)), s.line))
        if z in resets:  # the value before the pop: restored here, its adjoint starts at zero
            self.markers.append((block, s, out, len(out)))
            if z in self.adjoint:
                self.zeroed.add(z)
                self.owned.discard(z)
                self.deferred.pop(z, None)

    def boundary(self, s, out, inplace, carried=(), flag=None):
        """Materialize the adjoints crossing the boundary of structured statement `s`."""
        inside = set(targets_of(s))
        names = set()
        for a in each_assign([s]):
            v = a.value
            args = [v] if type(v) is Var else v.args[1:] if type(v) is Op and \
                v.prim == "push" else v.args if type(v) is Op and \
                PRIMS[v.prim].kind != "nondiff" else ()
            names |= {x.name for x in args if type(x) is Var and x.name in self.active}
        names = (names - inside) | {n for n in inside if n in self.adjoint or n in self.pending}
        names |= {n for n in carried if n in self.active}
        for n in sorted(names, key=str):
            every = n not in inside and flag is True and _every_step(s, n, self.active)
            if every and n in self.adjoint and n in self.flags and not self.flags[n][1]:
                self.flags.pop(n)  # (a rule's flag would skip what each step of the loop adds)
            self.materialize(n, out, s.line, None if n in inside or every else flag)
        return set(inplace) | names

    def structure(self, s, out, inplace, resets, moved=((), ())):
        """The backward `if`; `moved`: the statements before it whose rules run in its body, in
        its orelse (those reading a value only that branch reads)."""
        inner = self.boundary(If(s.test, list(moved[0]) + s.body, list(moved[1]) + s.orelse,
                                 s.line) if any(moved) else s, out, inplace)
        before, marked, owned = set(self.adjoint), len(self.markers), set(self.owned)
        body = self.block(s.body, inner, resets, moved=moved[0])
        self.forget(set(self.adjoint) - before)
        self.owned &= owned  # an adjoint one branch made its own may not be new on the other
        orelse = self.block(s.orelse, inner, resets, moved=moved[1])
        self.forget(set(self.adjoint) - before)
        self.owned &= owned
        # an if with no backward code pops nothing, so it pushes nothing; one that may restore an
        # overwritten value (a marker) stays until the tape is laid (`_tape` prunes it if empty)
        if body or orelse or len(self.markers) > marked:
            self.mirror(s.body, body)
            self.mirror(s.orelse, orelse)
            out.append(If(s.test, body, orelse, s.line))

    def loop(self, s, out, inplace, resets, block):
        defined_before = set()
        for t in block[:index_of(block, s)]:
            defined_before.update(targets_of(t))
        assigned = set(targets_of(s)) - ({s.target} if type(s) is For else set())
        carried = {n for n in assigned if n in self.active and (
            n in defined_before or n in self.adjoint or n in self.pending or n in self.fn.params)}
        inner = self.boundary(s, out, inplace, carried, flag=True)
        self.loop_stack.append(s)
        overwritten = {n for n in assigned if n in defined_before or n in self.fn.params}
        owned = set(self.owned)
        body = self.block(s.body, inner, set(resets) | carried | overwritten)
        self.owned &= owned  # (a loop that runs no step leaves the adjoint it found)
        self.mirror(s.body, body)
        self.loop_stack.pop()
        count = None
        if type(s) is While or _breaks(s.body):
            count = self.namer.fresh("trips")
        self.loops.append((s, count))
        if type(s) is For:
            if count and (s.reverse or s.count is not None):
                raise NoDerivativeError("a loop over reversed(...) or range(...)[:n] that breaks "
                                        "early has no reverse mode yet", self.fn.filename, s.line)
            bounds, trips = self.bounds_at_entry(s, block)
            # (the backward sweep of generated code's own reversed loop runs forward again)
            out.append(For(s.target, bounds, body, s.line, reverse=not s.reverse,
                           count=Var(count) if count else trips, sweep="backward"))
        else:
            out.append(For(self.namer.fresh("_"), (Var(count),), body, s.line, sweep="backward"))

    def bounds_at_entry(self, s, block):
        """The bounds of `for` loop `s` as the loop took them, once, on entry: a name the body
        assigns (`n` in `for i in range(n): n = n - 1`, a trip count the generated code pops)
        is copied before the loop, for the backward loop to read."""
        bounds = s.bounds + ((s.count,) if s.count is not None else ())
        changed = {n for b in bounds for n in used_names(b)} & set(targets_of(s))
        if not changed:
            return s.bounds, s.count
        mapping = {}
        for n in sorted(changed):
            mapping[n] = Var(self.namer.fresh(n))
            block.insert(index_of(block, s), Assign(mapping[n].name, Var(n), s.line))
        bounds = tuple(substitute(b, mapping) for b in bounds)
        return (bounds[:-1], bounds[-1]) if s.count is not None else (bounds, None)

    def mirror(self, forward_block, backward_block):
        """Pair a forward block inside a loop with its backward block, for the tape."""
        if self.loop_stack:
            self.mirrors.append((forward_block, backward_block, self.loop_stack[-1]))


def _same_operand_first(terms, lists):
    """One statement's contributions to the same operand (`s - s`), added first, as forward mode
    adds its tangents: `g - g` is 0, where `other + g - g` could lose `other` to rounding."""
    out = []
    for n, e, d in terms:
        same = next((k for k, t in enumerate(out) if t[0] == n and t[2] == d), None)
        if same is None:
            out.append((n, e, d))
        else:
            out[same] = (n, Op(add_op(n, lists), (out[same][1], e)), d)
    return out


def _sliced(e):
    """Whether `e` is `g[a:b]`: of a list, a new list (its elements shared, but scatter_add
    replaces an element of a list rather than adding into it)."""
    return type(e) is Op and e.prim == "getitem" and type(e.args[1]) is Const and \
        type(e.args[1].value) is slice


def _order(s, name):
    """Operands in the order they appear in a statement (for deterministic output)."""
    if type(s) is Assign and type(s.value) is Op:
        names = [a.name for a in s.value.args if type(a) is Var]
        return names.index(name) if name in names else len(names)
    return 0


def _every_step(loop, name, active):
    """Whether the loop runs at least one step, each handing `name` an adjoint: a `for` over a
    constant range that is not empty, with no `break`, whose body reads `name` in a rule outside
    any branch."""
    if type(loop) is not For or loop.count is not None or _breaks(loop.body) or \
            not all(type(b) is Const and type(b.value) is int for b in loop.bounds) or \
            not range(*(b.value for b in loop.bounds)):
        return False
    return any(type(st) is Assign and name in used_names(st.value) and (
        type(st.value) is Var or type(st.value) is Op and PRIMS[st.value.prim].kind != "nondiff")
        and type(st.target) is str and st.target in active for st in loop.body)


def _breaks(stmts):
    for s in stmts:
        if type(s) is Break:
            return True
        if type(s) is If and (_breaks(s.body) or _breaks(s.orelse)):
            return True
    return False


def backward(fn: Function, wrt, seeds, namer: Namer, fit=False, tape="tape", floats=False,
             useful=None):
    """The adjoint sweep of `fn`.

    `seeds` maps output names to their adjoints. Returns the forward sweep (fn's statements with the
    tape pushes loops need), the backward statements, the gradient expression of each name in
    `wrt` with and without the deferred reductions, and the guard that tells when the reductions
    may be skipped (None when nothing is deferred), and the parameters outside `wrt` that the
    active arithmetic takes as operands (floats.operands). With `floats`, every value is known to be a
    Python number: the helpers that fit shapes are left out, and the tape keeps only what the
    arithmetic reads. `useful`: the names whose derivative reaches the outputs (reaching), the
    only ones to carry adjoints.
    """
    forward = copy_block([s for s in fn.body if type(s) is not Return])
    for s in walk_stmts(forward):
        if type(s) is For:
            s.sweep = "forward"
    active = active_names(fn, wrt, useful)
    for s in walk_stmts(forward):
        if type(s) is Assign:
            s.value = real_only(s, active).value
    bw = Backward(fn, wrt, namer, active)
    body = []
    for name, seed in seeds.items():
        if name in active:
            bw.pending.setdefault(name, []).append((seed, False))
            bw.term_lines.setdefault(name, []).append(fn.body[-1].line)
    used = set()
    for s in forward:
        used |= uses_of(s)
    for name in [n for n in bw.pending if n not in used]:  # outputs read by no statement
        if len(bw.pending[name]) == 1 and type(bw.pending[name][0][0]) is Var:
            bw.adjoint[name] = bw.pending.pop(name)[0][0]  # a pullback's argument
            bw.term_lines.pop(name, None)
        else:
            bw.write(name, body, fn.body[-1].line)
    body += bw.block(forward, set(), set(), top=True)
    for name in [n for n in wrt if n in bw.pending]:
        bw.write(name, body, fn.body[-1].line)
    body[:0] = [Assign(g, Op("list", ()), fn.body[-1].line) for g in bw.stacks.values()]

    raw, reduced = [], []
    for w in wrt:
        if w in bw.adjoint:
            g = bw.adjoint[w]
            raw.append(g)
            # a scalar seed (grad's 1.0) carries no shape: fit every gradient to its input
            reduced.append(Op("unbroadcast", (g, Var(w))) if bw.deferred.get(w) or fit else g)
        else:
            raw.append(Op("zeros_like", (Var(w),)))
            reduced.append(raw[-1])
    guard, taken = None, operands(fn, wrt, active)
    if floats:
        for st in walk_stmts(body):
            if type(st) is Assign:
                st.value = unfitted(st.value, bw.lists, floats)
        raw = [unfitted(e, bw.lists, floats) for e in raw]
        reduced = raw
    elif raw != reduced and not complex_numbers(fn):
        # A float output proves that no array took part in what flowed into it, except through
        # a math function (a 1-element array in, a float out) and except values defined before a
        # branch not taken or a loop run no times and read only there (their zero adjoints keep
        # their shapes). Those must be Python numbers too: arithmetic of the inputs is, when the
        # inputs are (tested once); a parameter is tested itself; anything else (a NumPy result)
        # leaves no fast path. So must a value whose adjoint starts as zeros of its shape (a
        # list a loop grows but the output never reads): those zeros may reach an input.
        relevant = list(dict.fromkeys([b.name for b in bw.barrier_inputs] +
                                      sorted(read_in_structures(fn.body, active)) +
                                      sorted(zeroed(body))))
        # The parameters in wrt are tested too: an object whose operators (written in Python)
        # return a float makes a float output of what is no number, and its derivative
        # compiled for a number would be wrong (the generic path refuses it by name).
        floats = python_numbers(fn, wrt)
        unproven = [n for n in relevant if n not in floats]
        if all(n in fn.params for n in unproven):
            # (all of wrt where a value proven a number through them is relevant)
            inputs = list(wrt) if len(unproven) < len(relevant) else tested(fn, wrt)
            checks = list(dict.fromkeys([n for n in seeds if n in active] + inputs + unproven))
            guard = all_floats([Var(n) for n in checks], [
                Var(n) for n in taken if n not in checks])
    epilogue_uses = set()  # the guard is evaluated before the backward sweep when there is a tape
    for e in raw + reduced:
        epilogue_uses |= uses_of(Return([e], False))
    lay(forward, body, bw, epilogue_uses, tape)
    return forward, body, raw, reduced, guard, taken


def _fits(stmts):
    """Whether a helper that only fits shapes is called among the statements."""
    stack = [e for st in walk_stmts(stmts) for e in stmt_exprs(st)]
    while stack:
        e = stack.pop()
        if type(e) is Op:
            if e.prim in FITTING:
                return True
            stack += list(e.args) + [v for _, v in e.kwargs]
    return False


def float_path(flat: Function, wrt, generic: Function, kind, as_tuple, optimize, aux=False):
    """Plain floats stay plain floats. When every parameter the values read being a Python float
    proves that every value is a Python number, and the generic sweeps loop, `generic` gets a
    first branch for that case: its own forward sweep, tape and backward sweep, with no helper
    that fits shapes and no check of the output (it is a number, and grad computes it only
    where the backward sweep needs it). Taken where that saves work in the loops, where it
    costs most: the generic code fits shapes there, or computes more there."""
    if kind not in ("grad", "value_and_grad"):
        return generic
    read = sorted({n for s in each_assign(flat.body) for n in used_names(s.value)}
                  & set(flat.params) | set(wrt), key=flat.params.index)
    numbers = python_numbers(flat, read)
    outs = flat.body[-1].values[:-1] if aux else flat.body[-1].values
    loops = [s for s in generic.body if type(s) in (For, While)]
    if not loops or not all(type(v) is Const or v.name in numbers or v.name in read
                            for v in outs):
        return generic
    floats = optimize(reverse(flat, wrt, kind=kind, as_tuple=as_tuple,
                              floats=numbers | set(read), aux=aux))
    if not _fits(loops) and _work(floats.body) >= _work(loops):
        return generic
    test = all_floats([Var(n) for n in read if n in wrt],  # an int n of range(n) too
                       [Var(n) for n in read if n not in wrt])
    generic.body[:0] = [If(test, floats.body, [], None)]  # (no line of the user's: no label)
    return generic


def _work(stmts):
    """How many assignments the loops among `stmts` hold (a measure of what they compute)."""
    loops = [s for s in stmts if type(s) in (For, While)]
    return sum(type(s) is Assign for s in walk_stmts(loops))


def _spelled(fn):
    """The user's name for the function `fn` was lowered from (a lambda is lowered as `lambda_`,
    parse.py)."""
    return "<lambda>" if fn.name == "lambda_" else fn.name


def _not_one_output(fn, n, line):
    """grad of a function returning several values, or a container (its structure in words)."""
    tree = fn.out_tree
    what = f"a tuple or list of {n}" if tree is None else \
        f"a {tree.kind if tree.kind in ('tuple', 'list', 'dict') else tree.cls.__name__}"
    again = is_generated(fn.filename)  # (a gradient: a tuple of gradients, a dict argument's)
    error = ArgumentError(f"grad needs one scalar output, but {_spelled(fn)} returns {what}; " + (
        "for second derivatives take hessian of the function it is the gradient of (with the "
        "same argnums), or jacfwd or jacrev of the gradient" if again else "use jacrev or vjp for several outputs, or has_aux=True "
        "when it returns (output, auxiliary values)"), fn.filename, line)
    error.of_the_function = True  # (not of a line: no generated code quoted, errors.py)
    return error


def reverse(fn: Function, wrt, *, kind="grad", as_tuple=True, name=None,
            floats=False, aux=False) -> Function:
    """The reverse-mode function of `fn` with respect to the parameters `wrt`.

    kind "grad": returns the gradients (the scalar output is seeded with 1.0); "value_and_grad":
    returns (value, gradients); "vjp": returns (value, pullback), `pullback(cotangent)` returning
    the gradients. `as_tuple=False` returns the one gradient itself instead of a 1-tuple.
    `aux` (has_aux, auxiliary.py): the Return's last value is not differentiated but returned
    beside the results, as JAX does: (gradients, aux), ((value, aux), gradients) and
    (value, pullback, aux).
    """
    ret = fn.body[-1]
    outs, line = ret.values, ret.line
    extra = None
    if aux:
        outs, extra = outs[:-1], outs[-1]
    useful = reaching(fn, [v.name for v in outs if type(v) is Var])  # (not the aux, not tests)
    fn = with_standard_draws(fn, wrt, useful)
    namer = Namer(all_names(fn), all_names(fn))
    if kind != "vjp" and (fn.out_tree is not None or len(outs) > 1 or ret.as_tuple and not aux):
        raise _not_one_output(fn, len(outs), line)
    if kind != "vjp" and type(outs[0]) is Const and not isinstance(outs[0].value, (int, float)):
        raise ArgumentError(f"grad needs a numeric output, but {_spelled(fn)} returns the constant "
                            f"{outs[0].value!r}", fn.filename, line)
    if kind == "vjp":
        ct = namer.fresh("cotangent" if ret.as_tuple else f"grad_{label_of(outs[0])}")
        seeds = seeds_of(outs, lambda k: Op("getitem", (Var(ct), Const(k))) if ret.as_tuple
                       else Var(ct))
    else:
        live = active_names(fn, wrt, useful)
        seeds = seeds_of(outs, lambda k: seed_of_output(fn, outs[k], live))
    tape = namer.fresh("tape")
    pulled = namer.fresh("stack") if kind == "vjp" else tape
    eqns, body, raw, reduced, guard, taken = backward(fn, wrt, seeds, namer, fit=True, tape=pulled,
                                                      floats=floats, useful=useful)
    taken = [Var(n) for n in taken]
    checked = tested(fn, wrt)  # (grad's checks)
    pack = (lambda gs: Op("tuple", tuple(gs))) if as_tuple else (lambda gs: gs[0])  # noqa: E731
    raw, reduced = pack(raw), pack(reduced)
    if extra is not None and kind != "vjp":
        extra = kept_value(extra, body, namer, line, "aux")
        if kind == "grad":
            raw, reduced = Op("tuple", (raw, extra)), Op("tuple", (reduced, extra))
    if kind == "vjp":
        if pulled != tape and any(_uses_tape(s, pulled) for s in body):
            # the pullback pops a copy, so it can be called more than once
            body.insert(0, Assign(pulled, Op("list", (Var(tape),)), line))
            eqns = [_rename_tape(s, pulled, tape) for s in eqns]
            _uniform_tape(eqns, body, tape, pulled)
        # values the pullback restores from the tape become its own, starting from the forward
        # sweep's (a default argument), so the pullback can run more than once; a name the
        # forward sweep assigns only on some paths may be unbound there
        assigned = {t for st in walk_stmts(body) if type(st) is Assign for t in targets_of(st)}
        assigned |= {st.target for st in walk_stmts(body) if type(st) is For}
        pulling = checked_results(eqns, body, guard, raw, reduced, line, None, namer, checked, taken)
        restored = sorted(n for n in assigned & {t for st in eqns for t in targets_of(st)}
                          if _read_outside_its_loops(pulling, n))
        always = {t for st in eqns if type(st) is Assign for t in targets_of(st)}
        # (one the forward sweep may leave unbound starts as None: the pullback reads it only
        # on the paths that bind it, and its code stays code adcompile differentiates again)
        eqns = [Assign(n, Const(None), line) for n in restored if n not in always] + eqns
        pull = Function("pullback", [ct] + [f"{n}={n}" for n in restored],
                        pulling, fn.filename, fn.source_lines, errstate=fn.errstate)
        value = Op("tuple", tuple(outs)) if ret.as_tuple else outs[0]
        results = [value, Var("pullback")] + ([extra] if extra is not None else [])
        return Function(name or f"vjp_{fn.name}", list(fn.params),
                        eqns + [pull, Return(results, True, line)],
                        fn.filename, fn.source_lines, dict(fn.constants), errstate=fn.errstate)
    if kind == "value_and_grad":
        value = kept_value(outs[0], body, namer, line, "value")
        if extra is not None:
            value = Op("tuple", (value, extra))
        raw, reduced = Op("tuple", (value, raw)), Op("tuple", (value, reduced))
    if floats:  # the output is a Python number: no check, no fitting
        return Function(name or f"{kind}_{fn.name}", list(fn.params),
                        eqns + body + [Return([reduced], False, line)], fn.filename,
                        fn.source_lines, dict(fn.constants), errstate=fn.errstate)
    return Function(name or f"{kind}_{fn.name}", list(fn.params),
                    eqns + checked_results(eqns, body, guard, raw, reduced, line, outs[0], namer, checked,
                                    taken),
                    fn.filename, fn.source_lines, dict(fn.constants), errstate=fn.errstate)


def _read_outside_its_loops(block, name):
    """Whether `block` may read `name` before assigning it, on some path: a read in a loop's body
    after the body assigned the name on every path through it reads that step's value (a `for i`
    loop of the pullback binds i itself; a name recomputed at each step is not read from the
    forward sweep)."""
    return _may_read_unbound(block, name, False)[0]


def _may_read_unbound(block, name, bound):
    """(whether `block` may read `name` while it is unbound, whether it is bound after it), for
    `bound`: whether it is bound before."""
    for s in block:
        t = type(s)
        if not bound and any(name in used_names(e) for e in stmt_exprs(s)):
            return True, bound
        if t is Assign:
            bound = bound or name in targets_of(s)
        elif t is If:
            then, after_then = _may_read_unbound(s.body, name, bound)
            other, after_else = _may_read_unbound(s.orelse, name, bound)
            if then or other:
                return True, bound
            bound = after_then and after_else
        elif t in (For, While):  # (a body may run no step: what it binds is not bound after)
            if _may_read_unbound(s.body, name, bound or t is For and s.target == name)[0]:
                return True, bound
        elif t is not Return and t is not Break and not bound and name in uses_of(s):
            return True, bound
    return False, bound


def _uniform_tape(eqns, body, tape, pulled):
    """A pullback's tape read back through a copy (`stack = list(tape)`) is read as a list when
    the pullback is differentiated again (not as a stack: lower/stacks.py), and a list's items
    are taken to be alike: where some steps push a tuple and others one value, each value is
    pushed as a tuple of one too (`s, = stack.pop()`), so no value is taken for a tuple."""
    pushes = [s for s in walk_stmts(eqns) if type(s) is Assign and s.target is None and
              type(s.value) is Op and s.value.prim == "push" and s.value.args[0] == Var(tape)]
    packed = [type(p.value.args[1]) is Op and p.value.args[1].prim == "tuple" for p in pushes]
    if all(packed) or not any(packed):
        return
    for p in pushes:
        item = p.value.args[1]
        if not (type(item) is Op and item.prim == "tuple"):
            p.value = Op("push", (Var(tape), Op("tuple", (item,))))
    for s in walk_stmts(body):
        if type(s) is Assign and type(s.target) is str and type(s.value) is Op and \
                s.value.prim == "pop" and s.value.args[0] == Var(pulled):
            s.target = (s.target,)


def _uses_tape(stmt, tape):
    return tape in uses_of(stmt)


def _rename_tape(stmt, old, new):
    """The forward sweep pushes onto `new` where the pullback pops from its copy `old`."""
    for s in walk_stmts([stmt]):
        if type(s) is Assign:
            s.value = substitute(s.value, {old: Var(new)})
            if s.target == old:
                s.target = new
    return stmt
