"""``python -m generator`` is the ``briefing`` command."""

from generator.cli import run

run()
