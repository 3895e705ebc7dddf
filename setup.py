"""Package discovery for agentrl.

Metadata lives in pyproject.toml. This file only maps the top-level folders
``environments/``, ``sandboxes/`` and ``rewards/`` to the import names
``agentrl.environments``, ``agentrl.sandboxes`` and ``agentrl.rewards``
(DESIGN.md section 2), including every subpackage, so a new environment
subpackage is packaged without editing a list.
"""

from setuptools import find_packages, setup

MAPPED = {"environments": "environments", "sandboxes": "sandboxes", "rewards": "rewards"}

packages = ["agentrl", *(f"agentrl.{p}" for p in find_packages("agentrl"))]
package_dir = {"agentrl": "agentrl"}
for name, folder in MAPPED.items():
    packages.append(f"agentrl.{name}")
    packages.extend(f"agentrl.{name}.{p}" for p in find_packages(folder))
    package_dir[f"agentrl.{name}"] = folder

setup(packages=packages, package_dir=package_dir)
