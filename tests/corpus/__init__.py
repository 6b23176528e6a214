"""Dashboards and rule files in the styles found in the field, written by the test suite (see `build`)."""
