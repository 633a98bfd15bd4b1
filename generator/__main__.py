"""`python -m generator` is the same as `gen`."""

from generator.cli import main

main(prog_name="gen")
