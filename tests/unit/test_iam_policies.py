"""Every IAM and resource policy the project writes, parsed: no wildcard
resource where a narrower one exists (the allow-list below gives the reason
for each that remains), and every statement that lets an AWS service in
says for which account or resource (aws:SourceAccount / aws:SourceArn), so
no other account's use of that service can reach ours (confused deputy)."""

import json
import pathlib

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
# (file, Sid) -> why "Resource": "*" is the narrowest AWS allows there.
WILDCARD_ALLOWED = {
    ("roles/aws/production/templates/task-execution-policy.json.j2", "EcrLogin"):
        "ecr:GetAuthorizationToken has no resource-level permission (AWS documents Resource '*')",
}
# (file, service) -> why a service principal carries no source condition.
SOURCE_CONDITION_EXEMPT = {
    ("roles/aws/aws_backup/vars/main.yml", "ec2.amazonaws.com"):
        "an EC2 instance role's trust: only this account's admins (iam:PassRole) can hand the role to an instance, "
        "and EC2 does not document aws:SourceAccount for it, so a condition could lock the dev host out",
}
PRODUCTION_VARS = {
    "production_region": "ap-northeast-2", "__production_account_id": ACCOUNT, "production_name_prefix": "itsupport-prod",
    "__production_parameter_arn_prefix": f"arn:aws:ssm:ap-northeast-2:{ACCOUNT}:parameter",
}
IMAGES = {
    "another registry": {"council": {"image": "ghcr.io/itsupport-ssu/council-backend:1.4.2"}},
    "this account's ECR": {"council": {"image": f"{ACCOUNT}.dkr.ecr.ap-northeast-2.amazonaws.com/council:1.4.2"},
                           "homepage": {"image": "ghcr.io/itsupport-ssu/homepage:2.0.1"}},
}


def rendered_templates():
    """(file, case, policy) of each JSON policy template, rendered as the role does."""
    out = []
    for path in sorted((ROOT / "roles").glob("*/*/templates/*.json.j2")):
        text = path.read_text()
        if '"Statement"' not in text:
            continue
        for case, apps in IMAGES.items():
            templar = Templar(loader=DataLoader(), variables={**PRODUCTION_VARS, "production_apps": apps})
            out.append((str(path.relative_to(ROOT)), case, json.loads(templar.template(trust_as_template(text)))))
    return out


def inline_policies():
    """(file, policy) of each policy written inline in a role's YAML."""
    out = []

    def walk(node, path):
        if isinstance(node, dict):
            if isinstance(node.get("Statement"), list):
                out.append((path, node))
            for value in node.values():
                walk(value, path)
        elif isinstance(node, list):
            for value in node:
                walk(value, path)
    for path in sorted((ROOT / "roles").glob("*/*/*/*.yml")):
        walk(yaml.safe_load(path.read_text()), str(path.relative_to(ROOT)))
    return out


BACKUP_VARS = {
    "aws_backup_bucket": "itsupport-dev-db-backups-123456789012", "aws_backup_prefix": "mysql",
    "aws_backup_region": "ap-northeast-2", "aws_backup_instance_profile": "itsupport-dev-devhost",
    "aws_backup_deny_insecure_transport": True, "aws_backup_write_once_bucket_policy": True,
    "aws_backup_alerts_topic": "itsupport-dev-alerts", "__aws_backup_caller": {"account": ACCOUNT},
}


def backup_policies():
    """aws_backup's bucket and host policies, templated in vars/main.yml:
    rendered as the role renders them."""
    def trusted(node):  # as Ansible trusts a role's own vars file
        if isinstance(node, str):
            return trust_as_template(node)
        if isinstance(node, dict):
            return {k: trusted(v) for k, v in node.items()}
        if isinstance(node, list):
            return [trusted(v) for v in node]
        return node
    text = (ROOT / "roles/aws/aws_backup/vars/main.yml").read_text()
    templar = Templar(loader=DataLoader(), variables={**BACKUP_VARS, **trusted(yaml.safe_load(text))})
    return {name: templar.template(trust_as_template("{{ %s }}" % name))
            for name in ("__aws_backup_bucket_policy", "__aws_backup_host_policy")}


POLICIES = ([(f, c, p) for f, c, p in rendered_templates()] + [(f, "inline", p) for f, p in inline_policies()]
            + [("roles/aws/aws_backup/vars/main.yml", name, p) for name, p in backup_policies().items()])


def test_the_dev_host_adds_dumps_and_cannot_replace_or_delete_one():
    """A compromised dev host cannot destroy the backup history: a dump is
    written only with If-None-Match (S3 refuses a key that exists), only
    `latest` may be overwritten, and nothing may be deleted; the bucket
    says the same for the host's role."""
    host = backup_policies()["__aws_backup_host_policy"]["Statement"]
    actions = {a for s in host if s["Effect"] == "Allow"
               for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    assert actions == {"s3:PutObject", "s3:GetObject", "s3:ListBucket", "sns:Publish"}, actions
    puts = {s["Resource"]: s.get("Condition") for s in host if s["Action"] == "s3:PutObject"}
    assert puts == {
        "arn:aws:s3:::itsupport-dev-db-backups-123456789012/mysql/*.sql.gz": {"Null": {"s3:if-none-match": "false"}},
        "arn:aws:s3:::itsupport-dev-db-backups-123456789012/mysql/latest": None}, puts
    publish = next(s for s in host if s["Action"] == "sns:Publish")
    assert publish["Resource"] == f"arn:aws:sns:ap-northeast-2:{ACCOUNT}:itsupport-dev-alerts"
    bucket = {s["Sid"]: s for s in backup_policies()["__aws_backup_bucket_policy"]["Statement"]}
    once = bucket["DevHostWritesEachDumpOnce"]
    assert once["Effect"] == "Deny" and once["Action"] == "s3:PutObject"
    assert once["Condition"] == {"ArnEquals": {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/itsupport-dev-devhost"},
                                 "Null": {"s3:if-none-match": "true"}}
    assert "DenyInsecureTransport" in bucket


def test_every_policy_the_project_writes_is_read():
    files = {f for f, _, _ in POLICIES}
    assert {"roles/aws/production/templates/task-execution-policy.json.j2",
            "roles/aws/production/templates/ecs-tasks-trust.json.j2",
            "roles/aws/aws_infra/tasks/alerts.yml", "roles/aws/cost_guard/tasks/main.yml",
            "roles/aws/aws_backup/vars/main.yml"} <= files, files


@pytest.mark.parametrize("path,case,policy", POLICIES, ids=[f"{f}:{c}" for f, c, _ in POLICIES])
def test_no_wildcard_resource_outside_the_allow_list(path, case, policy):
    for statement in policy["Statement"]:
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if "*" in resources and statement.get("Effect") == "Allow":
            assert (path, statement.get("Sid")) in WILDCARD_ALLOWED, f"{path} {statement.get('Sid')}: Resource '*'"


@pytest.mark.parametrize("path,case,policy", POLICIES, ids=[f"{f}:{c}" for f, c, _ in POLICIES])
def test_a_service_principal_is_limited_to_this_account(path, case, policy):
    for statement in policy["Statement"]:
        principal = statement.get("Principal")
        if statement.get("Effect") == "Allow" and isinstance(principal, dict) and "Service" in principal:
            if (path, principal["Service"]) in SOURCE_CONDITION_EXEMPT:
                continue
            keys = {key for condition in (statement.get("Condition") or {}).values() for key in condition}
            assert keys & {"aws:SourceAccount", "aws:SourceArn"}, f"{path}: {principal} has no source condition"


def test_ecr_rights_only_for_images_in_ecr_and_only_their_repositories():
    policies = {case: p for f, case, p in POLICIES if f.endswith("task-execution-policy.json.j2")}
    assert not [s for s in policies["another registry"]["Statement"] if '"ecr:' in json.dumps(s)]
    pull = next(s for s in policies["this account's ECR"]["Statement"] if s["Sid"] == "PrivateImagesInEcr")
    assert pull["Resource"] == [f"arn:aws:ecr:ap-northeast-2:{ACCOUNT}:repository/council"]
