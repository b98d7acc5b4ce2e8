"""Spending limits for a run: stop before a model call once the run has used its budget.

The limits (``--max-tokens``, ``--max-cost``) apply to the run's running totals across
resumes, as the ledger keeps them. A call is made only while the run is under every limit, so a
call in flight finishes and is counted: a run stops at most one call per executor past a limit.
Stopping is an executor failure like any other, so the failed checkpoint resumes once the limit
is raised. The caller (CLI, app) sets the limits for the runs it starts with ``spending_limits``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from wftui.agents.costs import Prices, Spend, money

RAISE_LIMIT = "raise the limit and resume from the last checkpoint"


class BudgetExceededError(Exception):
    """The run reached a spending limit; the message says which and how much was spent."""


@dataclass(frozen=True)
class Budget:
    max_tokens: int | None = None
    max_cost: float | None = None
    prices: Prices = field(default_factory=Prices)

    def check(self, spent: Mapping[str, Any], model: str) -> None:
        """Raise BudgetExceededError if the run may not make another call to ``model``."""
        if self.max_tokens is None and self.max_cost is None:
            return
        spend = Spend.of(spent, self.prices)
        if self.max_tokens is not None and spend.tokens >= self.max_tokens:
            raise BudgetExceededError(
                f"token budget reached: the run has used {spend.tokens:,} tokens of "
                f"--max-tokens {self.max_tokens:,}; {RAISE_LIMIT}"
            )
        if self.max_cost is None:
            return
        unpriced = [*spend.unpriced, *([] if model in self.prices.models else [model])]
        if unpriced:
            raise BudgetExceededError(
                f"--max-cost {money(self.max_cost)} cannot be kept: no price for model "
                f"{unpriced[0]!r}; add it to the prices table or use --max-tokens"
            )
        assert spend.cost is not None  # every model is priced
        if spend.cost >= self.max_cost:
            raise BudgetExceededError(
                f"cost budget reached: the run has spent {money(spend.cost)} of --max-cost "
                f"{money(self.max_cost)} ({spend.tokens:,} tokens); {RAISE_LIMIT}"
            )


NO_LIMITS = Budget()
_BUDGET: ContextVar[Budget | None] = ContextVar("wftui_budget", default=None)


def current_budget() -> Budget:
    """The limits of the run being driven here (none unless a caller set them)."""
    return _BUDGET.get() or NO_LIMITS


@contextlib.contextmanager
def spending_limits(budget: Budget) -> Iterator[None]:
    """Runs started inside this block (and the tasks they start) keep to ``budget``."""
    token = _BUDGET.set(budget)
    try:
        yield
    finally:
        _BUDGET.reset(token)
