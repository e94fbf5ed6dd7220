"""Print the first lines of an exported module (for docs/cli.md)."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from adcompile.cli import main  # noqa: E402

with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "grad_loss.py")
    main(["export", "examples/logistic_regression.py:loss", "--argnums", "0,1", "--out", out])
    with open(out) as f:
        text = f.read()
    text = text.replace(out, "grad_loss.py")
head = text.split("# Helpers the generated code calls")[0]
print(head.rstrip() + "\n\n\n# Helpers the generated code calls, copied here ...")
