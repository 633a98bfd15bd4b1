"""The local stack when a component cannot start: a clear error naming it, with its log, and no
process left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.stack.local import StackOptions, running_stack
from generator.stack.processes import StackError
from tests.conftest import require_tool
from tests.stack import scenario


def test_no_generated_folder_means_run_gen_build_first(tmp_path: Path) -> None:
    with (
        pytest.raises(StackError, match="run `gen build` first"),
        running_stack(StackOptions(generated=tmp_path / "generated", state=tmp_path / "state")),
    ):
        pass  # pragma: no cover - never reached


@pytest.mark.tools
def test_a_component_that_does_not_start_is_named_with_its_log(tmp_path: Path) -> None:
    require_tool("prometheus")
    config = tmp_path / "generated" / "prometheus" / "prometheus.yml"
    config.parent.mkdir(parents=True)
    config.write_text("global:\n  scrape_interval: often\n")
    options = StackOptions(
        generated=tmp_path / "generated",
        state=tmp_path / "state",
        ports=scenario.free_ports(),
        node_exporter=False,
    )
    with pytest.raises(StackError) as caught, running_stack(options):
        pass  # pragma: no cover - never reached
    message = str(caught.value)
    assert message.startswith(f"prometheus did not become ready at {options.ports.url('prometheus')}/-/ready")
    assert "often" in message  # Prometheus's own complaint, from its log
    assert (tmp_path / "state" / "logs" / "prometheus.log").is_file()
