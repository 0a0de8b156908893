"""Every exception zerocarbon defines lives in the one tree of models/errors.py, and the error seam turns each
into the exit status its branch promises (2 for input and config, 130 for a stopped fill, else 1)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import models.errors as errors
from models.errors import (
    ConfigProblem,
    FillStopped,
    ImportFileError,
    LifecycleError,
    PayloadRejected,
    SourceProblem,
    ZeroCarbonError,
)
from zerocarbon.error_seam import one_line

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ["models", "collectors", "storage", "simulators", "carbon", "alerts", "planning", "dashboard", "zerocarbon"]

# Imports every module of our packages in a fresh interpreter (module-level side effects such as Dash page
# registration stay out of this test process) and lists each exception class with the module that defines it.
WALK = """
import importlib, inspect, json, pkgutil, sys
found, failed = [], []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        if info.name.endswith("__main__"):  # runs the CLI when imported
            continue
        try:
            module = importlib.import_module(info.name)
        except Exception as exc:
            failed.append(f"{info.name}: {exc!r}")
            continue
        for attr, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                found.append([module.__name__, attr])
print(json.dumps({"found": found, "failed": failed}))
"""


def _walk() -> dict[str, list]:
    out = subprocess.run([sys.executable, "-c", WALK, *PACKAGES], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_every_exception_class_is_defined_in_models_errors_under_its_root():
    walked = _walk()
    assert walked["failed"] == []  # a module that cannot be imported alone would hide its classes
    elsewhere = [f"{module}.{name}" for module, name in walked["found"] if module != "models.errors"]
    assert elsewhere == [], "define these in models/errors.py, under ZeroCarbonError"
    in_tree = {name for module, name in walked["found"] if module == "models.errors"}
    assert {"ZeroCarbonError", "LifecycleError", "UserError", "EnergyBalanceError", "SourceProblem"} <= in_tree
    outside_root = [name for name in in_tree if not issubclass(getattr(errors, name), ZeroCarbonError)]
    assert outside_root == []


def test_input_and_config_branches_exit_2_and_the_rest_1_or_130():
    classes = [c for c in vars(errors).values() if isinstance(c, type) and issubclass(c, ZeroCarbonError)]
    for cls in classes:
        if issubclass(cls, (errors.InputError, errors.ConfigError)):
            assert cls.exit_code == 2, cls
        elif cls is FillStopped:
            assert cls.exit_code == 130
        else:
            assert cls.exit_code == 1, cls


@pytest.mark.parametrize(("exc", "line", "status"), [
    (ImportFileError("history.csv:3: unterminated quote"), "history.csv:3: unterminated quote", 2),
    (SourceProblem(ConfigProblem("site.yaml", 4, "", "NUL byte")), "site.yaml:4: NUL byte", 2),
    (LifecycleError("alarm 7 is closed; shelve an open alarm"), "alarm 7 is closed; shelve an open alarm", 1),
    (PayloadRejected("not_json", "brackets do not pair up"), "not_json: brackets do not pair up", 1),
    (FillStopped(), "", 130),
])
def test_the_error_seam_gives_each_branch_its_line_and_status(exc, line, status):
    assert one_line(exc) == (line, status)


def test_errors_that_were_built_in_subclasses_are_still_caught_as_such():
    # code written against ValueError (pydantic validators, the payload parser's callers) keeps working
    with pytest.raises(ValueError):
        raise PayloadRejected("too_deep", "nested more than 64 levels")
    assert SourceProblem(ConfigProblem("a.yaml", None, "", "too large")).problem.message == "too large"
