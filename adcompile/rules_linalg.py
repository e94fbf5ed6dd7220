"""Derivative rules of linear algebra, on stacks of matrices too: solve, inv, det, slogdet,
cholesky, qr, eigh, eig, svd, pinv, norm, matrix_power, lstsq, cond; NumPy 2's vecdot, matvec,
vecmat, linalg.vector_norm, linalg.cross and the array-API spellings of functions that have
rules (linalg.trace, linalg.svdvals, matrix_transpose, ...). Registered into the tables of
rules.py (same template language) when the package is imported."""
from __future__ import annotations

import numpy as np

from .primitives import BY_OBJECT, OBJECT_OPTIONS, add
from .rules import DERIVATIVES, JVP, LINEAR, VJP, _constant  # noqa: F401

# Matrices whose derivative exists only for symmetric inputs (cholesky, eigh) read and perturb
# them as symmetric: tangents are taken as sym(t), gradients are symmetric. Eigenvalues and
# singular values must be distinct (the derivative of their vectors does not exist otherwise).
LINEAR |= {"sym", "phi", "skew_lower", "gaps", "diag_embed", "svd_reduced", "real_matrix",
           "square_r", "three_vectors", "column_of", "uncolumn"}
VJP["column_of"], JVP["column_of"] = ("uncolumn(g, b)", None), ("column_of(t, b)", None)
VJP["uncolumn"], JVP["uncolumn"] = ("column_of(g, b)", None), ("uncolumn(t, b)", None)
VJP["real_matrix"] = VJP["square_r"] = ("g",)
VJP["three_vectors"], JVP["three_vectors"] = ("three_vectors(g, x, y)", None, None), \
    ("three_vectors(t, x, y)", None, None)
# np.cross's 2-vectors as 3-vectors (runtime_linalg.as3): linear helpers, each with its adjoint
LINEAR |= {"as3", "from3", "lift3", "drop3"}
VJP.update({"as3": ("from3(g, v)",), "from3": ("as3(g)", None),
            "lift3": ("drop3(g, x, y)", None, None), "drop3": ("lift3(g, x, y)", None, None)})
DERIVATIVES["inv_offdiag"] = ("-ans * ans",)
# cofactor(x, d) = d * inv(x).T, d = det(x) (det's rules; these are second order, where x is
# invertible)
VJP["cofactor"] = ("-np.expand_dims(d, (-2, -1)) * mT(np.linalg.inv(x) @ g @ np.linalg.inv(x))",
                   "np.sum(g * mT(np.linalg.inv(x)), axis=(-2, -1))")
JVP["cofactor"] = ("-np.expand_dims(d, (-2, -1)) * mT(np.linalg.solve(x, t) @ np.linalg.inv(x))",
                   "np.expand_dims(t, (-2, -1)) * mT(np.linalg.inv(x))")
# beyond_span(r, d, q) = r / d (0 for a square q)
VJP["beyond_span"] = ("beyond_span(g, d, q)",
                      "-unbroadcast(beyond_span(beyond_span(g * r, d, q), d, q), d)", None)
JVP["beyond_span"] = ("beyond_span(t, d, q)", "-beyond_span(beyond_span(r * t, d, q), d, q)", None)
VJP["over_gaps"] = ("over_gaps(g, d)", "-over_gaps(over_gaps(g * m, d), d)")
JVP["over_gaps"] = ("over_gaps(t, d)", "-over_gaps(over_gaps(t * m, d), d)")
# slogdet's tangent (s * 1j * Im(tr), Re(tr)) from tr = trace(x^-1 dx): bilinear in s and tr
JVP["slogdet_tangent"] = ("(t * (tr - conj(tr)) / 2, zeros_like(np.real(tr)))",
                          "slogdet_tangent(s, t)")
VJP["slogdet_tangent"] = ("g[0] * (tr - conj(tr)) / 2", "g[1] + (g[0] * s - conj(g[0] * s)) / 2")
_U, _S, _VH = "svd_reduced(ans[0], ans[1])", "ans[1]", "svd_reduced(ans[2], ans[1])"
_SVD_F = f"gaps({_S} ** 2)"  # 1 / F off the diagonal: over_gaps (reverse), inv_offdiag
_QR_X = "mT(real_matrix(ans[0])) @ mT(np.linalg.solve(mT(square_r(ans[1])), mT(t)))"


def _svd_rule(mode):
    def rule(op, i):
        kw = dict(op.kwargs)
        compute_uv = kw.get("compute_uv")
        if compute_uv is not None and not _constant(compute_uv, op, "compute_uv"):
            # ds_k = Re(u_k^H dx v_k): of a complex x through the conjugates (JAX's convention)
            u, vh = "conj(np.linalg.svd(x, full_matrices=False)[0])", \
                "conj(np.linalg.svd(x, full_matrices=False)[2])"
            return {"jvp": f"np.real(np.diagonal(mT({u}) @ t @ mT({vh}), axis1=-2, axis2=-1))",
                    "vjp": f"{u} @ diag_embed(g) @ {vh}"}[mode]
        return _SVD[mode]
    return rule


# svd: dP = U^T dA V; ds = diag(dP); dU = U (F * (dP S + S dP^T)) + (I - U U^T) dA V / s;
# dV likewise with dA^T; F[i, j] = 1 / (s_j^2 - s_i^2) off the diagonal
_P = f"(mT({_U}) @ t @ mT({_VH}))"
_SVD = {
    "jvp": f"({_U} @ (inv_offdiag({_SVD_F}) * ({_P} * np.expand_dims({_S}, -2) + np.expand_dims({_S}, -1) * "
           f"mT({_P}))) + beyond_span(t @ mT({_VH}) - {_U} @ {_P}, np.expand_dims({_S}, -2), {_U}), "
           f"np.diagonal({_P}, axis1=-2, axis2=-1), "
           f"mT(mT({_VH}) @ (inv_offdiag({_SVD_F}) * (np.expand_dims({_S}, -1) * {_P} + mT({_P}) * "
           f"np.expand_dims({_S}, -2))) + beyond_span(mT(t) @ {_U} - mT({_VH}) @ mT({_P}), "
           f"np.expand_dims({_S}, -2), mT({_VH}))))",
    "vjp": f"{_U} @ (diag_embed(g[1]) + over_gaps(mT({_U}) @ g[0] - mT(g[0]) @ {_U}, {_SVD_F}) * "
           f"np.expand_dims({_S}, -2) + np.expand_dims({_S}, -1) * over_gaps({_VH} @ mT(g[2]) "
           f"- g[2] @ mT({_VH}), {_SVD_F})) @ {_VH} + beyond_span(g[0] - {_U} @ (mT({_U}) @ g[0]), "
           f"np.expand_dims({_S}, -2), {_U}) @ {_VH} + {_U} @ beyond_span(g[2] - (g[2] @ "
           f"mT({_VH})) @ {_VH}, np.expand_dims({_S}, -1), mT({_VH}))",
}


def _uplo(template):
    """eigvalsh's rule, by the eigenvectors of the triangle it read (UPLO='U': the upper)."""
    def rule(op, i):
        upper = "UPLO" in dict(op.kwargs)
        return template.format(v="np.linalg.eigh(x, UPLO=UPLO)[1]" if upper else
                               "np.linalg.eigh(x)[1]")
    return rule


def _qr_rule(template):
    def rule(op, i):
        mode = dict(op.kwargs).get("mode")
        if mode is not None and _constant(mode, op, "mode") != "reduced":
            from .errors import NoDerivativeError
            raise NoDerivativeError("np.linalg.qr has a derivative rule for mode='reduced' only")
        return template
    return rule


def _matrix_power_rule(mode):
    """x ** n for a constant integer n: the product rule over its n factors (of inv(x) when n is
    negative), written out, so that it is differentiable again."""
    def rule(op, i):
        if i != 0:
            return None
        n = _constant(op.args[1], op, "exponent")
        if n == 0:
            return "zeros_like(x)" if mode == "vjp" else "zeros_like(t)"
        base = "x" if n > 0 else "np.linalg.inv(x)"
        step = "t" if n > 0 else "(-np.linalg.inv(x) @ t @ np.linalg.inv(x))"
        if mode == "vjp":
            base, step = f"mT({base})", "g"
        power = lambda k: " @ ".join([base] * k)
        terms = [" @ ".join(p for p in (power(k), step, power(abs(n) - 1 - k)) if p)
                 for k in range(abs(n))]
        if mode == "vjp" and n < 0:  # the chain through inv(x): -inv(x)^T (...) inv(x)^T
            return f"-mT(np.linalg.inv(x)) @ ({' + '.join(terms)}) @ mT(np.linalg.inv(x))"
        return " + ".join(terms)
    return rule


def _norm_rule(mode):
    """Vector norms known to be vector norms (an integer axis, or an ord that only vectors take)
    get templates, differentiable again; matrix norms and norms whose kind depends on x's
    dimension call norm_grad (first order only)."""
    first = {"vjp": "norm_grad(g, x, ans, ord, axis, keepdims)",
             "jvp": "np.sum(np.real(t * norm_grad(1.0, x, ans, ord, axis, keepdims)), axis=axis,"
                    " keepdims=keepdims)"}

    def rule(op, i):
        import numpy as np
        if i != 0:
            return None
        kw = dict(op.kwargs)
        order, axis = kw.get("ord"), kw.get("axis")
        if type(order).__name__ != "Const":  # (a computed ord: norm_grad, first order only)
            return first[mode]
        order = order.value
        vector_axis = type(axis).__name__ == "Const" and type(axis.value) is int
        vector_ord = order not in (None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf)
        last_two = type(axis).__name__ == "Const" and axis.value in ((-2, -1), [-2, -1])
        if order == "nuc" and axis is None or order in ("nuc", 2, -2) and last_two:
            # the sum of singular values: U Vh, the largest or smallest: u_k v_k^T, through svd
            uv = "np.linalg.svd(x, full_matrices=False)"
            w = f"(conj({uv}[0]) @ conj({uv}[2]))"
            if order != "nuc":
                k = ":1" if order == 2 else "-1:"
                w = f"(conj({uv}[0][..., :, {k}]) @ conj({uv}[2][..., {k}, :]))"
            keep = type(kw.get("keepdims")).__name__ == "Const" and kw["keepdims"].value
            if mode == "vjp":
                return f"g * {w}" if keep else f"np.expand_dims(in_dtype_of(g, x), (-2, -1)) * {w}"
            return f"np.sum(np.real(t * {w}), axis=(-2, -1), keepdims=keepdims)"
        if not (vector_axis or vector_ord) or type(order) is str:
            return first[mode]
        return _vector_norm(order, mode)
    return rule


def _vector_norm(order, mode):
    """The rule of the vector p-norm of x over `axis` for p = `order` (a constant)."""
    if order == 0:  # the count of nonzero entries: piecewise constant
        return "zeros_like(x)" if mode == "vjp" else "zeros_like(ans)"
    r = "unreduce(norm_divisor(ans), x, axis, keepdims)"  # (1 where the norm is 0: x is 0 there)
    if order == 2:
        w = f"conj(x) / {r}"
    elif order == 1:
        w = "conj(phase(x))"
    elif order in (np.inf, -np.inf):
        w = "conj(phase(x)) * max_weights(np.abs(x), ans, axis, keepdims)"
    else:
        w = f"conj(phase(x)) * (np.abs(x) / {r}) ** (ord - 1)"
    if mode == "vjp":
        return f"unreduce(g, x, axis, keepdims) * {w}"
    return f"np.sum(np.real(t * {w}), axis=axis, keepdims=keepdims)"


VJP.update({
    "np.linalg.cholesky": ("sym(mT(np.linalg.solve(mT(ans), mT(np.linalg.solve(mT(ans), "
                           "phi(mT(ans) @ real_part(g)))))))",),
    "np.linalg.eigh": ("sym(ans[1] @ (diag_embed(real_part(g[0])) + over_gaps(mT(ans[1]) @ "
                       "real_part(g[1]), gaps(ans[0]))) @ mT(ans[1]))",),
    "np.linalg.eigvalsh": _uplo("sym({v} @ diag_embed(real_part(g)) @ mT({v}))"),
    "np.linalg.svd": _svd_rule("vjp"),
    # Q, R = qr(A), A tall or square: grad A = (gQ + Q copyltu(M)) R^-T, M = R gR^T - gQ^T Q
    "np.linalg.qr": _qr_rule("mT(np.linalg.solve(real_matrix(square_r(ans[1])), mT(g[0] + ans[0] @ "
                             "(np.tril(ans[1] @ mT(g[1]) - mT(g[0]) @ ans[0]) + mT(np.tril("
                             "ans[1] @ mT(g[1]) - mT(g[0]) @ ans[0], k=-1))))))"),
    "np.linalg.pinv": ("-mT(real_matrix(ans)) @ g @ mT(ans) + (mT(g) - x @ ans @ mT(g)) @ ans @ "
                       "mT(ans) + mT(ans) @ ans @ (mT(g) - mT(g) @ ans @ x)",),
    "np.linalg.matrix_power": _matrix_power_rule("vjp"),
    "np.linalg.norm": _norm_rule("vjp"),
    "sym": ("sym(g)",), "phi": ("phi(g)",), "skew_lower": ("np.tril(g - mT(g), k=-1)",),
    "gaps": ("np.sum(g, axis=-2) - np.sum(g, axis=-1)",),
    "diag_embed": ("np.diagonal(g, axis1=-2, axis2=-1)",),
    "svd_reduced": ("g", None),
})

JVP.update({
    # dL = L phi(L^-1 sym(dA) L^-T)
    "np.linalg.cholesky": ("real_matrix(ans) @ phi(mT(np.linalg.solve(ans, mT(np.linalg.solve("
                           "ans, sym(t))))))",),
    "np.linalg.eigh": ("(np.diagonal(mT(ans[1]) @ sym(t) @ real_matrix(ans[1]), axis1=-2, "
                       "axis2=-1), ans[1] @ (inv_offdiag(gaps(ans[0])) * (mT(ans[1]) @ sym(t) @ "
                       "ans[1])))",),
    "np.linalg.eigvalsh": _uplo("np.diagonal(mT({v}) @ sym(t) @ real_matrix({v}), axis1=-2, "
                                "axis2=-1)"),
    "np.linalg.svd": _svd_rule("jvp"),
    # X = Q^T dA R^-1, O = skew_lower(X): dQ = dA R^-1 - Q (X - O), dR = (X - O) R
    "np.linalg.qr": _qr_rule(f"(mT(np.linalg.solve(mT(square_r(ans[1])), mT(t))) - ans[0] @ ({_QR_X} - "
                             f"skew_lower({_QR_X})), ({_QR_X} - skew_lower({_QR_X})) @ ans[1])"),
    "np.linalg.pinv": ("-real_matrix(ans) @ t @ ans + ans @ mT(ans) @ (mT(t) - mT(t) @ x @ ans) + "
                       "(mT(t) - ans @ x @ mT(t)) @ mT(ans) @ ans",),
    "np.linalg.matrix_power": _matrix_power_rule("jvp"),
    "np.linalg.norm": _norm_rule("jvp"),
})


# eig (A = V diag(w) V^-1, eigenvalues distinct): with A' = V^-1 dA V, dw = diag(A') and
# dV = V (F * A') + V diag(c), F[i, j] = 1 / (w_j - w_i) off the diagonal, where c keeps each
# column of V as LAPACK returns it: of norm 1, with its largest entry real. Complex values follow
# JAX's convention (plain transposes); a real matrix's gradient is real (real_like).
_EV, _EF, _EM = "distinct_eig(ans[1], ans[0])", "inv_offdiag(gaps(ans[0]))", "eig_pivots(ans[1])"
_EIG_A = f"np.linalg.solve({_EV}, t @ {_EV})"
_EIG_D = f"({_EV} @ ({_EF} * {_EIG_A}))"
_EIG_TOP = f"np.real(np.sum({_EV} * {_EM}, axis=-2, keepdims=True))"  # each largest entry
_EIG_C = f"np.sum(g[1] * {_EV}, axis=-2, keepdims=True)"
_EV2 = "distinct_eig(np.linalg.eig(x)[1], ans)"
LINEAR |= {"real_like", "distinct_eig"}
VJP.update({
    "np.linalg.eig": (f"real_like(np.linalg.solve(mT({_EV}), (diag_embed(g[0]) + {_EF} * (mT("
                      f"{_EV}) @ (g[1] - conj({_EV}) * np.real({_EIG_C}) - 1j * {_EM} * np.imag("
                      f"{_EIG_C}) / {_EIG_TOP}))) @ mT({_EV})), x)",),
    "np.linalg.eigvals": (f"real_like(np.linalg.solve(mT({_EV2}), diag_embed(g) @ mT({_EV2})), x)",),
    "real_like": ("real_like(g, x)", None),
    "distinct_eig": ("g", None),
})
JVP.update({
    "np.linalg.eig": (f"(np.diagonal({_EIG_A}, axis1=-2, axis2=-1), real_like({_EIG_D} - {_EV} * ("
                      f"np.real(np.sum(conj({_EV}) * {_EIG_D}, axis=-2, keepdims=True)) + 1j * "
                      f"np.sum(np.imag({_EIG_D}) * {_EM}, axis=-2, keepdims=True) / {_EIG_TOP}), "
                      f"{_EV}))",),
    "np.linalg.eigvals": (f"np.diagonal(np.linalg.solve({_EV2}, t @ {_EV2}), axis1=-2, axis2=-1)",),
    "distinct_eig": ("t", None),
})


# lstsq (real, a of full rank, P = pinv(a), r = b - a x): dx = P (db - da x) + P P^T da^T r
# + (I - P a) da^T P^T x; the residuals r^T r change by 2 r^T (db - da x) (a^T r = 0); the
# singular values as svd's; the rank not at all
_LP = "full_rank(np.linalg.pinv(a), ans[2], a, ans[0])"
_LR = "(b - a @ ans[0])"
_LUV = "np.linalg.svd(a, full_matrices=False)"
_LGX = f"(g[0] - mT(a) @ (mT({_LP}) @ g[0]))"
_LGRES = "unfit_residuals(g[1], ans[0][0])"
VJP.update({
    "np.linalg.lstsq": (f"-matmul_grad_left(mT({_LP}) @ g[0], a, ans[0]) + matmul_grad_left({_LR}, "
                        f"a, {_LP} @ (mT({_LP}) @ g[0])) + matmul_grad_left(mT({_LP}) @ ans[0], a, "
                        f"{_LGX}) - matmul_grad_left(2 * {_LR} * {_LGRES}, a, ans[0]) + {_LUV}[0] @ "
                        f"diag_embed(g[3]) @ {_LUV}[2]",
                        f"mT({_LP}) @ g[0] + 2 * {_LR} * {_LGRES}"),
    "full_rank": ("g", None, None, None),
    "fit_residuals": ("unfit_residuals(g, v)", None),
    "unfit_residuals": ("fit_residuals(g, v)", None),
})
JVP.update({
    "np.linalg.lstsq": (f"(-{_LP} @ (t @ ans[0]) + {_LP} @ (mT({_LP}) @ (mT(t) @ {_LR})) + mT(t) @ ("
                        f"mT({_LP}) @ ans[0]) - {_LP} @ (a @ (mT(t) @ (mT({_LP}) @ ans[0]))), "
                        f"fit_residuals(-2 * np.sum({_LR} * (t @ ans[0]), axis=0), ans[1]), 0, "
                        f"np.diagonal(mT({_LUV}[0]) @ t @ mT({_LUV}[2]), axis1=-2, axis2=-1))",
                        f"({_LP} @ t, fit_residuals(2 * np.sum({_LR} * t, axis=0), ans[1]), 0, "
                        "zeros_like(ans[3]))"),
    "full_rank": ("t", None, None, None),
})
LINEAR |= {"fit_residuals", "unfit_residuals"}


# --- NumPy 2's array-API names -------------------------------------------------------------------
# Most are other spellings of functions that have rules: the call lowers to that function, with
# the options that make it the same (np.linalg.trace(x) is np.trace(x, axis1=-2, axis2=-1)).
for _name, _prim, _options in [
        ("linalg.trace", "np.trace", {"axis1": -2, "axis2": -1}),
        ("linalg.diagonal", "np.diagonal", {"axis1": -2, "axis2": -1}),
        ("linalg.outer", "np.outer", {}), ("linalg.tensordot", "np.tensordot", {}),
        ("linalg.matmul", "matmul", {}), ("linalg.vecdot", "np.vecdot", {}),
        ("matrix_transpose", "mT", {}), ("linalg.matrix_transpose", "mT", {}),
        ("linalg.svdvals", "np.linalg.svd", {"compute_uv": False}),  # (svd's rule: U diag(g) Vh)
        ("linalg.matrix_norm", "np.linalg.norm", {"ord": "fro", "axis": (-2, -1)})]:
    _obj = np
    for _part in _name.split("."):
        _obj = getattr(_obj, _part, None)
    if _obj is not None:
        BY_OBJECT.setdefault(_obj, _prim)
        if _options:
            OBJECT_OPTIONS[_obj] = _options

# np.vecdot(x, y) = sum(conj(x) * y, axis) (conjugate-linear in x, as np.vdot); np.matvec(A, v)
# = A @ v and np.vecmat(v, A) = conj(v) @ A over the last axes (NumPy 2.2), on stacks too.
add("np.vecdot", np.vecdot, ("x", "y"), "exact", axis=-1)
VJP["np.vecdot"] = ("unbroadcast(conj(np.expand_dims(g, axis) * y), x)",
                    "unbroadcast(np.expand_dims(g, axis) * conj(x), y)")
JVP["np.vecdot"] = ("np.vecdot(t, y, axis=axis)", "np.vecdot(x, t, axis=axis)")
if hasattr(np, "matvec"):
    add("np.matvec", np.matvec, ("x", "y"), "exact")
    add("np.vecmat", np.vecmat, ("x", "y"), "exact")
    VJP["np.matvec"] = ("unbroadcast(np.expand_dims(g, -1) * np.expand_dims(y, -2), x)",
                        "unbroadcast(np.matvec(mT(x), g), y)")
    VJP["np.vecmat"] = ("unbroadcast(conj(np.matvec(y, g)), x)",
                        "unbroadcast(np.expand_dims(conj(x), -1) * np.expand_dims(g, -2), y)")
    JVP["np.matvec"] = ("np.matvec(t, y)", "np.matvec(x, t)")
    JVP["np.vecmat"] = ("np.vecmat(t, y)", "np.vecmat(x, t)")

# np.linalg.cross: np.cross of 3-vectors along `axis`
add("np.linalg.cross", np.linalg.cross, ("x", "y"), "exact", axis=-1)
VJP["np.linalg.cross"] = ("unbroadcast(np.linalg.cross(y, g, axis=axis), x)",
                          "unbroadcast(np.linalg.cross(g, x, axis=axis), y)")
JVP["np.linalg.cross"] = ("np.linalg.cross(t, y, axis=axis)", "np.linalg.cross(x, t, axis=axis)")


# np.linalg.vector_norm: the vector norm over `axis` (every entry for None, whatever x's
# dimension), np.linalg.norm's vector rules; ord must be a constant.
def _vector_norm_rule(mode):
    def rule(op, i):
        order = dict(op.kwargs).get("ord")
        return _vector_norm(2 if order is None else _constant(order, op, "ord"), mode)
    return rule


add("np.linalg.vector_norm", np.linalg.vector_norm, kind="exact", axis=None, keepdims=False,
    ord=2)
VJP["np.linalg.vector_norm"] = _vector_norm_rule("vjp")
JVP["np.linalg.vector_norm"] = _vector_norm_rule("jvp")

# np.linalg.cond(x) = s_max / s_min (p None or 2; s_min / s_max for p=-2): through svd, as
# svdvals, ds_k = Re(u_k^H dx v_k). Other p (norms of x and of its inverse) are refused.
_C_UV = "np.linalg.svd(x, full_matrices=False)"
_C_U, _C_VH = f"conj({_C_UV}[0])", f"conj({_C_UV}[2])"


def _cond_rule(mode):
    def rule(op, i):
        p = dict(op.kwargs).get("p")
        p = None if p is None else _constant(p, op, "p")
        if p not in (None, 2, -2):
            from .errors import NoDerivativeError
            raise NoDerivativeError(f"np.linalg.cond with p={p!r} has no derivative rule; use "
                                    "the default p (None, the 2-norm) or p=-2")
        top, low = (0, -1) if p != -2 else (-1, 0)  # the numerator's and denominator's s_k
        s = f"{_C_UV}[1][..., {low}]"
        if mode == "jvp":
            ds = f"np.real(np.diagonal(mT({_C_U}) @ t @ mT({_C_VH}), axis1=-2, axis2=-1))"
            return f"({ds}[..., {top}] - ans * {ds}[..., {low}]) / {s}"
        uv = lambda k: f"{_C_U}[..., :, {k}:{k + 1 or ''}] @ {_C_VH}[..., {k}:{k + 1 or ''}, :]"
        return f"np.expand_dims(g / {s}, (-2, -1)) * ({uv(top)} - np.expand_dims(ans, (-2, -1)) * " \
            f"{uv(low)})"
    return rule


add("np.linalg.cond", np.linalg.cond, kind="exact", p=None)
VJP["np.linalg.cond"] = _cond_rule("vjp")
JVP["np.linalg.cond"] = _cond_rule("jvp")
