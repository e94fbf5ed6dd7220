"""adcompile: automatic differentiation by source transformation.

    from adcompile import grad, sigmoid

    @grad(argnums=(0, 1))
    def f(w, x):
        return sigmoid(w * x)

`source(f)` shows the generated code: flat code, forward mode with tangents `d_<name>`, reverse
mode with adjoints `grad_<name>`, as taught in lectures on backpropagation.
"""
__version__ = "0.1.0"  # also the package version (pyproject reads it)

from .api import grad, jvp, source, value_and_grad, vjp
from .custom import defjvp, defpartials, defvjp
from .higher import GradientCheckError, check_grads, hessian, hvp, jacfwd, jacrev
from .errors import (ADCompileError, ArgumentError, NoDerivativeError, SourceUnavailableError,
                     UnsupportedSyntaxError)
from .numerics import (log_sigmoid, log_softmax, logsumexp, relu, sigmoid, softmax, softplus,
                       stop_gradient)
from .export import export
from .swell import swell, swell_sweep  # sympy is imported only when they run
from .graph import graph  # Graphviz's dot is called only to draw SVG or PNG
from .jit import JitError, jit  # Numba is imported only when jit runs
from . import rules_linalg  # noqa: F401  (registers the linear algebra rules)
from . import rules_stats  # noqa: F401  (registers the statistics rules)
from . import rules_reductions  # noqa: F401  (NaN-ignoring reductions, cumulative_sum)
from . import rules_fft  # noqa: F401  (registers the Fourier transform rules)
from . import rules_arrays  # noqa: F401  (registers the construction and shape rules)
from . import rules_conversions  # noqa: F401  (conversions, indices and counts, windows)
from . import rules_elementwise  # noqa: F401  (more elementwise functions and tests)
from . import rules_ufuncs  # noqa: F401  (ufunc methods, NumPy's positional order, np.cross)
from . import rules_signal  # noqa: F401  (complex parts, np.gradient, multi_dot, convolutions)
from .primitives import scipy_rules_wanted

if scipy_rules_wanted:  # SciPy's special functions, stats and linalg (rules_scipy.py)
    from . import rules_scipy  # noqa: F401

__all__ = [
    "grad", "value_and_grad", "jvp", "vjp", "source",
    "jacfwd", "jacrev", "hessian", "hvp", "check_grads", "GradientCheckError",
    "defvjp", "defjvp", "defpartials",
    "sigmoid", "softplus", "log_sigmoid", "logsumexp", "softmax", "log_softmax", "relu",
    "stop_gradient",
    "ADCompileError", "UnsupportedSyntaxError", "NoDerivativeError", "SourceUnavailableError",
    "ArgumentError",
    "export", "swell", "swell_sweep", "graph", "jit", "JitError",
]
