"""Time travel in the app, with keys: c compares with the parent, m then c with the mark, e edits
and forks (a bad value refused inline, then a good one saved and resumed), s steps and the
cursor follows, R reruns one executor. On a real file store and on the in-memory store."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static, TextArea, Tree

from tests.tui.support import (
    FIXED_CLOCK,
    dialog_text,
    highlight,
    opened,
    row_text,
    settle,
    shown_rows,
    wait_until,
)
from wftui.checkpoint.file import FileCheckpointStorage
from wftui.checkpoint.memory import InMemoryCheckpointStorage
from wftui.checkpoint.storage import CheckpointStorage
from wftui.engine import CheckpointSavedEvent
from wftui.journal import journal_for
from wftui.loader import PipelineSpec, load_pipeline
from wftui.tui.app import WftuiApp, make_app
from wftui.tui.screens.compare import CompareScreen
from wftui.tui.screens.dialogs import PromptScreen
from wftui.tui.screens.editor import EditorScreen, ForkSavedScreen
from wftui.tui.status import RunStatus

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> CheckpointStorage:
    if request.param == "file":
        return FileCheckpointStorage(tmp_path / "checkpoints")
    return InMemoryCheckpointStorage()


@pytest.fixture
def fan_out() -> PipelineSpec:
    return load_pipeline(str(REPO / "pipelines" / "fan_out.py"))


async def run_once(pipeline: PipelineSpec, storage: CheckpointStorage, text: str) -> list[str]:
    """A whole run through the API; its checkpoint ids by superstep."""
    result = await pipeline.create_workflow(storage).run(text, include_status_events=True)
    return [event.checkpoint_id for event in result if isinstance(event, CheckpointSavedEvent)]


def app_for(pipeline: PipelineSpec, storage: CheckpointStorage) -> WftuiApp:
    return make_app(pipeline, storage, checkpoint_label="checkpoints", clock=FIXED_CLOCK)


def screen_text(app: WftuiApp) -> str:
    return "\n".join(str(widget.render()) for widget in app.screen.query(Static))


async def test_c_compares_with_the_parent_and_esc_closes(
    fan_out: PipelineSpec, store: CheckpointStorage
) -> None:
    ids = await run_once(fan_out, store, "a quick brown fox")
    app = app_for(fan_out, store)
    async with opened(app) as pilot:
        await highlight(app, pilot, ids[1])
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        text = screen_text(app)
        assert f"{ids[0][-8:]} (superstep 0) -> {ids[1][-8:]} (superstep 1)" in text
        assert "+ executor_states.intake: {'received': 'a quick brown fox'" in text
        assert "~ iteration_count: 0 → 1" in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main)


async def test_m_marks_and_c_compares_two_runs(
    fan_out: PipelineSpec, store: CheckpointStorage
) -> None:
    first = await run_once(fan_out, store, "one two")
    second = await run_once(fan_out, store, "three four five")
    app = app_for(fan_out, store)
    async with opened(app) as pilot:
        await highlight(app, pilot, first[-1])
        await pilot.press("m")
        await pilot.press("g")  # back to the top: the newest run
        await highlight(app, pilot, second[-1])
        # The marked row says so, off the cursor too, so c's other side is in sight.
        rows = [row.key for row in shown_rows(app)]
        assert "◆" in row_text(app, rows.index(first[-1]))
        assert "◆" not in row_text(app, rows.index(second[-1]))
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        text = screen_text(app)
        assert "different runs" in text
        assert "~ executor_states.intake.received: 'one two' → 'three four five'" in text
        assert isinstance(app.screen, CompareScreen)
        assert app.screen.result.a.checkpoint_id == first[-1]


async def test_e_refuses_a_bad_value_inline_then_forks_a_good_one_and_resumes_it(
    fan_out: PipelineSpec, store: CheckpointStorage
) -> None:
    ids = await run_once(fan_out, store, "a quick brown fox")
    original = await store.load_document(ids[1])
    app = app_for(fan_out, store)
    async with opened(app) as pilot:
        await highlight(app, pilot, ids[1])
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        editor = app.screen
        assert isinstance(editor, EditorScreen)
        tree = editor.query_one(Tree)
        labels = [str(node.label) for node in tree.root.children]
        assert labels == ["executor_states", "messages"]
        # Down to the pending message's data, as a user walks the tree.
        while tree.cursor_node is None or tree.cursor_node.data != (
            "messages",
            "intake",
            0,
            "data",
        ):
            await pilot.press("down")
        area = editor.query_one(TextArea)
        await wait_until(pilot, lambda: area.text == '"a quick brown fox"')
        count = len(await store.list_checkpoint_ids())

        await pilot.press("ctrl+a")  # select the whole value, as a user replaces it
        await pilot.press("4", "2")
        problem = editor.query_one("#editor-problem", Static)
        await wait_until(pilot, lambda: "expected str, got int 42" in str(problem.render()))
        assert str(tree.cursor_node.label).startswith("✗ ")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "nothing was written" in str(problem.render()))
        assert isinstance(app.screen, EditorScreen)
        assert len(await store.list_checkpoint_ids()) == count

        await pilot.press("ctrl+a", *'"zebra apple"')
        await wait_until(pilot, lambda: str(problem.render()) == "")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ForkSavedScreen))
        fork_id = app.main.browser.highlighted_id
        assert fork_id is not None and fork_id not in ids
        fork = await store.load_checkpoint(fork_id)
        assert fork is not None
        assert fork.parent_checkpoint_id == ids[1]
        assert fork.messages["intake"][0]["data"] == "zebra apple"
        assert fork.metadata["edited"] == ["messages.intake[0].data"]
        saved_line = dialog_text(app)
        assert f"Saved fork {fork_id[-8:]} (" in saved_line and fork_id not in saved_line
        assert await store.load_document(ids[1]) == original

        await pilot.press("enter")  # resume the fork
        await wait_until(pilot, lambda: app.status is RunStatus.COMPLETED)
        await settle(pilot)
        latest = await store.get_latest()
        assert latest is not None
        assert latest.executor_states["summary"]["longest_word"] == "zebra"


async def test_s_twice_steps_two_supersteps_and_the_cursor_follows(
    fan_out: PipelineSpec, store: CheckpointStorage
) -> None:
    ids = await run_once(fan_out, store, "a quick brown fox")
    app = app_for(fan_out, store)
    async with opened(app) as pilot:
        await highlight(app, pilot, ids[0])
        browser = app.main.browser
        at = ids[0]
        for superstep in (1, 2):
            await pilot.press("s")
            await wait_until(pilot, lambda at=at: browser.highlighted_id not in (at, None))
            await settle(pilot)
            child = browser.highlighted_id
            assert child is not None
            summary = browser.summaries[child]
            assert (summary.parent_checkpoint_id, summary.iteration_count) == (at, superstep)
            assert app.status is RunStatus.PAUSED
            at = child
        checkpoint = await store.load_checkpoint(at)
        assert checkpoint is not None
        assert checkpoint.metadata["execution"]["kind"] == "step"
        assert sorted(checkpoint.next_executor_ids) == ["longest_word", "vowel_ratio", "word_count"]
        # The journal (``wftui runs``, the app's notes) says the same: two steps that paused.
        journaled = await journal_for(store).executions()
        assert [(e.kind, e.status()) for e in journaled] == [("step", "paused")] * 2


async def test_capital_r_reruns_the_executor_chosen(
    fan_out: PipelineSpec, store: CheckpointStorage
) -> None:
    ids = await run_once(fan_out, store, "a quick brown fox")
    app = app_for(fan_out, store)
    async with opened(app) as pilot:
        await highlight(app, pilot, ids[2])
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen))
        assert "word_count, vowel_ratio, longest_word" in screen_text(app)
        await pilot.press("enter")  # the first one, offered as the answer
        await wait_until(pilot, lambda: app.main.browser.highlighted_id not in (ids[2], None))
        child = await store.load_checkpoint(app.main.browser.highlighted_id or "")
        assert child is not None
        assert child.parent_checkpoint_id == ids[2]
        assert list(child.completed_writes) == ["word_count"]
        assert child.metadata["execution"]["kind"] == "rerun"


async def test_at_80_columns_the_editor_shows_whole_value_paths(store: CheckpointStorage) -> None:
    seed = load_pipeline(str(REPO / "pipelines" / "text_processing.py"))
    ids = await run_once(seed, store, "hello world")
    app = app_for(seed, store)
    async with opened(app, size=(80, 24)) as pilot:
        await highlight(app, pilot, ids[2])  # a message of reverse_text_executor waits
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EditorScreen))
        tree = app.screen.query_one("#editor-tree", Tree)

        def shown() -> str:
            return "\n".join(tree.render_line(y).text for y in range(tree.size.height))

        await wait_until(pilot, lambda: "reverse_text_executor[0]" in shown())
        assert "reverse_text_executor[0].data" in shown()
