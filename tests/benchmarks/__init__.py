"""Benchmarks (issue 8): every row measured against a floor in the same run. Run `python -m tests.benchmarks`.

Not part of the default test run (pyproject's addopts ignores this folder); see docs/performance.md.
"""
