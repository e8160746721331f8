"""Network-group files → group specs, every bad row named by its line.

JSON: `[{"name": "office", "cidrs": ["198.51.100.0/24"], "description": "HQ"}, …]` (description optional).
CSV: `name,cidr[,description]`, one row per CIDR; rows with the same name form one group; a header row
`name,cidr[,description]` and blank lines are skipped. The format is told by the content: JSON starts
with `[`.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field

from enrichment.cidrs import cidr_parse
from enrichment.errors import NetworkGroupsInvalid
from enrichment.models import NetworkGroup

NAME_MAX = NetworkGroup._meta.get_field("name").max_length or 100
JSON_KEYS = ("name", "cidrs", "description")


@dataclass
class GroupSpec:
    name: str
    line: int  # where the group is (first) defined
    cidrs: list[str] = field(default_factory=list)  # canonical, once each
    description: str | None = None  # None: not given, so an update keeps the current one


def network_groups_parse(data: bytes, name: str) -> list[GroupSpec]:
    """The groups of a file, in file order; NetworkGroupsInvalid lists every bad row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise NetworkGroupsInvalid(
            name, [f"not UTF-8 text ({error.reason} at byte {error.start})"]
        ) from error
    problems: list[str] = []
    start = text.lstrip()[:1]
    if start == "{":
        raise NetworkGroupsInvalid(
            name, ['a JSON file must hold a list of groups: [{"name": …, "cidrs": […]}, …]']
        )
    groups = _json_groups(text, problems) if start == "[" else _csv_groups(text, problems)
    if not problems and not groups:
        problems.append("no groups in the file")
    if problems:
        raise NetworkGroupsInvalid(name, problems)
    return groups


def _json_groups(text: str, problems: list[str]) -> list[GroupSpec]:
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        problems.append(f"line {error.lineno}: not JSON: {error.msg}")
        return []
    groups: dict[str, GroupSpec] = {}
    for line, item in _json_items(text):
        if not isinstance(item, dict):
            problems.append(f"line {line}: expected an object with {', '.join(JSON_KEYS)}")
            continue
        unknown = sorted(set(item) - set(JSON_KEYS))
        if unknown:
            problems.append(
                f"line {line}: unknown key {', '.join(map(repr, unknown))} (expected {', '.join(JSON_KEYS)})"
            )
            continue
        group_name = _name(item.get("name"), line, problems)
        cidrs = item.get("cidrs")
        description = item.get("description")
        if not isinstance(cidrs, list) or not cidrs or not all(isinstance(cidr, str) for cidr in cidrs):
            problems.append(f"line {line}: cidrs must be a non-empty list of CIDR strings")
            cidrs = []
        if description is not None and not isinstance(description, str):
            problems.append(f"line {line}: description must be a string")
            description = None
        if group_name is None:
            continue
        if group_name in groups:
            problems.append(
                f"line {line}: group {group_name!r} is already defined on line {groups[group_name].line}"
            )
            continue
        spec = groups[group_name] = GroupSpec(group_name, line, description=description)
        for cidr in cidrs:
            _add_cidr(spec, cidr, line, problems)
    return list(groups.values())


def _json_items(text: str) -> list[tuple[int, object]]:
    """The elements of a JSON array (already known to be valid JSON) with the line each starts on."""
    decoder = json.JSONDecoder()
    position = text.index("[") + 1
    items: list[tuple[int, object]] = []
    while True:
        while text[position] in " \t\r\n,":
            position += 1
        if text[position] == "]":
            return items
        item, end = decoder.raw_decode(text, position)
        items.append((text.count("\n", 0, position) + 1, item))
        position = end


def _csv_groups(text: str, problems: list[str]) -> list[GroupSpec]:
    groups: dict[str, GroupSpec] = {}
    reader = csv.reader(text.splitlines())
    for row in reader:
        line = reader.line_num
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if line == 1 and [cell.lower() for cell in cells] in (
            ["name", "cidr"],
            ["name", "cidr", "description"],
        ):
            continue
        if len(cells) not in (2, 3):
            problems.append(f"line {line}: expected name,cidr[,description], found {len(cells)} columns")
            continue
        group_name = _name(cells[0], line, problems)
        if group_name is None:
            continue
        spec = groups.setdefault(group_name, GroupSpec(group_name, line))
        _add_cidr(spec, cells[1], line, problems)
        description = cells[2] if len(cells) == 3 and cells[2] else None
        if description is not None:
            if spec.description is not None and spec.description != description:
                problems.append(
                    f"line {line}: group {group_name!r} already has the description {spec.description!r} "
                    f"(line {spec.line} or later); give it once, or the same on every row"
                )
            spec.description = description
    return list(groups.values())


def _name(value: object, line: int, problems: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        problems.append(f"line {line}: a group needs a name")
        return None
    if len(value.strip()) > NAME_MAX:
        problems.append(f"line {line}: the name is longer than {NAME_MAX} characters")
        return None
    return value.strip()


def _add_cidr(spec: GroupSpec, text: str, line: int, problems: list[str]) -> None:
    try:
        cidr = str(cidr_parse(text))
    except ValueError as error:
        problems.append(f"line {line}: {error}")
        return
    if cidr not in spec.cidrs:
        spec.cidrs.append(cidr)
