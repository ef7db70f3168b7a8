"""The README's walk through the real trial: its commands still parse and its files exist.

The section pastes real output of each command; this keeps the commands themselves from
drifting away from the command line (a renamed option or example file fails here) without
running them (each is run by its own command's tests).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SECTION = "### The real trial: your records in, the trial pack out, the analysis back"
PROGRAM = ".venv/bin/hotspot-sim"


def section_text(readme: str) -> str:
    """The README section from its heading to the next heading of the same or a higher level."""
    start = readme.index(SECTION)
    end = re.search(r"^#{1,3} ", readme[start + len(SECTION):], re.MULTILINE)
    return readme[start:start + len(SECTION) + (end.start() if end else len(readme))]


def shell_commands(text: str) -> list[list[str]]:
    """The ``hotspot-sim`` commands of the section's ``bash`` blocks, as argument lists."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            if words and words[0] == PROGRAM:
                commands.append(words[1:])
    return commands


def parse_error(args: list[str]) -> str | None:
    """Why the command line would refuse ``args`` (None when it parses)."""
    from hotspot_sim.cli import build_parser

    try:
        build_parser().parse_args(args)
    except SystemExit as exc:
        return f"hotspot-sim {' '.join(args)}: exit {exc.code}"
    return None


@pytest.fixture(scope="module")
def commands() -> list[list[str]]:
    return shell_commands(section_text((ROOT / "README.md").read_text(encoding="utf-8")))


def test_the_walk_has_its_commands(commands):
    firsts = [" ".join(c[:2]) for c in commands]
    for step in ("data records", "target --eligibility", "trial design", "trial rehearse",
                 "trial analyse"):
        assert any(f.startswith(step) for f in firsts), f"no '{step}' command in the section"


def test_every_command_parses(commands, capsys):
    errors = [e for e in map(parse_error, commands) if e]
    assert not errors, "\n".join(errors) + "\n" + capsys.readouterr().err


def test_every_example_file_named_exists(commands):
    named = {a for c in commands for a in c if a.startswith("examples/")}
    assert len(named) >= 10
    assert not sorted(p for p in named if not (ROOT / p).is_file())


def test_a_wrong_option_or_a_missing_one_is_caught(capsys):
    good = "trial analyse --schedule s.csv \\\n    --gps g.csv --crimes c.csv"
    text = f"{SECTION}\n```bash\n{PROGRAM} {good}\n{PROGRAM} {good} --hotspot-file h.csv\n```\n"
    right, wrong = shell_commands(text)
    assert right == ["trial", "analyse", "--schedule", "s.csv", "--gps", "g.csv", "--crimes",
                     "c.csv"]
    assert parse_error(right) is None
    assert parse_error(wrong) is not None
    assert parse_error(["data", "records", "--crimes", "c.csv"]) is not None  # --mapping missing
    capsys.readouterr()
