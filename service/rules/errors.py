"""Rule errors as authors see them: `path/to/file.yaml:LINE:COL: rule <id>: message`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, order=True)
class RuleError:
    file: str
    line: int
    col: int
    rule_id: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.col}"
        return f"{where}: rule {self.rule_id}: {self.message}" if self.rule_id else (f"{where}: {self.message}")


class RuleSetError(Exception):
    """Raised when a pack cannot be published; carries every error found, not only the first."""

    def __init__(self, errors: list[RuleError], version: str = "") -> None:
        self.errors = sorted(errors)
        self.version = version
        super().__init__("\n".join(str(e) for e in self.errors))
