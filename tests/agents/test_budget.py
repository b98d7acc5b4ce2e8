"""Spending limits and prices: a run stops before the call that would go past its budget, as a
failure that resumes once the limit is raised; costs come only from the user's prices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.agents.llm_doubles import SECRET_KEY, FakeLLMServer
from wftui import (
    AgentExecutor,
    AgentExecutorResponse,
    Executor,
    FileCheckpointStorage,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    WorkflowFailedEvent,
    handler,
)
from wftui.agents.budget import Budget, spending_limits
from wftui.agents.costs import Price, Prices, Spend, ledger_totals, read_prices_file
from wftui.agents.errors import ConfigurationError
from wftui.openai import OpenAIChatClient

# Each answer of the test server: 7 input tokens (3 of them cached), 2 output, 9 in all.
PRICES = Prices({"gpt-test": Price(input=1000.0, output=2000.0, cached=500.0)})
COST_OF_ONE_CALL = (4 * 1000 + 3 * 500 + 2 * 2000) / 1_000_000


class Relay(Executor):
    """Hands the first agent's answer to the second as plain text."""

    @handler
    async def relay(self, response: AgentExecutorResponse, ctx: WorkflowContext[str]) -> None:
        await ctx.send_message(f"Text: {response.agent_run_response.text.upper()}")


class Collect(Executor):
    @handler
    async def collect(
        self, response: AgentExecutorResponse, ctx: WorkflowContext[None, str]
    ) -> None:
        await ctx.yield_output(response.agent_run_response.text)


def two_agents(server: FakeLLMServer, storage: FileCheckpointStorage) -> Workflow:
    client = OpenAIChatClient(
        "gpt-test", api_key=SECRET_KEY, base_url=server.openai_base_url, max_retries=0
    )
    first = AgentExecutor(client.create_agent(), id="first")
    second = AgentExecutor(client.create_agent(), id="second")
    return (
        WorkflowBuilder()
        .set_start_executor(first)
        .add_chain([first, Relay(id="relay"), second, Collect(id="collect")])
        .with_checkpointing(checkpoint_storage=storage)
        .build()
    )


def failure(events: list[Any]) -> str:
    (failed,) = [e for e in events if isinstance(e, WorkflowFailedEvent)]
    assert failed.details is not None
    return f"{failed.details.error_type}: {failed.details.message}"


async def last_checkpoint_id(storage: FileCheckpointStorage) -> str:
    checkpoints = await storage.list_checkpoints()
    return max(checkpoints, key=lambda c: c.timestamp).checkpoint_id


async def test_a_token_limit_stops_before_the_next_call_and_resumes_once_raised(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(tmp_path)

    with spending_limits(Budget(max_tokens=9)):
        events = await two_agents(llm_server, storage).run("Text: HELLO", raise_on_failure=False)

    assert failure(events) == (
        "BudgetExceededError: token budget reached: the run has used 9 tokens of --max-tokens 9; "
        "raise the limit and resume from the last checkpoint"
    )
    assert len(llm_server.requests) == 1  # the second call was never made
    stopped = await last_checkpoint_id(storage)

    with spending_limits(Budget(max_tokens=100)):
        result = await two_agents(llm_server, storage).run_from_checkpoint(stopped)

    assert result.get_outputs() == ["hello"]
    assert len(llm_server.requests) == 2
    newest = max(await storage.list_checkpoints(), key=lambda c: c.timestamp)
    totals = ledger_totals(newest.metadata)
    assert totals["totals"]["tokens"] == 18 and totals["totals"]["calls"] == 2
    assert totals["saved"]["tokens"] == 9  # the first agent's call was not made again


async def test_a_cost_limit_counts_with_the_users_prices(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(tmp_path)

    with spending_limits(Budget(max_cost=0.005, prices=PRICES)):
        events = await two_agents(llm_server, storage).run("Text: HELLO", raise_on_failure=False)

    assert failure(events).startswith(
        "BudgetExceededError: cost budget reached: the run has spent $0.0095 of --max-cost "
        "$0.0050 (9 tokens)"
    )
    assert len(llm_server.requests) == 1


async def test_a_cost_limit_without_a_price_for_the_model_refuses_to_guess(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    storage = FileCheckpointStorage(tmp_path)

    with spending_limits(Budget(max_cost=1.0, prices=Prices({"other": Price(1.0, 1.0)}))):
        events = await two_agents(llm_server, storage).run("Text: HELLO", raise_on_failure=False)

    assert "no price for model 'gpt-test'" in failure(events)
    assert llm_server.requests == []


def test_without_prices_tokens_are_shown_without_a_cost() -> None:
    counts = {"calls": 1, "models": {"gpt-test": {"calls": 1, "total_tokens": 9}}}

    unpriced = Spend.of(counts)
    priced = Spend.of(
        {
            "calls": 1,
            "models": {
                "gpt-test": {
                    "input_tokens": 7,
                    "cached_input_tokens": 3,
                    "output_tokens": 2,
                    "total_tokens": 9,
                }
            },
        },
        PRICES,
    )

    assert unpriced.cost is None and unpriced.short() == "9 tok"
    assert priced.cost == pytest.approx(COST_OF_ONE_CALL)
    assert priced.short() == "9 tok $0.0095"


def test_cached_tokens_cost_the_input_price_when_the_table_gives_no_cached_price() -> None:
    counts = {"input_tokens": 7, "cached_input_tokens": 3, "output_tokens": 2}

    assert Price(input=1000.0, output=2000.0).cost(counts) == pytest.approx(0.011)


def test_a_prices_file_is_read_and_a_bad_one_is_one_clear_error(tmp_path: Path) -> None:
    good = tmp_path / "prices.toml"
    good.write_text('["gpt-4o-mini"]\ninput = 0.15\noutput = 0.6\ncached = 0.075\n')
    bad = tmp_path / "bad.toml"
    bad.write_text('["gpt-4o-mini"]\ninput = "cheap"\noutput = 0.6\n')

    assert read_prices_file(good).models == {"gpt-4o-mini": Price(0.15, 0.6, 0.075)}
    with pytest.raises(ConfigurationError, match=r"prices\.gpt-4o-mini\.input must be a number"):
        read_prices_file(bad)


async def test_a_local_functions_calls_spend_no_tokens_so_budgets_let_them_be() -> None:
    from tests.agents.test_agent_executor import agent_workflow, lower_agent
    from wftui import InMemoryCheckpointStorage

    storage = InMemoryCheckpointStorage()
    with spending_limits(Budget(max_tokens=1, max_cost=0.01, prices=PRICES)):
        first = await agent_workflow(lower_agent(), storage).run("Text: ONE")

    assert [str(o.agent_run_response.text) for o in first.get_outputs()] == ["one"]
    newest = max(await storage.list_checkpoints(), key=lambda c: c.iteration_count)
    spend = Spend.of(newest.metadata["ledger"]["totals"], PRICES)
    assert (spend.calls, spend.tokens, spend.unknown_calls, spend.cost) == (1, 0, 0, 0.0)


def test_settings_come_from_pyproject_then_the_environment_then_flags(tmp_path: Path) -> None:
    from wftui.agents.costs import load_cost_settings

    (tmp_path / "pyproject.toml").write_text(
        '[tool.wftui]\nmax_tokens = 500\nmax_cost = 2.5\n[tool.wftui.prices."gpt-test"]\n'
        "input = 1.0\noutput = 4.0\n"
    )
    inner = tmp_path / "pipelines"
    inner.mkdir()

    from_file = load_cost_settings(start=inner, environ={})
    from_env = load_cost_settings(start=inner, environ={"WFTUI_MAX_TOKENS": "70"})
    from_flag = load_cost_settings(start=inner, environ={"WFTUI_MAX_TOKENS": "70"}, max_tokens=9)

    assert from_file.prices.models == {"gpt-test": Price(1.0, 4.0)}
    assert (from_file.max_tokens, from_file.max_cost) == (500, 2.5)
    assert from_env.max_tokens == 70 and from_flag.max_tokens == 9
    with pytest.raises(ConfigurationError, match="WFTUI_MAX_COST must be an amount"):
        load_cost_settings(start=inner, environ={"WFTUI_MAX_COST": "lots"})
