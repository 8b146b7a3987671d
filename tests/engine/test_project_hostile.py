"""Hostile project files: each is refused with file:line in bounded time and memory, never a traceback or a hang.

Inputs that once ran for minutes or raised (alias bombs, deep nesting, NUL and undecodable bytes,
values ruamel cannot build) are validated in a child process under a memory cap and a timeout,
so a regression fails its test instead of taking the machine. Out-of-range values are checked in
process against the real connectors' options.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tradewind.engine.project import (
    MAX_ATTEMPTS,
    MAX_BATCH_SIZE,
    Problem,
    ProjectInvalid,
    load_project,
    parse_interval,
    validate,
)
from tradewind.engine.project_yaml import MAX_ALIAS_NODES, MAX_BYTES, MAX_DEPTH

ENV = {"EXACT_SECRET": "s", "EXACT_REFRESH": "r", "SHOP_TOKEN": "t"}

BASE = """\
connections:
  erp:
    connector: exact_online
    division: 123456
    client_id: abc
    client_secret: ${EXACT_SECRET}
    refresh_token: ${EXACT_REFRESH}
  shop:
    connector: shopify
    shop: demo.myshopify.com
    token: ${SHOP_TOKEN}
flows:
  products:
    from: erp.products
    to: shop.products
    every: 15m
"""

CHILD = """
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
from tradewind.engine.project import validate
problems = validate(sys.argv[1], environ=json.loads(sys.argv[2]))
print(json.dumps([[p.where, p.message, p.hint] for p in problems]))
"""


def write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "tradewind.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def refused_in_child(tmp_path: Path, content: str | bytes) -> tuple[Path, Problem]:
    """The one problem of ``content``, validated in a child capped at 1 GiB and 60 s (a hang raises TimeoutExpired)."""
    path = write(tmp_path, content)
    child = subprocess.run([sys.executable, "-c", CHILD, str(path), json.dumps(ENV)], capture_output=True,
                           text=True, timeout=60, check=False)
    assert child.returncode == 0, child.stderr[-2000:]
    problems = [Problem(*problem) for problem in json.loads(child.stdout)]
    assert len(problems) == 1, "\n".join(map(str, problems))
    return path, problems[0]


def only(tmp_path: Path, text: str) -> tuple[Path, Problem]:
    path = write(tmp_path, text)
    problems = validate(path, environ=ENV)
    assert len(problems) == 1, "\n".join(map(str, problems))
    return path, problems[0]


def line_of(text: str, needle: str) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1) if needle in line)


def edited(old: str, new: str) -> str:
    assert old in BASE, old
    return BASE.replace(old, new, 1)


def test_the_base_project_is_valid(tmp_path: Path) -> None:
    assert validate(write(tmp_path, BASE), environ=ENV) == []


# --- alias bombs and nesting -------------------------------------------------------------------


def billion_laughs() -> str:
    """Nine levels of nine aliases each (9^9 values), under a key the loader otherwise ignores."""
    levels = ["  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"  {name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return BASE + "x-bomb:\n" + "\n".join(levels) + "\n"


def test_a_billion_laughs_is_refused_where_the_aliases_pass_the_bound(tmp_path: Path) -> None:
    text = billion_laughs()
    path, problem = refused_in_child(tmp_path, text)

    # a: 10 values; b: 9 aliases of 10; c: 9 of 91; d: 9 of 820; the first *d in e passes 10,000
    assert problem.where.startswith(f"{path}:{line_of(text, 'e: &e')}:")
    assert f"aliases expand to more than {MAX_ALIAS_NODES:,} values" in problem.message
    assert problem.hint and "<<: *defaults" in problem.hint


def test_many_aliases_of_a_large_value_are_refused(tmp_path: Path) -> None:
    text = BASE + "x-data: &big [" + ", ".join(["v"] * 1000) + "]\n" + "".join(f"x-{i}: *big\n" for i in range(20))
    path, problem = refused_in_child(tmp_path, text)

    assert problem.where.startswith(f"{path}:{line_of(text, 'x-9: *big')}:")
    assert "aliases expand" in problem.message


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path: Path) -> None:
    text = BASE + "x-loop: &loop\n  <<: *loop\n"
    path, problem = refused_in_child(tmp_path, text)

    assert problem.where == f"{path}:{line_of(text, '<<: *loop')}:7"
    assert "alias *loop refers to a value that contains it" in problem.message


def test_shared_defaults_merged_into_flows_still_load(tmp_path: Path) -> None:
    text = BASE.replace("flows:\n", "x-often: &often\n  every: 5m\n  retry: {max_attempts: 3, backoff: 1m}\n"
                        "flows:\n").replace("    every: 15m\n", "    <<: *often\n")
    text += "".join(f"  p{i}:\n    from: erp.products\n    to: shop.products\n    <<: *often\n" for i in range(50))

    project = load_project(write(tmp_path, text), environ=ENV)

    assert len(project.flows) == 51 and project.flows["p7"].retry.max_attempts == 3


def test_ten_thousand_nested_brackets_are_refused_at_the_line(tmp_path: Path) -> None:
    text = BASE + "x-deep: " + "[" * 10_000 + "]" * 10_000 + "\n"
    path, problem = refused_in_child(tmp_path, text)

    column = len("x-deep: ") + MAX_DEPTH  # the file's own mapping is the first level
    assert problem.where == f"{path}:{line_of(text, 'x-deep')}:{column}"
    assert f"nest deeper than {MAX_DEPTH} levels" in problem.message


def test_deep_flow_mappings_and_block_indentation_are_refused(tmp_path: Path) -> None:
    braces = BASE + "x-deep: " + "{a: " * 10_000 + "b" + "}" * 10_000 + "\n"
    keys = "".join(" " * (depth + 1) + f"k{depth}:\n" for depth in range(100))
    blocks = BASE + "x-deep:\n" + keys + " " * 101 + "v\n"

    path, problem = refused_in_child(tmp_path, braces)
    assert problem.where.startswith(f"{path}:{line_of(braces, 'x-deep')}:")
    path, problem = refused_in_child(tmp_path, blocks)
    assert problem.where == f"{path}:{line_of(blocks, f'k{MAX_DEPTH - 1}:')}:{MAX_DEPTH + 1}"
    assert "nest deeper" in problem.message


def test_a_deeply_nested_expression_is_refused_at_its_line(tmp_path: Path) -> None:
    text = BASE + '    filter: "' + "(" * 5000 + "product.active" + ")" * 5000 + '"\n'
    path, problem = refused_in_child(tmp_path, text)

    assert problem.where == f"{path}:{line_of(text, 'filter:')}:13"
    assert "nests too deeply" in problem.message


# --- bytes and characters ----------------------------------------------------------------------


def test_a_nul_byte_is_refused_at_its_line_and_column(tmp_path: Path) -> None:
    text = edited("    every: 15m\n", "    every: 15m\0\n")
    path, problem = refused_in_child(tmp_path, text)

    assert problem.where == f"{path}:{line_of(text, 'every')}:15"
    assert problem.message == "control character NUL in the file"


def test_other_control_characters_are_refused(tmp_path: Path) -> None:
    text = edited("client_id: abc", "client_id: a\x1bbc")
    path, problem = refused_in_child(tmp_path, text)

    assert problem.where == f"{path}:{line_of(text, 'client_id')}:17"
    assert "U+001B" in problem.message


def test_invalid_utf8_is_refused_at_its_line(tmp_path: Path) -> None:
    content = BASE.encode() + b"x-note: caf\xe9\n"
    path, problem = refused_in_child(tmp_path, content)

    assert problem.where == f"{path}:{BASE.count(chr(10)) + 1}:12"
    assert problem.message == "byte 0xe9 is not UTF-8 text" and problem.hint == "save the file as UTF-8"


def test_a_utf16_file_is_told_to_be_utf8(tmp_path: Path) -> None:
    path, problem = refused_in_child(tmp_path, BASE.encode("utf-16"))

    assert problem.where == f"{path}:1:1" and "UTF-16" in problem.message


def test_a_file_beyond_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    filler = "# " + "x" * 78 + "\n"
    text = BASE + filler * (MAX_BYTES // len(filler) + 1)
    path, problem = refused_in_child(tmp_path, text)

    crossed = text.encode()[:MAX_BYTES].count(b"\n") + 1  # the line holding the first byte too many
    assert problem.where == f"{path}:{crossed}:1"
    assert f"larger than {MAX_BYTES // 1024} KiB" in problem.message


@pytest.mark.parametrize(("value", "kind"), [
    ("2020-13-45", "timestamp"), ("9" * 5000, "int"), ("!!bool maybe", "bool"), ("!!float x", "float"),
])
def test_values_ruamel_cannot_build_are_refused_at_their_line(tmp_path: Path, value: str, kind: str) -> None:
    text = BASE + f"x-value: {value}\n"
    path, problem = refused_in_child(tmp_path, text)

    assert problem.where == f"{path}:{line_of(text, 'x-value')}:10"
    assert f"is not a valid {kind}" in problem.message and problem.hint == "quote the value to keep it as text"


# --- values out of range -----------------------------------------------------------------------


@pytest.mark.parametrize(("old", "new", "needle", "message"), [
    ("division: 123456", "division: " + "1" * 401, "division", "less than or equal to 999999999"),
    ("division: 123456", "division: 0", "division", "greater than or equal to 1"),
    ("    client_id", "    base_url: example.com\n    client_id", "base_url", "http:// or https:// URL with a host"),
    ("    client_id", "    base_url: ftp://files.example.com\n    client_id", "base_url", "URL with a host"),
    ("    client_id", "    base_url: https://\n    client_id", "base_url", "URL with a host"),
    ("    client_id", "    calls_per_minute: 0\n    client_id", "calls_per_minute", "greater than or equal to 1"),
    ("    token:", "    base_url: shop.example.com\n    token:", "base_url", "URL with a host"),
    ("    token:", "    api_version: latest\n    token:", "api_version", "not in the expected form"),
])
def test_connection_options_out_of_range_are_refused_with_a_hint(tmp_path: Path, old: str, new: str, needle: str,
                                                                  message: str) -> None:
    text = edited(old, new)
    path, problem = only(tmp_path, text)

    assert problem.where == f"{path}:{line_of(text, needle + ':')}:5"
    assert message in problem.message and problem.hint


@pytest.mark.parametrize(("extra", "needle", "message"), [
    ("    batch_size: 100000000000\n", "batch_size", f"less than or equal to {MAX_BATCH_SIZE}"),
    ("    batch_size: 0\n", "batch_size", "greater than or equal to 1"),
    ("    retry: {max_attempts: 1000}\n", "max_attempts", f"less than or equal to {MAX_ATTEMPTS}"),
    ("    retry: {backoff: 30d}\n", "backoff", "'30d' is longer than 7 days"),
])
def test_flow_values_out_of_range_are_refused_with_a_hint(tmp_path: Path, extra: str, needle: str,
                                                          message: str) -> None:
    text = BASE + extra
    path, problem = only(tmp_path, text)

    assert problem.where.startswith(f"{path}:{line_of(text, needle)}:")
    assert message in problem.message and problem.hint


@pytest.mark.parametrize("every", ["8d", "99999999999999d", "9" * 5000 + "s"])
def test_an_interval_beyond_seven_days_is_refused(tmp_path: Path, every: str) -> None:
    text = edited("every: 15m", f"every: {every}")
    path, problem = only(tmp_path, text)

    assert problem.where == f"{path}:{line_of(text, 'every')}:12"
    assert "is longer than 7 days" in problem.message
    assert problem.hint and "at most 7d" in problem.hint


def test_settings_out_of_range_are_refused_in_the_file_and_the_environment(tmp_path: Path) -> None:
    text = "settings:\n  detail_retention_days: 100000\n  database_url: 'postgresql://u@[::1/x'\n" + BASE
    problems = validate(write(tmp_path, text), environ={**ENV, "TRADEWIND_DATABASE_URL": "postgresql://u:p@h:x/db"})

    assert [p.where.rsplit(":", 2)[1:] for p in problems[:1]] == [["2", "3"]]
    assert "less than or equal to 3650" in problems[0].message
    assert problems[1].where == "environment TRADEWIND_DATABASE_URL"
    assert "not a database URL" in problems[1].message and "u:p" not in str(problems[1])


def test_values_at_the_bounds_load(tmp_path: Path) -> None:
    text = edited("division: 123456", "division: 999999999\n    base_url: https://[::1]:8443/exact")
    text = text.replace("    token:", "    base_url: http://127.0.0.1:8001\n    api_version: unstable\n    token:")
    text += f"    every: 7d\n    batch_size: {MAX_BATCH_SIZE}\n"
    text += f"    retry: {{max_attempts: {MAX_ATTEMPTS}, backoff: 7d}}\n"
    text = text.replace("    every: 15m\n", "")

    flow = load_project(write(tmp_path, text), environ=ENV).flows["products"]

    assert (flow.batch_size, flow.retry.max_attempts) == (MAX_BATCH_SIZE, MAX_ATTEMPTS)
    assert flow.schedule.interval == parse_interval("7d")


# --- no flows ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("flows", "where"), [("", "1:1"), ("flows:\n", "12:1"), ("flows: {}\n", "12:1")])
def test_a_project_without_flows_is_told_so(tmp_path: Path, flows: str, where: str) -> None:
    path = write(tmp_path, BASE.split("flows:")[0] + flows)

    with pytest.raises(ProjectInvalid) as raised:
        load_project(path, environ=ENV)

    problem = raised.value.problems[0]
    assert len(raised.value.problems) == 1
    assert (problem.where, problem.message) == (f"{path}:{where}", "no flows: add one under flows:")
    assert problem.hint and "tradewind init" in problem.hint
