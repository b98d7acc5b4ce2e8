"""A cycle: a guesser and a judge play higher-or-lower until the guess is right.

The graph::

    host --> guesser <--> judge

- ``host`` reads the secret (the run's input, a whole number from 1 to 100), puts it in shared
  state for the judge, and sends the guesser the range to search.
- ``guesser`` guesses the middle of what is left (a binary search), keeping its range and
  guesses in its state. It has two handlers, picked by the message's type: ``Bounds`` starts
  the game, a ``Verdict`` narrows the range.
- ``judge`` reads the secret from shared state and answers ``higher`` or ``lower``; when the
  guess is right it sends nothing and yields the output, and with nothing pending the run ends.
  The edges ``guesser -> judge`` and ``judge -> guesser`` form the cycle.

Each guess and each verdict is a superstep, so the default input ``71`` (guesses 50, 75, 62,
68, 71) takes 1 + 5 + 5 = 11 supersteps, 12 checkpoints with the input's, and yields
``guessed 71 in 5 tries: 50, 75, 62, 68, 71``.

**The bound.** A cycle needs a bound, in case the loop never ends. ``create_workflow`` passes
``WorkflowBuilder(max_iterations=...)`` the worst case of this game, not a guess: a binary
search over 100 numbers needs at most 7 guesses, so 1 + 2 * 7 = 15 supersteps.

**When the bound is hit** (``create_workflow(storage, max_iterations=9)``, or lower
``MAX_ITERATIONS`` here and run): the engine refuses to start superstep 10, the run fails with
``MaxIterationsExceeded: the run needs more than max_iterations=9 supersteps; raise
WorkflowBuilder(max_iterations=...) if that is expected``, and a *failed* checkpoint holds the
game as it stood (the guesser's range, the verdict on its way). Resuming it with the same bound
fails again at once, since the superstep count is restored too; build with a larger bound
(``max_iterations`` is not part of the graph, so the checkpoint still fits) and resume: the
game goes on from guess 5 and ends as it would have.

A secret that is not a whole number from 1 to 100 fails the run in ``host``, saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from wftui import (
    ChatClient,
    CheckpointStorage,
    Executor,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)

LOW, HIGH = 1, 100
# One superstep for the host, then a guess and a verdict per try; a binary search over
# HIGH - LOW + 1 numbers needs at most that count's bit length of tries (7 for 100).
MAX_ITERATIONS = 1 + 2 * (HIGH - LOW + 1).bit_length()

DESCRIPTION = f"A guesser and a judge loop until the guess is right (max {MAX_ITERATIONS} steps)."
DEFAULT_INPUT = "71"
SECRET_KEY = "secret"


@dataclass(frozen=True)
class Bounds:
    """The range the secret is in; starts the game."""

    low: int
    high: int


@dataclass(frozen=True)
class Guess:
    value: int


@dataclass(frozen=True)
class Verdict:
    """The judge's answer to a wrong guess: the secret is higher or lower."""

    guess: int
    hint: Literal["higher", "lower"]


def parse_secret(text: str) -> int:
    """The secret from the run's input, or a ValueError saying what is expected."""
    try:
        secret = int(text.strip())
    except ValueError:
        secret = None
    if secret is None or not LOW <= secret <= HIGH:
        raise ValueError(f"the secret must be a whole number from {LOW} to {HIGH}, not {text!r}")
    return secret


class Host(Executor):
    """Hides the secret in shared state and starts the guesser."""

    @handler
    async def start(self, text: str, ctx: WorkflowContext[Bounds]) -> None:
        await ctx.set_shared_state(SECRET_KEY, parse_secret(text))
        await ctx.send_message(Bounds(LOW, HIGH))


class Guesser(Executor):
    """Guesses the middle of what is left; its state is the range and the guesses so far."""

    async def _guess(
        self, low: int, high: int, guesses: list[int], ctx: WorkflowContext[Guess]
    ) -> None:
        if low > high:
            raise RuntimeError(
                f"the verdicts contradict each other: no number is left after {guesses}"
            )
        guess = (low + high) // 2
        await ctx.set_state({"low": low, "high": high, "guesses": [*guesses, guess]})
        await ctx.send_message(Guess(guess))

    @handler
    async def begin(self, bounds: Bounds, ctx: WorkflowContext[Guess]) -> None:
        await self._guess(bounds.low, bounds.high, [], ctx)

    @handler
    async def narrow(self, verdict: Verdict, ctx: WorkflowContext[Guess]) -> None:
        state = await ctx.get_state() or {}
        low, high = int(state["low"]), int(state["high"])
        if verdict.hint == "higher":
            low = verdict.guess + 1
        else:
            high = verdict.guess - 1
        await self._guess(low, high, list(state["guesses"]), ctx)


class Judge(Executor):
    """Compares each guess with the secret; ends the game when it is right."""

    @handler
    async def judge(self, guess: Guess, ctx: WorkflowContext[Verdict, str]) -> None:
        secret: int = await ctx.get_shared_state(SECRET_KEY)
        state = await ctx.get_state() or {}
        tries = [*state.get("tries", []), guess.value]
        await ctx.set_state({"tries": tries})
        if guess.value == secret:
            listed = ", ".join(str(value) for value in tries)
            await ctx.yield_output(f"guessed {secret} in {len(tries)} tries: {listed}")
        else:
            await ctx.send_message(
                Verdict(guess.value, "higher" if secret > guess.value else "lower")
            )


def create_workflow(
    checkpoint_storage: CheckpointStorage | None,
    chat_client: ChatClient | None = None,
    *,
    max_iterations: int = MAX_ITERATIONS,
) -> Workflow:
    """Build the pipeline; it has no agent, so ``chat_client`` is accepted and unused."""
    host, guesser, judge = Host(id="host"), Guesser(id="guesser"), Judge(id="judge")
    builder = (
        WorkflowBuilder(max_iterations=max_iterations, name="loop")
        .set_start_executor(host)
        .add_edge(host, guesser)
        .add_edge(guesser, judge)
        .add_edge(judge, guesser)
    )
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
