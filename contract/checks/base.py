"""What every contract check is: an id, a one-line summary, a docstring, and `run`, which yields problems."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

from contract.loader import LoadedContract
from contract.problems import Problem, Severity


class ContractCheck:
    id: ClassVar[str]
    summary: ClassVar[str]
    severity: ClassVar[Severity] = "error"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        raise NotImplementedError

    def at(self, lc: LoadedContract, path: tuple[str | int, ...], message: str, *, key: bool = False,
           metric: str = "") -> Problem:
        return lc.at(path, self.id, message, severity=self.severity, key=key, metric=metric)

    def warn(self, lc: LoadedContract, path: tuple[str | int, ...], message: str, *, metric: str = "") -> Problem:
        return lc.at(path, self.id, message, severity="warning", metric=metric)
