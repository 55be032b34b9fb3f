"""Numbers and booleans typed as a club admin types them, `-e key=value`
(strings to Ansible), reach the roles as numbers and booleans
(plugins/callback/typed_extra_vars.py): the README's own commands run, and a
value that is not a number is still refused naming the variable
(tests/integration/test_provision_inputs.py). Check mode against a moto
server of the test module's own: nothing is created. Every declared option
of every role, production's among them, in both forms:
tests/unit/test_typed_extra_vars.py."""


def run(moto, playbook, *assignments):
    args = [arg for assignment in assignments for arg in ("-e", assignment)]
    return moto.playbook(playbook, "--check", *args)


def test_numbers_booleans_and_lists_given_as_key_value_run(moto):
    """provision.yml, which compares the root volume size, the lock's wait
    and the ports as numbers, reads a boolean switch in its checks and walks
    the CIDR lists."""
    rc, out, _ = run(moto, "playbooks/provision.yml", "aws_infra_devhost_root_volume_size=40", "aws_infra_lock_wait=30",
                     "admin_cidrs=10.20.1.0/24,198.51.100.7/32", "devhost_app_ports=8080,8000",
                     "aws_infra_allow_ssh_from_anywhere=false")
    assert rc == 0, out
    assert "not supported between" not in out and "_AnsibleTaggedStr" not in out, out


def test_the_readmes_recovery_command_reaches_its_decision(moto):
    """`recover.yml -e recover_replace_if_stopped_for=60` (docs/runbooks.md's
    command) compares the hours stopped with 60 and decides; on this empty
    account the decision is to provision, which check mode cannot finish."""
    rc, out, _ = run(moto, "playbooks/recover.yml", "recover_replace_if_stopped_for=60")
    assert "absent -> provision" in out, out
    assert "not supported between" not in out and "_AnsibleTaggedStr" not in out, out

