"""The disk cache of generated source: text only, used across processes, and never stale."""
import importlib
import json
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from adcompile import api, diskcache, grad, source

MODULE = '''
import numpy as np

W = np.array([1.0, 2.0, 3.0])
K = 2.0


def helper(x):
    return x * K


def f(x):
    return np.sum(W * helper(x))
'''


@pytest.fixture
def cached(tmp_path, monkeypatch):
    """A module `cachedmod` in a temporary folder, and the cache on in another."""
    monkeypatch.setenv("ADCOMPILE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.syspath_prepend(str(tmp_path))
    (tmp_path / "cachedmod.py").write_text(MODULE)
    sys.modules.pop("cachedmod", None)
    yield tmp_path
    sys.modules.pop("cachedmod", None)


def fresh(module):
    """Forget this process's in-memory cache: what comes next reads the disk cache."""
    (api.COMPILED if hasattr(api, "COMPILED") else api._CACHE).clear()  # renamed on main
    return module


def entries(folder):
    return sorted((folder / "cache").glob("*.json"))


def test_an_entry_is_text_and_is_used(cached):
    mod = importlib.import_module("cachedmod")
    assert grad(mod.f)(1.5) == pytest.approx(12.0)
    [path] = entries(cached)
    entry = json.loads(path.read_text())
    assert entry["source"] == source(grad(mod.f)) and entry["constants"] == [
        ["W", "cachedmod", "W"]]
    # a doctored entry proves the text is what is compiled the next time
    entry["text"] = re.sub(r"return [^#\n]*", "return 42.0 ", entry["text"])
    path.write_text(json.dumps(entry))
    assert grad(fresh(mod).f)(1.5) == 42.0


def test_constants_are_looked_up_again(cached):
    mod = importlib.import_module("cachedmod")
    grad(mod.f)(1.5)
    mod.W = np.array([1.0, 1.0, 1.0])  # same shape: the entry is stale anyway (its bytes)
    assert grad(fresh(mod).f)(1.5) == pytest.approx(6.0)


def test_an_edited_helper_is_not_served_from_the_cache(cached):
    mod = importlib.import_module("cachedmod")
    assert grad(mod.f)(1.5) == pytest.approx(12.0)
    (cached / "cachedmod.py").write_text(MODULE.replace("return x * K", "return x * K * K"))
    mod = importlib.reload(mod)
    assert grad(fresh(mod).f)(1.5) == pytest.approx(24.0)
    mod.K = 3.0  # a global number folded into the code
    assert grad(fresh(mod).f)(1.5) == pytest.approx(54.0)


def test_an_edited_function_of_an_imported_module_is_not_served(cached):
    (cached / "helpers.py").write_text("def g(x):\n    return x * 2.0\n")
    (cached / "usesmod.py").write_text("import helpers\n\n\ndef f(x):\n"
                                       "    return helpers.g(x) * x\n")
    sys.modules.pop("helpers", None)
    sys.modules.pop("usesmod", None)
    mod = importlib.import_module("usesmod")
    assert grad(mod.f)(1.5) == pytest.approx(6.0)
    (cached / "helpers.py").write_text("def g(x):\n    return x * 3.0\n")
    importlib.reload(sys.modules["helpers"])
    mod = importlib.reload(mod)
    assert grad(fresh(mod).f)(1.5) == pytest.approx(9.0)


def test_a_corrupt_entry_is_rebuilt(cached):
    mod = importlib.import_module("cachedmod")
    grad(mod.f)(1.5)
    [path] = entries(cached)
    path.write_text('{"format": 1, "text": "def grad_f(')
    assert grad(fresh(mod).f)(1.5) == pytest.approx(12.0)
    assert json.loads(path.read_text())["name"] == "grad_f"  # written again


def test_off_and_closures(cached, monkeypatch):
    k = 3.0

    def closure(x):
        return x * k
    assert grad(closure)(1.0) == 3.0 and not entries(cached)
    monkeypatch.setenv("ADCOMPILE_CACHE_DIR", "off")
    assert diskcache.folder() is None
    mod = importlib.import_module("cachedmod")
    grad(mod.f)(1.5)
    assert not entries(cached)


def test_location(monkeypatch):
    monkeypatch.delenv("ADCOMPILE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", "/somewhere")
    assert diskcache.folder() == os.path.join("/somewhere", "adcompile")


def test_across_processes(cached):
    script = textwrap.dedent("""
        import cachedmod
        from adcompile import grad
        print(grad(cachedmod.f)(1.5))
    """)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(cached), os.getcwd()]))
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env["PYTHONPATH"] += os.pathsep + root
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, cwd=root) for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["12.0", "12.0"], runs[0].stderr
    [path] = entries(cached)
    entry = json.loads(path.read_text())
    entry["text"] = re.sub(r"return [^#\n]*", "return 7.0 ", entry["text"])
    path.write_text(json.dumps(entry))
    again = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, cwd=root)
    assert again.stdout.strip() == "7.0", again.stderr


def test_the_key_covers_the_subpackages_modules(monkeypatch, tmp_path):
    """The key hashed adcompile's top-level modules only, so a change to lowering
    (adcompile/lower/*.py) served derivatives generated by the old lowering (a wrong value)."""
    import shutil

    import adcompile
    from adcompile import diskcache
    package = os.path.dirname(adcompile.__file__)
    copy = tmp_path / "adcompile"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(diskcache, "__file__", str(copy / "diskcache.py"))
    monkeypatch.setattr(diskcache, "_OWN", [])
    before = diskcache._own_source()
    with open(copy / "lower" / "loops.py", "a") as file:
        file.write("\n# changed\n")
    monkeypatch.setattr(diskcache, "_OWN", [])
    assert diskcache._own_source() != before
