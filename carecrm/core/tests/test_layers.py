"""The layer contracts in pyproject.toml ([tool.importlinter]) are what `make lint` checks:
an app may import only from the layers below it, and inside an app tasks, views and the API
stand above services, services above selectors, selectors above models
(docs/architecture.md). These tests show the check passes on the tree and fails the moment
a lower app imports a higher one, or a service a task, or a selector a service."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = (
    "carecrm",
    "customers",
    "segmentation",
    "delivery",
    "budgets",
    "campaigns",
    "events",
    "feedback",
    "loyalty",
    "dashboard",
)


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def tree_copy(tmp_path):
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            tmp_path / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "static", "locale"),
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    return tmp_path


def test_the_tree_keeps_its_layers():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        ("customers/services/_probe.py", "from campaigns.models import CareCampaign"),
        ("segmentation/_probe.py", "import campaigns.services.dispatch"),
        ("segmentation/_probe2.py", "import delivery.services.enqueue"),
        ("delivery/_probe.py", "from campaigns.models import CareCampaign"),
        ("delivery/services/_probe.py", "from segmentation.models import Segment"),
        ("carecrm/core/_probe.py", "from customers.models import Customer"),
        ("budgets/_probe.py", "from events.models import Event"),
        ("budgets/services/_probe.py", "import delivery.services.enqueue"),
        ("events/_probe.py", "from campaigns.models import CareCampaign"),
        ("campaigns/_probe.py", "from events.models import Event"),
        ("events/_probe.py", "from feedback.models import Survey"),
    ],
)
def test_an_upward_import_breaks_the_contract(tree_copy, module, upward):
    (tree_copy / module).write_text(f"{upward}\n")
    result = lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout


@pytest.mark.parametrize(
    ("module", "upward"),
    [
        # a service queueing its task by import (the old import cycle)
        ("customers/services/_probe.py", "from customers.tasks.importing import import_run"),
        ("segmentation/services/_probe.py", "import segmentation.tasks"),
        ("delivery/services/_probe.py", "from delivery.tasks import send_messages"),
        # a selector calling a service
        (
            "campaigns/selectors/_probe.py",
            "from campaigns.services.approval import campaign_submit",
        ),
    ],
)
def test_an_upward_import_inside_an_app_breaks_the_contract(tree_copy, module, upward):
    (tree_copy / module).write_text(f"{upward}\n")
    result = lint_imports(tree_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 broken" in result.stdout
    assert "Inside an app" in result.stdout
    importer = module.removesuffix(".py").replace("/", ".")
    assert importer in result.stdout
