"""The kit's own messages in English and French, from gettext catalogs.

Messages are looked up by key so views, errors and checks all follow one language
setting (``%config Layerlab.language = "fr"``, or the locale when it is ``"auto"``).

The catalogs are ``layerlab/locale/<lang>/LC_MESSAGES/layerlab.po``: each entry's
``msgctxt`` is the key the code uses, its ``msgid`` the English text, its ``msgstr`` the
translation. Translators work on English sentences in any PO editor (the key is only the
context), and when the English of an entry changes, ``pybabel update`` marks its French
fuzzy so it gets reviewed, which a ``msgid = key`` catalog would never do. The English
catalog is the source: its ``msgstr`` stays empty (the ``msgid`` is the English text).
``scripts/messages`` updates and compiles the catalogs; see docs/glossary.md for the French
terms.

The ``.mo`` files are compiled with Babel when a wheel is built (``setup.py``), and
otherwise on first use when a ``.po`` is newer than its ``.mo`` (an editable install or a
checkout): next to the ``.po`` when that folder is writable, else in the user's cache.
Nothing here is read before the first message is needed.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from collections.abc import Callable

LANGUAGES: Final = ("en", "fr")
DOMAIN: Final = "layerlab"
LOCALE_DIR: Final = Path(__file__).parent / "locale"

_current: str | None = None
# one compiled catalog per language of LANGUAGES, read once: a bounded cache
_catalogs: dict[str, _Catalog] = {}


class _Catalog:
    """One language's messages by key: each key's forms (one, or one per plural form)."""

    def __init__(self, forms: dict[str, tuple[str, ...]], plural: Callable[[int], int]) -> None:
        self.forms = forms
        self.plural = plural


def po_path(lang: str) -> Path:
    return LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalog(lang: str, target: Path) -> None:
    """Compile ``lang``'s ``.po`` into ``target`` with Babel (atomically, fuzzy entries left out).

    English entries whose ``msgstr`` is empty get their ``msgid`` (the English catalog is
    the source), so every key is in the English ``.mo``.
    """
    import tempfile

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po_path(lang).open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    if lang == "en":
        for message in catalog:
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if message.id and not any(strings):
                message.string = message.id
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".mo.tmp", delete=False) as tmp:
        write_mo(tmp, catalog, use_fuzzy=False)
    Path(tmp.name).chmod(0o644)  # a temporary file is private; the catalog is for everyone
    Path(tmp.name).replace(target)


def _mo_path(lang: str) -> Path:
    """The compiled catalog for ``lang``, compiled first when missing or older than its ``.po``."""
    po = po_path(lang)
    mo = po.with_suffix(".mo")
    try:
        po_stat = po.stat()
    except FileNotFoundError:  # a wheel may ship only the compiled catalogs
        return mo
    try:
        if mo.stat().st_mtime_ns >= po_stat.st_mtime_ns:
            return mo
    except FileNotFoundError:
        pass
    if os.access(mo.parent, os.W_OK):
        compile_catalog(lang, mo)
        return mo
    import hashlib

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "layerlab"
    # one file per installed catalog and version of it (several installs may share a cache)
    where = hashlib.sha256(str(po).encode()).hexdigest()[:12]
    cached = cache / "locale" / f"{lang}-{where}-{po_stat.st_mtime_ns}-{po_stat.st_size}.mo"
    if not cached.exists():
        compile_catalog(lang, cached)
        for older in cached.parent.glob(f"{lang}-{where}-*.mo"):
            if older != cached:
                older.unlink(missing_ok=True)  # an earlier version of the same catalog
    return cached


def _load(lang: str) -> _Catalog:
    import gettext

    class _Reader(gettext.GNUTranslations):
        def by_key(self) -> dict[str, tuple[str, ...]]:
            # gettext looks messages up by (context, English text); the kit knows only the
            # context (the key), so it indexes the parsed catalog once by context: gettext
            # has no public way to list a catalog's entries
            singular: dict[str, str] = {}
            plural: dict[str, dict[int, str]] = {}
            for entry, text in self._catalog.items():  # type: ignore[attr-defined]
                msgid, index = (entry, None) if isinstance(entry, str) else entry
                key, sep, _ = msgid.partition("\x04")
                if not sep or not text:
                    continue  # the header, or an untranslated entry
                if index is None:
                    singular[key] = text
                else:
                    plural.setdefault(key, {})[index] = text
            forms: dict[str, tuple[str, ...]] = {key: (text,) for key, text in singular.items()}
            for key, by_index in plural.items():
                forms[key] = tuple(by_index[i] for i in sorted(by_index))
            return forms

    with _mo_path(lang).open("rb") as handle:
        reader = _Reader(handle)
    plural: Callable[[int], int] = reader.plural  # type: ignore[attr-defined]
    return _Catalog(reader.by_key(), plural)


def _catalog(lang: str) -> _Catalog:
    catalog = _catalogs.get(lang)
    if catalog is None:
        catalog = _catalogs[lang] = _load(lang)
    return catalog


def language() -> str:
    """The language in use: the configured one, else the locale's, else English."""
    if _current is not None:
        return _current
    for var in ("LAYERLAB_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


def set_language(lang: str) -> None:
    """Set the language; ``"auto"`` follows the locale again."""
    global _current  # noqa: PLW0603 - one process-wide setting, mirrored from %config
    if lang == "auto":
        _current = None
    elif lang in LANGUAGES:
        _current = lang
    else:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)} or 'auto'")


def _forms(key: str) -> tuple[tuple[str, ...], _Catalog]:
    lang = language()
    catalog = _catalog(lang)
    forms = catalog.forms.get(key)
    if forms is None and lang != "en":  # not translated (yet): the English text
        catalog = _catalog("en")
        forms = catalog.forms.get(key)
    if forms is None:
        raise KeyError(f"no message {key!r} in {po_path('en')}")
    return forms, catalog


def t(key: str, **values: object) -> str:
    """The message ``key`` in the current language, formatted with ``values``."""
    forms, _ = _forms(key)
    return forms[0].format(**values)


def tn(key: str, n: int, **values: object) -> str:
    """The message ``key`` in the plural form for the number ``n`` (``ngettext``'s choice).

    ``n`` only chooses the form; the text shows the ``values`` it names (``n`` is among
    them unless given another value).
    """
    forms, catalog = _forms(key)
    index = catalog.plural(n) if len(forms) > 1 else 0
    values.setdefault("n", n)
    return forms[min(index, len(forms) - 1)].format(**values)


def layer_counts(layers: int, entries: int) -> dict[str, str]:
    """``{layers}`` and ``{entries}`` for the views' titles: "5 layers", "9 history entries"
    (a layer is a filesystem layer, a history entry a line of ``docker history``: one word
    for each, in every view), each in its plural form."""
    return {
        "layers": tn("count.layers", layers),
        "entries": tn("count.history_entries", entries),
    }


def has(key: str) -> bool:
    """Whether ``key`` is a message (in the English catalog, the source)."""
    return key in _catalog("en").forms


def all_keys() -> list[str]:
    """Every message key (the English catalog's)."""
    return list(_catalog("en").forms)


def text(key: str, lang: str) -> tuple[str, ...]:
    """The raw, unformatted forms of ``key`` in ``lang`` (empty when not translated)."""
    return _catalog(lang).forms.get(key, ())


# ---------------------------------------------------------------- numbers, sizes, durations
#: narrow no-break space: French puts it before ; ! ? and inside « », between groups of
#: digits and between a number and its unit (CLDR's French forms)
NNBSP: Final = "\u202f"
#: no-break space: French puts it before a colon
NBSP: Final = "\u00a0"

_SIZE_UNITS: Final = {"en": ("B", "kB", "MB", "GB"), "fr": ("o", "ko", "Mo", "Go")}
# (seconds below which the unit is used, seconds per unit, message key), like docker's
# "3 minutes", "2 hours", "5 days"
_DURATION_UNITS: Final = (
    (60, 1, "age.seconds"),
    (3600, 60, "age.minutes"),
    (48 * 3600, 3600, "age.hours"),
    (14 * 86400, 86400, "age.days"),
    (60 * 86400, 7 * 86400, "age.weeks"),
    (730 * 86400, 30 * 86400, "age.months"),
)

# Hand-written rather than Babel's format_decimal / format_unit / format_timedelta: those
# give the same French forms (tests/unit/test_catalogs.py compares them) but load CLDR data
# on first use (~130 ms) and cost ~70 µs a call, and a 100-layer stack formats 200 sizes.


def decimal(value: float, digits: int | None = 1) -> str:
    """``value`` with ``digits`` decimals: ``1,234.5`` in English, ``1 234,5`` in French
    (``digits=None``: as few as needed, ``10`` or ``0.5``)."""
    return _decimal(value, digits, language())


def _decimal(value: float, digits: int | None, lang: str) -> str:
    # the language is looked up once by the caller: with "auto" it reads the environment
    text = f"{value:,g}" if digits is None else f"{value:,.{digits}f}"
    if lang == "fr":
        return text.replace(",", NNBSP).replace(".", ",")
    return text


def size(nbytes: float) -> str:
    """A size the way docker counts (1 kB = 1000 B): ``1.5 MB``, in French ``1,5 Mo``."""
    lang = language()
    units = _SIZE_UNITS.get(lang, _SIZE_UNITS["en"])
    space = NNBSP if lang == "fr" else " "
    value = float(nbytes)
    for index, unit in enumerate(units):
        if abs(value) < 1000 or index == len(units) - 1:
            number = f"{value:.0f}" if index == 0 else _decimal(value, 1, lang)
            return f"{number}{space}{unit}"
        value /= 1000
    raise AssertionError  # the loop returns at its last unit


def percent(ratio: float) -> str:
    """``0.999`` → ``99.9 %`` (``99,9 %`` in French), a no-break space before the sign."""
    return f"{decimal(ratio * 100, 1)}{NBSP}%"


def seconds(value: float, digits: int | None = 1) -> str:
    """A duration in seconds: ``1.2s`` in English (docker's form), ``1,2 s`` in French."""
    lang = language()
    if lang == "fr":
        return f"{_decimal(value, digits, lang)}{NNBSP}s"
    return f"{_decimal(value, digits, lang)}s"


def duration(value: float) -> str:
    """A duration in words, rounded down to its largest unit: ``3 minutes``, ``2 hours``."""
    if value < 1:
        return t("age.less_than_a_second")
    for limit, unit, key in _DURATION_UNITS:
        if value < limit:
            return tn(key, int(value // unit))
    return tn("age.years", int(value // (365 * 86400)))


def ago(timestamp: float, now: float | None = None) -> str:
    """How long ago the Unix time ``timestamp`` was: ``3 minutes ago``, ``il y a 3 minutes``."""
    import time

    elapsed = (time.time() if now is None else now) - timestamp
    return t("age.ago", duration=duration(max(0.0, elapsed)))
