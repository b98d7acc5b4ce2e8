"""One id scheme on the command line: every human-readable output names checkpoints and runs by
the tail the app shows (longer only where a tail is shared), ``--json`` keeps whole ids, and
every printed command works when pasted."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

from tests.cli.support import FAILING_PIPELINE, invoked, saved_ids, wftui

FAN_OUT = "pipelines.fan_out"


def listed(tmp_path: Path, *extra: str) -> list[dict[str, object]]:
    done = wftui("checkpoints", "list", "--json", *extra, "--checkpoint-dir", "c", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result: list[dict[str, object]] = json.loads(done.stdout)
    return result


def test_run_fork_rerun_and_step_print_names_and_json_prints_whole_ids(tmp_path: Path) -> None:
    ran = wftui("run", FAN_OUT, "--checkpoint-dir", "c", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    names, whole = saved_ids(ran.stdout), saved_ids(ran.stdout, tmp_path / "c")
    assert [len(name) for name in names] == [8] * len(names)
    assert names == [full[-8:] for full in whole]

    forked = wftui("fork", names[1], "--set", 'messages.intake[0].data="a b"',
                   "--checkpoint-dir", "c", cwd=tmp_path)  # fmt: skip
    assert forked.returncode == 0, forked.stderr
    assert re.fullmatch(r"\w{8}\n", forked.stdout)
    as_json = wftui("fork", names[1], "--set", 'messages.intake[0].data="c d"', "--json",
                    "--checkpoint-dir", "c", cwd=tmp_path)  # fmt: skip
    fork_json = json.loads(as_json.stdout)
    assert fork_json["forked_from"] == whole[1]
    assert fork_json["checkpoint_id"] in {s["checkpoint_id"] for s in listed(tmp_path)}

    rerun = wftui("rerun", names[2], "word_count", "--checkpoint-dir", "c", cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
    assert f"rerunning word_count at {names[2]}" in rerun.stdout.splitlines()[0]
    (child,) = saved_ids(rerun.stdout)
    assert len(child) == 8

    step = wftui("resume", names[1], "--steps", "1", "--checkpoint-dir", "c", cwd=tmp_path)
    assert step.returncode == 0, step.stderr
    assert f"resuming {names[1]}" in step.stdout.splitlines()[0]
    assert [len(name) for name in saved_ids(step.stdout)] == [8]

    events = wftui("resume", names[1], "--steps", "1", "--json", "--checkpoint-dir", "c",
                   cwd=tmp_path)  # fmt: skip
    saved = [json.loads(line) for line in events.stdout.splitlines()]
    ids = [e["checkpoint_id"] for e in saved if e["event"] == "CheckpointSavedEvent"]
    assert [len(full) for full in ids] == [24]

    # Every name printed is the app's form of a whole id the listing has, and names it alone.
    for name in [*names, forked.stdout.strip(), child, *saved_ids(step.stdout)]:
        shown = wftui("checkpoints", "show", name, "--checkpoint-dir", "c", cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        assert json.loads(shown.stdout)["checkpoint_id"].endswith(name)


def test_the_resume_hint_of_a_failed_run_works_when_pasted(tmp_path: Path) -> None:
    (tmp_path / "fragile_flow.py").write_text(FAILING_PIPELINE)
    failed = wftui("run", "fragile_flow.py", "--checkpoint-dir", "c", cwd=tmp_path)
    assert failed.returncode == 1
    hint = failed.stderr.strip().splitlines()[-1]
    command = shlex.split(hint.removeprefix("resume after fixing the cause: "))
    assert command[:2] == ["wftui", "resume"] and len(command[2]) == 8
    assert command[2] == saved_ids(failed.stdout)[-1]

    fixed = wftui(*command[1:], cwd=tmp_path, env={"FAILING_PIPELINE_FIXED": "1"})

    assert fixed.returncode == 0, fixed.stderr
    assert invoked(fixed.stdout) == ["fragile", "out"]


def _plant_twin(folder: Path, original: str, twin: str) -> None:
    """A copy of checkpoint ``original`` under id ``twin``, in a run of its own."""
    document = json.loads((folder / f"{original}.json").read_text())
    document.update(checkpoint_id=twin, workflow_id="twin-run", parent_checkpoint_id=None)
    (folder / f"{twin}.json").write_text(json.dumps(document))


def test_ids_sharing_their_last_eight_characters_are_shown_longer_and_still_paste(
    tmp_path: Path,
) -> None:
    ran = wftui("run", "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path)
    whole = saved_ids(ran.stdout, tmp_path / "c")
    target = whole[2]
    other = "e" if target[-10] != "e" else "d"
    twin = "f" * 14 + other + target[-9:]  # shares 9 characters of tail: 10 tell them apart
    _plant_twin(tmp_path / "c", target, twin)

    table = wftui("checkpoints", "list", "--checkpoint-dir", "c", cwd=tmp_path)
    first_column = [row.split()[0] for row in table.stdout.splitlines()[1:]]
    assert target[-10:] in first_column and twin[-10:] in first_column
    assert target[-8:] not in first_column  # never a name that names two checkpoints
    tree = wftui("checkpoints", "list", "--tree", "--checkpoint-dir", "c", cwd=tmp_path)
    assert f"  {target[-10:]}  " in tree.stdout and f"  {twin[-10:]}  " in tree.stdout

    ambiguous = wftui("checkpoints", "show", target[-8:], "--checkpoint-dir", "c", cwd=tmp_path)
    assert ambiguous.returncode == 2
    assert f"2 match ({target[-10:]}, {twin[-10:]})" in ambiguous.stderr
    for name, full in ((target[-10:], target), (twin[-10:], twin)):
        shown = wftui("checkpoints", "show", name, "--checkpoint-dir", "c", cwd=tmp_path)
        assert json.loads(shown.stdout)["checkpoint_id"] == full

    # A resume of the clashing checkpoint names what it saves, and its hint, alike.
    resumed = wftui("resume", target[-10:], "--checkpoint-dir", "c", "--chat", "local",
                    cwd=tmp_path)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming {target[-10:]}" in resumed.stdout.splitlines()[0]


def test_runs_are_named_by_their_tail_and_list_run_takes_it(tmp_path: Path) -> None:
    for _ in range(2):
        assert (
            wftui("run", "--checkpoint-dir", "c", "--chat", "local", cwd=tmp_path).returncode == 0
        )
    run = str(listed(tmp_path)[0]["workflow_id"])

    runs = wftui("runs", "--checkpoint-dir", "c", cwd=tmp_path)
    assert runs.returncode == 0, runs.stderr
    rows = [line.split()[0] for line in runs.stdout.splitlines()[1:] if not line.startswith(" ")]
    assert rows[0] == run[-8:]  # newest first
    assert {s["workflow_id"] for s in listed(tmp_path, "--run", run[-8:])} == {run}
    table = wftui("checkpoints", "list", "--checkpoint-dir", "c", cwd=tmp_path)
    assert table.stdout.splitlines()[1].split()[1] == run[-8:]


def test_attach_names_checkpoints_as_run_prints_them(tmp_path: Path) -> None:
    ran = wftui("run", FAN_OUT, "--checkpoint-dir", "c", cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    run = str(listed(tmp_path)[0]["workflow_id"])

    attached = wftui("attach", run[-8:], "--checkpoint-dir", "c", cwd=tmp_path)

    assert attached.returncode == 0, attached.stderr
    assert saved_ids(attached.stdout) == saved_ids(ran.stdout)
    whole = saved_ids(ran.stdout, tmp_path / "c")
    assert not any(full in attached.stdout for full in whole)
