"""The app shows what a run spends: tokens (and cost by the app's prices) on each agent's box,
the run's totals in the header, and the summed ledger in the inspector; a model served by the
loopback OpenAI server through the real SDK."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.agents.llm_doubles import SECRET_KEY, FakeLLMServer
from tests.tui.support import FIXED_CLOCK, graph_text, opened, settle, start_run
from wftui.agents.budget import Budget, spending_limits
from wftui.agents.costs import Price, Prices
from wftui.agents.events import AgentRunEvent
from wftui.agents.types import UsageDetails
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.engine.events import ExecutorCompletedEvent, ExecutorInvokedEvent
from wftui.loader import PipelineSpec
from wftui.openai import OpenAIChatClient
from wftui.tui.app import make_app
from wftui.tui.spending import LiveSpending, run_spending
from wftui.tui.status import RunStatus

PRICES = Prices({"gpt-test": Price(input=1000.0, output=2000.0, cached=500.0)})


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.stop()


async def test_a_run_on_a_model_shows_its_tokens_on_the_box_and_its_cost_in_the_header(
    llm_server: FakeLLMServer, storage: FileCheckpointStorage, seed: PipelineSpec
) -> None:
    client = OpenAIChatClient(
        "gpt-test", api_key=SECRET_KEY, base_url=llm_server.openai_base_url, max_retries=0
    )
    with spending_limits(Budget(prices=PRICES)):
        app = make_app(seed, storage, client, checkpoint_label="checkpoints", clock=FIXED_CLOCK)
        async with opened(app) as pilot:
            await start_run(app, pilot)
            await settle(pilot)
            assert app.status is RunStatus.COMPLETED
            box_top = next(line for line in graph_text(app).splitlines() if "9 tok" in line)
            header = app.main.header.render().plain

    assert len(llm_server.requests) == 1
    assert "9 tok" in box_top
    assert "Σ 9 tok $0.0095" in header


def test_live_spending_counts_tokens_and_time_per_executor_and_skips_replays() -> None:
    spending = LiveSpending(PRICES)
    usage = UsageDetails(input_tokens=7, output_tokens=2, total_tokens=9, cached_input_tokens=3)
    events = [
        ExecutorInvokedEvent(executor_id="agent", timestamp=100.0),
        AgentRunEvent(executor_id="agent", usage=usage, model="gpt-test", duration=1.5),
        ExecutorCompletedEvent(executor_id="agent", timestamp=102.25),
        ExecutorCompletedEvent(executor_id="replayed", data="replayed from checkpoint"),
    ]

    changed = [spending.feed(event) for event in events]

    assert changed == [None, "agent", "agent", None]
    assert spending.note("agent") == "9 tok $0.0095 2.2s"
    assert spending.note("replayed") == ""


def test_the_header_line_says_what_resuming_saved() -> None:
    model = {"calls": 1, "total_tokens": 9, "input_tokens": 7, "output_tokens": 2}
    ledger = {
        "totals": {
            "calls": 2,
            "models": {
                "gpt-test": {
                    **model,
                    "calls": 2,
                    "total_tokens": 18,
                    "input_tokens": 14,
                    "output_tokens": 4,
                }
            },
        },
        "saved": {"calls": 1, "models": {"gpt-test": model}},
    }

    assert run_spending({"ledger": ledger}, Prices()) == "Σ 18 tok · saved by resuming 9 tok"
    assert run_spending({}, PRICES) == ""
    # A local function's calls report no tokens: the header counts the calls instead of a bare Σ.
    local = {"totals": {"calls": 1, "models": {"lower_last": {"calls": 1}}}}
    assert run_spending({"ledger": local}, PRICES) == "Σ 1 model call"
