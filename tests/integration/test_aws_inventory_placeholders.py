"""inventories/aws as shipped: every value the club must fill in is a
CHANGE-ME, and site.yml and production.yml stop at their first task, before
any AWS call (moto's state is unchanged), naming each placeholder and its
file. Filled in but with no vault, they stop naming the vault keys each
needs (from inventories/aws/vault.example.yml) and the file to put them in;
a vault file left unencrypted is refused, naming it; encrypted, the run gets
past the first task."""

import shutil

import pytest
import yaml

from labhelpers import ROOT, run_playbook

EXPECTED = {"admin_cidrs[0]", "devhost_app_cidrs[0]", "aws_infra_key_name", "backup_bucket",
            "aws_infra_alert_emails[0]", "apps.council.image", "apps.homepage.image",
            "production_certificate_arn"}


def copy_inventory(tmp_path, moto):
    inventory = tmp_path / "aws"
    shutil.copytree(ROOT / "inventories/aws", inventory)
    # The copy's inventory plugin asks the test's moto (as the lab's does).
    plugin = yaml.safe_load((inventory / "aws_ec2.yml").read_text())
    plugin.update(endpoint_url=moto.url, access_key="testing", secret_key="testing")
    (inventory / "aws_ec2.yml").write_text(yaml.safe_dump(plugin))
    return inventory


def account(moto):
    ec2 = moto.client()
    return (sorted(b["Name"] for b in moto.client("s3").list_buckets()["Buckets"]),
            sum(len(r["Instances"]) for r in ec2.describe_instances()["Reservations"]),
            len(ec2.describe_security_groups()["SecurityGroups"]),
            sorted(p["Name"] for p in moto.client("ssm").describe_parameters()["Parameters"]))


@pytest.mark.parametrize("playbook", ["site.yml", "playbooks/production.yml"])
def test_the_shipped_inventory_stops_before_any_aws_call_naming_each_placeholder(moto, tmp_path, playbook):
    inventory = copy_inventory(tmp_path, moto)
    before = account(moto)
    rc, out, recap = run_playbook(str(ROOT / playbook), inventory=str(inventory),
                                  env={**moto.env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})
    assert rc != 0, out
    flat = " ".join(out.split())
    assert "These values still hold the placeholder CHANGE-ME" in flat, out
    named = {path for path in EXPECTED if f"{path} (in " in flat}
    assert named == EXPECTED, f"not named: {EXPECTED - named}\n{out}"
    assert str(inventory / "group_vars/all/main.yml") in flat, out
    assert recap["localhost"]["changed"] == 0 and recap["localhost"]["ok"] == 0, out
    assert account(moto) == before


def filled_in(tmp_path, moto):
    inventory = copy_inventory(tmp_path, moto)
    for path in (inventory / "group_vars").rglob("*.yml"):
        path.write_text(path.read_text()
                        .replace("[CHANGE-ME]", "[198.51.100.0/24]")
                        .replace("itsupport-dev-db-backups-CHANGE-ME", "itsupport-dev-db-backups-123456789012")
                        .replace("CHANGE-ME", "filled-in"))
    return inventory


def first_task(moto, inventory, playbook="site.yml", *args):
    return run_playbook(str(ROOT / playbook), "--check", "--tags", "never-a-tag", *args, inventory=str(inventory),
                        env={**moto.env, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"})


@pytest.mark.parametrize("playbook, needed, not_needed", [
    ("site.yml", "vault_app_stack_db_root_password", "vault_production_db_master_password"),
    ("playbooks/production.yml", "vault_production_db_master_password", "vault_app_stack_db_root_password"),
])
def test_without_a_vault_each_playbook_names_the_keys_it_needs(moto, tmp_path, playbook, needed, not_needed):
    inventory = filled_in(tmp_path, moto)
    rc, out, _ = first_task(moto, inventory, playbook)
    flat = " ".join(out.split())
    assert rc != 0, out
    assert needed in flat and not_needed not in flat, out
    assert f"put them in {inventory}/group_vars/all/vault.yml, encrypted" in flat, out


def test_a_vault_file_left_unencrypted_is_refused_and_an_encrypted_one_passes(moto, tmp_path):
    inventory = filled_in(tmp_path, moto)
    keys = yaml.safe_load((inventory / "vault.example.yml").read_text())
    vault = inventory / "group_vars/all/vault.yml"
    vault.write_text(yaml.safe_dump({k: "a-long-test-secret" for k in keys}))
    rc, out, _ = first_task(moto, inventory)
    assert rc != 0 and f"is in {vault}, which is not encrypted" in " ".join(out.split()), out
    assert "a-long-test-secret" not in out
    password = tmp_path / "vault-password"
    password.write_text("test-vault-password\n")
    import subprocess
    subprocess.run(["ansible-vault", "encrypt", "--vault-password-file", str(password), str(vault)], check=True,
                   capture_output=True)
    rc, out, _ = first_task(moto, inventory, "site.yml", "--vault-password-file", str(password))
    assert "Nothing was changed" not in out, out
    assert "Check the inputs first" in out


def test_a_filled_in_inventory_gets_past_the_placeholders(moto, tmp_path):
    inventory = filled_in(tmp_path, moto)
    rc, out, _ = first_task(moto, inventory)
    assert "CHANGE-ME" not in out, out
    assert "Check the inputs first" in out
