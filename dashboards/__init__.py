"""Dashboards as code, built from contract references (grafanalib only in `lib`); docs/dashboards.md."""
