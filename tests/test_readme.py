"""README's two commands are what CI runs, so a missing install step fails CI, not a user."""
import re

from tests.conftest import ROOT


def readme_commands():
    block = re.search(r"```bash\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    return [line.strip() for line in block.group(1).splitlines() if line.strip()]


def test_readme_starts_with_install_and_test_commands():
    run_cmd, test_cmd = readme_commands()[:2]
    assert run_cmd.endswith("python run_pad.py") and " install " in run_cmd
    assert "[test]" in test_cmd and "pytest" in test_cmd


def test_ci_runs_the_readme_install_and_test_parts_verbatim():
    ci = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    install, test = readme_commands()[1].split(" && ")
    assert install in ci and test in ci
    assert ci.index(install) < ci.index(test)


def test_readme_is_a_guide_not_a_notebook():
    assert len((ROOT / "README.md").read_text(encoding="utf-8").splitlines()) <= 250
