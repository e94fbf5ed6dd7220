"""Derivative rules, one line per primitive.

Rules are Python expression templates over the primitive's operands (`x`, `y`, ... as named in
`primitives.py`), its keyword options (`axis`, ...), its result `ans`, the incoming adjoint `g`
(reverse mode) and the operand's tangent `t` (forward mode). They are written the way the lecture
writes them and appear as such in generated code: the sigmoid rule `g * (1 - ans) * ans` becomes
`grad_s3 = grad_L * (1 - L) * L`.

`DERIVATIVES` holds elementwise primitives: the partial derivative with respect to each operand.
Reverse mode emits `g * <partial>`, forward mode `t * <partial>` (and just `g` or `t` when the
partial is 1). `VJP` and `JVP` hold the other primitives: one template per operand, or `None`
where the operand has no derivative (an index, a shape). `LINEAR` primitives are their own JVP.
"""
from __future__ import annotations

DERIVATIVES = {
    "add": ("1", "1"),
    "sub": ("1", "-1"),
    "mul": ("y", "x"),
    "truediv": ("1 / y", "-ans / y"),
    "pow": ("y * x ** (y - 1)", "ans * np.log(x)"),
    "mod": ("1", "-np.floor(x / y)"),
    "neg": ("-1",),
    "pos": ("1",),
    "abs": ("np.sign(x)",),
    "max": ("(x >= y)", "(x < y)"),
    "min": ("(x <= y)", "(x > y)"),
    "float": ("1",),
    # math
    "math.sin": ("math.cos(x)",),
    "math.cos": ("-math.sin(x)",),
    "math.tan": ("(1 + ans ** 2)",),
    "math.exp": ("ans",),
    "math.log": ("1 / x", "-ans / (base * math.log(base))"),
    "math.log1p": ("1 / (1 + x)",),
    "math.expm1": ("(ans + 1)",),
    "math.sqrt": ("0.5 / ans",),
    "math.tanh": ("(1 - ans ** 2)",),
    "math.sinh": ("math.cosh(x)",),
    "math.cosh": ("math.sinh(x)",),
    "math.atan": ("1 / (1 + x ** 2)",),
    "math.asin": ("1 / math.sqrt(1 - x ** 2)",),
    "math.acos": ("-1 / math.sqrt(1 - x ** 2)",),
    "math.log2": ("1 / (x * math.log(2))",),
    "math.log10": ("1 / (x * math.log(10))",),
    "math.fabs": ("math.copysign(1.0, x)",),
    "math.erf": ("2 / math.sqrt(math.pi) * math.exp(-x ** 2)",),
    "math.atan2": ("x / (x ** 2 + y ** 2)", "-y / (x ** 2 + y ** 2)"),
    "math.hypot": ("x / ans", "y / ans"),
    # NumPy
    "np.exp": ("ans",),
    "np.exp2": ("ans * np.log(2)",),
    "np.log": ("1 / x",),
    "np.log1p": ("1 / (1 + x)",),
    "np.expm1": ("(ans + 1)",),
    "np.log2": ("1 / (x * np.log(2))",),
    "np.log10": ("1 / (x * np.log(10))",),
    "np.sin": ("np.cos(x)",),
    "np.cos": ("-np.sin(x)",),
    "np.tan": ("(1 + ans ** 2)",),
    "np.tanh": ("(1 - ans ** 2)",),
    "np.sinh": ("np.cosh(x)",),
    "np.cosh": ("np.sinh(x)",),
    "np.arcsin": ("1 / np.sqrt(1 - x ** 2)",),
    "np.arccos": ("-1 / np.sqrt(1 - x ** 2)",),
    "np.arctan": ("1 / (1 + x ** 2)",),
    "np.sqrt": ("0.5 / ans",),
    "np.cbrt": ("1 / (3 * ans ** 2)",),
    "np.square": ("2 * x",),
    "np.reciprocal": ("-ans ** 2",),
    "np.abs": ("np.sign(x)",),
    "np.maximum": ("(x >= y)", "(x < y)"),
    "np.minimum": ("(x <= y)", "(x > y)"),
    "np.arctan2": ("x / (x ** 2 + y ** 2)", "-y / (x ** 2 + y ** 2)"),
    "np.hypot": ("x / ans", "y / ans"),
    # the stable primitives, by their outputs where that is stable
    "sigmoid": ("(1 - ans) * ans",),
    "softplus": ("sigmoid(x)",),
    "log_sigmoid": ("sigmoid(-x)",),
    "relu": ("(x > 0)",),
}

LINEAR = {"np.sum", "np.mean", "np.transpose", "np.reshape", "T", "getitem"}

VJP = {
    "matmul": ("matmul_grad_left(g, x, y)", "matmul_grad_right(g, x, y)"),
    "np.dot": ("dot_grad_left(g, x, y)", "dot_grad_right(g, x, y)"),
    "np.sum": ("unreduce(g, x, axis, keepdims)",),
    "np.mean": ("unreduce(g, x, axis, keepdims) * (np.size(ans) / np.size(x))",),
    "np.transpose": ("np.transpose(g, np.argsort(axes))",),
    "np.reshape": ("np.reshape(g, np.shape(x))", None),
    "T": ("g.T",),
    "getitem": ("getitem_grad(g, x, index)", None),
    "logsumexp": ("unreduce(g, x, axis, keepdims) * np.exp(x - unreduce(ans, x, axis, keepdims))",),
    "softmax": ("ans * (g - np.sum(g * ans, axis=axis, keepdims=True))",),
    "log_softmax": ("g - np.exp(ans) * np.sum(g, axis=axis, keepdims=True)",),
}

JVP = {
    "matmul": ("t @ y", "x @ t"),
    "np.dot": ("np.dot(t, y)", "np.dot(x, t)"),
    "logsumexp": ("np.sum(t * np.exp(x - unreduce(ans, x, axis, keepdims)), axis=axis, keepdims=keepdims)",),
    "softmax": ("ans * (t - np.sum(t * ans, axis=axis, keepdims=True))",),
    "log_softmax": ("t - np.sum(np.exp(ans) * t, axis=axis, keepdims=True)",),
}

# Operand templates that depend on a constant option: np.transpose(x) without axes reverses them.
SPECIAL = {("np.transpose", "axes", None): {"vjp": ("np.transpose(g)",)}}
