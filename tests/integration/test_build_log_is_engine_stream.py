"""``result.log`` is what the engine sent, verbatim and in order, on both builders.

The raw stream is captured beside the kit, at the point where the builder reads it:
classic, the docker SDK's decoded messages (``APIClient.build``); BuildKit, the CLI's
merged stdout/stderr lines (the ``Popen`` the builder starts). Nothing is faked: the
capture passes every message on unchanged.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import docker
import pytest

from layerlab import api
from layerlab.builders import buildkit
from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

DOCKERFILE = f"""FROM {BASE_IMAGE}
ENV WHO=learner
RUN echo "hello $WHO {TEST_RUN}" && echo second line
COPY app.py /app.py
CMD ["python", "/app.py"]
"""


@pytest.fixture
def context(tmp_path: Path) -> Path:
    (tmp_path / "Dockerfile").write_text(DOCKERFILE, encoding="utf-8")
    (tmp_path / "app.py").write_text(f"print('{TEST_RUN}')\n", encoding="utf-8")
    return tmp_path


def test_classic_log_is_the_sdk_stream(
    context: Path, docker_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw: list[dict[str, Any]] = []
    original = docker.APIClient.build

    def tee(self: docker.APIClient, *args: Any, **kwargs: Any) -> Iterator[Any]:
        for message in original(self, *args, **kwargs):
            raw.append(message)
            yield message

    monkeypatch.setattr(docker.APIClient, "build", tee)
    result = api.build(
        context,
        tags=[unique_tag("log-classic")],
        builder="classic",
        labels={TEST_LABEL: TEST_RUN},
        notify=lambda _message: None,
    )
    assert result.succeeded
    stream = "".join(str(m["stream"]) for m in raw if "stream" in m)
    assert {key for m in raw for key in m} <= {"stream", "aux"}  # nothing else to compare
    assert result.log == stream
    # the engine's own numbering, the kit's label steps included; the kit's steps hide them
    labels = len(re.findall(r"^Step \d+/\d+ : LABEL org\.layerlab", stream, re.MULTILINE))
    assert labels >= 1
    total = 5 + labels
    assert f"Step 1/{total} : FROM {BASE_IMAGE}" in result.log.splitlines()
    assert [s.number for s in result.steps] == [1, 2, 3, 4, 5]
    assert (
        result.step(3).instruction == 'RUN echo "hello $WHO ' + TEST_RUN + '" && echo second line'
    )
    assert result.step(3).line == 3


def test_buildkit_log_is_the_cli_output(context: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if buildkit.find_buildkit_cli() is None:
        pytest.fail(buildkit.no_buildkit_message())
    seen: list[str] = []
    read_lines = buildkit._read_lines

    def tee(fd: int, size: int = 65536) -> Iterator[list[str]]:
        """The CLI's output as the builder reads it from the pipe, kept in ``seen``."""
        for lines in read_lines(fd, size):
            seen.extend(line + "\n" for line in lines)
            yield lines

    monkeypatch.setattr(buildkit, "_read_lines", tee)
    result = api.build(
        context,
        tags=[unique_tag("log-buildkit")],
        builder="buildkit",
        labels={TEST_LABEL: TEST_RUN},
        notify=lambda _message: None,
    )
    assert result.succeeded
    assert seen
    assert result.log == "".join(line.rstrip("\r\n") + "\n" for line in seen)
    assert "".join(seen).replace("\r", "") == result.log  # the CLI printed no \r here
    # no line of the kit's own in it: BuildKit's #N lines, blank lines, nothing else
    assert not any(line.startswith(("Step ", " ---> ")) for line in result.log.splitlines())
    run = next(s for s in result.steps if s.keyword == "RUN")
    assert run.engine_text == f'RUN echo "hello learner {TEST_RUN}" && echo second line'
    assert run.instruction == f'RUN echo "hello $WHO {TEST_RUN}" && echo second line'
    assert run.line == 3
