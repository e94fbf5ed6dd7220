"""Forms: library calls lowered as calls that have rules. Keyword variants (Fortran order, np.diff's
prepend= and append=, a reduction's where= and initial=, `.item(i)`) become the calls NumPy
defines them by; a library call that changes an array in place (np.add.at, np.subtract.at,
np.copyto, np.fill_diagonal, np.put, np.put_along_axis, `.sort()`, `.fill(v)`) becomes the
assignment `a[...] = new value`,
which is checked and followed like any item assignment (statements.py). NumPy 2's keywords
(np.var's correction=, mean=, where=), np.cov(x, y) and SciPy's logsumexp(x, b=w) are lowered as
the steps NumPy and SciPy take."""
from __future__ import annotations

import warnings

import gast
import numpy as np

from .. import numerics
from ..ir import Assign, Const, Op, Var
from ..primitives import POSITIONAL, PRIMS
from ..sugar import _static_object
from .scan import Record

ORDERED = {"np.reshape": 2, "np.ravel": 1, "flatten": 1}  # -> the position of order=
REDUCTIONS = {"np.sum": ("add", 0.0), "np.prod": ("mul", 1.0), "np.mean": (None, 0.0),
              "np.max": ("np.maximum", None), "np.min": ("np.minimum", None)}  # (None: initial)
WITH_INITIAL = {"np.max": "max_initial", "np.min": "min_initial"}
PADDED = {"np.diff": ("prepend", "append")}
IN_PLACE_METHODS = ("sort", "fill")
CROSS_AXES = ("axisa", "axisb", "axisc", "axis")
PUTS = (np.put, np.putmask, np.place, np.put_along_axis)
# keyword variants lowered here: NumPy 2's names and options (all in NumPy 2.0)
KEYWORD_FORMS = {"logsumexp": ("b", "return_sign"), "np.var": ("correction", "mean", "where"),
                 "np.std": ("correction", "mean", "where"), "np.cov": ("y",),
                 "np.corrcoef": ("y",), "np.average": ("weights", "returned"),
                 "np.interp": ("period",), "np.angle": ("deg",), "np.quantile": ("weights",),
                 "np.percentile": ("weights",),
                 "np.pad": ("reflect_type", "end_values", "stat_length", "constant_values")}
PAD_INSTEAD = {  # np.pad's keywords without a rule, and what to write
    "reflect_type": "for reflect_type='odd' write 2 * np.pad(x, w, mode='edge') - np.pad(x, w, "
                    "mode='reflect') (or mode='symmetric'), NumPy's odd reflection while each "
                    "pad is shorter than x",
    "end_values": "build the ramps with np.linspace(end, x[0], k, endpoint=False) and "
                  "np.concatenate",
    "stat_length": "pad with the statistic of the slice: np.concatenate((np.full(k, "
                   "np.mean(x[:n])), x, ...))"}
GIVEN_AT = {"np.cov": 1, "np.corrcoef": 1, "np.average": 2, "np.angle": 1}  # -> a form's operand by position


# reductions and scans that compute in a dtype= given: those of the operand cast to it first
CAST_FIRST = frozenset({"np.sum", "np.prod", "np.mean", "np.cumsum", "np.cumprod", "np.trace",
                        "np.nansum", "np.nanmean", "np.var", "np.std"})


def _keyword_names(name):
    if name in ORDERED:
        return ("order",)
    if name == "np.take":
        return ("mode",)
    if name == "np.linalg.cholesky":
        return ("upper",)
    if name == "np.cross":
        return CROSS_AXES
    words = (("dtype",) if name in CAST_FIRST else ()) + KEYWORD_FORMS.get(name, ())
    if name in REDUCTIONS:
        return words + ("where", "initial")
    return words + PADDED.get(name, ())


def _ufunc_at(obj):
    """np.add.at, np.subtract.at: the ufunc's name ('add'); None for anything else."""
    ufunc = getattr(obj, "__self__", None)
    return ufunc.__name__ if isinstance(ufunc, np.ufunc) and \
        getattr(obj, "__name__", None) == "at" else None


class Forms:
    def form_words(self, name):
        """The keywords that make a call of `name` a form."""
        return _keyword_names(name)

    def is_form(self, name, node, args):
        """Whether `name(*args, **node.keywords)` is a variant lowered here."""
        words = _keyword_names(name)
        return any(k.arg in words for k in node.keywords) or \
            name in ORDERED and len(args) > ORDERED[name] or name in GIVEN_AT and \
            len(args) > GIVEN_AT[name] and not (type(args[GIVEN_AT[name]]) is Const and
                                                args[GIVEN_AT[name]].value is None) or \
            name == "np.cross" and len(args) > 2 or name == "logsumexp" and len(args) > 2 and \
            _static_object(node.func, self.parsed.scope) is not numerics.logsumexp  # (SciPy's b)

    def form(self, name, node, args, env, target):
        keywords = {k.arg: k.value for k in node.keywords}
        self.numpy_accepts(node, [k for k in keywords if k in KEYWORD_FORMS.get(name, ())])
        rest = gast.copy_location(gast.Call(func=node.func, args=node.args, keywords=[
            k for k in node.keywords if k.arg not in _keyword_names(name)]), node)
        if "dtype" in keywords and name in CAST_FIRST:  # np.sum(x, dtype=d): of x.astype(d)
            args = [self.emit("astype", (args[0], self.atom(keywords.pop("dtype"), env)))] + \
                list(args[1:])
            node = gast.copy_location(gast.Call(func=node.func, args=node.args, keywords=[
                k for k in node.keywords if k.arg != "dtype"]), node)
            if not self.is_form(name, node, args):
                return self.primitive(name, node, args, env, target)
        if name in ORDERED:
            order = args[ORDERED[name]] if len(args) > ORDERED[name] else \
                self.atom(keywords["order"], env)
            return self.ordered(name, node, rest, args[:ORDERED[name]], order, env, target)
        if name == "np.take":  # mode="wrap" or "clip": the indices it takes, then np.take
            axis = next((self.atom(k.value, env) for k in rest.keywords if k.arg == "axis"),
                        args[2] if len(args) > 2 else Const(None))
            indices = self.emit("take_indices", (args[1], args[0], axis,
                                                 self.atom(keywords["mode"], env)))
            return self.primitive(name, rest, [args[0], indices] + list(args[2:]), env, target)
        if name == "np.linalg.cholesky":  # upper=True: the conjugate transpose of L
            upper = self.atom(keywords["upper"], env)
            if type(upper) is not Const:
                raise self.unsupported(node, "np.linalg.cholesky with upper= computed at run "
                                       "time", "write upper=True or upper=False")
            lower = self.primitive(name, rest, list(args), env, None if upper.value else target)
            return self.emit("mT", (self.emit("conj", (lower,)),), target=target) \
                if upper.value else lower
        if name == "np.cross":
            return self.cross(rest, args, keywords, env, target)
        if name == "logsumexp":
            return self.weighted_logsumexp(node, rest, args, keywords, env, target)
        if name in ("np.var", "np.std"):
            return self.deviation(name, rest, args, keywords, env, target)
        if name == "np.average":
            return self.average(node, args, keywords, env, target)
        if name == "np.interp":
            return self.periodic(rest, args, keywords, env, target)
        if name == "np.angle":  # deg=True: the angle times 180 / pi
            deg = self.atom(keywords["deg"], env) if "deg" in keywords else args[1]
            if type(deg) is not Const:
                raise self.unsupported(rest, "np.angle with deg= computed at run time",
                                       "write deg=True or deg=False")
            angle = self.primitive(name, rest, list(args[:1]), env, None if deg.value else target)
            return self.emit("mul", (angle, Const(180 / np.pi)), target=target) \
                if deg.value else angle
        if name == "np.pad" and not any(k in PAD_INSTEAD for k in keywords):
            return self.pad_filled(node, rest, args, keywords, env, target)
        if name == "np.pad":
            word = next(k for k in keywords if k in PAD_INSTEAD)
            raise self.unsupported(rest, f"np.pad with {word}= (no derivative rule)",
                                   PAD_INSTEAD[word])
        if name in ("np.quantile", "np.percentile") and "weights" in keywords:
            q = "q" if name == "np.quantile" else "q / 100"
            raise self.unsupported(rest, f"{name} with weights= (method 'inverted_cdf': an entry "
                                   "picked by the weights, which have no derivative)", "write "
                                   "the pick: o = np.argsort(x); c = np.cumsum(w[o]); "
                                   f"x[o][np.searchsorted(c, {q} * c[-1])] (x 1-D)")
        if name in GIVEN_AT:  # np.cov(x, y): of the rows of x and y stacked, as NumPy does
            options = self.bound(name, rest, args, env)
            y = options.pop("y", None) or self.atom(keywords["y"], env)
            rowvar = options.pop("rowvar", Const(True))
            rows = self.emit("np.concatenate", tuple(self.emit("cov_rows", (v, rowvar))
                                                     for v in (args[0], y)), (("axis", Const(0)),))
            return self.emit(name, (rows,), tuple((k, options[k]) for k in PRIMS[name].options
                                                  if k in options), target=target)
        if name in PADDED:
            return self.padded(name, rest, args, keywords, env, target)
        return self.masked(name, rest, args, keywords, env, target)

    def ordered(self, name, node, rest, args, order, env, target):
        """In Fortran order: the reversed axes of the array, in C order, reversed back."""
        if type(order) is not Const or order.value not in ("C", "F"):
            raise self.unsupported(node, f"order={getattr(order, 'value', order)!r} of {name} "
                                   "(it depends on how the array lies in memory)",
                                   "write order='C' or order='F'")
        if order.value == "C":
            return self.primitive(name, rest, list(args), env, target)
        flipped = self.emit("np.transpose", (args[0],))
        if name != "np.reshape":
            return self.emit(name, (flipped,), target=target)
        shape = args[1]
        if type(shape) is Const and isinstance(shape.value, tuple):
            shape = Const(shape.value[::-1])
        elif type(shape) is tuple:
            shape = self.as_atom(shape[::-1])
        elif not (type(shape) is Const and isinstance(shape.value, int)):
            raise self.unsupported(node, f"{name} in Fortran order to a shape computed at run "
                                   "time", "write the shape out as a tuple")
        return self.emit("np.transpose", (self.emit("np.reshape", (flipped, shape)),),
                         target=target)

    def cross(self, rest, args, keywords, env, target):
        """np.cross(a, b, axisa=i, axisb=j, axisc=k): of the vectors moved to the last axes, its
        vectors moved to k (axis= sets all three). The axes may come by position."""
        if len(args) > 2 + len(CROSS_AXES):
            raise self.unsupported(rest, f"np.cross with {len(args)} positional arguments")
        given = dict(zip(CROSS_AXES, args[2:]))
        axes = {k: given[k] if k in given else self.atom(keywords.get(
            k, gast.Constant(value=-1, kind=None)), env) for k in CROSS_AXES}
        args, keywords = args[:2], {**keywords, **given}
        if any(type(a) is not Const for a in axes.values()):
            raise self.unsupported(rest, "np.cross with an axis computed at run time",
                                   "write the axes as numbers")
        if axes["axis"].value is not None and "axis" in keywords:
            axes = dict.fromkeys(CROSS_AXES, axes["axis"])
        a, b = (self.emit("np.moveaxis", (v, axes[k], Const(-1))) if axes[k].value != -1
                else v for v, k in zip(args, ("axisa", "axisb")))
        if axes["axisc"].value == -1:
            return self.primitive("np.cross", rest, [a, b], env, target)
        c = self.primitive("np.cross", rest, [a, b], env, None)
        return self.emit("cross_out", (c, a, b, axes["axisc"]), target=target)

    def weighted_logsumexp(self, node, rest, args, keywords, env, target):
        """scipy.special.logsumexp(x, b=w, return_sign=s): logsumexp_b(x, w) (w = 1 without b),
        and with return_sign=True the tuple of it (log |sum|) and the sum's sign."""
        func = self.expr(node.func, env)
        if getattr(func, "obj", None) is numerics.logsumexp:  # (adcompile's takes neither)
            word = next(k for k in keywords if k in KEYWORD_FORMS["logsumexp"])
            raise self.unsupported(node, f"the argument {word}= of adcompile.logsumexp",
                                   "call scipy.special.logsumexp")
        if len(args) > 2:  # SciPy's (a, axis, b, keepdims, return_sign) by position
            words = ("b", "keepdims", "return_sign")
            if len(args) > 5 or any(k in keywords for k in words[:len(args) - 2]):
                raise self.unsupported(node, "scipy.special.logsumexp with these arguments",
                                       "give b, keepdims and return_sign once each")
            keywords = {**keywords, **dict(zip(words, node.args[2:]))}
            rest = gast.copy_location(gast.Call(func=node.func, args=node.args[:2], keywords=[
                *rest.keywords, *(gast.keyword(arg="keepdims", value=v) for v in node.args[3:4])]),
                node)
            args = args[:2]
        signed = self.atom(keywords.get("return_sign", gast.Constant(False, None)), env)
        if type(signed) is not Const:
            raise self.unsupported(node, "return_sign= computed at run time",
                                   "write return_sign=True or return_sign=False")
        b = self.atom(keywords["b"], env) if "b" in keywords else Const(1.0)
        rest.keywords.append(gast.keyword(arg="signed", value=gast.Constant(
            bool(signed.value), None)))
        lse = self.primitive("logsumexp_b", rest, [args[0], b] + list(args[1:]), env,
                             None if signed.value else target)
        if not signed.value:
            return lse
        options = dict(next(s.value.kwargs for s in reversed(self.block) if s.target == lse.name))
        sign = self.emit("logsumexp_sign", (args[0], b, options.get("axis", Const(None)),
                                            options.get("keepdims", Const(False))))
        return lse, sign

    def numpy_accepts(self, node, words):
        """A keyword the function called lacks (this NumPy's, or an array method's: x.var takes
        no correction=) raises NumPy's own TypeError, at the user's line."""
        if not words:
            return
        obj = _static_object(node.func, self.parsed.scope)
        method = obj is None and isinstance(node.func, gast.Attribute)
        call = getattr(np.zeros(1), node.func.attr, None) if method else obj
        for word in words:
            try:
                with warnings.catch_warnings(), np.errstate(all="ignore"):
                    warnings.simplefilter("ignore")
                    call(**{word: None}) if method else call(np.zeros(1), **{word: None})
            except TypeError as e:
                if "keyword" in str(e):
                    filename, line = self.parsed.where(node)
                    raise TypeError(f"{filename}:{line}: {e}") from None
            except Exception:  # (None is no value the keyword takes: it is one)
                pass

    def bound(self, name, rest, args, env):
        """The options of `name(*args, **rest.keywords)` as given, by name (NumPy's order for
        those given by position)."""
        order = POSITIONAL.get(name) or tuple(PRIMS[name].options)
        given = dict(zip(order, args[len(PRIMS[name].params):]))
        given.update((k.arg, self.atom(k.value, env)) for k in rest.keywords)
        return given

    def deviation(self, name, rest, args, keywords, env, target):
        """np.var and np.std with NumPy 2's correction= (ddof's other name), mean= (the mean
        given, shaped as with keepdims=True) or where= (the entries counted): NumPy's steps, the
        sum of |x - mean| ** 2 over the count less ddof (np.std: its square root)."""
        options = self.bound(name, rest, args, env)
        if "correction" in keywords:
            if "ddof" in options:
                raise self.unsupported(rest, f"{name} with both ddof= and correction= (NumPy "
                                       "refuses them together)", "give one of them")
            options["ddof"] = self.atom(keywords["correction"], env)
        extra = sorted(set(options) - {"axis", "ddof", "keepdims"})
        if extra:
            raise self.unsupported(rest, f"the argument {extra[0]}= of {name} with "
                                   f"{', '.join(k + '=' for k in keywords)}", "leave it out")
        x, word = args[0], lambda k, v: options.get(k, Const(v))
        if "mean" not in keywords and "where" not in keywords:  # (correction= alone)
            return self.emit(name, (x,), tuple((k, options[k]) for k in PRIMS[name].options
                                               if k in options), target=target)
        axis, ddof, keepdims = word("axis", None), word("ddof", 0), word("keepdims", False)
        mask = self.atom(keywords["where"], env) if "where" in keywords else None
        count = None if mask is None else self.emit("add", (mask, self.emit("zeros_like", (x,))))
        if "mean" in keywords:
            mean = self.atom(keywords["mean"], env)
        elif mask is None:
            mean = self.emit("np.mean", (x,), (("axis", axis), ("keepdims", Const(True))))
        else:
            mean = self.emit("truediv", tuple(self.emit("np.sum", (v,), (
                ("axis", axis), ("keepdims", Const(True)))) for v in (
                    self.emit("np.where", (mask, x, Const(0.0))), count)))
        d = self.emit("sub", (x, mean))
        if mask is not None:
            d = self.emit("np.where", (mask, d, Const(0.0)))
        square = self.emit("real_part", (self.emit("mul", (d, self.emit("conj", (d,)))),))
        total = self.emit("np.sum", (square,), (("axis", axis), ("keepdims", keepdims)))
        n = self.emit("truediv", (self.emit("size_of", (x,)), self.emit("size_of", (total,)))) \
            if mask is None else self.emit("np.sum", (count,), (("axis", axis),
                                                                ("keepdims", keepdims)))
        n = self.emit("np.maximum", (self.emit("sub", (n, ddof)), Const(0)))
        if name == "np.var":
            return self.emit("truediv", (total, n), target=target)
        return self.emit("root_of_var", (self.emit("truediv", (total, n)),), target=target)

    def average(self, node, args, keywords, env, target):
        """np.average(x, axis, weights, returned): of weights computed at run time (perhaps
        differentiated), sum(x * W) / sum(W) with W the weights laid along x (average_weights);
        returned=True: the tuple of it and the sum of the weights (or the count) per average."""
        x = args[0]
        given = dict(zip(("axis", "weights", "returned"), args[1:]))
        given.update((k.arg, self.atom(k.value, env)) for k in node.keywords)
        extra = sorted(set(given) - {"axis", "weights", "returned", "keepdims"})
        if extra or len(args) > 4:
            raise self.unsupported(node, f"the argument {extra[0] if extra else 'keepdims'} of "
                                   "np.average" + ("=" if extra else " given by position"),
                                   "supported: axis, weights, returned, keepdims")
        returned, w = given.pop("returned", Const(False)), given.pop("weights", Const(None))
        if type(returned) is not Const:
            raise self.unsupported(node, "returned= computed at run time",
                                   "write returned=True or returned=False")
        reduce = (("axis", given.get("axis", Const(None))),
                  ("keepdims", given.get("keepdims", Const(False))))
        weights = None if type(w) is Const and w.value is None else \
            self.emit("average_weights", (w, x, reduce[0][1]))
        if weights is not None and type(w) is not Const:
            total = self.emit("np.sum", (weights,), reduce)
            self.block.append(Assign(None, Op("check_weights", (total,)), self.line))  # (NumPy's)
            average = self.emit("truediv", (self.emit("np.sum", (self.emit(
                "mul", (x, weights)),), reduce), total), target=None if returned.value else target)
        else:
            average = self.emit("np.average", (x,), (reduce[0], ("weights", w), reduce[1]),
                                target=None if returned.value else target)
            total = None if weights is None else self.emit("np.sum", (weights,), reduce)
        if not returned.value:
            return average
        if total is None:  # (the count, in the average's dtype and shape)
            total = self.emit("truediv", (self.emit("size_of", (x,)),
                                          self.emit("size_of", (average,))))
        return average, self.emit("add", (self.emit("zeros_like", (average,)), total))

    def periodic(self, rest, args, keywords, env, target):
        """np.interp(x, xp, fp, period=p) as NumPy computes it: x and xp modulo |p|, xp sorted
        (fp in its order), and one sample point wrapped around at each end."""
        period = self.atom(keywords["period"], env)
        if type(period) is Const and period.value is None:
            return self.primitive("np.interp", rest, list(args), env, target)
        if len(args) != 3:
            raise self.unsupported(rest, "np.interp with a period and left or right given "
                                   "(NumPy ignores them)", "leave them out")
        x, xp, fp = args
        p = self.emit("np.abs", (period,))
        xp = self.emit("mod", (xp, p))
        order = self.emit("np.argsort", (xp,))
        xp, fp = (self.emit("getitem", (v, order)) for v in (xp, fp))
        first, last = Const(slice(0, 1)), Const(slice(-1, None))
        xp = self.emit("np.concatenate", (self.emit("sub", (self.emit("getitem", (xp, last)), p)),
                                          xp, self.emit("add", (self.emit("getitem", (
                                              xp, first)), p))), (("axis", Const(0)),))
        fp = self.emit("np.concatenate", (self.emit("getitem", (fp, last)), fp,
                                          self.emit("getitem", (fp, first))),
                       (("axis", Const(0)),))
        return self.emit("np.interp", (self.emit("mod", (x, p)), xp, fp), target=target)

    def pad_filled(self, node, rest, args, keywords, env, target):
        """np.pad(x, w, constant_values=c), c computed at run time: np.pad(x, w) plus the
        padding filled with c (`padding`, linear in c), so c may be differentiated."""
        c = self.atom(keywords["constant_values"], env)
        mode = next((self.atom(k.value, env) for k in rest.keywords if k.arg == "mode"),
                    args[2] if len(args) > 2 else Const("constant"))
        if type(c) is Const or len(args) < 2:
            return self.primitive("np.pad", node, list(args), env, target)
        if not (type(mode) is Const and mode.value == "constant"):
            raise self.unsupported(node, "np.pad with constant_values= and a mode other than "
                                   "'constant' written", "leave constant_values out")
        inside = self.primitive("np.pad", rest, list(args), env, None)
        return self.emit("add", (inside, self.emit("padding", (c, args[0], args[1]))),
                         target=target)

    def padded(self, name, rest, args, keywords, env, target):
        """np.diff(x, prepend=a, append=b): np.diff of x with a and b put at its ends along the
        axis (a number spread across the other axes)."""
        axis = next((self.atom(k.value, env) for k in rest.keywords if k.arg == "axis"),
                    args[2] if len(args) > 2 else Const(-1))
        x = args[0]
        parts = [x]
        for word, at in zip(PADDED[name], (0, None)):
            if word in keywords:
                end = self.emit("along", (self.atom(keywords[word], env), x, axis))
                parts.insert(len(parts) if at is None else 0, end)
        whole = self.emit("np.concatenate", parts, (("axis", axis),))
        return self.primitive(name, rest, [whole] + list(args[1:]), env, target)

    def masked(self, name, rest, args, keywords, env, target):
        """np.sum(x, where=m, initial=c): the sum of np.where(m, x, 0), plus c (np.prod: the
        product of np.where(m, x, 1), times c; np.mean: the sum over the count of m; np.max: the
        maximum of np.where(m, x, c) and c)."""
        combine, neutral = REDUCTIONS[name]
        x = args[0]
        if "where" in keywords and neutral is None and "initial" not in keywords:
            raise self.unsupported(rest, f"where= of {name} without initial= (NumPy raises: the "
                                   "maximum has no identity)", "give initial= as well")
        if "where" in keywords:  # (np.max: the entries left out read as initial)
            mask = self.atom(keywords["where"], env)
            x = self.emit("np.where", (mask, x, Const(neutral) if neutral is not None else
                                       self.atom(keywords["initial"], env)))
        if "initial" in keywords and combine is None:
            raise self.unsupported(rest, f"the argument initial= of {name}",
                                   "add it to the result")
        if name == "np.mean" and "where" in keywords:
            total = self.primitive("np.sum", rest, [x] + list(args[1:]), env, None)
            count = self.primitive("np.sum", rest, [self.emit("add", (  # (in x's dtype)
                mask, self.emit("zeros_like", (args[0],))))] + list(args[1:]), env, None)
            return self.emit("truediv", (total, count), target=target)
        if "initial" not in keywords:
            return self.primitive(name, rest, [x] + list(args[1:]), env, target)
        initial = self.atom(keywords["initial"], env)
        if name in WITH_INITIAL:  # (one reduction: np.max of an empty x is its initial)
            return self.primitive(WITH_INITIAL[name], rest, [x, initial] + list(args[1:]), env,
                                  target, order=POSITIONAL[name])
        reduced = self.primitive(name, rest, [x] + list(args[1:]), env, None)
        return self.emit(combine, (reduced, initial), target=target)

    def item(self, node, args, env, target):
        """`x.item()`, `x.item(k)` (the k-th entry in C order), `x.item(i, j)`."""
        x, index = args[0], args[1:]
        if len(index) == 1 and not (type(index[0]) is Const and
                                    isinstance(index[0].value, tuple)):
            x, index = self.emit("np.ravel", (x,)), index
        if index:
            key = index[0] if len(index) == 1 else self.as_atom(tuple(index))
            x = self.emit("getitem", (x, key))
        return self.emit("item", (x,), target=target)

    def in_place(self, call, env):
        """A library call that changes an array in place, as `a[...] = new value`; False if the
        call is not one. The indexes of the array's node (a[f():]) are lowered once."""
        func = call.func
        if isinstance(func, gast.Attribute) and func.attr in IN_PLACE_METHODS:
            array_node = func.value
            if not isinstance(array_node, (gast.Name, gast.Subscript, gast.Attribute)) or \
                    isinstance(array_node, gast.Name) and \
                    self.sequence_kinds.get(array_node.id) == "list":  # (xs.sort() of a list)
                return False
        elif not call.args or not (isinstance(func, (gast.Attribute, gast.Name)) and
                                   self.in_place_function(self.expr(func, env))):
            return False
        else:
            array_node = call.args[0]
        added = self.target_once(array_node, env, None)
        try:
            return self.change_in_place(call, array_node, env)
        finally:
            self.forget_once(added)

    @staticmethod
    def in_place_function(callee):
        obj = getattr(callee, "obj", None)
        return obj is not None and (_ufunc_at(obj) in ("add", "subtract") or
                                    obj in (np.copyto, np.fill_diagonal) or obj in PUTS)

    def change_in_place(self, call, array_node, env):
        func = call.func
        if isinstance(func, gast.Attribute) and func.attr in IN_PLACE_METHODS:
            array = self.expr(array_node, env)
            if type(array) is not Var:
                return False
            values = [self.atom(a, env) for a in call.args]
            if func.attr == "sort":
                new = self.primitive("np.sort", call, [array] + values, env, None)
            elif len(values) != 1 or call.keywords:
                raise self.unsupported(call, ".fill() with other than one value")
            else:
                new = values[0]
        else:
            obj = self.expr(func, env).obj
            ufunc = _ufunc_at(obj)
            array = self.atom(array_node, env)
            values = [self.atom(a, env) for a in call.args[1:]]
            words = {k.arg: self.atom(k.value, env) for k in call.keywords}
            if ufunc and (len(values) != 2 or words):
                raise self.unsupported(call, f"np.{ufunc}.at with other than (a, indices, b)")
            if ufunc:
                change = values[1] if ufunc == "add" else self.emit("neg", (values[1],))
                new = self.emit("add_at", (array, values[0], change))
            elif obj in PUTS:
                new = self.put(call, obj, array, values, words)
            elif obj is np.copyto:
                if len(values) != 1 or words:
                    raise self.unsupported(call, "np.copyto with casting= or where=",
                                           "assign: dst[...] = np.where(where, src, dst)")
                new = values[0]
            else:
                wrap = words.pop("wrap", values[1] if len(values) > 1 else Const(False))
                if words or len(values) not in (1, 2):
                    raise self.unsupported(call, "np.fill_diagonal with these arguments")
                new = self.emit("filled_diagonal", (array, values[0], wrap))
        self.check_aliases(call, array_node, env)
        whole = gast.copy_location(gast.Subscript(
            value=array_node, slice=gast.Constant(value=Ellipsis, kind=None),
            ctx=gast.Store()), call)
        self.store(whole, new, env)
        return True

    def put(self, call, obj, a, values, words):
        """np.put(a, ind, v): a.flat[ind] = v; np.putmask(a, mask, v): v where mask; np.place(a,
        mask, v): v's entries in order where mask. v is repeated cyclically, as NumPy repeats
        it (np.resize): over ind, over a, over the entries mask selects."""
        if obj is np.put_along_axis:
            return self.put_along(call, a, values, words)
        mode = words.pop("mode", None) if obj is np.put else None
        if len(values) != 2 or words:
            where = "ind" if obj is np.put else "mask"
            raise self.unsupported(call, f"np.{obj.__name__} with these arguments",
                                   f"write np.{obj.__name__}(a, {where}, v)")
        where, v = values
        if type(where) is Const and isinstance(where.value, tuple):
            where = Const(list(where.value))  # (an index written as a list stays a list)
        if obj is np.putmask:
            shape = self.emit("np.shape", (a,))
            fill = v if type(v) is Const and np.ndim(v.value) == 0 else \
                self.emit("np.resize", (v, shape))
            return self.emit("np.where", (where, fill, a))
        flat = self.emit("np.ravel", (a,))
        if obj is np.place:
            where = self.emit("np.ravel", (where,))
            count = self.emit("np.count_nonzero", (where,))
            v = self.emit("np.resize", (v, count))
        else:
            if mode is not None:
                where = self.emit("take_indices", (where, flat, Const(None), mode))
            shape = Const(np.shape(where.value)) if type(where) is Const else \
                self.emit("np.shape", (where,))
            v = v if type(v) is Const and np.ndim(v.value) == 0 else \
                self.emit("np.resize", (v, shape))
        return self.emit("np.reshape", (self.emit("setitem", (flat, where, v)),
                                        self.emit("np.shape", (a,))))

    def put_along(self, call, a, values, words):
        """np.put_along_axis(a, indices, values, axis): a[index] = values at the index NumPy
        builds (along_index); the flat a for axis None. Written as an item assignment, a place
        named again keeps the last value written (setitem's rule gives it alone the gradient)."""
        values = values + [words.pop(k) for k in ("indices", "values", "axis")[len(values):]
                           if k in words]
        if len(values) != 3 or words:
            raise self.unsupported(call, "np.put_along_axis with these arguments",
                                   "write np.put_along_axis(a, indices, values, axis)")
        indices, v, axis = values
        if type(axis) is Const and axis.value is None:
            flat = self.emit("setitem", (self.emit("np.ravel", (a,)), indices, v))
            return self.emit("np.reshape", (flat, self.emit("np.shape", (a,))))
        return self.emit("setitem", (a, self.emit("along_index", (a, indices, axis)), v))

    def check_aliases(self, call, node, env):
        """The checks of `node[...] = v` (statements.py): another name holding the array that
        changes, and read later, stops generated code (Python would change it there too)."""
        if isinstance(node, gast.Name):
            self.check_in_place(call, node.id, env, self.live(), "__setitem__")
        elif isinstance(node, (gast.Subscript, gast.Attribute)) and \
                isinstance(node.value, gast.Name):
            container = type(env.get(node.value.id)) in (tuple, Record)
            self.check_in_place(call, node.value.id, env, self.live(), "__setitem__",
                                node if container else None)
