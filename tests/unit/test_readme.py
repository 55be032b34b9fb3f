"""What the README states that the code can check: it stays short, its role
table is the roles that exist, the roles it says have a Molecule scenario
are those that do, and every make target and project path it names exists."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_the_readme_is_at_most_250_lines():
    assert len(README.splitlines()) <= 250


def test_the_role_table_lists_every_role_and_no_other():
    listed = set(re.findall(r"^\| \[`(\w+)`\]\(roles/(?:aws|host)/\1/README\.md\) \|", README, re.M))
    existing = {p.parent.parent.name for p in ROOT.glob("roles/*/*/meta/argument_specs.yml")}
    assert listed == existing


def test_the_roles_said_to_have_a_scenario_have_one():
    said = set(re.findall(r"`(\w+)`", re.search(r"; ((?:`\w+`(?:, | and )?)+) have a Molecule scenario", README)
                           .group(1)))
    have = {p.parts[-4] for p in ROOT.glob("roles/*/*/molecule/*/molecule.yml")}
    assert said == have


def test_every_make_target_named_exists():
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.M))
    named = set(re.findall(r"`make ([a-z][a-z-]*)", README)) | set(re.findall(r"^make ([a-z][a-z-]*)", README, re.M))
    assert named and named <= targets, named - targets


def test_every_project_path_named_exists():
    named = set(re.findall(r"`((?:playbooks|inventories|lab|scripts|docs|roles|tests|group_vars|molecule|plugins)"
                           r"/[\w./-]*\w)`", README))
    named |= set(re.findall(r"\]\(((?:docs|roles)/[^)#]+)", README))
    missing = sorted(p for p in named if "<" not in p and "*" not in p and not (ROOT / p).exists())
    assert named and not missing, missing
