"""The message catalogs (layerlab/locale/*/LC_MESSAGES/layerlab.po): complete in French,
same placeholders, real plurals, French as docs/glossary.md writes it, and the kit's
number/size/duration formats equal to CLDR's (Babel)."""

from __future__ import annotations

import ast
import gettext
import html
import re
import string
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po

from layerlab import i18n
from tests.french import avoided_terms, english_words, glossary, typography_problems

REPO = Path(__file__).resolve().parents[2]


def _catalog(lang: str) -> dict[str, Any]:
    with i18n.po_path(lang).open("rb") as handle:
        return {str(m.context): m for m in read_po(handle, locale=lang) if m.id}


def _forms(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _fields(text: str) -> set[tuple[str, str | None, str]]:
    """The ``{placeholders}`` of a message, with their conversion and format spec."""
    return {
        (name, conversion, spec or "")
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }


ENGLISH = _catalog("en")
FRENCH = _catalog("fr")


@pytest.fixture(autouse=True)
def _english_afterwards() -> Any:
    yield
    i18n.set_language("en")


# ---------------------------------------------------------------- complete and consistent
def test_every_english_message_has_a_reviewed_french_translation() -> None:
    assert len(ENGLISH) > 250
    missing = [key for key in ENGLISH if key not in FRENCH]
    empty = [key for key, m in FRENCH.items() if not all(_forms(m.string))]
    fuzzy = [key for key, m in FRENCH.items() if m.fuzzy]
    extra = [key for key in FRENCH if key not in ENGLISH]
    assert not missing, f"keys without French (scripts/messages update, then translate): {missing}"
    assert not empty, f"French entries left empty: {empty}"
    assert not fuzzy, f"French entries to review (their English changed): {fuzzy}"
    assert not extra, f"French entries whose key is gone from the English catalog: {extra}"


def test_english_catalog_is_the_source() -> None:
    for key, message in ENGLISH.items():
        assert not any(_forms(message.string)), f"{key}: the English msgstr stays empty"


def test_translations_keep_the_placeholders() -> None:
    for key, english in ENGLISH.items():
        wanted = set().union(*(_fields(text) for text in _forms(english.id)))
        for index, text in enumerate(_forms(FRENCH[key].string)):
            found = _fields(text)
            assert found <= wanted, (
                f"{key}: French names placeholders English lacks: {found - wanted}"
            )
            # a singular form may leave the number out ("leur couche du bas")
            optional = {field for field in wanted if field[0] == "n"} if index == 0 else set()
            assert wanted - optional <= found, f"{key}: French form {index} lacks {wanted - found}"


def test_placeholder_check_catches_a_wrong_translation() -> None:
    assert _fields("{count} couches") != _fields("{n} couches")
    assert _fields("{name!r}") != _fields("{name}")


def test_plurals_are_real_plurals() -> None:
    plural_keys = [key for key, m in ENGLISH.items() if isinstance(m.id, (tuple, list))]
    assert len(plural_keys) > 40
    for key in plural_keys:
        assert len(_forms(FRENCH[key].string)) == 2, key
    # no "(s)" / "(e)s" plural shortcuts left, in either language
    for catalog in (ENGLISH, FRENCH):
        for key, message in catalog.items():
            for text in (*_forms(message.id), *_forms(message.string)):
                assert not re.search(r"\w\((?:s|e|es|e\)s)\)", text), f"{key}: {text}"


def test_french_plural_rule_is_french() -> None:
    header = (i18n.po_path("fr")).read_text(encoding="utf-8")
    assert '"Plural-Forms: nplurals=2; plural=(n > 1);\\n"' in header
    i18n.set_language("fr")
    assert [i18n.tn("age.minutes", n) for n in (0, 1, 2)] == ["0 minute", "1 minute", "2 minutes"]
    i18n.set_language("en")
    assert [i18n.tn("age.minutes", n) for n in (0, 1, 2)] == ["0 minutes", "1 minute", "2 minutes"]


def test_compiled_catalog_answers_standard_ngettext(tmp_path: Path) -> None:
    target = tmp_path / "fr.mo"
    i18n.compile_catalog("fr", target)
    with target.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    english = ENGLISH["age.hours"].id
    assert compiled.npgettext("age.hours", english[0], english[1], 1) == "{n} heure"
    assert compiled.npgettext("age.hours", english[0], english[1], 3) == "{n} heures"
    assert compiled.pgettext("status.cached", ENGLISH["status.cached"].id) == "en cache"


# ---------------------------------------------------------------- the code uses them right
def _calls() -> list[tuple[str, str, str]]:
    """(function, key, where) for every t("literal") / tn("literal") call in layerlab/."""
    found = []
    for path in sorted((REPO / "layerlab").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, (ast.Name, ast.Attribute))
                and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr)
                in ("t", "tn")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                where = f"{path.relative_to(REPO)}:{node.lineno}"
                found.append((name, node.args[0].value, where))
    return found


def test_every_key_the_code_uses_exists_with_the_right_number_of_forms() -> None:
    calls = _calls()
    assert len(calls) > 200
    for name, key, where in calls:
        assert key in ENGLISH, f"{where}: no message {key!r} in the catalogs"
        plural = isinstance(ENGLISH[key].id, (tuple, list))
        assert plural == (name == "tn"), f"{where}: {key!r} is {'' if plural else 'not '}plural"


# ---------------------------------------------------------------- French as a teacher writes it
SAMPLES: dict[str, object] = {
    "n": 3,
    "count": 3,
    "cached": 2,
    "total": 40,
    "limit": "2",
    "expected": "2",
    "number": 4,
    "line": 3,
    "last": 5,
    "lines": "2, 5",
    "code": 1,
    "port": 5001,
    "next_port": 5002,
    "example": 5001,
    "status": 404,
    "size": "12,3\u202fMo",
    "space": "1,2\u202fMo",
    "free": "3,4\u202fGo",
    "reclaimed": "5,6\u202fMo",
    "duration": "1,2\u202fs",
}


def _render(key: str, text: str) -> str:
    values: dict[str, object] = {}
    for name, _conversion, _spec in _fields(text):
        values[name] = SAMPLES.get(name, "python-hello-world")
    return text.format(**values)


def _french_messages() -> list[tuple[str, str]]:
    return [
        (key, _render(key, text))
        for key, message in FRENCH.items()
        for text in _forms(message.string)
    ]


# messages whose French is rightly the same letters as an English word list entry
ALLOWED_ENGLISH = {
    "dockerhelp.options": {"options"},
}


def test_french_messages_have_no_english_words() -> None:
    problems = []
    for key, text in _french_messages():
        words = set(english_words(text)) - ALLOWED_ENGLISH.get(key, set())
        if words:
            problems.append(f"{key}: {sorted(words)} in {text!r}")
    assert not problems, "\n".join(problems)


def test_french_messages_follow_french_typography() -> None:
    problems = [
        f"{key}: {problem}"
        for key, text in _french_messages()
        for problem in typography_problems(text)
    ]
    assert not problems, "\n".join(problems)


def test_french_messages_use_the_glossary_terms() -> None:
    assert any(english.startswith("tag") for english, _, _ in glossary())
    problems = [
        f"{key}: {sorted(set(found))} in {text!r}"
        for key, text in _french_messages()
        if (found := avoided_terms(text))
    ]
    assert not problems, "\n".join(problems)
    # « étiquette » is only ever a tag: never the LABEL instruction or a label
    for key, text in _french_messages():
        if "étiquette" in text.lower():
            assert "label" not in key, f"{key}: a label is « label », not « étiquette »"


def test_checkers_catch_english_and_bad_typography() -> None:
    """The checks above can fail: each catches the mistakes the review found."""
    assert english_words("REPOSITORY  TAG  IMAGE ID") == ["REPOSITORY", "TAG"]
    assert english_words("créée il y a 0 seconds ago") == ["seconds", "ago"]
    assert english_words("Up Less than a second") == ["Up", "Less", "than"]
    assert "log" in english_words("Échelle : log / linear")
    assert english_words("Utilisez %docker run -d --name web IMAGE") == []
    assert typography_problems("Bravo : oui")  # a plain space before ":"
    assert typography_problems("vraiment ?")
    assert typography_problems("« cache »")
    assert typography_problems("12.5 MB")
    assert typography_problems("en 0.1 s")
    assert not typography_problems("Bravo\u00a0: «\u202fen cache\u202f»\u202f; 1,5\u202fMo")
    assert avoided_terms("le builder classique et la magic %docker") == ["builder", "la magic"]
    assert avoided_terms("utilisez --builder classic et %docker tag") == []


# ---------------------------------------------------------------- numbers, sizes, durations
@pytest.mark.parametrize("value", [0.04, 1.5, 12.0, 999.9, 1234.5, 98765.4])
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_numbers_sizes_and_durations_match_cldr(lang: str, value: float) -> None:
    from babel.numbers import format_decimal
    from babel.units import format_unit

    i18n.set_language(lang)
    assert i18n.decimal(value) == format_decimal(value, format="#,##0.0", locale=lang)
    if 1 <= value < 1000:  # the kit changes unit at 1000, like docker
        expected = format_unit(
            value, "digital-megabyte", length="short", locale=lang, format="#,##0.0"
        )
        assert i18n.size(value * 1e6) == expected
    if lang == "fr":  # English keeps docker's "1.2s"
        expected = format_unit(
            value, "duration-second", length="short", locale=lang, format="#,##0.0"
        )
        assert i18n.seconds(value) == expected


def test_sizes_in_french_and_english() -> None:
    i18n.set_language("fr")
    assert i18n.size(12) == "12\u202fo"
    assert i18n.size(167_700_000) == "167,7\u202fMo"
    assert i18n.seconds(0.1) == "0,1\u202fs"
    assert i18n.seconds(10, None) == "10\u202fs"
    i18n.set_language("en")
    assert i18n.size(12) == "12 B"
    assert i18n.size(5_600) == "5.6 kB"
    assert i18n.size(2_500_000_000) == "2.5 GB"
    assert i18n.seconds(1.25) == "1.2s"


def test_ages_read_like_docker_and_like_french() -> None:
    now = 1_000_000.0
    i18n.set_language("en")
    assert i18n.ago(now - 0.2, now) == "less than a second ago"
    assert i18n.ago(now - 1, now) == "1 second ago"
    assert i18n.ago(now - 190, now) == "3 minutes ago"
    assert i18n.ago(now - 3 * 86400, now) == "3 days ago"
    i18n.set_language("fr")
    assert i18n.ago(now - 0.2, now) == "il y a moins d'une seconde"
    assert i18n.ago(now - 3600, now) == "il y a 1 heure"
    assert i18n.ago(now - 5 * 3600, now) == "il y a 5 heures"
    assert i18n.duration(400 * 86400) == "13 mois"
    assert i18n.duration(800 * 86400) == "2 ans"


# ---------------------------------------------------------------- what a French notebook shows
def _sample_result() -> Any:
    from layerlab.build import BuildResult, BuildStep

    steps = [
        BuildStep(1, "FROM python:3.13-alpine", 4, "base", 0.0),
        BuildStep(2, "RUN pip install flask", 4, "cached", 0.0),
        BuildStep(3, 'CMD ["python","app.py"]', 4, "cached", 0.01),
        BuildStep(4, "COPY app.py /app.py", 4, "built", 0.14),
    ]
    return BuildResult(
        "classic",
        ["hello:latest"],
        ".",
        "Dockerfile",
        steps,
        image_id="sha256:" + "c" * 64,
        status="succeeded",
        duration_s=1.25,
    )


def _sample_stack() -> Any:
    from layerlab.image_layers import Layer, LayerStack

    layers = [
        Layer(2, "sha256:" + "a" * 64, "COPY app.py /app.py", 120, False, False),
        Layer(1, "<missing>", "RUN pip install flask", 12_500_000, False, False),
        Layer(0, "<missing>", "/bin/sh -c #(nop) ADD file:abc in /", 167_700_000, False, True),
    ]
    return LayerStack("hello", "sha256:" + "c" * 64, layers, base_image="python:3.13-alpine")


def test_learner_renderings_read_as_french() -> None:
    from IPython.lib.pretty import pretty

    from layerlab.views import build_text, layers_text
    from layerlab.widgets.build_view import build_view_html
    from layerlab.widgets.layer_stack import layer_stack_html

    i18n.set_language("fr")
    result = _sample_result()
    stack = _sample_stack()
    shown = {
        "str(result)": str(result),
        "result": pretty(result),  # type: ignore[no-untyped-call]
        "result.steps": pretty(result.steps),  # type: ignore[no-untyped-call]
        "build_text": build_text(result),
        "build_html": html.unescape(re.sub(r"<[^>]+>", " ", build_view_html(result, quiet=False))),
        "layers_text": layers_text(stack),
        "layers_html": html.unescape(re.sub(r"<[^>]+>", " ", layer_stack_html((stack,)))),
    }
    assert shown["str(result)"] == (
        "L'image hello:latest (cccccccccccc) a été construite en 1,2\u202fs\u00a0: 2 sur 3 "
        "étapes venues du cache (constructeur classique)"
    )
    assert shown["result"] == shown["str(result)"]
    assert "en cache" in shown["result.steps"]
    assert "167,7\u202fMo" in shown["layers_text"]
    assert "3 couches" in shown["layers_html"]
    for what, text in shown.items():
        assert not english_words(text), f"{what}: {english_words(text)} in {text!r}"
        assert not typography_problems(text), f"{what}: {typography_problems(text)}"
    assert repr(result).startswith("<BuildResult succeeded hello:latest")  # code keeps repr()


# ---------------------------------------------------------------- compiled on first use
@pytest.fixture
def locale_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The catalogs copied to a folder of their own, the kit pointed at it."""
    import shutil

    folder = tmp_path / "locale"
    for lang in i18n.LANGUAGES:
        target = folder / lang / "LC_MESSAGES"
        target.mkdir(parents=True)
        shutil.copy(i18n.po_path(lang), target / "layerlab.po")
    monkeypatch.setattr(i18n, "LOCALE_DIR", folder)
    monkeypatch.setattr(i18n, "_catalogs", {})
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return folder


def test_catalog_is_compiled_next_to_the_po_then_recompiled_when_the_po_changes(
    locale_copy: Path,
) -> None:
    import os

    po = locale_copy / "fr" / "LC_MESSAGES" / "layerlab.po"
    mo = po.with_suffix(".mo")
    i18n.set_language("fr")
    assert i18n.t("status.cached") == "en cache"
    assert mo.is_file()
    assert oct(mo.stat().st_mode & 0o777) == "0o644"
    po.write_text(
        po.read_text(encoding="utf-8").replace('msgstr "en cache"', 'msgstr "dans le cache"'),
        encoding="utf-8",
    )
    os.utime(po, ns=(mo.stat().st_mtime_ns + 10**9,) * 2)
    i18n._catalogs.clear()
    assert i18n.t("status.cached") == "dans le cache"


def test_read_only_install_compiles_into_the_user_cache(
    locale_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # fault injection: the package folder is not writable (the tests run as root, who
    # can write anywhere, so the permission bits alone would not show it)
    monkeypatch.setattr("layerlab.i18n.os.access", lambda _path, _mode: False)
    i18n.set_language("fr")
    assert i18n.t("status.cached") == "en cache"
    assert not (locale_copy / "fr" / "LC_MESSAGES" / "layerlab.mo").exists()
    compiled = list((locale_copy.parent / "cache" / "layerlab" / "locale").glob("fr-*.mo"))
    assert len(compiled) == 1
    # a newer .po: compiled again, the older copy removed (the cache does not grow)
    import os

    po = locale_copy / "fr" / "LC_MESSAGES" / "layerlab.po"
    os.utime(po, ns=(po.stat().st_mtime_ns + 10**9,) * 2)
    i18n._catalogs.clear()
    assert i18n.t("status.cached") == "en cache"
    again = list((locale_copy.parent / "cache" / "layerlab" / "locale").glob("fr-*.mo"))
    assert len(again) == 1
    assert again != compiled


def test_a_wheel_without_po_files_uses_its_compiled_catalog(locale_copy: Path) -> None:
    for lang in i18n.LANGUAGES:
        po = locale_copy / lang / "LC_MESSAGES" / "layerlab.po"
        i18n.compile_catalog(lang, po.with_suffix(".mo"))
        po.unlink()
    i18n.set_language("fr")
    assert i18n.tn("age.days", 2) == "2 jours"


def test_widgets_read_as_french() -> None:
    from layerlab.widgets.build_view import BuildView
    from layerlab.widgets.layer_stack import LayerStackView

    i18n.set_language("fr")
    view = BuildView.from_result(_sample_result())
    stack = _sample_stack()
    stacks = LayerStackView(stack, stack)
    toggle = [label for label, _value in stacks.scale_toggle.options]
    assert toggle == ["logarithmique", "linéaire"]
    for what, markup in (
        ("build rows", view.rows.value),
        ("build summary", view.summary.value),
        ("layer stacks", stacks.drawing.value),
    ):
        text = html.unescape(re.sub(r"<[^>]+>", " ", markup))
        assert not english_words(text), f"{what}: {english_words(text)} in {text!r}"
        assert not typography_problems(text), f"{what}: {typography_problems(text)}"
    assert "en cache" in view.rows.value
    assert stacks.scale_toggle.description == "Échelle"


def test_french_lab_outputs_are_checked_tools_lines_and_tags_aside() -> None:
    from tests.french_outputs import problems_in

    kit = {"output_type": "stream", "name": "stdout", "text": "Étape 2/4 : RUN pip install flask\n"}
    tool = {"output_type": "stream", "name": "stdout", "text": "    Collecting flask\n"}
    english = {"output_type": "execute_result", "data": {"text/plain": "REPOSITORY  TAG\n"}}
    colon = {"output_type": "stream", "name": "stdout", "text": "python-hello-world: ok\n"}
    assert problems_in([tool]) == []
    assert problems_in([english])[0] == "English ['REPOSITORY', 'TAG']"
    assert problems_in([kit])  # a plain space before ":" in French
    assert problems_in([colon])
    i18n.set_language("fr")
    fine = {
        "output_type": "stream",
        "name": "stdout",
        "text": i18n.t("view.step_started", number=2, total=4, instruction="RUN pip install flask"),
    }
    assert problems_in([fine]) == []
