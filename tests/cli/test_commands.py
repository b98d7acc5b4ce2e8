"""The headless CLI: run, list, show, resume (by id, by prefix, with answers)."""

from __future__ import annotations

import asyncio
import json
import re
import shlex
import signal
import sys
from pathlib import Path

import pytest

from tests.cli.support import (
    APPROVAL_PIPELINE,
    GATED_PIPELINE,
    REPO,
    environment,
    invoked,
    saved_ids,
    wftui,
)

SEED_STEPS = ["upper_case_executor", "reverse_text_executor", "submit_lower", "lower_agent",
              "finalize"]  # fmt: skip


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """One headless run of the default (seed) pipeline; its folder and checkpoint ids."""
    folder = tmp_path_factory.mktemp("seeded")
    done = wftui("run", "--checkpoint-dir", "ckpt", "--chat", "local", cwd=folder)
    assert done.returncode == 0, done.stderr
    return folder, saved_ids(done.stdout, folder / "ckpt")


def test_run_prints_events_one_per_line_and_the_output(tmp_path: Path) -> None:
    done = wftui("run", "--checkpoint-dir", "ckpt", "--chat", "local", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("pipeline: text_processing | chat: local function")
    assert re.fullmatch(r"\S+ run\s+started", lines[1])
    assert any(re.fullmatch(r"\S+ invoked\s+upper_case_executor", line) for line in lines)
    assert any(re.fullmatch(r"\S+ OUTPUT\s+finalize\s+dlrow olleh", line) for line in lines)
    assert re.fullmatch(r"\S+ status\s+\S+ completed", lines[-2])
    assert lines[-1] == "output: dlrow olleh"
    assert invoked(done.stdout) == SEED_STEPS
    # Each checkpoint line names one checkpoint file, by the tail the app shows.
    assert saved_ids(done.stdout) == [i[-8:] for i in saved_ids(done.stdout, tmp_path / "ckpt")]
    assert sorted(p.stem for p in (tmp_path / "ckpt").glob("*.json")) == sorted(
        saved_ids(done.stdout, tmp_path / "ckpt")
    )
    assert done.stderr == ""


@pytest.mark.parametrize(
    "pipeline",
    [str(REPO / "pipelines" / "text_processing.py"), "pipelines.text_processing"],
    ids=["file-path", "module-name"],
)
def test_pipeline_by_file_path_or_module_name_with_input(tmp_path: Path, pipeline: str) -> None:
    done = wftui(
        "run", pipeline, "--input", "Hi There", "--checkpoint-dir", "c", "--chat", "local",
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "output: ereht ih"


def test_checkpoint_dir_from_environment_and_default(tmp_path: Path) -> None:
    env_dir = tmp_path / "from-env"
    done = wftui("run", "--chat", "local", cwd=tmp_path, env={"WFTUI_CHECKPOINT_DIR": str(env_dir)})
    assert done.returncode == 0, done.stderr
    assert len(list(env_dir.glob("*.json"))) == 6
    done = wftui("run", "--chat", "local", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(list((tmp_path / ".wftui" / "checkpoints").glob("*.json"))) == 6


def test_checkpoints_list_is_a_table_newest_first(seeded: tuple[Path, list[str]]) -> None:
    folder, ids = seeded
    done = wftui("checkpoints", "list", "--checkpoint-dir", "ckpt", cwd=folder)
    assert done.returncode == 0, done.stderr
    header, *rows = done.stdout.splitlines()
    assert header.split()[:4] == ["checkpoint", "run", "step", "status"]
    assert [row.split()[0] for row in rows] == [i[-8:] for i in reversed(ids)]  # the app's form
    assert (
        rows[0].split()[1]
        == json.loads((folder / "ckpt" / f"{ids[0]}.json").read_text())["workflow_id"][-8:]
    )
    assert rows[0].split()[2:3] == ["5"]
    assert "completed" in rows[0]
    assert "submit_lower" in rows[3]  # step 2: after ReverseText, SubmitToLower is next


def test_checkpoints_list_json(seeded: tuple[Path, list[str]]) -> None:
    folder, ids = seeded
    done = wftui("checkpoints", "list", "--json", "--checkpoint-dir", "ckpt", cwd=folder)
    assert done.returncode == 0, done.stderr
    summaries = json.loads(done.stdout)
    assert [s["checkpoint_id"] for s in summaries] == list(reversed(ids))
    assert [s["iteration_count"] for s in summaries] == [5, 4, 3, 2, 1, 0]
    assert summaries[0]["status"] == "completed"
    assert summaries[3]["next_executor_ids"] == ["submit_lower"]
    assert len({s["workflow_id"] for s in summaries}) == 1


def test_checkpoints_show_prints_the_checkpoint_as_json(seeded: tuple[Path, list[str]]) -> None:
    folder, ids = seeded
    done = wftui("checkpoints", "show", ids[2], "--checkpoint-dir", "ckpt", cwd=folder)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["checkpoint_id"] == ids[2]
    assert document["iteration_count"] == 2
    assert document["status"] == "in progress"
    assert document["shared_state"] == {
        "original_input": "hello world",
        "upper_output": "HELLO WORLD",
    }
    assert document["executor_states"]["reverse_text_executor"]["last_output"] == "DLROW OLLEH"


@pytest.mark.parametrize("length", [None, 18], ids=["full-id", "prefix"])
def test_resume_runs_only_what_is_left(seeded: tuple[Path, list[str]], length: int | None) -> None:
    folder, ids = seeded
    after_reverse = ids[2]
    given = after_reverse[:length] if length else after_reverse
    done = wftui("resume", given, "--checkpoint-dir", "ckpt", "--chat", "local", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert f"resuming {after_reverse[-8:]}" in done.stdout.splitlines()[0]
    assert invoked(done.stdout) == ["submit_lower", "lower_agent", "finalize"]
    assert done.stdout.splitlines()[-1] == "output: dlrow olleh"


def test_resume_with_respond_answers_a_human_request(tmp_path: Path) -> None:
    done = wftui("run", APPROVAL_PIPELINE, "--checkpoint-dir", "c", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (request_id,) = re.findall(r"request\s+drafter\s+.* id=(\w+)$", done.stdout, re.M)
    assert re.search(r"status\s+\? waiting for human$", done.stdout, re.M)
    paused = saved_ids(done.stdout)[-1]  # as printed: the name, which the commands take

    # The hint on stderr works as printed, with the answer filled in.
    hint = done.stderr.strip().removeprefix("waiting for human input: answer with ")
    pipeline = shlex.quote(APPROVAL_PIPELINE)
    assert hint == (
        f"wftui resume {paused} {pipeline} --checkpoint-dir c --respond {request_id}=VALUE"
    )
    command = [
        word.replace(f"{request_id}=VALUE", f"{request_id}=ship it") for word in shlex.split(hint)
    ]
    answered = wftui(*command[1:], cwd=tmp_path)
    assert answered.returncode == 0, answered.stderr
    assert invoked(answered.stdout) == ["drafter"]
    assert answered.stdout.splitlines()[-1] == "output: HELLO:ship it"

    # Resuming without an answer shows the request again and waits.
    waiting = wftui("resume", paused, APPROVAL_PIPELINE, "--checkpoint-dir", "c", cwd=tmp_path)
    assert waiting.returncode == 0, waiting.stderr
    assert f"id={request_id}" in waiting.stdout
    assert re.search(r"status\s+\? waiting for human$", waiting.stdout, re.M)

    # show needs no pipeline: values are printed as the typed JSON the file holds.
    shown = wftui("checkpoints", "show", paused, "--checkpoint-dir", "c", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    document = json.loads(shown.stdout)
    assert document["status"] == "awaiting human input"
    request = document["pending_requests"][request_id]
    assert request["data"] == {
        "$t": "pipelines.approval:ApprovalRequest",
        "request_id": request_id,
        "draft": "HELLO",
    }


def test_checkpoints_list_by_run_and_delete(tmp_path: Path) -> None:
    first = wftui("run", "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path)
    second = wftui("run", "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path)
    listing = json.loads(
        wftui("checkpoints", "list", "--json", "--checkpoint-dir", "c", cwd=tmp_path).stdout
    )
    runs = {s["checkpoint_id"]: s["workflow_id"] for s in listing}
    run_of_second = runs[saved_ids(second.stdout, tmp_path / "c")[0]]
    # --run takes a run's head or, as the app shows it, its tail.
    for typed in (run_of_second[:8], run_of_second[-8:]):
        only = wftui("checkpoints", "list", "--run", typed, "--checkpoint-dir", "c", cwd=tmp_path)
        assert [row.split()[0] for row in only.stdout.splitlines()[1:]] == list(
            reversed(saved_ids(second.stdout))
        )
    victim = saved_ids(first.stdout)[3]
    deleted = wftui("checkpoints", "delete", victim, "--checkpoint-dir", "c", cwd=tmp_path)
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == f"deleted {victim}"
    after = wftui("checkpoints", "list", "--json", "--checkpoint-dir", "c", cwd=tmp_path)
    assert not [s for s in json.loads(after.stdout) if s["checkpoint_id"].endswith(victim)]
    assert len(json.loads(after.stdout)) == 11


def test_prune_keeps_the_newest_runs_whole(tmp_path: Path) -> None:
    runs = [
        saved_ids(
            wftui("run", "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path).stdout,
            tmp_path / "c",
        )
        for _ in range(3)
    ]

    def listed() -> set[str]:
        done = wftui("checkpoints", "list", "--json", "--checkpoint-dir", "c", cwd=tmp_path)
        return {summary["checkpoint_id"] for summary in json.loads(done.stdout)}

    dry = wftui("checkpoints", "prune", "--keep-runs", "2", "--dry-run", "--checkpoint-dir", "c",
                cwd=tmp_path)  # fmt: skip
    assert dry.stdout.splitlines() == [
        "would delete 6 checkpoints of 1 run; kept 12 of 2 runs",
        "would delete with them: 1 journal",  # the run's journal goes with it
    ]
    assert listed() == {*runs[0], *runs[1], *runs[2]}
    assert len(list((tmp_path / "c" / "journal").glob("*.jsonl"))) == 3

    pruned = wftui("checkpoints", "prune", "--keep-runs", "2", "--checkpoint-dir", "c",
                   cwd=tmp_path)  # fmt: skip
    assert pruned.returncode == 0, pruned.stderr
    assert listed() == {*runs[1], *runs[2]}
    assert len(list((tmp_path / "c" / "journal").glob("*.jsonl"))) == 2
    resumed = wftui("resume", runs[1][2], "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path)
    assert resumed.stdout.splitlines()[-1] == "output: dlrow olleh"


async def test_ctrl_c_stops_a_run_and_the_last_checkpoint_resumes(tmp_path: Path) -> None:
    (tmp_path / "gated_flow.py").write_text(GATED_PIPELINE)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "wftui", "run", "gated_flow.py", "--checkpoint-dir", "c",
        cwd=tmp_path, env=environment({"GATE": str(tmp_path / "never")}),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(60):
            # Until "slow" runs and the checkpoint before it was announced (which, with
            # durability "async", happens while "slow" runs).
            while (
                invoked("\n".join(lines))[-1:] != ["slow"] or len(saved_ids("\n".join(lines))) < 2
            ):
                line = await process.stdout.readline()
                assert line, f"the run ended early: {lines}"
                lines.append(line.decode().strip())
            process.send_signal(signal.SIGINT)
            await process.wait()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 130
    stderr = (await process.stderr.read()).decode()
    assert stderr.strip() == "wftui: interrupted; the last checkpoint is resumable"
    assert "Traceback" not in stderr

    last = saved_ids("\n".join(lines))[-1]
    resumed = wftui("resume", last, "gated_flow.py", "--checkpoint-dir", "c", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert invoked(resumed.stdout) == ["slow", "c", "out"]
    assert resumed.stdout.splitlines()[-1] == "output: x>a>slow>c"


def test_prune_never_acts_on_a_file_it_could_not_validate(tmp_path: Path) -> None:
    """A copied-in checkpoint whose time is not a time must neither rank as newest nor go."""
    runs = [
        saved_ids(
            wftui("run", "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path).stdout,
            tmp_path / "c",
        )
        for _ in range(2)
    ]
    folder = tmp_path / "c"
    foreign = json.loads((folder / f"{runs[0][0]}.json").read_text())
    foreign.update(checkpoint_id="f" * 24, workflow_id="foreign-run", timestamp="zzz")
    (folder / f"{'f' * 24}.json").write_text(json.dumps(foreign))

    pruned = wftui("checkpoints", "prune", "--keep-runs", "1", "--checkpoint-dir", "c",
                   cwd=tmp_path)  # fmt: skip
    assert pruned.returncode == 0, pruned.stderr
    # The newest real run stays, the older one goes, the foreign file is left and named.
    assert pruned.stdout.splitlines()[0] == "deleted 6 checkpoints of 1 run; kept 6 of 1 run"
    assert f"left untouched: {'f' * 24}.json" in pruned.stderr
    assert (folder / f"{'f' * 24}.json").exists()
    assert all((folder / f"{cid}.json").exists() for cid in runs[1])
    assert not any((folder / f"{cid}.json").exists() for cid in runs[0])


def test_an_id_is_taken_by_the_tail_the_app_shows_or_by_its_head(tmp_path: Path) -> None:
    ran = wftui("run", "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path)
    ids = saved_ids(ran.stdout, tmp_path / "c")
    for typed in (ids[2][-8:], ids[2][-4:], ids[2]):
        shown = wftui("checkpoints", "show", typed, "--checkpoint-dir", "c", cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["checkpoint_id"] == ids[2]
    # The time-ordered head is shared by every checkpoint of the run: ambiguous, and says so.
    ambiguous = wftui("checkpoints", "show", ids[0][:6], "--checkpoint-dir", "c", cwd=tmp_path)
    assert ambiguous.returncode != 0
    assert "is ambiguous" in ambiguous.stderr and ids[0][-8:] in ambiguous.stderr
