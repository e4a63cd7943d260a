"""Runnable pytest suites that show how to use pytest-warmup, one feature per file.

Run them all with ``pytest examples`` from the repository root.
"""
