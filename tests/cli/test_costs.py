"""What a run costs, from the command line: budgets from flags, the environment and settings,
prices from a file or settings, the spending line after a run and the ledger in ``show``."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agents.llm_doubles import FakeLLMServer
from tests.cli.support import saved_ids, wftui

PRICES = '["gpt-test"]\ninput = 1000\noutput = 2000\ncached = 500\n'


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.stop()


def openai_env(server: FakeLLMServer, **extra: str) -> dict[str, str]:
    return {
        "OPENAI_BASE_URL": f"{server.url}/v1",
        "OPENAI_CHAT_MODEL_ID": "gpt-test",
        "NO_PROXY": "127.0.0.1",
        **extra,
    }


CPS = ("--checkpoint-dir", "cps")


def run_with_the_agent(server: FakeLLMServer, folder: Path) -> list[str]:
    """A headless run of the seed pipeline whose agent calls ``server``; its checkpoint ids."""
    done = wftui("run", "--chat", "openai", *CPS, cwd=folder, env=openai_env(server))
    assert done.returncode == 0, done.stderr
    return saved_ids(done.stdout, folder / "cps")


def test_a_cost_limit_without_a_price_stops_the_run_and_a_priced_resume_finishes(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    env = openai_env(llm_server, WFTUI_MAX_COST="0.5")
    stopped = wftui("run", "--chat", "openai", "--checkpoint-dir", "cps", cwd=tmp_path, env=env)

    assert stopped.returncode == 1
    assert "BudgetExceededError" in stopped.stderr
    assert "--max-cost $0.5000 cannot be kept: no price for model 'gpt-test'" in stopped.stderr
    assert llm_server.requests == []
    resume = re.search(r"resume after fixing the cause: (wftui resume \S+)", stopped.stderr)
    assert resume is not None, stopped.stderr

    (tmp_path / "prices.toml").write_text(PRICES)
    resumed = wftui(
        *resume.group(1).split()[1:], "--prices", "prices.toml", "--checkpoint-dir", "cps",
        cwd=tmp_path, env=env,
    )  # fmt: skip

    assert resumed.returncode == 0, resumed.stderr
    assert "output: dlrow olleh" in resumed.stdout
    assert re.search(r"^spent: 9 tok \$0\.0095", resumed.stderr, re.M), resumed.stderr


def test_show_sums_the_ledger_with_the_prices_in_settings(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    env = openai_env(llm_server)
    done = wftui("run", "--chat", "openai", "--checkpoint-dir", "cps", cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert "spent: 9 tok" in done.stderr and "$" not in done.stderr  # no price: no cost
    last = saved_ids(done.stdout)[-1]

    unpriced = json.loads(
        wftui("checkpoints", "show", last, "--checkpoint-dir", "cps", cwd=tmp_path).stdout
    )
    (tmp_path / "wftui.toml").write_text(PRICES.replace('["gpt-test"]', '[prices."gpt-test"]'))
    priced = json.loads(
        wftui("checkpoints", "show", last, "--checkpoint-dir", "cps", cwd=tmp_path).stdout
    )

    assert unpriced["ledger"]["totals"]["tokens"] == 9
    assert unpriced["ledger"]["totals"]["cost_usd"] is None
    assert unpriced["ledger"]["totals"]["models_without_price"] == ["gpt-test"]
    assert priced["ledger"]["totals"]["cost_usd"] == pytest.approx(0.0095)
    assert priced["ledger"]["totals"]["cached_input_tokens"] == 3
    assert priced["metadata"]["ledger"]["totals"]["models"]["gpt-test"]["total_tokens"] == 9


def test_a_bad_limit_is_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / "wftui.toml").write_text("max_tokens = -3\n")

    done = wftui("run", "--checkpoint-dir", "cps", cwd=tmp_path)

    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "max_tokens must be a whole number of tokens above 0, not -3"
    )
    assert len(done.stderr.strip().splitlines()) == 1


def test_list_json_and_runs_carry_each_checkpoints_and_each_runs_ledger(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    env = openai_env(llm_server)
    ids = run_with_the_agent(llm_server, tmp_path)
    # A resume after the agent saves its 9 tokens; one before it pays them again.
    for at in (ids[4], ids[3]):
        again = wftui("resume", at, "--chat", "openai", *CPS, cwd=tmp_path, env=env)
        assert again.returncode == 0, again.stderr
    (tmp_path / "prices.toml").write_text(PRICES)

    listing = json.loads(wftui("checkpoints", "list", "--json", *CPS, cwd=tmp_path).stdout)
    ledgers = {s["checkpoint_id"]: s["ledger"] for s in listing}
    assert [ledgers[i]["spent"]["tokens"] for i in ids] == [0, 0, 0, 0, 9, 9]
    assert ledgers[ids[5]]["spent"]["cost_usd"] is None  # no price given: no cost
    assert max(s["ledger"]["saved"]["tokens"] for s in listing) == 9
    priced = json.loads(
        wftui("checkpoints", "list", "--json", "--prices", "prices.toml", *CPS, cwd=tmp_path).stdout
    )
    assert {s["checkpoint_id"]: s["ledger"] for s in priced}[ids[5]]["spent"][
        "cost_usd"
    ] == pytest.approx(0.0095)

    (row,) = json.loads(
        wftui("runs", "--json", "--prices", "prices.toml", *CPS, cwd=tmp_path).stdout
    )
    # Each execution's own spending, counted once: the run's 9 and the second resume's 9.
    assert row["ledger"]["spent"]["tokens"] == 18
    assert row["ledger"]["spent"]["cost_usd"] == pytest.approx(0.019)
    assert row["ledger"]["saved"]["tokens"] == 9
    assert row["ledger"]["saved"]["cost_usd"] == pytest.approx(0.0095)

    table = wftui("runs", "--prices", "prices.toml", *CPS, cwd=tmp_path).stdout.splitlines()
    assert re.search(r"\s+tokens\s+cost\s+saved\s+input$", table[0])
    assert re.search(r"s\s+18\s+\$0\.0190\s+9\s+hello world$", table[1])
    unpriced = wftui("runs", *CPS, cwd=tmp_path).stdout.splitlines()
    assert re.search(r"s\s+18\s+-\s+9\s+hello world$", unpriced[1])


def test_a_fork_saves_nothing_and_its_resume_saves_the_agents_tokens_once(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    env = openai_env(llm_server)
    after_agent = run_with_the_agent(llm_server, tmp_path)[4]
    forked = wftui("fork", after_agent, "--note", "same state", "--json", *CPS, cwd=tmp_path)
    assert forked.returncode == 0, forked.stderr
    fork_id = json.loads(forked.stdout)["checkpoint_id"]
    resumed = wftui("resume", fork_id, "--chat", "openai", *CPS, cwd=tmp_path, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert len(llm_server.requests) == 1  # the agent answered once, for the run

    listing = json.loads(wftui("checkpoints", "list", "--json", *CPS, cwd=tmp_path).stdout)
    saved = {s["checkpoint_id"]: s["ledger"]["saved"]["tokens"] for s in listing}
    [last] = saved_ids(resumed.stdout, tmp_path / "cps")
    assert saved[fork_id] == 0  # a fork runs nothing: it saves nothing
    assert saved[last] == 9  # its resume did not pay the agent's 9 tokens again: once, not 18
    (row,) = json.loads(wftui("runs", "--json", *CPS, cwd=tmp_path).stdout)
    assert row["ledger"]["saved"]["tokens"] == 9
