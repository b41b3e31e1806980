"""Safe YAML loading that remembers where every value came from.

PyYAML's SafeLoader composes a node tree carrying marks; we build plain Python from it and keep a
map from each value's path (`("rules", 0, "pattern", 2)`) to its 1-based (line, column). Only
standard YAML tags are constructed, so a rule file can never execute code. Aliases are refused
(a few hundred bytes of nested aliases expand to gigabytes) and nesting is capped, so the cost
of loading is linear in the file's size. The last few loaded texts are remembered (pickled), so
a hot reload re-parses only the files that changed: the pure-Python parser needs about a second
for the shipped pack.
"""

from __future__ import annotations

import pickle
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import yaml

from service.errors import E

Path = tuple[str | int, ...]
MAX_DEPTH = 64
_KEEP = 32  # loaded texts remembered
_loaded: OrderedDict[str, bytes] = OrderedDict()
_loaded_lock = threading.Lock()  # reloads, drafts and checks may load from different threads


@dataclass(frozen=True)
class Positions:
    """Where each path of a loaded document starts in its file."""

    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: Path) -> tuple[int, int]:
        """The position of `path`, or of its nearest recorded ancestor."""
        for cut in range(len(path), -1, -1):
            if path[:cut] in self.marks:
                return self.marks[path[:cut]]
        return (1, 1)


class YamlError(Exception):
    def __init__(self, line: int, col: int, message: str) -> None:
        super().__init__(message)
        self.line, self.col, self.message = line, col, message


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


_FLOW = re.compile(r"[\[\]{}'\"#\n]")


def _check_flow_depth(text: str) -> None:
    """Refuse deep `[`/`{` nesting before PyYAML sees it: its scanner is quadratic in the flow
    level (1,000 levels took 3 s) and its composer recursive. Quotes and comments are skipped."""
    depth, quote, comment, line, line_start = 0, "", False, 1, 0
    for match in _FLOW.finditer(text):
        char = match.group()
        if char == "\n":
            comment, line, line_start = False, line + 1, match.end()
        elif comment:
            continue
        elif quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "#":
            comment = match.start() == 0 or text[match.start() - 1] in " \t"
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlError(line, match.start() - line_start + 1, E.R108.format(limit=MAX_DEPTH))
        else:
            depth = max(0, depth - 1)


def load(text: str) -> tuple[Any, Positions]:
    """Parse one YAML document. Raises YamlError with the position of the first problem."""
    with _loaded_lock:
        known = _loaded.get(text)
        if known is not None:
            _loaded.move_to_end(text)
    if known is not None:
        loaded: tuple[Any, Positions] = pickle.loads(known)  # a fresh copy: callers may change it
        return loaded
    loaded = _parse(text)
    with _loaded_lock:
        _loaded[text] = pickle.dumps(loaded)
        while len(_loaded) > _KEEP:
            _loaded.popitem(last=False)
    return loaded


def _parse(text: str) -> tuple[Any, Positions]:
    _check_flow_depth(text)
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as exc:  # the reader rejects control characters up front
        raise YamlError(1, 1, str(exc).splitlines()[0]) from None
    try:
        root = loader.get_single_node()
        positions = Positions()
        data = _build(loader, root, (), positions, set()) if root is not None else None
        return data, positions
    except RecursionError:  # the composer recurses per level, before _build can count them
        raise YamlError(1, 1, E.R108.format(limit=MAX_DEPTH)) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlError(line, col, exc.problem or str(exc)) from None
    except yaml.YAMLError as exc:
        raise YamlError(1, 1, str(exc).splitlines()[0]) from None
    finally:
        loader.dispose()


_MAP, _SEQ = "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"


def _build(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Path,
    pos: Positions,
    seen: set[int],
    at: yaml.Node | None = None,
) -> Any:
    """Plain data from `node`; a mapping value is positioned at its key, where authors look.

    The composer hands an alias over as the very node it names, so a node met twice is an alias."""
    pos.marks[path] = _mark(at or node)
    if id(node) in seen:
        raise YamlError(*_mark(at or node), E.R107.format(line=_mark(node)[0]))
    seen.add(id(node))
    if len(path) > MAX_DEPTH:
        raise YamlError(*_mark(node), E.R108.format(limit=MAX_DEPTH))
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode) and node.tag not in (_MAP, _SEQ):
        raise YamlError(*_mark(node), f"tag {node.tag!r} is not allowed")
    if isinstance(node, yaml.MappingNode):
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | bool | float) or key is None:
                raise YamlError(*_mark(key_node), f"unsupported mapping key {key!r}")
            if key in out:
                raise YamlError(*_mark(key_node), f"duplicate key {key!r}")
            out[key] = _build(loader, value_node, (*path, str(key)), pos, seen, key_node)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, item, (*path, i), pos, seen) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)
