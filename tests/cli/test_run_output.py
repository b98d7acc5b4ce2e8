"""Headless ``run`` prints the app log's one-line form with times; ``--json`` prints one JSON
object per event for scripts."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.cli.support import environment, wftui

TIME = r"\d\d:\d\d:\d\d\.\d{3}"


def test_run_prints_the_logs_line_form_with_times(tmp_path: Path) -> None:
    done = wftui("run", "--checkpoint-dir", "ckpt", "--chat", "local", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()[1:-1]  # between the header and the output line
    assert not [line for line in lines if "Event(" in line]
    assert all(re.match(TIME + " ", line) for line in lines), lines
    assert any(re.fullmatch(TIME + r" invoked\s+upper_case_executor", line) for line in lines)
    assert any(re.fullmatch(TIME + r" OUTPUT\s+finalize\s+dlrow olleh", line) for line in lines)
    # Checkpoint lines name each checkpoint as the app does: the tail of its id.
    saved = [re.search(r"checkpoint\s+(\w{8}) superstep \d+$", line) for line in lines]
    names = [found.group(1) for found in saved if found]
    assert sorted(names) == sorted(p.stem[-8:] for p in (tmp_path / "ckpt").glob("*.json"))


def test_run_json_prints_one_object_per_event(tmp_path: Path) -> None:
    done = wftui("run", "--json", "--checkpoint-dir", "ckpt", "--chat", "local", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [event["event"] for event in events]
    assert kinds[0] == "WorkflowStartedEvent" and kinds[-1] == "WorkflowStatusEvent"
    assert {"executor_id": "finalize"}.items() <= next(
        e for e in events if e["event"] == "ExecutorInvokedEvent" and e["executor_id"] == "finalize"
    ).items()
    (output,) = [e for e in events if e["event"] == "WorkflowOutputEvent"]
    assert output["data"] == "dlrow olleh"
    saved = [e["checkpoint_id"] for e in events if e["event"] == "CheckpointSavedEvent"]
    assert sorted(saved) == sorted(p.stem for p in (tmp_path / "ckpt").glob("*.json"))
    assert all(isinstance(e["timestamp"], float) for e in events)


TRACED_RUN = """
import sys
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

memory = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(memory))
trace.set_tracer_provider(provider)

from wftui.cli import main

code = main(sys.argv[1:])
print(*sorted({span.name for span in memory.get_finished_spans()}), sep="\\n")
sys.exit(code)
"""


def test_a_headless_run_is_a_trace_when_a_tracer_provider_is_set(tmp_path: Path) -> None:
    """As a user's own program would configure OpenTelemetry, then call the CLI's main."""
    done = subprocess.run(
        [sys.executable, "-c", TRACED_RUN, "run", "--checkpoint-dir", "c", "--chat", "local"],
        cwd=tmp_path, env=environment(), capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    spans = set(lines[lines.index("output: dlrow olleh") + 1 :])
    assert {"workflow text_processing", "executor lower_agent"} <= spans
    assert {f"superstep {n}" for n in range(1, 6)} <= spans
