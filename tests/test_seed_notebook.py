"""The seed notebook (../shared/seed/checkpoint_with_resume.md) run on wftui.

The notebook's code below is verbatim except: imports (``agent_framework`` -> ``wftui``; unused
ones dropped), the LowerAgent's Azure client swapped for a FunctionChatClient that lower-cases
the text after ``Text:``, and the checkpoint-directory cell's ``mkdir``/``print`` moved into
``configure_checkpoint_dir()`` so importing this module writes nothing. ``input()`` is answered
by the tests, as a person would: with the index of the checkpoint after ReverseText.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from dotenv import load_dotenv

from wftui import (
    AgentExecutor,
    AgentExecutorRequest,
    AgentExecutorResponse,
    ChatMessage,
    Executor,
    FileCheckpointStorage,
    FunctionChatClient,
    RequestInfoExecutor,
    Role,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)

load_dotenv("../../.env")


def lower_text_after_marker(messages: list[ChatMessage]) -> str:
    """The offline LowerAgent: lower-case what follows ``Text:`` in the last message."""
    _, _, text = messages[-1].text.rpartition("Text:")
    return text.strip().lower()


# ----- the notebook, verbatim from here (see the module docstring for the changes) -----
# fmt: off

# Define temporary directory for checkpoint files
CHECKPOINT_DIR = Path("./tmp/checkpoints")


def configure_checkpoint_dir() -> None:
    CHECKPOINT_DIR.mkdir(parents=True, exist_ok=True)

    print(f"Checkpoint directory: {CHECKPOINT_DIR.absolute()}")


class UpperCaseExecutor(Executor):
    """Uppercases the input text and persists both local and shared state."""

    @handler
    async def to_upper_case(self, text: str, ctx: WorkflowContext[str]) -> None:
        result = text.upper()
        print(f"UpperCaseExecutor: '{text}' -> '{result}'")

        # Persist executor-local state (captured in checkpoints)
        prev = await ctx.get_state() or {}
        count = int(prev.get("count", 0)) + 1
        await ctx.set_state({
            "count": count,
            "last_input": text,
            "last_output": result,
        })

        # Write to shared_state for downstream executors
        await ctx.set_shared_state("original_input", text)
        await ctx.set_shared_state("upper_output", result)

        await ctx.send_message(result)


class ReverseTextExecutor(Executor):
    """Reverses the input text and persists local state."""

    @handler
    async def reverse_text(self, text: str, ctx: WorkflowContext[str]) -> None:
        result = text[::-1]
        print(f"ReverseTextExecutor: '{text}' -> '{result}'")

        prev = await ctx.get_state() or {}
        count = int(prev.get("count", 0)) + 1
        await ctx.set_state({
            "count": count,
            "last_input": text,
            "last_output": result,
        })

        await ctx.send_message(result)


class SubmitToLowerAgent(Executor):
    """Builds AgentExecutorRequest to send to lowercasing agent."""

    def __init__(self, id: str, agent_id: str):
        super().__init__(id=id)
        self._agent_id = agent_id

    @handler
    async def submit(self, text: str, ctx: WorkflowContext[AgentExecutorRequest]) -> None:
        # Read shared_state written by UpperCaseExecutor
        orig = await ctx.get_shared_state("original_input")
        upper = await ctx.get_shared_state("upper_output")
        print(f"LowerAgent (shared_state): original_input='{orig}', upper_output='{upper}'")

        # Build deterministic prompt for agent
        prompt = f"Convert the following text to lowercase. Return ONLY the transformed text.\n\nText: {text}"

        await ctx.send_message(
            AgentExecutorRequest(messages=[ChatMessage(Role.USER, text=prompt)], should_respond=True),
            target_id=self._agent_id,
        )


class FinalizeFromAgent(Executor):
    """Consumes the AgentExecutorResponse and yields the final result."""

    @handler
    async def finalize(self, response: AgentExecutorResponse, ctx: WorkflowContext[Any, str]) -> None:
        result = response.agent_run_response.text or ""

        prev = await ctx.get_state() or {}
        count = int(prev.get("count", 0)) + 1
        await ctx.set_state({
            "count": count,
            "last_output": result,
            "final": True,
        })

        await ctx.yield_output(result)


def create_workflow(checkpoint_storage: FileCheckpointStorage):
    """Build workflow with checkpointing enabled."""

    # Instantiate pipeline executors
    upper_case_executor = UpperCaseExecutor(id="upper_case_executor")
    reverse_text_executor = ReverseTextExecutor(id="reverse_text_executor")

    # Configure agent for lowercasing (a local function instead of Azure OpenAI)
    chat_client = FunctionChatClient(lower_text_after_marker)
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

print("✓ Workflow factory created")


def render_checkpoint_summary(checkpoints: list) -> None:
    """Display human-friendly checkpoint metadata using framework summaries."""
    if not checkpoints:
        return

    print("\nCheckpoint summary:")
    for cp in sorted(checkpoints, key=lambda c: c.timestamp):
        summary = RequestInfoExecutor.checkpoint_summary(cp)
        msg_count = sum(len(v) for v in cp.messages.values())
        state_keys = sorted(cp.executor_states.keys())
        orig = cp.shared_state.get("original_input")
        upper = cp.shared_state.get("upper_output")

        line = (
            f"- {summary.checkpoint_id} | iter={summary.iteration_count} | "
            f"messages={msg_count} | states={state_keys}"
        )
        if summary.status:
            line += f" | status={summary.status}"
        line += f" | shared_state: original_input='{orig}', upper_output='{upper}'"
        print(line)


async def main():
    """Run workflow with checkpointing and demonstrate resume."""

    # Clear existing checkpoints for clean run
    for file in CHECKPOINT_DIR.glob("*.json"):
        file.unlink()

    # Create checkpoint storage
    checkpoint_storage = FileCheckpointStorage(storage_path=CHECKPOINT_DIR)

    workflow = create_workflow(checkpoint_storage=checkpoint_storage)

    # === PHASE 1: Initial Run ===
    print("\n" + "="*70)
    print("PHASE 1: Initial Workflow Run")
    print("="*70)
    print("\nRunning workflow with initial message...\n")

    async for event in workflow.run_stream(message="hello world"):
        print(f"Event: {event}")

    # === PHASE 2: Inspect Checkpoints ===
    print("\n" + "="*70)
    print("PHASE 2: Checkpoint Inspection")
    print("="*70)

    all_checkpoints = await checkpoint_storage.list_checkpoints()
    if not all_checkpoints:
        print("No checkpoints found!")
        return

    workflow_id = all_checkpoints[0].workflow_id
    render_checkpoint_summary(all_checkpoints)

    # === PHASE 3: Interactive Resume Selection ===
    print("\n" + "="*70)
    print("PHASE 3: Resume from Checkpoint")
    print("="*70)

    sorted_cps = sorted(
        [cp for cp in all_checkpoints if cp.workflow_id == workflow_id],
        key=lambda c: c.timestamp
    )

    print("\nAvailable checkpoints to resume from:")
    for idx, cp in enumerate(sorted_cps):
        summary = RequestInfoExecutor.checkpoint_summary(cp)
        line = f"  [{idx}] id={summary.checkpoint_id} iter={summary.iteration_count}"
        if summary.status:
            line += f" status={summary.status}"
        msg_count = sum(len(v) for v in cp.messages.values())
        line += f" messages={msg_count}"
        print(line)

    user_input = input(
        "\nEnter checkpoint index (or paste checkpoint id) to resume from, or press Enter to skip: "
    ).strip()

    if not user_input:
        print("No checkpoint selected. Exiting without resuming.")
        return

    chosen_cp_id: str | None = None

    # Try as index first
    if user_input.isdigit():
        idx = int(user_input)
        if 0 <= idx < len(sorted_cps):
            chosen_cp_id = sorted_cps[idx].checkpoint_id

    # Fall back to direct id match (allow prefix)
    if chosen_cp_id is None:
        for cp in sorted_cps:
            if cp.checkpoint_id.startswith(user_input):
                chosen_cp_id = cp.checkpoint_id
                break

    if chosen_cp_id is None:
        print("Input did not match any checkpoint. Exiting without resuming.")
        return

    # Resume from checkpoint
    new_workflow = create_workflow(checkpoint_storage=checkpoint_storage)

    print(f"\nResuming from checkpoint: {chosen_cp_id}\n")
    async for event in new_workflow.run_stream_from_checkpoint(
        chosen_cp_id,
        checkpoint_storage=checkpoint_storage
    ):
        print(f"Resumed Event: {event}")

    print("\n" + "="*70)
    print("Resume completed successfully!")
    print("="*70)

# fmt: on
# ----- end of the notebook -----

# The index a person types after reading the list: the checkpoint after ReverseText
# (superstep 2), whose pending message goes to submit_lower.
AFTER_REVERSE_TEXT = "2"
SEED_STEPS = [
    "upper_case_executor",
    "reverse_text_executor",
    "submit_lower",
    "lower_agent",
    "finalize",
]


def lines_starting(output: str, prefix: str) -> list[str]:
    return [line.removeprefix(prefix) for line in output.splitlines() if line.startswith(prefix)]


def invoked_ids(lines: list[str]) -> list[str]:
    return re.findall(r"^ExecutorInvokedEvent\(executor_id=(\w+)\)$", "\n".join(lines), re.M)


def output_data(lines: list[str]) -> list[str]:
    return re.findall(
        r"^WorkflowOutputEvent\(data=(.*), source_executor_id=finalize\)$", "\n".join(lines), re.M
    )


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the notebook in a scratch folder: its checkpoint path is relative."""
    monkeypatch.chdir(tmp_path)
    configure_checkpoint_dir()
    return tmp_path / "tmp" / "checkpoints"


def answer_input(monkeypatch: pytest.MonkeyPatch, answer: str) -> list[str]:
    prompts: list[str] = []

    def fake_input(prompt: str = "") -> str:
        prompts.append(prompt)
        return answer

    monkeypatch.setattr("builtins.input", fake_input)
    return prompts


async def test_the_notebook_runs_lists_summarises_and_resumes_after_reverse_text(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    prompts = answer_input(monkeypatch, AFTER_REVERSE_TEXT)
    await main()
    printed = capsys.readouterr().out
    assert len(prompts) == 1

    # Phase 1: the whole pipeline ran once and produced the seed's answer.
    events = lines_starting(printed, "Event: ")
    assert invoked_ids(events) == SEED_STEPS
    assert output_data(events) == ["dlrow olleh"]
    assert "UpperCaseExecutor: 'hello world' -> 'HELLO WORLD'" in printed
    assert "ReverseTextExecutor: 'HELLO WORLD' -> 'DLROW OLLEH'" in printed
    assert (
        "LowerAgent (shared_state): original_input='hello world', upper_output='HELLO WORLD'"
        in printed
    )
    assert events[-1] == "WorkflowStatusEvent(state=IDLE)"

    # Phase 2: the checkpoints were listed and summarised, one per superstep plus the initial.
    summary = lines_starting(printed, "- ")
    assert [re.search(r"iter=(\d+)", line)[1] for line in summary] == ["0", "1", "2", "3", "4", "5"]  # type: ignore[index]
    assert "messages=1 | states=[] | status=in progress" in summary[0]
    assert "states=['reverse_text_executor', 'upper_case_executor']" in summary[2]
    assert "original_input='hello world', upper_output='HELLO WORLD'" in summary[2]
    assert "messages=0" in summary[5]
    assert "status=completed" in summary[5]
    assert (
        "states=['finalize', 'lower_agent', 'reverse_text_executor', 'upper_case_executor']"
        in summary[5]
    )

    # Phase 3: resuming after ReverseText on a fresh workflow runs only the last three steps.
    chosen = lines_starting(printed, "Resuming from checkpoint: ")[0]
    checkpoint = await FileCheckpointStorage(in_tmp).load_checkpoint(chosen)
    assert checkpoint is not None
    assert checkpoint.iteration_count == 2
    assert checkpoint.next_executor_ids == ["submit_lower"]
    resumed = lines_starting(printed, "Resumed Event: ")
    assert invoked_ids(resumed) == ["submit_lower", "lower_agent", "finalize"]
    assert output_data(resumed) == ["dlrow olleh"]
    assert resumed[-1] == "WorkflowStatusEvent(state=IDLE)"
    assert printed.rstrip().endswith("Resume completed successfully!\n" + "=" * 70)


async def test_render_checkpoint_summary_uses_the_framework_summary(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer_input(monkeypatch, "")  # "press Enter to skip"
    await main()
    capsys.readouterr()
    checkpoints = await FileCheckpointStorage(in_tmp).list_checkpoints()
    render_checkpoint_summary(checkpoints)
    lines = lines_starting(capsys.readouterr().out, "- ")
    assert len(lines) == len(checkpoints) == 6
    for cp, line in zip(sorted(checkpoints, key=lambda c: c.timestamp), lines, strict=True):
        summary = RequestInfoExecutor.checkpoint_summary(cp)
        assert line.startswith(f"{cp.checkpoint_id} | iter={cp.iteration_count} | ")
        assert f"status={summary.status}" in line
    render_checkpoint_summary([])
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize("index", ["0", "1", "2", "3", "4"])
async def test_resuming_any_unfinished_checkpoint_gives_the_same_output(
    in_tmp: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    index: str,
) -> None:
    answer_input(monkeypatch, index)
    await main()
    resumed = lines_starting(capsys.readouterr().out, "Resumed Event: ")
    assert invoked_ids(resumed) == SEED_STEPS[int(index) :]
    assert output_data(resumed) == ["dlrow olleh"]


async def test_resuming_the_completed_checkpoint_runs_nothing(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answer_input(monkeypatch, "5")
    await main()
    resumed = lines_starting(capsys.readouterr().out, "Resumed Event: ")
    assert invoked_ids(resumed) == []
    assert output_data(resumed) == []
    assert resumed[-1] == "WorkflowStatusEvent(state=IDLE)"


async def test_a_pasted_id_prefix_selects_the_checkpoint(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The person reads the listing on screen and pastes the start of the third id."""
    pasted: list[str] = []

    def paste_from_screen(prompt: str = "") -> str:
        screen = capsys.readouterr().out
        print(screen, end="")  # leave the screen as it was for the assertions below
        (full_id,) = re.findall(r"^  \[2\] id=(\w+) ", screen, re.M)
        pasted.append(full_id[:16])
        return pasted[-1]

    monkeypatch.setattr("builtins.input", paste_from_screen)
    await main()
    printed = capsys.readouterr().out
    chosen = lines_starting(printed, "Resuming from checkpoint: ")[0]
    assert chosen.startswith(pasted[0])
    assert len(pasted[0]) < len(chosen)
    resumed = lines_starting(printed, "Resumed Event: ")
    assert invoked_ids(resumed) == ["submit_lower", "lower_agent", "finalize"]
    assert output_data(resumed) == ["dlrow olleh"]
