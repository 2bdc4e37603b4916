"""The course hub: JupyterHub + nbgrader exchange recipe (see README, "Running a class on JupyterHub")."""
