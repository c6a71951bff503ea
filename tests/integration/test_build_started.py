"""Both builders say when the engine has the build (``BuildStarted``) before any step.

Views make and show their widgets on that event, so the work overlaps the engine's (a
cached BuildKit build prints all its progress at its end): it must come first, once, and
while the build is still running.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest

from layerlab import api
from layerlab.build import BuildDone, BuildStarted, StepStarted
from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration


@pytest.mark.usefixtures("docker_client")  # its teardown removes the run's test images
@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_build_started_comes_first_and_once(
    tmp_path: Path, builder: str, docker_client: Any
) -> None:
    del docker_client  # its teardown removes this run's test-labelled images
    # a RUN that takes a second: BuildStarted must arrive well before the build ends
    (tmp_path / "Dockerfile").write_text(
        f"FROM {BASE_IMAGE}\nRUN sleep 1 && echo {TEST_RUN}-{builder}\n", encoding="utf-8"
    )
    seen: list[tuple[float, Any]] = []
    api.build(
        tmp_path,
        tags=[unique_tag(f"started-{builder}")],
        builder=builder,
        no_cache=True,
        labels={TEST_LABEL: TEST_RUN},
        listeners=[lambda event, _result: seen.append((time.monotonic(), event))],
        notify=lambda _message: None,
    )
    kinds = [type(event) for _, event in seen]
    assert kinds[0] is BuildStarted
    assert kinds.count(BuildStarted) == 1
    assert StepStarted in kinds
    assert kinds[-1] is BuildDone
    assert seen[-1][0] - seen[0][0] >= 1.0  # the RUN's second came after it
