"""The serving benchmark's table: a column per stack, byoa's ratios and the issue's targets.

byoa is compared with two stacks: the classic one and the tuned FastAPI one (the strongest
stack a user gets without byoa). The targets depend on the model: the bank model's are issue
14's (``TARGETS["bank"]``), the synthetic model's the benchmark's earlier ones.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

STACKS = ("classic", "fastapi-tutorial", "fastapi-tuned", "byoa")
VERSUS = ("classic", "fastapi-tuned")


@dataclass(frozen=True)
class Target:
    """A bound on a ratio: ``at_least`` (byoa's figure over the other's) or at most."""

    bound: float
    at_least: bool = True

    def met(self, ratio: float) -> bool:
        return ratio >= self.bound if self.at_least else ratio <= self.bound

    def text(self, ratio: float | None) -> str:
        sign = ">=" if self.at_least else "<="
        verdict = "" if ratio is None else (" ok" if self.met(ratio) else " NO")
        return f"{sign} {self.bound:g}{verdict}"


# (measure, rows, versus) -> target; measure is "rps" or "p99"
TARGETS: dict[str, dict[tuple[str, int, str], Target]] = {
    "synthetic": {
        ("rps", 1, "classic"): Target(3),
        ("p99", 1, "classic"): Target(0.33, at_least=False),
        ("rps", 100, "classic"): Target(6),
    },
    "bank": {
        ("rps", 1, "classic"): Target(6),
        ("rps", 1, "fastapi-tuned"): Target(2),
        ("p99", 1, "fastapi-tuned"): Target(0.5, at_least=False),
        ("rps", 100, "classic"): Target(8),
        ("rps", 100, "fastapi-tuned"): Target(1.5),
    },
}
FLOOR_TARGETS = {"synthetic": Target(0.8), "bank": Target(0.9)}
COLD_PING_TARGET = Target(1, at_least=False)
IDLE_PSS_TARGET = Target(0.6, at_least=False)

Ratios = Sequence[tuple[float | None, Target | None]]


def print_table(
    results: dict[str, Any], workers: int, scenarios: Sequence[tuple[int, int]]
) -> None:
    """Prints every figure of one run of ``bench_serve`` and byoa's ratios to the targets."""
    model = results["model"]
    print(f"\nmodel: {model}; {os.cpu_count()} cores, {workers} workers each stack; "
          f"10,000-row body {results['body_10000_mb']:.1f} MB\n")  # fmt: skip
    print_header()
    for rows, connections in scenarios:
        print_scenario(results["load"][str(rows)], rows, connections, TARGETS[model])
    for sitting, floor in enumerate(results["floor"], start=1):
        row(f"10,000 x4 sitting {sitting}: byoa req/s", {"byoa": floor["byoa_rps"]}, [])
        ratio = floor["byoa_rps"] / floor["floor_rps"] if floor["floor_rps"] else None
        row(f"  sitting {sitting}: in-process floor req/s", {"byoa": floor["floor_rps"]},
            [(ratio, FLOOR_TARGETS[model])])  # fmt: skip
    print_service_rows(results)
    print(
        "\n(ratios: byoa's figure over the classic stack's, then over the tuned FastAPI stack's;"
        " on the floor rows, byoa's 10,000-row requests/s, measured just before and after the"
        " floor in that sitting, over the floor: parse + predict + encode in one process per"
        " core, no HTTP)"
    )


def print_header() -> None:
    names = "".join(f" {name:>16} |" for name in STACKS)
    ratios = "".join(f" {'byoa/' + name.removeprefix('fastapi-'):>12} | {'target':10} |"
                     for name in VERSUS)  # fmt: skip
    print(f"| {'measure':38} |{names}{ratios}")
    print(f"|{'-' * 40}|" + f"{'-' * 18}|" * len(STACKS) + f"{'-' * 14}|{'-' * 12}|" * len(VERSUS))


def print_scenario(
    figures: dict[str, dict[str, float]],
    rows: int,
    connections: int,
    targets: dict[tuple[str, int, str], Target],
) -> None:
    def ratios(measure: str) -> Ratios:
        byoa = figures["byoa"][measure]
        return [
            (byoa / figures[name][measure] if figures[name][measure] else None,
             targets.get((measure.removesuffix("_ms"), rows, name)))
            for name in VERSUS
        ]  # fmt: skip

    label = f"{rows} rows x{connections}"
    row(f"{label}: requests/s", {n: f["rps"] for n, f in figures.items()}, ratios("rps"))
    row(f"{label}: p50 ms", {n: f["p50_ms"] for n, f in figures.items()}, [])
    row(f"{label}: p99 ms", {n: f["p99_ms"] for n, f in figures.items()}, ratios("p99_ms"))
    errors = {name: f["errors"] for name, f in figures.items() if f["errors"]}
    if errors:
        print(f"| {label}: errors {errors} |")


def print_service_rows(results: dict[str, Any]) -> None:
    ping, cold, pss = results["ping_p99_ms"], results["cold"], results["idle_pss_mb"]
    row("/ping p99 ms, 10,000-row load (< 50)", {n: ping[n] for n in STACKS},
        versus({n: ping[n] for n in STACKS}, None))  # fmt: skip
    failures = {name: ping[f"{name}_failures"] for name in STACKS if ping[f"{name}_failures"]}
    if failures:
        print(f"| /ping failures {failures} |")
    pings = {name: cold[name]["ping_s"] for name in STACKS}
    row("cold start to /ping 200, s", pings, versus(pings, COLD_PING_TARGET))
    firsts = {name: cold[name]["first_prediction_s"] for name in STACKS}
    row("cold start to 1st prediction, s", firsts, versus(firsts, None))
    row("idle PSS, MB", pss, versus(pss, IDLE_PSS_TARGET))


def versus(figures: dict[str, float], classic_target: Target | None) -> Ratios:
    """byoa's figure over the classic and the tuned FastAPI stacks', the target on the first."""
    return [
        (figures["byoa"] / figures[name] if figures[name] else None,
         classic_target if name == "classic" else None)
        for name in VERSUS
    ]  # fmt: skip


def row(label: str, figures: dict[str, float], ratios: Ratios) -> None:
    cells = "".join(
        f" {'' if figures.get(name) is None else f'{figures[name]:.1f}':>16} |" for name in STACKS
    )
    padded = list(ratios) + [(None, None)] * (len(VERSUS) - len(ratios))
    ratio_cells = "".join(
        f" {'' if ratio is None else f'{ratio:.2f}':>12} | "
        f"{'' if target is None else target.text(ratio):10} |"
        for ratio, target in padded
    )
    print(f"| {label:38} |{cells}{ratio_cells}")
