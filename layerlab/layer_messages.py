"""Messages of the layer-file views and the Dockerfile linter, in English and French.

French follows a French teacher's typography: a no-break space (U+00A0) before « : ; ! ? »
and between a number and its unit, ko/Mo/Go, decimal comma.
"""

from __future__ import annotations

from layerlab.i18n import register, t

NBSP = "\u00a0"

register(
    {
        "lf.unreadable": {
            "en": "could not read the layers of {image}: {reason}",
            "fr": f"impossible de lire les couches de {{image}}{NBSP}: {{reason}}",
        },
        "lf.title": {
            "en": "{image}: {count} layers, {size}; wasted {wasted}, efficiency {score}",
            "fr": f"{{image}}{NBSP}: {{count}} couches, {{size}}{NBSP}; gaspillé {{wasted}}, "
            f"efficacité {{score}}",
        },
        "lf.layer": {
            "en": "Layer {index} · {size} · {command}",
            "fr": "Couche {index} · {size} · {command}",
        },
        "lf.counts": {
            "en": "{added} added, {modified} modified, {deleted} deleted",
            "fr": "{added} ajoutés, {modified} modifiés, {deleted} supprimés",
        },
        "lf.added": {"en": "added", "fr": "ajouté"},
        "lf.modified": {"en": "modified", "fr": "modifié"},
        "lf.deleted": {"en": "deleted", "fr": "supprimé"},
        "lf.all": {"en": "all", "fr": "tous"},
        "lf.show": {"en": "Show", "fr": "Afficher"},
        "lf.layer_pick": {"en": "Layer", "fr": "Couche"},
        "lf.wasted_mark": {
            "en": "wasted: also in another layer",
            "fr": "gaspillé : aussi dans une autre couche".replace(" :", f"{NBSP}:"),
        },
        "lf.deleted_note": {
            "en": "deleted here, still shipped in a layer below",
            "fr": "supprimé ici, mais toujours livré dans une couche du dessous",
        },
        "lf.more": {"en": "… and {count} more", "fr": "… et {count} de plus"},
        "lf.none": {"en": "(no file changes)", "fr": "(aucun fichier modifié)"},
        "lf.waste_title": {
            "en": "Wasted space (files in more than one layer):",
            "fr": f"Espace gaspillé (fichiers présents dans plusieurs couches){NBSP}:",
        },
        "lf.diff_title": {
            "en": "{first} → {second}: {count} files differ",
            "fr": f"{{first}} → {{second}}{NBSP}: {{count}} fichiers diffèrent",
        },
        "lf.diff_same": {
            "en": "{first} and {second} hold the same files.",
            "fr": "{first} et {second} contiennent les mêmes fichiers.",
        },
        "lf.col_path": {"en": "path", "fr": "chemin"},
        "lf.col_size": {"en": "size", "fr": "taille"},
        "lf.col_change": {"en": "change", "fr": "changement"},
        "lf.size": {"en": "{number} {unit}", "fr": f"{{number}}{NBSP}{{unit}}"},
        "lf.unit.B": {"en": "B", "fr": "o"},
        "lf.unit.kB": {"en": "kB", "fr": "ko"},
        "lf.unit.MB": {"en": "MB", "fr": "Mo"},
        "lf.unit.GB": {"en": "GB", "fr": "Go"},
        "lf.decimal": {"en": ".", "fr": ","},
        "lf.percent": {"en": "{number} %", "fr": f"{{number}}{NBSP}%"},
        # the Dockerfile linter
        "lint.missing": {
            "en": "Dockerfile advice skipped: hadolint is not available ({reason}).",
            "fr": f"Conseils sur le Dockerfile ignorés{NBSP}: hadolint n'est pas "
            "disponible ({reason}).",
        },
        "lint.header": {
            "en": "Advice on this Dockerfile ({count}):",
            "fr": f"Conseils sur ce Dockerfile ({{count}}){NBSP}:",
        },
        "lint.line": {"en": "line {line}", "fr": "ligne {line}"},
        "lint.finding": {
            "en": "{code} line {line} [{level}]: {message}",
            "fr": f"{{code}} ligne {{line}} [{{level}}]{NBSP}: {{message}}",
        },
        "lint.level.error": {"en": "error", "fr": "erreur"},
        "lint.level.warning": {"en": "warning", "fr": "avertissement"},
        "lint.level.info": {"en": "info", "fr": "info"},
        "lint.level.style": {"en": "style", "fr": "style"},
        "lint.failed": {
            "en": "hadolint found problems at level {threshold} or above: fix them, or "
            "raise Layerlab.lint_failure_threshold",
            "fr": f"hadolint a trouvé des problèmes de niveau {{threshold}} ou plus{NBSP}: "
            "corrigez-les, ou relevez Layerlab.lint_failure_threshold",
        },
        "lint.KIT001": {
            "en": "{copy} (line {copy_line}) copies your code above the slow install step "
            "{install} (line {install_line}): every code change reinstalls dependencies. "
            "Copy only the dependency list first, install, then copy the rest.",
            "fr": "{copy} (ligne {copy_line}) copie votre code au-dessus de l'installation "
            f"lente {{install}} (ligne {{install_line}}){NBSP}: chaque modification du code "
            "réinstalle les dépendances. Copiez d'abord la seule liste des dépendances, "
            "installez, puis copiez le reste.",
        },
        # French texts for the hadolint rules the labs can trigger (hadolint speaks English)
        "lint.DL3006": {
            "en": "Always tag the version of an image explicitly",
            "fr": "Indiquez toujours explicitement l'étiquette de l'image",
        },
        "lint.DL3007": {
            "en": "Using latest is prone to errors if the image will ever update. "
            "Pin the version explicitly",
            "fr": "Utiliser « latest » est source d'erreurs si l'image est mise à jour. "
            "Épinglez une version précise de l'image".replace("« latest »", "«\u00a0latest\u00a0»"),
        },
        "lint.DL3008": {
            "en": "Pin versions in apt-get install (package=version)",
            "fr": "Épinglez les versions dans apt-get install (paquet=version)",
        },
        "lint.DL3009": {
            "en": "Delete the apt-get lists after installing something, in the same layer",
            "fr": "Supprimez les listes apt-get après l'installation, dans la même couche",
        },
        "lint.DL3013": {
            "en": "Pin versions in pip (package==version)",
            "fr": "Épinglez les versions dans pip (paquet==version)",
        },
        "lint.DL3015": {
            "en": "Avoid additional packages by specifying --no-install-recommends",
            "fr": "Évitez les paquets superflus avec apt-get install --no-install-recommends",
        },
        "lint.DL3018": {
            "en": "Pin versions in apk add (package=version)",
            "fr": "Épinglez les versions dans apk add (paquet=version)",
        },
        "lint.DL3019": {
            "en": "Use the --no-cache switch to avoid keeping apk's cache",
            "fr": "Utilisez l'option --no-cache pour ne pas garder le cache d'apk",
        },
        "lint.DL3020": {
            "en": "Use COPY instead of ADD for files and folders",
            "fr": "Utilisez COPY plutôt que ADD pour les fichiers et dossiers",
        },
        "lint.DL3025": {
            "en": "Use arguments JSON notation for CMD and ENTRYPOINT arguments",
            "fr": "Utilisez la forme JSON pour CMD et ENTRYPOINT afin que les signaux "
            "du système arrivent au programme",
        },
        "lint.DL3042": {
            "en": "Avoid use of cache directory with pip. Use pip install --no-cache-dir",
            "fr": "Évitez le cache de pip dans l'image avec pip install --no-cache-dir",
        },
        "lint.DL3045": {
            "en": "COPY to a relative destination without WORKDIR set",
            "fr": "COPY vers un chemin relatif sans WORKDIR défini",
        },
        "lint.DL3059": {
            "en": "Multiple consecutive RUN instructions. Consider consolidation",
            "fr": "Plusieurs RUN consécutifs : regroupez-les pour faire moins de couches".replace(
                " :", f"{NBSP}:"
            ),
        },
        "lint.DL4006": {
            "en": "Set the SHELL option -o pipefail before RUN with a pipe in it",
            "fr": "Ajoutez SHELL avec l'option -o pipefail avant un RUN qui contient un tube",
        },
        "lint.DL3002": {
            "en": "Last USER should not be root",
            "fr": "Le dernier USER ne devrait pas être root",
        },
        "lint.DL3003": {
            "en": "Use WORKDIR to switch to a directory",
            "fr": "Utilisez WORKDIR pour changer de dossier plutôt que cd",
        },
        "lint.DL3004": {
            "en": "Do not use sudo as it leads to unpredictable behavior",
            "fr": "N'utilisez pas sudo : son comportement est imprévisible".replace(
                " :", f"{NBSP}:"
            ),
        },
        "lint.DL3027": {
            "en": "Do not use apt as it is meant to be an end-user tool, use apt-get or apt-cache",
            "fr": "N'utilisez pas apt : préférez apt-get ou apt-cache".replace(" :", f"{NBSP}:"),
        },
    }
)


def size_text(size: float) -> str:
    """``1.5 MB`` / ``1,5 Mo``: a size in the current language."""
    for unit in ("B", "kB", "MB", "GB"):
        if abs(size) < 1000 or unit == "GB":
            number = f"{size:.0f}" if unit == "B" else f"{size:.1f}"
            return t(
                "lf.size", number=number.replace(".", t("lf.decimal")), unit=t(f"lf.unit.{unit}")
            )
        size /= 1000
    raise AssertionError  # pragma: no cover - the loop always returns


def percent_text(ratio: float) -> str:
    """``99.9 %`` / ``99,9 %`` (a no-break space in both)."""
    number = f"{ratio * 100:.1f}".replace(".", t("lf.decimal"))
    return t("lf.percent", number=number).replace(" ", NBSP)
