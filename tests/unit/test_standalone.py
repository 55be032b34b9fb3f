"""Repository-wide rules: the project stands alone (nothing points outside
the repository) and host keys are never switched off."""

import re
import subprocess

import pytest

from labhelpers import ROOT


def tracked_text_files():
    names = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    for name in names:
        path = ROOT / name
        if path.is_file() and not path.is_symlink():
            try:
                yield name, path.read_text()
            except UnicodeDecodeError:
                continue


@pytest.mark.parametrize("pattern, why, docs_too", [
    (r"\.\./shared\b", "points outside the repository", True),
    # Documentation may name the setting it forbids; configuration may not.
    (r"StrictHostKeyChecking\s*=?\s*no", "switches host key checking off", False),
    (r"host_key_checking\s*[=:]\s*(false|False|no)\b", "switches host key checking off", False),
    (r"UserKnownHostsFile\s*=?\s*/dev/null", "throws host keys away", False),
])
def test_no_tracked_file(pattern, why, docs_too):
    offenders = [name for name, text in tracked_text_files()
                 if name != "tests/unit/test_standalone.py" and (docs_too or not name.endswith(".md"))
                 and re.search(pattern, text)]
    assert not offenders, f"{why}: {offenders}"
