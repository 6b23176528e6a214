"""Generators that write `out/` from a contract, and the `metrics-contract` CLI."""
