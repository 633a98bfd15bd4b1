"""Positioned trees: locations found only when read, and then exactly as if found at once."""

from __future__ import annotations

import pickle

from generator.diagnostics import Location
from generator.load import load
from generator.source import DeferredLocation, locate
from tests.conftest import WriteFiles


def test_a_deferred_location_is_a_location_in_everything_that_shows(make_repo: WriteFiles) -> None:
    root = make_repo({"rules/a.yaml": "kind: Team\nname: payments\ndescription: pays\n"})
    data = load(root).documents[0].data
    found = locate(data, ["description"])
    assert isinstance(found, DeferredLocation)
    real = Location("rules/a.yaml", 3, 14, 4)
    # Compared, ordered and hashed with plain locations, from either side.
    assert found == real and real == found and Location("rules/a.yaml", 3, 15) != found
    assert Location("rules/a.yaml", 2, 1) < found and found > Location("rules/a.yaml", 2, 1)
    assert found <= real and found >= real and found in {real}
    assert str(found) == "rules/a.yaml:3:14" and found.width == 4
    # Pickled (diagnostics cross from forked workers) as a plain location.
    copied = pickle.loads(pickle.dumps(locate(data, ["name"], key=True)))
    assert type(copied) is Location and copied == Location("rules/a.yaml", 2, 1, 4)


def test_the_file_of_a_deferred_location_is_known_without_locating(make_repo: WriteFiles) -> None:
    root = make_repo({"rules/a.yaml": "kind: Team\nname: payments\n"})
    data = load(root).documents[0].data
    found = locate(data, ["name"])
    assert found.file == "rules/a.yaml"
    assert "_where" in found.__dict__  # still not located
    assert found.line == 2 and "_where" not in found.__dict__
