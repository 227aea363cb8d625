"""Benchmarks (`make bench`): not collected by pytest (norecursedirs in pyproject.toml)."""
