"""Publishing the course beyond this repository (instructor tools; students never need them).

- ``publish.settings``      the one setting: the public student repository, and the URLs made from it
- ``publish.colab``         the Colab badge and install cells that `make release` puts on every notebook
- ``publish.student_dist``  `make student-dist`: notebooks, wheel, student README and Makefile
- ``publish.leaks``         the scan that proves a folder holds no solution, hidden test or oracle
- ``publish.site``          `make site`: the course website (Sphinx, myst-nb), built offline
"""
