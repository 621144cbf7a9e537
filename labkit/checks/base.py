"""The machinery behind every exercise check: run the learner's code on real cases, then say
clearly what passed or precisely what to fix.

A check function builds a ``CheckReport`` with ``case`` blocks; a case that raises ``Hint`` (or
any exception from the learner's code) fails with a message naming the input and what was
expected. ``report.show()`` prints the verdict (notebooks) and returns the report, whose ``ok``
tells tests the outcome. A check never raises on a wrong answer, so a notebook keeps running.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["CheckReport", "Hint", "expect"]


class Hint(Exception):
    """A specific, helpful explanation of what is wrong with the learner's answer."""


def expect(condition: bool, hint: str) -> None:
    """Fail the current case with ``hint`` unless ``condition`` holds."""
    if not condition:
        raise Hint(hint)


@dataclass
class CheckReport:
    """The outcome of one exercise check."""

    name: str
    passed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.passed) and not self.failed

    @contextmanager
    def case(self, description: str) -> Iterator[None]:
        """Run one case; an exception becomes a failure with a hint instead of propagating."""
        try:
            yield
        except Hint as hint:
            self.failed.append((description, str(hint)))
        except NotImplementedError:
            self.failed.append((description, "not implemented yet: replace the `...` / raise"))
        except Exception as exc:  # the learner's code crashed: show where, briefly
            last = traceback.extract_tb(exc.__traceback__)[-1]
            self.failed.append(
                (
                    description,
                    f"your code raised {type(exc).__name__}: {exc} "
                    f"(line {last.lineno}: {(last.line or '').strip()})",
                )
            )
        else:
            self.passed.append(description)

    def text(self) -> str:
        """The verdict for people."""
        if self.ok:
            return f"✅ {self.name}: all {len(self.passed)} checks passed."
        lines = [
            f"❌ {self.name}: {len(self.failed)} of "
            f"{len(self.failed) + len(self.passed)} checks need another look."
        ]
        for description, hint in self.failed:
            lines.append(f"  - {description}: {hint}")
        return "\n".join(lines)

    def show(self) -> CheckReport:
        """Print the verdict; returns self so a test can read ``ok``."""
        print(self.text())
        return self

    def _repr_pretty_(self, p, cycle) -> None:  # IPython shows the text, not the dataclass
        p.text(self.text())
