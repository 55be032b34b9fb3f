"""Bad inputs to playbooks/provision.yml (the "provision" cases of
tests/bad_inputs.yml) are refused before any resource exists, with a message
that names the variable.

Each case runs the checks that provision.yml runs before its first change:
aws_infra's preflight (arguments, inputs, the AMI's architecture, the
network, the instance types and Spot prices) and then aws_backup's input
checks. All cases run in one ansible-playbook process against moto, with a
host for each case (labhelpers.refusal_batch), instead of one process per
case. Real runs of provision.yml, one case for each stage, show that the
playbook runs those checks before it creates anything.
"""

import pytest
from labhelpers import assert_refused_case, bad_inputs, refusal_batch

CASES = bad_inputs("provision")
CHECKS = [
    {"name": "Check as provision.yml does before any change",
     "ansible.builtin.include_role": {"name": "aws_infra", "tasks_from": "preflight"}},
    {"name": "Check the backup inputs as provision.yml does before any change",
     "ansible.builtin.include_role": {"name": "aws_backup", "tasks_from": "preflight"}},
]
# Controls: the same checks pass the lab's configuration, and each override
# that a refusal's message offers lets its input through.
OVERRIDES = {
    "ssh from anywhere": {"admin_cidrs": ["0.0.0.0/0"], "aws_infra_allow_ssh_from_anywhere": True},
    "x86_64 AMI and types": {"aws_infra_ami_name_pattern": "debian-13-amd64-*",
                             "aws_infra_nat_instance_type": "t3.micro",
                             "aws_infra_devhost_instance_type": "t3.medium"},
    "accepted exposure": {"devhost_app_cidrs": ["10.20.0.0/16"], "aws_infra_accept_exposure": ["10.20.0.0/16"]},
    "low spot price": {"aws_infra_devhost_spot_max_price": "0.000001", "aws_infra_allow_low_spot_max_price": True},
}
CONTROLS = {"control_lab": {}, **{"control_" + name.replace(" ", "_"): v for name, v in OVERRIDES.items()}}
# Cases run through provision.yml itself: one refused by the first checks,
# one by a lookup in the middle of the preflight, one by aws_backup's checks,
# which run after the whole preflight and before the first change.
STAGES = {
    "the input checks": {"admin_cidrs": []},
    "the AMI lookup": {"aws_infra_ami_name_pattern": "debian-13-amd64-*"},
    "aws_backup's checks": {"backup_bucket": "Club_Backups"},
}

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
    # The provisioning lock and the converge records.
    "SSM parameters": lambda moto: sorted(p["Name"] for p in moto.client("ssm").describe_parameters()["Parameters"]),
}


def snapshot(moto):
    ec2 = moto.client()
    return {**{name: count(ec2) for name, count in COUNTERS.items()},
            **{name: count(moto) for name, count in OTHER_COUNTERS.items()}}


def case_name(n):
    return f"case_{n:02d}"


@pytest.fixture(scope="module")
def batch(moto, tmp_path_factory):
    """Every case and control in one run; moto's resources counted around it."""
    cases = {case_name(n): p.values[0] for n, p in enumerate(CASES)}
    before = snapshot(moto)
    ran = refusal_batch(tmp_path_factory.mktemp("provision-refusals"), {**cases, **CONTROLS}, CHECKS,
                        inventory_group_vars="inventories/lab/group_vars", env=moto.env)
    return ran, before, snapshot(moto)


@pytest.mark.parametrize("n", range(len(CASES)), ids=[p.id for p in CASES])
def test_bad_input_is_refused_by_the_checks_naming_the_variable(batch, n):
    _, message = CASES[n].values
    assert_refused_case(batch[0][case_name(n)], message)


def test_the_checks_create_nothing(batch):
    _, before, after = batch
    assert after == before


@pytest.mark.parametrize("control", CONTROLS)
def test_the_lab_configuration_and_each_override_pass_every_check(batch, control):
    ran = batch[0][control]
    assert ran and not [(task, result) for task, result in ran if result["status"] == "failed"], ran
    # The last check of both roles ran.
    names = [task.split(" : ")[-1] for task, _ in ran]
    assert "Remember that the preflight checks passed" in names and "Check the retention periods" in names, names


@pytest.mark.parametrize("stage", STAGES)
def test_provision_refuses_before_anything_is_created(moto, batch, stage):
    extra_vars = STAGES[stage]
    message = next(m for v, m in (p.values for p in CASES) if v == extra_vars)
    before = snapshot(moto)
    rc, out, _ = moto.playbook("playbooks/provision.yml", extra_vars=extra_vars)
    assert rc != 0, out
    assert message in " ".join(out.split()), out
    assert snapshot(moto) == before, "a resource was created before the input was refused"


def test_a_refusal_by_a_roles_argument_spec_comes_before_the_lock(moto):
    """aws_backup's main argument spec is checked in its preflight, before
    the provisioning lock: typed as an admin would type it (-e key=value),
    the refused value leaves no lock and nothing created."""
    before = snapshot(moto)
    rc, out, _ = moto.playbook("playbooks/provision.yml", "-e", "aws_backup_retention_days=14.5")
    assert rc != 0, out
    assert "aws_backup_retention_days" in out and "Take the provisioning lock" not in out, out
    assert snapshot(moto) == before


def test_provision_accepts_the_overrides_in_check_mode(moto):
    extra_vars = {k: v for override in OVERRIDES.values() for k, v in override.items()}
    rc, out, _ = moto.playbook("playbooks/provision.yml", "--check", extra_vars=extra_vars)
    assert rc == 0, out
