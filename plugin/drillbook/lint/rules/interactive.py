"""``interactive-command``: programs that wait for a terminal or run forever hang a drill.

Manual steps are for people and are not checked. A program run under ``timeout`` cannot hang,
and a program whose input comes from a pipe, a file or a here-document does not wait at a
prompt (``psql <<'SQL' ... SQL`` is fine).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from drillbook.lint.document import LintDocument
from drillbook.lint.finding import Finding, Severity
from drillbook.lint.rules.base import LintOptions
from drillbook.lint.rules.commands import CommandUse, command_uses, short_flags, word_position

RULE = "interactive-command"

_UNTIL = "`until: {interval: 10s, timeout: 5m}` plus an `expect:` block"
_PAGERS = frozenset({"less", "more", "most", "pg"})
_EDITORS = frozenset({"vi", "vim", "nvim", "nano", "pico", "emacs", "joe", "mcedit"})
_MONITORS = frozenset({"top", "htop", "btop", "atop", "iotop", "nmon", "glances"})
_SSH_WITH_VALUE = frozenset("BbcDEeFIiJLlmOoPpQRSWw")
_PSQL_WITH_VALUE = frozenset("dhpUvoLFRPT")
_PSQL_RUNS = frozenset(
    {"-c", "--command", "-f", "--file", "-l", "--list", "-V", "--version", "--help", "-?"}
)
_MYSQL_WITH_VALUE = frozenset("uphPDS")
_MYSQL_RUNS = frozenset({"-e", "--execute", "-V", "--version", "--help", "-?"})
_FOLLOW = re.compile(r"^(?:--follow(?:=.*)?|-[A-Za-z0-9]*[fF][A-Za-z0-9]*)$")


def check(document: LintDocument, options: LintOptions) -> Iterator[Finding]:
    for use in command_uses(document, include_manual=False):
        if "timeout" in use.invocation.wrappers:
            continue
        problem = hang(use)
        if problem:
            position = word_position(document, use.action, use.invocation.name)
            yield document.finding_at(
                position, RULE, Severity.ERROR, f"{problem} ({use.action.label})"
            )


def hang(use: CommandUse) -> str | None:
    """Why ``use`` would hang a drill, with what to write instead; None when it would not."""
    program = use.program
    check_for = _CHECKS.get(program)
    if check_for is not None:
        return check_for(use)
    if program in _PAGERS:
        return f"`{program}` is a pager that waits for keys; print the output (`cat`, `head -n 50`)"
    if program in _EDITORS:
        return (
            f"`{program}` is an interactive editor; make the change with a command "
            "(`sed -i`, `tee`) instead"
        )
    if program in _MONITORS and not (program == "top" and "n" in short_flags(use.args)):
        return (
            f"`{program}` runs until a key is pressed; take one sample (`top -b -n 1`, `ps`) "
            f"and repeat it with {_UNTIL} if you need to wait"
        )
    return None


def _watch(use: CommandUse) -> str:
    return (
        "`watch` never exits, so a drill would hang here; run the check once and repeat it "
        f"with {_UNTIL} instead"
    )


def _follow(use: CommandUse) -> str | None:
    args = use.args
    follows = any(_FOLLOW.match(arg) for arg in args)
    if use.program == "kubectl":
        watching = any(arg in ("-w", "--watch") for arg in args)
        follows = watching or (follows and "logs" in args)
    elif use.program == "docker":
        follows = follows and "logs" in args
    if not follows:
        return None
    return (
        f"`{use.program}` following its output never exits; read a bounded slice "
        f"(`tail -n 100`, `--since 5m`) or wait for a line with {_UNTIL}"
    )


def _psql(use: CommandUse) -> str | None:
    if use.invocation.stdin_redirected or _runs_something(
        use.args, _PSQL_RUNS, "cf", _PSQL_WITH_VALUE
    ):
        return None
    return (
        '`psql` without `-c` waits at its prompt; pass the SQL: `psql "$DATABASE_URL" -c '
        '"SELECT 1"` (or `-f file.sql`, or a here-document)'
    )


def _mysql(use: CommandUse) -> str | None:
    if use.invocation.stdin_redirected or _runs_something(
        use.args, _MYSQL_RUNS, "e", _MYSQL_WITH_VALUE
    ):
        return None
    return '`mysql` without `-e` waits at its prompt; pass the SQL: `mysql -e "SELECT 1"`'


def _runs_something(
    args: list[str], exact: frozenset[str], letters: str, with_value: frozenset[str]
) -> bool:
    """Whether an option in ``exact`` (or a short cluster reaching one of ``letters``) is
    given; letters after an option that takes a value are that value."""
    for arg in args:
        if arg in exact or any(arg.startswith(option + "=") for option in exact):
            return True
        if arg.startswith("-") and not arg.startswith("--"):
            for letter in arg[1:]:
                if letter in letters:
                    return True
                if letter in with_value:
                    break
    return False


def _ssh(use: CommandUse) -> str | None:
    if use.invocation.stdin_redirected:
        return None
    args = use.args
    flags = short_flags(args)
    if flags & {"V", "G", "O"}:
        return None
    if "N" in flags:
        if "f" in flags:
            return None
        return "`ssh -N` forwards ports until it is killed; add `-f` to send it to the background"
    if len(_positionals(args)) >= 2:
        return None
    return (
        "`ssh` without a remote command opens an interactive shell; give the command: "
        "`ssh host 'systemctl status app'`"
    )


def _positionals(args: list[str]) -> list[str]:
    found: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if found or not arg.startswith("-") or arg == "-":
            found.append(arg)
            continue
        for position, letter in enumerate(arg[1:], start=1):
            if letter in _SSH_WITH_VALUE:
                index += 0 if arg[position + 1 :] else 1
                break
    return found


_CHECKS: dict[str, Callable[[CommandUse], str | None]] = {
    "watch": _watch,
    "tail": _follow,
    "journalctl": _follow,
    "kubectl": _follow,
    "docker": _follow,
    "psql": _psql,
    "mysql": _mysql,
    "ssh": _ssh,
}
