"""Stage: source text -> function object, registered in `linecache` so that tracebacks, pdb and
`inspect.getsource` show the generated code."""
from __future__ import annotations

import hashlib
import linecache

from .ir import Function
from .primitives import NAMESPACE


def compile_function(src: str, fn: Function):
    """Compile the generated source of `fn` and return the function it defines."""
    digest = hashlib.sha1(src.encode()).hexdigest()[:8]
    filename = f"<adcompile {fn.name} {digest}>"
    linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    namespace = dict(NAMESPACE)
    namespace.update(fn.constants)
    exec(compile(src, filename, "exec"), namespace)
    return namespace[fn.name]
