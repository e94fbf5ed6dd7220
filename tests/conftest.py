import os
import sys

sys.path.insert(0, os.path.dirname(__file__))

from hypothesis import settings  # noqa: E402

# On CI the drawn inputs are the same every run, so a result does not depend on luck; locally
# hypothesis keeps exploring new inputs.
settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
