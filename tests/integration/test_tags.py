"""Tags: the set site.yml offers is the set docs/runbooks.md documents (one word,
one meaning), and each provisioning tag works alone on an account where
nothing exists yet. (`provision` is the whole of provision.yml, tested in
test_provision.py; the configuration tags run alone in the site scenario,
molecule/default.)"""

import os
import re
import subprocess

import pytest

from labhelpers import ROOT
from test_provision import instances

DOCUMENTED = {"provision", "aws_backup", "aws_network", "aws_security_groups", "aws_nat", "aws_devhost",
              "aws_alerts",
              "nat_instance", "docker", "app_stack", "db_backup"}


def offered_tags():
    res = subprocess.run(["ansible-playbook", "-i", "localhost,", "site.yml", "--list-tags"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    tags = set()
    for match in re.finditer(r"TASK TAGS: \[([^\]]*)\]", res.stdout):
        tags.update(t.strip() for t in match.group(1).split(",") if t.strip())
    return tags - {"always"}


def test_site_offers_exactly_the_documented_tags():
    assert offered_tags() == DOCUMENTED


def test_readme_documents_every_tag():
    text = (ROOT / "docs/runbooks.md").read_text()
    rows = {m.group(1) for m in re.finditer(r"^\| `(\w+)` \|", text, re.M)}
    assert DOCUMENTED <= rows, f"docs/runbooks.md tag table lacks {sorted(DOCUMENTED - rows)}"


def sg_names(ec2):
    return {g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]} - {"default"}


@pytest.fixture(scope="module")
def ec2(moto):
    return moto.client()


def run_tag(moto, tag):
    rc, out, recap = moto.playbook("playbooks/provision.yml", "--tags", tag)
    assert rc == 0, out
    return recap["localhost"]


def test_aws_backup_alone_makes_the_bucket_and_role_only(moto, ec2):
    run_tag(moto, "aws_backup")
    assert "itsupport-dev-db-backups" in [b["Name"] for b in moto.client("s3").list_buckets()["Buckets"]]
    assert "itsupport-dev-devhost" in [r["RoleName"] for r in moto.client("iam").list_roles()["Roles"]]
    assert instances(ec2) == {} and sg_names(ec2) == set()


def test_aws_security_groups_alone_creates_only_the_groups(moto, ec2):
    run_tag(moto, "aws_security_groups")
    assert sg_names(ec2) == {"itsupport-dev-nat-sg", "itsupport-dev-devhost-sg"}
    assert instances(ec2) == {}


def test_aws_nat_alone_runs_the_nat_only(moto, ec2):
    run_tag(moto, "aws_nat")
    assert set(instances(ec2)) == {"itsupport-dev-nat"}


def test_aws_devhost_alone_runs_the_devhost(moto, ec2):
    run_tag(moto, "aws_devhost")
    assert set(instances(ec2)) == {"itsupport-dev-nat", "itsupport-dev-devhost"}


