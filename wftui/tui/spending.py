"""What the run on screen spends, for the graph's boxes and the header (Textual-free).

Per executor, live from the run's events: the tokens of its model calls (AgentRunEvent) and the
time from each invocation to its end. The run's totals and what resuming saved come from the
ledger of the newest checkpoint, which also holds what earlier executions of the run spent.
Costs use the prices the app was started with; without a price, tokens show without a cost.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wftui.agents.budget import current_budget
from wftui.agents.costs import Prices, Spend
from wftui.agents.events import AgentRunEvent
from wftui.agents.usage import call_counts
from wftui.engine.events import (
    ExecutorCompletedEvent,
    ExecutorFailedEvent,
    ExecutorInvokedEvent,
    WorkflowEvent,
)
from wftui.engine.ledger import Counts, add_counts, ledger_of
from wftui.tui.text import counted

NOTABLE_MS = 1000


def app_prices() -> Prices:
    """The prices of ``--prices`` or the settings, as the command line set them for this app."""
    return current_budget().prices


class LiveSpending:
    """Tokens, cost and elapsed time per executor of the run on screen."""

    def __init__(self, prices: Prices) -> None:
        self.prices = prices
        self._counts: dict[str, Counts] = {}
        self._started: dict[str, float] = {}

    def reset(self) -> None:
        """A new run (or resume) starts: its boxes count from nothing."""
        self._counts.clear()
        self._started.clear()

    def feed(self, event: WorkflowEvent) -> str | None:
        """Take one event; the executor whose box text changed, if any."""
        match event:
            case ExecutorInvokedEvent(executor_id=executor_id):
                self._started[executor_id] = event.timestamp
                return None
            case (
                ExecutorCompletedEvent(executor_id=executor_id)
                | ExecutorFailedEvent(executor_id=executor_id)
            ):
                started = self._started.pop(executor_id, None)
                if started is None:  # replayed from a checkpoint: it did not run
                    return None
                elapsed = round((event.timestamp - started) * 1000)
                self._add(executor_id, {"runs": 1, "ms": elapsed})
                return executor_id
            case AgentRunEvent(executor_id=executor_id, model=model, usage=usage):
                seconds = event.duration or 0.0
                counts = call_counts(model or "", usage, round(seconds * 1000))
                # The call's time is inside the executor's, which the box shows already.
                for per_model in counts["models"].values():
                    per_model.pop("ms", None)
                self._add(executor_id, counts)
                return executor_id
        return None

    def _add(self, executor_id: str, counts: Mapping[str, Any]) -> None:
        add_counts(self._counts.setdefault(executor_id, {}), counts)

    def note(self, executor_id: str) -> str:
        """``9 tok $0.0095 1.2s`` for the executor's box; empty while it has used no tokens
        and under a second (local steps stay uncluttered)."""
        spend = Spend.of(self._counts.get(executor_id, {}), self.prices)
        return spend.short() if spend.tokens or spend.ms >= NOTABLE_MS else ""


def run_spending(metadata: Mapping[str, Any] | None, prices: Prices) -> str:
    """The header's ``Σ 18 tok $0.0190 · saved 9 tok`` (``Σ 1 model call`` when no tokens
    were reported) from a checkpoint's ledger; empty when the run recorded no model call."""
    ledger = ledger_of(metadata)
    totals = Spend.of(ledger.get("totals", {}), prices)
    saved = Spend.of(ledger.get("saved", {}), prices)
    if not (totals.calls or saved.calls):
        return ""
    spent = Spend(
        tokens=totals.tokens, unknown_calls=totals.unknown_calls, cost=totals.cost
    ).short()
    # A client that reports no tokens (a local function): the calls, not a bare "Σ".
    text = f"Σ {spent or counted(totals.calls, 'model call')}"
    if saved.tokens or saved.unknown_calls:
        kept = Spend(tokens=saved.tokens, unknown_calls=saved.unknown_calls, cost=saved.cost)
        text += f" · saved by resuming {kept.short()}"
    return text
