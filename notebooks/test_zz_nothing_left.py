"""After the labs have run: nothing they made is left on the engine.

pytest collects this file after the labs' folders (en/, fr/), so it runs last when
the test command runs every notebook. On its own it checks the engine as it is.
"""

from __future__ import annotations

from typing import Any

#: the names the labs build (see the lab sources, notebooks/{en,fr}/NN-*.md)
LAB_REPOSITORIES = ("python-hello-world", "python-goodbye-world", "lab03-", "lab04-", "lab05-")


def test_the_labs_leave_no_container_and_no_image_behind() -> None:
    import docker

    client: Any = docker.from_env()
    images = [
        tag
        for image in client.images.list()
        # images of the test suite's own runs (browser tests rename the labs' images) carry
        # org.layerlab.test and are removed when the session ends
        if "org.layerlab.test" not in (image.labels or {})
        for tag in image.tags
        if tag.rsplit("/", 1)[-1].startswith(LAB_REPOSITORIES)
    ]
    containers = [
        f"{container.name} ({container.status})"
        for container in client.containers.list(all=True)
        if container.labels.get("org.layerlab.lab")
        # the name the container was created from: its image may be gone already
        or str(container.attrs["Config"]["Image"]).rsplit("/", 1)[-1].startswith(LAB_REPOSITORIES)
    ]
    assert images == [], f"images the labs left behind: {images}"
    assert containers == [], f"containers the labs left behind: {containers}"
