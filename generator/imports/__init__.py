"""Imports: SLOs written for other tools, translated into native definitions before validation.

`translate` runs right after loading, on the positioned trees. Sloth `prometheus/v1` files
(`sloth`) and OpenSLO v1 documents (`openslo`) become native SLO trees that keep the foreign
positions, then `attach` adds them to their service: so validation, resolving and every later
diagnostic treat them as native SLOs and point into the file the user wrote. Every other
document passes through untouched. What cannot be imported is reported at its `file:line`.
"""

from __future__ import annotations

from generator.diagnostics import Diagnostic
from generator.imports import openslo, sloth
from generator.imports.attach import Slot, attach
from generator.imports.tree import Notes
from generator.load import RawDocument


def translate(documents: list[RawDocument]) -> tuple[list[RawDocument], list[Diagnostic]]:
    """The documents with foreign ones translated, and what the translation found."""
    notes = Notes()
    foreign = [raw for raw in documents if openslo.recognizes(raw)]
    from_openslo = openslo.translate(foreign, notes) if foreign else {}
    slots: list[Slot] = []
    for raw in documents:
        if sloth.recognizes(raw):
            slots.append(sloth.translate(raw, notes))
        elif openslo.recognizes(raw):
            slots.append(from_openslo.get((raw.file, raw.index), []))
        else:
            slots.append(raw)
    if len(slots) == len(documents) and all(a is b for a, b in zip(slots, documents, strict=True)):
        return documents, notes.items
    return attach(slots, notes), notes.items
