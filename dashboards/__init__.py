"""Dashboards as code, built from contract references (grafanalib only in _lib)."""
