"""A safe YAML loader that remembers where every value came from.

It composes the YAML node graph with PyYAML's safe loader and converts it to plain
Python data itself, so that it can refuse what a runbook never needs: tags that
construct objects, duplicate keys, and documents that expand (through aliases) far
beyond their size on disk. Every value's line and column is kept, keyed by its path
from the document root, so later errors can point at ``file:line:col``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
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
MAX_DEPTH = 100  # nested lists/maps; deeper data (e.g. through aliases) would overflow the stack
_LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")  # what YAML counts as a new line

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
            path,
            1,
            1,
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
    except yaml.reader.ReaderError as exc:
        raise _reader_error(path, text, exc) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = _within(text, mark) if mark else (1, 1)
        raise LoadError(path, line, column, f"YAML syntax error: {_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise LoadError(path, 1, 1, f"YAML error: {exc}") from None
    source = SourceMap(path)
    if not nodes:
        return YamlDocument(None, source)
    if len(nodes) > 1:
        line, column = _within(text, nodes[1].start_mark)
        raise LoadError(
            path,
            line,
            column,
            "the file holds several YAML documents (separated by ---); put one per file",
        )
    converter = _Converter(source, text)
    converter.expanded_size(nodes[0], {}, 0)
    return YamlDocument(converter.convert(nodes[0], ()), source)


def _within(text: str, mark: yaml.Mark) -> tuple[int, int]:
    """The 1-based line and column of ``mark``, inside ``text``: libyaml puts the end of a
    file without a final line break on a line after it."""
    lines = _LINE_BREAK.split(text)
    if mark.line >= len(lines):
        return len(lines), len(lines[-1]) + 1
    return mark.line + 1, min(mark.column + 1, len(lines[mark.line]) + 1)


def _problem(exc: yaml.MarkedYAMLError) -> str:
    """The problem, and where the construct it broke started when that is elsewhere."""
    problem = exc.problem or exc.context or "invalid YAML"
    start, end = exc.context_mark, exc.problem_mark
    if exc.problem and exc.context and start and end and start.index != end.index:
        problem += f" ({exc.context} at line {start.line + 1}, column {start.column + 1})"
    return problem


def _reader_error(path: Path, text: str, exc: yaml.reader.ReaderError) -> LoadError:
    """A character YAML refuses, at its line and column (the error itself has an offset)."""
    code = exc.character if isinstance(exc.character, int) else 0
    index = max(text.find(chr(code)), 0)
    before = text[:index]
    breaks = list(_LINE_BREAK.finditer(before))
    column = index - (breaks[-1].end() if breaks else 0) + 1
    return LoadError(
        path,
        len(breaks) + 1,
        column,
        f"character U+{code:04X} is not allowed in YAML ({exc.reason}); remove it",
    )


class _Converter:
    def __init__(self, source: SourceMap, text: str) -> None:
        self.source = source
        self.text = text
        self.lines = len(_LINE_BREAK.findall(text)) + 1
        self.visited = 0
        self.constructor = SafeConstructor()
        self.open: set[int] = set()  # the collections being converted, innermost included

    def position(self, node: Node) -> tuple[int, int]:
        mark = node.start_mark
        if mark.line < self.lines:
            return (mark.line + 1, mark.column + 1)
        return _within(self.text, mark)  # the end of a file without a final line break

    def fail(self, node: Node, message: str) -> LoadError:
        return LoadError(self.source.path, *self.position(node), message)

    def convert(self, node: Node, key: PathKey) -> Any:
        self.visited += 1
        if self.visited > MAX_EXPANDED_NODES:
            raise self.fail(
                node,
                f"the document expands to more than {MAX_EXPANDED_NODES} values through "
                "aliases (&anchor / *alias); write the values out or use fewer aliases",
            )
        self.source.values.setdefault(key, self.position(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if isinstance(node, SequenceNode):
            self.check_tag(node, _SEQ_TAG)
            with self.entered(node):
                return [self.convert(item, (*key, i)) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            self.check_tag(node, _MAP_TAG)
            with self.entered(node):
                return self.mapping(node, key)
        raise self.fail(node, "unsupported YAML node")  # pragma: no cover

    def expanded_size(self, node: Node, sizes: dict[int, int], depth: int) -> int:
        """How many values ``node`` becomes once aliases are expanded, counted on the node
        graph (each shared node once), so a billion-laughs document fails before expanding."""
        if id(node) in sizes or depth > MAX_DEPTH:
            return sizes.get(id(node), 1)  # a cycle or deep nesting: convert() reports it
        sizes[id(node)] = 1
        if isinstance(node, SequenceNode):
            children = list(node.value)
        elif isinstance(node, MappingNode):
            children = [value for _, value in node.value]
        else:
            return 1
        total = 1 + sum(self.expanded_size(child, sizes, depth + 1) for child in children)
        if total > MAX_EXPANDED_NODES:
            raise self.fail(
                node,
                f"this value expands to more than {MAX_EXPANDED_NODES} values through "
                "aliases (&anchor / *alias); write the values out or use fewer aliases",
            )
        sizes[id(node)] = total
        return total

    @contextmanager
    def entered(self, node: Node) -> Iterator[None]:
        """Convert inside ``node``: refuses alias cycles and nesting deeper than MAX_DEPTH."""
        if id(node) in self.open:
            raise self.fail(
                node,
                "this value contains an alias to itself (*alias inside its own &anchor); "
                "YAML cycles cannot be read as plain data",
            )
        if len(self.open) >= MAX_DEPTH:
            raise self.fail(node, f"the document nests more than {MAX_DEPTH} levels deep")
        self.open.add(id(node))
        try:
            yield
        finally:
            self.open.discard(id(node))

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
            self.source.keys[child] = self.position(key_node)
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
            with self.entered(source):
                for name, value in self.mapping(source, key).items():
                    merged.setdefault(name, value)
        return merged


def _tag_message(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return (
        f"YAML tag {short!r} is not allowed: drillbook files hold plain data only; "
        "remove the tag or quote the value"
    )
