"""Bad inputs to playbooks/provision.yml fail before any resource exists,
with a message that names the variable."""

import pytest

COUNTERS = {
    "instances": lambda ec2: sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"]),
    "security groups": lambda ec2: len(ec2.describe_security_groups()["SecurityGroups"]),
    "addresses": lambda ec2: len(ec2.describe_addresses()["Addresses"]),
    "launch templates": lambda ec2: len(ec2.describe_launch_templates()["LaunchTemplates"]),
    "vpcs": lambda ec2: len(ec2.describe_vpcs()["Vpcs"]),
}
OTHER_COUNTERS = {
    "buckets": lambda moto: len(moto.client("s3").list_buckets()["Buckets"]),
    "IAM roles": lambda moto: len(moto.client("iam").list_roles()["Roles"]),
}


def snapshot(ec2, moto):
    return {**{name: count(ec2) for name, count in COUNTERS.items()},
            **{name: count(moto) for name, count in OTHER_COUNTERS.items()}}


@pytest.mark.parametrize("extra_vars, message", [
    ({"aws_infra_ami_name_pattern": "debian-13-amd64-*"},
     "aws_infra_nat_instance_type is t4g.micro (arm64/Graviton), but the AMI ami-0f6c4d8b2a1e3c5d7"),
    ({"aws_infra_ami_source": "id", "aws_infra_ami_id": "ami-0f6c4d8b2a1e3c5d7"},
     "is x86_64: choose an AMI of the same architecture"),
    ({"aws_infra_ami_name_pattern": "debian-13-amd64-*", "aws_infra_nat_instance_type": "t3.micro",
      "aws_infra_devhost_instance_type": "t3.medium"}, None),
    ({"admin_cidrs": ["10.20.1.0/33"]}, "aws_infra_admin_cidrs contains '10.20.1.0/33'"),
    ({"devhost_app_cidrs": ["10.1.2.3/8"]}, "aws_infra_devhost_app_cidrs contains '10.1.2.3/8'"),
    ({"admin_cidrs": ["0.0.0.0/0"]}, "aws_infra_admin_cidrs opens SSH to 0.0.0.0/0"),
    ({"admin_cidrs": []}, "aws_infra_admin_cidrs is empty"),
    ({"aws_infra_key_name": ""}, "aws_infra_key_name is empty"),
    ({"aws_region": "ap-northeast-9"}, "aws_infra_region 'ap-northeast-9' is not an AWS region"),
    ({"aws_infra_devhost_root_volume_size": 4}, "aws_infra_devhost_root_volume_size"),
    ({"aws_infra_devhost_app_ports": [8080, 3306]}, "aws_infra_devhost_app_ports contains 3306"),
    ({"aws_infra_devhost_subnet": "dmz"}, "aws_infra_devhost_subnet"),
    ({"aws_infra_vpc_filters": {"vpc-id": "vpc-12"}}, "vpc-id/subnet-id filters"),
    ({"backup_bucket": "Club_Backups"}, "aws_backup_bucket 'Club_Backups' is not a valid S3 bucket name"),
    ({"backup_bucket": "192.168.1.10"}, "aws_backup_bucket '192.168.1.10' is not a valid S3 bucket name"),
    ({"aws_backup_retention_days": 0}, "aws_backup_retention_days (0)"),
    ({"aws_backup_retention_days": -3}, "aws_backup_retention_days (-3)"),
    ({"aws_backup_prefix": "/mysql/"}, "aws_backup_prefix '/mysql/' must be"),
])
def test_bad_input_fails_before_anything_is_created(moto, extra_vars, message):
    ec2 = moto.client()
    before = snapshot(ec2, moto)
    rc, out, _ = moto.playbook("playbooks/provision.yml", extra_vars=extra_vars)
    if message is None:
        # Control: the same mechanism accepts an x86_64 AMI for x86_64 types.
        assert rc == 0, out
        moto.playbook("playbooks/teardown.yml", extra_vars={"aws_infra_teardown_confirm": "itsupport-dev"})
        return
    assert rc != 0, out
    assert message in " ".join(out.split()), out
    assert snapshot(ec2, moto) == before, "a resource was created before the input was refused"


def test_ssh_from_anywhere_needs_the_explicit_override(moto):
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--check",
                               extra_vars={"admin_cidrs": ["0.0.0.0/0"], "aws_infra_allow_ssh_from_anywhere": True})
    assert rc == 0, out
