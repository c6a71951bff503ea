"""JupyterHub user names → Docker namespaces: valid, readable when possible, one-to-one."""

from __future__ import annotations

import random
import re
import string

import pytest

from layerlab.names import NAMESPACE_MAX, namespace_for

#: Docker's grammar for one repository path component (distribution/reference).
PATH_COMPONENT = re.compile(r"^[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*$")

TRICKY = [
    "alice",
    "Alice",
    "ALICE",
    "alice_",
    "alice-",
    "-alice",
    "Marie.Curie@example.org",
    "marie-curie@example.org",
    "marie.curie@example.org",
    "marie+curie@example.org",
    "marie-curie-example-org",
    "élève-01",
    "eleve-01",
    "Élève-01",
    "eleve 01",
    "\uff45\uff4c\uff45\uff56\uff45-01",  # full-width "eleve": NFKD makes it ASCII
    "Zoë",
    "zoe",
    "Øyvind",
    "李雷",
    "王芳",
    "@",
    "-",
    "_",
    ".",
    "   ",
    "a",
    "a" * 48,
    "a" * 49,
    "a" * 200,
    "a" * 199 + "b",
    "x" * 60 + "@example.org",
    "x" * 60 + "@example.com",
    "jean_dupont",
    "jean-dupont",
    "jean--dupont",
    "jean__dupont",
    "1234",
    "0",
    "user",
    "user_00000000",
    "tab\tname",
    "new\nline",
    "\ud800",  # a lone surrogate, as a broken decoder may hand over
]


@pytest.mark.parametrize("user", TRICKY)
def test_every_namespace_is_a_valid_docker_path_component(user: str) -> None:
    ns = namespace_for(user)
    assert PATH_COMPONENT.match(ns), ns
    assert len(ns) <= NAMESPACE_MAX
    assert namespace_for(user) == ns  # stable


def test_the_tricky_names_never_share_a_namespace() -> None:
    spaces = {namespace_for(user): user for user in TRICKY}
    assert len(spaces) == len(set(TRICKY))


@pytest.mark.parametrize("user", ["alice", "bob", "eleve-01", "group-7", "a1", "x" * 48])
def test_plain_names_stay_as_they_are(user: str) -> None:
    assert namespace_for(user) == user


@pytest.mark.parametrize(
    ("user", "readable"),
    [
        ("Marie.Curie@example.org", "marie-curie-example-org"),
        ("marie-curie@example.org", "marie-curie-example-org"),
        ("a+b@x.io", "a-b-x-io"),
        ("élève-01", "eleve-01"),
        ("Zoë", "zoe"),
        ("李雷", "user"),
        ("   ", "user"),
    ],
)
def test_changed_names_keep_a_readable_part_and_a_hash(user: str, readable: str) -> None:
    base, sep, digest = namespace_for(user).rpartition("_")
    assert (base, sep) == (readable, "_")
    assert re.fullmatch(r"[0-9a-f]{8}", digest)


def test_names_that_differ_only_where_the_slug_loses_information_differ() -> None:
    assert namespace_for("Marie.Curie@example.org") != namespace_for("marie-curie@example.org")
    assert namespace_for("élève-01") != namespace_for("eleve-01")
    assert namespace_for("Alice") != namespace_for("alice")


def test_too_long_names_are_shortened_and_still_distinct() -> None:
    long_a, long_b = "x" * 60 + "@example.org", "x" * 60 + "@example.com"
    assert len(namespace_for(long_a)) == NAMESPACE_MAX
    assert namespace_for(long_a) != namespace_for(long_b)
    assert namespace_for("a" * 49).startswith("a" * 39 + "_")


def test_no_name_means_no_namespace() -> None:
    assert namespace_for("") == ""


def test_distinct_names_give_distinct_namespaces_property() -> None:
    """Random names drawn to collide: few letters, the characters the slug folds
    together (case, ``.@+_-``, accents, spaces), lengths around the limit."""
    rng = random.Random(14)  # noqa: S311 - test data, not security
    alphabet = "aAbB" + ".@+_- " + "éÉè" + string.digits[:2]
    users: set[str] = set()
    while len(users) < 20_000:
        length = rng.choice([1, 2, 3, 4, 6, 47, 48, 49, 60])
        users.add("".join(rng.choice(alphabet) for _ in range(length)))
    spaces: dict[str, str] = {}
    for user in sorted(users):
        ns = namespace_for(user)
        assert PATH_COMPONENT.match(ns), (user, ns)
        assert len(ns) <= NAMESPACE_MAX
        assert spaces.setdefault(ns, user) == user, f"{user!r} and {spaces[ns]!r} share {ns}"
