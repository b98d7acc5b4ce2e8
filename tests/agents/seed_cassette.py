"""Recording the seed pipeline's cassette against the loopback Azure OpenAI server.

``python -m tests.agents.seed_cassette`` rewrites ``pipelines/cassettes/text_processing.jsonl``
(after a change to the seed's prompts); the tests call ``record_seed_cassette`` to check that
the shipped file still answers what the pipeline asks.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.agents.llm_doubles import SECRET_KEY, FakeLLMServer
from tests.cli.support import REPO, wftui

SHIPPED = REPO / "pipelines" / "cassettes" / "text_processing.jsonl"
DEPLOYMENT = "gpt-4o-mini"


def record_seed_cassette(folder: Path, server: FakeLLMServer) -> tuple[Path, str]:
    """Run the seed pipeline with ``--chat azure --llm record`` in ``folder`` against ``server``;
    returns the run's cassette and the command's stdout."""
    server.deployments.add(DEPLOYMENT)
    env = {
        "AZURE_OPENAI_ENDPOINT": server.url,
        "AZURE_OPENAI_API_KEY": SECRET_KEY,
        "AZURE_OPENAI_CHAT_DEPLOYMENT_NAME": DEPLOYMENT,
        "NO_PROXY": "127.0.0.1",
    }
    done = wftui(
        "run", "--chat", "azure", "--llm", "record", "--checkpoint-dir", "cps", cwd=folder, env=env
    )
    if done.returncode != 0:
        raise subprocess.SubprocessError(f"recording failed: {done.stderr}")
    (cassette,) = (folder / "cps" / "cassettes").glob("*.jsonl")
    return cassette, done.stdout


def main() -> None:
    import tempfile

    server = FakeLLMServer()
    server.start()
    try:
        with tempfile.TemporaryDirectory() as scratch:
            cassette, _ = record_seed_cassette(Path(scratch), server)
            SHIPPED.parent.mkdir(exist_ok=True)
            shutil.copyfile(cassette, SHIPPED)
    finally:
        server.stop()
    print(f"wrote {SHIPPED}", file=sys.stderr)


if __name__ == "__main__":
    main()
