"""Fan-out, a condition and fan-in: three analysers read the same words in parallel.

The graph::

    intake --has_words--> split_words --fan-out--> word_count   --fan-in--> summary
       |                                       \\-> vowel_ratio  --/
       '--default--> no_words                   \\-> longest_word --/

- ``intake`` tidies the whitespace. Its edges are a *switch-case* group
  (``add_switch_case_edge_group``): the first case whose condition holds takes the message, so
  a text with words goes to ``split_words`` and anything else to ``no_words`` (the ``Default``),
  which yields a one-line answer instead of three analyses of nothing. The graph labels the
  edges with the condition's function name (``has_words``) and ``default``.
- ``split_words`` tokenises once and *fans out* (``add_fan_out_edges``): every message it sends
  goes to each of the three analysers. They receive it in the same superstep and run
  concurrently, each keeping its own state.
- ``summary`` is the target of a *fan-in* group (``add_fan_in_edges``): it runs once every
  analyser has sent, and receives one list of their findings in the order the sources were
  given, whatever order they finished in. It yields the run's one output.

Supersteps: 1 intake, 2 split_words, 3 the three analysers together, 4 summary. With a
checkpoint storage that is five checkpoints: the run's input, then one per superstep. Try
resuming the one after superstep 2 (``next: word_count, vowel_ratio, longest_word``): only the
analysers and the summary run again. A blank input takes the other branch: intake, then
no_words, three checkpoints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from wftui import (
    Case,
    ChatClient,
    CheckpointStorage,
    Default,
    Executor,
    Workflow,
    WorkflowBuilder,
    WorkflowContext,
    handler,
)

DESCRIPTION = "Three analysers read the text in parallel; a summary joins their findings."
DEFAULT_INPUT = "Fan out to three analysers, then fan in to one summary."
NO_WORDS_OUTPUT = "nothing to analyse: the text has no words"

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)*")
_VOWELS = frozenset("aeiouAEIOU")


def words_of(text: str) -> list[str]:
    """Runs of letters (with inner apostrophes): what every analyser counts as a word."""
    return _WORD.findall(text)


def has_words(text: object) -> bool:
    """The switch's condition: only a text with at least one word is worth analysing."""
    return isinstance(text, str) and bool(words_of(text))


@dataclass(frozen=True)
class Words:
    """The tokenised text every analyser receives."""

    words: tuple[str, ...]


@dataclass(frozen=True)
class Finding:
    """One analyser's result: its value, and how the summary phrases it."""

    analyser: str
    value: int | float | str
    phrase: str


class Intake(Executor):
    """Collapses runs of whitespace, so the analysers and the state see one tidy line."""

    @handler
    async def tidy(self, text: str, ctx: WorkflowContext[str]) -> None:
        tidy = " ".join(text.split())
        await ctx.set_state({"received": text, "tidy": tidy})
        await ctx.send_message(tidy)


class NoWords(Executor):
    """The switch's default branch: says there is nothing to analyse."""

    @handler
    async def answer(self, text: str, ctx: WorkflowContext[None, str]) -> None:
        await ctx.set_state({"rejected": text})
        await ctx.yield_output(NO_WORDS_OUTPUT)


class SplitWords(Executor):
    """Tokenises once, so the three analysers agree on what a word is."""

    @handler
    async def split(self, text: str, ctx: WorkflowContext[Words]) -> None:
        words = tuple(words_of(text))
        await ctx.set_state({"word_count": len(words)})
        await ctx.send_message(Words(words))


class WordCount(Executor):
    @handler
    async def count(self, words: Words, ctx: WorkflowContext[Finding]) -> None:
        distinct = len({word.lower() for word in words.words})
        await ctx.set_state({"words": len(words.words), "distinct": distinct})
        await ctx.send_message(
            Finding(self.id, len(words.words), f"{len(words.words)} words ({distinct} distinct)")
        )


class VowelRatio(Executor):
    @handler
    async def ratio(self, words: Words, ctx: WorkflowContext[Finding]) -> None:
        letters = "".join(words.words)
        vowels = sum(letter in _VOWELS for letter in letters)
        ratio = round(vowels / len(letters), 3)
        await ctx.set_state({"vowels": vowels, "letters": len(letters)})
        await ctx.send_message(Finding(self.id, ratio, f"{ratio:.0%} vowels"))


class LongestWord(Executor):
    @handler
    async def longest(self, words: Words, ctx: WorkflowContext[Finding]) -> None:
        word = max(words.words, key=len)  # the first of the longest, in reading order
        await ctx.set_state({"word": word, "length": len(word)})
        await ctx.send_message(
            Finding(self.id, word, f"longest word {word!r} ({len(word)} letters)")
        )


class Summary(Executor):
    """The fan-in target: one list of findings, in the order the analysers were wired."""

    @handler
    async def summarise(self, findings: list[Finding], ctx: WorkflowContext[None, str]) -> None:
        await ctx.set_state({finding.analyser: finding.value for finding in findings})
        await ctx.yield_output("; ".join(finding.phrase for finding in findings))


def create_workflow(
    checkpoint_storage: CheckpointStorage | None, chat_client: ChatClient | None = None
) -> Workflow:
    """Build the pipeline; it has no agent, so ``chat_client`` is accepted and unused."""
    intake, no_words = Intake(id="intake"), NoWords(id="no_words")
    split_words = SplitWords(id="split_words")
    analysers: list[Executor] = [
        WordCount(id="word_count"),
        VowelRatio(id="vowel_ratio"),
        LongestWord(id="longest_word"),
    ]
    summary = Summary(id="summary")
    builder = (
        WorkflowBuilder(name="fan_out")
        .set_start_executor(intake)
        .add_switch_case_edge_group(intake, [Case(has_words, split_words), Default(no_words)])
        .add_fan_out_edges(split_words, analysers)
        .add_fan_in_edges(analysers, summary)
    )
    if checkpoint_storage is not None:
        builder = builder.with_checkpointing(checkpoint_storage=checkpoint_storage)
    return builder.build()
