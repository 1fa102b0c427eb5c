"""Benchmarks: `make bench` (all) or `python -m bench <name> [...]`.

Each module in this package with a ``run(argv) -> int`` function is one
benchmark. Figures are medians and ratios against a baseline measured in the
same run: the machine is shared and noisy, so absolute numbers alone mean little.
"""
