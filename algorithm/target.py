"""The label: which column it is, and how it is encoded for each objective."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """Classes of a classifier, or the centre and scale a regression label is trained in."""

    objective: str
    classes: tuple[str, ...] = ()
    center: float = 0.0
    scale: float = 1.0

    @property
    def outputs(self) -> int:
        return 1 if self.objective in ("binary", "regression") else len(self.classes)

    def to_json(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "classes": list(self.classes),
            "center": self.center,
            "scale": self.scale,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Target:
        return cls(data["objective"], tuple(data["classes"]), data["center"], data["scale"])
