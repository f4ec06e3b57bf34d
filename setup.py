"""Package layout for setuptools; everything else lives in pyproject.toml.

The top-level ``resources/`` folder (rhyme database, icons, styles) ships inside the
package as ``app.resources`` so ``importlib.resources`` finds it in wheels and bundles.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["app", "app.*"]), "app.resources"],
    package_dir={"app.resources": "resources"},
    package_data={"app.resources": ["**/*"]},
    exclude_package_data={"app.resources": ["**/__pycache__/*", "**/*.pyc"]},
)
