"""A flaky service: the run fails on its first attempt, and a resume of the failed checkpoint
finishes it without redoing the work that had succeeded.

The graph::

    prepare --fan-out--> ask_service --fan-in--> combine
                    \\--> count_words --/

``ask_service`` calls a (simulated) title-casing service that answers HTTP 503 to the first
call for each request, as a service warming up or shedding load does; ``count_words`` is local
and always works. Both run in superstep 2, so one fails while the other finishes.

**How "first attempt" is known.** Not from the executor's state: a failed superstep commits
nothing, so state written before the raise is gone, and a resume in a fresh process starts
from the state before that superstep. The *service* remembers instead, as a real one would:
``prepare`` gives each run a request id (kept in the message, so in every checkpoint), and the
service records each request it has refused as an empty marker file
``<WFTUI_FLAKY_DIR>/<request id>.attempted`` (default folder: ``wftui-flaky`` in the system's
temp folder). So every new run fails once, and every retry of that run, in any process,
succeeds. (Keyed by the input text instead, a second run of the same text would not fail.)
The marker is written before the raise and stays: effects outside the engine are not rolled
back with a failed superstep, which is why such calls should be safe to repeat.

**Failure.** The run ends ``FAILED`` with a ``WorkflowFailedEvent``:
``ServiceUnavailableError in ask_service: title service answered HTTP 503 ...``. A *failed*
checkpoint is saved: the state from before superstep 2, the error, and what ``count_words``
wrote when it finished. Checkpoints so far: the input, superstep 1, the failed one (3).

**Reading it.** ``wftui run pipelines/flaky.py`` exits 1, prints the error on one line and the
command that resumes the failed checkpoint. ``wftui checkpoints list`` shows that checkpoint
as ``failed``; ``wftui checkpoints show ID`` prints its ``error``. In the app the row reads
``✗ failed`` and the inspector shows the error and what a resume replays.

**Retry.** ``wftui resume ID pipelines/flaky.py`` (Enter on the failed row in the app), or
``run_stream_from_checkpoint(ID)`` on a freshly built workflow, retries superstep 2:
``ask_service`` runs again and now succeeds, ``count_words`` is *replayed* from the failed
checkpoint (``ExecutorCompletedEvent(... data=replayed from checkpoint)``, not run again), and
``prepare`` does not run at all. ``combine`` then yields
``A Flaky Service Answers On The Second Try (8 words)``. Two more checkpoints: five in all.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from wftui import (
    ChatClient,
    CheckpointStorage,
    Executor,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)

DESCRIPTION = "A service call fails on the first attempt; resume the failed checkpoint to retry."
DEFAULT_INPUT = "a flaky service answers on the second try"
ATTEMPTS_DIR_VARIABLE = "WFTUI_FLAKY_DIR"


class ServiceUnavailableError(ConnectionError):
    """What the simulated service raises when it refuses a call."""


@dataclass(frozen=True)
class ServiceRequest:
    """The text to send, with the id the service knows this run's request by."""

    request_id: str
    text: str


@dataclass(frozen=True)
class Part:
    """One branch's contribution to the final answer."""

    source: str
    value: str | int


def attempts_dir() -> Path:
    """Where the service keeps the requests it has refused; read at call time."""
    configured = os.environ.get(ATTEMPTS_DIR_VARIABLE)
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "wftui-flaky"


def call_title_service(request: ServiceRequest) -> str:
    """Refuse the first call for a request, answer every later one."""
    folder = attempts_dir()
    folder.mkdir(parents=True, exist_ok=True)
    try:
        # Exclusive create: of two racing first calls, exactly one is refused.
        (folder / f"{request.request_id}.attempted").touch(exist_ok=False)
    except FileExistsError:
        return request.text.title()
    raise ServiceUnavailableError(
        f"title service answered HTTP 503 for request {request.request_id}: "
        "warming up, retry in a moment"
    )


class Prepare(Executor):
    """Gives the run its request id and sends the text to both branches."""

    @handler
    async def prepare(self, text: str, ctx: WorkflowContext[ServiceRequest]) -> None:
        request = ServiceRequest(request_id=uuid.uuid4().hex[:12], text=" ".join(text.split()))
        await ctx.set_state({"request_id": request.request_id, "text": request.text})
        await ctx.send_message(request)


class AskService(Executor):
    """The flaky step: raises on the run's first attempt, succeeds on the retry."""

    @handler
    async def call(self, request: ServiceRequest, ctx: WorkflowContext[Part]) -> None:
        reply = call_title_service(request)
        await ctx.set_state({"request_id": request.request_id, "reply": reply})
        await ctx.send_message(Part(self.id, reply))


class CountWords(Executor):
    """The step that works; on a retry its result is replayed, not recomputed."""

    @handler
    async def count(self, request: ServiceRequest, ctx: WorkflowContext[Part]) -> None:
        words = len(request.text.split())
        await ctx.set_state({"words": words})
        await ctx.send_message(Part(self.id, words))


class Combine(Executor):
    """The fan-in target: the service's reply with the local word count."""

    @handler
    async def combine(self, parts: list[Part], ctx: WorkflowContext[None, str]) -> None:
        values = {part.source: part.value for part in parts}
        output = f"{values['ask_service']} ({values['count_words']} words)"
        await ctx.set_state({"output": output})
        await ctx.yield_output(output)


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: ChatClient | None = None
) -> Workflow:
    """Build the pipeline; it has no agent, so ``chat_client`` is accepted and unused."""
    prepare, combine = Prepare(id="prepare"), Combine(id="combine")
    branches: list[Executor] = [AskService(id="ask_service"), CountWords(id="count_words")]
    builder = (
        WorkflowBuilder(name="flaky")
        .set_start_executor(prepare)
        .add_fan_out_edges(prepare, branches)
        .add_fan_in_edges(branches, combine)
    )
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
