"""Trees that cross from a loading worker to the build (`generator.load` on several cores).

A worker's trees come back pickled without libyaml's nodes, which would cost more to pickle than
to parse again. A `Reparse` source takes their place: asked for a location (by a diagnostic; a
clean build never asks), it parses the file again and hands the fresh nodes to the trees,
matched by their place in the documents. Trees it cannot match (the file changed or went away
since) are located at their document, or at the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.diagnostics import Location
from generator.source import PosDict, PosList
from generator.yaml_reader import ReadContext, parse_stream

if TYPE_CHECKING:
    from generator.load import RawDocument


def detach(documents: list[RawDocument], root: Path) -> None:
    """Make a file's documents ready to cross to the parent: parser nodes stay behind, a
    `Reparse` source takes their place. The documents' own locations, which every build reads,
    are computed before leaving."""
    if not documents:
        return
    reparse = Reparse(root, documents[0].file, [(d.index, d.data) for d in documents])
    for document in documents:
        document.data.location  # noqa: B018  (computed and kept, see above)
        pending: list[PosDict | PosList] = [document.data]
        while pending:
            current = pending.pop()
            current.bind(reparse, None)
            children = current.values() if isinstance(current, PosDict) else current
            pending.extend(child for child in children if isinstance(child, PosDict | PosList))


class Reparse:
    """The stale source (`generator.source.TreeSource`) of trees loaded by a worker."""

    stale = True

    def __init__(self, root: Path, display_name: str, roots: list[tuple[int, PosDict]]) -> None:
        self.root = root
        self.display_name = display_name
        self.roots = roots  # (index of the document in its file, its tree)

    def refresh(self) -> None:
        if not self.stale:
            return
        self.stale = False
        path = self.root / self.display_name
        try:
            text = path.read_bytes()
        except OSError:  # gone or unreadable since: everything is located at the file
            return
        parsed = enumerate(parse_stream(text, path, ReadContext(self.root)))
        fresh = {index: data for index, data in parsed if isinstance(data, PosDict)}
        for index, tree in self.roots:
            _adopt(tree, fresh.get(index))

    def location(self, _node: object) -> Location:
        return Location(self.display_name)

    def entries(self, _node: object) -> list[tuple[str, Any, Any]]:
        return []

    def items(self, _node: object) -> list[Any]:
        return []


def _adopt(mine: Any, fresh: Any) -> None:
    """Give `mine` (and what it holds) the source and nodes of its freshly parsed twin."""
    pending = [(mine, fresh)]
    while pending:
        tree, twin = pending.pop()
        if isinstance(tree, PosDict) and isinstance(twin, PosDict):
            tree.bind(*twin.origin)
            pending.extend((value, twin[key]) for key, value in tree.items() if key in twin)
        elif isinstance(tree, PosList) and isinstance(twin, PosList):
            tree.bind(*twin.origin)
            pending.extend(zip(tree, twin, strict=False))
