"""Packaging: the design card keeps templates/ and migrations/ at the top level; the wheel carries
them inside the package (secretariat/templates, secretariat/migrations), where create_app looks
once installed (secretariat/settings.py). Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

SHIPPED = {"secretariat.templates": "templates", "secretariat.migrations": "migrations"}
NOT_PACKAGES = ["__pycache__", "*.__pycache__"]


def packages() -> list[str]:
    """The package and its sub-folders, and the shipped folders with theirs, as setuptools wants them listed.

    Namespace packages too: a folder of modules without __init__.py (archive/search) must not be left out.
    """
    found = find_namespace_packages(include=["secretariat", "secretariat.*"], exclude=NOT_PACKAGES)
    for name, folder in SHIPPED.items():
        found += [name] + [f"{name}.{sub}" for sub in find_namespace_packages(where=folder, exclude=NOT_PACKAGES)]
    return found


setup(packages=packages(), package_dir=SHIPPED)
