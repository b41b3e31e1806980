"""The one loader: files → validated `RuleSetSpec`, or every error at once.

`sitrep check`, `sitrep test`, `sitrep serve` and every hot reload call `load_rules`; there is no
second path. Files are read once into memory first, so a reload judges one consistent snapshot.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path as FsPath
from typing import Any

from pydantic import ValidationError

from service.errors import E
from service.events.lexicons import EngineLexicons
from service.events.registry import BUILTIN, EventType, all_types
from service.rules.cache import cached, pack_key
from service.rules.errors import RuleError, RuleSetError
from service.rules.lint import combined_lexicons, lexicon_warnings, referenced_lexicons, rule_warnings
from service.rules.needs import ModelComponents, components_for
from service.rules.schema import (
    ContextModel,
    DocContext,
    EventTypeModel,
    RuleFileModel,
    RuleModel,
    RuleSetSpec,
    RuleSpec,
)
from service.rules.templates import apply_templates
from service.rules.validate import Report, build_spec, declared_type
from service.rules.yamlpos import Path, Positions, YamlError, load

RULE_SUFFIXES = (".yaml", ".yml")


MAX_FILE_BYTES = 512 * 1024
MAX_LEXICON_ENTRIES = 20_000
MAX_PHRASES = 20_000


@dataclass(frozen=True, slots=True)
class Snapshot:
    """The rule files of a directory as read at one moment: (relative path, bytes).

    `refused`: files that exist but cannot be part of a pack (unreadable, too large, a link out of
    the root), as (shown name, coded message); any of them refuses the reload. `ignored`: files
    whose name is not UTF-8, left out of the pack and reported beside it.
    """

    root: str
    files: tuple[tuple[str, bytes], ...]
    refused: tuple[tuple[str, str], ...] = ()
    ignored: tuple[tuple[str, str], ...] = ()

    @property
    def version(self) -> str:
        digest = hashlib.sha256()
        for name, data in self.files:
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        for name, message in (*self.refused, *self.ignored):
            digest.update(name.encode() + b"\1" + message.encode())
        return digest.hexdigest()[:16]

    def refused_errors(self) -> list[RuleError]:
        """The refused files as errors: a pack without one of its files must not load."""
        return [RuleError(name, 1, 1, "", message) for name, message in self.refused]

    def ignored_errors(self) -> list[RuleError]:
        return [RuleError(name, 1, 1, "", message) for name, message in self.ignored]

    def problems(self) -> list[RuleError]:
        return [*self.refused_errors(), *self.ignored_errors()]


def discover(root: FsPath) -> list[FsPath]:
    """Rule files under `root`, recursively, skipping hidden entries.

    Hidden names cover editor swap files (`.x.yaml.swp`, `.#x.yaml`) and the `..data` /
    `..<timestamp>` directories of a Kubernetes ConfigMap volume, whose visible symlinks we read.
    """
    found = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or not path.name.endswith(RULE_SUFFIXES):
            continue
        if path.is_file() or path.is_symlink():
            found.append(path)
    return found


def printable(name: str) -> str:
    """A file name as UTF-8 text; undecodable bytes (kept as surrogates by Python) become U+FFFD."""
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def read_snapshot(root: FsPath) -> Snapshot:
    """Read every rule file. A file that vanishes mid-read is simply not part of the snapshot;
    one that cannot be read, is too large or links out of `root` is refused by name, unread."""
    files: list[tuple[str, bytes]] = []
    refused: list[tuple[str, str]] = []
    ignored: list[tuple[str, str]] = []
    real_root = root.resolve()
    for path in discover(root):
        name = str(path.relative_to(root))
        shown = printable(str(root / name))
        if shown != str(root / name):
            ignored.append((shown, E.R115.format()))
            continue
        try:
            if not path.resolve().is_relative_to(real_root):
                refused.append((shown, E.R109.format()))
                continue
            size = path.stat().st_size
            if size > MAX_FILE_BYTES:
                refused.append((shown, E.R106.format(size=size, limit=MAX_FILE_BYTES)))
                continue
            files.append((name, path.read_bytes()))
        except FileNotFoundError:
            continue
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (resolve)
            refused.append((shown, E.R105.format(problem=exc.strerror if isinstance(exc, OSError) else "link loop")))
    return Snapshot(str(root), tuple(files), tuple(refused), tuple(ignored))


def load_rules(root: FsPath | str, components: ModelComponents | None = None) -> RuleSetSpec:
    """Load and validate a rules directory. `components`: what the model provides, if known.
    A pack without errors comes from the on-disk cache when it was loaded before (`cache.py`).
    A refused file (too big, a link out of the directory) is an error, as it is to a reload: the
    tools must not check, test or evaluate a pack that quietly lacks one of its files."""
    snapshot = read_snapshot(FsPath(root))
    refused = snapshot.refused_errors()
    try:
        spec = load_snapshot(snapshot, components, disk_cache=True)
    except RuleSetError as exc:
        raise RuleSetError([*refused, *exc.errors], exc.version) from None
    if refused:
        raise RuleSetError(refused, spec.version)
    return spec


def load_snapshot(
    snapshot: Snapshot, components: ModelComponents | None = None, *, disk_cache: bool = False
) -> RuleSetSpec:
    """Validate the readable files of a snapshot (its refused and ignored files are the caller's).
    `disk_cache`: take the spec from, and store it in, the on-disk pack cache (`service/rules/cache.py`);
    a pack with errors is never stored, so its errors are always found afresh."""
    if disk_cache:
        key = pack_key(snapshot.root, snapshot.files, (*snapshot.refused, *snapshot.ignored), components)
        return cached(key, lambda: _load_snapshot(snapshot, components))
    return _load_snapshot(snapshot, components)


def _load_snapshot(snapshot: Snapshot, components: ModelComponents | None) -> RuleSetSpec:
    errors: list[RuleError] = []
    parsed: list[tuple[str, RuleFileModel, Any, Positions]] = []
    for name, data in snapshot.files:
        shown = str(FsPath(snapshot.root) / name)
        result = _parse_file(shown, data, errors)
        if result is not None:
            parsed.append((shown, *result))

    lexicons: dict[str, list[str]] = {}
    lexicon_at: dict[str, tuple[str, int]] = {}
    for shown, model, _raw, positions in parsed:
        for name, words in model.lexicons.items():
            line, col = positions.of(("lexicons", name))
            if name in lexicons:
                first = ":".join(map(str, lexicon_at[name]))
                errors.append(RuleError(shown, line, col, "", E.R205.format(name=name, first=first)))
                continue
            if len(words) > MAX_LEXICON_ENTRIES:
                message = E.R211.format(name=name, count=len(words), limit=MAX_LEXICON_ENTRIES)
                errors.append(RuleError(shown, line, col, "", message))
                continue
            lexicons[name], lexicon_at[name] = words, (shown, line)
    included = _include_lexicons(lexicons, lexicon_at, errors)
    priorities = _named(parsed, "priorities", errors, E.R117)
    templates = _named(parsed, "templates", errors, E.R214)
    declared_contexts = _named(parsed, "contexts", errors, E.R217)
    contexts = _contexts(parsed, declared_contexts, lexicons, errors)
    used = referenced_lexicons(list(templates.values())) | set(EngineLexicons.names()) | included
    used |= {context.lexicon for context in declared_contexts.values()}
    lints: list[RuleError] = []

    declared = _declared_types(parsed, errors)
    types = all_types(declared)
    rules: list[RuleSpec] = []
    first_seen: dict[str, str] = {}
    for shown, model, raw, positions in parsed:
        for index, rule_raw in enumerate(model.rules):
            base: Path = ("rules", index)
            line, col = positions.of(base)
            rule_id = str(rule_raw.get("id", ""))
            report = _reporter(errors, shown, positions, base, rule_id)
            rule_raw = apply_templates(rule_raw, templates, report)
            if model.event is not None:
                rule_raw = {"event": model.event, **rule_raw}  # the file's event type, unless the rule names one
            used |= referenced_lexicons(rule_raw)
            lints += [RuleError(shown, line, col, rule_id, m) for m in combined_lexicons(rule_raw, lexicons)]
            try:
                rule = RuleModel.model_validate(rule_raw)
            except ValidationError as exc:
                _schema_errors(shown, raw, positions, exc, base, errors)
                continue

            report = _reporter(errors, shown, positions, base, rule.id)
            if rule.id in first_seen:
                report(("id",), E.R110.format(rule_id=rule.id, first=first_seen[rule.id]))
            if rule.phrases is not None and len(rule.phrases) > MAX_PHRASES:
                report(("phrases",), E.R212.format(count=len(rule.phrases), limit=MAX_PHRASES))
                continue
            if rule.context is not None and rule.context not in declared_contexts:
                report(("context",), E.R217.format(name=rule.context, problem="no such context in the pack"))
            first_seen.setdefault(rule.id, f"{shown}:{line}")
            example_lines = [positions.of((*base, "examples", i))[0] for i in range(len(rule.examples))]
            spec = build_spec(
                rule, rule_raw, lexicons, shown, line, example_lines, report, types, priorities, model.expand
            )
            if components is not None and spec.status != "disabled":
                _check_needs(spec, components, report)
            rules.append(spec)
    if errors:
        raise RuleSetError(errors, snapshot.version)
    warnings = sorted(lints + lexicon_warnings(lexicons, lexicon_at, used) + rule_warnings(rules))
    files = tuple(name for name, _ in snapshot.files)
    engine = EngineLexicons.from_words({**reserved_defaults(), **lexicons})
    return RuleSetSpec(
        snapshot.version, tuple(rules), files, declared, tuple(warnings), lexicons=engine,
        contexts=tuple(contexts.values()),
    )  # fmt: skip


def _include_lexicons(
    lexicons: dict[str, list[str]], lexicon_at: dict[str, tuple[str, int]], errors: list[RuleError]
) -> set[str]:
    """Expand the entries `$name` of a lexicon into that lexicon's words, in place: a hand list and
    a list generated from WordNet stay apart in the files (one edited, one rewritten by a script)
    and act as one lexicon in the rules. A word the including lexicon already lists is not added
    twice; an unknown name or a cycle is an error at the including lexicon. Returns the names
    included (used, for W101)."""
    done: dict[str, list[str]] = {}
    included: set[str] = set()

    def words_of(name: str, trail: tuple[str, ...]) -> list[str]:
        if name in done:
            return done[name]
        own = [word for word in lexicons[name] if not word.startswith("$")]
        words, seen = list(own), set(own)
        for entry in lexicons[name]:
            if not entry.startswith("$"):
                continue
            ref = entry[1:]
            included.add(ref)
            shown, line = lexicon_at[name]
            if ref not in lexicons:
                known = ", ".join(sorted(lexicons))
                errors.append(RuleError(shown, line, 1, "", E.R202.format(name=ref, known=known)))
            elif ref in trail:
                errors.append(RuleError(shown, line, 1, "", E.R218.format(name=name, cycle=" > ".join((*trail, ref)))))
            else:
                added = [word for word in words_of(ref, (*trail, ref)) if word not in seen]
                words += added
                seen.update(added)
        done[name] = words
        return words

    for name in list(lexicons):
        lexicons[name] = words_of(name, (name,))
    return included


def _contexts(
    parsed: list[tuple[str, RuleFileModel, Any, Positions]],
    declared: dict[str, ContextModel],
    lexicons: dict[str, list[str]],
    errors: list[RuleError],
) -> dict[str, DocContext]:
    """The pack's document contexts (`declared`: the first definition of each name), each with
    its lexicon's words as lower-case lemmas; one whose lexicon the pack lacks is R217."""
    found: dict[str, DocContext] = {}
    for shown, model, _raw, positions in parsed:
        for name, context in model.contexts.items():
            if declared.get(name) is not context:  # a second definition: R217 from `_named`
                continue
            if context.lexicon not in lexicons:
                line, col = positions.of(("contexts", name, "lexicon"))
                problem = f"lexicon {context.lexicon!r} is not defined in the pack"
                errors.append(RuleError(shown, line, col, "", E.R217.format(name=name, problem=problem)))
                continue
            lemmas = frozenset(word.lower() for word in lexicons[context.lexicon])
            found[name] = DocContext(name, lemmas, context.min_words, context.per_tokens)
    return found


@cache
def reserved_defaults() -> dict[str, list[str]]:
    """The built-in reserved lexicons (`reserved_lexicons.yaml` beside this module), for packs that
    define none of their own: YAML like a pack's, so the words stay out of Python."""
    text = resources.files("service.rules").joinpath("reserved_lexicons.yaml").read_text("utf-8")
    return RuleFileModel.model_validate(load(text)[0]).lexicons


def _named(
    parsed: list[tuple[str, RuleFileModel, Any, Positions]], section: str, errors: list[RuleError], code: E
) -> dict[str, Any]:
    """A pack-wide section (`priorities`, `templates`): any file may define an entry, once."""
    found: dict[str, Any] = {}
    first: dict[str, str] = {}
    for shown, model, _raw, positions in parsed:
        for name, value in getattr(model, section).items():
            line, col = positions.of((section, name))
            if name in found:
                message = code.format(name=name, problem=f"already defined at {first[name]}")
                errors.append(RuleError(shown, line, col, "", message))
                continue
            found[name], first[name] = value, f"{shown}:{line}"
    return found


def _reporter(errors: list[RuleError], file: str, positions: Positions, base: Path, rule_id: str = "") -> Report:
    """Records an error at a path inside `base` (a rule, a type declaration) at its YAML position."""

    def report(path: Path, message: str) -> None:
        line, col = positions.of((*base, *path))
        errors.append(RuleError(file, line, col, rule_id, message))

    return report


def _declared_types(
    parsed: list[tuple[str, RuleFileModel, Any, Positions]], errors: list[RuleError]
) -> tuple[EventType, ...]:
    """The `event_types` of every file: any file may declare one, for the rules of all files."""
    declared: dict[str, EventType] = {}
    first: dict[str, str] = {name: "built in" for name in BUILTIN}
    for shown, model, raw, positions in parsed:
        for index, type_raw in enumerate(model.event_types):
            base: Path = ("event_types", index)
            line = positions.of(base)[0]
            try:
                type_model = EventTypeModel.model_validate(type_raw)
            except ValidationError as exc:
                _schema_errors(shown, raw, positions, exc, base, errors)
                continue

            report = _reporter(errors, shown, positions, base)
            if type_model.name in first:
                report(("name",), E.R113.format(name=type_model.name, first=first[type_model.name]))
                continue
            first[type_model.name] = f"at {shown}:{line}"
            declared[type_model.name] = declared_type(type_model, report)
    return tuple(declared.values())


def _parse_file(shown: str, data: bytes, errors: list[RuleError]) -> tuple[RuleFileModel, Any, Positions] | None:
    try:
        raw, positions = load(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        errors.append(RuleError(shown, 1, 1, "", E.R105.format(problem=f"not UTF-8 ({exc.reason})")))
        return None
    except YamlError as exc:
        coded = exc.message.startswith("[R")  # a refusal of ours (aliases, depth) keeps its own code
        message = exc.message if coded else E.R101.format(problem=exc.message)
        errors.append(RuleError(shown, exc.line, exc.col, "", message))
        return None
    if not isinstance(raw, dict):
        errors.append(RuleError(shown, 1, 1, "", E.R102.format()))
        return None
    try:
        return RuleFileModel.model_validate(raw), raw, positions
    except ValidationError as exc:
        _schema_errors(shown, raw, positions, exc, (), errors)
        return None


def _schema_errors(
    shown: str, raw: Any, positions: Positions, exc: ValidationError, base: Path,
    errors: list[RuleError],
) -> None:  # fmt: skip
    for err in exc.errors():
        path = _raw_path(raw, (*base, *err["loc"]))
        rule_id = _rule_id(raw, path)
        line, col = positions.of(path)
        if err["type"] == "extra_forbidden":
            message = E.R103.format(path=_dotted(path[:-1]), problem=f"unknown key {path[-1]!r}")
        else:
            message = E.R103.format(path=_dotted(path), problem=err["msg"])
        errors.append(RuleError(shown, line, col, rule_id, message))


def _raw_path(raw: Any, loc: tuple[int | str, ...]) -> Path:
    """The prefix of a pydantic location that exists in the data (drops union branch names)."""
    path: list[str | int] = []
    node = raw
    for part in loc:
        inside_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if inside_list or (isinstance(node, dict) and part in node):
            node = node[part]
        else:
            if isinstance(node, dict) and isinstance(part, str):
                path.append(part)  # a missing key: shown at its parent mapping
            break
        path.append(part)
    return tuple(path)


def _rule_id(raw: Any, path: Path) -> str:
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        rule = raw.get("rules", [])[path[1]]
        if isinstance(rule, dict) and isinstance(rule.get("id"), str):
            return str(rule["id"])
        return f"#{path[1] + 1}"
    return ""


def _dotted(path: Path) -> str:
    return ".".join(str(p) for p in path) or "(file)"


def _check_needs(spec: RuleSpec, model: ModelComponents, report: Any) -> None:
    for attr in sorted(spec.attrs):
        for component in sorted(components_for([attr]) - model.components):
            report(
                (spec.kind,),
                E.R301.format(attr=attr, component=component, model=model.model,
                              have=", ".join(sorted(model.components)) or "no components"),
            )  # fmt: skip
