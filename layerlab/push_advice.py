"""What to tell a learner whose push found no registry: the advice that fits the machine.

Offline, ``%docker push learner-hello`` goes to Docker Hub (a name without a registry
host means ``docker.io``) and fails. When the local registry (``Layerlab.registry``,
127.0.0.1:5000 by default) answers, the useful advice is the exact two commands that
push there; only when it does not answer either is "start it" the advice.
"""

from __future__ import annotations

from layerlab.i18n import t


def registry_answers(address: str, *, timeout: float = 1.0) -> bool:
    """True when a registry (Docker Registry HTTP API v2) answers at ``address``."""
    import urllib.error
    import urllib.request

    host = address.rsplit(":", 1)[0]
    if not (host.startswith("127.") or host == "localhost"):
        return False  # only a registry on this machine is probed
    try:
        with urllib.request.urlopen(f"http://{address}/v2/", timeout=timeout) as reply:
            return int(reply.status) == 200
    except urllib.error.HTTPError as exc:
        return exc.code == 401  # a registry that wants a login is still a registry
    except OSError:
        return False


def unreachable(reference: str, registry: str) -> str | None:
    """Advice for a push of ``reference`` that found no registry at ``registry``, or
    None when the generic message is all there is to say."""
    from layerlab import names
    from layerlab.config import settings
    from layerlab.references import split

    local = settings().registry
    if registry == local:
        return t("push.local_down", registry=registry)
    if not registry_answers(local):
        return None
    repository, version = split(names.to_learner(reference))
    if registry == "docker.io":
        short = repository.removeprefix("docker.io/").removeprefix("library/")
    else:
        short = repository.split("/", 1)[1]
    name = repository if version == "latest" else f"{repository}:{version}"
    target = f"{local}/{short}" + ("" if version == "latest" else f":{version}")
    return t("push.use_local", registry=registry, local=local, name=name, target=target)
