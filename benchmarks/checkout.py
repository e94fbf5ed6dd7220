"""Imported first by every benchmark: the timings are of this checkout's adcompile, not of a
copy installed in site-packages (the script's folder, not the repository, is on sys.path), and
NumPy runs one BLAS thread (on a 2-core machine a second thread spin-waits against whatever else
runs and makes timings swing by 100x; both sides of every ratio run with the same setting)."""
import os
import sys

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if sys.path[:1] != [ROOT]:
    sys.path.insert(0, ROOT)
