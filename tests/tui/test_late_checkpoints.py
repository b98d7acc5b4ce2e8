"""A checkpoint announced once durable, after the run moved on, says so in the event log."""

from __future__ import annotations

from tests.tui.support import AppFactory, opened, wait_until
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.engine import (
    CheckpointSavedEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowEvent,
)
from wftui.tui.bridge import EngineEvents, describe

T = 1741953600.0  # 12:00:00 UTC

# Superstep 1's checkpoint comes in order; superstep 2's only after superstep 3 ran (async
# durability writes it in the background).
EVENTS: list[WorkflowEvent] = [
    SuperStepStartedEvent(iteration=1, timestamp=T),
    SuperStepCompletedEvent(iteration=1, timestamp=T + 0.1),
    CheckpointSavedEvent(checkpoint_id="xxinorder1", iteration=1, timestamp=T + 0.2),
    SuperStepStartedEvent(iteration=2, timestamp=T + 0.3),
    SuperStepCompletedEvent(iteration=2, timestamp=T + 0.4),
    SuperStepStartedEvent(iteration=3, timestamp=T + 0.5),
    SuperStepCompletedEvent(iteration=3, timestamp=T + 0.6),
    CheckpointSavedEvent(checkpoint_id="xxlatecp02", iteration=2, timestamp=T + 0.7),
]


def checkpoint_lines(lines: list[str]) -> dict[str, str]:
    return {cid: line for line in lines for cid in ("inorder1", "latecp02") if cid in line}


async def test_a_late_checkpoint_line_says_it_is_the_durable_announcement(
    new_app: AppFactory, storage: FileCheckpointStorage
) -> None:
    app = new_app()
    async with opened(app) as pilot:
        app.main.post_message(EngineEvents(list(EVENTS)))
        await wait_until(
            pilot, lambda: len(checkpoint_lines(app.main.event_log.visible_text())) == 2
        )
        lines = checkpoint_lines(app.main.event_log.visible_text())
        assert "durable" not in lines["inorder1"]  # right after its superstep: nothing to say
        assert lines["latecp02"].endswith(
            "latecp02 superstep 2 · durable now (saved in the background)"
        )


async def test_a_replayed_run_marks_its_late_checkpoint_lines_too(
    new_app: AppFactory, storage: FileCheckpointStorage
) -> None:
    """A run read back from the journal gets the same lines as when it ran here."""
    app = new_app()
    async with opened(app) as pilot:
        app.main.show_run("somerun")
        records = [describe(event) for event in EVENTS]
        app.main.show_journal(records, [], EVENTS, live=False)
        await wait_until(
            pilot, lambda: len(checkpoint_lines(app.main.event_log.visible_text())) == 2
        )
        lines = checkpoint_lines(app.main.event_log.visible_text())
        assert "durable" not in lines["inorder1"]
        assert "latecp02 superstep 2 · durable now" in lines["latecp02"]
