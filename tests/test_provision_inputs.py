"""Bad inputs to playbooks/provision.yml (the "provision" cases of
tests/bad_inputs.yml) fail before any resource exists, with a message that
names the variable."""

import pytest
from labhelpers import bad_inputs

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


@pytest.mark.parametrize("extra_vars, message", bad_inputs("provision"))
def test_bad_input_fails_before_anything_is_created(moto, extra_vars, message):
    ec2 = moto.client()
    before = snapshot(ec2, moto)
    rc, out, _ = moto.playbook("playbooks/provision.yml", extra_vars=extra_vars)
    assert rc != 0, out
    assert message in " ".join(out.split()), out
    assert snapshot(ec2, moto) == before, "a resource was created before the input was refused"


def test_ssh_from_anywhere_needs_the_explicit_override(moto):
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--check",
                               extra_vars={"admin_cidrs": ["0.0.0.0/0"], "aws_infra_allow_ssh_from_anywhere": True})
    assert rc == 0, out


def test_an_x86_64_ami_fits_x86_64_instance_types(moto):
    """Control for the architecture check: the same mechanism accepts an
    x86_64 AMI for x86_64 types."""
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--check", extra_vars={
        "aws_infra_ami_name_pattern": "debian-13-amd64-*", "aws_infra_nat_instance_type": "t3.micro",
        "aws_infra_devhost_instance_type": "t3.medium"})
    assert rc == 0, out


def test_a_low_spot_price_and_a_foreign_ami_owner_pass_with_their_overrides(moto):
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--check", extra_vars={
        "aws_infra_devhost_spot_max_price": "0.000001", "aws_infra_allow_low_spot_max_price": True})
    assert rc == 0, out
