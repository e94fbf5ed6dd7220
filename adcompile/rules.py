"""Derivative rules, one line per primitive.

Rules are Python expression templates over the primitive's operands (`x`, `y`, ... as named in
`primitives.py`), its keyword options (`axis`, ...), its result `ans`, the incoming adjoint `g`
(reverse mode) and the operand's tangent `t` (forward mode). They are written the way the lecture
writes them and appear as such in generated code: the sigmoid rule `g * (1 - ans) * ans` becomes
`grad_s3 = grad_L * (1 - L) * L`.

`DERIVATIVES` holds elementwise primitives: the partial derivative with respect to each operand.
Reverse mode emits `g * <partial>`, forward mode `t * <partial>` (and just `g` or `t` when the
partial is 1). `VJP` and `JVP` hold the other primitives: one template per operand, or `None`
where the operand has no derivative (an index, a shape). `LINEAR` primitives are their own JVP:
the tangent replaces the first operand. A `nondiff` primitive (see `primitives.py`) needs no rule.

A few rules depend on constant arguments (einsum's subscripts, how many arrays np.stack takes);
their table entry is a function `rule(op, i)` returning the template for operand `i` (or None).
The operands a `*xs` parameter collects are bound to `xs` (`xs[0]`, `xs[1]`, ...).

The helpers derivative code calls (`unbroadcast`, `matmul_grad_left`, ...) have rules too, so
derivative code can be differentiated again: `grad(grad(f))`, `hessian(f)`.
"""
from __future__ import annotations

import math
import string

# Calls that the rules of one equation read alike for several operands (uniform's standard
# draws, read back from the drawn value for the rule of low and that of high): each is computed
# once, before the terms (templates.shared), as the optimizer merges whole statements only.
ONCE: set = set()

# A partial that names SEED (what it is multiplied by: g or t) is the whole product.
SEED = "__seed"  # (no parameter's name: t in defpartials)
# the seed where the operand wins, half of it at a tie, else 0 (np.maximum's and np.minimum's)
_TIE = f"np.where({{}}, {SEED}, np.where(x == y, 0.5 * {SEED}, 0.0))"

DERIVATIVES = {
    "add": ("1", "1"),
    "sub": ("1", "-1"),
    "mul": ("y", "x"),
    "truediv": ("1 / y", "-ans / y"),
    "pow": lambda op, i: _pow_partial(op, i),
    "math.pow": lambda op, i: _pow_partial(op, i, "math.pow(x, y - 1)", "float(x)"),
    "mod": ("1", "-np.floor(x / y)"),
    "neg": ("-1",),
    "pos": ("1",),
    "max": ("(not y > x)", "(y > x)"),  # (Python's max(x, y) is x unless y > x: max(1.0, nan)
    "min": ("(not y < x)", "(y < x)"),  # is 1.0, whose derivative x gets)
    "float": ("1",),
    # math
    "math.sin": ("math.cos(x)",),
    "math.cos": ("-math.sin(x)",),
    "math.tan": ("(1 + ans * ans)",),
    "math.exp": ("ans",),
    "math.log": ("1 / x", "-ans / (base * math.log(base))"),
    "math.log1p": ("1 / (1 + x)",),
    "math.expm1": ("(ans + 1)",),
    "math.sqrt": ("0.5 / ans",),
    "math.tanh": ("(1 - ans * ans)",),
    "math.sinh": ("math.cosh(x)",),
    "math.cosh": ("math.sinh(x)",),
    "math.atan": ("1 / (1 + x * x)",),
    "math.asin": ("1 / math.sqrt(1 - x * x)",),
    "math.acos": ("-1 / math.sqrt(1 - x * x)",),
    "math.log2": ("1 / (x * math.log(2))",),
    "math.log10": ("1 / (x * math.log(10))",),
    "math.fabs": ("math.copysign(1.0, x)",),
    "math.erf": ("1.1283791670955126 * math.exp(-x * x)",),  # 2 / sqrt(pi)
    "math.erfc": ("-1.1283791670955126 * math.exp(-x * x)",),
    "math.asinh": ("1 / math.sqrt(x * x + 1)",),
    "math.acosh": ("1 / math.sqrt((x - 1) * (x + 1))",),
    "math.atanh": ("1 / (1 - x * x)",),
    "math.degrees": ("57.29577951308232",),  # 180 / pi
    "math.radians": ("0.017453292519943295",),  # pi / 180
    "math.exp2": ("ans * 0.6931471805599453",),  # log(2)
    "math.cbrt": ("1 / (3 * ans * ans)",),
    "math.fmod": ("1", "-math.trunc(x / y)"),  # x - trunc(x / y) * y
    "math.lgamma": ("polygamma(0, x)",),  # digamma
    "math.gamma": ("ans * polygamma(0, x)",),
    "polygamma": (None, "polygamma(n + 1, x)"),
    "math.atan2": ("x / (x * x + y * y)", "-y / (x * x + y * y)"),
    "math.hypot": ("x / norm_divisor(ans)", "y / norm_divisor(ans)"),
    # NumPy
    "np.exp": ("ans",),
    "np.exp2": ("ans * math.log(2)",),  # (a Python float: float32 stays float32)
    "np.log": ("1 / x",),
    "np.log1p": ("1 / (1 + x)",),
    "np.expm1": ("(ans + 1)",),
    "np.log2": ("1 / (x * math.log(2))",),
    "np.log10": ("1 / (x * math.log(10))",),
    "np.sin": ("np.cos(x)",),
    "np.cos": ("-np.sin(x)",),
    "np.tan": ("(1 + ans * ans)",),
    "np.tanh": ("(1 - ans * ans)",),
    "np.sinh": ("np.cosh(x)",),
    "np.cosh": ("np.sinh(x)",),
    "np.arcsin": ("1 / np.sqrt(1 - x * x)",),
    "np.arccos": ("-1 / np.sqrt(1 - x * x)",),
    "np.arctan": ("1 / (1 + x * x)",),
    "np.arcsinh": ("1 / np.sqrt(x * x + 1)",),
    "np.arctanh": ("1 / (1 - x * x)",),
    "np.sqrt": ("0.5 / ans",),
    "np.cbrt": ("1 / (3 * ans * ans)",),
    "np.square": ("2 * x",),
    "np.reciprocal": ("-ans * ans",),
    "np.fabs": ("np.sign(x)",),
    # a tie is split evenly, as JAX and PyTorch do: the stable softplus written with two kinks at
    # 0, np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x))), has derivative 1/2 there, sigmoid(0)
    "np.maximum": (_TIE.format("x > y"), _TIE.format("y > x")),
    "np.minimum": (_TIE.format("x < y"), _TIE.format("y < x")),
    "np.arctan2": ("x / (x * x + y * y)", "-y / (x * x + y * y)"),
    "np.hypot": ("x / norm_divisor(ans)", "y / norm_divisor(ans)"),
    "np.logaddexp": ("sigmoid(gap(x, y))", "sigmoid(gap(y, x))"),  # (finite at -inf, -inf)
    "gap": ("1", "-1"),
    "np.clip": lambda op, i: _clip_partial(op, i),  # 1 where x is not clipped
    "np.heaviside": (None, "(x == 0)"),  # h0 is the value where x == 0
    "math.copysign": ("math.copysign(1.0, x) * math.copysign(1.0, y)", None),
    # the stable primitives, by their outputs where that is stable
    "sigmoid": ("(1 - ans) * ans",),
    "softplus": ("sigmoid(x)",),
    "log_sigmoid": ("sigmoid(-x)",),
    "relu": ("(x > 0)",),
}

# helpers of derivative code, safe at a zero base: times_pow(t, x, e) is t * x ** e, 0 where t ==
# 0, so a zero tangent (or adjoint) through a slope infinite at x == 0 gives 0; x ** y's partial in
# x is times_pow(seed * y, x, y - 1), 0 where y == 0 too. pow_dy, a * log(x), is 0 where x == 0,
# and so are the terms of its derivatives that multiply log(x) or divide by x (pow_dy(1.0, x),
# recip_or_zero(x)): every order is finite at a zero base
DERIVATIVES["times_pow"] = (f"times_pow({SEED}, x, e)", f"times_pow({SEED} * t * e, x, e - 1)",
                            "pow_dy(ans, x)")
DERIVATIVES["pow_dy"] = ("pow_dy(1.0, x)", "a * recip_or_zero(x)")
DERIVATIVES["recip_or_zero"] = ("-ans * ans",)
# x / y, 0 where x == 0 (scipy.special.xlogy's derivative in y)
DERIVATIVES["xdivy"] = ("xdivy(1.0, y)", "-xdivy(ans, y)")
# a norm as its rules divide by it, 1 where it is 0 (runtime_linalg.norm_divisor): the rules of
# the norms and of hypot give the subgradient 0 at a zero vector, not 0 / 0; second derivatives
# there are NaN (norm_slope): the subgradient lost the curvature, which no rule can restore
DERIVATIVES["norm_divisor"] = ("norm_slope(x)",)


def _float_fill(op, i, template):
    """np.full(shape, fill_value) is linear in fill_value, unless an integer or boolean dtype
    rounds it: then there is no rule, and its derivative is zero (templates.casts_to_integers),
    as int(x)'s is."""
    import numpy as np
    if i != 1:
        return None
    dtype = dict(op.kwargs).get("dtype")
    if dtype is not None and type(dtype).__name__ == "Const" and dtype.value is not None and \
            np.dtype(dtype.value).kind not in "fc":
        return None
    return template


def _clip_partial(op, i):
    """np.clip(x, a_min, a_max) is np.minimum(np.maximum(x, a_min), a_max): where a_min > a_max
    every entry is a_max, and a_min has no derivative."""
    x, a_min, a_max = (op.args + (None, None))[:3]  # (one bound given: x.clip(0.0))
    if i == 0:
        return "(ans == x)"
    if i == 1:
        return "(x < a_min)" if _is_none(a_max) else "((x < a_min) & (a_min <= a_max))"
    return "(x > a_max)" if _is_none(a_min) else "(np.maximum(x, a_min) > a_max)"


def _is_none(e):
    return e is None or type(e).__name__ == "Const" and e.value is None


def _pow_partial(op, i, power="x ** (y - 1)", base="x"):
    """The partials of x ** y. With a constant exponent the lecture's `y * x ** (y - 1)` folds
    (`2 * x` for x ** 2; nothing for x ** 0; no helper in code on floats: a zero tangent times
    the infinite slope of x ** 0.5 at x == 0 raises, docs/limits.md); otherwise
    times_pow(seed * y, x, y - 1), 0 where y == 0 (an exponent known at run time). In y: ans *
    log(x), as pow_dy(ans, x), 0 where x == 0 (and y > 0); a constant positive base has its
    logarithm folded (Python floats stay Python floats). math.pow's: `power` and `base` as
    floats (its operands are converted, whatever they are)."""
    x, y = op.args
    number = lambda e: type(e).__name__ == "Const" and type(e.value) in (int, float)
    if i == 0:
        if number(y):
            return None if y.value == 0 else f"y * {power}"
        exponent = "float(y)" if base != "x" else "y"
        return f"times_pow({SEED} * {exponent}, {base}, {exponent} - 1)"
    if number(x) and x.value > 0:
        return f"ans * {math.log(x.value)!r}"
    return None if number(x) and x.value == 0 else f"pow_dy(ans, {base})"


LINEAR = {
    "np.real", "np.conj", "conj", "real_part",
    "np.sum", "np.mean", "np.transpose", "np.reshape", "T", "getitem", "np.ravel", "flatten",
    "np.squeeze",
    "np.expand_dims", "np.swapaxes", "np.moveaxis", "np.flip", "np.broadcast_to", "np.tile",
    "np.repeat", "np.split", "np.copy", "np.cumsum", "np.trace",
    # helpers of derivative code
    "unbroadcast", "expand_to", "unreduce", "getitem_grad", "mT", "cumsum_grad", "untile",
    "unrepeat", "trace_grad", "concatenate_part", "hstack_part", "vstack_part", "unsplit",
    "sum_grad", "split_like",
}


# --- rules computed from constant arguments ------------------------------------------------------
def _slots(n, i, fill, other):
    """`(t, zeros_like(xs[1]))`: `fill` in slot i, `other` (formatted with k) elsewhere."""
    return "(" + "".join((fill if k == i else other.format(k=k)) + ", " for k in range(n)) + ")"


def _seq_jvp(op, i):
    """np.stack((a, b)) is linear in each operand: the tangent in its slot, zeros elsewhere.
    (The optimizer merges `np.stack((d_a, zeros_like(b))) + np.stack((zeros_like(a), d_b))`.)"""
    from .primitives import PRIMS
    options = "".join(f", {k}={k}" for k in PRIMS[op.prim].options)
    return f"{op.prim}({_slots(len(op.args), i, 't', 'zeros_like(xs[{k}])')}{options})"


def _part_vjp(op, i):
    """concatenate_part(v, i, *xs) takes piece i of v: its adjoint puts g back in that slot."""
    if i != 0:
        return None
    from .primitives import PRIMS
    stack = {"concatenate_part": "np.concatenate", "hstack_part": "np.hstack",
             "vstack_part": "np.vstack", "column_stack_part": "np.column_stack",
             "dstack_part": "np.dstack"}[op.prim]
    options = "".join(f", {k}={k}" for k in PRIMS[op.prim].options)
    return f"{stack}({_slots(len(op.args) - 2, op.args[1].value, 'g', 'zeros_like(xs[{k}])')}" \
        f"{options})"


def _part(name):
    def vjp(op, i):
        xs = "".join(f", xs[{k}]" for k in range(len(op.args)))
        return f"{name}(g, {i}{xs}, axis=axis)" if name == "concatenate_part" else \
            f"{name}(g, {i}{xs})"
    return vjp


def _stack_vjp(op, i):
    """Operand i of np.stack(xs, axis) is g indexed at i along `axis`: `g[:, i]` for axis=1."""
    axis = dict(op.kwargs).get("axis")
    axis = 0 if axis is None else _constant(axis, op, "axis")
    index = (slice(None),) * axis + (i,) if axis >= 0 else (...,) + (i,) + (slice(None),) * (-axis - 1)
    return f"g[{_index_text(index)}]"


def _index_text(index):
    parts = [":" if p == slice(None) else "..." if p is ... else repr(p) for p in index]
    return ", ".join(parts) if len(parts) > 1 else parts[0]


def _constant(expr, op, what):
    from .errors import NoDerivativeError
    if type(expr).__name__ != "Const":
        raise NoDerivativeError(f"{op.prim} needs a constant {what} to be differentiated")
    return expr.value


def _einsum_tokens(subscripts):
    """'...ij' as ['...', 'i', 'j']."""
    tokens, rest = [], subscripts
    while rest:
        take = 3 if rest.startswith("...") else 1
        tokens.append(rest[:take])
        rest = rest[take:]
    return tokens


def _einsum_spec(op):
    """(inputs, output, operand positions, operand names) of an einsum, in either form:
    np.einsum('ij,jk->ik', a, b) or the sublist form np.einsum(a, [0, 1], b, [1, 2], [0, 2]).
    Inputs and output are lists of tokens (letters and '...'); an ellipsis must lead."""
    from .errors import NoDerivativeError
    args = op.args
    names = ["subscripts"] + [f"xs[{j}]" for j in range(len(args) - 1)]
    if type(args[0]).__name__ == "Const" and type(args[0].value) is str:
        subscripts = args[0].value.replace(" ", "")
        ins, arrow, out = subscripts.partition("->")
        ins = [_einsum_tokens(s) for s in ins.split(",")]
        positions = list(range(1, len(args)))
        out = _einsum_tokens(out) if arrow else None
    else:  # the sublist form: operands at even positions, their axes after each
        letter = lambda a: "..." if a is Ellipsis else string.ascii_letters[a]
        ins = [[letter(a) for a in _constant(s, op, "sublist")] for s in args[1::2]]
        positions = list(range(0, len(args) - len(args) % 2, 2))
        out = [letter(a) for a in _constant(args[-1], op, "sublist")] if len(args) % 2 else None
    if out is None:  # implicit output: '...', then the letters used once, in alphabetical order
        letters = [c for s in ins for c in s if c != "..."]
        out = (["..."] if any("..." in s for s in ins) else []) + sorted(
            c for c in set(letters) if letters.count(c) == 1)
    for s in ins + [out]:
        if "..." in s[1:]:
            raise NoDerivativeError("np.einsum with '...' after a letter has no derivative rule; "
                                    "put the '...' first ('...ij', not 'i...j')")
    return ins, out, positions, names


def _einsum_vjp(op, i):
    """The gradient of operand k of an einsum is itself one einsum of g with the other operands:
    `np.einsum('ik,jk->ij', g, B)` for `np.einsum('ij,jk->ik', A, B)`. A letter found only in
    operand k is broadcast with np.ones_like; a repeated letter ('ii') takes the diagonal of
    an identity matrix; with '...' (batch axes) the result is summed over the batch axes that
    operand k was broadcast along."""
    ins, out, positions, names = _einsum_spec(op)
    if i not in positions:
        return None
    k = positions.index(i)
    x = names[i]
    target = ins[k]
    used = {c for s in ins + [out] for c in s}
    spare = [c for c in string.ascii_letters if c not in used]
    others = [j for j in range(len(ins)) if j != k]
    terms, args = [out] + [ins[j] for j in others], ["g"] + [names[positions[j]] for j in others]
    available = {c for s in terms for c in s}
    letters = [c for c in target if c != "..."]
    result = ["..."] if "..." in out else []
    for pos, c in enumerate(letters):
        end = pos - len(letters)  # the axis counted from the end (a leading '...' may be longer)
        if c in result:  # a repeated letter: the diagonal, through an identity matrix
            fresh = spare.pop(0)
            terms.append([c, fresh])
            args.append(f"np.eye(np.shape({x})[{end}], dtype={x}.dtype, like={x})")
            c = fresh
        elif c not in available:  # summed only within operand k: broadcast the gradient
            terms.append([c])
            args.append(f"np.ones_like({x}, shape=np.shape({x})[{end}])")
        result.append(c)
    text = lambda ts: ",".join("".join(t) for t in ts) + "->" + "".join(result)
    if not out:  # g is a number (perhaps a Python float): a factor outside keeps the dtype
        terms, args = terms[1:], args[1:]
        return f"g * np.einsum({text(terms)!r}, {', '.join(args)})" if args else "g"
    grad = f"np.einsum({text(terms)!r}, {', '.join(args)})"
    return f"unbroadcast({grad}, {x})" if "..." in out else grad


def _einsum_jvp(op, i):
    """einsum is linear in each operand: the tangent replaces operand i."""
    ins, out, positions, names = _einsum_spec(op)
    if i not in positions:
        return None
    return f"np.einsum({', '.join('t' if j == i else n for j, n in enumerate(names))})"


VJP = {
    "matmul": ("matmul_grad_left(g, x, y)", "matmul_grad_right(g, x, y)"),
    "np.dot": ("dot_grad_left(g, x, y)", "dot_grad_right(g, x, y)"),
    "np.outer": ("np.reshape(g @ np.ravel(y), np.shape(x))", "np.reshape(np.ravel(x) @ g, np.shape(y))"),
    "np.inner": ("tensordot_grad_left(g, x, y, inner_axes(x, y))",
                 "tensordot_grad_right(g, x, y, inner_axes(x, y))"),
    "np.tensordot": ("tensordot_grad_left(g, x, y, axes)", "tensordot_grad_right(g, x, y, axes)"),
    "np.einsum": _einsum_vjp,
    "np.trace": ("trace_grad(g, x, offset, axis1, axis2)",),
    "np.linalg.inv": ("-mT(ans) @ g @ mT(ans)",),
    "np.linalg.solve": ("-matmul_grad_left(np.linalg.solve(mT(a), column_of(g, b)), a, "
                        "column_of(ans, b))",
                        "uncolumn(np.linalg.solve(mT(a), column_of(g, b)), b)"),
    "np.linalg.det": ("np.expand_dims(g, (-2, -1)) * cofactor(x, ans)",),
    # (the sign s = det / |det| of a complex x turns: ds = s * 1j * Im(tr(x^-1 dx)); 0 if real)
    "np.linalg.slogdet": ("np.expand_dims(g[1] + (g[0] * ans[0] - conj(g[0] * ans[0])) / 2, (-2, -1))"
                          " * mT(np.linalg.inv(x))",),
    # reductions
    "np.sum": ("unreduce(g, x, axis, keepdims)",),
    "np.mean": ("unreduce(g, x, axis, keepdims) / reduced_size(x, axis)",),
    "np.prod": ("unreduce(g, x, axis, keepdims) * prod_others(x, axis)",),
    "np.max": ("unreduce(g, x, axis, keepdims) * max_weights(x, ans, axis, keepdims)",),
    "np.min": ("unreduce(g, x, axis, keepdims) * max_weights(x, ans, axis, keepdims)",),
    "np.var": ("unreduce(g, x, axis, keepdims) * conj(x - np.mean(x, axis=axis, keepdims=True))"
               " * (2 / (reduced_size(x, axis) - ddof))",),
    # (where the deviation is 0, as for one element, the derivative of np.std is 0, not 0 / 0)
    "np.std": ("unreduce(g / np.where(ans == 0, 1.0, ans), x, axis, keepdims)"
               " * conj(x - np.mean(x, axis=axis, keepdims=True))"
               " / (reduced_size(x, axis) - ddof)",),
    "np.cumsum": ("cumsum_grad(g, x, axis)",),
    "np.linalg.norm": ("norm_grad(g, x, ans, ord, axis, keepdims)",),
    # shapes
    "np.transpose": ("untranspose(g, axes)",),
    "np.reshape": ("np.reshape(g, np.shape(x))", None),
    "np.ravel": ("np.reshape(g, np.shape(x))",),
    "flatten": ("np.reshape(g, np.shape(x))",),
    "np.squeeze": ("np.reshape(g, np.shape(x))",),
    "np.expand_dims": ("np.reshape(g, np.shape(x))", None),
    "np.copy": ("g",),
    "T": ("g.T",),
    "np.swapaxes": ("np.swapaxes(g, axis1, axis2)", None, None),
    "np.moveaxis": ("np.moveaxis(g, destination, source)", None, None),
    "np.flip": ("np.flip(g, axis=axis)",),
    "np.broadcast_to": ("unbroadcast(g, x)", None),
    "np.tile": ("untile(g, x, reps)", None),
    "np.repeat": ("unrepeat(g, x, repeats, axis)", None),
    "np.split": ("unsplit(g, axis)", None),
    "getitem": ("getitem_grad(g, x, index)", None),
    "np.concatenate": _part("concatenate_part"),
    "np.hstack": _part("hstack_part"),
    "np.vstack": _part("vstack_part"),
    "np.stack": _stack_vjp,
    "np.array": _stack_vjp,
    "np.where": (None, "np.where(condition, g, 0.0)", "np.where(condition, 0.0, g)"),
    # Complex numbers. Holomorphic rules (exp, mul, ...) hold as written. For the others the
    # adjoint of a complex z follows JAX's convention: the transpose of the forward rule under
    # the pairing re(a * b), so that grad of a real f is d f / d re(z) - 1j * d f / d im(z)
    # (grad of |z| ** 2 is 2 * conj(z)). On real values conj() costs nothing.
    # A real value's adjoint may come back complex (a real times a complex number): only its
    # real part counts, which np.real, imag and angle take before they pass it to a complex z.
    "abs": ("abs_vjp(g, x)",),  # g * sign(x); of a complex x, real_part(g) * sign(x)
    "np.abs": ("real_part(g) * conj(phase(x))",),
    "phase": ("phase_vjp(g, x, ans)",),
    "np.real": ("np.real(g)",),
    "np.conj": ("conj(g)",),
    "conj": ("conj(g)",),
    "real_part": ("real_part(g)",),
    # array creation: linear in the values it spreads. np.linspace(start, stop) is
    # start * (1 - w) + stop * w with w = np.linspace(0, 1): each end gets g weighted by its share.
    "np.full": lambda op, i: _float_fill(op, i, "unbroadcast(g, fill_value)"),
    "np.full_like": lambda op, i: _float_fill(op, i, "unbroadcast(held_in(g, ans), fill_value)"),
    "np.linspace": ("unbroadcast(np.sum(g * np.linspace(np.ones_like(g[0]), np.zeros_like(g[0]),"
                    " num=num, endpoint=endpoint), axis=0), start)",
                    "unbroadcast(np.sum(g * np.linspace(np.zeros_like(g[0]), np.ones_like(g[0]),"
                    " num=num, endpoint=endpoint), axis=0), stop)"),
    # the stable primitives
    "logsumexp": ("unreduce(g, x, axis, keepdims) * np.exp(x - unreduce(ans, x, axis, keepdims))",),
    "softmax": ("ans * (g - np.sum(g * ans, axis=axis, keepdims=True))",),
    "log_softmax": ("g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)",),
    # helpers of derivative code: each is linear in its first operand, `v`
    "unbroadcast": ("unbroadcast(g, v)", None),
    "expand_to": ("unbroadcast(g, v)", None),
    "unreduce": ("unbroadcast(np.sum(g, axis=axis, keepdims=keepdims), v)", None, None, None),
    # (v may carry axes the helper sums away, FITS_ITSELF: its share is spread back over them)
    "getitem_grad": ("unbroadcast(g[index], v)", None, None),
    "matmul_grad_left": ("unbroadcast(g @ y, v)", None, "matmul_grad_right(v, g, y)"),
    "matmul_grad_right": ("unbroadcast(x @ g, v)", "matmul_grad_left(v, x, g)", None),
    "dot_grad_left": ("np.dot(g, y)", None, "dot_grad_right(v, g, y)"),
    "dot_grad_right": ("np.dot(x, g)", "dot_grad_left(v, x, g)", None),
    "tensordot_grad_left": ("np.tensordot(g, y, axes=axes)", None,
                            "tensordot_grad_right(v, g, y, axes)", None),
    "tensordot_grad_right": ("np.tensordot(x, g, axes=axes)", "tensordot_grad_left(v, x, g, axes)",
                             None, None),
    "mT": ("mT(g)",),
    "cumsum_grad": ("np.cumsum(g, axis=axis)", None, None),
    "untile": ("np.tile(g, reps)", None, None),
    "unrepeat": ("np.repeat(g, repeats, axis=axis)", None, None, None),
    "trace_grad": ("np.trace(g, offset=offset, axis1=axis1, axis2=axis2)", None, None, None, None),
    "concatenate_part": _part_vjp,
    "hstack_part": _part_vjp,
    "vstack_part": _part_vjp,
    "list_add": ("g", "g"),
    # products of the others, differentiated again: a symmetric Jacobian (the product of all
    # but two entries), so one helper for both modes, without dividing by x (zeros are fine)
    "prod_others": ("prod_others_tangent(x, g, axis)", None),
    "prod_others_tangent": ("prod_others_tangents(x, axis, v, g)",
                            "unbroadcast(prod_others_tangent(x, g, axis), v)", None),
    "prod_others_tangents": lambda op, i: _tangents(op, i, "g"),
    # phase_vjp and phase_jvp are real-linear in v, each the other's transpose (0 for a real x,
    # as their derivatives in x and w are: for a complex x those are refused at run time)
    "phase_vjp": ("unbroadcast(phase_jvp(g, x, w), v)", "real_phase_zero(x)", "real_phase_zero(w)"),
    "phase_jvp": ("unbroadcast(phase_vjp(g, x, w), v)", "real_phase_zero(x)", "real_phase_zero(w)"),
    "sign": ("sign_vjp(g, x, ans)",),  # (builtin abs's derivative: as phase, conjugated)
    "abs_vjp": ("unbroadcast(real_part(g * sign(x)), v)", "sign_vjp(g * real_part(v), x, sign(x))"),
    "sign_vjp": ("unbroadcast(sign_jvp(g, x, w), v)", "real_phase_zero(x)", "real_phase_zero(w)"),
    "sign_jvp": ("unbroadcast(sign_vjp(g, x, w), v)", "real_phase_zero(x)", "real_phase_zero(w)"),
    "unsplit": ("split_like(g, v, axis)", None),
    "split_like": ("unsplit(g, axis)", None, None),
}

JVP = {
    "matmul": ("t @ y", "x @ t"),
    "np.dot": ("np.dot(t, y)", "np.dot(x, t)"),
    "np.outer": ("np.outer(t, y)", "np.outer(x, t)"),
    "np.inner": ("np.inner(t, y)", "np.inner(x, t)"),
    "np.tensordot": ("np.tensordot(t, y, axes=axes)", "np.tensordot(x, t, axes=axes)"),
    "np.einsum": _einsum_jvp,
    "np.linalg.inv": ("-ans @ t @ ans",),
    "np.linalg.solve": ("-uncolumn(np.linalg.solve(a, t @ column_of(ans, b)), b)",
                        "uncolumn(np.linalg.solve(a, column_of(t, b)), b)"),
    "np.linalg.det": ("np.sum(cofactor(x, ans) * t, axis=(-2, -1))",),
    "np.linalg.slogdet": ("slogdet_tangent(ans[0], np.trace(np.linalg.solve(x, t), axis1=-2,"
                          " axis2=-1))",),
    "np.prod": ("np.sum(t * prod_others(x, axis), axis=axis, keepdims=keepdims)",),
    "np.max": ("np.sum(t * max_weights(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)",),
    "np.min": ("np.sum(t * max_weights(x, ans, axis, keepdims), axis=axis, keepdims=keepdims)",),
    # (for complex x the real part: re(conj(x - mean) * t), the rate of change of |x - mean| ** 2)
    "np.var": ("np.sum(np.real(t * conj(x - np.mean(x, axis=axis, keepdims=True))), axis=axis,"
               " keepdims=keepdims) * (2 / (reduced_size(x, axis) - ddof))",),
    "np.std": ("np.sum(np.real(t * conj(x - np.mean(x, axis=axis, keepdims=True))), axis=axis,"
               " keepdims=keepdims) / (np.where(ans == 0, 1.0, ans) * (reduced_size(x, axis)"
               " - ddof))",),
    "np.linalg.norm": ("np.sum(np.real(t * norm_grad(1.0, x, ans, ord, axis, keepdims)), axis=axis,"
                       " keepdims=keepdims)",),
    "abs": ("np.real(t * sign(x))",),
    "np.abs": ("np.real(t * conj(phase(x)))",),
    "phase": ("phase_jvp(t, x, ans)",),
    "np.concatenate": _seq_jvp,
    "np.hstack": _seq_jvp,
    "np.vstack": _seq_jvp,
    "np.stack": _seq_jvp,
    "np.array": _seq_jvp,
    "np.where": (None, "np.where(condition, t, 0.0)", "np.where(condition, 0.0, t)"),
    "np.full": lambda op, i: _float_fill(op, i, "np.full(shape, t, dtype=dtype)"),
    "np.full_like": lambda op, i: _float_fill(op, i, "held_in(np.full_like(x, t, dtype=dtype), ans)"),
    "np.linspace": ("np.linspace(t, zeros_like(stop), num=num, endpoint=endpoint)",
                    "np.linspace(zeros_like(start), t, num=num, endpoint=endpoint)"),
    "logsumexp": ("np.sum(t * np.exp(x - unreduce(ans, x, axis, keepdims)), axis=axis, keepdims=keepdims)",),
    "softmax": ("ans * (t - np.sum(t * ans, axis=axis, keepdims=True))",),
    "log_softmax": ("t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True)",),
    # helpers of derivative code, bilinear in the gradient and one operand
    "matmul_grad_left": ("matmul_grad_left(t, x, y)", None, "matmul_grad_left(v, x, t)"),
    "matmul_grad_right": ("matmul_grad_right(t, x, y)", "matmul_grad_right(v, t, y)", None),
    "dot_grad_left": ("dot_grad_left(t, x, y)", None, "dot_grad_left(v, x, t)"),
    "dot_grad_right": ("dot_grad_right(t, x, y)", "dot_grad_right(v, t, y)", None),
    "tensordot_grad_left": ("tensordot_grad_left(t, x, y, axes)", None,
                            "tensordot_grad_left(v, x, t, axes)", None),
    "tensordot_grad_right": ("tensordot_grad_right(t, x, y, axes)",
                             "tensordot_grad_right(v, t, y, axes)", None, None),
    "list_add": ("t", "t"),
    "prod_others": ("prod_others_tangent(x, t, axis)", None),
    "prod_others_tangent": ("prod_others_tangents(x, axis, v, t)",
                            "prod_others_tangent(x, t, axis)", None),
    "prod_others_tangents": lambda op, i: _tangents(op, i, "t"),
    "phase_vjp": ("phase_vjp(t, x, w)", "real_phase_zero(x)", "real_phase_zero(w)"),
    "phase_jvp": ("phase_jvp(t, x, w)", "real_phase_zero(x)", "real_phase_zero(w)"),
    "sign": ("sign_jvp(t, x, ans)",),
    "abs_vjp": ("abs_vjp(t, x)", "real_part(v) * sign_jvp(t, x, sign(x))"),
    "sign_vjp": ("sign_vjp(t, x, w)", "real_phase_zero(x)", "real_phase_zero(w)"),
    "sign_jvp": ("sign_jvp(t, x, w)", "real_phase_zero(x)", "real_phase_zero(w)"),
}

def _tangents(op, i, g):
    """prod_others_tangents(x, axis, *vs): multilinear in the vs and symmetric in its result's
    entry and theirs, so `g` takes the place of v_i; in x, `g` is one more direction."""
    vs = [f"xs[{k}]" for k in range(len(op.args) - 2)]
    if i == 1:
        return None
    if i > 1:
        vs[i - 2] = g
    call = f"prod_others_tangents(x, axis, {', '.join(vs if i else vs + [g])})"
    return f"unbroadcast({call}, xs[{i - 2}])" if i > 1 and g == "g" else call


# Rules whose helpers sum an adjoint that carries broadcast axes to their result's shape
# themselves (runtime._product_fit, getitem_grad, scatter_add): reverse mode calls them without
# an `unbroadcast` first, which would read the result and so keep it, on a loop's tape too.
FITS_ITSELF = {"matmul", "getitem"}

# Templates that depend on a constant option: np.transpose(x) without axes reverses them; the
# default vector and Frobenius norm have a short rule.
SPECIAL = {
    ("np.transpose", "axes", None): {"vjp": ("np.transpose(g)",)},
    ("np.linalg.norm", "ord", None): {
        "vjp": ("unreduce(g / norm_divisor(ans), x, axis, keepdims) * conj(x)",),
        "jvp": ("np.sum(np.real(t * conj(x)), axis=axis, keepdims=keepdims)"
                " / norm_divisor(ans)",)},
}
SPECIAL[("np.linalg.norm", "ord", "fro")] = SPECIAL[("np.linalg.norm", "ord", None)]
# A sum or mean of everything hands every element the same adjoint: `g` itself, loose (smaller
# than x), which the elementwise rules after it broadcast for free; reverse mode fits it to x's
# shape only where a shape-sensitive rule or the result needs it.
SPECIAL[("np.sum", "axis", None)] = {"vjp": ("in_dtype_of(g, x)",), "loose": True}
SPECIAL[("np.mean", "axis", None)] = {"vjp": ("in_dtype_of(g, x) / size_of(x)",), "loose": True}
# Kept dimensions broadcast by themselves: no helper to spread g and ans back over x. The
# adjoint of a sum or mean with kept dimensions is loose too, but not one number ("kept").
SPECIAL[("logsumexp", "keepdims", True)] = {"vjp": ("g * np.exp(x - ans)",)}
SPECIAL[("np.sum", "keepdims", True)] = {"vjp": ("g",), "loose": "kept"}
SPECIAL[("np.mean", "keepdims", True)] = {"vjp": ("g / reduced_size(x, axis)",),
                                          "loose": "kept"}

# `x[index] = v`: the replaced part of x gets no gradient, v gets that part of g.
VJP["setitem"] = ("zero_at(g, index)", None,
                  "unbroadcast(held_in(last_written(g[index], g, index), x), v)")
VJP["last_written"] = ("last_written(g, like, index)", None, None)
JVP["last_written"] = ("last_written(t, like, index)", None, None)
LINEAR.add("last_written")
VJP["own"] = ("g",)  # (a copy of a derivative's result, results.py: differentiated again)
LINEAR.add("own")
JVP["setitem"] = ("zero_at(t, index)", None, "setitem(zeros_like(ans), index, held_in(t, x))")
VJP["held_in"], JVP["held_in"] = ("held_in(g, x)", None), ("held_in(t, x)", None)
LINEAR.add("held_in")  # (x[i] = v into an integer array: v rounded, no derivative)
VJP["zero_at"], JVP["zero_at"] = ("zero_at(g, index)", None), ("zero_at(t, index)", None)
LINEAR.add("zero_at")

# Lists built by append in a loop; their gradients are lists too.
VJP["make_list"] = lambda op, i: f"g[{i}]"
JVP["make_list"] = lambda op, i: f"getitem_grad(t, ans, {i})"
VJP["list_append"] = ("g[:-1]", "g[-1]")
JVP["list_append"] = ("list_append(t, zeros_like(v))", "list_append(zeros_like(xs), t)")
# a + b of lists: each operand's part of the gradient, by its length; a * n: the n parts summed
VJP["list_concat"] = VJP["list_join"] = ("g[:len(x)]", "g[len(x):]")
JVP["list_concat"] = JVP["list_join"] = ("list_join(t, zeros_like(y))",
                                         "list_join(zeros_like(x), t)")
VJP["list_repeat"] = ("list_unrepeat(g, xs, n)", None)
JVP["list_repeat"] = ("list_repeat(t, n)", None)
VJP["list_unrepeat"] = ("list_repeat(g, n)", None, None)
JVP["list_unrepeat"] = ("list_unrepeat(t, xs, n)", None, None)
LINEAR.update({"list_concat", "list_join", "list_repeat", "list_unrepeat", "list_copy", "tuple_copy"})
VJP["list_copy"] = VJP["tuple_copy"] = ("list_copy(g)",)
JVP["list_copy"] = ("list_copy(t)",)
JVP["tuple_copy"] = ("tuple_copy(t)",)
VJP["rows_list"] = VJP["rows_tuple"] = ("rows_grad(g, x)",)  # list(a): rows stacked back
JVP["rows_list"], JVP["rows_tuple"] = ("rows_list(t)",), ("rows_tuple(t)",)
VJP["rows_grad"] = ("rows_list(g)", None)
LINEAR.update({"rows_list", "rows_tuple", "rows_grad"})
# cmath: holomorphic, each partial as for math (JAX's convention: g times the derivative), the
# gradient of a real number real (the result is complex even there: cmath.sqrt(-1.0) is 1j)
CMATH = {
    "exp": "ans",
    "sqrt": "(0.5 / ans)",
    "log10": "(1 / (x * math.log(10)))",
    "sin": "cmath.cos(x)",
    "cos": "(-cmath.sin(x))",
    "tan": "(1 + ans * ans)",
    "sinh": "cmath.cosh(x)",
    "cosh": "cmath.sinh(x)",
    "tanh": "(1 - ans * ans)",
}
for _name, _partial in CMATH.items():
    VJP[f"cmath.{_name}"], JVP[f"cmath.{_name}"] = (f"real_like(g * {_partial}, x)",), \
        (f"t * {_partial}",)
_CMATH_LOG = ("(1 / x)", "(1 / (x * cmath.log(base)))", "(-ans / (base * cmath.log(base)))")
VJP["cmath.log"] = lambda op, i: \
    f"real_like(g * {_CMATH_LOG[i + (len(op.args) > 1)]}, {('x', 'base')[i]})"
JVP["cmath.log"] = lambda op, i: f"t * {_CMATH_LOG[i + (len(op.args) > 1)]}"
VJP["view"] = ("g",)  # a.view(): the same values
LINEAR.add("view")
VJP["conjugate"], JVP["conjugate"] = ("conj(g)",), ("conjugate(t)",)  # x.conjugate()
LINEAR.add("conjugate")
VJP["list_max"] = VJP["list_min"] = ("getitem_grad(g, xs, index_of(xs, ans))",)
JVP["list_max"] = JVP["list_min"] = ("t[index_of(xs, ans)]",)
VJP["list_sum"] = ("sum_grad(g, xs)", "unbroadcast(g, start)")
VJP["sum_grad"] = ("list_sum(g)", None)  # (sum over a list, or over an array's first axis)
JVP["list_sum"] = ("list_sum(t)", "t")
VJP["math.fsum"], JVP["math.fsum"] = ("sum_grad(g, xs)",), ("math.fsum(t)",)

# in_dtype_of(v, x): v in x's floating dtype, a cast: the adjoint passes through.
LINEAR.add("in_dtype_of")
VJP["in_dtype_of"] = ("g", None)

# A tuple of values (the tape of generated code pushes tuples): its adjoint is a list.
VJP["tuple"] = lambda op, i: f"g[{i}]"
JVP["tuple"] = lambda op, i: f"getitem_grad(t, ans, {i})"

# scatter_add(buffer, index, v) is buffer with v added at index (in place, into a gradient buffer
# the generated code owns): linear in buffer and v.
VJP["scatter_add"] = ("g", None, "unbroadcast(g[index], v)")
JVP["scatter_add"] = ("t", None, "getitem_grad(t, buffer, index)")

# add_fitted(x, *contributions): their sum, each fitted to x's shape; linear in each contribution.
VJP["add_fitted"] = lambda op, i: None if i == 0 else f"unbroadcast(g, xs[{i - 1}])"
JVP["add_fitted"] = lambda op, i: None if i == 0 else "unbroadcast(t, x)"

# --- breadth: elementwise ------------------------------------------------------------------------
DERIVATIVES.update({
    "np.arccosh": ("1 / np.sqrt((x - 1) * (x + 1))",),
    "np.deg2rad": (repr(math.pi / 180),),
    "np.radians": (repr(math.pi / 180),),
    "np.rad2deg": (repr(180 / math.pi),),
    "np.degrees": (repr(180 / math.pi),),
    "np.sinc": ("dsinc(x)",),
    "dsinc": ("d2sinc(x)",),
    "d2sinc": ("sinc_derivative(3, x)",),
    "sinc_derivative": (None, "sinc_derivative(n + 1, x)"),
    "np.logaddexp2": ("sigmoid(gap(x, y) * 0.6931471805599453)",
                      "sigmoid(gap(y, x) * 0.6931471805599453)"),
})
# np.fmax and np.fmin ignore a NaN: the other operand gets the derivative there; np.nan_to_num's
# replaced values are constants. Selected (np.where), not masked: 0 * a NaN tangent is NaN.
_SELECTED = {
    "np.fmax": ("np.logical_or(x > y, np.isnan(y))", "np.logical_or(y > x, np.isnan(x))"),
    "np.fmin": ("np.logical_or(x < y, np.isnan(y))", "np.logical_or(y < x, np.isnan(x))"),
    "np.nan_to_num": ("np.isfinite(x)",)}
# (a tie of np.fmax and np.fmin is split evenly, as np.maximum's is)
_HALF_AT_TIES = "np.where(x == y, 0.5 * {s}, 0.0)"
for _k, _ms in _SELECTED.items():
    _other = _HALF_AT_TIES if _k != "np.nan_to_num" else "0.0"
    VJP[_k] = tuple(f"np.where({m}, g, {_other.format(s='g')})" for m in _ms)
    JVP[_k] = tuple(f"np.where({m}, t, {_other.format(s='t')})" for m in _ms)

# --- breadth: rearrangements, linear in x: each reverse rule undoes the rearrangement ------------
LINEAR |= {
    "np.roll", "np.diag", "np.diagonal", "np.triu", "np.tril", "np.flipud", "np.fliplr",
    "np.rot90", "np.rollaxis", "np.atleast_1d", "np.atleast_2d", "np.atleast_3d", "np.take",
    "np.take_along_axis", "np.diff", "np.average", "np.array_split", "np.hsplit", "np.vsplit",
    "np.dsplit", "stack_list", "array_list", "concatenate_list", "hstack_list", "vstack_list",
    "column_stack_list", "dstack_list",
    # helpers of derivative code
    "unroll", "diag_grad", "diagonal_grad", "unrollaxis", "untranspose", "unpad",
    "column_stack_part", "dstack_part", "take_grad", "take_along_axis_grad", "diff_grad",
    "average_grad", "stack_grad", "restack", "concatenate_grad", "hstack_grad", "vstack_grad",
    "select_grad", "column_stack_grad", "dstack_grad",
}


def _cumprod_rule(op, i, d, jvp):
    """The rules of cumprod_jvp(x, axis, *vs) and cumprod_vjp(v, x, axis, *ts): multilinear in
    v and the directions, each call the other's transpose in a direction; in x, `d` is one more
    direction. `d` is g (reverse: a direction's adjoint, fitted to it) or t (forward)."""
    fixed = 2 if jvp else 3
    ds = [f"xs[{k}]" for k in range(len(op.args) - fixed)]
    x_at = 0 if jvp else 1
    if i == x_at + 1:
        return None
    if i == x_at:
        return (f"cumprod_vjp(g, x, axis, {', '.join(ds)})" if jvp and d == "g" else
                f"cumprod_jvp(x, axis, {', '.join(ds + [d])})" if jvp else
                f"cumprod_vjp(v, x, axis, {', '.join(ds + [d])})")
    if d == "t":  # a direction (or v) replaced by its tangent
        if not jvp and i == 0:
            return f"cumprod_vjp(t, x, axis{''.join(', ' + e for e in ds)})"
        ds[i - fixed] = "t"
        return (f"cumprod_jvp(x, axis, {', '.join(ds)})" if jvp else
                f"cumprod_vjp(v, x, axis, {', '.join(ds)})")
    if not jvp and i == 0:  # v's adjoint: the jvp along g and the ts
        return f"unbroadcast(cumprod_jvp(x, axis, {', '.join(['g'] + ds)}), v)"
    del ds[i - fixed]
    call = (f"cumprod_vjp(g, x, axis{''.join(', ' + e for e in ds)})" if jvp else
            f"cumprod_vjp(v, x, axis, {', '.join(ds + ['g'])})")
    return f"unbroadcast({call}, xs[{i - fixed}])"


def _pad_rule(template):
    """np.pad is linear in x where the padding is 0 or copies of x's entries."""
    def rule(op, i):
        from .errors import NoDerivativeError
        mode = dict(op.kwargs).get("mode")
        mode = "constant" if mode is None else _constant(mode, op, "mode")
        if mode not in ("constant", "edge", "reflect", "symmetric", "wrap"):
            raise NoDerivativeError(f"np.pad with mode={mode!r} has no derivative rule; use mode "
                                    "'constant', 'edge', 'reflect', 'symmetric' or 'wrap', or "
                                    "pad with the statistic: np.concatenate((np.full(k, "
                                    "np.mean(x)), x, np.full(k, np.mean(x))))")
        return template if i == 0 else None
    return rule


def _astype_rule(template):
    """A cast to a floating or complex dtype passes derivatives on; to an integer or boolean
    dtype it is piecewise constant (like int()): no rule, which templates.casts_to_integers
    reads as zero. A dtype known only at run time is refused by _constant."""
    def rule(op, i):
        import numpy as np
        if i != 0:
            return None
        dtype = _constant(op.args[1], op, "dtype")
        return template if np.dtype(dtype).kind in "fc" else None
    return rule


def _float_cast(entry):
    """The rule `entry` (templates or a function) of a call that may cast to `dtype=`: to a
    floating or complex dtype derivatives pass on; to an integer or boolean dtype there is no
    rule and the derivative is zero (templates.casts_to_integers, as for x.astype(int) and
    int(x)); to one known only at run time there is no rule either, so a differentiated operand
    is refused rather than its derivative silently passed through a rounding."""
    def rule(op, i):
        import numpy as np
        dtype = dict(op.kwargs).get("dtype")
        if dtype is not None and (type(dtype).__name__ != "Const" or dtype.value is not None
                                  and np.dtype(dtype.value).kind not in "fc"):
            return None
        return entry(op, i) if callable(entry) else entry[i] if i < len(entry) else None
    return rule


# np.ptp: the gradient goes to the maximum and, negated, to the minimum (split among ties)
_PTP_WEIGHTS = "(max_weights(x, np.max(x, axis=axis, keepdims=True), axis, True) - " \
    "max_weights(x, np.min(x, axis=axis, keepdims=True), axis, True))"
DERIVATIVES["np.float_power"] = lambda op, i: _pow_partial(op, i)
LINEAR.add("np.diagflat")
LINEAR |= {"padding", "padding_grad"}

VJP.update({
    "np.roll": ("unroll(g, shift, axis)", None),
    "np.diag": ("diag_grad(g, x, k)",),
    "np.diagonal": ("diagonal_grad(g, x, offset, axis1, axis2)",),
    "np.triu": ("np.triu(g, k=k)",),
    "np.tril": ("np.tril(g, k=k)",),
    "np.flipud": ("np.flipud(g)",),
    "np.fliplr": ("np.fliplr(g)",),
    "np.rot90": ("np.rot90(g, -k, axes=axes)",),
    "np.rollaxis": ("unrollaxis(g, axis, start)", None),
    "np.atleast_1d": ("np.reshape(g, np.shape(x))",),
    "np.atleast_2d": ("np.reshape(g, np.shape(x))",),
    "np.atleast_3d": ("np.reshape(g, np.shape(x))",),
    "np.pad": _pad_rule("unpad(g, x, pad_width, mode)"),
    "padding": ("padding_grad(g, v, x, pad_width)", None, None),  # np.pad's constant_values
    "padding_grad": ("padding(g, x, pad_width)", None, None, None),
    "np.append": ("concatenate_part(g, 0, x, y, axis=axis)",
                  "concatenate_part(g, 1, x, y, axis=axis)"),
    "np.kron": ("kron_grad_left(g, x, y)", "kron_grad_right(g, x, y)"),
    "np.array_split": ("concatenate_list(g, axis=axis)", None),
    "np.hsplit": ("hstack_list(g)", None),
    "np.vsplit": ("vstack_list(g)", None),
    "np.dsplit": ("concatenate_list(g, axis=2)", None),
    "np.column_stack": _part("column_stack_part"),
    "np.dstack": _part("dstack_part"),
    "np.take": ("take_grad(g, x, indices, axis)", None),
    "np.take_along_axis": ("take_along_axis_grad(g, x, indices, axis)", None, None),
    "np.diff": ("diff_grad(g, n, axis)",),
    "np.cumprod": ("cumprod_vjp(g, x, axis)",),  # (exact at zeros: runtime_arrays)
    "cumprod_jvp": lambda op, i: _cumprod_rule(op, i, "g", True),
    "cumprod_vjp": lambda op, i: _cumprod_rule(op, i, "g", False),
    "np.average": ("average_grad(g, x, axis, weights, keepdims)",),
    # sorting routes each gradient back to where its entry came from (ties: argsort's order)
    "np.sort": ("take_along_axis_grad(g, x, np.argsort(x, axis=axis), axis)",),
    "np.partition": ("take_along_axis_grad(g, x, np.argpartition(x, kth, axis=axis), axis)", None),
    "np.cross": ("unbroadcast(from3(np.cross(as3(y), lift3(g, x, y)), x), x)",  # (2-vectors:
                 "unbroadcast(from3(np.cross(lift3(g, x, y), as3(x)), y), y)"),  # as3, lift3)
    "np.vdot": ("np.reshape(conj(g * y), np.shape(x))", "np.reshape(g * conj(x), np.shape(y))"),
    "np.ptp": (f"unreduce(g, x, axis, keepdims) * {_PTP_WEIGHTS}",),
    "np.diagflat": ("np.reshape(np.diagonal(g, offset=k), np.shape(x))",),
    "np.select": (None, "select_grad(g, condlist, choicelist)[0]",
                  "unbroadcast(select_grad(g, condlist, choicelist)[1], default)"),
    "astype": _astype_rule("astype_like(g, x)"),
    "stack_list": ("stack_grad(g, xs, axis)",),
    # np.array(rows): rows stacked, or a copy
    "array_list": _float_cast(("stack_grad(g, xs, 0)",)),
    "concatenate_list": ("concatenate_grad(g, xs, axis)",),
    "hstack_list": ("hstack_grad(g, xs)",),
    "vstack_list": ("vstack_grad(g, xs)",),
    "column_stack_list": ("column_stack_grad(g, xs)",),
    "dstack_list": ("dstack_grad(g, xs)",),
    # helpers of derivative code, linear in v: their reverse rules are the forward operations
    "unroll": ("np.roll(g, shift, axis=axis)", None, None),
    "diag_grad": ("np.diag(g, k=k)", None, None),
    "diagonal_grad": ("np.diagonal(g, offset=offset, axis1=axis1, axis2=axis2)", None, None,
                      None, None),
    "unrollaxis": ("np.rollaxis(g, axis, start=start)", None, None),
    "untranspose": ("np.transpose(g, axes)", None),
    "unpad": ("np.pad(g, pad_width, mode=mode)", None, None, None),
    "kron_grad_left": ("np.kron(g, y)", None, "kron_grad_right(v, g, y)"),
    "kron_grad_right": ("np.kron(x, g)", "kron_grad_left(v, x, g)", None),
    "column_stack_part": _part_vjp,
    "dstack_part": _part_vjp,
    "take_grad": ("np.take(g, indices, axis=axis)", None, None, None),
    "take_along_axis_grad": ("np.take_along_axis(g, indices, axis)", None, None, None),
    "diff_grad": ("np.diff(g, n=n, axis=axis)", None, None),
    "average_grad": ("np.average(g, axis=axis, weights=weights, keepdims=keepdims)",
                     None, None, None, None),
    "stack_grad": ("restack(g, xs, axis)", None, None),
    "restack": ("stack_grad(g, xs, axis)", None, None),
    "select_grad": ("np.select(condlist, g[0], g[1])", None, None),
    "concatenate_grad": ("concatenate_list(g, axis=axis)", None, None),
    "hstack_grad": ("hstack_list(g)", None),
    "vstack_grad": ("vstack_list(g)", None),
    "column_stack_grad": ("column_stack_list(g)", None),
    "dstack_grad": ("dstack_list(g)", None),
})

JVP.update({
    "np.pad": _pad_rule("np.pad(t, pad_width, mode=mode)"),
    "np.append": ("np.append(t, zeros_like(y), axis=axis)",
                  "np.append(zeros_like(x), t, axis=axis)"),
    "np.kron": ("np.kron(t, y)", "np.kron(x, t)"),
    "np.column_stack": _seq_jvp,
    "np.dstack": _seq_jvp,
    "np.cumprod": ("cumprod_jvp(x, axis, t)",),
    "cumprod_jvp": lambda op, i: _cumprod_rule(op, i, "t", True),
    "cumprod_vjp": lambda op, i: _cumprod_rule(op, i, "t", False),
    "np.sort": ("np.take_along_axis(t, np.argsort(x, axis=axis), axis)",),
    "np.partition": ("np.take_along_axis(t, np.argpartition(x, kth, axis=axis), axis)", None),
    "np.cross": ("np.cross(t, y)", "np.cross(x, t)"),
    "np.vdot": ("np.vdot(t, y)", "np.vdot(x, t)"),
    "np.ptp": (f"np.sum(t * {_PTP_WEIGHTS}, axis=axis, keepdims=keepdims)",),
    "np.select": (None, "np.select(condlist, t, 0.0)", "select_grad(t, condlist, choicelist)[1]"),
    "astype": _astype_rule("astype(t, dtype)"),
    "kron_grad_left": ("kron_grad_left(t, x, y)", None, "kron_grad_left(v, x, t)"),
    "kron_grad_right": ("kron_grad_right(t, x, y)", "kron_grad_right(v, t, y)", None),
})


# np.array((a, b), dtype=int) rounds: derivative zero in a and b, as x.astype(int)'s
VJP["np.array"], JVP["np.array"] = _float_cast(_stack_vjp), _float_cast(_seq_jvp)
