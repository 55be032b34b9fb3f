"""playbooks/doctor.yml against a moto server and a container registry of
the test's own (no lab containers): every check ✓ on a lab account that
can run the site, each ✗ on a fixture that has the fault, and nothing
written to AWS (moto's recorder: only Describe/Get/List/Head calls)."""

import concurrent.futures
import http.server
import json
import os
import subprocess
import threading

import boto3
import pytest

from labhelpers import (ROOT, aws_writes, callback_plugin_paths, enabled_callbacks, moto_recorded_actions, moto_recording,
                        run_playbook)
from labregistry import LabRegistry

DOCTOR = str(ROOT / "playbooks/doctor.yml")
INVENTORY = str(ROOT / "inventories/lab")


def keygen(path):
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)], check=True)
    return path


def doctor(moto, tmp_path, extra, env=None):
    """One run: (returncode, output, {check: row}, recap)."""
    report = tmp_path / f"report-{os.urandom(4).hex()}.json"
    run_env = dict(moto.env, CASE_REPORT_PATH=str(report), ANSIBLE_CALLBACKS_ENABLED=enabled_callbacks("case_report"),
                   ANSIBLE_CALLBACK_PLUGINS=callback_plugin_paths(ROOT), SSH_AUTH_SOCK="", **(env or {}))
    rc, out, recap = run_playbook(DOCTOR, inventory=INVENTORY, extra_vars=extra, env=run_env)
    rows = {}
    for result in json.loads(report.read_text()):
        if "Check the account" in result["task"]:
            rows.update({r["check"]: r for r in result["result"].get("checks", [])})
    for result in json.loads(report.read_text()):
        if "Check that every app image" in result["task"] and result["status"] == "ok":
            rows.update({f"image {i['name']}": {"check": f"image {i['name']}", "status": "ok" if i["ok"] else "fail",
                                                "detail": i["image"] + " " + i["error"], "fix": ""}
                         for i in result["result"]["images"]})
    return rc, out, rows, recap


def serve_address(address):
    """A stand-in for checkip.amazonaws.com: answers every GET with ADDRESS."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(address.encode() + b"\n")

        def log_message(self, *args):
            pass
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def lab(moto, tmp_path_factory):
    """The moto account made like the lab's (the key pair is the admin's
    key), the lab's app images in a registry that stands in for Docker Hub
    (each for amd64 and arm64), and the admin's address served like
    checkip.amazonaws.com."""
    tmp = tmp_path_factory.mktemp("doctor")
    key = keygen(tmp / "admin")
    ec2 = moto.client()
    ec2.delete_key_pair(KeyName="itsupport-admin")
    ec2.import_key_pair(KeyName="itsupport-admin", PublicKeyMaterial=(tmp / "admin.pub").read_bytes())
    address = serve_address("10.20.1.7")
    with LabRegistry(tmp) as registry:
        for var in ("LAB_IMAGE_SPRING_STANDIN", "LAB_IMAGE_DJANGO_STANDIN"):
            repo, tag = os.environ[var].rsplit(":", 1)
            registry.push(repo, tag, ["linux/amd64", "linux/arm64/v8"])
        yield {"tmp": tmp, "key": str(key), "registry": registry,
               "extra": {"aws_infra_doctor_ssh_key_files": [str(key)],
                         "aws_infra_doctor_public_ip_url": f"http://127.0.0.1:{address.server_port}/",
                         "aws_infra_doctor_registry_mirrors": {"docker.io": registry.url}}}
    address.shutdown()


@pytest.fixture(scope="module")
def healthy(moto, lab):
    """Two runs on the healthy account, moto recording every request."""
    moto_recording(moto.url, True)
    runs = [doctor(moto, lab["tmp"], lab["extra"]) for _ in range(2)]
    moto_recording(moto.url, False)
    return runs, moto_recorded_actions(moto.url)


def test_every_check_passes_on_an_account_that_can_run_the_site(healthy):
    rc, out, rows, _ = healthy[0][0]
    assert rc == 0, out
    assert {r["check"]: r["status"] for r in rows.values()} == {
        "credentials": "ok", "region": "ok", "key pair": "ok", "SSH key loaded": "ok", "VPC": "ok",
        "subnets: dev public": "ok", "subnets: dev private": "ok", "subnets: production public": "ok",
        "subnets: production private": "ok", "arm64 AMI": "ok", "spot vCPU quota": "ok",
        "on-demand vCPU quota": "ok", "backup bucket": "ok",
        # Made by site.yml and cost.yml, which have not run on this account.
        "alert subscriptions": "later", "budget": "later",
        "admin address in admin_cidrs": "ok", "image council": "ok", "image homepage": "ok"}, rows
    assert "10.20.1.7" in rows["admin address in admin_cidrs"]["detail"]
    assert "debian-13-arm64-20261101-2000" in rows["arm64 AMI"]["detail"]


def test_the_doctor_writes_nothing_and_a_second_run_is_the_same(healthy):
    runs, actions = healthy
    for rc, out, _, recap in runs:
        assert rc == 0, out
        assert recap["localhost"]["changed"] == 0, recap
    assert runs[0][2] == runs[1][2]
    assert actions, "moto recorded nothing: the recorder did not run"
    assert aws_writes(actions) == [], aws_writes(actions)


@pytest.fixture(scope="module")
def faults(moto, lab, healthy):
    """The faults, several per run where their rows are independent, the
    runs started together: {name: (rc, output, rows)}."""
    # A bucket of the name, made by another account.
    creds = moto.client("sts").assume_role(RoleArn="arn:aws:iam::111111111111:role/other",
                                            RoleSessionName="other")["Credentials"]
    boto3.client("s3", region_name="ap-northeast-2", endpoint_url=moto.url, aws_access_key_id=creds["AccessKeyId"],
                 aws_secret_access_key=creds["SecretAccessKey"], aws_session_token=creds["SessionToken"]).create_bucket(
        Bucket="itsupport-taken-bucket", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    # The alert topic with one of the two addresses subscribed; the budget made.
    sns = moto.client("sns")
    topic = sns.create_topic(Name="itsupport-dev-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="admins@example.org")
    moto.client("budgets").create_budget(AccountId="123456789012", Budget={
        "BudgetName": "itsupport-dev-monthly", "BudgetLimit": {"Amount": "150", "Unit": "USD"},
        "TimeUnit": "MONTHLY", "BudgetType": "COST"})
    # A new account's Spot quota.
    moto.quotas_file.write_text(json.dumps({"L-34B43A08": 0}))
    amd64_only = lab["registry"].push("club/homepage", "1.0", ["linux/amd64"], single=True)
    arm = lab["registry"].push("club/council", "1.0", ["linux/amd64", "linux/arm64"])
    other_key = keygen(lab["tmp"] / "other")
    runs = {
        "account": ({**lab["extra"], "backup_bucket": "itsupport-taken-bucket",
                     "aws_infra_vpc_filters": {"tag:Name": "no-such-vpc"},
                     "aws_infra_ami_name_pattern": "debian-13-amd64-*",
                     "aws_infra_alert_emails": ["admins@example.org", "treasurer@example.org"],
                     "aws_infra_alert_emails_none": False,
                     "aws_infra_doctor_admin_address": "203.0.113.9",
                     "aws_infra_doctor_images": [{"name": "council", "image": arm},
                                                 {"name": "homepage", "image": amd64_only}]}, None),
        "key pair": ({**lab["extra"], "aws_infra_key_name": "nobody", "aws_infra_ami_source": "ssm",
                      "aws_infra_ami_ssm_parameter": "/itsupport/no-such-ami"}, None),
        "ssh key": ({**lab["extra"], "aws_infra_doctor_ssh_key_files": [str(other_key)],
                     "production_private_subnet_filters": {"tag:Name": "itsupport-private-a"}}, None),
        "region": ({**lab["extra"], "aws_region": "ap-east-1"}, None),
        "credentials": (lab["extra"], {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}),
    }
    with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
        started = {name: pool.submit(doctor, moto, lab["tmp"], extra, env) for name, (extra, env) in runs.items()}
    return {name: run.result()[:3] for name, run in started.items()}


FAULTS = [
    # (run, check, what its detail names)
    ("account", "VPC", "no-such-vpc"),
    ("account", "arm64 AMI", "1 found: x86_64"),
    ("account", "spot vCPU quota", "quota 0"),
    ("account", "backup bucket", "another AWS account"),
    ("account", "alert subscriptions", "treasurer@example.org (not subscribed)"),
    ("account", "admin address in admin_cidrs", "203.0.113.9 is outside 10.20.1.0/24"),
    ("account", "image homepage", "has no linux/arm64 variant"),
    ("key pair", "key pair", "nobody is not a key pair in ap-northeast-2"),
    ("key pair", "arm64 AMI", "the SSM parameter /itsupport/no-such-ami does not exist"),
    ("ssh key", "SSH key loaded", "itsupport-admin"),
    ("ssh key", "subnets: production private", "1 match"),
    ("region", "region", "ap-east-1 is not enabled"),
    ("credentials", "credentials", "not accepted, or AWS not reached"),
]


@pytest.mark.parametrize("run, check, detail", FAULTS, ids=[f"{r}-{c}" for r, c, _ in FAULTS])
def test_each_fault_is_a_failed_row_with_its_fix_and_fails_the_run(faults, run, check, detail):
    rc, out, rows = faults[run]
    assert rc != 0, out
    assert rows[check]["status"] == "fail", rows.get(check, out)
    assert detail in rows[check]["detail"], rows[check]
    if not check.startswith("image"):
        assert rows[check]["fix"], rows[check]
    # The table names it, with its fix, and the failure lists it.
    assert f"✗ {check}:" in out
    assert check in out.split("check(s) failed:")[-1]


def test_rows_without_a_fault_stay_green_beside_the_faults(faults):
    _, out, rows = faults["account"]
    for check in ("credentials", "region", "key pair", "SSH key loaded", "on-demand vCPU quota", "image council"):
        assert rows[check]["status"] == "ok", rows[check]
    assert rows["budget"]["status"] == "ok" and "150" in rows["budget"]["detail"]
