"""Checks for lab 06 (what is inside the layers): a verdict each, printed, never a traceback."""

from __future__ import annotations

from pathlib import Path

from layerlab.check import Verdict, _check
from layerlab.i18n import t, tn


@_check
def secret_not_in_layers(image: str, path: str, keep: str) -> Verdict:
    """No layer of ``image`` adds ``path`` (even one deleted later); ``keep`` is in it."""
    from layerlab.layer_contents import Change, layer_files

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
            tn("check06.lint.left", len(report.findings), path=path, codes=codes),
            t("check06.lint.hint"),
        )
    return Verdict(True, t("check06.lint.ok", path=path))
