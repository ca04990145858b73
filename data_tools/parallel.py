"""A process pool for --workers N, or the same interface in this process for 1."""
from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor


class _Done:
    def __init__(self, fn, args):
        self.fn, self.args = fn, args

    def result(self):
        return self.fn(*self.args)  # run when asked, in order, like a pool's result()


class InlinePool:
    def submit(self, fn, *args):
        return _Done(fn, args)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def pool(workers: int):
    return ProcessPoolExecutor(workers) if workers > 1 else InlinePool()
