"""Honest errors and an honest cache: derivatives of real module files, edited files, the frames an
error shows, and where a failure inside generated code points."""
import importlib.util
import os
import sys
import textwrap
import traceback
import uuid

import numpy as np
import pytest

import adcompile
from adcompile import grad, hessian, jacfwd, jacrev, jvp, source, value_and_grad, vjp
from adcompile.errors import ADCompileError, StaleSourceError

PACKAGE = os.path.dirname(os.path.abspath(adcompile.__file__))


def write_module(folder, text, name=None):
    """Write `text` as a module file with a fresh name and import it."""
    name = name or f"mod_{uuid.uuid4().hex[:10]}"
    path = folder / f"{name}.py"
    path.write_text(textwrap.dedent(text))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# --- 1. the cache ---------------------------------------------------------------------------
F_CALLS_H = """\
    def h(x):
        return {body}


    def f(x):
        return h(x) * 2.0
    """


def test_same_text_in_two_files_with_different_helpers_gets_two_derivatives(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = write_module(tmp_path / "a", F_CALLS_H.format(body="x * x"))
    b = write_module(tmp_path / "b", F_CALLS_H.format(body="x * x * x"))
    assert a.f.__code__ == b.f.__code__  # what made one cache entry serve both
    assert grad(a.f)(3.0) == 12.0   # 2 * 2x
    assert grad(b.f)(3.0) == 54.0   # 2 * 3x^2
    assert grad(a.f)(3.0) == 12.0


def test_same_code_with_different_globals_read_directly(tmp_path):
    text = "SCALE = {s}\n\n\ndef f(x):\n    return SCALE * x * x\n"
    a = write_module(tmp_path, text.format(s=1.0))
    b = write_module(tmp_path, text.format(s=5.0))
    assert grad(a.f)(1.0) == 2.0 and grad(b.f)(1.0) == 10.0


def test_closure_contents_and_defaults_key_the_cache_by_identity():
    def make(c):
        def f(x, k=c):
            return c * x * x + k * x
        return f

    for c in [1.0, 5.0, 2.0, 7.0, 1.0]:  # floats freed and made again: no id reuse can match
        assert grad(make(float(c)))(1.0) == 3.0 * c
    f = make(2.0)
    f.__defaults__ = (10.0,)
    assert grad(f)(1.0) == 4.0 + 10.0


def test_a_second_grad_is_still_a_cache_hit():
    def f(x):
        return x * x

    assert grad(f) is grad(f)


# --- 2. a file edited after import ----------------------------------------------------------
def test_file_edited_after_import_is_refused(tmp_path):
    mod = write_module(tmp_path, "def f(x):\n    return x * x\n")
    path = tmp_path / f"{mod.__name__}.py"
    path.write_text("def f(x):\n    return x * x * x\n")
    os.utime(path, (os.stat(path).st_atime, os.stat(path).st_mtime + 5))  # a later mtime
    with pytest.raises(StaleSourceError) as info:
        grad(mod.f)
    message = str(info.value)
    assert str(path) in message and "reload" in message and "restart" in message


def test_lines_inserted_above_the_function_are_refused(tmp_path):
    mod = write_module(tmp_path, "def f(x):\n    return x * x\n")
    path = tmp_path / f"{mod.__name__}.py"
    path.write_text("import math\n\n\ndef g(y):\n    return y\n\n\ndef f(x):\n    return x * x\n")
    os.utime(path, (os.stat(path).st_atime, os.stat(path).st_mtime + 5))
    with pytest.raises(StaleSourceError):
        grad(mod.f)


def test_edited_helper_is_refused_too(tmp_path):
    mod = write_module(tmp_path, F_CALLS_H.format(body="x * x"))
    path = tmp_path / f"{mod.__name__}.py"
    path.write_text(textwrap.dedent(F_CALLS_H.format(body="x + x")))
    os.utime(path, (os.stat(path).st_atime, os.stat(path).st_mtime + 5))
    with pytest.raises(StaleSourceError):
        grad(mod.f)


def test_an_unedited_file_of_every_kind_of_function_is_accepted(tmp_path):
    mod = write_module(tmp_path, """\
        import numpy as np
        from adcompile import sigmoid

        K = 3.0


        def outer(a):
            def inner(x, y=2.0):
                t = a * x + K * np.sin(x)
                for i in range(3):
                    if t > 0.0:
                        t = t * y
                    else:
                        t = -t
                return sigmoid(t) + float("nan") * 0.0 if False else sigmoid(t)
            return inner


        class Model:
            @staticmethod
            def loss(w):
                return np.sum(w * w)


        square = lambda x: x * x  # noqa: E731
        """)
    assert np.isfinite(grad(mod.outer(1.5))(0.3))
    assert grad(mod.Model.loss)(np.array([1.0, 2.0])).tolist() == [2.0, 4.0]
    assert grad(mod.square)(3.0) == 6.0
