"""Tracing: a run's spans reach the SDK's in-memory exporter; without opentelemetry, nothing."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from pipelines.text_processing import create_workflow
from tests.agents import conftest as agent_fixtures
from tests.agents.llm_doubles import SECRET_KEY, FakeLLMServer
from tests.cli.support import REPO, environment
from wftui.agents.function_client import FunctionChatClient
from wftui.azure import AzureOpenAIChatClient
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.tracing import gen_ai_system, traced

llm_server = agent_fixtures.llm_server
_clean_llm_environment = agent_fixtures._clean_llm_environment


@pytest.fixture
def exporter() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    yield provider, memory
    provider.shutdown()


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def parent_of(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


async def test_a_run_is_a_trace_of_supersteps_executors_and_model_calls(
    llm_server: FakeLLMServer, exporter: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    provider, memory = exporter
    client = AzureOpenAIChatClient(
        deployment_name="gpt-test", endpoint=llm_server.url, api_key=SECRET_KEY
    )
    workflow = create_workflow(InMemoryCheckpointStorage(), client)

    events = [
        event
        async for event in traced(
            workflow.run_stream("hello world"), name=workflow.name, chat_client=client,
            tracer_provider=provider,
        )
    ]  # fmt: skip

    assert events  # handed through
    spans = by_name(memory.get_finished_spans())
    run = spans["workflow text_processing"]
    assert {span.context.trace_id for span in spans.values()} == {run.context.trace_id}
    assert parent_of(run) is None
    assert run.attributes is not None and run.attributes["wftui.run.state"] == "IDLE"
    supersteps = [spans[f"superstep {n}"] for n in range(1, 6)]
    assert all(parent_of(step) == run.context.span_id for step in supersteps)
    agent = spans["executor lower_agent"]
    assert parent_of(agent) == supersteps[3].context.span_id
    assert agent.attributes == {
        "wftui.executor.id": "lower_agent",
        "wftui.message.type": "AgentExecutorRequest",
        "wftui.outcome": "completed",
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": 2,
    }
    chat = spans["chat gpt-test"]
    assert parent_of(chat) == agent.context.span_id
    assert chat.attributes == {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "az.ai.openai",
        "gen_ai.request.model": "gpt-test",
        "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": 2,
    }
    assert agent.start_time is not None and chat.end_time is not None and agent.end_time is not None
    assert agent.start_time <= chat.end_time <= agent.end_time
    upper = spans["executor upper_case_executor"]
    assert upper.attributes is not None and upper.attributes["wftui.message.type"] == "str"
    assert "SECRET" not in repr([dict(span.attributes or {}) for span in spans.values()])


async def test_a_failure_marks_its_executor_superstep_and_run(
    exporter: tuple[TracerProvider, InMemorySpanExporter],
) -> None:
    provider, memory = exporter

    def broken(messages: list[Any]) -> str:
        raise RuntimeError("model down")

    workflow = create_workflow(InMemoryCheckpointStorage(), FunctionChatClient(broken))
    run = workflow.run_stream("x", raise_on_failure=False)
    async for _ in traced(run, name="seed", tracer_provider=provider):
        pass

    spans = by_name(memory.get_finished_spans())
    agent = spans["executor lower_agent"]
    assert agent.status.status_code is StatusCode.ERROR
    assert agent.attributes is not None and agent.attributes["wftui.outcome"] == "failed"
    assert spans["superstep 4"].status.status_code is StatusCode.ERROR
    run = spans["workflow seed"]
    assert run.status.status_code is StatusCode.ERROR
    assert "RuntimeError in lower_agent: model down" in (run.status.description or "")


def test_backends_map_to_gen_ai_system_names() -> None:
    assert gen_ai_system("Azure OpenAI at https://x.openai.azure.com") == "az.ai.openai"
    assert gen_ai_system("OpenAI") == "openai"
    assert gen_ai_system("replay of Azure OpenAI at http://127.0.0.1:1") == "az.ai.openai"
    assert gen_ai_system("local function") == "local_function"


def test_without_opentelemetry_runs_emit_nothing_and_still_work() -> None:
    """The extra's absence, simulated honestly: the package cannot be imported at all."""
    script = textwrap.dedent(
        """
        import asyncio, sys
        for name in ("opentelemetry", "opentelemetry.trace", "opentelemetry.sdk"):
            sys.modules[name] = None  # import fails as if not installed

        from pipelines.text_processing import create_workflow
        from wftui.tracing import available, traced

        async def main():
            events = [e async for e in traced(create_workflow(None).run_stream("hi there"))]
            outputs = [e.data for e in events if type(e).__name__ == "WorkflowOutputEvent"]
            loaded = [m for m, v in sys.modules.items() if m.startswith("opentelemetry") and v]
            print(available(), outputs, loaded)

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, env=environment(), capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False ['ereht ih'] []"
