"""Test-wide settings: fast mode, a headless plot backend, one torch thread per worker.

At the repository root so that every run gets them, `pytest solutions/05-cnn` too.

These are set before any kernel starts, so notebook kernels (nbval, grading) inherit
them. One thread per process: with two xdist workers on a 2-core machine, more
threads only contend.
"""
import os
from pathlib import Path

os.environ["DLCOURSE_FAST"] = "1"
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.pop("DLCOURSE_CASES", None)  # never inherit a grading run's cases

ROOT = Path(__file__).resolve().parent
