"""``wftui fork``, ``rerun``, ``checkpoints diff``, ``checkpoints list --tree`` and ``resume
--steps``, run as a user's shell runs them, on real checkpoint files."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.support import REPO, invoked, saved_ids, wftui

FAN_OUT = str(REPO / "pipelines" / "fan_out.py")
TEXT = "a quick brown fox"


def run_fan_out(tmp_path: Path, text: str = TEXT) -> list[str]:
    done = wftui("run", FAN_OUT, "--input", text, "--checkpoint-dir", "c", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return saved_ids(done.stdout, tmp_path / "c")


def output_of(stdout: str) -> list[str]:
    return [
        line.removeprefix("output: ") for line in stdout.splitlines() if line.startswith("output: ")
    ]


def test_fork_prints_the_new_id_and_a_resume_of_it_runs_the_edit(tmp_path: Path) -> None:
    ids = run_fan_out(tmp_path)
    forked = wftui(
        "fork", ids[1], "--set", 'messages.intake[0].data="zebra apple"', "--note", "shorter",
        "--checkpoint-dir", "c", cwd=tmp_path,
    )  # fmt: skip
    assert forked.returncode == 0, forked.stderr
    (new_id,) = forked.stdout.split()

    compared = wftui("checkpoints", "diff", new_id, "--checkpoint-dir", "c", cwd=tmp_path)
    assert compared.returncode == 0, compared.stderr
    assert "  ~ messages.intake[0].data: 'a quick brown fox' -> 'zebra apple'" in compared.stdout
    assert "1 change\n" in compared.stdout

    # No PIPELINE: the fork records the one its original was run with.
    resumed = wftui("resume", new_id, "--checkpoint-dir", "c", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert output_of(resumed.stdout) == [
        "2 words (2 distinct); 40% vowels; longest word 'zebra' (5 letters)"
    ]


def test_a_bad_edit_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    ids = run_fan_out(tmp_path)
    before = sorted(p.name for p in (tmp_path / "c").iterdir())
    for edit, error in [
        ("executor_states.intake.tidy=5", "executor_states.intake.tidy: expected str, got int 5"),
        ("executor_states.intake.tidy=oops", "--set executor_states.intake.tidy: the value is not"),
        ("nowhere=1", "nowhere: a fork edits values under shared_state"),
    ]:
        result = wftui("fork", ids[1], "--set", edit, "--checkpoint-dir", "c", cwd=tmp_path)
        assert result.returncode == 2
        assert result.stderr.startswith(f"wftui: error: {error}")
        assert len(result.stderr.strip().splitlines()) == 1
        assert result.stdout == ""
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == before


def test_diff_of_two_runs_as_json(tmp_path: Path) -> None:
    first = run_fan_out(tmp_path, "one two")
    second = run_fan_out(tmp_path, "three four five")

    result = wftui(
        "checkpoints", "diff", first[-1], second[-1], "--json", "--checkpoint-dir", "c",
        cwd=tmp_path,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["same_run"] is False
    assert document["a"]["checkpoint_id"] == first[-1]
    changed = {change["path"]: change for change in document["changes"]}
    assert changed["executor_states.intake.received"]["before"] == "one two"
    assert changed["executor_states.intake.received"]["after"] == "three four five"
    assert wftui("checkpoints", "diff", first[0], "--checkpoint-dir", "c", cwd=tmp_path).stderr == (
        f"wftui: error: checkpoint {first[0][-8:]} has no parent; name B\n"
    )


def test_resume_steps_walks_to_the_same_output_as_a_plain_resume(tmp_path: Path) -> None:
    ids = run_fan_out(tmp_path)
    plain = wftui("resume", ids[0], "--checkpoint-dir", "c", cwd=tmp_path)
    at, outputs = ids[0], []
    for _ in range(6):
        step = wftui("resume", at, "--steps", "1", "--checkpoint-dir", "c", cwd=tmp_path)
        assert step.returncode == 0, step.stderr
        outputs += output_of(step.stdout)
        if not saved_ids(step.stdout):
            break
        assert len(saved_ids(step.stdout)) == 1
        at = saved_ids(step.stdout)[0]
    assert (
        "paused"
        in wftui("resume", ids[0], "--steps", "1", "--checkpoint-dir", "c", cwd=tmp_path).stdout
    )
    assert outputs == output_of(plain.stdout) != []


def test_a_step_is_journaled_as_a_paused_step_not_a_cancelled_resume(tmp_path: Path) -> None:
    ids = run_fan_out(tmp_path)
    step = wftui("resume", ids[0], "--steps", "1", "--checkpoint-dir", "c", cwd=tmp_path)
    assert step.returncode == 0, step.stderr

    runs = wftui("runs", "--json", "--checkpoint-dir", "c", cwd=tmp_path)

    executions = [e for row in json.loads(runs.stdout) for e in row["executions"]]
    assert [(e["kind"], e["status"]) for e in executions] == [
        ("run", "completed"),
        ("step", "paused"),
    ]


def test_rerun_one_executor_then_resume_replays_it(tmp_path: Path) -> None:
    ids = run_fan_out(tmp_path)
    fanned = ids[2]  # after split_words: three analysers have messages

    rerun = wftui("rerun", fanned, "word_count", "--checkpoint-dir", "c", cwd=tmp_path)

    assert rerun.returncode == 0, rerun.stderr
    assert invoked(rerun.stdout) == ["word_count"]
    (child,) = saved_ids(rerun.stdout)
    compared = wftui("checkpoints", "diff", child, "--json", "--checkpoint-dir", "c", cwd=tmp_path)
    paths = [change["path"] for change in json.loads(compared.stdout)["changes"]]
    assert paths and all(path.startswith("completed_writes.word_count") for path in paths)
    resumed = wftui("resume", child, "--checkpoint-dir", "c", cwd=tmp_path)
    assert "word_count" not in invoked(resumed.stdout)
    assert output_of(resumed.stdout) == output_of(
        wftui("resume", fanned, "--checkpoint-dir", "c", cwd=tmp_path).stdout
    )
    wrong = wftui("rerun", fanned, "summary", "--checkpoint-dir", "c", cwd=tmp_path)
    assert wrong.returncode == 2
    assert "no messages are pending for 'summary'" in wrong.stderr


def test_list_tree_shows_branches_under_the_checkpoint_they_came_from(tmp_path: Path) -> None:
    older = run_fan_out(tmp_path, "older run")
    ids = run_fan_out(tmp_path)
    fork = wftui(
        "fork", ids[1], "--set", 'messages.intake[0].data="x y"', "--checkpoint-dir", "c",
        cwd=tmp_path,
    ).stdout.strip()  # fmt: skip
    step = saved_ids(
        wftui("resume", ids[1], "--steps", "1", "--checkpoint-dir", "c", cwd=tmp_path).stdout
    )[0]

    tree = wftui("checkpoints", "list", "--tree", "--checkpoint-dir", "c", cwd=tmp_path)

    assert tree.returncode == 0, tree.stderr
    lines = tree.stdout.splitlines()
    headers = [n for n, line in enumerate(lines) if line.startswith("run ")]
    assert len(headers) == 2
    assert "7 checkpoints" in lines[headers[0]]  # the newest run first: 5 + fork + step
    assert "✓ completed" in lines[headers[0]]
    assert older[0][-8:] in "\n".join(lines[headers[1] :])
    newest = lines[headers[0] + 1 : headers[1]]
    # Checkpoints are named as the app names them: the tail of their id.
    names = [cid[-8:] for cid in ids]
    row = {cid: n for n, line in enumerate(newest) for cid in [*names, fork, step] if cid in line}
    assert [row[cid] for cid in names] == sorted(row[cid] for cid in names)
    assert row[names[1]] < row[fork] < row[step] < row[names[2]]
    assert newest[row[fork]].startswith(f"    └ [fork] superstep 1  {fork}  ")
    assert newest[row[step]].startswith(f"    └ [step] superstep 2  {step}  ")
    assert newest[row[names[2]]].startswith(f"  superstep 2  {names[2]}  ")
