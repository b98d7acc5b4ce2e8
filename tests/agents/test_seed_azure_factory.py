"""The seed notebook's ``create_workflow`` cell, verbatim, on wftui's AzureOpenAIChatClient.

Only imports differ from the notebook: ``agent_framework`` -> ``wftui``, the seed's executor
classes come from ``pipelines.text_processing``, and ``AzureCliCredential`` is the counting
test double (there is no ``az`` here). Settings come from the environment, as in the notebook.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pipelines.text_processing import (
    FinalizeFromAgent,
    ReverseTextExecutor,
    SubmitToLowerAgent,
    UpperCaseExecutor,
)
from tests.agents.llm_doubles import CountingCredential as AzureCliCredential
from tests.agents.llm_doubles import FakeLLMServer
from wftui import AgentExecutor, ConfigurationError, WorkflowBuilder, WorkflowOutputEvent
from wftui.azure import AzureOpenAIChatClient
from wftui.checkpoint import FileCheckpointStorage

# ----- the notebook's cell, verbatim -----
# fmt: off
# ruff: noqa: W293


def create_workflow(checkpoint_storage: FileCheckpointStorage):
    """Build workflow with checkpointing enabled."""
    
    # Instantiate pipeline executors
    upper_case_executor = UpperCaseExecutor(id="upper_case_executor")
    reverse_text_executor = ReverseTextExecutor(id="reverse_text_executor")

    # Configure agent for lowercasing
    endpoint = os.getenv("AZURE_OPENAI_ENDPOINT")
    deployment_name = os.getenv("AZURE_OPENAI_CHAT_DEPLOYMENT_NAME")
    chat_client = AzureOpenAIChatClient(
        deployment_name=deployment_name,
        endpoint=endpoint,
        credential=AzureCliCredential()
    )
    lower_agent = AgentExecutor(
        chat_client.create_agent(
            instructions="You transform text to lowercase. Reply with ONLY the transformed text."
        ),
        id="lower_agent",
    )

    submit_lower = SubmitToLowerAgent(id="submit_lower", agent_id=lower_agent.id)
    finalize = FinalizeFromAgent(id="finalize")

    # Build workflow with checkpointing
    return (
        WorkflowBuilder(max_iterations=5)
        .add_edge(upper_case_executor, reverse_text_executor)
        .add_edge(reverse_text_executor, submit_lower)
        .add_edge(submit_lower, lower_agent)
        .add_edge(lower_agent, finalize)
        .set_start_executor(upper_case_executor)
        .with_checkpointing(checkpoint_storage=checkpoint_storage)  # Enable persistence
        .build()
    )

# fmt: on
# ----- end of the notebook's cell -----


async def test_seed_factory_runs_unchanged_against_azure_openai(
    llm_server: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", llm_server.url)
    monkeypatch.setenv("AZURE_OPENAI_CHAT_DEPLOYMENT_NAME", "gpt-test")
    workflow = create_workflow(FileCheckpointStorage(storage_path=tmp_path))

    events = [event async for event in workflow.run_stream(message="hello world")]

    assert [e.data for e in events if isinstance(e, WorkflowOutputEvent)] == ["dlrow olleh"]
    (request,) = llm_server.requests
    assert request.path == "/openai/deployments/gpt-test/chat/completions"
    assert request.header("authorization") == "Bearer eyJtoken.1.SECRET"


def test_seed_factory_without_settings_names_the_missing_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="AZURE_OPENAI_ENDPOINT"):
        create_workflow(FileCheckpointStorage(storage_path=tmp_path))
