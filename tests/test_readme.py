from tests.conftest import ROOT


def _commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.startswith("    apt-get update")]


def test_readme_opens_with_render_and_test_commands():
    render, tests = _commands()[:2]
    assert "ficaudio render seeds/000_653e07ef9e538d7a.txt" in render
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci
