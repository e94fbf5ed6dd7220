"""The command line on files it has never seen: show, export, swell, demo, and its errors."""
import os
import textwrap
import uuid

import pytest

from adcompile import cli
from clihelp import run_cli


@pytest.fixture
def model(tmp_path):
    """A module with a fresh name and fresh functions, written for this test only."""
    name = f"model_{uuid.uuid4().hex[:8]}"
    path = tmp_path / f"{name}.py"
    path.write_text(textwrap.dedent("""\
        import math
        import numpy as np
        from adcompile import sigmoid

        SCALE = np.array([1.0, 2.0])


        def helper(u):
            return u * u


        def score(a, b, c):
            t = a * b + math.sin(c)
            out = sigmoid(t) + helper(b)
            return out


        def weighted(w):
            return np.sum(SCALE * np.tanh(w))


        def broken(x):
            try:
                y = x
            except ValueError:
                y = 2 * x
            return y


        class Model:
            def energy(self, x):
                return x * x


        def lookup(x):
            d = {x}
            return len(d)


        def generated(x):
            yield x
        """))
    return path


def show(capsys, *args):
    assert cli.main(["show", *args]) == 0
    return capsys.readouterr().out


def test_show_reverse_is_the_default_and_annotated(model, capsys):
    out = show(capsys, f"{model}:score")
    assert out.startswith("def grad_score(a, b, c):")
    assert "# line 13: t = a * b + math.sin(c)" in out
    assert "# line 14: out = sigmoid(t) + helper(b)" in out
    assert "grad_a = " in out and "\x1b[" not in out


def test_show_options(model, capsys):
    flat = show(capsys, f"{model}:score", "--mode", "flat", "--no-annotate")
    assert flat.startswith("def score(a, b, c):") and "# line" not in flat
    forward = show(capsys, f"{model}:score", "--mode", "forward", "--argnums", "0,2")
    assert "def jvp_score(a, b, c, d_a, d_c):" in forward and "d_t = " in forward
    both = show(capsys, f"{model}:score", "--argnums", "0,1", "--no-annotate")
    assert "return (grad_a, grad_b)" in both
    raw = show(capsys, f"{model}:score", "--no-optimize", "--no-annotate")
    assert raw != show(capsys, f"{model}:score", "--no-annotate")
    assert "grad_out = 1.0" in raw
    every = show(capsys, f"{model}:score", "--argnums", "all", "--mode", "value_and_grad")
    assert "def value_and_grad_score(a, b, c):" in every
    coloured = show(capsys, f"{model}:score", "--color", "always")
    assert "\x1b[1;35mdef\x1b[0m" in coloured and "\x1b[1;33mgrad_a\x1b[0m" in coloured


def test_highlight_keeps_the_text():
    src = "def f(x):\n    # line 2: y = 1.5 * x\n    grad_x = 'a' if x else d_x\n    return x\n"
    coloured = cli.highlight(src)
    assert coloured != src
    import re
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == src


def test_subprocess_plain_when_piped_and_module_targets(model):
    done = run_cli("show", f"{model.stem}:weighted", "--mode", "forward", cwd=model.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("def jvp_weighted(w, d_w):") and "\x1b" not in done.stdout
    pkg = model.parent / "pkg_cli_test"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "losses.py").write_text("def sq(x):\n    return x * x\n")
    done = run_cli("show", "pkg_cli_test.losses:sq", "--no-annotate", cwd=model.parent)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("def grad_sq(x):") and "grad_x = " in done.stdout


@pytest.mark.parametrize("args, message", [
    (["show", "{dir}/missing.py:f"], "no such file: "),
    (["show", "{model}:nope"], "has no function 'nope'; functions defined there: "),
    (["show", "{model}"], "expected PATH.py:FUNC or package.module:FUNC"),
    (["show", "{model}:broken"], "try/except is not supported"),
    (["show", "{model}:score", "--argnums", "5"], "argnums 5 is out of range"),
    (["show", "{model}:score", "--argnums", "x"], "--argnums takes integers"),
    (["show", "no_such_module_xyz:f"], "no module named 'no_such_module_xyz'"),
    (["export", "{model}:SCALE", "--out", "{dir}/o.py"],
     "is not a function but a value of type ndarray"),
    (["show", "{model}:Model"], "is a class, not a function: name one of its methods, "
     "Model.energy"),
    (["show", "{model}:lookup"], "a set display {...} is not supported"),
    (["show", "{model}:generated"], "yield is not supported"),
])
def test_errors_are_one_line_and_exit_1(model, capsys, args, message):
    args = [a.format(model=model, dir=model.parent) for a in args]
    assert cli.main(args) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    err = captured.err
    assert err.startswith("adcompile: error: ") and err.count("\n") == 1, err
    assert message in err


def test_swell_says_loops_count_once_and_stops_sympy_in_time(tmp_path, capsys):
    pytest.importorskip("sympy")
    path = tmp_path / f"loops_{uuid.uuid4().hex[:8]}.py"
    path.write_text(textwrap.dedent("""\
        import math


        def short(x):
            for _ in range(3):
                x = x * x + 1.0
            return x


        def pendulum(theta):
            omega = 0.0
            for _ in range(100):
                omega = omega - 0.01 * math.sin(theta)
                theta = theta + 0.01 * omega
            return theta
        """))
    assert cli.main(["swell", f"{path}:short", "--no-timing"]) == 0
    assert "each loop body counts once" in capsys.readouterr().out
    assert cli.main(["swell", f"{path}:pendulum", "--no-timing", "--budget", "0.5"]) == 1
    err = capsys.readouterr().err
    assert "sympy had not finished with pendulum after 0.5 s" in err
    assert "its loop (for _ in range(100):)" in err and err.count("\n") == 1


def test_functions_listed_are_functions(model, capsys):
    assert cli.main(["show", f"{model}:nope"]) == 1
    listed = capsys.readouterr().err.split("functions defined there: ")[1].strip().split(", ")
    assert listed == ["broken", "generated", "helper", "lookup", "score", "weighted"]


def test_error_names_file_and_line(model, capsys):
    assert cli.main(["show", f"{model}:broken"]) == 1
    assert f"{model}:23: try/except" in capsys.readouterr().err


def test_syntax_error_in_the_users_file(tmp_path, capsys):
    bad = tmp_path / "bad_syntax_mod.py"
    bad.write_text("def f(x):\n    return x +\n")
    assert cli.main(["show", f"{bad}:f"]) == 1
    err = capsys.readouterr().err
    assert "SyntaxError" in err and f"{bad}:2" in err and err.count("\n") == 1


def test_subprocess_exit_codes(model):
    done = run_cli("show", f"{model}:nope")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "has no function 'nope'" in done.stderr
    done = run_cli("show", f"{model}:score", "--mode", "sideways")
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_export_command_writes_a_module(model, tmp_path, capsys):
    out = tmp_path / "exported_score.py"
    assert cli.main(["export", f"{model}:score", "--argnums", "0,1", "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    text = out.read_text()
    assert "def grad_score(a, b, c):" in text and "import adcompile" not in text
    namespace = {}
    exec(compile(text, str(out), "exec"), namespace)
    from adcompile import grad
    module = cli.load_target(f"{model}:score")
    assert namespace["grad_score"](0.5, 1.5, 0.2) == pytest.approx(
        grad(module, argnums=(0, 1))(0.5, 1.5, 0.2))


def test_demo(capsys):
    assert cli.main(["demo"]) == 0
    assert "grad_w0" in capsys.readouterr().out


def test_swell_command(model, tmp_path, capsys):
    pytest.importorskip("sympy")
    assert cli.main(["swell", f"{model}:score", "--no-timing"]) == 0
    out = capsys.readouterr().out
    assert "sympy.diff + cse" in out and "reverse mode (adcompile)" in out
    assert cli.main(["swell", "nested_sin", "--sweep", "n=1..3", "--markdown", "--no-timing"]) == 0
    out = capsys.readouterr().out
    assert "| n | expr | diff |" in out and "| 3 | 3 | 8 | 7 |" in out
    assert cli.main(["swell", "nested_sin"]) == 1
    assert "needs --sweep" in capsys.readouterr().err
    assert cli.main(["swell", "tangle", "--sweep", "n=1..2"]) == 1
    assert "unknown family 'tangle'" in capsys.readouterr().err
    assert cli.main(["swell", "logistic", "--sweep", "n=0..2"]) == 1


def test_swell_sweep_of_a_users_family(tmp_path, capsys):
    pytest.importorskip("sympy")
    fam = tmp_path / "fam_users.py"
    fam.write_text(textwrap.dedent("""\
        def power(n):
            def f(x):
                return x ** n
            return f
        """))
    assert cli.main(["swell", f"{fam}:power", "--sweep", "n=2..3", "--no-timing"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("power\n") and "\n3  " in out


def test_swell_plot(tmp_path, capsys):
    pytest.importorskip("sympy")
    pytest.importorskip("matplotlib")
    png = tmp_path / "swell.png"
    assert cli.main(["swell", "product", "--sweep", "n=2..3", "--no-timing",
                     "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_missing_sympy_says_what_to_install(model, monkeypatch, capsys):
    import sys
    monkeypatch.setitem(sys.modules, "sympy", None)  # import sympy now raises ImportError
    assert cli.main(["swell", f"{model}:score"]) == 1
    err = capsys.readouterr().err
    assert 'pip install "adcompile[swell]"' in err and err.count("\n") == 1


def test_missing_matplotlib_says_what_to_install(monkeypatch, capsys):
    pytest.importorskip("sympy")
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    assert cli.main(["swell", "product", "--sweep", "n=2", "--plot", "x.png"]) == 1
    assert "matplotlib" in capsys.readouterr().err


def test_parse_helpers():
    assert cli.parse_argnums("0") == 0
    assert cli.parse_argnums("0,2") == (0, 2)
    assert cli.parse_argnums("1,") == (1,)
    assert cli.parse_argnums("all") is None
    assert cli.parse_sweep("n=1..4") == [1, 2, 3, 4]
    assert cli.parse_sweep("2,4") == [2, 4]
    with pytest.raises(cli.CLIError):
        cli.parse_sweep("n=a..b")


def test_console_script_is_declared():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    with open(os.path.join(root, "pyproject.toml")) as f:
        assert 'adcompile = "adcompile.cli:main"' in f.read()


def test_refused_code_prints_file_line_message_and_no_traceback(model):
    done = run_cli("show", f"{model}:broken")
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"adcompile: error: {model}:23: try/except is not supported in " \
        "differentiated code; rewrite it or move it outside the function.\n"


def test_an_error_raised_while_importing_the_target_is_one_line(tmp_path):
    path = tmp_path / "grads_at_import.py"
    path.write_text("from adcompile import grad\n\n\ndef f(x):\n    del x\n    return 1.0\n\n\n"
                    "df = grad(f)\n")
    done = run_cli("show", f"{path}:f")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and \
        f"{path}:5: del of a name, an attribute or a slice is not supported" in done.stderr
