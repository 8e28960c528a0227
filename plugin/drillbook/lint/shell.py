"""Just enough of the shell language to lint runbook commands.

A runbook command is shell text: lines continued with ``\\``, ``#`` comments, quotes that span
lines, pipelines and lists (``a | b && c``) and here-documents. :func:`parse_script` turns it
into simple commands whose words keep their line and column inside the text, so a finding
can point at the exact word. Words are split here (shlex cannot tell where a word stood);
quote removal inside a word uses :mod:`shlex`, and a word shlex cannot read is kept as
written. Nothing in this module raises, whatever the text.

Not understood, and so not linted: commands inside ``$(...)`` and backquotes, aliases, and
text run through ``eval`` or ``bash -c``.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

Position = tuple[int, int]
"""A 0-based line and column inside the command text."""

_OPERATORS = (
    "<<<", "<<-", "&>>", ";;&", "&&", "||", ";;", "|&", ">>", "<<", ">&", "<&", "&>", ">|",
    "<>", "&", "|", ";", "(", ")", "<", ">",
)  # fmt: skip
_OPERATOR_CHARS = frozenset("&|;()<>")
_SEPARATORS = frozenset({"|", "|&", "||", "&&", ";", "&", ";;", ";;&", "(", ")"})
_PIPES = frozenset({"|", "|&"})
_STDIN_REDIRECTS = frozenset({"<", "<<", "<<<", "<<-", "<&", "<>"})
_HEREDOCS = frozenset({"<<", "<<-"})
_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[[^\]]*\])?\+?=")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REFERENCE = re.compile(r"\$\{[#!]?([A-Za-z_][A-Za-z0-9_]*)\}?|\$([A-Za-z_][A-Za-z0-9_]*)")

SHELL_KEYWORDS = frozenset({
    "!", "{", "}", "[[", "]]", "case", "do", "done", "elif", "else", "esac", "fi", "for",
    "function", "if", "in", "select", "then", "time", "until", "while",
})  # fmt: skip
SHELL_BUILTINS = frozenset({
    ":", ".", "[", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command",
    "compgen", "complete", "continue", "declare", "dirs", "disown", "echo", "enable", "eval",
    "exec", "exit", "export", "false", "fc", "fg", "getopts", "hash", "help", "history", "jobs",
    "kill", "let", "local", "logout", "mapfile", "popd", "printf", "pushd", "pwd", "read",
    "readarray", "readonly", "return", "set", "shift", "shopt", "source", "suspend", "test",
    "times", "trap", "true", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait",
})  # fmt: skip
_PREFIX_KEYWORDS = frozenset({"!", "{", "if", "then", "else", "elif", "while", "until", "do"})
_NOT_A_COMMAND = frozenset({
    "}", "[[", "]]", "case", "done", "esac", "fi", "for", "function", "in", "select",
})  # fmt: skip
# wrapper -> its options that take a value; the command it runs follows.
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-p", "-C", "-D", "-h", "-r", "-t", "-U", "-T"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "exec": frozenset({"-a"}),
    "time": frozenset(),
    "nohup": frozenset(),
    "nice": frozenset({"-n"}),
    "timeout": frozenset({"-s", "-k"}),
}


@dataclass
class Piece:
    """A stretch of the command text with each character's position."""

    chars: list[str] = field(default_factory=list)
    positions: list[Position] = field(default_factory=list)

    def add(self, char: str, position: Position) -> None:
        self.chars.append(char)
        self.positions.append(position)

    @property
    def text(self) -> str:
        return "".join(self.chars)

    def position(self, offset: int) -> Position:
        if not self.positions:
            return (0, 0)
        return self.positions[min(max(offset, 0), len(self.positions) - 1)]


@dataclass(frozen=True)
class Word:
    """One shell word: as written, after quote removal, and where it starts."""

    raw: str
    text: str
    line: int
    column: int


@dataclass(frozen=True)
class SimpleCommand:
    """A command between separators, without its redirections."""

    words: tuple[Word, ...]
    stdin_redirected: bool


@dataclass(frozen=True)
class Invocation:
    """The program a simple command runs, after assignments and wrappers such as ``sudo``."""

    name: Word
    args: tuple[Word, ...]
    wrappers: tuple[str, ...]
    stdin_redirected: bool


@dataclass(frozen=True)
class Heredoc:
    """A here-document body; ``expands`` when its delimiter was not quoted."""

    body: Piece
    expands: bool


@dataclass(frozen=True)
class VarRef:
    """A ``$NAME`` or ``${NAME}`` reference."""

    name: str
    raw: str
    line: int
    column: int


@dataclass(frozen=True)
class Script:
    """A parsed command: logical lines, here-documents and the simple commands in them."""

    lines: tuple[Piece, ...]
    heredocs: tuple[Heredoc, ...]
    commands: tuple[SimpleCommand, ...]
    functions: frozenset[str]

    def invocations(self) -> Iterator[Invocation]:
        for command in self.commands:
            invocation = resolve(command)
            if invocation is not None:
                yield invocation

    def references(self) -> Iterator[VarRef]:
        """Every variable reference that the shell would expand."""
        for piece in self.lines:
            yield from _references(piece, quotes=True)
        for heredoc in self.heredocs:
            if heredoc.expands:
                yield from _references(heredoc.body, quotes=False)

    def assigned(self) -> frozenset[str]:
        """Names the command sets itself (``FOO=1``, ``export``, ``read``, ``for``)."""
        names: set[str] = set()
        for command in self.commands:
            names.update(_assigned_by(command))
        return frozenset(names)

    def searchable(self) -> Iterator[Piece]:
        """The text that is code or data, without comments: lines and here-documents."""
        yield from self.lines
        for heredoc in self.heredocs:
            yield heredoc.body


@functools.lru_cache(maxsize=512)
def parse_script(text: str) -> Script:
    """Parse ``text`` as shell; never raises. Several rules read the same command: cached."""
    scanner = _Scanner(text.split("\n"))
    scanner.run()
    commands: list[SimpleCommand] = []
    functions: set[str] = set()
    for piece in scanner.logical:
        commands.extend(_commands(piece, _tokenize(piece.text), functions))
    return Script(
        tuple(scanner.logical), tuple(scanner.heredocs), tuple(commands), frozenset(functions)
    )


def string_references(text: str) -> Iterator[tuple[str, str, int]]:
    """``$NAME``/``${NAME}`` in a plain string (an HTTP url, header or body): name, raw, offset."""
    for match in _REFERENCE.finditer(text):
        if match.start() > 0 and text[match.start() - 1] == "\\":
            continue
        yield (match.group(1) or match.group(2), match.group(0), match.start())


# -- logical lines ------------------------------------------------------------------------


class _Scanner:
    """Joins continued lines and multi-line quotes, drops comments, sets aside here-docs."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.logical: list[Piece] = []
        self.heredocs: list[Heredoc] = []
        self.current = Piece()
        self.quote: str | None = None

    def run(self) -> None:
        index = 0
        while index < len(self.lines):
            continued = self.scan_line(index)
            index += 1
            if continued:
                continue
            finished, self.current = self.current, Piece()
            if finished.text.strip():
                self.logical.append(finished)
                index = self.take_heredocs(finished, index)
        if self.current.text.strip():
            self.logical.append(self.current)

    def scan_line(self, index: int) -> bool:
        """Scan one physical line; True when the logical line goes on to the next."""
        line = self.lines[index]
        column = 0
        while column < len(line):
            char = line[column]
            if self.quote == "'":
                self.current.add(char, (index, column))
                self.quote = None if char == "'" else self.quote
            elif char == "\\":
                if column == len(line) - 1:
                    return True
                self.current.add(char, (index, column))
                self.current.add(line[column + 1], (index, column + 1))
                column += 1
            elif self.quote == '"':
                self.current.add(char, (index, column))
                self.quote = None if char == '"' else self.quote
            elif char == "#" and self.at_word_start():
                break
            else:
                self.quote = char if char in "'\"" else None
                self.current.add(char, (index, column))
            column += 1
        if self.quote is not None:
            self.current.add("\n", (index, len(line)))
            return True
        return False

    def at_word_start(self) -> bool:
        return (
            not self.current.chars
            or self.current.chars[-1].isspace()
            or (self.current.chars[-1] in _OPERATOR_CHARS)
        )

    def take_heredocs(self, piece: Piece, index: int) -> int:
        """Set aside the bodies of the here-documents ``piece`` opens; the next line index."""
        tokens = _tokenize(piece.text)
        for position, token in enumerate(tokens[:-1]):
            if not (token.operator and token.raw in _HEREDOCS) or tokens[position + 1].operator:
                continue
            raw = tokens[position + 1].raw
            delimiter = _unquote(raw)
            body = Piece()
            while index < len(self.lines) and self.lines[index].strip() != delimiter:
                for column, char in enumerate(self.lines[index] + "\n"):
                    body.add(char, (index, column))
                index += 1
            index += 1
            expands = not any(char in raw for char in "'\"\\")
            self.heredocs.append(Heredoc(body, expands))
        return index


# -- words and simple commands ------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    raw: str
    start: int
    operator: bool


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char.isspace():
            index += 1
        elif char in _OPERATOR_CHARS:
            operator = next(op for op in _OPERATORS if text.startswith(op, index))
            tokens.append(_Token(operator, index, True))
            index += len(operator)
        else:
            end = _word_end(text, index)
            tokens.append(_Token(text[index:end], index, False))
            index = end
    return tokens


def _word_end(text: str, index: int) -> int:
    depth = 0
    while index < len(text):
        char = text[index]
        if depth == 0 and (char.isspace() or char in _OPERATOR_CHARS):
            break
        if char == "\\":
            index += 2
        elif char in "'`":
            index = _closing(text, index, char)
        elif char == '"':
            index = _double_quote_end(text, index)
        elif char == "$" and text.startswith("{", index + 1):
            index = _closing(text, index + 1, "}")
        elif char == "$" and text.startswith("(", index + 1):
            depth += 1
            index += 2
        else:
            depth += {"(": 1, ")": -1}.get(char, 0) if depth else 0
            index += 1
    return min(index, len(text))


def _closing(text: str, index: int, char: str) -> int:
    end = text.find(char, index + 1)
    return len(text) if end < 0 else end + 1


def _double_quote_end(text: str, index: int) -> int:
    index += 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
        elif text[index] == '"':
            return index + 1
        else:
            index += 1
    return len(text)


def _unquote(raw: str) -> str:
    """The word after quote removal; shlex reads it, and a word it cannot read stays as is."""
    try:
        parts = shlex.split(raw, comments=False, posix=True)
    except ValueError:
        return raw
    return " ".join(parts)


def _commands(piece: Piece, tokens: list[_Token], functions: set[str]) -> Iterator[SimpleCommand]:
    words: list[Word] = []
    stdin = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if not token.operator:
            words.append(_word(piece, token))
            continue
        if token.raw in _SEPARATORS:
            if token.raw == "(" and _is_function_definition(words, tokens, index):
                functions.add(words[0].text)
                words, index = [], index + 1
                continue
            if words:
                yield SimpleCommand(tuple(words), stdin)
            words, stdin = [], token.raw in _PIPES
            continue
        stdin = stdin or token.raw in _STDIN_REDIRECTS
        if words and words[-1].text.isdigit() and _touches(words[-1], token, piece):
            words.pop()
        if index < len(tokens) and not tokens[index].operator:
            index += 1  # the redirection's target
    if words:
        yield SimpleCommand(tuple(words), stdin)


def _is_function_definition(words: list[Word], tokens: list[_Token], index: int) -> bool:
    return (
        len(words) == 1
        and index < len(tokens)
        and tokens[index].raw == ")"
        and _IDENTIFIER.match(words[0].text.replace("-", "_")) is not None
    )


def _touches(word: Word, token: _Token, piece: Piece) -> bool:
    line, column = piece.position(token.start)
    return (line, column) == (word.line, word.column + len(word.raw))


def _word(piece: Piece, token: _Token) -> Word:
    line, column = piece.position(token.start)
    return Word(token.raw, _unquote(token.raw), line, column)


def resolve(command: SimpleCommand) -> Invocation | None:
    """The program ``command`` runs; None for assignments alone and compound syntax."""
    words = command.words
    index = _skip_assignments(words, 0)
    wrappers: list[str] = []
    while index < len(words):
        name = words[index].text
        if name in _NOT_A_COMMAND:
            return None
        if name in _PREFIX_KEYWORDS:
            index += 1
        elif name in _WRAPPERS:
            wrappers.append(name)
            index = _skip_wrapper(name, words, index + 1)
        else:
            return Invocation(
                words[index], words[index + 1 :], tuple(wrappers), command.stdin_redirected
            )
    return None


def _skip_assignments(words: tuple[Word, ...], index: int) -> int:
    while index < len(words) and _ASSIGNMENT.match(words[index].raw):
        index += 1
    return index


def _skip_wrapper(name: str, words: tuple[Word, ...], index: int) -> int:
    with_value = _WRAPPERS[name]
    while index < len(words) and words[index].text.startswith("-") and words[index].text != "-":
        if words[index].text == "--":
            index += 1
            break
        index += 2 if words[index].text in with_value else 1
    if name == "timeout" and index < len(words):
        index += 1  # the duration
    return _skip_assignments(words, index)


# -- variables ----------------------------------------------------------------------------


def _references(piece: Piece, *, quotes: bool) -> Iterator[VarRef]:
    """References in ``piece``; with ``quotes``, none inside single quotes or after ``\\``."""
    text = piece.text
    index = 0
    in_double = False
    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if quotes and char == "'" and not in_double:
            index = _closing(text, index, "'")
            continue
        if quotes and char == '"':
            in_double = not in_double
        match = _REFERENCE.match(text, index) if char == "$" else None
        if match:
            line, column = piece.position(index)
            yield VarRef(match.group(1) or match.group(2), match.group(0), line, column)
            index = match.end()
            continue
        index += 1


def _assigned_by(command: SimpleCommand) -> Iterator[str]:
    words = command.words
    for word in words:
        match = _ASSIGNMENT.match(word.raw)
        if not match:
            break
        yield match.group(1)
    texts = [word.text for word in words]
    if len(texts) >= 2 and texts[0] in ("for", "select") and _IDENTIFIER.match(texts[1]):
        yield texts[1]
    invocation = resolve(command)
    if invocation is None:
        return
    if invocation.name.text in ("export", "local", "declare", "typeset", "readonly"):
        for arg in invocation.args:
            name = arg.text.split("=", 1)[0]
            if _IDENTIFIER.match(name):
                yield name
    elif invocation.name.text in ("read", "mapfile", "readarray", "getopts", "printf"):
        yield from (arg.text for arg in invocation.args if _IDENTIFIER.match(arg.text))
