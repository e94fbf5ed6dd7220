"""Random program generator for the differential fuzzer (tools/fuzz.py).

`generate(seed, variant)` returns a `Program`: the source of a module defining `f` (and helper
functions), the arguments to call it with, and which arguments are differentiated. Programs are
valid, total Python (bounded loops, no division by values near zero, logs and square roots of
positive values, reads only of definitely assigned names) built from the constructs adcompile
claims to support. The same seed always gives the same program.

Shapes: () is a float; the numpy variant also uses (3,), (2,) and (2, 3) arrays.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field

S, V3, V2, M = (), (3,), (2,), (2, 3)
SIZES = {V3: 3, V2: 2}
VIEW = re.compile(r"^[A-Za-z_]\w*(\[[^\]]*\]|\.T)*$")


@dataclass
class Program:
    source: str
    params: list            # names of f's parameters
    args: list              # the values to call f with
    argnums: tuple          # differentiated parameters (floats and float arrays)
    variant: str
    seed: int

    def args_source(self):
        return "(" + "".join(value_source(a) + ", " for a in self.args) + ")"


def value_source(a):
    if hasattr(a, "tolist"):
        return f"np.array({a.tolist()!r})"
    return repr(a)


class Scope:
    """What is definitely assigned at a point of the program, and what may be written."""

    def __init__(self):
        self.vars = {}       # name -> shape of a float or float array
        self.ints = {}       # name -> exclusive upper bound (int, ("len", list name) or None)
        self.lists = {}      # name -> (element shape, nonempty)
        self.funcs = {}      # name -> (parameter shapes, result shape)
        self.owned = set()   # arrays this function made by copying (x[i] = v allowed)
        self.readonly = set()
        self.views = set()   # arrays that may share memory with another (no in-place +=)

    def copy(self):
        s = Scope()
        s.vars, s.ints, s.lists = dict(self.vars), dict(self.ints), dict(self.lists)
        s.funcs, s.owned, s.readonly = dict(self.funcs), set(self.owned), set(self.readonly)
        s.views = set(self.views)
        return s

    def restrict(self, other):
        """Keep what is also definitely assigned in `other` (a merge after a branch)."""
        for d in ("vars", "ints", "lists"):
            mine, theirs = getattr(self, d), getattr(other, d)
            for k in list(mine):
                if k not in theirs or theirs[k] != mine[k]:
                    del mine[k]
        self.owned &= other.owned | (self.owned - set(other.vars))
        self.owned &= set(self.vars)
        self.views |= other.views

    def writable(self, shape=None):
        return [n for n, sh in self.vars.items() if n not in self.readonly and n not in self.owned
                and (shape is None or sh == shape)]


class Gen:
    def __init__(self, seed, variant):
        self.rng = random.Random(seed)
        self.np = variant == "numpy"
        self.variant, self.seed = variant, seed
        self.count = 0
        self.stmts = 0
        self.max_stmts = self.rng.randint(4, 16)
        self.m = "np" if self.np else "math"

    # ---------------------------------------------------------------- helpers
    def fresh(self, prefix="t"):
        self.count += 1
        return f"{prefix}{self.count}"

    def chance(self, p):
        return self.rng.random() < p

    def pick(self, seq):
        return self.rng.choice(list(seq))

    def const(self):
        return self.pick(["0.5", "1.5", "2.0", "0.25", "3.0", "1.0", "0.1", "0.7", "-0.5",
                          "-1.25"])

    def shapes(self, sc):
        """Shapes an expression can have here."""
        have = set(sc.vars.values())
        out = [S]
        if V3 in have or M in have:
            out.append(V3)
        if V2 in have or V3 in have or M in have:
            out.append(V2)
        if M in have:
            out.append(M)
        return out

    def index(self, sc, size):
        opts = [str(self.rng.randrange(size)), str(self.rng.randrange(size))]
        if self.chance(0.2):
            opts.append("-1")
        for name, bound in sc.ints.items():
            if isinstance(bound, int) and bound <= size:
                opts += [name] * 3
            elif self.chance(0.3):
                opts.append(f"{name} % {size}")
        return self.pick(opts)

    # ------------------------------------------------------------ expressions
    def leaf(self, sc, sh):
        names = [n for n, s in sc.vars.items() if s == sh]
        if names and self.chance(0.5):
            names = names[-3:]     # favour recent names: values flow on to the result
        if sh == S:
            r = self.rng.random()
            ints = list(sc.ints)
            if names and r < 0.8:
                return self.pick(names)
            if ints and r < 0.9:
                i = self.pick(ints)
                return self.pick([f"0.5 * {i}", f"{i} * 0.25", f"float({i})"])
            return self.const()
        if names and (self.chance(0.85)):
            return self.pick(names)
        # derive an array of the wanted shape from another one
        ms = [n for n, s in sc.vars.items() if s == M]
        v3 = [n for n, s in sc.vars.items() if s == V3]
        if sh == V3:
            if ms and (not names or self.chance(0.5)):
                return f"{self.pick(ms)}[{self.index(sc, 2)}]"
            return self.pick(names)
        if sh == V2:
            if v3 and self.chance(0.6):
                return f"{self.pick(v3)}{self.pick(['[1:]', '[:2]', '[:-1]'])}"
            if ms:
                return f"{self.pick(ms)}[:, {self.index(sc, 3)}]"
            return self.pick(names) if names else f"{self.pick(v3)}[1:]"
        return self.pick(names)

    def expr(self, sc, sh=S, d=2):
        if d <= 0 or self.chance(0.25):
            return self.leaf(sc, sh)
        if sh == S:
            return self.scalar_expr(sc, d)
        return self.array_expr(sc, sh, d)

    def unary(self, inner, sh):
        m = self.m
        abs_ = "abs" if sh == S or self.chance(0.5) else "np.abs"
        return self.pick([
            f"{m}.sin({inner})", f"{m}.cos({inner})", f"{m}.tanh({inner})",
            f"{m}.exp({m}.sin({inner}))", f"{m}.exp(-({inner}) ** 2)", f"{m}.exp({m}.tanh({inner}))",
            f"{m}.log(1.0 + ({inner}) ** 2)", f"{m}.sqrt(1.0 + ({inner}) * ({inner}))",
            f"{abs_}({inner})", f"({inner}) ** 2", f"({inner}) ** 3", f"-({inner})",
            f"(({inner}) / (1.0 + ({inner}) ** 2))"])

    def binop(self, a, b):
        op = self.pick(["+", "-", "*", "+", "*", "/"])
        if op == "/":
            return f"(({a}) / (1.0 + ({b}) ** 2))"
        return f"({a} {op} {b})"

    def scalar_expr(self, sc, d):
        r = self.rng.random()
        e = lambda s=S: self.expr(sc, s, d - 1)   # noqa: E731
        arrays = [s for s in self.shapes(sc) if s != S]
        if r < 0.25:
            return self.unary(e(), S)
        if r < 0.55:
            return self.binop(e(), e())
        if r < 0.62:
            return f"{self.pick(['max', 'min'])}({e()}, {e()})"
        if r < 0.67:
            return f"({e()} if {self.cond(sc, d - 1)} else {e()})"
        if r < 0.8 and sc.funcs:
            cands = [n for n, (ps, ret) in sc.funcs.items() if ret == S]
            if cands:
                fn = self.pick(cands)
                return f"{fn}({', '.join(self.expr(sc, p, d - 1) for p in sc.funcs[fn][0])})"
        if r < 0.85 and sc.lists:
            cands = [n for n, (s, _) in sc.lists.items() if s == S]
            if cands:
                lst = self.pick(cands)
                if sc.lists[lst][1] and self.chance(0.5):
                    return f"{lst}[{self.pick(['0', '-1', f'len({lst}) - 1'])}]"
                return f"sum({lst})"
        if arrays and r < 0.97:
            a = self.pick(arrays)
            rr = self.rng.random()
            if a == M and rr < 0.3:
                return f"{p(self.leaf(sc, M))}[{self.index(sc, 2)}, {self.index(sc, 3)}]"
            if a != M and rr < 0.3:
                return f"{p(self.leaf(sc, a))}[{self.index(sc, SIZES[a])}]"
            if a != M and rr < 0.45:
                return self.pick([f"np.dot({e(a)}, {e(a)})", f"({e(a)} @ {e(a)})"])
            return f"np.{self.pick(['sum', 'mean', 'sum'])}({e(a)})"
        return self.leaf(sc, S)

    def array_expr(self, sc, sh, d):
        r = self.rng.random()
        e = lambda s=sh: self.expr(sc, s, d - 1)   # noqa: E731
        shapes = self.shapes(sc)
        if r < 0.25:
            return self.unary(e(), sh)
        if r < 0.45:
            return self.binop(e(), e())
        if r < 0.6:   # broadcasting a scalar or a row
            other = V3 if sh == M and self.chance(0.5) else S
            a, b = e(), e(other)
            return self.binop(a, b) if self.chance(0.5) else self.binop(b, a)
        if r < 0.66:
            return f"np.maximum({e()}, {e() if self.chance(0.5) else '0.0'})"
        if r < 0.68:  # a float mask of a comparison, negated
            return f"(-(1.0 * ({e()} > {self.pick(['0.0', '0.5', '-0.5'])})) * {e()})"
        if r < 0.7 and sc.funcs:
            cands = [n for n, (ps, ret) in sc.funcs.items() if ret == sh]
            if cands:
                fn = self.pick(cands)
                return f"{fn}({', '.join(self.expr(sc, p, d - 1) for p in sc.funcs[fn][0])})"
        if M in shapes and sh in (V3, V2) and r < 0.9:
            if sh == V3:
                return self.pick([f"({p(e(M))}.T @ {e(V2)})", f"({e(V2)} @ {e(M)})",
                                  f"np.dot({e(V2)}, {e(M)})", f"np.sum({e(M)}, axis=0)",
                                  f"np.mean({e(M)}, axis=0)", f"{p(e(M))}[{self.index(sc, 2)}]"])
            return self.pick([f"({e(M)} @ {e(V3)})", f"np.dot({e(M)}, {e(V3)})",
                              f"np.sum({e(M)}, axis=1)", f"{p(e(M))}[:, {self.index(sc, 3)}]"])
        if sh == V2 and r < 0.95:
            return f"{p(e(V3))}{self.pick(['[1:]', '[:2]', '[:-1]'])}"
        if sh == M and r < 0.8:
            return f"({e(M)} * {e(V3)})"
        return self.leaf(sc, sh)

    def cond(self, sc, d=1):
        r = self.rng.random()
        sub = lambda: self.expr(sc, S, min(d, 1))   # noqa: E731
        if r < 0.4:
            a, b = sub(), self.pick([sub(), self.const()])
            if a == b:
                b = self.const()
            return f"{a} {self.pick(['<', '>', '<=', '>='])} {b}"
        if r < 0.52:
            lo = self.rng.choice(["-1.0", "0.0", "0.5"])
            return f"{lo} < {sub()} < {self.pick(['1.0', '2.0', '1.5'])}"
        if r < 0.62 and sc.ints:
            i = self.pick(sc.ints)
            return self.pick([f"{i} % 2 == 0", f"{i} > 0", f"{i} == 1", f"{i} < 2"])
        if d > 0 and r < 0.75:
            return f"{self.cond(sc, d - 1)} and {self.cond(sc, d - 1)}"
        if d > 0 and r < 0.87:
            return f"({self.cond(sc, d - 1)} or {self.cond(sc, d - 1)})"
        if d > 0 and r < 0.94:
            return f"not {self.cond(sc, d - 1)}"
        a, b = sub(), sub()
        return f"{a} > {b if a != b else self.const()}"

    # ------------------------------------------------------------- statements
    def block(self, sc, ctx, n, ind):
        """Up to n statements. Returns (lines, terminated, scope at the first possible exit)."""
        lines, snap = [], None
        for _ in range(max(1, n)):
            if self.stmts >= self.max_stmts and lines:
                break
            self.stmts += 1
            before = sc.copy() if snap is None else None
            ls, term, escapes = self.stmt(sc, ctx, ind)
            lines += ls
            if escapes and snap is None:
                snap = before
            if term:
                return lines, True, snap or sc.copy()
        return lines or [ind + "pass"], False, snap or sc.copy()

    def stmt(self, sc, ctx, ind):
        r = self.rng.random()
        depth = ctx["depth"]
        nested = depth < 3 and self.stmts < self.max_stmts - 1
        if ctx["loop"] and r < 0.07:
            kind = self.pick(["break", "continue"])
            return [f"{ind}if {self.cond(sc)}:", f"{ind}    {kind}"], False, True
        if ctx["loop"] and r < 0.09 and ctx["ret"] is not None and self.chance(0.5):
            return self.early_return(sc, ctx, ind)
        if r < 0.12 and ctx["ret"] is not None and depth > 0 and self.chance(0.4):
            return self.early_return(sc, ctx, ind)
        if nested and r < 0.27:
            return self.if_stmt(sc, ctx, ind)
        if nested and r < 0.42:
            return self.for_stmt(sc, ctx, ind)
        if nested and r < 0.48:
            return self.while_stmt(sc, ctx, ind)
        if r < 0.53 and depth < 3 and ctx["lists"]:
            return self.list_stmt(sc, ctx, ind)
        if r < 0.6 and ctx["top"] and ctx["closures"]:
            return self.closure(sc, ctx, ind), False, False
        if r < 0.66 and self.np and ctx["lists"]:
            ls = self.setitem(sc, ctx, ind)
            if ls:
                return ls, False, False
        if r < 0.72:
            ls = self.tuple_assign(sc, ind)
            if ls:
                return ls, False, False
        if r < 0.82:
            ls = self.augassign(sc, ind)
            if ls:
                return ls, False, False
        if r < 0.86 and self.np and M in self.shapes(sc):
            if self.chance(0.3):
                return self.lse_stmt(sc, ind), False, False
            return self.index_stmt(sc, ind), False, False
        return self.assign(sc, ind), False, False

    def index_stmt(self, sc, ind):
        """An index bound to a name, a tuple (one entry) or a list (rows), on one path or
        differently on the two paths of an if: NumPy reads the two kinds differently."""
        m = self.pick([n for n, s in sc.vars.items() if s == M])
        idx, t = self.fresh("idx"), self.fresh()
        def one():  # noqa: E306
            return (f"({self.index(sc, 2)}, {self.index(sc, 3)})" if kind == "tuple" else
                    f"[{self.rng.randrange(2)}, {self.rng.randrange(2)}]")
        kind = self.pick(["tuple", "list"])
        if self.chance(0.5):
            lines = [f"{ind}{idx} = {one()}"]
        else:
            lines = [f"{ind}if {self.cond(sc)}:", f"{ind}    {idx} = {one()}", f"{ind}else:",
                     f"{ind}    {idx} = {one()}"]
        lines.append(f"{ind}{t} = np.sum({m}[{idx}]) * {p(self.expr(sc, S, 1))}")
        sc.vars[t] = S
        return lines

    def lse_stmt(self, sc, ind):
        """log-sum-exp stabilized by the maximum, as users write it (adcompile rewrites it to
        its logsumexp primitive); the maximum is sometimes read again."""
        a = self.pick([n for n, s in sc.vars.items() if s == M])
        m, t = self.fresh("mx"), self.fresh()
        axis = self.pick(["axis=0, keepdims=True", "axis=1, keepdims=True", ""])
        opts = ", " + axis if axis else ""
        more = f" + {m} * {p(self.expr(sc, S, 1))}" if self.chance(0.3) else ""
        sc.vars[t] = S
        return [f"{ind}{m} = np.max({a}{opts})",
                f"{ind}{t} = np.sum(np.log(np.sum(np.exp({a} - {m}){opts})) + {m}{more})"]

    def early_return(self, sc, ctx, ind):
        ret = ctx["ret"]
        return [f"{ind}if {self.cond(sc)}:",
                f"{ind}    return {self.unalias(sc, self.expr(sc, ret), ret)}"], False, True

    def assign(self, sc, ind):
        old = sc.writable()
        if old and self.chance(0.5):
            name = self.pick(old)
            sh = sc.vars[name]
            rhs = self.expr(sc, sh)
            if self.chance(0.5):
                rhs = self.binop(name, rhs) if self.chance(0.6) else self.unary(
                    self.binop(name, rhs), sh)
        else:
            name = self.fresh()
            sh = self.pick(self.shapes(sc)) if self.np else S
            rhs = self.expr(sc, sh)
        rhs = self.unalias(sc, rhs, sh)
        sc.vars[name] = sh
        sc.owned.discard(name)
        sc.views.discard(name)
        return [f"{ind}{name} = {rhs}"]

    def unalias(self, sc, rhs, sh):
        """An array value that may be a view of a name gets copied (x + 0.0): no aliasing."""
        if sh != S and VIEW.match(rhs):
            return f"{rhs} + 0.0"
        return rhs

    def augassign(self, sc, ind):
        old = [n for n in sc.writable() if sc.vars[n] == S or n not in sc.views]
        if not old:
            return None
        name = self.pick(old)
        sh = sc.vars[name]
        op = self.pick(["+=", "-=", "*=", "+="])
        rsh = S if (sh == S or self.chance(0.4)) else sh
        if op == "*=":
            rhs = self.pick([f"{self.m}.tanh({self.expr(sc, rsh, 1)})", self.const(),
                             f"{self.m}.cos({self.expr(sc, rsh, 1)})"])
        else:
            rhs = self.expr(sc, rsh)
        return [f"{ind}{name} {op} {rhs}"]

    def tuple_assign(self, sc, ind):
        old = sc.writable()
        if len(old) >= 2 and self.chance(0.5):
            a = self.pick(old)
            same = [b for b in old if b != a and sc.vars[b] == sc.vars[a]
                    and (b in sc.views) == (a in sc.views)]   # no view moves to a fresh array
            if same:
                b = self.pick(same)
                va, vb = a in sc.views, b in sc.views
                sc.views -= {a, b}
                sc.views |= ({a} if vb else set()) | ({b} if va else set())
                return [f"{ind}{a}, {b} = {b}, {a}"]
        targets = []
        for _ in range(self.pick([2, 2, 3])):
            if old and self.chance(0.5):
                n = self.pick(old)
                if n not in targets:
                    targets.append(n)
                    continue
            n = self.fresh()
            targets.append(n)
        shapes = {n: sc.vars[n] if n in sc.vars else (self.pick(self.shapes(sc)) if self.np else S)
                  for n in targets}
        rhs = [self.unalias(sc, self.expr(sc, shapes[n]), shapes[n]) for n in targets]
        for n in targets:
            sc.vars[n] = shapes[n]
            sc.owned.discard(n)
            sc.views.discard(n)
        return [f"{ind}{', '.join(targets)} = {', '.join(rhs)}"]

    def if_stmt(self, sc, ctx, ind):
        sub = dict(ctx, depth=ctx["depth"] + 1, top=False)
        lines = [f"{ind}if {self.cond(sc)}:"]
        s1 = sc.copy()
        b1, t1, _ = self.block(s1, sub, self.rng.randint(1, 3), ind + "    ")
        lines += b1
        outs = [] if t1 else [s1]
        escapes = True if t1 else False
        r = self.rng.random()
        if r < 0.35:     # if/else
            s2 = sc.copy()
            lines.append(f"{ind}else:")
            b2, t2, _ = self.block(s2, sub, self.rng.randint(1, 3), ind + "    ")
            lines += b2
            if not t2:
                outs.append(s2)
            escapes |= t2
        elif r < 0.6:    # if/elif/else
            s2, s3 = sc.copy(), sc.copy()
            lines.append(f"{ind}elif {self.cond(sc)}:")
            b2, t2, _ = self.block(s2, sub, self.rng.randint(1, 2), ind + "    ")
            lines += b2
            lines.append(f"{ind}else:")
            b3, t3, _ = self.block(s3, sub, self.rng.randint(1, 2), ind + "    ")
            lines += b3
            outs += [s for s, t in ((s2, t2), (s3, t3)) if not t]
            escapes |= t2 or t3
        else:
            outs.append(sc.copy())
        escapes = escapes or any(("return" in l or "break" in l or "continue" in l)
                                 for l in lines[1:])
        if not outs:
            return lines, True, True
        merged = outs[0]
        for o in outs[1:]:
            merged.restrict(o)
        self._replace(sc, merged)
        return lines, False, escapes

    def _replace(self, sc, new):
        sc.vars, sc.ints, sc.lists = new.vars, new.ints, new.lists
        sc.owned = new.owned & set(new.vars)
        sc.views = new.views
        sc.readonly |= new.readonly

    def loop_header(self, sc, ctx):
        """(header text, loop variables {name: bound or shape}, runs at least once, readonly)."""
        i = self.fresh("i")
        c = self.rng.randint(1, 4)
        r = self.rng.random()
        if self.np and r < 0.2:
            arrs = [n for n, s in sc.vars.items() if s in (V3, M, V2)]
            if arrs:
                a = self.pick(arrs)
                el = {V3: S, V2: S, M: V3}[sc.vars[a]]
                t = self.fresh("r")
                if self.chance(0.4):
                    return (f"for {i}, {t} in enumerate({a}):",
                            {i: ("int", len_of(sc.vars[a])), t: el}, True, {a})
                if self.chance(0.3):  # iteration helpers nested in one another
                    b = self.pick(arrs)
                    u = self.fresh("r")
                    eb = {V3: S, V2: S, M: V3}[sc.vars[b]]
                    n = min(len_of(sc.vars[a]), len_of(sc.vars[b]))
                    return self.pick([
                        (f"for {i}, ({t}, {u}) in enumerate(zip({a}, {b})):",
                         {i: ("int", n), t: el, u: eb}, True, {a, b}),
                        (f"for {t}, ({i}, {u}) in zip({a}, enumerate({b})):",
                         {i: ("int", n), t: el, u: eb}, True, {a, b})])
                return f"for {t} in {a}:", {t: el}, True, {a}
        if not self.np and r < 0.12:
            fl = [n for n, s in sc.vars.items() if s == S]
            if fl:
                items = [self.pick(fl) for _ in range(self.rng.randint(1, 3))] + [self.const()]
                t = self.fresh("r")
                return f"for {t} in ({', '.join(items)},):", {t: S}, True, set()
        if sc.lists and r < 0.3:
            lst = self.pick(sc.lists)
            esh, nonempty = sc.lists[lst]
            if self.chance(0.5):
                t = self.fresh("r")
                return f"for {t} in {lst}:", {t: esh}, nonempty, {lst}
            return (f"for {i} in range(len({lst})):", {i: ("int", ("len", lst))}, nonempty, {lst})
        opts = [(f"range({c})", c, True), (f"range(1, {c + 1})", c + 1, True),
                (f"reversed(range({c}))", c, True), (f"range(0, {c + 1}, 2)", c + 1, True),
                (f"range({c} - 1, -1, -1)", c, True)]
        if "n" in ctx["params"]:
            opts += [("range(int(n))", 4, True), ("range(n)", 4, True), ("range(1, n + 1)", 5, True)]
        vecs = [n for n, s in sc.vars.items() if s in (V3, V2)]
        if self.np and vecs:
            a = self.pick(vecs)
            opts.append((f"range(len({a}))", SIZES[sc.vars[a]], True))
        if not self.np:
            fl = [n for n, s in sc.vars.items() if s == S]
            if fl and self.chance(0.15):
                opts.append((f"range(int(abs({self.pick(fl)})) % 3 + 1)", 3, True))
        text, bound, once = self.pick(opts)
        return f"for {i} in {text}:", {i: ("int", bound)}, once, set()

    def bind(self, sc, loopvars):
        for n, v in loopvars.items():
            if isinstance(v, tuple) and v and v[0] == "int":
                sc.ints[n] = v[1]
            else:
                sc.vars[n] = v
                sc.views.add(n)
            sc.readonly.add(n)

    def for_stmt(self, sc, ctx, ind):
        header, loopvars, once, ro = self.loop_header(sc, ctx)
        body = sc.copy()
        self.bind(body, loopvars)
        body.readonly |= ro
        body.owned -= ro
        sub = dict(ctx, depth=ctx["depth"] + 1, loop=True, top=False)
        lines, term, snap = self.block(body, sub, self.rng.randint(1, 4), ind + "    ")
        lines = [ind + header] + lines
        escapes = any(("return" in l) for l in lines[1:])
        if once:   # names assigned on the first iteration before any exit are defined after
            for n in [n for n in snap.vars if n not in sc.vars]:
                sc.vars[n] = snap.vars[n]
                if n in snap.readonly:
                    sc.readonly.add(n)
                if n in snap.views:
                    sc.views.add(n)
            for n in [n for n in snap.ints if n not in sc.ints]:
                if n not in loopvars or self.chance(0.35):
                    sc.ints[n] = None if n in loopvars else snap.ints[n]
            for n in [n for n in snap.lists if n not in sc.lists]:
                sc.lists[n] = snap.lists[n]
            sc.owned |= {n for n in snap.owned if n in sc.vars}
            for n in loopvars:   # the loop variable stays bound after the loop
                if n in sc.vars:
                    sc.readonly.add(n)  # keep loop variables read-only: no aliasing worries
        return lines, False, escapes

    def while_stmt(self, sc, ctx, ind):
        k = self.fresh("k")
        fl = sc.writable(S)
        lines = []
        if fl and self.chance(0.8):
            w = self.pick(fl)
        else:
            w = self.fresh()
            lines.append(f"{ind}{w} = {self.expr(sc, S, 1)}")
            sc.vars[w] = S
        lim = self.rng.randint(2, 5)
        lines.append(f"{ind}{k} = 0")
        sc.ints[k] = None
        c = self.pick([f"{w} < {self.pick(['3.0', '2.0', '1.0', '0.5'])}",
                       f"abs({w}) < {self.pick(['4.0', '2.0'])}", f"{w} > -2.0"])
        flag = self.fresh("go") if self.chance(0.2) else None  # `while go:`, go set in the body
        if flag:
            lines.append(f"{ind}{flag} = True")
            lines.append(f"{ind}while {flag} and {k} < {lim}:")
        else:
            lines.append(f"{ind}while {c} and {k} < {lim}:" if self.chance(0.8) else
                         f"{ind}while {k} < {lim} and {c}:")
        lines.append(f"{ind}    {k} += 1")
        body = sc.copy()
        body.readonly.add(k)
        sub = dict(ctx, depth=ctx["depth"] + 1, loop=True, top=False)
        step = self.pick([f"{w} = {w} + 0.5 + {self.m}.tanh({self.expr(body, S, 1)}) ** 2",
                          f"{w} += {self.pick(['0.5', '0.75', '1.0'])} * abs({self.expr(body, S, 1)}) + 0.3",
                          f"{w} = {w} * 1.5 + 0.25"])
        b, _, _ = self.block(body, sub, self.rng.randint(1, 3), ind + "    ")
        pos = self.rng.randint(0, len(b))
        # keep the step at the top level of the body, outside nested blocks
        cut = [j for j in range(len(b) + 1) if j == len(b) or (
            not b[j].startswith(ind + "     ") and not b[j].lstrip().startswith(("else", "elif")))]
        pos = self.pick(cut) if cut else len(b)
        b.insert(pos, ind + "    " + step)
        if flag:
            b.append(f"{ind}    {flag} = {c}")
        lines += b
        escapes = any(("return" in l) for l in b)
        return lines, False, escapes

    def list_stmt(self, sc, ctx, ind):
        if sc.lists and self.chance(0.4):
            lst = self.pick(sc.lists)
            if lst not in sc.readonly:
                esh = sc.lists[lst][0]
                return [f"{ind}{lst}.append({self.unalias(sc, self.expr(sc, esh), esh)})"], \
                    False, False
        lst = self.fresh("L")
        esh = self.pick([S, S, V3]) if self.np and V3 in self.shapes(sc) else S
        nonempty = self.np and esh != S or self.chance(0.5)
        init = f"[{self.unalias(sc, self.expr(sc, esh, 1), esh)}]" if nonempty else "[]"
        lines = [f"{ind}{lst} = {init}"]
        header, loopvars, once, ro = self.loop_header(sc, dict(ctx))
        body = sc.copy()
        self.bind(body, loopvars)
        body.readonly |= ro | {lst}
        body.owned -= ro
        item = self.unalias(body, self.expr(body, esh), esh)
        if not nonempty and self.chance(0.3):  # the same list as a comprehension
            test = f" if {self.cond(body)}" if self.chance(0.3) else ""
            lines[-1] = f"{ind}{lst} = [{item} {header[:-1]}{test}]"
            sc.lists[lst] = (esh, False)
            return lines, False, False
        lines.append(ind + header)
        lines.append(f"{ind}    {lst}.append({item})")
        if self.chance(0.4):
            sub = dict(ctx, depth=ctx["depth"] + 1, loop=True, top=False)
            b, _, _ = self.block(body, sub, 1, ind + "    ")
            lines += b
        sc.lists[lst] = (esh, nonempty)
        if self.chance(0.5):
            t = self.fresh()
            sc.vars[t] = esh
            use = f"sum({lst})" if not nonempty or self.chance(0.5) else f"{lst}[-1]"
            lines.append(f"{ind}{t} = {self.unalias(sc, use, esh)}")
        return lines, False, any("return" in l for l in lines)

    def setitem(self, sc, ctx, ind):
        owned = sorted(n for n in sc.owned if n not in sc.readonly)
        if not owned or self.chance(0.3):
            src = [n for n, s in sc.vars.items() if s in (V3, M)]
            if not src:
                return None
            a = self.pick(src)
            c = self.fresh("c")
            sc.vars[c] = sc.vars[a]
            sc.owned.add(c)
            return [f"{ind}{c} = {self.pick([f'np.copy({a})', f'{a} + 0.0'])}"]
        c = self.pick(owned)
        sh = sc.vars[c]
        if sh == M:
            if self.chance(0.3):
                return [f"{ind}{c}[{self.index(sc, 2)}] = {self.expr(sc, V3)}"]
            tgt = f"{c}[{self.index(sc, 2)}, {self.index(sc, 3)}]"
        else:
            tgt = f"{c}[{self.index(sc, SIZES[sh])}]"
        if self.chance(0.3):
            return [f"{ind}{tgt} {self.pick(['+=', '-=', '*='])} {self.expr(sc, S, 1)}"]
        if self.chance(0.5) or not sc.ints:
            return [f"{ind}{tgt} = {self.expr(sc, S)}"]
        # the typical loop: fill the copy element by element
        i = self.fresh("i")
        n = SIZES.get(sh, 2)
        body = sc.copy()
        body.ints[i] = n
        body.readonly.add(i)
        rhs = self.expr(body, S)
        return [f"{ind}for {i} in range({n}):",
                f"{ind}    {c}[{i}] = {self.pick([rhs, f'{c}[{i}] * {rhs}'])}" if sh != M else
                f"{ind}    {c}[{i}] = {self.expr(body, V3)}"]

    def closure(self, sc, ctx, ind):
        g = self.fresh("g")
        psh = self.pick([S, S, V3]) if self.np and V3 in self.shapes(sc) else S
        inner = sc.copy()
        inner.readonly |= set(inner.vars) | set(inner.ints)
        inner.lists = {}
        inner.owned = set()
        p = self.fresh("p")
        inner.vars[p] = psh
        inner.views.add(p)
        ret = psh if self.chance(0.5) else S
        sc.funcs[g] = ((psh,), ret)
        if self.chance(0.4):
            return [f"{ind}{g} = lambda {p}: {self.unalias(inner, self.expr(inner, ret), ret)}"]
        inner.readonly.discard(p)
        sub = dict(ctx, depth=ctx["depth"] + 1, loop=False, top=False, closures=False,
                   lists=False, ret=ret)
        saved = self.stmts
        body, term, _ = self.block(inner, sub, self.rng.randint(1, 2), ind + "    ")
        self.stmts = saved + 1
        lines = [f"{ind}def {g}({p}):"] + body
        if not term:
            lines.append(f"{ind}    return {self.unalias(inner, self.expr(inner, ret), ret)}")
        return lines

    # ---------------------------------------------------------------- program
    def helper(self, k, funcs):
        name = f"h{k}"
        sc = Scope()
        sc.funcs = dict(funcs)
        if self.np:
            params = {"a": V3, "b": S}
            ret = self.pick([S, V3])
        else:
            params = {"a": S, "b": S}
            ret = S
        sc.vars.update(params)
        sc.views |= set(params)
        ctx = dict(depth=0, loop=False, top=True, closures=False, lists=True, ret=ret,
                   params=list(params))
        saved, self.stmts, self.max_stmts = (self.stmts, self.max_stmts), 0, self.rng.randint(1, 4)
        body, term, _ = self.block(sc, ctx, self.max_stmts, "    ")
        self.stmts, self.max_stmts = saved
        lines = [f"def {name}({', '.join(params)}):"] + body
        if not term:
            lines.append(f"    return {self.unalias(sc, self.expr(sc, ret), ret)}")
        return name, (tuple(params.values()), ret), lines

    def program(self):
        rng = self.rng
        funcs, out = {}, []
        for k in range(rng.choice([0, 0, 1, 1, 2])):
            name, sig, lines = self.helper(k, funcs)
            funcs[name] = sig
            out += lines + ["", ""]
        if self.np:
            params = {"x": V3, "W": M, "s": S}
            if self.chance(0.3):
                params["u"] = V3
            if self.chance(0.2):
                params["b"] = V2
        else:
            params = {"x": S, "y": S}
            if self.chance(0.5):
                params["z"] = S
        with_n = self.chance(0.3)
        sc = Scope()
        sc.funcs = funcs
        sc.vars.update(params)
        sc.views |= set(params)
        names = list(params)
        if with_n:
            names.append("n")
            sc.ints["n"] = None
            sc.readonly.add("n")
        ctx = dict(depth=0, loop=False, top=True, closures=True, lists=True, ret=S, params=names)
        body, term, _ = self.block(sc, ctx, self.max_stmts, "    ")
        lines = [f"def f({', '.join(names)}):"] + body
        if not term:
            final = self.expr(sc, S)
            live = [n for n in sc.vars if n not in params][-4:]
            for n in self.rng.sample(live, min(len(live), self.rng.randint(0, 3))):
                term_ = n if sc.vars[n] == S else f"np.sum({n})"
                final = f"{final} {self.pick(['+', '-', '*', '+'])} {term_}"
            if self.np and self.chance(0.6):
                arrs = [s for s in self.shapes(sc) if s != S]
                final = self.binop(final, f"np.sum({self.expr(sc, self.pick(arrs))})")
            lines.append(f"    return {final}")
        header = ["import math", "import numpy as np", "", ""]
        src = "\n".join(header + out + lines) + "\n"
        args, argnums = [], []
        for i, (n, sh) in enumerate(params.items()):
            if sh == S:
                args.append(round(rng.uniform(-2.0, 2.0), 6))
            else:
                import numpy as np
                args.append(np.array([round(rng.uniform(-2.0, 2.0), 6)
                                      for _ in range(int(np.prod(sh)))]).reshape(sh))
            argnums.append(i)
        if with_n:
            args.append(rng.randint(1, 3))
        return Program(src, names, args, tuple(argnums), self.variant, self.seed)


def p(e):
    """`e` parenthesized unless it is a name, a subscript or a call (safe to subscript)."""
    return e if VIEW.match(e) or (e.endswith(")") and e.startswith(("(", "np.", "h", "g"))
                                  and _balanced_call(e)) else f"({e})"


def _balanced_call(e):
    depth = 0
    for k, ch in enumerate(e):
        depth += ch in "([" 
        depth -= ch in ")]"
        if depth == 0 and k < len(e) - 1 and ch in ")]":
            return False
    return True


def len_of(sh):
    return sh[0]


def generate(seed, variant="scalar"):
    return Gen(seed, variant).program()


if __name__ == "__main__":
    import sys
    v = sys.argv[2] if len(sys.argv) > 2 else "scalar"
    p = generate(int(sys.argv[1]) if len(sys.argv) > 1 else 0, v)
    print(p.source)
    print("# args:", p.args_source())
