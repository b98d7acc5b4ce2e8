"""What ``Workflow.run()`` returns: a run's work events, with its lifecycle events kept apart.

Apart from ``Workflow`` because it only reads events: scripts and tests that hold a result need
nothing of the workflow that made it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from wftui.engine.events import (
    CheckpointSavedEvent,
    RequestInfoEvent,
    SuperStepCompletedEvent,
    SuperStepStartedEvent,
    WorkflowEvent,
    WorkflowOutputEvent,
    WorkflowRunState,
    WorkflowStartedEvent,
    WorkflowStatusEvent,
)

# Events about the run itself rather than its work: ``run()`` keeps them off its list.
_LIFECYCLE_EVENTS = (
    WorkflowStartedEvent,
    WorkflowStatusEvent,
    SuperStepStartedEvent,
    SuperStepCompletedEvent,
    CheckpointSavedEvent,
)


class WorkflowRunResult(list[WorkflowEvent]):
    """The work events of a run (invocations, completions, outputs, requests, failures).

    The lifecycle events (status changes, supersteps, saved checkpoints) are kept apart, as
    agent-framework does: ``status_timeline()`` and ``lifecycle_events()`` give them.
    """

    def __init__(
        self, events: list[WorkflowEvent], lifecycle: list[WorkflowEvent] | None = None
    ) -> None:
        """``lifecycle`` as ``collect`` kept it apart; left out, it is read from ``events``."""
        super().__init__(events)
        if lifecycle is None:
            lifecycle = [event for event in events if isinstance(event, _LIFECYCLE_EVENTS)]
        self._lifecycle = list(lifecycle)

    @classmethod
    async def collect(
        cls, stream: AsyncIterator[WorkflowEvent], *, include_status_events: bool = False
    ) -> WorkflowRunResult:
        """Gather a stream; with ``include_status_events`` the lifecycle events stay inline too."""
        events: list[WorkflowEvent] = []
        lifecycle: list[WorkflowEvent] = []
        async for event in stream:
            is_lifecycle = isinstance(event, _LIFECYCLE_EVENTS)
            if is_lifecycle:
                lifecycle.append(event)
            if include_status_events or not is_lifecycle:
                events.append(event)
        return cls(events, lifecycle)

    def get_outputs(self) -> list[Any]:
        return [event.data for event in self if isinstance(event, WorkflowOutputEvent)]

    def get_request_info_events(self) -> list[RequestInfoEvent]:
        return [event for event in self if isinstance(event, RequestInfoEvent)]

    def status_timeline(self) -> list[WorkflowStatusEvent]:
        """Every status the run went through, in order."""
        return [event for event in self._lifecycle if isinstance(event, WorkflowStatusEvent)]

    def lifecycle_events(self) -> list[WorkflowEvent]:
        """The events kept off the list: started, statuses, supersteps, saved checkpoints."""
        return list(self._lifecycle)

    def get_final_state(self) -> WorkflowRunState:
        timeline = self.status_timeline()
        return timeline[-1].state if timeline else WorkflowRunState.IN_PROGRESS
