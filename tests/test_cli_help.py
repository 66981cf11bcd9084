import pytest
from click.testing import CliRunner

from ficaudio.cli import main


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_command_help_has_an_example(command):
    result = CliRunner().invoke(main, [command, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output and f"ficaudio {command}" in result.output.split("Example:")[1]
