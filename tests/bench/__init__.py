"""Benchmarks (`make bench`): not collected by pytest (setup.cfg's norecursedirs)."""
