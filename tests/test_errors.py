"""Honest errors and an honest cache: derivatives of real module files, edited files, the frames an
error shows, and where a failure inside generated code points."""
import importlib.util
import math
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


def test_an_unedited_file_is_checked_without_disassembling(tmp_path, monkeypatch):
    """The running code and the file's text compile to the same bytes (modules imported as in
    the file, so math.cos(x) compiles alike on 3.11): no dis, which cost 0.15 s of a 3000-line
    build."""
    mod = write_module(tmp_path, """\
        import math
        import numpy as np


        def outer(a):
            def inner(x):
                return np.sum(math.cos(a) * np.sin(x))
            return inner


        def f(x):
            return math.sin(x) * np.tanh(x) + math.cos(x)
        """)
    import adcompile.parse
    monkeypatch.setattr(adcompile.parse, "_fingerprint", None)  # called: TypeError
    assert grad(mod.f)(0.5) == pytest.approx(math.cos(0.5) * math.tanh(0.5) - math.sin(0.5)
                                             + math.sin(0.5) / math.cosh(0.5) ** 2)
    assert grad(mod.outer(0.2))(0.5) == pytest.approx(math.cos(0.2) * math.cos(0.5))


@pytest.mark.parametrize("edited", ["x * 2", "x * -0.0"])
def test_a_constant_edited_to_an_equal_one_is_refused(tmp_path, edited):
    """2.0 == 2 and 0.0 == -0.0, with the same bytes: compared by type and repr."""
    mod = write_module(tmp_path, "def f(x):\n    return x * 2.0\n" if edited == "x * 2" else
                       "def f(x):\n    return x * 0.0\n")
    path = tmp_path / f"{mod.__name__}.py"
    path.write_text(f"def f(x):\n    return {edited}\n")
    os.utime(path, (os.stat(path).st_atime, os.stat(path).st_mtime + 5))
    with pytest.raises(StaleSourceError):
        grad(mod.f)


# --- 3. no frames of ours in front of an error ----------------------------------------------
def refused(x):
    try:
        y = x * x
    except ValueError:
        y = x
    return y


REFUSED_LINE = refused.__code__.co_firstlineno + 1
X = np.array([1.0, 2.0])
ENTRY_POINTS = {
    "grad": lambda: grad(refused),
    "grad_decorator": lambda: grad(argnums=0)(refused),
    "value_and_grad": lambda: value_and_grad(refused),
    "jvp": lambda: jvp(refused, (X,), (X,)),
    "vjp": lambda: vjp(refused, X),
    "jacfwd": lambda: jacfwd(refused)(X),
    "jacrev": lambda: jacrev(refused)(X),
    "hessian": lambda: hessian(refused)(X),
    "hvp": lambda: adcompile.hvp(refused, (X,), (X,)),
    "check_grads": lambda: adcompile.check_grads(refused, (X,)),
    "source": lambda: source(refused),
    "source_forward": lambda: source(refused, mode="forward"),
    "export": lambda: adcompile.export(refused, os.devnull),
}


def adcompile_frames(tb):
    return [fs for fs in traceback.extract_tb(tb) if fs.filename.startswith(PACKAGE + os.sep)]


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_a_refused_construct_shows_no_internal_frames(name):
    with pytest.raises(ADCompileError) as info:
        ENTRY_POINTS[name]()
    ours = adcompile_frames(info.value.__traceback__)
    assert len(ours) <= 1, [f"{fs.filename}:{fs.lineno}" for fs in ours]
    text = "".join(traceback.format_exception(info.value))
    for internal in ("lower.py", "reverse.py", "forward.py", "parse.py", "optimize.py"):
        assert internal not in text, text
    assert f"{__file__}:{REFUSED_LINE}: try/except is not supported" in text


def test_an_argument_error_from_an_entry_point_is_trimmed_too():
    with pytest.raises(ADCompileError) as info:
        grad(lambda x, y: x * y, argnums=5)
    assert len(adcompile_frames(info.value.__traceback__)) <= 1


def test_a_registration_error_is_trimmed():
    def no_rule(x):
        return x

    with pytest.raises(ADCompileError) as info:
        adcompile.defvjp(no_rule, "g * undefined_name_xyz(x)")
    assert len(adcompile_frames(info.value.__traceback__)) <= 1, \
        "".join(traceback.format_exception(info.value))


def test_uncaught_error_in_a_script_prints_the_users_line_and_one_entry_frame(tmp_path):
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent("""\
        from adcompile import grad


        def f(x):
            with open("x"):
                return x


        grad(f)
        """))
    done = run_python(script)
    assert done.returncode == 1
    assert f"{script}:5: with is not supported" in done.stderr
    assert f'File "{script}", line 9' in done.stderr
    frames = [ln for ln in done.stderr.splitlines() if ln.strip().startswith("File ")]
    assert len(frames) == 2, done.stderr  # the script's line, then grad


def run_python(script, cwd=None):
    import subprocess
    root = os.path.dirname(PACKAGE)
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, str(script)], cwd=cwd or script.parent, env=env,
                          capture_output=True, text=True, timeout=120)


# --- 4. an error while a derivative runs names the user's line ------------------------------
MODEL = """\
    import numpy as np


    def loss(w, X):
        z = X @ w
        return np.sum(z * z)
    """


def test_shape_error_in_a_generated_gradient_names_the_users_line(tmp_path):
    mod = write_module(tmp_path, MODEL)
    df = grad(mod.loss)
    with pytest.raises(ValueError) as info:
        df(np.ones(3), np.ones((2, 4)))
    text = "".join(traceback.format_exception(info.value))
    assert f"z = X @ w  # {mod.__name__}.py:5" in text, text
    assert "# " not in source(df) and "z = X @ w\n" in source(df)  # source(df) stays plain


def test_generated_line_text_shows_in_a_plain_script_traceback(tmp_path):
    (tmp_path / "model.py").write_text(textwrap.dedent(MODEL))
    script = tmp_path / "train.py"
    script.write_text("import numpy as np\nfrom adcompile import grad\nfrom model import loss\n\n"
                      "grad(loss)(np.ones(3), np.ones((2, 4)))\n")
    done = run_python(script)
    assert done.returncode == 1
    assert "    z = X @ w  # model.py:5\n" in done.stderr, done.stderr


def test_line_n_of_the_compiled_text_is_line_n_of_source(tmp_path):
    mod = write_module(tmp_path, """\
        import numpy as np


        def f(x, n):
            for i in range(n):
                if x > 0.0:
                    x = np.sin(x) * 2.0
                else:
                    x = x * x
            return x
        """)
    from adcompile.api import compile_derivative
    for df in (grad(mod.f), value_and_grad(mod.f), compile_derivative(grad(mod.f), "forward")):
        shown = inspect_lines(df)
        plain = source(df).splitlines()
        assert len(shown) == len(plain)
        assert all(s.startswith(p) for s, p in zip(shown, plain))
        assert any(f"# {mod.__name__}.py:7" in s for s in shown), shown


def test_second_order_code_names_the_users_line_not_the_first_order_code(tmp_path):
    mod = write_module(tmp_path, "import numpy as np\n\n\ndef f(x):\n    return np.sin(x) * x\n")
    shown = "\n".join(inspect_lines(grad(grad(mod.f))))
    assert f"# {mod.__name__}.py:5" in shown and "grad_f-" not in shown, shown


SECOND_ORDER_REFUSED = """\
    import numpy as np

    import adcompile


    def bump(x):
        return np.exp(-x * x)


    adcompile.defvjp(bump, "g * np.i0(x) * -2.0 * x * np.exp(-x * x) / np.i0(x)")


    def f(x):
        y = x * 3.0
        return bump(y) + y
    """


def test_a_refusal_in_derivative_code_differentiated_again_names_the_users_line(tmp_path):
    """Differentiated again, the derivative code is what lowering reads: a refusal there named
    the generated file (/tmp/adcompile-0/grad_f-1a2b3c4d.py:9), a file the user never wrote."""
    mod = write_module(tmp_path, SECOND_ORDER_REFUSED)
    assert grad(mod.f)(0.5) == pytest.approx(3.0 * -2.0 * 1.5 * np.exp(-2.25) + 3.0)
    for second in (lambda: grad(grad(mod.f)), lambda: hessian(mod.f),
                   lambda: jacfwd(grad(mod.f))):
        with pytest.raises(ADCompileError) as e:
            second()(0.5)
        message = str(e.value)
        assert e.value.filename == mod.__file__ and e.value.line == 15, message
        assert "np.i0" in message or "forward-mode rule for bump" in message, message
        assert "differentiated again" in message, message
        assert "grad_bump" not in message and "adcompile-" not in message, message


ONE_MODE_ONLY = """\
    import numpy as np

    import adcompile


    def bell(x):
        return np.exp(-x * x)


    def ramp(x):
        return x * x


    adcompile.defvjp(bell, "g * -2.0 * x * ans")
    adcompile.defjvp(ramp, "t * 2.0 * x")


    def f(x):
        y = bell(x) * 2.0
        return ramp(y) + y
    """


def test_a_rule_for_one_mode_only_is_refused_in_the_other_at_the_users_line(tmp_path):
    """A function given only a reverse-mode rule (defvjp) is refused in forward mode, and the
    other way round; the refusal had no place at all ('no forward-mode rule for bell')."""
    mod = write_module(tmp_path, ONE_MODE_ONLY)
    for make, missing, line in [
            (lambda: jvp(mod.f, (0.5,), (1.0,)), "forward-mode rule for bell", 19),
            (lambda: grad(mod.f)(0.5), "reverse-mode rule for ramp", 20)]:
        with pytest.raises(ADCompileError, match=missing) as e:
            make()
        assert e.value.filename == mod.__file__ and e.value.line == line, str(e.value)


def inspect_lines(df):
    """The text tracebacks show for `df`, a line a string."""
    import linecache
    return [line.rstrip("\n") for line in linecache.getlines(df.__code__.co_filename)]


def test_edited_closure_and_method_are_refused(tmp_path):
    text = """\
        def make(c):
            def inner(x):
                return c * x {op} x
            return inner


        class Model:
            def loss(self, w):
                return w {op} w
        """
    mod = write_module(tmp_path, text.format(op="*"))
    assert grad(mod.make(2.0))(1.0) == 4.0
    path = tmp_path / f"{mod.__name__}.py"
    path.write_text(textwrap.dedent(text.format(op="+")))
    os.utime(path, (os.stat(path).st_atime, os.stat(path).st_mtime + 5))
    g = mod.make(3.0)  # a new closure: not in the cache
    with pytest.raises(StaleSourceError):
        grad(g)
    with pytest.raises(StaleSourceError):
        grad(mod.Model.loss, argnums=1)


# --- 4. messages name constructs in words ---------------------------------------------------
REFUSED = {  # a body, and the words its message uses
    "match x:\n    case [a, b]:\n        y = a\n    case _:\n        y = 2 * x":
        "a match statement with a sequence pattern (case [a, b])",  # (literals are if/elif)
    "y: float": "an annotation without a value (y: float) of a name the function reads but "
                "never assigns",  # (one it assigns too does nothing: dropped)
    "y = {x}": "a set display {...} is not supported",
}
if sys.version_info >= (3, 11):
    REFUSED["try:\n    y = x\nexcept* ValueError:\n    y = x"] = "try/except* is not supported"
if sys.version_info >= (3, 12):
    REFUSED["type T = float\ny = x"] = "a type alias (type X = ...) is not supported"


@pytest.mark.parametrize("body", sorted(REFUSED))
def test_a_refused_construct_is_named_in_words(tmp_path, body):
    mod = write_module(tmp_path, "def f(x):\n" + textwrap.indent(body, "    ") +
                       "\n    return y\n")
    with pytest.raises(ADCompileError) as e:
        grad(mod.f)
    message = str(e.value)
    assert REFUSED[body] in message
    ast_names = {"Match", "AnnAssign", "Set", "Dict", "JoinedStr", "GeneratorExp", "ListComp",
                 "DictComp", "TryStar", "TypeAlias"}
    assert not ast_names & set(message.replace(".", " ").split()), message


def test_a_lambda_whose_line_cannot_be_parsed_alone_is_refused_by_name():
    """On Python 3.10 a lambda is found by its line only; for a lambda inside a `for` header
    that line is not a statement, and parsing it raised a bare SyntaxError (IndentationError)
    from adcompile's internals. Where it cannot be found it is refused, naming it; where the
    Python has the lambda's column (3.11 on) it is differentiated."""
    from adcompile import SourceUnavailableError
    for f, x in [(lambda x: x * x * x, 0.5)]:
        try:
            assert math.isclose(grad(grad(f))(x), 6 * x)
        except SourceUnavailableError as e:
            assert "lambda" in str(e) and sys.version_info < (3, 11)


# --- 5. a failure inside a library's source names the user's call ----------------------------
LIBRARY_USER = """\
    import statistics

    import helperlib


    def f(x):
        y = x * 2.0
        return helperlib.smooth(y) + x


    def g(x):
        return statistics.geometric_mean([x, x * x]) * x
    """


def test_a_failure_inside_an_installed_package_names_the_users_call(tmp_path, monkeypatch):
    """A function without a rule is differentiated through its Python source, also a library's
    (NumPy's np.tril_indices, the standard library's). When that fails inside the library, the
    error named the library's file and line (numpy/lib/_twodim_base_impl.py:433), which the user
    cannot change and which does not say where their code called it."""
    from adcompile.lower import changes
    site = tmp_path / "site-packages"
    (site / "helperlib").mkdir(parents=True)
    (site / "helperlib" / "__init__.py").write_text(textwrap.dedent("""\
        def smooth(x):
            try:
                return x * x
            except ValueError:
                return x
        """))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setattr(changes, "LIBRARY", changes.LIBRARY + (str(site) + os.sep,))
    mod = write_module(tmp_path, LIBRARY_USER)
    for fn, line, inside in [(mod.f, 8, "helperlib/__init__.py:2"), (mod.g, 12, "statistics.py:")]:
        with pytest.raises(ADCompileError) as e:
            grad(fn)(0.3)
        message = str(e.value)
        assert e.value.filename == mod.__file__ and e.value.line == line, message
        assert message.startswith(f"{mod.__file__}:{line}: "), message
        assert inside in message and "is not supported" in message, message
        assert "outside the differentiated function" in message, message
    monkeypatch.delitem(sys.modules, "helperlib")


def test_a_failure_inside_the_users_own_helper_keeps_the_helpers_line(tmp_path):
    mod = write_module(tmp_path, """\
        def h(x):
            try:
                return x * x
            except ValueError:
                return x


        def f(x):
            return h(x) * 2.0
        """)
    with pytest.raises(ADCompileError) as e:
        grad(mod.f)(0.3)
    assert e.value.filename == mod.__file__ and e.value.line == 2, str(e.value)


# --- checks that generated code runs (grad of a vector, of a string): no place before ------------
def doubles(x):
    return x * 2.0


def repeats(x, y):
    return x * y


def test_run_time_checks_name_the_users_line():
    from adcompile import ArgumentError, grad
    with pytest.raises(ArgumentError) as info:
        grad(doubles)(np.ones(3))
    line = doubles.__code__.co_firstlineno + 1
    assert str(info.value).startswith(f"{__file__}:{line}: grad needs a scalar output")
    with pytest.raises(ArgumentError) as info:
        grad(repeats)("a", 3)
    assert str(info.value).startswith(f"{__file__}:{repeats.__code__.co_firstlineno + 1}: ")


def slope_energy(a):
    t = np.linspace(0.0, 1.0, 11) * a
    y = np.sin(np.linspace(0.0, 1.0, 11))
    return np.sum(np.gradient(y, t) ** 2)


def test_a_rule_that_does_not_hold_at_run_time_names_the_users_line():
    """np.gradient's reverse rule holds for scalar spacings: with an array, the derivative code
    raised a bare NotImplementedError from adcompile's runtime. (Constant coordinates have a
    rule since; differentiated ones are refused where the code runs.)"""
    from adcompile import NoDerivativeError, grad
    with pytest.raises(NoDerivativeError) as info:
        grad(slope_energy)(0.6)
    assert isinstance(info.value, NotImplementedError)
    line = slope_energy.__code__.co_firstlineno + 3
    assert str(info.value).startswith(f"{__file__}:{line}: np.gradient has a derivative with "
                                      "respect to its spacing for one axis")


def two_or_one(x, c):
    if c > 0:
        return x * 2.0, x
    for _ in range(2):
        if x > 5.0:
            return x
        x = x * 2.0
    return x


def test_returning_different_numbers_of_values_names_the_returns():
    """The refusal named only the line where the paths joined, not what each returns."""
    from adcompile import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError) as info:
        grad(two_or_one)(1.0, 1.0)
    first = two_or_one.__code__.co_firstlineno
    assert f"line {first + 2}: `return x * 2.0, x` (2 values)" in str(info.value)
    assert f"line {first + 5}: `return x` (1 value)" in str(info.value)


def max_by_default(x):
    return max(x, 2.0 * x, default=0.0)  # (Python: a TypeError, with two operands)


def test_a_keyword_of_a_builtin_is_refused_without_naming_its_operands_as_keywords():
    """max(xs, key=...) was refused with "supported keywords: x, y" (max has no such keywords;
    key= and default= of one sequence are taken now)."""
    from adcompile import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="default= of max.*supported keywords: none"):
        grad(max_by_default)(1.5)


def rows_applied(X):
    return np.sum(np.apply_along_axis(lambda r: np.sum(r ** 2), 1, X))


def pieces(x):
    return np.sum(np.piecewise(x, [x < 0, x >= 0], [lambda t: t ** 2, lambda t: np.sin(t)]))


@pytest.mark.parametrize("f, name", [(rows_applied, "np.apply_along_axis"),
                                     (pieces, "np.piecewise")])
def test_a_function_passed_to_a_library_function_is_refused_by_that_function(f, name):
    """It was refused as "a lambda is used as a value computed at run time"."""
    from adcompile import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match=f"passing a function to {name}"):
        grad(f)(np.ones((2, 2)))


def array_copied(x): return np.sum(np.array(x, copy=True))
def power_typed(x): return np.sum(np.power(x, 2.0, dtype=float))


def test_an_unsupported_keyword_names_the_function_as_the_user_wrote_it():
    """The refusal named adcompile's primitive: "the argument copy= of array_list", "dtype= of
    pow"."""
    from adcompile import UnsupportedSyntaxError
    with pytest.raises(UnsupportedSyntaxError, match="copy= of np.array is not supported"):
        grad(array_copied)(np.ones(3))
    with pytest.raises(UnsupportedSyntaxError, match="dtype= of np.power is not supported"):
        grad(power_typed)(np.ones(3))


def sine_times_first(x): return np.sin(x) * x[0]
def summed_jacobian(x): return np.sum(jacfwd(sine_times_first)(x))
def summed_jvp(x): return jvp(sine_times_first, (x,), (x,))[1][0]


def test_adcompile_called_inside_is_refused_at_the_users_line():
    """jacfwd, jvp, vjp, hessian called inside a differentiated function were inlined as the
    user's code: refused at adcompile's own errors.py:123 ("try/except is not supported").
    jvp and vjp are taken there now (test_inside_found.py), Jacobians still refused."""
    from adcompile import UnsupportedSyntaxError
    x = np.array([0.3, -1.2, 0.8])
    with pytest.raises(UnsupportedSyntaxError, match=r"test_errors.py:\d+: calling "
                                                     r"adcompile.jacfwd"):
        grad(summed_jacobian)(x)
    assert grad(summed_jvp)(x) == pytest.approx(
        [3 * 0.3 * np.cos(0.3) + np.sin(0.3) - 0.3 ** 2 * np.sin(0.3), 0, 0])


def cubed(w): return w ** 3
def second_derivative_inside(w): return grad(grad(cubed))(w) * w


def test_a_derivative_of_a_derivative_called_inside_still_works():
    """The refusal of adcompile's own functions read the module of grad(f), a generated function
    whose __module__ is None: AttributeError."""
    assert grad(second_derivative_inside)(0.5) == pytest.approx(12 * 0.5)
