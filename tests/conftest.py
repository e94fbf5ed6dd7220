import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
# The disk cache of generated source is off in the tests (tests/test_diskcache.py turns it on in
# a temporary folder): every test sees the code this checkout generates.
os.environ.setdefault("ADCOMPILE_CACHE_DIR", "off")

from hypothesis import settings  # noqa: E402

# On CI the drawn inputs are the same every run, so a result does not depend on luck; locally
# hypothesis keeps exploring new inputs.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
