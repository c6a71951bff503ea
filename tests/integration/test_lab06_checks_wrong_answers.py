"""Lab 06's check cells against wrong answers (and the right one) on the real engine: a wrong
answer gets a ✗ verdict in one friendly message, never a traceback; the right one passes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from layerlab import api, check_layers
from layerlab.check import Verdict
from tests.conftest import BASE_IMAGE, unique_tag

pytestmark = pytest.mark.integration

TOKEN = "/tmp/api-token.txt"
KEEP = "/srv/licence.key"

SINGLE_STAGE = f"""FROM {BASE_IMAGE}
COPY api-token.txt {TOKEN}
RUN sha256sum {TOKEN} | cut -c1-16 > {KEEP}
RUN rm {TOKEN}
CMD ["cat", "{KEEP}"]
"""

SAME_LAYER = f"""FROM {BASE_IMAGE} AS build
COPY api-token.txt {TOKEN}
RUN sha256sum {TOKEN} | cut -c1-16 > {KEEP} && rm {TOKEN}
CMD ["cat", "{KEEP}"]
"""

FORGOT_RESULT = f"""FROM {BASE_IMAGE} AS build
COPY api-token.txt {TOKEN}
RUN sha256sum {TOKEN} | cut -c1-16 > {KEEP}

FROM {BASE_IMAGE}
CMD ["cat", "{KEEP}"]
"""

RIGHT = f"""FROM {BASE_IMAGE} AS build
COPY api-token.txt {TOKEN}
RUN sha256sum {TOKEN} | cut -c1-16 > {KEEP}

FROM {BASE_IMAGE}
COPY --from=build {KEEP} {KEEP}
CMD ["cat", "{KEEP}"]
"""

ADVICE = """FROM python:3.13-alpine
COPY . /app
RUN pip install -r /app/requirements.txt
CMD python /app/app.py
"""

HALF_FIXED = """FROM python:3.13-alpine
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir -r requirements.txt
CMD ["python", "app.py"]
"""

FIXED = """FROM python:3.13-alpine
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
CMD ["python", "app.py"]
"""


def assert_says_not_yet(verdict: Verdict, capsys: pytest.CaptureFixture[str]) -> str:
    printed = capsys.readouterr()
    assert not verdict, f"the check accepted a wrong answer: {verdict!r}"
    assert printed.out.startswith("✗ Not yet: "), printed.out
    assert "Next: " in printed.out
    assert "could not run" not in printed.out
    assert "Traceback" not in printed.out + printed.err
    return printed.out


def build(workdir: Path, dockerfile: str, name: str, builder: str) -> str:
    (workdir / "api-token.txt").write_text("tok-test-do-not-share\n", encoding="utf-8")
    (workdir / "Dockerfile").write_text(dockerfile, encoding="utf-8")
    tag = unique_tag(f"lab06-{name}-{builder}")
    api.build(workdir, tags=[tag], builder=builder)
    return tag


@pytest.mark.parametrize("builder", ["classic", "buildkit"])
def test_secret_check_refuses_secrets_left_in_a_layer(
    engine: Any, workdir: Path, capsys: pytest.CaptureFixture[str], builder: str
) -> None:
    wrong = build(workdir, SINGLE_STAGE, "single", builder)
    capsys.readouterr()
    said = assert_says_not_yet(check_layers.secret_not_in_layers(wrong, TOKEN, keep=KEEP), capsys)
    assert TOKEN in said
    right = build(workdir, RIGHT, "right", builder)
    capsys.readouterr()
    assert check_layers.secret_not_in_layers(right, TOKEN, keep=KEEP)
    assert capsys.readouterr().out.startswith("✓ ")


def test_secret_check_refuses_other_wrong_answers(
    engine: Any, workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # deleting in the same RUN hides the token from the RUN's layer, not from the COPY's
    same_layer = build(workdir, SAME_LAYER, "same-layer", "buildkit")
    capsys.readouterr()
    assert_says_not_yet(check_layers.secret_not_in_layers(same_layer, TOKEN, keep=KEEP), capsys)
    forgot = build(workdir, FORGOT_RESULT, "forgot", "buildkit")
    capsys.readouterr()
    said = assert_says_not_yet(check_layers.secret_not_in_layers(forgot, TOKEN, keep=KEEP), capsys)
    assert KEEP in said


def test_secret_check_on_a_missing_image_is_a_verdict(
    engine: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    verdict = check_layers.secret_not_in_layers("lab06-never-built", TOKEN, keep=KEEP)
    assert not verdict
    assert "Traceback" not in capsys.readouterr().out


@pytest.mark.parametrize("wrong", [ADVICE, HALF_FIXED])
def test_advice_check_refuses_dockerfiles_with_advice_left(
    ip: Any, workdir: Path, capsys: pytest.CaptureFixture[str], wrong: str
) -> None:
    (workdir / "fixed.Dockerfile").write_text(wrong, encoding="utf-8")
    said = assert_says_not_yet(check_layers.no_advice("fixed.Dockerfile"), capsys)
    assert "KIT001" in said or "DL3025" in said
    (workdir / "fixed.Dockerfile").write_text(FIXED, encoding="utf-8")
    assert check_layers.no_advice("fixed.Dockerfile")
    assert capsys.readouterr().out.startswith("✓ ")
