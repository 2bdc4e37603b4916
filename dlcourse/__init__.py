"""Helpers that every course notebook imports.

Flat modules, one job each:

- ``dlcourse.env``      device choice, seeding, fast mode
- ``dlcourse.data``     offline datasets (shipped digits, generated 2-D sets)
- ``dlcourse.plots``    decision boundaries, training curves
- ``dlcourse.widgets``  slider explorers that also run headless
- ``dlcourse.checks``   visible self-checks with actionable messages
- ``dlcourse.grading``  the probe that records answers for the grader
- ``dlcourse.train``    the training loop (device-resident data, progress, history)
- ``dlcourse.kernel``   a kernel client for Validate and grading that polls in short slices

Nothing here contains an exercise's solution: students receive this package.
"""
from .env import device, fast_mode, pick, seed

__all__ = ["device", "fast_mode", "pick", "seed"]
__version__ = "0.1.0"
