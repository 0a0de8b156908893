"""Golden config cases: tests/config_cases/<case>/{site.yaml, expected.err}, one folder per kind of mistake.

Each expected line is the exact message a user sees: file:line, key path, what is wrong and the fix.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import ConfigError
from models.loader import load_site

CASES = Path(__file__).resolve().parents[1] / "config_cases"
TEMPLATES = Path(__file__).resolve().parents[2] / "config" / "templates"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_config_case_gives_exactly_the_expected_messages(case: str) -> None:
    folder = CASES / case
    expected = [line for line in (folder / "expected.err").read_text(encoding="utf-8").splitlines() if line]
    try:
        load_site(folder / "site.yaml", TEMPLATES)
        got: list[str] = []
    except ConfigError as exc:
        got = [str(p).replace(f"{folder}/", "") for p in exc.problems]
    assert got == expected


def test_missing_site_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_site(tmp_path / "nope.yaml")
    assert str(tmp_path / "nope.yaml") in str(info.value)
    assert "no such file" in str(info.value)


def test_broken_template_is_reported_with_its_own_file_and_line(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    for t in TEMPLATES.glob("*.yaml"):
        (templates / t.name).write_text(t.read_text(encoding="utf-8"), encoding="utf-8")
    meter = templates / "energy-meter.yaml"
    meter.write_text(
        meter.read_text(encoding="utf-8")
        .replace("unit: kVar", "unit: kVar")
        .replace(
            "{name: q_kvar, address: 6, type: float32, unit: kvar",
            "{name: q_kvar, address: 6, type: float32, unit: kVAR",
        ),
        encoding="utf-8",
    )
    site = tmp_path / "site.yaml"
    site.write_text((CASES / "valid_minimal" / "site.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_site(site)
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith(f"{meter}:14 points[3].unit: unknown unit 'kVAR'") for m in messages), messages
    # the site's reference to the broken template is reported too, so the user sees both ends
    assert any("unknown template 'energy-meter'" in m for m in messages), messages


def test_point_in_forbidden_range_is_rejected(tmp_path: Path) -> None:
    from models.loader import load_template

    path = tmp_path / "bad-meter.yaml"
    path.write_text(
        "id: bad-meter\nprotocol: modbus\nforbidden: [[10, 20]]\npoints:\n"
        "  - {name: p, address: 12, type: float32, unit: kW, kind: power}\n",
        encoding="utf-8",
    )
    template, problems = load_template(path)
    assert template is None
    assert [str(p) for p in problems] == [f"{path}:1: point 'p' at 12 lies in forbidden range [10, 20)"]


def test_scale_factor_must_name_a_point_of_the_template(tmp_path: Path) -> None:
    from models.loader import load_template

    path = tmp_path / "sf.yaml"
    path.write_text(
        "id: sf\nprotocol: modbus\npoints:\n"
        "  - {name: W, address: 0, type: int16, scale_factor: W_SF, unit: W, kind: power}\n",
        encoding="utf-8",
    )
    _, problems = load_template(path)
    assert "scale_factor 'W_SF' is not a point here" in str(problems[0])
