"""pytest plugin for mutation runs: Hypothesis draws the same examples every run.

A mutant that a random draw kills in one run and misses in the next would make the score
move without any change to the code or the tests; derandomized, two runs of the same tree
give the same score, so a before/after comparison measures the tests. No example database
either: a failure found for one mutant must not be replayed against the next.
"""

from __future__ import annotations

from hypothesis import settings

settings.register_profile("mutation", derandomize=True, database=None)
settings.load_profile("mutation")
