"""Checks, one per file. The registries are `contract_registry` (the contract
itself) and `promql_registry` (dashboards and rule files); this package
imports neither, so loading one PromQL check does not pull in pydantic.
"""
