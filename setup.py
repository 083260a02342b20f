"""Packaging: the design card keeps templates/ and migrations/ at the top level; the wheel carries
them inside the package (secretariat/templates, secretariat/migrations), where create_app looks
once installed (secretariat/settings.py). Everything else is in pyproject.toml."""

from setuptools import find_namespace_packages, setup

SHIPPED = {"secretariat.templates": "templates", "secretariat.migrations": "migrations"}
# Namespace packages too: a folder of modules without __init__.py (archive/search) must not be left out.
PACKAGES = find_namespace_packages(include=["secretariat", "secretariat.*"], exclude=["*.__pycache__"])

setup(packages=PACKAGES + list(SHIPPED), package_dir=SHIPPED)
