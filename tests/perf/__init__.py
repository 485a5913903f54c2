"""Benchmark of the link workflow on the emulated clouds (python -m tests.perf)."""
