"""The run-wide leftover check (tests/engine_left_as_found.py) sees each kind of leftover."""

from __future__ import annotations

import io
from typing import Any

import pytest

from tests.conftest import BASE_IMAGE, TEST_LABEL, TEST_RUN, unique_tag
from tests.engine_left_as_found import _containers, _images, leftovers

pytestmark = pytest.mark.integration


def test_new_labelled_images_nameless_images_and_containers_are_leftovers(
    docker_client: Any,
) -> None:
    api = docker_client.api
    images_before, containers_before = set(_images(docker_client)), set(_containers(docker_client))
    labels = {TEST_LABEL: TEST_RUN}
    tag = unique_tag("left-as-found")
    made: list[str] = []
    container_id = ""
    try:
        dockerfile = f"FROM {BASE_IMAGE}\nLABEL left-as-found={TEST_RUN}\n"
        for version in ("1", "2"):  # the second build under the same name leaves the first nameless
            stream = api.build(
                fileobj=io.BytesIO((dockerfile + f"ENV V={version}\n").encode()),
                tag=tag,
                labels=labels,
                rm=True,
                decode=True,
            )
            made += [m["aux"]["ID"] for m in stream if "aux" in m and "ID" in m["aux"]]
        container_id = api.create_container(tag, command=["true"], labels=labels)["Id"]
        found = leftovers(docker_client, images_before, containers_before)
        first, second = made
        assert any(line.startswith(f"image {second[7:19]} ['{tag}:latest']") for line in found)
        assert any(line.startswith(f"image {first[7:19]} (no name)") for line in found)
        assert any(line.startswith(f"container {container_id[:12]}") for line in found)
    finally:
        if container_id:
            api.remove_container(container_id, force=True)
        for image_id in reversed(made):
            api.remove_image(image_id, force=True)
    # gone once removed (other lines may be another run's on a shared engine)
    after = leftovers(docker_client, images_before, containers_before)
    assert not [line for line in after if any(i[7:19] in line for i in made)]
    assert not [line for line in after if container_id[:12] in line]
