"""The one build step pyproject.toml cannot declare: ship the bundled trees inside the wheel.

The meta-schemas (``metadata/``), the widgets (``widgets/``) and the bundled apps (``apps/``)
live at the top of the repository: they are the contract between engine, designer and apps,
not engine code. A wheel carries them as data under ``sunmao/_bundle/<name>/`` so that
``pip install .`` gives a complete system; ``sunmao.resources.bundle_path`` looks there first
and falls back to the top of the checkout (editable installs, tests).

Why a build step and not a declaration:

- Declaring the trees as packages (``sunmao._bundle.metadata`` with ``package_dir`` pointing
  at ``metadata/``) makes setuptools treat every sub-folder (``widgets/kanban``,
  ``apps/order_management/channels``…) as an importable package missing from ``packages``:
  one "Package would be ignored" warning per folder on every install, and a meta-path
  finder instead of a plain ``.pth`` in editable installs.
- ``package-data`` only reaches files below a package's own directory, and these trees are
  not below ``platform/sunmao/``; symlinking them there is not portable.
- ``data-files`` install outside ``site-packages`` (and a stale copy would shadow the
  checkout in an editable install).

So the packages and their own data are declared in pyproject.toml, and ``build_py`` below
copies the three trees into the build directory when it builds a real wheel. An editable
install copies nothing: the checkout is read in place. ``MANIFEST.in`` puts the trees into
the sdist, so a wheel built from the sdist is complete too.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
BUNDLED = ("metadata", "widgets", "apps")
SKIPPED_DIRS = {"__pycache__"}
SKIPPED_SUFFIXES = {".pyc", ".pyo"}


class build_py_with_bundle(build_py):  # noqa: N801 - named like the command it extends
    """``build_py`` that also copies the bundled trees to ``<build_lib>/sunmao/_bundle/``."""

    def _bundle_mapping(self) -> dict[str, str]:
        """Destination in the build directory → source file, for every bundled file."""
        mapping: dict[str, str] = {}
        for name in BUNDLED:
            tree = ROOT / name
            if not tree.is_dir():
                raise FileNotFoundError(f"bundled tree {name}/ is missing from {ROOT}: the wheel would be incomplete")
            for directory, subdirs, files in os.walk(tree):
                subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS)
                for file in sorted(files):
                    source = Path(directory, file)
                    if source.suffix in SKIPPED_SUFFIXES:
                        continue
                    relative = source.relative_to(ROOT)
                    mapping[os.path.join(self.build_lib, "sunmao", "_bundle", *relative.parts)] = str(source)
        return mapping

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # the checkout is read in place (sunmao.resources)
        for target, source in self._bundle_mapping().items():
            self.mkpath(os.path.dirname(target))
            self.copy_file(source, target)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = super().get_outputs(include_bytecode)
        if self.editable_mode:
            return outputs
        return [*outputs, *self._bundle_mapping()]

    def get_output_mapping(self) -> dict[str, str]:
        mapping = super().get_output_mapping()
        if self.editable_mode:
            return mapping
        return {**mapping, **self._bundle_mapping()}


setup(cmdclass={"build_py": build_py_with_bundle})
