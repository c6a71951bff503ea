"""Checks for lab 06 (what is inside the layers): a verdict each, printed, never a traceback."""

from __future__ import annotations

from pathlib import Path

from layerlab import i18n
from layerlab.check import Verdict, _check
from layerlab.i18n import t
from layerlab.layer_messages import NBSP

i18n.register(
    {
        "check06.secret.ok": {
            "en": "no layer of {image} holds {path}, and {keep} is there",
            "fr": "aucune couche de {image} ne contient {path}, et {keep} est bien là",
        },
        "check06.secret.shipped": {
            "en": "{path} is still inside layer {index} of {image} ({command}): deleted "
            "later or not, anyone who has the image can read it back",
            "fr": f"{{path}} est toujours dans la couche {{index}} de {{image}} ({{command}})"
            f"{NBSP}: supprimé plus tard ou non, quiconque a l'image peut le relire",
        },
        "check06.secret.hint": {
            "en": "do the step that needs the file in a build stage (FROM … AS build) and "
            "COPY --from=build only its result into the last stage",
            "fr": "faites l'étape qui a besoin du fichier dans une étape de construction "
            "(FROM … AS build) et ne copiez que son résultat avec COPY --from=build dans "
            "la dernière étape",
        },
        "check06.secret.missing_keep": {
            "en": "{keep} is missing from {image}: the image must still have the result",
            "fr": f"{{keep}} manque dans {{image}}{NBSP}: l'image doit garder le résultat",
        },
        "check06.lint.ok": {
            "en": "no advice left on {path}",
            "fr": "plus aucun conseil sur {path}",
        },
        "check06.lint.left": {
            "en": "{count} piece(s) of advice left on {path}: {codes}",
            "fr": f"il reste {{count}} conseil(s) sur {{path}}{NBSP}: {{codes}}",
        },
        "check06.lint.hint": {
            "en": "run the %%dockerfile cell again and apply what it shows under the cell",
            "fr": "relancez la cellule %%dockerfile et appliquez ce qu'elle affiche dessous",
        },
        "check06.lint.unavailable": {
            "en": "hadolint could not run ({reason}), so the advice cannot be judged",
            "fr": "hadolint n'a pas pu tourner ({reason}), le conseil ne peut pas être jugé",
        },
    }
)


@_check
def secret_not_in_layers(image: str, path: str, keep: str) -> Verdict:
    """No layer of ``image`` adds ``path`` (even one deleted later); ``keep`` is in it."""
    from layerlab.layer_files import Change, layer_files

    files = layer_files(image)
    for layer in files.layers:
        for change in layer.changes:
            if change.path == path and change.change is not Change.DELETED:
                return Verdict(
                    False,
                    t(
                        "check06.secret.shipped",
                        path=path,
                        index=layer.index,
                        image=image,
                        command=layer.created_by[:50],
                    ),
                    t("check06.secret.hint"),
                )
    if keep not in files.final:
        return Verdict(
            False,
            t("check06.secret.missing_keep", keep=keep, image=image),
            t("check06.secret.hint"),
        )
    return Verdict(True, t("check06.secret.ok", image=image, path=path, keep=keep))


@_check
def no_advice(path: str = "Dockerfile") -> Verdict:
    """hadolint and the kit have nothing left to say about the Dockerfile at ``path``."""
    from layerlab import dockerfile as model
    from layerlab.config import settings
    from layerlab.lint import hadolint_binary, lint

    config = settings()
    text = Path(path).read_text(encoding="utf-8")
    report = lint(
        model.parse(text),
        binary=hadolint_binary(config.hadolint_path),
        ignored=config.lint_ignored,
    )
    if report.unavailable:
        return Verdict(False, t("check06.lint.unavailable", reason=report.unavailable))
    if report.findings:
        codes = ", ".join(f"{f.code} ({t('lint.line', line=f.line)})" for f in report.findings)
        return Verdict(
            False,
            t("check06.lint.left", count=len(report.findings), path=path, codes=codes),
            t("check06.lint.hint"),
        )
    return Verdict(True, t("check06.lint.ok", path=path))
