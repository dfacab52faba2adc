"""recipes.commands.run_module: a module's output goes to its log, and a failure names the log."""

import re

import pytest

from recipes import commands


def test_a_module_runs_from_the_repository_root_with_its_output_in_the_log(tmp_path):
    log = tmp_path / "logs" / "run.log"
    commands.run_module(["json.tool", "official_configs/bert_base_uncased.json"], str(log))
    assert '"hidden_size": 768' in log.read_text()


def test_a_failing_module_raises_naming_it_and_its_log(tmp_path):
    log = tmp_path / "fail.log"
    expected = rf"json\.tool failed \(exit \d+\); see {re.escape(str(log))}"
    with pytest.raises(RuntimeError, match=expected):
        commands.run_module(["json.tool", "no_such_file.json"], str(log))
    assert "no_such_file.json" in log.read_text()
