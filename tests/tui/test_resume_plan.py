"""What a resume runs again, and which of it calls a model, from the seed pipeline's real graph."""

from __future__ import annotations

from tests.tui.support import SEED_ORDER
from wftui.loader import PipelineSpec
from wftui.tui.resume_plan import plan_resume


def test_everything_downstream_of_next_runs_and_the_agent_is_marked(seed: PipelineSpec) -> None:
    plan = plan_resume(seed.create_workflow(None), "cp-865e5ae0", ["submit_lower"], SEED_ORDER)
    assert plan.runs == ("submit_lower", "lower_agent", "finalize")
    assert plan.calls_a_model
    assert plan.confirm_line() == (
        "resume from 865e5ae0: submit_lower, lower_agent (LLM), finalize — enter/esc"
    )


def test_past_the_agent_no_model_is_called(seed: PipelineSpec) -> None:
    plan = plan_resume(seed.create_workflow(None), "cp-1", ["finalize"], SEED_ORDER)
    assert plan.runs == ("finalize",)
    assert not plan.calls_a_model


def test_a_replayed_agent_does_not_run_again_but_its_downstream_does(seed: PipelineSpec) -> None:
    workflow = seed.create_workflow(None)
    plan = plan_resume(workflow, "cp-1", ["lower_agent"], SEED_ORDER, {"lower_agent"})
    assert plan.runs == ("finalize",)
    assert not plan.calls_a_model
