"""Places in a project file: YAML locations as ``file:line:col``, the problems found there, in file order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from tradewind.errors import ConfigError

Loc = tuple[str | int, ...]
"""A path of keys and indexes into the project file (``("flows", "orders", "every")``)."""


def where(file: str, root: Any, loc: Loc, *, value: bool = False) -> str:
    """``file:line:col`` of the key at ``loc`` (its value with ``value=True``), or of the nearest parent."""
    node, line, column = root, 0, 0
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if isinstance(node, CommentedMap) and part in node:
            line, column = node.lc.value(part) if value and last else node.lc.key(part)
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            line, column = node.lc.item(part)
            node = node[part]
        else:
            break
    return f"{file}:{line + 1}:{column + 1}"


def plain(value: Any) -> Any:
    """ruamel's round-trip types as plain Python, so pydantic sees dicts, lists, str, int, float, bool."""
    if isinstance(value, dict):
        return {(plain(k) if not isinstance(k, str) else str(k)): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


def mapping_loc(key: str) -> Loc:
    """``set.Address.City`` → (set, Address.City); ``table.X.from`` → (table, X, from): paths keep their dots."""
    section, _, rest = key.partition(".")
    if section == "table" and rest.endswith(".from"):
        return section, rest.removesuffix(".from"), "from"
    return (section, rest) if rest else (section,)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a project file, where it is and what to do about it."""

    where: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class ProjectInvalid(ConfigError):
    """The project file has problems; ``problems`` lists every one, in file order."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the project file",
                         where=self.problems[0].where if self.problems else None)

    def __str__(self) -> str:
        return "\n".join([self.message, *(f"  {problem}" for problem in getattr(self, "problems", []))])


def in_file_order(problem: Problem) -> tuple[int, int, str]:
    """Problems sorted by place in the file; environment problems last."""
    parts = problem.where.rsplit(":", 2)
    if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2]), problem.message
    return 1 << 30, 0, problem.message
