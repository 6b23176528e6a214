from __future__ import annotations

from collections.abc import Iterator

from contract import alerting
from contract.checks.base import ContractCheck
from contract.loader import LoadedContract
from contract.naming import PATHS
from contract.problems import Problem

# who answers the scrape of each kind of path, as the warning names them
_TARGET = {"service": "the service", "collector": "the Collector"}


class StackPaths(ContractCheck):
    """`stack.paths` names the declared paths whose series the generated stack collects.

    Each must be a path of `exposition`. Without `stack.paths` the stack
    collects every declared path. An application exposes through one path at
    a time, so when the declared paths are scraped at two targets (the
    service itself and the Collector) and the contract has `alerts:`, the
    target of the path the service does not use stays down and the
    target-down alert fires for it for good: a warning, until `stack.paths`
    names the path in use (or names both, for a service deployed both ways).
    """

    id = "contract/stack-paths"
    summary = "the paths of `stack.paths` must be declared; a warning when alerts would watch an unused target"

    def run(self, lc: LoadedContract) -> Iterator[Problem]:
        c = lc.contract
        for i, path in enumerate(c.stack.paths):
            if path not in c.exposition:
                declared = ", ".join(f"`{p}`" for p in c.exposition)
                yield self.at(lc, ("stack", "paths", i), f"`{path}` is not a declared exposition path "
                              f"(declared: {declared})")
        scraped = dict.fromkeys(PATHS[p].scraped for p in c.exposition if PATHS[p].scraped in _TARGET)
        if c.alerts is not None and not c.stack.paths and len(scraped) > 1:
            targets = " and ".join(_TARGET[kind] for kind in scraped)
            yield self.warn(lc, ("exposition",), f"the stack scrapes {targets}, and an application exposes through "
                            f"one path at a time: the unused target stays down and "
                            f"`{alerting.target_down_name(c)}` fires for it; name the path in use in `stack.paths`")
