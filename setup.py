"""Build hook: compile the message catalogs (layerlab/locale/*/LC_MESSAGES/*.po) into the wheel.

Everything else is in pyproject.toml. An editable install or a checkout compiles them on
first use instead (layerlab/i18n.py), so this only matters for wheels.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


class BuildPyWithCatalogs(build_py):
    def run(self) -> None:
        super().run()
        sys.path.insert(0, str(HERE))
        from layerlab.i18n import DOMAIN, LANGUAGES, compile_catalog

        for lang in LANGUAGES:
            target = Path(self.build_lib) / "layerlab" / "locale" / lang / "LC_MESSAGES"
            compile_catalog(lang, target / f"{DOMAIN}.mo")


setup(cmdclass={"build_py": BuildPyWithCatalogs})
