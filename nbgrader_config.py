"""nbgrader configuration for the course repository (read from the repository root).

Layout: solutions/ is nbgrader's source, course/ its release; submissions, autograded
copies, feedback and the gradebook live under autograder/ (git-ignored run outputs).
"""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # so nbgrader can import the autograder package

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

# A submission's timestamp comes from its collection (make grade sets DLCOURSE_TIMESTAMP),
# never from a timestamp.txt the student put in the folder (autograder/collection.py).
from autograder.collection import install as _use_collection_timestamps  # noqa: E402

_use_collection_timestamps()

c.CourseDirectory.root = str(ROOT)
c.CourseDirectory.course_id = "dlcourse"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "course"
c.CourseDirectory.submitted_directory = "autograder/submitted"
c.CourseDirectory.autograded_directory = "autograder/autograded"
c.CourseDirectory.feedback_directory = "autograder/feedback"
c.CourseDirectory.solution_directory = "autograder/solution"
c.CourseDirectory.db_url = f"sqlite:///{ROOT / 'autograder' / 'gradebook.db'}"
# Only notebooks are assignments; data and helpers come from the dlcourse package.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", ".*"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Sanitising a submission: nbgrader's steps, plus one that drops broken nbgrader metadata
# (a duplicated or hand-edited graded cell) and one that gives every graded cell the gradebook's
# metadata and type (autograder/metadata.py), so the real cell is restored and graded.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "autograder.preprocessors.DropMalformedMetadata",
    "autograder.metadata.RestoreCellMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Grading: draw fresh cases, run the notebook, then let the oracle decide each test cell.
# The kernel never gets a hidden line: HideHiddenTests swaps each hidden block for a generic
# call before execution, RestoreHiddenTests puts the source back after (autograder/hidden.py).
c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.InjectCases",
    "autograder.hidden.HideHiddenTests",
    "autograder.sandbox.SandboxedExecute",
    "autograder.hidden.RestoreHiddenTests",
    "autograder.preprocessors.OracleVerdict",
    "autograder.sanitize.SanitizeOutputs",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Execute.timeout = 120  # seconds per cell
c.Execute.interrupt_on_timeout = True
# Each kernel runs in a bubblewrap sandbox (see autograder/sandbox.py) with the limits of
# SandboxLimits there (memory 4 GiB, 900 CPU seconds, 128 processes, one core; the memory and
# processes bound each sandbox as a whole by a cgroup where one can be written, with a warning
# and rlimits only where not). Override any here, e.g. c.SandboxedExecute.memory_limit_mb = 2048,
# process_limit, cpu_time_limit, cpus, notebook_timeout (1800 s); `make grade ARGS=--unsandboxed`
# turns the sandbox off (trusted submissions only).
c.SandboxedExecute.sandbox = True
c.SandboxedExecute.cgroups = True
# Once the last cell has run, the kernel is killed with its sandbox, not asked to shut down
# (nothing of it is kept; a polite shutdown cost about 1 s per submission).
c.SandboxedExecute.shutdown_kernel = "immediate"
# Output a kernel may leave is capped in bytes as it arrives, per cell and per notebook: the
# limits are OutputLimits in autograder/outputs.py (c.SandboxedExecute.cell_output_bytes etc.).
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning"  # a warning on stderr never costs points
c.OverwriteCells.add_missing_cells = True  # a deleted graded cell is restored and graded

# Feedback shows verdicts, never the hidden part of a test cell; after each written answer it
# shows the model answer and rubric from solutions/ (autograder/written.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.written.ShowModelAnswers",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
c.ClearHiddenTests.enforce_metadata = False
# Markdown cells and outputs are sanitised by nbconvert in feedback and formgrader too; make
# grade then strips every script from the feedback and audits it (autograder/sanitize.py).
c.HTMLExporter.sanitize_html = True
