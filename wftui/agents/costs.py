"""Prices and what a run cost: the user's price table applied to the ledger's token counts.

Prices come only from the user (``--prices FILE``, or ``prices`` in wftui's settings), in US
dollars per million tokens. A model without a price has its tokens shown without a cost; a
cost is never guessed. Cached input tokens cost the ``cached`` price, or the ``input`` price
when the table gives none (what they would cost without a cache discount).
"""

from __future__ import annotations

import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wftui.agents.errors import ConfigurationError
from wftui.engine.ledger import ledger_of
from wftui.settings import SettingsError, find_settings_file

PER_TOKENS = 1_000_000
PRICE_FIELDS = ("input", "output", "cached")


@dataclass(frozen=True)
class Price:
    """US dollars per million tokens."""

    input: float
    output: float
    cached: float | None = None

    def cost(self, counts: Mapping[str, Any]) -> float:
        cached = int(counts.get("cached_input_tokens", 0))
        fresh = int(counts.get("input_tokens", 0)) - cached
        output = int(counts.get("output_tokens", 0))
        cached_price = self.input if self.cached is None else self.cached
        return (fresh * self.input + cached * cached_price + output * self.output) / PER_TOKENS


@dataclass(frozen=True)
class Prices:
    """Model (or deployment) name, as the chat client names it, to its price."""

    models: Mapping[str, Price] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def from_table(cls, table: object, source: str) -> Prices:
        """``{model: {input, output[, cached]}}``; anything else is one clear error."""
        if not isinstance(table, Mapping):
            raise ConfigurationError(f"{source}: prices must be a table of models")
        models: dict[str, Price] = {}
        for model, entry in table.items():
            where = f"{source}: prices.{model}"
            if not isinstance(entry, Mapping):
                raise ConfigurationError(f"{where} must be a table with input and output")
            unknown = set(entry) - set(PRICE_FIELDS)
            if unknown:
                raise ConfigurationError(
                    f"{where} has unknown field {sorted(unknown)[0]!r} (fields: input, output, "
                    "cached; US dollars per million tokens)"
                )
            values = {name: _price(entry.get(name), f"{where}.{name}") for name in PRICE_FIELDS}
            if values["input"] is None or values["output"] is None:
                raise ConfigurationError(f"{where} needs both input and output")
            models[str(model)] = Price(values["input"], values["output"], values["cached"])
        return cls(models, source)

    def cost(self, models: Mapping[str, Any]) -> tuple[float, list[str]]:
        """The cost of the priced models' tokens, and the models with tokens but no price."""
        total = 0.0
        unpriced: list[str] = []
        for model, counts in models.items():
            price = self.models.get(model)
            if price is not None:
                total += price.cost(counts)
            elif counts.get("total_tokens", 0) or counts.get("unknown_calls", 0):
                unpriced.append(model)
        return total, unpriced


def _price(value: object, where: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{where} must be a number (US dollars per million tokens)")
    if value < 0:
        raise ConfigurationError(f"{where} must not be negative")
    return float(value)


@dataclass(frozen=True)
class Spend:
    """Counts of the ledger summed up for people: tokens, calls, time, and the cost if every
    model that used tokens has a price."""

    tokens: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_input_tokens: int = 0
    reasoning_tokens: int = 0
    calls: int = 0
    unknown_calls: int = 0
    runs: int = 0
    ms: int = 0
    cost: float | None = None
    unpriced: tuple[str, ...] = ()

    @classmethod
    def of(cls, counts: Mapping[str, Any], prices: Prices | None = None) -> Spend:
        models: Mapping[str, Any] = counts.get("models", {})

        def summed(name: str) -> int:
            return sum(int(model.get(name, 0)) for model in models.values())

        cost, unpriced = prices.cost(models) if prices is not None else (0.0, [])
        return cls(
            tokens=summed("total_tokens"),
            input_tokens=summed("input_tokens"),
            output_tokens=summed("output_tokens"),
            cached_input_tokens=summed("cached_input_tokens"),
            reasoning_tokens=summed("reasoning_tokens"),
            calls=int(counts.get("calls", 0)),
            unknown_calls=summed("unknown_calls"),
            runs=int(counts.get("runs", 0)),
            ms=int(counts.get("ms", 0)),
            cost=None if prices is None or unpriced else cost,
            unpriced=tuple(unpriced),
        )

    def short(self) -> str:
        """``1,234 tok $0.0021 3.2s`` (what fits in a graph box); parts that are unknown or
        nothing are left out."""
        parts = []
        if self.unknown_calls:
            parts.append(f"{self.tokens:,}+? tok" if self.tokens else "? tok")
        elif self.tokens:
            parts.append(f"{self.tokens:,} tok")
        if self.cost is not None and self.tokens:
            parts.append(money(self.cost))
        if self.ms:
            parts.append(f"{self.ms / 1000:.1f}s")
        return " ".join(parts)

    def as_json(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_input_tokens": self.cached_input_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "calls": self.calls,
            "calls_without_usage": self.unknown_calls,
            "executor_runs": self.runs,
            "seconds": self.ms / 1000,
            "cost_usd": self.cost,
            "models_without_price": list(self.unpriced),
        }


def money(amount: float) -> str:
    """Dollars with the precision small amounts need: ``$0.0021``, ``$12.40``."""
    return f"${amount:.4f}" if amount < 1 else f"${amount:,.2f}"


def ledger_totals(
    metadata: Mapping[str, Any] | None, prices: Prices | None = None
) -> dict[str, Any]:
    """A checkpoint's ledger summed for display and JSON (pass ``checkpoint.metadata``):
    the run's totals, what resuming saved, per executor so far, and this superstep's."""
    ledger = ledger_of(metadata)

    def each(counts: Mapping[str, Any]) -> dict[str, Any]:
        return {name: Spend.of(c, prices).as_json() for name, c in counts.items()}

    return {
        "totals": Spend.of(ledger.get("totals", {}), prices).as_json(),
        "saved": Spend.of(ledger.get("saved", {}), prices).as_json(),
        "executors": each(ledger.get("executors", {})),
        "supersteps": {k: each(v) for k, v in ledger.get("supersteps", {}).items()},
    }


@dataclass(frozen=True)
class CostSettings:
    """Prices and spending limits, from settings, the environment and flags."""

    prices: Prices = field(default_factory=Prices)
    max_tokens: int | None = None
    max_cost: float | None = None


def read_prices_file(path: Path) -> Prices:
    """A TOML file of ``[model] input = ... output = ...`` tables (or one ``[prices]`` table
    holding them)."""
    table = _read_toml(path)
    return Prices.from_table(table.get("prices", table), str(path))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(f"cannot read {path}: {error.strerror or error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigurationError(f"{path} is not valid TOML: {error}") from None


def load_cost_settings(
    *,
    prices_file: str | None = None,
    max_tokens: int | None = None,
    max_cost: float | None = None,
    start: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> CostSettings:
    """Settings (``prices``, ``max_tokens``, ``max_cost``), then the environment
    (``WFTUI_PRICES``, ``WFTUI_MAX_TOKENS``, ``WFTUI_MAX_COST``), then the arguments (flags)."""
    environ = os.environ if environ is None else environ
    try:
        found = find_settings_file((start or Path.cwd()).resolve())
    except SettingsError as error:
        raise ConfigurationError(str(error)) from None
    path, table = found or (Path(), {})
    source = str(path) if found else ""
    prices = Prices.from_table(table["prices"], source) if "prices" in table else Prices()
    tokens = _limit(table.get("max_tokens"), f"{source}: max_tokens", whole=True)
    cost = _limit(table.get("max_cost"), f"{source}: max_cost", whole=False)
    if environ.get("WFTUI_PRICES"):
        prices = read_prices_file(Path(environ["WFTUI_PRICES"]))
    if environ.get("WFTUI_MAX_TOKENS"):
        tokens = _limit(environ["WFTUI_MAX_TOKENS"], "WFTUI_MAX_TOKENS", whole=True)
    if environ.get("WFTUI_MAX_COST"):
        cost = _limit(environ["WFTUI_MAX_COST"], "WFTUI_MAX_COST", whole=False)
    if prices_file:
        prices = read_prices_file(Path(prices_file))
    return CostSettings(
        prices=prices,
        max_tokens=max_tokens if max_tokens is not None else tokens,
        max_cost=max_cost if max_cost is not None else cost,
    )


def _limit(value: object, where: str, *, whole: bool) -> Any:
    if value is None:
        return None
    try:
        number = int(str(value)) if whole else float(str(value))
    except ValueError:
        number = -1
    if isinstance(value, bool) or not math.isfinite(number) or number <= 0:
        kind = "a whole number of tokens" if whole else "an amount of US dollars"
        raise ConfigurationError(f"{where} must be {kind} above 0, not {value!r}")
    return number
