"""Package layout that pyproject.toml alone cannot express.

The engine is found under ``platform/``; the meta-schemas, widgets and bundled apps live at
the top of the repository (they are the contract between engine, designer and apps, not
engine code) and are installed as data under ``sunmao/_bundle/`` so that ``pip install .``
gives a complete system. ``sunmao.resources`` finds them in either place.
"""

from setuptools import find_packages, setup

BUNDLED = {
    "sunmao._bundle.metadata": "metadata",
    "sunmao._bundle.widgets": "widgets",
    "sunmao._bundle.apps": "apps",
}

setup(
    packages=find_packages("platform") + list(BUNDLED),
    package_dir={"": "platform", **BUNDLED},
    package_data={
        "sunmao": ["**/*.html", "**/*.js", "**/*.css", "**/*.json", "**/*.po", "**/*.mo"],
        **{name: ["**/*"] for name in BUNDLED},
    },
    exclude_package_data={name: ["**/__pycache__/*", "**/*.pyc"] for name in BUNDLED},
)
