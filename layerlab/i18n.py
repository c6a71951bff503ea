"""The kit's own messages in English and French.

Messages are looked up by key so views, errors and checks all follow one language
setting (``%config Layerlab.language = "fr"``, or the locale when it is ``"auto"``).
"""

from __future__ import annotations

import os
from typing import Final

LANGUAGES: Final = ("en", "fr")

_current: str | None = None

MESSAGES: Final[dict[str, dict[str, str]]] = {
    # %%dockerfile
    "df.writing": {
        "en": "Writing {path} ({count} instructions)",
        "fr": "Écriture de {path} ({count} instructions)",
    },
    "df.overwriting": {
        "en": "Overwriting {path} ({count} instructions)",
        "fr": "Remplacement de {path} ({count} instructions)",
    },
    "df.unchanged": {"en": "{path} left as it was.", "fr": "{path} est resté tel quel."},
    "df.empty": {
        "en": "the cell is empty: write at least a FROM line",
        "fr": "la cellule est vide : écrivez au moins une ligne FROM",
    },
    "df.no_from": {
        "en": "a Dockerfile must start with FROM (only ARG, comments and parser "
        "directives may come before it), found {instruction}",
        "fr": "un Dockerfile doit commencer par FROM (seuls ARG, les commentaires et "
        "les directives peuvent le précéder) ; trouvé {instruction}",
    },
    "df.only_args": {
        "en": "no FROM instruction: every Dockerfile needs one",
        "fr": "aucune instruction FROM : tout Dockerfile en a besoin",
    },
    "df.unknown": {
        "en": "unknown instruction {instruction!r}{hint}",
        "fr": "instruction inconnue {instruction!r}{hint}",
    },
    "df.hint": {"en": " (did you mean {suggestion}?)", "fr": " (vouliez-vous dire {suggestion} ?)"},
    "df.bad_json": {
        "en": "{instruction} looks like JSON form but is not valid JSON: {detail}. "
        'Write it as {instruction} ["executable", "arg"] with double quotes',
        "fr": "{instruction} ressemble à la forme JSON mais n'est pas du JSON "
        'valide : {detail}. Écrivez {instruction} ["executable", "arg"] '
        "avec des guillemets doubles",
    },
    "df.json_strings": {
        "en": "{instruction} in JSON form must be a list of strings",
        "fr": "{instruction} en forme JSON doit être une liste de chaînes",
    },
    "df.dangling": {
        "en": "the last line ends with a line continuation {escape!r} but nothing follows it",
        "fr": "la dernière ligne se termine par une continuation {escape!r} mais rien ne suit",
    },
    "df.warning": {"en": "warning: {message}", "fr": "attention : {message}"},
    "df.no_args": {
        "en": "{instruction} needs an argument",
        "fr": "{instruction} attend un argument",
    },
    "df.multi_cmd": {
        "en": "this Dockerfile has {count} CMD instructions (lines {lines}): only "
        "the last one, line {last}, takes effect",
        "fr": "ce Dockerfile contient {count} instructions CMD (lignes {lines}) : "
        "seule la dernière, ligne {last}, compte",
    },
    "df.outside": {
        "en": "refusing to write {path}: it is outside the working folder {cwd}. "
        "Use a path inside it (or %config Layerlab.allow_write_outside = True)",
        "fr": "écriture de {path} refusée : hors du dossier de travail {cwd}. "
        "Utilisez un chemin à l'intérieur (ou %config "
        "Layerlab.allow_write_outside = True)",
    },
    "df.buildkit_only": {
        "en": "line {line}: {feature} needs BuildKit; the classic builder "
        "cannot build it. Use %docker_build --builder buildkit",
        "fr": "ligne {line} : {feature} nécessite BuildKit ; le builder "
        "classique ne sait pas le construire. Utilisez %docker_build "
        "--builder buildkit",
    },
    # engine
    "engine.unreachable": {
        "en": "cannot reach a Docker Engine at {where} ({reason}). Start "
        "Docker, or point DOCKER_HOST at a running engine, then run "
        "the cell again",
        "fr": "impossible de joindre un Docker Engine à {where} ({reason}). "
        "Démarrez Docker, ou faites pointer DOCKER_HOST vers un moteur "
        "actif, puis relancez la cellule",
    },
    "engine.lost": {
        "en": "the connection to the Docker Engine was lost during the build "
        "({reason}). Check that the engine is running, then build again",
        "fr": "la connexion au Docker Engine a été perdue pendant la construction "
        "({reason}). Vérifiez que le moteur tourne, puis relancez",
    },
    "engine.no_space": {
        "en": "the engine has no space left on its disk. Free some with "
        "%docker_cleanup (your images and containers) or "
        "%docker image prune, then build again",
        "fr": "le disque du moteur est plein. Libérez de la place avec "
        "%docker_cleanup (vos images et conteneurs) ou "
        "%docker image prune, puis relancez",
    },
    "engine.image_missing": {
        "en": "the base image {image} is not on this engine and could "
        "not be pulled. Online: %docker pull {image}. Offline: load "
        "it from a bundle (layerlab images load BUNDLE)",
        "fr": "l'image de base {image} n'est pas sur ce moteur et n'a pas "
        "pu être téléchargée. En ligne : %docker pull {image}. Hors "
        "ligne : chargez-la depuis une archive (layerlab images "
        "load ARCHIVE)",
    },
    "engine.no_such_image": {
        "en": "no image {image!r} on this engine. List them with %docker_images",
        "fr": "aucune image {image!r} sur ce moteur. Listez-les avec %docker_images",
    },
    # build
    "build.failed_step": {
        "en": "step {number} failed: {instruction}",
        "fr": "l'étape {number} a échoué : {instruction}",
    },
    "build.failed": {"en": "the build failed: {error}", "fr": "la construction a échoué : {error}"},
    "build.interrupted": {
        "en": "build interrupted at step {number}; the engine stopped it. Nothing was tagged",
        "fr": "construction interrompue à l'étape {number} ; le moteur l'a "
        "arrêtée. Aucune étiquette posée",
    },
    "build.no_context": {
        "en": "build context {path} is not a folder",
        "fr": "le contexte de construction {path} n'est pas un dossier",
    },
    "build.no_dockerfile": {
        "en": "no Dockerfile at {path}. Write one with %%dockerfile first",
        "fr": "aucun Dockerfile à {path}. Écrivez-en un d'abord avec %%dockerfile",
    },
    "build.summary": {
        "en": "{outcome} {image} in {seconds:.1f}s: {cached} of {steps} steps "
        "from the cache ({builder} builder)",
        "fr": "{outcome} {image} en {seconds:.1f} s : {cached} sur {steps} étapes "
        "venues du cache (builder {builder})",
    },
    "build.built": {"en": "Built", "fr": "Construit"},
    "build.failed_word": {"en": "Failed", "fr": "Échec"},
    "build.interrupted_word": {"en": "Interrupted", "fr": "Interrompu"},
    "build.more_lines": {
        "en": "… {count} more lines (full log: result.log)",
        "fr": "… {count} lignes de plus (journal complet : result.log)",
    },
    "build.secret_arg": {
        "en": "warning: build arg {name} looks like a secret. Build args are "
        "stored in the image: anyone can read them with "
        "%docker_history {image}",
        "fr": "attention : l'argument {name} ressemble à un secret. Les "
        "arguments de construction restent dans l'image : "
        "%docker_history {image} les montre à tous",
    },
    "context.too_large": {
        "en": "the build context {root} holds {size} in {files} files, above the {limit:g} MB "
        "limit. Exclude files with a .dockerignore, or build with --force",
        "fr": "le contexte de construction {root} contient {size} en {files} fichiers, au-delà "
        "de la limite de {limit:g} Mo. Excluez des fichiers avec un .dockerignore, ou "
        "construisez avec --force",
    },
    "context.large": {
        "en": "sending a large build context: {size} in {files} files (add a .dockerignore to "
        "leave files out)",
        "fr": "envoi d'un gros contexte de construction : {size} en {files} fichiers (un "
        ".dockerignore permet d'en exclure)",
    },
    "build.bad_arg": {
        "en": "--build-arg needs KEY=VALUE, got {arg!r}",
        "fr": "--build-arg attend CLE=VALEUR, reçu {arg!r}",
    },
    # Two words, used the same way in every view and lab: a "history entry" is one line
    # of docker history (one per Dockerfile instruction); a "layer" is a filesystem layer
    # (the entries that add files). fr: « entrée d'historique » / « couche ».
    "layers.title": {
        "en": "{image} ({short_id}), {layers} layers in {count} history entries, {size}",
        "fr": "{image} ({short_id}), {layers} couches en {count} entrées d'historique, {size}",
    },
    "layers.header": {"en": "CREATED BY", "fr": "CRÉÉE PAR"},
    "layers.base_word": {"en": "base", "fr": "base"},
    "layers.base_image": {
        "en": "base image: {image} ({count} history entries)",
        "fr": "image de base : {image} ({count} entrées d'historique)",
    },
    "status.cached": {"en": "cached", "fr": "cache"},
    "status.built": {"en": "built", "fr": "construit"},
    "status.failed": {"en": "failed", "fr": "échec"},
    "status.running": {"en": "running", "fr": "en cours"},
    "status.base": {"en": "base", "fr": "base"},
}


def register(messages: dict[str, dict[str, str]]) -> None:
    """Add a module's own messages (each key with at least an ``en`` text)."""
    MESSAGES.update(messages)


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


def t(key: str, **values: object) -> str:
    """The message ``key`` in the current language, formatted with ``values``."""
    entry = MESSAGES[key]
    return entry.get(language(), entry["en"]).format(**values)
