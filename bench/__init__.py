"""Benchmarks: they print figures (ratios measured in one run); they assert nothing about time."""
