"""`wftui graph --mermaid`: the pipeline's graph as Mermaid, for docs and pull requests."""

from __future__ import annotations

from pathlib import Path

from tests.cli.support import wftui
from wftui.engine import EdgeKind
from wftui.tui.graph.mermaid import to_mermaid
from wftui.tui.graph.model import GraphEdge, GraphNode, GraphSpec

REPO = Path(__file__).resolve().parents[2]


def test_the_fan_out_example_prints_every_executor_and_edge_kind() -> None:
    result = wftui("graph", str(REPO / "pipelines" / "fan_out.py"), "--mermaid", cwd=REPO)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[:4] == ["---", 'title: "fan_out"', "---", "flowchart TD"]
    # The start executor is the rounded box; the others are plain boxes.
    assert '    n0("intake<br/><small>Intake</small>")' in lines
    assert '    n6["summary<br/><small>Summary</small>"]' in lines
    # Switch cases carry their labels, fan-out is solid, fan-in is dotted into the summary.
    assert '    n0 -->|"has_words"| n1' in lines
    assert '    n0 -->|"default"| n2' in lines
    assert "    n1 --> n3" in lines
    assert sum(line.endswith("-.-> n6") for line in lines) == 3
    # Nothing is written to a store: the command needs none.
    assert not (REPO / ".wftui" / "graph").exists()


def test_labels_with_quotes_and_ids_mermaid_cannot_take_stay_readable() -> None:
    spec = GraphSpec(
        nodes=(GraphNode('say "hi"', "Greeter"), GraphNode("web researcher")),
        edges=(GraphEdge('say "hi"', "web researcher", EdgeKind.DIRECT, 'is "long"'),),
        start='say "hi"',
    )
    assert to_mermaid(spec) == (
        "flowchart TD\n"
        '    n0("say #quot;hi#quot;<br/><small>Greeter</small>")\n'
        '    n1["web researcher"]\n'
        '    n0 -->|"is #quot;long#quot;"| n1\n'
    )


def test_a_pipeline_that_cannot_be_loaded_is_one_line(tmp_path: Path) -> None:
    result = wftui("graph", str(tmp_path / "missing.py"), "--mermaid", cwd=tmp_path)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert "missing.py" in result.stderr
