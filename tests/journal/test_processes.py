"""The journal across processes: a run in one process is attached from another, a killed one
stops showing as running, and four writers fill one store with complete journals."""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from tests.cli.support import APPROVAL_PIPELINE, GATED_PIPELINE, REPO, environment
from tests.journal.workers import open_storage
from tests.postgres_support import scratch_schema, store_url
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.journal import LOST, RUNNING, Execution, Journal, journal_for

T = TypeVar("T")
PATIENCE = 60.0  # seconds before a wait on state gives up (a hang fails, not blocks)


async def until(probe: Callable[[], Awaitable[T | None]], what: str) -> T:
    """Wait for ``probe`` to return something (polling state; failing after PATIENCE)."""
    deadline = time.monotonic() + PATIENCE
    while time.monotonic() < deadline:
        found = await probe()
        if found is not None:
            return found
        await asyncio.sleep(0.02)
    pytest.fail(f"gave up waiting for {what}")


def _start(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "wftui", *args],
        cwd=cwd,
        env=environment(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def _running_execution(journal: Journal) -> Execution | None:
    executions = await journal.executions()
    live = [e for e in executions if e.run and e.status() == RUNNING]
    return live[0] if live else None


async def test_attach_replays_a_live_run_and_follows_it_to_its_end(tmp_path: Path) -> None:
    (tmp_path / "gated_flow.py").write_text(GATED_PIPELINE)
    gate = tmp_path / "gate"
    run = _start(
        "run", "gated_flow.py", "--checkpoint-dir", "store", cwd=tmp_path, env={"GATE": str(gate)}
    )
    try:
        journal = journal_for(FileCheckpointStorage(tmp_path / "store"))
        execution = await until(lambda: _running_execution(journal), "the run to be journaled")
        assert execution.run is not None
        attach = _start(
            "attach", execution.run[-6:], "--checkpoint-dir", "store", cwd=tmp_path, env={}
        )
        lines = _lines(attach)
        replayed: list[str] = []
        while not any("invoked" in line and "slow" in line for line in replayed):
            line = await asyncio.wait_for(lines.get(), PATIENCE)
            assert line, f"attach ended early: {replayed}"
            replayed.append(line)
        gate.write_text("open")  # only now can the rest of the run happen
        while (line := await asyncio.wait_for(lines.get(), PATIENCE)) != "":
            replayed.append(line)
        rest = "".join(replayed)
        assert attach.wait(timeout=PATIENCE) == 0
        assert attach.stderr is not None
        errors = attach.stderr.read()
        assert re.search(r"invoked +c$", rest, re.M) and re.search(
            r"OUTPUT +out +x>a>slow>c$", rest, re.M
        )
        assert f"run {execution.run[-8:]}: completed" in errors
        assert run.wait(timeout=PATIENCE) == 0
    finally:
        gate.write_text("open")
        run.kill()
        run.wait()


def _lines(process: subprocess.Popen[str]) -> asyncio.Queue[str]:
    """The process's stdout lines as they come ("" at the end), read without blocking the test."""
    queue: asyncio.Queue[str] = asyncio.Queue()
    loop = asyncio.get_running_loop()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, "")

    threading.Thread(target=read, daemon=True).start()
    return queue


async def test_a_killed_run_stops_showing_as_running(tmp_path: Path) -> None:
    (tmp_path / "gated_flow.py").write_text(GATED_PIPELINE)
    env = {"GATE": str(tmp_path / "never"), "WFTUI_HEARTBEAT_SECONDS": "0.2"}
    run = _start("run", "gated_flow.py", "--checkpoint-dir", "store", cwd=tmp_path, env=env)
    journal = journal_for(FileCheckpointStorage(tmp_path / "store"))
    try:

        async def beating() -> Execution | None:
            live = await _running_execution(journal)
            return live if live is not None and live.heartbeat > live.started else None

        execution = await until(beating, "a heartbeat of the running execution")
    finally:
        run.send_signal(signal.SIGKILL)
        run.wait()

    async def lost() -> Execution | None:
        [found] = await journal.executions()
        return found if found.status() == LOST else None

    found = await until(lost, "the killed execution to show as lost")
    assert found.id == execution.id and found.outcome is None
    listing = subprocess.run(
        [sys.executable, "-m", "wftui", "runs", "--json", "--checkpoint-dir", "store"],
        cwd=tmp_path,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=PATIENCE,
    )
    [row] = json.loads(listing.stdout)
    assert (row["run"], row["status"]) == (execution.run, LOST)


WORKERS = 4
RUNS_EACH = 8
SECRET = "marker-secret-0xC0FFEE"


@pytest.mark.parametrize("kind", ["file", "sqlite", "postgresql"])
async def test_four_processes_write_complete_journals_into_one_store(
    kind: str, tmp_path: Path
) -> None:
    async with scratch_schema() if kind == "postgresql" else _no_schema() as server:
        target = {
            "file": str(tmp_path / "store"),
            "sqlite": str(tmp_path / "store.db"),
            "postgresql": store_url(*server) if server else "",
        }[kind]
        env = environment({"WFTUI_TEST_SECRET_KEY": SECRET})
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.journal.workers",
                    kind,
                    target,
                    str(n),
                    str(RUNS_EACH),
                ],
                cwd=REPO,
                env=env,
                stderr=subprocess.PIPE,
                text=True,
            )
            for n in range(WORKERS)
        ]
        for worker in workers:
            _, errors = worker.communicate(timeout=300)
            assert worker.returncode == 0, errors
        storage = open_storage(kind, target)
        journal = journal_for(storage)
        try:
            executions = await journal.executions()
            summaries = await storage.list_summaries()
            assert len(executions) == WORKERS * RUNS_EACH
            assert {e.run for e in executions} == {s.workflow_id for s in summaries}
            assert len({e.run for e in executions}) == WORKERS * RUNS_EACH
            for execution in executions:
                assert execution.status() == "completed", execution
                entries = await journal.entries(execution.id)
                assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
                assert entries[0].event["event"] == "WorkflowStartedEvent"
                assert entries[-1].event == entries[-1].event | {"state": "IDLE"}
                checkpoint_ids = {
                    e.event["checkpoint_id"] for e in entries if "checkpoint_id" in e.event
                }
                mine = {s.checkpoint_id for s in summaries if s.workflow_id == execution.run}
                assert checkpoint_ids == mine
                text = json.dumps([execution.to_json(), *(e.to_json() for e in entries)])
                assert SECRET not in text and "[redacted]" in text
            if kind == "file":
                raw = b"".join(p.read_bytes() for p in (tmp_path / "store" / "journal").iterdir())
                assert SECRET.encode() not in raw and raw.count(b'"begin"') == WORKERS * RUNS_EACH
        finally:
            await journal.close()
            close = getattr(storage, "close", None)
            if close is not None:
                await close()


class _no_schema:
    """Stands in for ``scratch_schema`` when the store is not PostgreSQL."""

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_: object) -> None:
        return None


def test_an_answer_posted_by_attach_is_taken_by_the_next_resume(tmp_path: Path) -> None:
    def wftui(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "wftui", *args, "--checkpoint-dir", "store"],
            cwd=tmp_path,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=PATIENCE,
        )

    asked = wftui("run", APPROVAL_PIPELINE)
    assert asked.returncode == 0, asked.stderr
    request_id = re.findall(r"id=(\w+)$", asked.stdout, re.M)[-1]
    checkpoint_id = re.findall(r"checkpoint +(\w+) superstep", asked.stdout)[-1]
    [row] = json.loads(wftui("runs", "--json").stdout)
    assert row["status"] == "waiting"
    posted = wftui("attach", row["run"][-5:], "--respond", f"{request_id}=far away")
    assert posted.returncode == 0 and "answer to" in posted.stderr, posted.stderr
    resumed = wftui("resume", checkpoint_id, APPROVAL_PIPELINE)
    assert resumed.returncode == 0, resumed.stderr
    assert "output: HELLO:far away" in resumed.stdout
    [row] = json.loads(wftui("runs", "--json").stdout)
    assert [e["kind"] for e in row["executions"]] == ["run", "resume"]
    assert row["status"] == "completed"
