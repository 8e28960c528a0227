"""Turn YAML files into models, and pydantic's complaints into ``file:line:col`` messages."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from drillbook.errors import LoadError, LoadErrors
from drillbook.formats.drill import Drill
from drillbook.formats.runbook import Runbook
from drillbook.formats.yaml_source import PathKey, SourceMap, load_yaml_file, load_yaml_text

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class Loaded(Generic[ModelT]):
    """A validated model with the file it came from and where each value stands."""

    model: ModelT
    source: SourceMap

    @property
    def path(self) -> Path:
        return self.source.path

    def line(self, *key: str | int) -> int:
        return self.source.line(tuple(key))


def load_runbook(path: Path | str) -> Loaded[Runbook]:
    return load_model(path, Runbook, "runbook")


def load_drill(path: Path | str) -> Loaded[Drill]:
    return load_model(path, Drill, "drill")


def load_model(path: Path | str, model: type[ModelT], what: str) -> Loaded[ModelT]:
    """Load ``path`` as ``model``; raises LoadError (one problem) or LoadErrors (several)."""
    document = load_yaml_file(path)
    return validate_document(document.data, document.source, model, what)


def load_model_text(
    text: str, model: type[ModelT], what: str, path: str = "<string>"
) -> Loaded[ModelT]:
    document = load_yaml_text(text, path)
    return validate_document(document.data, document.source, model, what)


def validate_document(
    data: Any, source: SourceMap, model: type[ModelT], what: str
) -> Loaded[ModelT]:
    if not isinstance(data, dict):
        kind = "empty" if data is None else f"a {type(data).__name__}"
        raise source.error(
            (), f"a {what} file holds a mapping of keys (id, title, ...); this is {kind}"
        )
    try:
        return Loaded(model.model_validate(data), source)
    except ValidationError as exc:
        errors = [_to_load_error(error, source, model) for error in exc.errors()]
        errors = _deduplicate(errors)
        if len(errors) == 1:
            raise errors[0] from None
        raise LoadErrors(errors) from None


def _deduplicate(errors: list[LoadError]) -> list[LoadError]:
    seen: set[str] = set()
    unique: list[LoadError] = []
    for error in sorted(errors, key=lambda e: (e.line, e.column)):
        if str(error) not in seen:
            seen.add(str(error))
            unique.append(error)
    return unique


def _data_path(loc: tuple[int | str, ...], source: SourceMap) -> PathKey:
    """Pydantic adds union and tagged-union members to ``loc``; keep the parts in the file."""
    kept: list[str | int] = []
    for part in loc:
        candidate = (*kept, part)
        if candidate in source.values or candidate in source.keys:
            kept.append(part)
    return tuple(kept)


def _to_load_error(error: ErrorDetails, source: SourceMap, model: type[BaseModel]) -> LoadError:
    loc = tuple(error["loc"])
    key = _data_path(loc, source)
    kind = error["type"]
    field = str(loc[-1]) if loc else ""
    if kind == "extra_forbidden":
        known = _known_keys(model, key[:-1], source)
        hint = difflib.get_close_matches(field, known, n=1, cutoff=0.6)
        suggestion = f"; did you mean `{hint[0]}`?" if hint else ""
        choices = f"; known keys here: {', '.join(known)}" if known and not hint else ""
        return source.error(key, f"unknown key `{field}`{suggestion}{choices}", at_key=True)
    if kind == "missing":
        return source.error(key, f"missing required key `{field}`", at_key=True)
    return source.error(key, _describe(error, key))


def format_key(key: PathKey) -> str:
    """``("steps", 0, "command")`` as ``steps[0].command``, the way people read it."""
    text = ""
    for part in key:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text or "document"


def _describe(error: ErrorDetails, key: PathKey) -> str:
    where = format_key(key)
    message = error["msg"]
    message = message.removeprefix("Value error, ")
    if error["type"] == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        return f"`{where}` is {error['input']!r}; it must be one of {expected}"
    if error["type"] == "string_pattern_mismatch":
        return (
            f"`{where}` is {error['input']!r}; use lowercase letters, digits, '.', '_' and '-' "
            "(for ids) or letters, digits and '_' (for variable names)"
        )
    return f"`{where}`: {message}"


def _known_keys(model: type[BaseModel], key: PathKey, source: SourceMap) -> list[str]:
    """The keys accepted at ``key``: walked through nested models, lists and unions."""
    current: list[type[BaseModel]] = [model]
    for part in key:
        if isinstance(part, int):
            continue
        inner = [found for candidate in current for found in _field_models(candidate, part)]
        if inner or any(_has_field(candidate, part) for candidate in current):
            current = inner
        # otherwise ``part`` is a key of a mapping of models (``services: {app: ...}``)
    names: set[str] = set()
    for candidate in current:
        names.update(info.alias or name for name, info in candidate.model_fields.items())
    return sorted(names)


def _has_field(model: type[BaseModel], key: str) -> bool:
    return any(key in (name, info.alias) for name, info in model.model_fields.items())


def _field_models(model: type[BaseModel], key: str) -> list[type[BaseModel]]:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return _models_in(info.annotation)
    return []


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [found for arg in getattr(annotation, "__args__", ()) for found in _models_in(arg)]
