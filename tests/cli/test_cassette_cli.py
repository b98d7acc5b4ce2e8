"""``--llm`` and ``--cassette`` through the real command line: the seed pipeline's shipped
cassette replays with no model settings and every socket refused."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.agents import conftest as agent_fixtures
from tests.agents.llm_doubles import FakeLLMServer
from tests.agents.seed_cassette import SHIPPED, record_seed_cassette
from tests.cli.support import environment, wftui
from tests.postgres_support import scratch_store_url
from wftui.agents.cassette import parse_cassette

llm_server = (
    agent_fixtures.llm_server
)  # the loopback OpenAI/Azure server, as the agent tests use it

# Runs ``python -m wftui`` with every way out to the network replaced by a refusal.
OFFLINE = textwrap.dedent(
    """
    import runpy, socket, sys

    def refuse(*args, **kwargs):
        raise OSError("network refused by the test")

    socket.socket.connect = socket.socket.connect_ex = refuse
    socket.create_connection = socket.getaddrinfo = refuse
    sys.argv = ["wftui", *sys.argv[1:]]
    runpy.run_module("wftui", run_name="__main__", alter_sys=True)
    """
)


def offline_wftui(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = environment()
    assert not any(name.startswith(("AZURE_OPENAI", "OPENAI_")) for name in env), env
    return subprocess.run(
        [sys.executable, "-c", OFFLINE, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_seed_demo_replays_offline_with_no_settings(tmp_path: Path) -> None:
    refused = offline_wftui("run", "--chat", "azure", "--checkpoint-dir", "cps", cwd=tmp_path)
    assert refused.returncode == 2  # no settings: the real client cannot even be built
    assert "AZURE_OPENAI_ENDPOINT" in refused.stderr

    replayed = offline_wftui(
        "run", "--chat", "azure", "--llm", "replay", "--checkpoint-dir", "cps", cwd=tmp_path
    )

    assert replayed.returncode == 0, replayed.stderr
    assert "chat: replay of Azure OpenAI at http://127.0.0.1:" in replayed.stdout
    assert "output: dlrow olleh" in replayed.stdout


def test_a_miss_fails_the_run_naming_the_executor(tmp_path: Path) -> None:
    missed = offline_wftui(
        "run", "--llm", "replay", "--input", "not recorded", "--checkpoint-dir", "cps",
        cwd=tmp_path,
    )  # fmt: skip

    assert missed.returncode == 1
    assert "run failed: CassetteMissError in lower_agent" in missed.stderr
    assert "no recorded answer for lower_agent's request" in missed.stderr
    resume = re.search(r"resume after fixing the cause: (wftui resume .*)$", missed.stderr, re.M)
    assert resume is not None, missed.stderr
    assert resume.group(1).endswith("--checkpoint-dir cps --llm replay")  # resumes replaying


def test_the_shipped_cassette_answers_what_the_seed_asks(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    cassette, stdout = record_seed_cassette(tmp_path, llm_server)

    assert "output: dlrow olleh" in stdout
    fresh = parse_cassette(cassette.read_bytes())
    shipped = parse_cassette(SHIPPED.read_bytes())
    assert [r.key for r in fresh] == [r.key for r in shipped]
    assert [r.response for r in fresh] == [r.response for r in shipped]
    assert "SECRET" not in cassette.read_text()


def test_cassettes_copy_and_prune_with_their_runs_and_replay_from_a_file(
    llm_server: FakeLLMServer, tmp_path: Path
) -> None:
    env = {"OPENAI_BASE_URL": llm_server.openai_base_url, "OPENAI_CHAT_MODEL_ID": "gpt-test"}
    for words in ("one two", "three four"):
        done = wftui(
            "run", "--chat", "openai", "--llm", "record", "--input", words,
            "--checkpoint-dir", "cps", cwd=tmp_path, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
    cassettes = sorted((tmp_path / "cps" / "cassettes").glob("*.jsonl"))
    assert len(cassettes) == 2
    newest = max(cassettes, key=lambda path: path.stat().st_mtime_ns)
    (tmp_path / "copy.jsonl").write_bytes(newest.read_bytes())

    copied = wftui("checkpoints", "copy", "--from", "cps", "--to", "copied", cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    copies = sorted((tmp_path / "copied" / "cassettes").iterdir())
    assert [path.read_bytes() for path in copies] == [path.read_bytes() for path in cassettes]

    pruned = wftui(
        "checkpoints", "prune", "--keep-runs", "1", "--checkpoint-dir", "cps", cwd=tmp_path
    )
    assert pruned.returncode == 0, pruned.stderr
    assert [path.name for path in (tmp_path / "cps" / "cassettes").iterdir()] == [newest.name]

    llm_server.stop()
    replayed = offline_wftui(
        "run", "--llm", "replay", "--cassette", "copy.jsonl", "--input", "three four",
        "--checkpoint-dir", "other", "--json", cwd=tmp_path,
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    lines = [json.loads(line) for line in replayed.stdout.splitlines()]
    assert [e["data"] for e in lines if e["event"] == "WorkflowOutputEvent"] == ["ruof eerht"]


def test_a_missing_cassette_file_is_one_line(tmp_path: Path) -> None:
    done = wftui("run", "--llm", "replay", "--cassette", "nope.jsonl", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == "wftui: error: cassette file not found: nope.jsonl"
    call = wftui("run", "--cassette", "nope.jsonl", cwd=tmp_path)
    assert "--cassette is for --llm replay or replay-or-call" in call.stderr


@pytest.fixture(params=["sqlite", "postgresql"])
def database_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """A SQLite file or a PostgreSQL schema of its own (dropped afterwards), as a store URL."""
    if request.param == "sqlite":
        yield "sqlite:runs.db"
        return
    with scratch_store_url("wftui_cli_test") as url:
        yield url


def test_record_and_replay_offline_in_a_database_store(
    llm_server: FakeLLMServer, tmp_path: Path, database_store: str
) -> None:
    """As with a folder: the cassette lives in the store; replay needs only the store (PostgreSQL
    is reached through libpq, which the refused Python sockets do not cover)."""
    env = {"OPENAI_BASE_URL": llm_server.openai_base_url, "OPENAI_CHAT_MODEL_ID": "gpt-test"}
    recorded = wftui(
        "run", "--chat", "openai", "--llm", "record", "--input", "one two",
        "--store", database_store, cwd=tmp_path, env=env,
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    assert "output: owt eno" in recorded.stdout
    assert len(llm_server.requests) == 1
    llm_server.stop()

    replayed = offline_wftui(
        "run", "--llm", "replay", "--input", "one two", "--store", database_store, cwd=tmp_path
    )
    assert replayed.returncode == 0, replayed.stderr
    assert "output: owt eno" in replayed.stdout

    missed = offline_wftui(
        "run", "--llm", "replay", "--input", "three", "--store", database_store, cwd=tmp_path
    )
    assert missed.returncode == 1
    assert "no recorded answer for lower_agent's request" in missed.stderr

    copied = wftui("checkpoints", "copy", "--from", database_store, "--to", "cps", cwd=tmp_path)
    assert copied.returncode == 0, copied.stderr
    # The recording run's cassette, and the replaying run's (it keeps what it replayed).
    assert "copied 2 cassettes, 0 already there" in copied.stdout.splitlines()
    cassettes = [parse_cassette(p.read_bytes()) for p in (tmp_path / "cps/cassettes").iterdir()]
    assert [[r.model for r in recordings] for recordings in cassettes] == [["gpt-test"]] * 2
    assert all("SECRET" not in str(recordings) for recordings in cassettes)
