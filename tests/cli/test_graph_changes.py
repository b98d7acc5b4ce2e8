"""A checkpoint that cannot resume on changed code: the CLI lists what changed, one per line,
renames and changed handler types included."""

from __future__ import annotations

from pathlib import Path

from tests.cli.support import RENAMING_PIPELINE, saved_ids, wftui


def test_a_renamed_executor_and_changed_handler_types_are_listed(tmp_path: Path) -> None:
    pipeline = tmp_path / "renaming.py"
    pipeline.write_text(RENAMING_PIPELINE.format(version=1))
    failed = wftui("run", "renaming.py", "--checkpoint-dir", "c", cwd=tmp_path)
    assert failed.returncode == 1, failed.stderr
    last = saved_ids(failed.stdout)[-1]
    pipeline.write_text(RENAMING_PIPELINE.format(version=2))

    refused = wftui("resume", last, "renaming.py", "--checkpoint-dir", "c", cwd=tmp_path)

    assert refused.returncode == 2
    head, *lines = refused.stderr.strip().splitlines()
    assert head.startswith("wftui: error: Workflow graph has changed: checkpoint ")
    assert head.endswith("was written by a different graph (workflow 'renaming') than 'renaming':")
    assert lines == [
        "  • renamed flaky -> shaky",
        "  • handler input types changed: prepare (str -> str | bytes)",
    ]
