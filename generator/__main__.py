"""`python -m generator` is the same as `gen`."""

from generator.cli import entry

entry()
