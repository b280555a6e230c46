"""Reading a price file's text into mappings and lists that remember their lines.

Every problem the validator reports names its line, so both parsers keep the line of each mapping,
each key and each list item: JSON through the standard library's pure-Python scanner with located
containers, YAML (with PyYAML installed) through its node tree. Duplicate keys are problems here,
where the parsers still see them.
"""

from __future__ import annotations

import json
import json.decoder
import json.scanner
from typing import Any

from genai_cost.price_file.schema import PriceFileError, Problem


def parse_document(text: str, path: str) -> Any:
    """The file's document: JSON when it says so by name or by its first character, else YAML."""
    is_json = path.lower().endswith(".json") or text.lstrip().startswith("{")
    return parse_json(text, path) if is_json else parse_yaml(text, path)


class LocatedMap(dict):  # type: ignore[type-arg]
    """A mapping that remembers the line of itself and of each key."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):  # type: ignore[type-arg]
    """A list that remembers its own line and each item's."""

    line: int = 0
    item_lines: list[int]


def _line_at(text: str, index: int) -> int:
    return text.count("\n", 0, index) + 1


def parse_json(text: str, path: str) -> Any:
    """json.loads that keeps line numbers (the pure-Python scanner, with located containers)."""
    decoder = json.JSONDecoder()
    duplicates: list[Problem] = []

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, hook: Any, pairs_hook: Any, memo=None):
        s, start = s_and_end
        pairs, end = json.decoder.JSONObject(s_and_end, strict, scan_once, None, list, memo)
        result = LocatedMap()
        result.line, result.key_lines = _line_at(s, start), {}
        search = start
        for key, value in pairs:
            at = s.find(json.dumps(key, ensure_ascii=False), search, end)
            line = _line_at(s, at) if at >= 0 else result.line
            search = at + 1 if at >= 0 else search
            if key in result:
                duplicates.append(Problem(line, f"duplicate key {key!r}"))
            result[key], result.key_lines[key] = value, line
        return result, end

    def parse_array(s_and_end: tuple[str, int], scan_once: Any, **kwargs: Any):
        s, start = s_and_end
        values, end = json.decoder.JSONArray(s_and_end, scan_once)
        result = LocatedList(values)
        result.line = _line_at(s, start)
        result.item_lines = [getattr(v, "line", result.line) for v in values]
        return result, end

    decoder.parse_object = parse_object  # type: ignore[assignment]
    decoder.parse_array = parse_array  # type: ignore[assignment]
    decoder.scan_once = json.scanner.py_make_scanner(decoder)
    try:
        document = decoder.decode(text)
    except json.JSONDecodeError as error:
        problem = Problem(error.lineno, f"invalid JSON: {error.msg} (column {error.colno})")
        raise PriceFileError(path, [problem]) from None
    if duplicates:
        raise PriceFileError(path, duplicates)
    return document


def parse_yaml(text: str, path: str) -> Any:
    """yaml.safe_load that keeps line numbers (PyYAML's node tree, converted to located containers)."""
    try:
        import yaml
    except ImportError:
        problem = Problem(None, "YAML needs PyYAML (pip install 'genai-cost[yaml]'), or write the file as JSON")
        raise PriceFileError(path, [problem]) from None
    node = _compose_yaml(yaml, text, path)
    if node is None:
        return None
    converter = _YamlConverter(yaml)
    document = converter.convert(node)
    if converter.problems:
        raise PriceFileError(path, converter.problems)
    return document


def _compose_yaml(yaml: Any, text: str, path: str) -> Any:
    """The file's node tree; invalid YAML is a problem with the line PyYAML points at."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        raise PriceFileError(path, [Problem(line, f"invalid YAML: {error.problem or error.context}")]) from None
    except yaml.YAMLError as error:
        raise PriceFileError(path, [Problem(None, f"invalid YAML: {error}")]) from None


class _YamlConverter:
    """YAML nodes -> located mappings and lists; scalars built by PyYAML's safe constructor."""

    def __init__(self, yaml: Any) -> None:
        self.yaml = yaml
        self.constructor = yaml.SafeLoader("")
        self.problems: list[Problem] = []

    def convert(self, n: Any) -> Any:
        if isinstance(n, self.yaml.MappingNode):
            return self.mapping(n)
        if isinstance(n, self.yaml.SequenceNode):
            items = LocatedList(self.convert(item) for item in n.value)
            items.line, items.item_lines = n.start_mark.line + 1, [item.start_mark.line + 1 for item in n.value]
            return items
        try:
            return self.constructor.construct_object(n, deep=True)
        except self.yaml.YAMLError as error:
            self.problems.append(Problem(n.start_mark.line + 1, f"invalid value: {error}"))
            return None

    def mapping(self, n: Any) -> LocatedMap:
        result = LocatedMap()
        result.line, result.key_lines = n.start_mark.line + 1, {}
        for key_node, value_node in n.value:
            key = self.convert(key_node)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                self.problems.append(Problem(line, f"keys must be strings, got {key!r}"))
                continue
            if key in result:
                self.problems.append(Problem(line, f"duplicate key {key!r}"))
            result[key], result.key_lines[key] = self.convert(value_node), line
        return result
