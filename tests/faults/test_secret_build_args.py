"""Case 11: a secret-looking ``--build-arg`` gets a warning that build args stay in the
image, pointing at where anyone can read them; and the place it points at really shows
the value."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("name", ["DB_PASSWORD", "API_TOKEN", "SSH_KEY"])
def test_secret_looking_build_arg_warns_where_it_is_visible(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
    name: str,
) -> None:
    (seed_context / "Dockerfile").write_text(
        f"FROM python:3.13-alpine\nARG {name}\nRUN echo using-the-arg\n", encoding="utf-8"
    )
    tag = tag_for(f"secret-{name.lower().replace('_', '-')}")

    cell = learner.run(f"%docker_build -q --build-arg {name}=hunter2 -t {tag} .")

    assert cell.error is None, cell.shown
    warnings = [line for line in cell.shown.splitlines() if "looks like a secret" in line]
    assert warnings == [
        (
            f"warning: build arg {name} looks like a secret. Build args are stored in the image: "
            f"anyone can read them with %docker_history {tag}:latest"
        )
    ]
    # The claim is true: the engine's history of the image holds the value...
    history = " ".join(entry["CreatedBy"] for entry in engine.api.history(tag))
    assert f"{name}=hunter2" in history
    # ...and the command the warning names shows it to the learner.
    shown = learner.run(f"%docker_history {tag}")
    assert shown.error is None, shown.shown
    assert f"{name}=hunter2" in shown.shown, shown.shown


def test_plain_build_arg_gives_no_warning(
    engine: Any,
    learner: Any,
    seed_context: Path,
    tag_for: Any,
) -> None:
    (seed_context / "Dockerfile").write_text(
        "FROM python:3.13-alpine\nARG GREETING\nRUN echo $GREETING\n", encoding="utf-8"
    )
    tag = tag_for("plain-arg")

    cell = learner.run(f"%docker_build -q --build-arg GREETING=hello -t {tag} .")

    assert cell.error is None, cell.shown
    assert "looks like a secret" not in cell.shown
