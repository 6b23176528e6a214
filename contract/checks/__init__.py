"""Contract checks, one per file; `registry` lists them in the order they run."""
