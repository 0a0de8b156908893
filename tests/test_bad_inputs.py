"""Every bad input gets one clear line and writes nothing: a table of bad inputs across the command line.

Each case runs the real ``zerocarbon`` app in-process (typer's CliRunner, the same ErrorSeam as the console
script) against a store holding a few readings, and asserts the exit status (2 usage or input, 1 run time),
exactly one stderr line naming the problem, no traceback, and the store unchanged (an export before equals an
export after). The 200 MB import runs as a child process of a small launcher, which reports the child's own
peak RSS (getrusage of its waited-for child).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from zerocarbon.cli import app

ROOT = Path(__file__).resolve().parents[1]
METER = "grid-meter-1.import_kwh"
BOMB = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)  # 9**9 = 387 million values once expanded


@dataclass(frozen=True)
class Case:
    name: str
    args: Callable[[Path], list[str]]  # the command line, given the case's own directory
    status: int
    says: str  # the one stderr line contains this
    make: Callable[[Path], None] = lambda d: None  # writes the case's input files


def write(name: str, data: str | bytes) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        path = folder / name
        path.write_bytes(data if isinstance(data, bytes) else data.encode())

    return make


def f(name: str) -> Callable[[Path], list[str]]:
    return lambda d: [str(d / name)]


HEADER = "timestamp,point,value,unit\n"
ROW = f"2026-03-01T00:10:00Z,{METER},5010,kWh\n"
RANGE = ["--from", "2026-03-01T00:00+08:00", "--to", "2026-03-02T00:00+08:00"]

CASES = [
    # import: the file cannot be read, or one row is bad; nothing is written
    Case("import-empty", lambda d: ["import", str(d / "e.csv")], 2, "the file is empty", write("e.csv", "")),
    Case("import-binary-csv", lambda d: ["import", str(d / "b.csv")], 2, "binary content",
         write("b.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 50)),
    Case("import-unterminated-quote", lambda d: ["import", str(d / "q.csv")], 2, "q.csv:3: unterminated quote",
         write("q.csv", HEADER + ROW + f'2026-03-01T00:11:00Z,"{METER},5011,kWh\n' + ROW)),
    Case("import-xlsx-not-zip", lambda d: ["import", str(d / "x.xlsx")], 2, "not an Excel workbook",
         write("x.xlsx", "timestamp,point,value\n")),
    Case("import-unknown-point", lambda d: ["import", str(d / "p.csv")], 2,
         "p.csv:3: unknown point 'grid-meter-1.import_kwhh' (did you mean 'grid-meter-1.import_kwh'?)",
         write("p.csv", HEADER + ROW + f"2026-03-01T00:11:00Z,{METER}h,1,kWh\n")),
    Case("import-not-a-number", lambda d: ["import", str(d / "n.csv")], 2, "n.csv:2: value '5O1O'",
         write("n.csv", HEADER + ROW.replace("5010", "5O1O"))),
    Case("import-wrong-unit", lambda d: ["import", str(d / "u.csv")], 2, "u.csv:2: unit 'Wh'",
         write("u.csv", HEADER + ROW.replace("kWh", "Wh"))),
    Case("import-bad-timestamp", lambda d: ["import", str(d / "t.csv")], 2, "t.csv:2: timestamp 'yesterday'",
         write("t.csv", HEADER + f"yesterday,{METER},1,kWh\n")),
    Case("import-missing-column", lambda d: ["import", str(d / "c.csv")], 2, "c.csv:1: missing column(s) point",
         write("c.csv", "timestamp,value\n2026-03-01T00:00Z,1\n")),
    Case("import-extra-fields", lambda d: ["import", str(d / "x.csv")], 2, "x.csv:2: 5 fields where the header has 4",
         write("x.csv", HEADER + ROW.replace("kWh", "kWh,extra"))),
    Case("import-no-such-file", lambda d: ["import", str(d / "none.csv")], 2, "none.csv: no such file"),
    Case("import-unknown-format", lambda d: ["import", str(d / "h.json")], 2, "give a .csv or .xlsx file",
         write("h.json", "{}")),
    # check-config: bounded before composing
    Case("config-5000-deep", lambda d: ["check-config", str(d / "deep.yaml")], 2, "nested more than 64 levels",
         write("deep.yaml", "a: " + "[" * 5000 + "]" * 5000 + "\n")),
    Case("config-binary", lambda d: ["check-config", str(d / "bin.yaml")], 2, "not UTF-8 text",
         write("bin.yaml", bytes(range(128, 256)) * 20)),
    Case("config-alias-bomb", lambda d: ["check-config", str(d / "bomb.yaml")], 2, "billion laughs",
         write("bomb.yaml", BOMB)),
    Case("config-too-large", lambda d: ["check-config", str(d / "big.yaml")], 2, "more than the 8 MB",
         write("big.yaml", "# " + "x" * (9 * 1024 * 1024) + "\n")),
    Case("config-not-yaml", lambda d: ["check-config", str(d / "s.yaml")], 2,
         "s.yaml:3: not valid YAML: expected ',' or ']'",
         write("s.yaml", "site:\n  id: [unclosed\n")),
    Case("config-no-such-file", lambda d: ["check-config", str(d / "none.yaml")], 2, "none.yaml: no such file"),
    # energy
    Case("energy-reversed", lambda d: ["energy", METER, "--from", "2026-03-02", "--to", "2026-03-01"], 2,
         "--from 2026-03-02 is not before --to 2026-03-01; swap them"),
    Case("energy-empty-range", lambda d: ["energy", METER, "--from", "2026-03-01", "--to", "2026-03-01"], 2,
         "--to is exclusive"),
    Case("energy-year-0", lambda d: ["energy", METER, "--from", "0000-01-01", "--to", "2026-01-01"], 2,
         "between 1900 and 2200"),
    Case("energy-year-9999", lambda d: ["energy", METER, "--from", "2026-01-01", "--to", "9999-01-01"], 2,
         "--to '9999-01-01'"),
    Case("energy-not-a-date", lambda d: ["energy", METER, "--from", "soon", "--to", "2026-04-01"], 2,
         "--from 'soon' is not an ISO 8601 date"),
    Case("energy-unknown-point", lambda d: ["energy", "grid-meter-9.import_kwh", *RANGE], 2, "no point matches"),
    Case("energy-bad-interval", lambda d: ["energy", METER, *RANGE, "--by", "week"], 2, "--by: 'week'"),
    # export
    Case("export-missing-dir", lambda d: ["export", *RANGE, "--format", "csv", "--out", str(d / "no/x.csv")], 2,
         "no directory"),
    Case("export-reversed", lambda d: ["export", "--from", "2026-03-02T00:00Z", "--to", "2026-03-01T00:00Z",
                                       "--format", "csv", "--out", str(d / "x.csv")], 2, "is not before"),
    Case("export-out-is-a-dir", lambda d: ["export", *RANGE, "--format", "csv", "--out", str(d)], 2,
         "is a directory"),
    Case("export-bad-format", lambda d: ["export", *RANGE, "--format", "docx", "--out", str(d / "x")], 2,
         "--format 'docx'"),
    Case("export-no-point", lambda d: ["export", *RANGE, "--points", "nope-*", "--format", "csv",
                                       "--out", str(d / "x.csv")], 2, "no point of the site matches"),
    # report
    Case("report-bad-period", lambda d: ["report", "--period", "2026-13", "-q", "--out", str(d / "r.json")], 2,
         "'2026-13' not understood"),
    Case("report-bad-format", lambda d: ["report", "--period", "2026-03", "--format", "doc"], 2, "'doc'"),
    Case("report-no-factors", lambda d: ["report", "--period", "2026-03", "--format", "json", "-q", "--factors",
                                         str(d / "none.yaml"), "--out", str(d / "r.json")], 2, "no such file"),
    Case("report-bomb-config", lambda d: ["report", "--period", "2026-03", "--format", "json", "-q",
                                          "--carbon-config", str(d / "bomb.yaml"), "--out", str(d / "r.json")],
         2, "billion laughs", write("bomb.yaml", BOMB)),
    # discover
    Case("discover-no-template", lambda d: ["discover", "modbus://127.0.0.1:1/1", "--with-template",
                                            "sunspec-invertr"], 2, "did you mean 'sunspec-inverter'?"),
    Case("discover-bad-address", lambda d: ["discover", "http://10.0.0.5/1"], 2, "write it as modbus://"),
    # alarms
    Case("alarms-rule-typo", lambda d: ["alarms", "check", str(d / "a.yaml")], 2, "a.yaml:4 rules[0].condition",
         write("a.yaml", "rules:\n  - id: x\n    points: [pv-inv-01.W]\n    condition: {type: hihg, limit: 1}\n")),
    Case("alarms-deep-rules", lambda d: ["alarms", "check", str(d / "deep.yaml")], 2, "nested more than 64",
         write("deep.yaml", "rules: " + "[" * 500 + "]" * 500 + "\n")),
    Case("alarms-ack-not-a-number", lambda d: ["alarms", "ack", "abc"], 2, "'alarm_id'"),
    Case("alarms-ack-unknown", lambda d: ["alarms", "ack", "999"], 1, "no alarm 999"),
    # users
    Case("users-bad-role", lambda d: ["users", "add", "bob", "--role", "king", "--password", "pw-12345678"], 2,
         "'king' is not one of"),
    Case("users-passwd-unknown", lambda d: ["users", "passwd", "nobody", "--password", "pw-12345678"], 1,
         "nobody"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data dir whose store holds 30 readings, the repository as working directory."""
    data = tmp_path_factory.mktemp("bad-inputs")
    with pytest.MonkeyPatch.context() as mp:
        for key in [k for k in os.environ if k.startswith("ZEROCARBON_")]:
            mp.delenv(key)
        mp.setenv("ZEROCARBON_DATA_DIR", str(data / "data"))
        mp.setenv("ZEROCARBON_ERROR_LOG", str(data / "errors.log"))
        mp.chdir(ROOT)
        rows = [f"2026-03-01T00:{m:02d}:00Z,{METER},{5000 + m},kWh" for m in range(30)]
        (data / "seed.csv").write_text(HEADER + "\n".join(rows) + "\n")
        seeded = CliRunner().invoke(app, ["import", str(data / "seed.csv")])
        assert seeded.exit_code == 0, seeded.output
        yield data


@pytest.fixture
def in_store(store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shared store for this test (tests/conftest.py gives every test a data dir of its own)."""
    monkeypatch.setenv("ZEROCARBON_DATA_DIR", str(store / "data"))
    return store


@pytest.fixture(scope="module")
def baseline(store: Path) -> bytes:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ZEROCARBON_DATA_DIR", str(store / "data"))
        return snapshot(store)


def snapshot(folder: Path) -> bytes:
    """Everything the store holds for the site, as ``zerocarbon export`` writes it."""
    out = folder / "snapshot.csv"
    done = CliRunner().invoke(app, ["export", "--from", "2000-01-01T00:00Z", "--to", "2100-01-01T00:00Z",
                                    "--format", "csv", "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    return out.read_bytes()


def test_the_table_covers_every_command_named_by_the_issue() -> None:
    commands = {c.args(Path("/x"))[0] for c in CASES}
    assert {"import", "check-config", "energy", "export", "report", "discover", "alarms", "users"} <= commands
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_gets_one_line_and_writes_nothing(case: Case, in_store: Path, baseline: bytes,
                                                     tmp_path: Path) -> None:  # fmt: skip
    before = baseline  # every case leaves the store as seeded, so one export before them all is the "before"
    case.make(tmp_path)
    result = CliRunner().invoke(app, case.args(tmp_path))
    lines = result.stderr.splitlines()
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    assert result.exit_code == case.status, result.output
    assert len(lines) == 1, result.stderr
    assert case.says in lines[0], lines[0]
    assert "unexpected" not in lines[0]  # an expected problem, not the seam's last resort
    assert snapshot(tmp_path) == before
    assert before.count(b"\n") == 31  # header + the 30 seeded readings


def test_a_200_year_export_is_bounded_by_the_data(in_store: Path, tmp_path: Path) -> None:
    """200 years of daily windows over 30 readings took over two minutes; the months holding data bound it."""
    out = tmp_path / "all.csv"
    done = CliRunner().invoke(app, ["export", "--from", "1901-01-01T00:00Z", "--to", "2199-01-01T00:00Z",
                                    "--format", "csv", "--out", str(out)])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert out.read_text().count("\n") == 31


PEAK_OF_CHILD = """
import resource, subprocess, sys
status = subprocess.run(sys.argv[1:]).returncode
print(status, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@pytest.mark.slow
def test_a_200_mb_file_with_one_bad_row_near_the_end_is_answered_in_bounded_memory(in_store: Path) -> None:
    """The import's peak RSS stays under 500 MB (measured by a launcher: see PEAK_OF_CHILD); nothing is written."""
    store = in_store
    big = store / "big.csv"
    block = "".join(f"2026-03-01T{h:02d}:{m:02d}:00Z,{METER},{5000 + h * 60 + m}.5,kWh\n"
                    for h in range(24) for m in range(60))  # fmt: skip
    blocks = 200 * 1024 * 1024 // len(block) + 1
    with big.open("w") as fh:
        fh.write(HEADER)
        for i in range(blocks):
            if i == blocks - 2:
                fh.write(f"2026-03-01T00:00:00Z,{METER},12a,kWh\n")
            fh.write(block)
    bad_line = 2 + (blocks - 2) * 1440
    exe = shutil.which("zerocarbon", path=str(Path(sys.executable).parent))
    assert exe and big.stat().st_size > 200 * 1024 * 1024
    before = snapshot(store)
    # A small launcher runs the import and reports its child's peak RSS: a child forked from this pytest process
    # would carry pytest's own high-water mark (Linux keeps it across fork and exec: 1.3 GB late in a full run).
    done = subprocess.run([sys.executable, "-c", PEAK_OF_CHILD, exe, "import", str(big)], cwd=ROOT,
                          env=os.environ.copy(), capture_output=True, text=True, timeout=600)  # fmt: skip
    status, peak_kb = (int(w) for w in done.stdout.split())
    err = done.stderr
    peak_mb = peak_kb / 1024
    big.unlink()
    assert status == 2 and "Traceback" not in err
    assert err.splitlines() == [f"zerocarbon import: {big}:{bad_line}: value '12a' of {METER} is not a number; "
                                "nothing was written"]  # fmt: skip
    assert peak_mb < 500, f"peak RSS {peak_mb:.0f} MB"
    print(f"200 MB import: peak RSS {peak_mb:.0f} MB")
    assert snapshot(store) == before
