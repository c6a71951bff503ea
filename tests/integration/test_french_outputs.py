"""A French learner's session on the real engine: what the kit prints and shows in a
notebook (text views, as nbval and nbconvert see them) carries no English word and keeps
French typography. The build's own output lines (the engine's and pip's words, indented
under their step) are shown as the tools wrote them and are left out of the check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from IPython.lib.pretty import pretty

from layerlab import check, engine_ops
from tests.conftest import SEED_DOCKERFILE, unique_tag
from tests.french import avoided_terms, english_words, typography_problems

pytestmark = pytest.mark.integration


def _kit_text(text: str) -> str:
    """``text`` without the tools' own output lines (4-space indented under a step)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("    "))


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_a_french_session_shows_no_english(
    engine: Any, ip: Any, seed_context: Path, builder: str, capsys: pytest.CaptureFixture[str]
) -> None:
    ip.run_line_magic("config", "Layerlab.language = 'fr'")
    tag = unique_tag(f"fr-{builder}")
    name = unique_tag("fr-web")
    shown: list[str] = []
    ip.run_cell_magic("dockerfile", "", SEED_DOCKERFILE)
    first = ip.run_line_magic("docker_build", f"--builder {builder} -t {tag} .")
    (seed_context / "app.py").write_text(
        (seed_context / "app.py").read_text(encoding="utf-8").replace("hello", "bonjour"),
        encoding="utf-8",
    )
    again = ip.run_line_magic("docker_build", f"--builder {builder} -t {tag} .")
    shown += [pretty(first), pretty(again), pretty(again.steps), str(again.cache_report)]  # type: ignore[no-untyped-call]
    shown.append(repr(ip.run_line_magic("docker_images", tag)))
    shown.append(pretty(ip.run_line_magic("docker_history", tag)))  # type: ignore[no-untyped-call]
    check.image_exists(tag)
    check.steps_cached(again, rebuilt=["COPY"])
    check.image_exists(unique_tag("absent"))
    started = ip.run_line_magic("docker", f"run -d -p 127.0.0.1::5000 --name {name} {tag}")
    try:
        shown.append(pretty(started))  # type: ignore[no-untyped-call]
        shown.append(repr(ip.run_line_magic("docker", "ps --mine")))
        ip.run_line_magic("docker", f"stop -t 1 {name}")
        shown.append(repr(ip.run_line_magic("docker", "ps -a --mine")))
        ip.run_line_magic("docker", "run -h")
    finally:
        engine_ops.rm(name, force=True)
    printed = capsys.readouterr()
    shown += [printed.out, printed.err]
    assert "L'image" in printed.out
    assert "en cache" in printed.out
    assert "✓ Bravo" in printed.out
    assert "✗ Pas encore" in printed.out
    problems = []
    for text in shown:
        kit = _kit_text(text)
        if english_words(kit):
            problems.append(f"English {english_words(kit)} in:\n{kit}")
        problems += [f"{problem} in:\n{kit}" for problem in typography_problems(kit)]
        if avoided_terms(kit):
            problems.append(f"avoided terms {avoided_terms(kit)} in:\n{kit}")
    assert not problems, "\n\n".join(problems)
