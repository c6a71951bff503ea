"""The core integration tests (tests/integration/test_classic_build.py), the same
functions, run against Podman's Docker-compatible socket (see conftest.py here).

They are imported, not copied, so a test added to the core module runs on Podman too;
the package's ``docker_client`` fixture points them at Podman. Podman builds with buildah
behind the classic ``/build`` endpoint: there is no BuildKit through its socket, so only
the classic builder is tested here. What differs from Docker: deploy/README.md, "Podman".
"""

from __future__ import annotations

import pytest

from tests.integration import test_classic_build as core

pytestmark = [pytest.mark.integration, pytest.mark.podman]

CORE_TESTS = {name: test for name, test in vars(core).items() if name.startswith("test_")}
globals().update(CORE_TESTS)  # pytest collects them here, under this module's fixtures
if not CORE_TESTS:  # an empty module would pass for a green run
    raise RuntimeError("no test_* functions found in tests/integration/test_classic_build.py")
