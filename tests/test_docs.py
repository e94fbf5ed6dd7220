"""The docs cover every public name, their links resolve, and their listings are up to date."""
import os
import re
import subprocess
import sys

import adcompile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


def read(name):
    with open(os.path.join(ROOT, name), encoding="utf-8") as f:
        return f.read()


def test_every_public_name_has_an_entry_in_the_api_reference():
    api = read("docs/api.md")
    missing = [n for n in adcompile.__all__ if f"### `{n}`" not in api]
    assert not missing, f"document these in docs/api.md: {missing}"


def test_relative_links_resolve():
    for name in ["README.md"] + [f"docs/{n}" for n in os.listdir(DOCS) if n.endswith(".md")]:
        folder = os.path.dirname(os.path.join(ROOT, name))
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", read(name)):
            assert os.path.exists(os.path.join(folder, target)), f"{name} links to {target}"


def test_readme_keeps_the_two_commands():
    readme = read("README.md")
    assert "pip install . && python -m adcompile demo" in readme
    assert 'pip install ".[test]" && python -m pytest -q' in readme


def test_listings_are_generated_and_current():
    """Code listings in docs/ come from running the tool; after a change to code generation,
    run `python docs/generate.py` to refresh them."""
    done = subprocess.run([sys.executable, os.path.join(DOCS, "generate.py"), "--check"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


GENERATED = re.compile(r"^<!-- (run|include) .*?^<!-- end -->\n", re.M | re.S)
SIGNATURE = re.compile(r"^(\w+)(\(.*\))$")  # what stands before any "  ->  result"


BLOCK = re.compile(r"^(<!-- partial -->\n)?```python\n(.*?)^```", re.M | re.S)


def python_blocks(partial=False):
    """(file, code) of every ```python block in README.md and docs/ that no generator wrote;
    the fragments marked `<!-- partial -->` on the line before instead, with `partial`."""
    for name in ["README.md"] + sorted(f"docs/{n}" for n in os.listdir(DOCS) if n.endswith(".md")):
        for mark, code in BLOCK.findall(GENERATED.sub("", read(name))):
            if bool(mark) == partial:
                yield name, code


def plain_signature(fn):
    import inspect
    sig = inspect.signature(fn)
    params = [p.replace(annotation=inspect.Parameter.empty) for p in sig.parameters.values()]
    return str(sig.replace(parameters=params, return_annotation=inspect.Signature.empty))


def test_signatures_in_the_docs_are_the_real_ones():
    checked = 0
    for name, code in python_blocks():
        lines = code.strip().splitlines()
        m = SIGNATURE.match(lines[0].split("  ->  ")[0]) if len(lines) == 1 else None
        if m and hasattr(adcompile, m.group(1)):
            assert m.group(2) == plain_signature(getattr(adcompile, m.group(1))), \
                f"{name}: {m.group(1)}{m.group(2)} is documented, the code says " \
                f"{m.group(1)}{plain_signature(getattr(adcompile, m.group(1)))}"
            checked += 1
    assert checked >= 15


def test_every_sample_runs(tmp_path):
    """Each ```python sample that is not a one-line signature runs as a script of its own (put
    `<!-- partial -->` on the line before a fragment that cannot: it is only compiled)."""
    ran = 0
    for k, (name, code) in enumerate(python_blocks()):
        lines = code.strip().splitlines()
        if len(lines) == 1 and SIGNATURE.match(lines[0].split("  ->  ")[0]):
            continue
        path = tmp_path / f"sample_{k}.py"
        path.write_text(code)
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        done = subprocess.run([sys.executable, str(path)], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"the sample in {name} fails:\n{code}\n{done.stderr}"
        ran += 1
    assert ran >= 3
    for name, code in python_blocks(partial=True):  # fragments: they compile at least
        compile(code, name, "exec")
    marked = "<!-- partial -->\n```python\nf(x)\n```\n\n```python\nprint(1)\n```\n"
    assert BLOCK.findall(marked) == [("<!-- partial -->\n", "f(x)\n"), ("", "print(1)\n")]


def test_every_helper_in_a_tutorial_listing_is_explained():
    """A name from adcompile's runtime that a tutorial listing calls is named in the prose too."""
    from adcompile.primitives import NAMESPACE
    public = set(adcompile.__all__) | {"np", "math"}
    text = read("docs/tutorial.md")
    listings = "".join(m.group(0) for m in GENERATED.finditer(text))
    used = {n for n in re.findall(r"\b\w+\b", listings)
            if n in NAMESPACE and n not in public or n == "floats_only"}
    prose = GENERATED.sub("", text)
    missing = sorted(n for n in used if f"`{n}" not in prose)
    assert not missing, f"explain these helpers in docs/tutorial.md: {missing}"
    # where it first appears: in the prose of the section whose listing first calls it
    sections = re.split(r"^## ", text, flags=re.M)
    for name in sorted(used):
        pattern = rf"\b{name}\b"
        first = next(s for s in sections if any(re.search(pattern, m.group(0))
                                                 for m in GENERATED.finditer(s)))
        assert f"`{name}" in GENERATED.sub("", first), \
            f"docs/tutorial.md: explain {name} in the section where a listing first calls it, " \
            f"{first.splitlines()[0]!r}"
