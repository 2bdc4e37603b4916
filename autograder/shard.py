"""``make grade ARGS='--shard i/n'``: which submissions one of n graders takes.

A submission belongs to shard ``1 + sha256(student id) mod n``: stable across runs and
machines (never Python's salted ``hash``), and every submission of one student lands on the
same grader, so no two graders ever add the same student to a shared gradebook at once.
Run shards 1/n ... n/n, on one machine or several, against one database (``--db``).
"""
from __future__ import annotations

import argparse
import hashlib
import re
from dataclasses import dataclass

FORM = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def shard_of(student: str, count: int) -> int:
    """The shard (1..count) that grades ``student``'s submissions."""
    digest = hashlib.sha256(student.encode("utf-8")).digest()
    return 1 + int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True)
class Shard:
    index: int  # 1..count
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"i/n"`` with 1 <= i <= n; an argparse type (a bad one raises ArgumentTypeError)."""
        found = FORM.match(text or "")
        if not found:
            raise argparse.ArgumentTypeError(f"--shard takes i/n, e.g. 1/2 (got {text!r})")
        index, count = int(found.group(1)), int(found.group(2))
        if not 1 <= index <= count:
            raise argparse.ArgumentTypeError(f"--shard {text}: i must be between 1 and n")
        return cls(index, count)

    def holds(self, student: str) -> bool:
        return shard_of(student, self.count) == self.index

    @property
    def label(self) -> str:
        """For file names: ``shard-1-of-2``."""
        return f"shard-{self.index}-of-{self.count}"

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
