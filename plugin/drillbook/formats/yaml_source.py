"""A safe YAML loader that remembers where every value came from.

It composes the YAML node graph with PyYAML's safe loader and converts it to plain
Python data itself, so that it can refuse what a runbook never needs: tags that
construct objects, duplicate keys, and documents that expand (through aliases) far
beyond their size on disk. Every value's line and column is kept, keyed by its path
from the document root, so later errors can point at ``file:line:col``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from drillbook.errors import LoadError

PathKey = tuple[str | int, ...]

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_EXPANDED_NODES = 200_000

# libyaml's composer when PyYAML was built with it: the same nodes and marks, much faster.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_PLAIN_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MAP_TAG = "tag:yaml.org,2002:map"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class SourceMap:
    """Where each value of a loaded document stands in its file (1-based)."""

    path: Path
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def value_position(self, key: PathKey) -> tuple[int, int]:
        """The position of the value at ``key``, or of its nearest recorded ancestor."""
        for candidate in _ancestors(key):
            if candidate in self.values:
                return self.values[candidate]
        return (1, 1)

    def key_position(self, key: PathKey) -> tuple[int, int]:
        """The position of the mapping key that names ``key`` (falls back to the value)."""
        if key in self.keys:
            return self.keys[key]
        return self.value_position(key)

    def line(self, key: PathKey) -> int:
        return self.value_position(key)[0]

    def error(self, key: PathKey, message: str, *, at_key: bool = False) -> LoadError:
        line, column = self.key_position(key) if at_key else self.value_position(key)
        return LoadError(self.path, line, column, message)


def _ancestors(key: PathKey) -> Iterator[PathKey]:
    for end in range(len(key), -1, -1):
        yield key[:end]


@dataclass
class YamlDocument:
    """Plain data (dicts, lists, scalars) and the positions it came from."""

    data: Any
    source: SourceMap


def load_yaml_file(path: Path | str) -> YamlDocument:
    """Read one YAML document from ``path``; every problem is a LoadError with a position."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LoadError(path, 1, 1, f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise LoadError(
            path, 1, 1,
            f"the file is {len(raw)} bytes; drillbook reads YAML files of at most "
            f"{MAX_FILE_BYTES} bytes. Split it into several files.",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise LoadError(path, line, 1, "the file is not UTF-8 text; save it as UTF-8") from None
    return load_yaml_text(text, path)


def load_yaml_text(text: str, path: Path | str = "<string>") -> YamlDocument:
    """Parse ``text`` as one YAML document (an empty document gives ``None``)."""
    path = Path(path)
    try:
        nodes = list(yaml.compose_all(text, Loader=_LOADER))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or exc.context or "invalid YAML"
        raise LoadError(path, line, column, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as exc:
        raise LoadError(path, 1, 1, f"YAML error: {exc}") from None
    source = SourceMap(path)
    if not nodes:
        return YamlDocument(None, source)
    if len(nodes) > 1:
        mark = nodes[1].start_mark
        raise LoadError(
            path, mark.line + 1, mark.column + 1,
            "the file holds several YAML documents (separated by ---); put one per file",
        )
    converter = _Converter(source)
    return YamlDocument(converter.convert(nodes[0], ()), source)


class _Converter:
    def __init__(self, source: SourceMap) -> None:
        self.source = source
        self.visited = 0
        self.constructor = SafeConstructor()

    def fail(self, node: Node, message: str) -> LoadError:
        mark = node.start_mark
        return LoadError(self.source.path, mark.line + 1, mark.column + 1, message)

    def convert(self, node: Node, key: PathKey) -> Any:
        self.visited += 1
        if self.visited > MAX_EXPANDED_NODES:
            raise self.fail(
                node,
                f"the document expands to more than {MAX_EXPANDED_NODES} values through "
                "aliases (&anchor / *alias); write the values out or use fewer aliases",
            )
        self.source.values.setdefault(key, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            self.check_tag(node, _SEQ_TAG)
            return [self.convert(item, (*key, i)) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self.check_tag(node, _MAP_TAG)
            return self.mapping(node, key)
        raise self.fail(node, "unsupported YAML node")  # pragma: no cover

    def check_tag(self, node: Node, expected: str) -> None:
        if node.tag != expected:
            raise self.fail(node, _tag_message(node.tag))

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag not in _PLAIN_TAGS:
            raise self.fail(node, _tag_message(node.tag))
        try:
            value = self.constructor.construct_object(node, deep=True)
        except (ConstructorError, ValueError) as exc:
            raise self.fail(node, f"cannot read this value: {exc}") from None
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value
        return value

    def mapping(self, node: MappingNode, key: PathKey) -> dict[str, Any]:
        result: dict[str, Any] = {}
        explicit: set[str] = set()
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.update(self.merge_sources(value_node, key))
                continue
            if not isinstance(key_node, ScalarNode):
                raise self.fail(key_node, "a mapping key must be a plain value, not a list or map")
            name = self.scalar(key_node)
            name = str(name) if not isinstance(name, str) else name
            if name in explicit:
                first = self.source.keys.get((*key, name))
                where = f" (first at line {first[0]})" if first else ""
                raise self.fail(key_node, f"duplicate key {name!r}{where}; keep only one")
            explicit.add(name)
            child = (*key, name)
            self.source.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            result[name] = self.convert(value_node, child)
        for name, value in merged.items():
            result.setdefault(name, value)
        return result

    def merge_sources(self, node: Node, key: PathKey) -> dict[str, Any]:
        nodes = node.value if isinstance(node, SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in nodes:
            if not isinstance(source, MappingNode):
                raise self.fail(source, "a merge key (<<) takes a mapping or a list of mappings")
            for name, value in self.mapping(source, key).items():
                merged.setdefault(name, value)
        return merged


def _tag_message(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return (
        f"YAML tag {short!r} is not allowed: drillbook files hold plain data only; "
        "remove the tag or quote the value"
    )
