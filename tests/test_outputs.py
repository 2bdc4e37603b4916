"""autograder.outputs: outputs capped in bytes as kernel messages arrive, forged messages dropped."""
import json

import pytest
from nbformat.v4 import new_code_cell, new_notebook

from autograder.outputs import (MALFORMED, CappedExecute, OutputBudget, OutputLimits, payload_bytes,
                                tolerant_unpack)
from dlcourse.grading import PROBE_MIME

LIMITS = OutputLimits(cell_bytes=1000, notebook_bytes=2500, probe_bytes=5000)


def stream(text, name="stdout"):
    return {"msg_type": "stream", "content": {"name": name, "text": text}, "parent_header": {}}


def display(data):
    return {"msg_type": "display_data", "content": {"data": data, "metadata": {}}, "parent_header": {}}


def test_payload_bytes_counts_strings_in_utf8_and_containers():
    assert payload_bytes("abc") == 3
    assert payload_bytes("é") == 2
    assert payload_bytes({"a": ["xy", b"123"]}) == 2 + 1 + (2 + 2) + 2 + 3


def test_a_stream_past_the_cell_budget_is_cut_to_what_is_left():
    budget = OutputBudget(LIMITS)
    assert budget.admit(stream("a" * 600), 0, False)["content"]["text"] == "a" * 600
    cut = budget.admit(stream("b" * 600), 0, False)
    assert len(cut["content"]["text"]) < 400 and 0 in budget.cut
    assert budget.admit(stream("c"), 0, False) is None


def test_the_notebook_budget_spans_cells_and_a_clear_gives_room_back():
    budget = OutputBudget(LIMITS)
    for cell in range(2):
        budget.admit(stream("a" * 1000), cell, False)
    used = budget.notebook
    assert 2000 < used <= 2100 and budget.room(2) == LIMITS.notebook_bytes - used
    budget.clear(0)
    assert budget.room(2) == LIMITS.cell_bytes


def test_a_display_that_does_not_fit_is_dropped_whole():
    budget = OutputBudget(LIMITS)
    assert budget.admit(display({"text/html": "<p>" + "y" * 2000}), 0, False) is None
    assert budget.admit(display({"text/plain": "small"}), 0, False) is not None


def test_an_error_is_always_kept_short():
    budget = OutputBudget(LIMITS)
    budget.admit(stream("a" * 1000), 0, False)
    msg = {"msg_type": "error", "content": {"ename": "E", "evalue": "v" * 10_000, "traceback": ["t" * 10_000]}}
    kept = budget.admit(msg, 0, False)
    assert kept["content"]["ename"] == "E" and len(kept["content"]["evalue"]) <= 500
    assert kept["content"]["traceback"] == []


def test_a_probe_record_in_a_test_cell_has_its_own_budget_and_loses_its_extras():
    budget = OutputBudget(LIMITS)
    record = {PROBE_MIME: {"grade_id": "t", "results": [{"value": "x" * 3000}]}, "text/html": "h" * 10_000}
    kept = budget.admit(display(record), 0, True)
    assert set(kept["content"]["data"]) == {PROBE_MIME, "text/plain"}
    assert budget.admit(display(record), 0, False) is None  # elsewhere it is an ordinary display


@pytest.mark.parametrize("raw", [b"[" * 100_000 + b"]" * 100_000, b"1" * 5000, b"{not json"])
def test_an_unparsable_message_part_becomes_a_malformed_record(raw):
    assert tolerant_unpack(raw) == MALFORMED
    assert tolerant_unpack(json.dumps({"a": 1}).encode()) == {"a": 1}


FLOOD_AND_FORGERIES = [
    'print("a" * 300_000)',
    'from IPython.display import HTML, display\ndisplay(HTML("<b>" + "y" * 300_000 + "</b>"))',
    'print("small")',
    "_ip = get_ipython()\n_p = _ip.kernel.get_parent('shell')\n"
    "_ip.kernel.session.send(_ip.kernel.iopub_socket, 'comm_msg', {'comm_id': 'x', 'data': 5}, parent=_p)\n"
    "_ip.kernel.session.send(_ip.kernel.iopub_socket, 'display_data', {'data': [1], 'metadata': {}}, parent=_p)\n"
    "print('after')",
    'raise ValueError("z" * 300_000)',
    'print("end")',
]


@pytest.fixture(scope="module")
def executed():
    nb = new_notebook(cells=[new_code_cell(src) for src in FLOOD_AND_FORGERIES])
    ep = CappedExecute(cell_output_bytes=50_000, notebook_output_bytes=120_000, timeout=60)
    nb, _ = ep.preprocess(nb, {})
    return nb


def text_of(cell):
    return "".join(str(o.get("text", "")) + json.dumps(o.get("data", {})) + str(o.get("evalue", ""))
                   for o in cell.outputs)


def test_executed_outputs_are_bounded_with_a_note(executed):
    sizes = [len(json.dumps(c.outputs)) for c in executed.cells]
    assert max(sizes) < 60_000 and sum(sizes) < 130_000
    assert "output cut" in text_of(executed.cells[0]) and "output cut" in text_of(executed.cells[1])
    assert "small" in text_of(executed.cells[2])


def test_forged_messages_are_dropped_and_execution_goes_on(executed):
    text = text_of(executed.cells[3])
    assert "malformed comm_msg" in text and "malformed display_data" in text and "after" in text
    assert "end" in text_of(executed.cells[5])
    assert any(o.output_type == "error" for o in executed.cells[4].outputs)
