"""Bounded outputs: what a student's kernel prints or displays is capped as it arrives.

:class:`CappedExecute` is nbgrader's ``Execute`` with a byte budget applied to every
output message in nbclient's message handler, before the output is stored, so that a
notebook that prints or displays hundreds of megabytes neither bloats the autograded
notebook and its feedback nor keeps that much in the grader's memory. Streams, display
data (images, HTML, anything), results, errors' tracebacks and widget messages all
count; where something is cut, the cell gets one note saying so. A message the kernel
sends that nbclient cannot handle (a forged display or widget message) is dropped with
a note instead of stopping the notebook.

The probe record of a graded test cell (``dlcourse.grading.PROBE_MIME``) is the one
exception: the grader needs it, so it has its own, larger budget.
"""
from __future__ import annotations

from dataclasses import dataclass

from jupyter_client.session import json_unpacker
from nbclient.exceptions import CellExecutionComplete
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from nbgrader.utils import is_grade, is_solution
from traitlets import Integer

from dlcourse.grading import PROBE_MIME

CAPPED_MESSAGES = {"stream", "display_data", "execute_result", "error", "update_display_data",
                   "comm_open", "comm_msg"}
NOTE_PREFIX = "[grader] "
MAX_KEPT_EVALUE = 500  # of an error past the budget


@dataclass(frozen=True)
class OutputLimits:
    """Byte budgets for what one notebook's kernel may leave in the graded notebook."""

    cell_bytes: int = 1_000_000
    """Outputs of one cell (streams, displays, results, tracebacks), in bytes."""
    notebook_bytes: int = 5_000_000
    """Outputs of the whole notebook, widget messages included, in bytes."""
    probe_bytes: int = 32_000_000
    """The probe record of one graded test cell (the answers the grader judges), in bytes."""


DEFAULTS = OutputLimits()


def payload_bytes(value) -> int:
    """Approximate size in bytes of a message's JSON content (strings UTF-8), without copying it."""
    total, stack = 0, [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            total += len(item) if item.isascii() else len(item.encode("utf-8", "surrogatepass"))
        elif isinstance(item, (bytes, bytearray, memoryview)):
            total += len(item)
        elif isinstance(item, dict):
            total += 2 * len(item)
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            total += len(item) + 2
            stack.extend(item)
        else:
            total += 8
    return total


def is_test_cell(cell) -> bool:
    return cell.get("cell_type") == "code" and is_grade(cell) and not is_solution(cell)


class OutputBudget:
    """Bytes kept so far, per cell and per notebook; decides what of each message is kept."""

    def __init__(self, limits: OutputLimits):
        self.limits = limits
        self.notebook = 0
        self.cells: dict[int, int] = {}
        self.probes: dict[int, int] = {}
        self.cut: set[int] = set()

    def clear(self, cell_index: int) -> None:
        """The cell's outputs were cleared: what they held no longer counts."""
        self.notebook -= self.cells.pop(cell_index, 0)

    def room(self, cell_index: int) -> int:
        return max(0, min(self.limits.cell_bytes - self.cells.get(cell_index, 0),
                          self.limits.notebook_bytes - self.notebook))

    def take(self, cell_index: int, size: int) -> None:
        self.cells[cell_index] = self.cells.get(cell_index, 0) + size
        self.notebook += size

    def admit(self, msg: dict, cell_index: int, test_cell: bool) -> dict | None:
        """``msg`` itself, a shortened copy, or None when nothing of it may be kept."""
        msg_type = msg["msg_type"]
        content = msg.get("content")
        if not isinstance(content, dict):
            return None
        if test_cell and msg_type == "display_data" and PROBE_MIME in (content.get("data") or {}):
            return self._admit_probe(msg, cell_index)
        size = payload_bytes(content)
        room = self.room(cell_index)
        if size <= room:
            self.take(cell_index, size)
            return msg
        self.cut.add(cell_index)
        shortened = _shorten(msg, room)
        if shortened is not None:
            self.take(cell_index, payload_bytes(shortened["content"]))
        return shortened

    def _admit_probe(self, msg: dict, cell_index: int) -> dict | None:
        data = msg["content"]["data"]
        record = {PROBE_MIME: data[PROBE_MIME], "text/plain": "[answers recorded for the grader]"}
        size = payload_bytes(record)
        if self.probes.get(cell_index, 0) + size > self.limits.probe_bytes:
            self.cut.add(cell_index)
            return None
        self.probes[cell_index] = self.probes.get(cell_index, 0) + size
        return {**msg, "content": {**msg["content"], "data": record, "metadata": {}}}


def _shorten(msg: dict, room: int) -> dict | None:
    """A stream or an error cut to ``room`` bytes; other kinds cannot be cut, only dropped."""
    content = msg["content"]
    if msg["msg_type"] == "stream" and isinstance(content.get("text"), str) and room > 0:
        return {**msg, "content": {**content, "text": content["text"][:room]}}
    if msg["msg_type"] == "error":  # always kept, short: the error itself matters to the verdict
        tb = content.get("traceback")
        kept, used = [], 0
        for line in tb if isinstance(tb, list) else []:
            line = str(line)[: max(0, room - used)]
            if not line:
                break
            kept.append(line)
            used += len(line)
        return {**msg, "content": {"ename": str(content.get("ename", "Error"))[:200],
                                   "evalue": str(content.get("evalue", ""))[:MAX_KEPT_EVALUE],
                                   "traceback": kept}}
    return None


MALFORMED = {"msg_id": "", "msg_type": "malformed", "username": "", "session": "", "date": "",
             "version": ""}


def tolerant_unpack(raw):
    """jupyter_client's JSON unpacker, but a part it cannot parse (nesting too deep, an integer
    of thousands of digits) becomes an empty 'malformed' record instead of an exception."""
    try:
        return json_unpacker(raw)
    except (ValueError, RecursionError, MemoryError):
        return dict(MALFORMED)


def note(text: str) -> NotebookNode:
    return NotebookNode(output_type="stream", name="stdout", text=f"\n{NOTE_PREFIX}{text}\n")


class CappedExecute(Execute):
    """nbgrader's Execute whose outputs are capped in bytes as the kernel's messages arrive."""

    cell_output_bytes = Integer(DEFAULTS.cell_bytes, help="Bytes of output one cell may keep; the rest "
                                "is cut with a note.").tag(config=True)
    notebook_output_bytes = Integer(DEFAULTS.notebook_bytes, help="Bytes of output the whole notebook "
                                    "may keep (widget messages included); later output is cut with a note."
                                    ).tag(config=True)
    probe_record_bytes = Integer(DEFAULTS.probe_bytes, help="Bytes of the probe record (answers for the "
                                 "grader) one graded test cell may keep.").tag(config=True)

    def output_limits(self) -> OutputLimits:
        return OutputLimits(self.cell_output_bytes, self.notebook_output_bytes, self.probe_record_bytes)

    def preprocess(self, nb, resources, km=None):
        self._budget = OutputBudget(self.output_limits())
        return super().preprocess(nb, resources, km=km)

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        kc.session.unpack = tolerant_unpack
        return kc

    def process_message(self, msg, cell, cell_index):
        msg_type = msg.get("msg_type") if isinstance(msg, dict) else None
        kept = msg
        try:
            if msg_type in CAPPED_MESSAGES:
                kept = self._budget.admit(msg, cell_index, is_test_cell(cell))
            return super().process_message(kept, cell, cell_index) if kept is not None else None
        except CellExecutionComplete:
            raise
        except Exception as e:  # noqa: BLE001 - a forged message must not stop the notebook
            kept = msg
            self.log.warning("dropped a malformed %s message from the kernel: %s", msg_type, e)
            cell.outputs.append(note(f"a malformed {msg_type} message from the kernel was dropped "
                                     f"({type(e).__name__})"))
            return None
        finally:
            if kept is not msg:
                self._note_cut(cell, cell_index)

    def clear_output(self, outs, msg, cell_index):
        super().clear_output(outs, msg, cell_index)
        if not outs:
            self._budget.clear(cell_index)

    def _note_cut(self, cell, cell_index: int) -> None:
        marker = f"{NOTE_PREFIX}output cut"
        if any(marker in str(o.get("text", "")) for o in cell.outputs):
            return
        limits = self._budget.limits
        cell.outputs.append(note(f"output cut: this cell's output passed the grader's limit "
                                 f"({limits.cell_bytes:,} bytes per cell, {limits.notebook_bytes:,} per "
                                 f"notebook); the rest was not kept"))
