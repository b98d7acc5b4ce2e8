"""Choosing a store on the command line, and copying checkpoints between stores.

Real stores only: folders, SQLite files and a schema of its own on the test PostgreSQL server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.support import saved_ids, wftui
from tests.postgres_support import admin, scratch_store_url
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.journal import Entry, Execution, journal_for


def one_error(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("wftui: error: ")
    return lines[0].removeprefix("wftui: error: ")


@pytest.fixture
def postgres_store() -> Iterator[str]:
    """A store URL on the test server, in a schema of its own that is dropped afterwards."""
    with scratch_store_url("wftui_cli_test") as url:
        yield url


def test_a_run_and_every_checkpoint_command_on_a_sqlite_store(tmp_path: Path) -> None:
    store = "sqlite:runs.db"
    done = wftui("run", "--store", store, "--chat", "local", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].endswith("| checkpoints: sqlite:runs.db")
    ids = saved_ids(done.stdout)  # as printed: their names in the store
    assert len(ids) == 6
    assert not (tmp_path / ".wftui").exists()  # nothing assumed a folder

    listed = wftui("checkpoints", "list", "--store", store, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert [row.split()[0] for row in listed.stdout.splitlines()[1:]] == ids[::-1]
    as_json = wftui("checkpoints", "list", "--json", "--store", store, cwd=tmp_path)
    whole = [summary["checkpoint_id"] for summary in json.loads(as_json.stdout)][::-1]
    assert [full[-8:] for full in whole] == ids

    shown = wftui("checkpoints", "show", whole[2][:-1], "--store", store, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert f'"checkpoint_id": "{whole[2]}"' in shown.stdout
    assert '"status": "in progress"' in shown.stdout

    resumed = wftui("resume", ids[2], "--store", store, "--chat", "local", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.stdout.splitlines()[-1] == "output: dlrow olleh"

    deleted = wftui("checkpoints", "delete", ids[0], "--store", store, cwd=tmp_path)
    assert (deleted.returncode, deleted.stdout.strip()) == (0, f"deleted {ids[0]}")
    again = wftui("checkpoints", "show", ids[0], "--store", store, cwd=tmp_path)
    assert one_error(again.stderr) == f"no checkpoint {ids[0]!r} in sqlite:runs.db"


@pytest.mark.parametrize(
    "command",
    [
        ["checkpoints", "list"],
        ["checkpoints", "show", "abc"],
        ["checkpoints", "prune", "--keep-runs", "1"],
        ["resume", "abc"],
    ],
)
def test_read_only_commands_report_a_missing_sqlite_file_and_create_nothing(
    tmp_path: Path, command: list[str]
) -> None:
    done = wftui(*command, "--store", "sqlite:nowhere/runs.db", cwd=tmp_path)
    assert done.returncode == 2
    assert one_error(done.stderr) == "no SQLite store at nowhere/runs.db"
    assert list(tmp_path.iterdir()) == []


def test_flags_beat_the_environment_and_two_choices_are_an_error(tmp_path: Path) -> None:
    from_env = wftui("run", "--chat", "local", cwd=tmp_path, env={"WFTUI_STORE": "sqlite:e.db"})
    assert from_env.returncode == 0, from_env.stderr
    assert (tmp_path / "e.db").is_file()

    flag = wftui(
        "run", "--chat", "local", "--checkpoint-dir", "cps", cwd=tmp_path,
        env={"WFTUI_STORE": "sqlite:e.db"},
    )  # fmt: skip
    assert flag.returncode == 0, flag.stderr
    assert len(list((tmp_path / "cps").glob("*.json"))) == 6

    both = wftui("checkpoints", "list", "--store", "sqlite:e.db", "--checkpoint-dir", "cps",
                 cwd=tmp_path)  # fmt: skip
    assert one_error(both.stderr) == "give --store or --checkpoint-dir, not both"

    envs = wftui("checkpoints", "list", cwd=tmp_path,
                 env={"WFTUI_STORE": "sqlite:e.db", "WFTUI_CHECKPOINT_DIR": "cps"})  # fmt: skip
    assert one_error(envs.stderr) == (
        "WFTUI_STORE and WFTUI_CHECKPOINT_DIR are both set: unset one (or give --store)"
    )


def test_the_postgres_password_never_shows_in_output(tmp_path: Path, postgres_store: str) -> None:
    """Trust auth accepts any password, so a URL with one still works against the test server."""
    with_password = postgres_store.replace(
        "postgresql://postgres@", "postgresql://postgres:s3cret@"
    )
    assert "s3cret" in with_password
    done = wftui("run", "--store", with_password, "--chat", "local", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "s3cret" not in done.stdout + done.stderr
    assert done.stdout.splitlines()[0].endswith(f"| checkpoints: {postgres_store}")


def test_prune_keeps_the_newest_runs_on_postgres(tmp_path: Path, postgres_store: str) -> None:
    for _ in range(3):
        done = wftui("run", "--store", postgres_store, "--chat", "local", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    pruned = wftui("checkpoints", "prune", "--keep-runs", "1", "--store", postgres_store,
                   cwd=tmp_path)  # fmt: skip
    assert pruned.returncode == 0, pruned.stderr
    assert pruned.stdout.splitlines() == [
        "deleted 12 checkpoints of 2 runs; kept 6 of 1 run",
        "deleted with them: 2 journals",
    ]
    url, _, schema = postgres_store.rpartition("?schema=")
    with admin(url) as connection:
        runs = connection.execute(
            f'SELECT count(DISTINCT workflow_id), count(*) FROM "{schema}".checkpoints'
        ).fetchone()
        tombstones = connection.execute(
            f"""SELECT count(*) FROM "{schema}".changes WHERE kind = 'deleted'"""
        ).fetchone()
        journaled = connection.execute(
            f'SELECT count(DISTINCT run), count(*) FROM "{schema}".executions'
        ).fetchone()
        events = connection.execute(
            f'SELECT count(*) FROM "{schema}".events WHERE execution NOT IN '
            f'(SELECT id FROM "{schema}".executions)'
        ).fetchone()
    assert runs == (1, 6)
    assert tombstones == (12,)
    assert journaled == (1, 1)  # the kept run's one execution
    assert events == (0,)  # no entry outlives its execution


def documents(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.json"))}


def cassettes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((folder / "cassettes").iterdir())}


async def journals(folder: Path) -> list[tuple[Execution, list[Entry]]]:
    """Every execution in a folder's journal with its entries, oldest first."""
    journal = journal_for(FileCheckpointStorage(folder))
    return [(e, await journal.entries(e.id)) for e in await journal.executions()]


async def test_copy_folder_to_sqlite_to_postgres_to_folder_keeps_every_byte(
    tmp_path: Path, postgres_store: str
) -> None:
    """Checkpoints byte for byte, journals execution by execution, cassettes byte for byte."""
    for _ in range(2):
        done = wftui("run", "--checkpoint-dir", "first", "--chat", "local", "--llm", "record",
                     cwd=tmp_path)  # fmt: skip
        assert done.returncode == 0, done.stderr
    original = documents(tmp_path / "first")
    assert len(original) == 12
    original_journals = await journals(tmp_path / "first")
    assert len(original_journals) == 2 and all(entries for _, entries in original_journals)
    original_cassettes = cassettes(tmp_path / "first")
    assert len(original_cassettes) == 2

    hops = [("first", "sqlite:middle.db"), ("sqlite:middle.db", postgres_store),
            (postgres_store, "file:last")]  # fmt: skip
    for source, destination in hops:
        copied = wftui("checkpoints", "copy", "--from", source, "--to", destination, cwd=tmp_path)
        assert copied.returncode == 0, copied.stderr
        assert copied.stdout.splitlines() == [
            "copied 12 checkpoints, 0 already there",
            "copied 2 journals, 0 already there",
            "copied 2 cassettes, 0 already there",
        ]
        # Not a terminal: a plain counter on stderr, ending at the total.
        assert copied.stderr.splitlines()[-1].endswith(": 12/12"), copied.stderr
    assert documents(tmp_path / "last") == original
    assert await journals(tmp_path / "last") == original_journals
    assert cassettes(tmp_path / "last") == original_cassettes

    again = wftui("checkpoints", "copy", "--from", "first", "--to", postgres_store, cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines() == [
        "copied 0 checkpoints, 12 already there",
        "copied 0 journals, 2 already there",
        "copied 0 cassettes, 2 already there",
    ]


async def test_copy_of_one_run_and_of_a_store_that_is_not_there(tmp_path: Path) -> None:
    for _ in range(2):
        done = wftui("run", "--store", "sqlite:a.db", "--chat", "local", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
    listed = wftui("checkpoints", "list", "--json", "--store", "sqlite:a.db", cwd=tmp_path)
    run = re.findall(r'"workflow_id": "(\w+)"', listed.stdout)[0]
    copied = wftui("checkpoints", "copy", "--from", "sqlite:a.db", "--to", "b", "--run", run,
                   cwd=tmp_path)  # fmt: skip
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.splitlines() == [
        "copied 6 checkpoints, 0 already there",
        "copied 1 journal, 0 already there",  # the run's one execution, not the other run's
    ]
    assert len(documents(tmp_path / "b")) == 6
    [(execution, _)] = await journals(tmp_path / "b")
    assert execution.run == run

    missing = wftui("checkpoints", "copy", "--from", "sqlite:nope.db", "--to", "c", cwd=tmp_path)
    assert one_error(missing.stderr) == "no SQLite store at nope.db"
    assert not (tmp_path / "c").exists()


def test_a_corrupt_source_document_is_reported_and_the_rest_copied(tmp_path: Path) -> None:
    done = wftui("run", "--checkpoint-dir", "src", "--chat", "local", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ids = saved_ids(done.stdout, tmp_path / "src")
    (tmp_path / "src" / f"{ids[3]}.json").write_bytes(b'{"format_version": 1, "check')
    copied = wftui("checkpoints", "copy", "--from", "src", "--to", "sqlite:d.db", cwd=tmp_path)
    assert copied.returncode == 1
    assert copied.stdout.splitlines()[0] == (
        "copied 5 checkpoints, 0 already there, 1 unreadable (see above)"
    )
    warnings = [line for line in copied.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert ids[3] in warnings[0]
    assert "not valid JSON" in warnings[0]
