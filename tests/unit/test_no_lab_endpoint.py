"""No controller-side role carries a lab-only endpoint variable: the lab
points the AWS SDK at moto with AWS_ENDPOINT_URL in the environment. What
is left are the dev host's own S3 endpoint settings, real settings (an
S3-compatible store, a VPC interface endpoint's DNS name)."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[2]
# Host-side S3 endpoints, each a real setting (documented in its role's README).
HOST_SIDE = {"db_backup_s3_endpoint_url", "app_stack_db_restore_endpoint_url", "rds_migration_host_s3_endpoint_url"}


def test_no_role_mentions_an_aws_endpoint_but_the_hosts_s3_settings():
    found = []
    for path in sorted((ROOT / "roles").rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        text = path.read_text(errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            # A host-side setting may be passed on under the SDK's own name.
            if any(name in line for name in HOST_SIDE):
                continue
            for word in re.findall(r"[\w.]*endpoint_url[\w]*", line):
                if not (path.name == "itsupport-db-backup" and word == "endpoint_url"):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {word}")
    assert not found, "\n".join(found)
