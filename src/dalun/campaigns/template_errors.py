"""Problems found in a campaign template, each pinned to a YAML line and key path.

Template authors edit YAML by hand, so every problem must name the line and the key they have to fix.
PyYAML's node tree (``yaml.compose``) keeps the position of every key and value; the helpers here walk it
along an error location. Pure Python like ``template.py``: no Django, no other dalun module.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import yaml

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class TemplateIssue:
    """One problem in a template: where it is (1-based line, key path) and what is wrong."""

    line: int | None
    key_path: str
    message: str

    def render(self, source: str) -> str:
        where = source if self.line is None else f"{source}:{self.line}"
        return f"{where}: {self.key_path}: {self.message}" if self.key_path else f"{where}: {self.message}"


class TemplateError(Exception):
    """A template that cannot be used; ``errors`` lists every problem found, in line order."""

    def __init__(self, errors: Iterable[TemplateIssue], *, source: str) -> None:
        unique = set(errors)
        self.errors: list[TemplateIssue] = sorted(
            unique, key=lambda issue: (issue.line or 0, issue.key_path, issue.message)
        )
        self.source = source
        super().__init__("\n".join(issue.render(source) for issue in self.errors))


def format_key_path(loc: Sequence[str | int]) -> str:
    """``('key_links', 3, 'window')`` -> ``key_links[3].window``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def line_of(root: yaml.Node, loc: Sequence[str | int]) -> int:
    """Line of the deepest node of ``loc`` that exists (a missing key points at its parent).

    A value reached through a mapping is located at its key, so ``window:`` is reported on the line of
    ``window`` rather than on the first line of the block below it.
    """
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = _entries_by_key(node).get(str(part))
            if match is None:
                break
            key_node, node = match
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _entries_by_key(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    """The mapping's (key node, value node) by key text, built once per node: a file with thousands of
    unknown keys has thousands of issues to locate in the same mapping, so scanning it each time is
    quadratic. PyYAML keeps the last of duplicated keys, so the last one is the one that was validated."""
    entries: dict[str, tuple[yaml.Node, yaml.Node]] | None = getattr(node, "_dalun_entries", None)
    if entries is None:
        entries = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
        node._dalun_entries = entries  # type: ignore[attr-defined]
    return entries


def did_you_mean(value: str, choices: Collection[str]) -> str:
    """Message tail naming the closest valid choice, if any, then all of them."""
    close = difflib.get_close_matches(value, list(choices), n=1)
    hint = f" (did you mean '{close[0]}'?)" if close else ""
    return f"{hint}; expected one of: {', '.join(choices)}"


def issue_at(root: yaml.Node, loc: Sequence[str | int], message: str) -> TemplateIssue:
    return TemplateIssue(line=line_of(root, loc), key_path=format_key_path(loc), message=message)


def duplicate_key_issues(root: yaml.Node) -> list[TemplateIssue]:
    """Report repeated keys in any mapping: PyYAML silently keeps the last one, losing the first."""
    issues: list[TemplateIssue] = []
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, Loc]] = [(root, ())]
    while stack:
        node, loc = stack.pop()
        if id(node) in seen_nodes:  # aliases share nodes and may even be recursive
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*loc, index)) for index, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            first_line: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                identity, line = (key_node.tag, key_node.value), key_node.start_mark.line + 1
                if identity in first_line:
                    issues.append(
                        TemplateIssue(
                            line=line,
                            key_path=format_key_path((*loc, key_node.value)),
                            message=f"duplicate key '{key_node.value}' (first given on line "
                            f"{first_line[identity]}); each key may appear only once in a mapping",
                        )
                    )
                else:
                    first_line[identity] = line
                stack.append((value_node, (*loc, key_node.value)))
    return issues


def syntax_issue(error: yaml.YAMLError, text: str) -> TemplateIssue:
    """Turn a PyYAML exception into an issue on the line its mark points at."""
    if isinstance(error, yaml.reader.ReaderError):
        return TemplateIssue(
            text.count("\n", 0, error.position) + 1,
            "",
            f"invalid character {chr(error.character)!r}: {error.reason}",
        )
    if not isinstance(error, yaml.MarkedYAMLError):
        return TemplateIssue(None, "", f"invalid YAML: {error}")
    mark = error.problem_mark or error.context_mark
    line = mark.line + 1 if mark else None
    problem = error.problem or "syntax error"
    if isinstance(error, yaml.composer.ComposerError) and "another document" in problem:
        return TemplateIssue(
            line, "", "a second YAML document starts here ('---'); a template is one document"
        )
    if "'\\t'" in problem:
        problem = "tab character found; YAML indentation must use spaces"
    message = f"invalid YAML: {problem}"
    if error.context and error.context_mark and error.context_mark is not mark:
        message += f" ({error.context} that starts on line {error.context_mark.line + 1})"
    if "expected <block end>" in problem or "mapping values are not allowed" in problem:
        message += "; check the indentation"
    return TemplateIssue(line, "", message)


_YAML_TYPE_NAMES: Mapping[type, str] = {
    dict: "a mapping",
    list: "a list",
    str: "text",
    bool: "true/false",
    int: "a number",
    float: "a number",
    date: "a date",
    type(None): "nothing (null)",
}


def _yaml_type(value: object) -> str:
    return _YAML_TYPE_NAMES.get(type(value), type(value).__name__)


def pydantic_message(error: Mapping[str, Any]) -> str:
    """Rephrase a pydantic error for someone editing YAML rather than Python."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    messages = {
        "missing": "required key is missing",
        "invalid_key": "keys must be text",
        "extra_forbidden": "unknown key (check its spelling and indentation)",
        "model_type": f"expected a mapping, got {_yaml_type(value)}",
        "model_attributes_type": f"expected a mapping, got {_yaml_type(value)}",
        "dict_type": f"expected a mapping, got {_yaml_type(value)}",
        "list_type": f"expected a list, got {_yaml_type(value)}",
        "string_type": f"expected text, got {_yaml_type(value)}",
        "int_type": f"expected a whole number, got {_yaml_type(value)}",
        "bool_type": f"expected true or false, got {_yaml_type(value)}",
        "string_too_short": "must not be empty",
        "too_short": f"must have at least {ctx.get('min_length')} item(s)",
        "greater_than": f"must be greater than {ctx.get('gt')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "string_too_long": f"must be at most {ctx.get('max_length')} characters long",
        "string_unicode": "is not valid Unicode text (a lone surrogate such as \\ud800)",
        "value_error": str(ctx.get("error")),
    }
    return messages.get(kind) or str(error["msg"])


def pydantic_issue(root: yaml.Node, error: Mapping[str, Any]) -> TemplateIssue:
    return issue_at(root, error["loc"], pydantic_message(error))
