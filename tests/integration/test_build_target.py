"""``--target`` builds up to a stage, on both builders, and the kit shows that stage."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from layerlab import api, layers
from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.integration

DOCKERFILE = f"""\
FROM {BASE_IMAGE} AS deps
RUN echo deps-{TEST_RUN} > /deps
FROM deps AS Test
RUN echo test-{TEST_RUN} > /test
FROM {BASE_IMAGE}
COPY --from=deps /deps /deps
CMD ["python"]
"""


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_target_builds_that_stage_and_the_kit_shows_it(
    tmp_path: Path, builder: str, docker_client: Any
) -> None:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    tag = unique_tag(f"target-{builder}")
    result = api.build(
        tmp_path,
        tags=[tag],
        target="test",  # the engine compares stage names without case
        builder=builder,
        labels={TEST_LABEL: TEST_RUN},
        notify=lambda _message: None,
    )
    assert result.target == "test"
    instructions = [step.instruction for step in result.steps]
    assert f"RUN echo test-{TEST_RUN} > /test" in instructions
    assert not [text for text in instructions if text.startswith("COPY --from")]  # final stage
    output = docker_client.containers.run(
        tag, ["cat", "/deps", "/test"], remove=True, labels={TEST_LABEL: TEST_RUN}
    )
    assert output.decode().split() == [f"deps-{TEST_RUN}", f"test-{TEST_RUN}"]
    stack = layers(tag)
    assert stack.base_image == BASE_IMAGE  # "FROM deps" followed to the image deps starts from
    own = sorted((layer for layer in stack.layers if not layer.from_base), key=lambda x: x.index)
    assert [layer.instruction for layer in own][-1] == f"RUN echo test-{TEST_RUN} > /test"
