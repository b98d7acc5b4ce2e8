"""``--llm-timeout`` and ``--llm-retries``: a model server that stops answering fails the run
resumable, with the timeout and retries in the error, and the resume finishes the run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agents.llm_doubles import FakeLLMServer
from tests.cli.support import wftui


@pytest.fixture
def llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer()
    server.start()
    yield server
    server.stop()


def test_a_silent_server_fails_the_run_resumably(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    env = {
        "OPENAI_BASE_URL": f"{llm_server.url}/v1",
        "OPENAI_CHAT_MODEL_ID": "gpt-test",
        "NO_PROXY": "127.0.0.1",
    }
    llm_server.hang = True
    failed = wftui(
        "run", "--chat", "openai", "--llm-timeout", "0.3", "--llm-retries", "1",
        "--checkpoint-dir", "cps", cwd=tmp_path, env=env,
    )  # fmt: skip

    assert failed.returncode == 1
    assert "did not answer within 0.3 s (after 1 retry)" in failed.stderr
    assert "--llm-timeout" in failed.stderr
    assert len(llm_server.requests) == 2
    resume = re.search(r"resume after fixing the cause: (wftui resume \S+)", failed.stderr)
    assert resume is not None, failed.stderr

    llm_server.heal()
    resumed = wftui(*resume.group(1).split()[1:], "--checkpoint-dir", "cps", cwd=tmp_path, env=env)

    assert resumed.returncode == 0, resumed.stderr
    assert "output: dlrow olleh" in resumed.stdout


def test_the_environment_sets_the_timeout(llm_server: FakeLLMServer, tmp_path: Path) -> None:
    env = {
        "OPENAI_BASE_URL": f"{llm_server.url}/v1",
        "OPENAI_CHAT_MODEL_ID": "gpt-test",
        "WFTUI_LLM_TIMEOUT": "0.2",
        "NO_PROXY": "127.0.0.1",
    }
    llm_server.hang = True
    failed = wftui("run", "--llm-retries", "0", "--checkpoint-dir", "cps", cwd=tmp_path, env=env)

    assert "did not answer within 0.2 s (no retries)" in failed.stderr


@pytest.mark.parametrize(
    ("option", "value"), [("--llm-timeout", "0"), ("--llm-timeout", "x"), ("--llm-retries", "-1")]
)
def test_a_bad_value_is_a_usage_error(tmp_path: Path, option: str, value: str) -> None:
    result = wftui("run", option, value, cwd=tmp_path)
    assert result.returncode == 2
    assert f"argument {option}" in result.stderr
