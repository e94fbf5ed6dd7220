"""Derivative rules of NumPy's construction and shape functions: np.meshgrid, np.broadcast_arrays,
np.block, np.unstack, np.matrix_transpose; np.insert, np.delete, np.compress, np.extract,
np.choose, np.resize, np.trim_zeros, np.ediff1d; np.vander, np.geomspace, np.logspace, np.tri;
the polynomial arithmetic np.polyadd, np.polysub, np.polymul, np.polyder, np.polyint; np.unwrap.
Registered into the tables of rules.py (same template language) when the package is imported;
their helpers are in runtime_arrays.py.

Most are rearrangements, linear in their values: the tangent is the function of the tangent, and
the gradient goes back where each entry came from. Where an entry's origin is easiest said by
NumPy itself, the rule applies the function to positions(x), each entry's flat place in x
(`np.delete(positions(x), obj, axis=axis)`), and scatter_to adds g into those places.
"""
from __future__ import annotations

import math

import numpy as np

from . import runtime_arrays
from .primitives import LIST_PRIMS, NAMESPACE, OPTIONAL, add
from .rules import JVP, LINEAR, VJP, _constant

# --- helpers: where entries come from -------------------------------------------------------------
add("positions", runtime_arrays.positions, ("x",), "nondiff", zero="*")
add("nowhere", runtime_arrays.nowhere, ("x",), "nondiff", zero="*")
add("mesh_shape", runtime_arrays.mesh_shape, ("i", "n", "indexing"), "nondiff", zero="*")
add("trim_positions", runtime_arrays.trim_positions, ("x", "trim", "axis"), "nondiff", zero="*")
add("gather_at", runtime_arrays.gather_at, ("v", "source"), "exact", zero=("source",))
add("scatter_to", runtime_arrays.scatter_to, ("v", "source", "x"), "exact", zero=("source", "x"))
LINEAR |= {"gather_at", "scatter_to"}
VJP["gather_at"] = ("scatter_to(g, source, v)", None)
VJP["scatter_to"] = ("gather_at(g, source)", None, None)


def _slots(op, i, t, call):
    """`call` of the operands with `t` in slot i and zeros elsewhere (a linear function of
    several arrays, such as np.meshgrid): its tangent in operand i."""
    args = ", ".join(t if k == i else f"zeros_like(xs[{k}])" for k in range(len(op.args)))
    return f"{call}({args}{''.join(f', {k}={k}' for k, _ in op.kwargs if k != 'copy')})"


# --- several arrays out: unpacked by the caller (X, Y = np.meshgrid(x, y)) ------------------------
add("np.meshgrid", np.meshgrid, ("*xs",), "exact", indexing="xy", sparse=False, copy=True)
add("np.broadcast_arrays", np.broadcast_arrays, ("*xs",), "exact")
LIST_PRIMS |= {"np.meshgrid", "np.broadcast_arrays"}
VJP["np.meshgrid"] = lambda op, i: f"np.reshape(unbroadcast(g[{i}], np.reshape(xs[{i}], " \
    f"mesh_shape({i}, {len(op.args)}, indexing))), np.shape(xs[{i}]))"
JVP["np.meshgrid"] = lambda op, i: _slots(op, i, "t", "np.meshgrid")
VJP["np.broadcast_arrays"] = lambda op, i: f"unbroadcast(g[{i}], xs[{i}])"
JVP["np.broadcast_arrays"] = lambda op, i: _slots(op, i, "t", "np.broadcast_arrays")
if hasattr(np, "unstack"):  # (NumPy 2.1)
    add("np.unstack", np.unstack, ("x",), "exact", axis=0)
    LIST_PRIMS.add("np.unstack")
    LINEAR.add("np.unstack")
    VJP["np.unstack"] = ("stack_list(g, axis=axis)",)
if hasattr(np, "matrix_transpose"):  # (NumPy 2.0)
    add("np.matrix_transpose", np.matrix_transpose, ("x",), "exact")
    LINEAR.add("np.matrix_transpose")
    VJP["np.matrix_transpose"] = ("np.matrix_transpose(g)",)

# np.block(arrays): linear in its one operand, a nested list; the gradient is a nested list.
# (block takes the tuples generated code writes for lists)
add("block", runtime_arrays.block, ("arrays",), "exact", objects=(np.block,))
add("block_grad", runtime_arrays.block_grad, ("v", "arrays"), "exact", zero=("arrays",))
LIST_PRIMS.add("block_grad")
LINEAR |= {"block", "block_grad"}
VJP["block"] = ("block_grad(g, arrays)",)
VJP["block_grad"] = ("block(g)", None)

# --- entries taken, left out, put in or repeated: the gradient goes where each came from ---------
add("np.delete", np.delete, ("arr", "obj"), "exact", axis=None, zero=("obj",))
add("np.insert", np.insert, ("arr", "obj", "values"), "exact", axis=None, zero=("obj",))
add("np.compress", np.compress, ("condition", "a"), "exact", axis=None)
add("np.extract", np.extract, ("condition", "arr"), "exact")
add("np.resize", np.resize, ("a", "new_shape"), "exact", zero=("new_shape",))
add("np.trim_zeros", np.trim_zeros, ("filt",), "exact", trim="fb", axis=None)
add("np.choose", np.choose, ("a", "choices"), "exact", mode="raise")
add("choose_grad", runtime_arrays.choose_grad, ("v", "a", "choices", "mode"), "exact",
    zero=("a", "choices"))
LIST_PRIMS.add("choose_grad")
LINEAR |= {"np.delete", "np.resize", "choose_grad"}
VJP.update({
    "np.delete": ("scatter_to(g, np.delete(positions(arr), obj, axis=axis), arr)", None),
    "np.insert": ("scatter_to(g, np.insert(positions(arr), obj, nowhere(values), axis=axis), arr)",
                  None, "scatter_to(held_in(g, ans), np.insert(nowhere(arr), obj, "
                  "positions(values), axis=axis), values)"),
    "np.compress": (None, "scatter_to(g, np.compress(condition, positions(a), axis=axis), a)"),
    "np.extract": (None, "scatter_to(g, np.extract(condition, positions(arr)), arr)"),
    "np.resize": ("scatter_to(g, np.resize(positions(a), new_shape), a)", None),
    "np.trim_zeros": ("scatter_to(g, trim_positions(filt, trim, axis), filt)",),
    "np.choose": (None, "choose_grad(g, a, choices, mode)"),
    "choose_grad": ("np.choose(a, g, mode=mode)", None, None, None),
})
JVP.update({
    "np.insert": ("np.insert(t, obj, zeros_like(values), axis=axis)", None,
                  "held_in(np.insert(zeros_like(arr), obj, t, axis=axis), ans)"),
    "np.compress": (None, "np.compress(condition, t, axis=axis)"),
    "np.extract": (None, "np.extract(condition, t)"),
    "np.trim_zeros": ("gather_at(t, trim_positions(filt, trim, axis))",),
    "np.choose": (None, "np.choose(a, t, mode=mode)"),
})

# np.ediff1d(ary, to_end, to_begin): the differences of ary's entries between to_begin and
# to_end, linear in all three (either may be left out, or named: np.ediff1d(x, to_begin=v)).
add("np.ediff1d", np.ediff1d, ("ary", "to_end", "to_begin"), "exact")
OPTIONAL["np.ediff1d"] = {"to_end": None, "to_begin": None}
add("ediff1d_part", runtime_arrays.ediff1d_part, ("v", "k", "ary", "to_end", "to_begin"), "exact",
    zero=("k", "ary", "to_end", "to_begin"))
LINEAR.add("ediff1d_part")
_EDIFF1D = ("ary", "to_end", "to_begin")


def _ediff1d_with(op, k, t, given):
    """np.ediff1d with `t` as operand k and zeros as the others that are `given`."""
    parts = [t if j == k else f"zeros_like({_EDIFF1D[j]})" if given[j] else "None"
             for j in range(3)]
    return f"np.ediff1d({parts[0]}, to_end={parts[1]}, to_begin={parts[2]})"


def _given(args):
    return [j < len(args) and not (type(args[j]).__name__ == "Const" and args[j].value is None)
            for j in range(3)]


VJP["np.ediff1d"] = lambda op, i: f"ediff1d_part(g, {i}, ary, " + ", ".join(
    _EDIFF1D[j] if _given(op.args)[j] else "None" for j in (1, 2)) + ")"
JVP["np.ediff1d"] = lambda op, i: _ediff1d_with(op, i, "t", _given(op.args))
VJP["ediff1d_part"] = lambda op, i: None if i else _ediff1d_with(
    op, op.args[1].value, "g", _given(op.args[2:]))

# --- made from values: powers, ranges -------------------------------------------------------------
# np.vander(x, N, increasing): columns x ** p, whose slopes p * x ** (p - 1) are the columns of
# a narrower np.vander, scaled, with a column of zeros for p == 0.
add("np.vander", np.vander, ("x",), "exact", N=None, increasing=False)


def _vander_rule(template):
    def rule(op, i):
        options = dict(op.kwargs)
        n = "np.shape(x)[0]" if options.get("N", None) is None or \
            type(options["N"]).__name__ == "Const" and options["N"].value is None else "N"
        up = "increasing" in options and _constant(options["increasing"], op, "increasing")
        scale = f"np.arange(1, {n})" if up else f"np.arange({n} - 1, 0, -1)"
        slopes = f"np.pad(np.vander(x, {n} - 1, increasing={up}) * {scale}, " \
            f"((0, 0), ({int(up)}, {1 - int(up)})))"
        return template.format(slopes=slopes)
    return rule


VJP["np.vander"] = _vander_rule("np.sum(g * {slopes}, axis=-1)")
JVP["np.vander"] = _vander_rule("np.expand_dims(t, -1) * {slopes}")
# np.geomspace(start, stop) = start * (stop / start) ** w and np.logspace(start, stop) =
# base ** np.linspace(start, stop), w = np.linspace(0, 1): each end's tangent spreads like
# np.linspace's, scaled by the value (over that end for geomspace, by log(base) for logspace).
add("np.geomspace", np.geomspace, ("start", "stop"), "exact", num=50, endpoint=True)
add("np.logspace", np.logspace, ("start", "stop"), "exact", num=50, endpoint=True, base=10.0)
_SHARE = "np.linspace({a}np.ones_like(g[0]), {b}np.ones_like(g[0]), num=num, endpoint=endpoint)"
_START, _STOP = _SHARE.format(a="", b="0 * "), _SHARE.format(a="0 * ", b="")
VJP["np.geomspace"] = (f"unbroadcast(np.sum(g * ans * {_START}, axis=0) / start, start)",
                       f"unbroadcast(np.sum(g * ans * {_STOP}, axis=0) / stop, stop)")
JVP["np.geomspace"] = ("np.linspace(t, zeros_like(stop), num=num, endpoint=endpoint) * ans / start",
                       "np.linspace(zeros_like(start), t, num=num, endpoint=endpoint) * ans / stop")
VJP["np.logspace"] = (f"unbroadcast(np.sum(g * ans * {_START}, axis=0) * np.log(base), start)",
                      f"unbroadcast(np.sum(g * ans * {_STOP}, axis=0) * np.log(base), stop)")
JVP["np.logspace"] = ("np.linspace(t, zeros_like(stop), num=num, endpoint=endpoint) * ans * "
                      "np.log(base)",
                      "np.linspace(zeros_like(start), t, num=num, endpoint=endpoint) * ans * "
                      "np.log(base)")
add("np.tri", np.tri, ("N",), "nondiff", M=None, k=0, dtype=float, zero="*")

# --- polynomials as coefficient arrays, highest power first ---------------------------------------
# np.polyadd pads the shorter one with leading zeros; np.polymul is np.convolve of its operands
# without their leading zeros, so its result's tail (poly_tail), and poly_full pads g back.
for _name in ("polyadd", "polysub", "polymul"):
    add(f"np.{_name}", getattr(np, _name), ("a1", "a2"), "exact")
add("poly_tail", runtime_arrays.poly_tail, ("v", "a"), "exact", zero=("a",))
LINEAR.add("poly_tail")
VJP["poly_tail"] = ("np.polyadd(g, zeros_like(v))", None)
add("poly_full", runtime_arrays.poly_full, ("v", "a1", "a2"), "exact", zero=("a1", "a2"))
LINEAR.add("poly_full")
VJP["poly_full"] = ("poly_tail(g, v)", None, None)
VJP.update({
    "np.polyadd": ("poly_tail(g, a1)", "poly_tail(g, a2)"),
    "np.polysub": ("poly_tail(g, a1)", "-poly_tail(g, a2)"),
    "np.polymul": ("convolve_grad_left(poly_full(g, a1, a2), a1, a2, 'full')",
                   "convolve_grad_right(poly_full(g, a1, a2), a1, a2, 'full')"),
})
JVP.update({
    "np.polyadd": ("np.polyadd(t, zeros_like(a2))", "np.polyadd(zeros_like(a1), t)"),
    "np.polysub": ("np.polysub(t, zeros_like(a2))", "np.polysub(zeros_like(a1), t)"),
    "np.polymul": ("poly_tail(np.convolve(t, a2), ans)", "poly_tail(np.convolve(a1, t), ans)"),
})
# np.polyder(p, m) and np.polyint(p, m, k): linear in p (and k); their adjoints are each other's.
add("np.polyder", np.polyder, ("p",), "exact", m=1)
add("polyder_grad", runtime_arrays.polyder_grad, ("v", "p", "m"), "exact", zero=("p",))
LINEAR |= {"np.polyder", "polyder_grad"}
VJP["np.polyder"] = ("polyder_grad(g, p, m)",)
VJP["polyder_grad"] = ("np.polyder(g, m)", None, None)
add("np.polyint", np.polyint, ("p", "m", "k"), "exact", zero=("m",))
OPTIONAL["np.polyint"] = {"m": 1, "k": None}
add("polyint_grad", runtime_arrays.polyint_grad, ("v", "m"), "exact")
add("polyint_constants", runtime_arrays.polyint_constants, ("v", "m"), "exact")
add("polyint_of_constants", runtime_arrays.polyint_of_constants, ("v", "x", "m"), "exact",
    zero=("x",))
LINEAR |= {"polyint_grad", "polyint_constants", "polyint_of_constants"}


def _polyint_m(op):
    return "m" if len(op.args) > 1 else "1"


VJP["np.polyint"] = lambda op, i: (f"polyint_grad(g, {_polyint_m(op)})", None,
                                   "unbroadcast(polyint_constants(g, m), k)")[i]
JVP["np.polyint"] = lambda op, i: (
    f"np.polyint(t, {_polyint_m(op)}" + (", zeros_like(k))" if _given(op.args)[2] else ")"),
    None, "np.polyint(zeros_like(p), m, t)")[i]
VJP["polyint_grad"] = ("np.polyint(g, m)", None)
VJP["polyint_constants"] = ("polyint_of_constants(g, v, m)", None)
VJP["polyint_of_constants"] = ("polyint_constants(g, m)", None, None)

# np.unwrap adds multiples of the period where a step jumps by more than discont: piecewise
# constant corrections, so its derivative is the identity wherever it has one.
add("np.unwrap", np.unwrap, ("p",), "exact", discont=None, axis=-1, period=2 * math.pi)
VJP["np.unwrap"] = ("g",)
JVP["np.unwrap"] = ("t",)

for _name in ("block", "positions", "nowhere", "mesh_shape", "trim_positions", "gather_at",
              "scatter_to", "block_grad", "choose_grad", "ediff1d_part", "poly_tail", "poly_full",
              "polyder_grad", "polyint_grad", "polyint_constants", "polyint_of_constants"):
    NAMESPACE[_name] = getattr(runtime_arrays, _name)

# --- forms lowered as other calls (lower/forms.py): x.item(), np.diff's ends, the in-place
# library calls np.add.at and np.fill_diagonal (as `a[...] = add_at(a, index, b)`) --------------
add("item", runtime_arrays.item, ("x",), "exact", barrier=True)  # an array in, a float out
add("along", runtime_arrays.along, ("v", "x", "axis"), "exact", zero=("x", "axis"))
add("add_at", runtime_arrays.add_at, ("a", "index", "b"), "exact", zero=("index",))
add("filled_diagonal", runtime_arrays.filled_diagonal, ("a", "val", "wrap"), "exact",
    zero=("wrap",))
add("diagonal_sum", runtime_arrays.diagonal_sum, ("v", "val", "wrap"), "exact",
    zero=("val", "wrap"))
LINEAR |= {"item", "along", "diagonal_sum"}
VJP.update({
    "item": ("np.reshape(g, np.shape(x))",),
    "along": ("unbroadcast(g, v)", None, None),
    "add_at": ("g", None, "unbroadcast(g[index], b)"),
    "filled_diagonal": ("filled_diagonal(g, 0.0, wrap)", "diagonal_sum(g, val, wrap)", None),
    "diagonal_sum": ("filled_diagonal(zeros_like(v), g, wrap)", None, None),
})
JVP.update({
    "add_at": ("t", None, "add_at(zeros_like(a), index, t)"),
    "filled_diagonal": ("filled_diagonal(t, 0.0, wrap)",
                        "filled_diagonal(zeros_like(a), t, wrap)", None),
})
for _name in ("item", "along", "add_at", "filled_diagonal", "diagonal_sum"):
    NAMESPACE[_name] = getattr(runtime_arrays, _name)

# the gradient of x.astype(dtype), cast back to x's dtype: linear, its own rules again
add("astype_like", runtime_arrays.astype_like, ("v", "like"), "exact", zero=("like",))
LINEAR.add("astype_like")
VJP["astype_like"] = ("astype_like(g, v)", None)
NAMESPACE["astype_like"] = runtime_arrays.astype_like
