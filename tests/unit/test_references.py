"""One reader of image references (docker-py's parser underneath), for every module."""

from __future__ import annotations

import pytest

from layerlab import references


@pytest.mark.parametrize(
    ("reference", "stored", "canonical", "registry", "path"),
    [
        (
            "python-hello-world",
            "python-hello-world:latest",
            "python-hello-world:latest",
            "docker.io",
            "python-hello-world",
        ),
        (
            "python:3.13-alpine",
            "python:3.13-alpine",
            "python:3.13-alpine",
            "docker.io",
            "python:3.13-alpine",
        ),
        (
            "docker.io/library/python:3.13",
            "docker.io/library/python:3.13",
            "python:3.13",
            "docker.io",
            "library/python:3.13",
        ),
        (
            "127.0.0.1:5000/app",
            "127.0.0.1:5000/app:latest",
            "127.0.0.1:5000/app:latest",
            "127.0.0.1:5000",
            "app",
        ),
        (
            "localhost/alice/app:1",
            "localhost/alice/app:1",
            "localhost/alice/app:1",
            "localhost",
            "alice/app:1",
        ),
        ("alice/app", "alice/app:latest", "alice/app:latest", "docker.io", "alice/app"),
        ("app@sha256:abc", "app@sha256:abc", "app@sha256:abc", "docker.io", "app@sha256:abc"),
    ],
)
def test_references(reference: str, stored: str, canonical: str, registry: str, path: str) -> None:
    assert references.with_default_tag(reference) == stored
    assert references.canonical(reference) == canonical
    assert references.registry(reference) == registry
    assert references.split_registry(reference)[1] == path
