"""REGEX predicates with a bounded cost.

spaCy tests a REGEX with Python's backtracking `re.search` on every token. The loader rejects the
exponential shapes (R207), but even a plain `\\w*x` is quadratic in the token's length under
`search` (12 s on one 100k-character token), and a token can be that long. So the compiled rule set
never hands spaCy a raw REGEX: each becomes a token extension that only tests tokens of at most
`MAX_TOKEN_CHARS` characters. Longer tokens never match a REGEX, which no real word notices.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import Any

from spacy.tokens import Token

MAX_TOKEN_CHARS = 256
TokenPattern = dict[str, Any]


def _reader(attr: str) -> Callable[[Token], str]:
    if attr in {"TEXT", "ORTH"}:
        return lambda token: token.text
    if attr == "MORPH":
        return lambda token: str(token.morph)
    name = f"{attr.lower()}_"
    return lambda token: str(getattr(token, name))


def _extension(attr: str, regex: str) -> str:
    """Register (once per process) the extension testing `regex` on `attr`; return its name."""
    name = "sitrep_re_" + hashlib.sha1(f"{attr}\0{regex}".encode()).hexdigest()[:16]
    if not Token.has_extension(name):
        read, compiled = _reader(attr), re.compile(regex)

        def test(token: Token) -> bool:
            text = read(token)
            return len(text) <= MAX_TOKEN_CHARS and compiled.search(text) is not None

        Token.set_extension(name, getter=test)
    return name


def bound_token(spec: TokenPattern) -> TokenPattern:
    """One token's attributes with every `{ATTR: {REGEX: ...}}` moved into a bounded extension."""
    out: TokenPattern = {}
    extensions: dict[str, bool] = {}
    for key, value in spec.items():
        if key != "_" and isinstance(value, dict) and isinstance(value.get("REGEX"), str):
            extensions[_extension(key.upper(), value["REGEX"])] = True
            rest = {k: v for k, v in value.items() if k != "REGEX"}
            if rest:
                out[key] = rest
        else:
            out[key] = value
    if extensions:
        out["_"] = {**out.get("_", {}), **extensions}
    return out


def bound_pattern(pattern: list[TokenPattern], dependency: bool = False) -> list[TokenPattern]:
    """A Matcher pattern (a list of tokens) or a DependencyMatcher one (nodes with RIGHT_ATTRS)."""
    if dependency:
        return [{**node, "RIGHT_ATTRS": bound_token(node.get("RIGHT_ATTRS", {}))} for node in pattern]
    return [bound_token(token) for token in pattern]
