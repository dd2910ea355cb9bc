"""README's hyperparameter table is the one generated from the bundled algorithm's spec."""

from __future__ import annotations

from pathlib import Path

import pytest

from algorithm.spec import SPEC
from container import docs
from container.spec import AlgorithmSpec, Channel, boolean, free_text, integer


def test_readme_table_matches_the_spec() -> None:
    readme = docs.README.read_text()
    assert docs.with_table(readme, docs.hyperparameter_table(SPEC)) == readme, (
        "README.md's hyperparameter table is stale: run python -m container.docs"
    )


def test_every_hyperparameter_has_one_row() -> None:
    rows = docs.hyperparameter_table(SPEC).splitlines()[2:]
    assert [row.split("|")[1].strip() for row in rows] == [
        f"`{h.name}`" for h in SPEC.hyperparameters
    ]


def test_table_renders_types_defaults_and_escapes_pipes() -> None:
    spec = AlgorithmSpec(
        name="toy", description="", channels=(Channel("train", ""),), metrics=(),
        hyperparameters=(
            integer("layers", "How many | layers.", 2, 1, 8, tunable=True),
            boolean("fast", "Go fast.", False),
            free_text("note", "Any text.", required=True),
        ),
        request_content_types=("text/csv",), response_content_types=("text/csv",),
        training_instance_types=(), realtime_instance_types=(), transform_instance_types=(),
    )  # fmt: skip
    rows = docs.hyperparameter_table(spec).splitlines()
    assert rows[2] == "| `layers` | Integer | `2` | [1, 8] | yes | How many \\| layers. |"
    assert rows[3] == "| `fast` | Boolean | `false` | {true, false} | no | Go fast. |"
    assert rows[4] == "| `note` | FreeText | required | any | no | Any text. |"


def test_check_mode_reports_a_stale_table(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n{docs.START}\n| old |\n{docs.END}\nrest\n")
    assert docs.main([str(readme), "--check"]) == 1
    assert docs.main([str(readme)]) == 0
    assert docs.main([str(readme), "--check"]) == 0
    text = readme.read_text()
    assert "| old |" not in text and text.endswith(f"{docs.END}\nrest\n")
    assert "`ensemble_size`" in text


def test_missing_markers_are_an_error() -> None:
    with pytest.raises(ValueError, match="markers"):
        docs.with_table("no markers here", "| t |\n")
