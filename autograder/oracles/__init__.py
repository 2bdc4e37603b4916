"""One oracle module per assignment: ``01-perceptron`` -> ``01_perceptron.py``."""
