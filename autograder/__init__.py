"""Grading for the course: oracles, nbgrader preprocessors and the `make grade` driver.

Students never receive this package: it holds the reference computations.
"""
