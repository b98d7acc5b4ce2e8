"""What a journal says without a store: when an execution counts as lost, and what redaction
removes. What every store's journal promises is in the conformance suite
(``tests/checkpoint/conformance_journals.py``)."""

from __future__ import annotations

from wftui.journal import LOST, RUNNING, Execution
from wftui.journal.redact import REDACTED, Redactor


def test_an_execution_whose_heartbeats_stop_is_lost_after_the_missed_beats() -> None:
    execution = Execution.here("run", None, beat_every=2.0)
    beat = execution.heartbeat
    assert execution.status(now=beat + 2.0 * 3) == RUNNING
    assert execution.status(now=beat + 2.0 * 3 + 0.01) == LOST
    assert execution.updated(outcome="failed").status(now=beat + 100) == "failed"


def test_redaction_removes_secret_environment_values_and_key_shapes() -> None:
    redact = Redactor({"MY_API_KEY": "hunter2-marker", "HOME": "/root", "SHORT_TOKEN": "abc"})
    text = redact.text("key hunter2-marker sk-abcdefghijklmnop12 postgresql://u:pw@h/db abc /root")
    assert text == f"key {REDACTED} {REDACTED} postgresql://u:{REDACTED}@h/db abc /root"
