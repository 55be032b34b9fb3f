"""aws_doctor_info's rows for answers moto cannot give (a subscription
still waiting for its confirmation, a bucket name that answers 403, quotas
shared with the account's other instances), from stub clients. The whole
doctor against moto and a registry: tests/integration/test_doctor.py."""

import types

import botocore.exceptions
import pytest


class Stub:
    """A boto3 client whose methods return (or raise) what the test gives."""

    def __init__(self, **answers):
        self.answers = answers

    def __getattr__(self, name):
        answer = self.answers[name]

        def call(**_):
            if isinstance(answer, Exception):
                raise answer
            return answer
        return call

    def get_paginator(self, name):
        return types.SimpleNamespace(paginate=lambda **_: [self.answers[name]])


def client_error(code, status):
    return botocore.exceptions.ClientError({"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
                                           "Op")


@pytest.fixture
def doctor(plugin):
    mod = plugin("modules", "aws_doctor_info")

    def make(clients, **params):
        defaults = {"alerts_topic": "", "alert_emails": [], "bucket": "b", "instances": [], "admin_address": "",
                    "admin_cidrs": []}
        module = types.SimpleNamespace(params={**defaults, **params}, region="ap-northeast-2",
                                       client=lambda name: clients[name])
        return mod.Doctor(module)
    return make


def test_a_subscription_waiting_for_its_confirmation_fails_naming_the_address(doctor):
    sns = Stub(list_topics={"Topics": [{"TopicArn": "arn:aws:sns:ap-northeast-2:1:club-alerts"}]},
               list_subscriptions_by_topic={"Subscriptions": [
                   {"Protocol": "email", "Endpoint": "a@club.org", "SubscriptionArn": "arn:aws:sns:x:1:club-alerts:1"},
                   {"Protocol": "email", "Endpoint": "b@club.org", "SubscriptionArn": "PendingConfirmation"}]})
    row = doctor({"sns": sns}, alerts_topic="club-alerts", alert_emails=["a@club.org", "b@club.org"]).alerts_row()
    assert row["status"] == "fail" and row["detail"] == "b@club.org (not confirmed)" and "confirm" in row["fix"]


def test_a_bucket_name_that_answers_403_is_someone_elses(doctor):
    s3 = Stub(list_buckets={"Buckets": [{"Name": "mine"}]}, head_bucket=client_error("403", 403))
    assert doctor({"s3": s3}, bucket="taken").bucket_row()["status"] == "fail"
    s3 = Stub(list_buckets={"Buckets": []}, head_bucket=client_error("404", 404))
    assert doctor({"s3": s3}, bucket="free").bucket_row()["status"] == "ok"
    assert doctor({"s3": Stub(list_buckets={"Buckets": [{"Name": "mine"}]})}, bucket="mine").bucket_row()["status"] == "ok"


def test_the_quota_counts_the_accounts_other_running_instances(doctor):
    ec2 = Stub(describe_instances={"Reservations": [{"Instances": [
        # Another project's on-demand m7g.large (2 vCPUs) and a p-family one (not a standard family).
        {"InstanceType": "m7g.large", "Tags": [{"Key": "Name", "Value": "other"}]},
        {"InstanceType": "p4d.24xlarge", "Tags": []},
        # The NAT itself is what is asked, not counted twice.
        {"InstanceType": "t4g.micro", "Tags": [{"Key": "Name", "Value": "club-nat"}]}]}]},
        describe_instance_types={"InstanceTypes": [
            {"InstanceType": "t4g.micro", "VCpuInfo": {"DefaultVCpus": 2}},
            {"InstanceType": "m7g.large", "VCpuInfo": {"DefaultVCpus": 2}}]})
    quotas = Stub(get_service_quota={"Quota": {"Value": 3.0}})
    rows = doctor({"ec2": ec2, "service-quotas": quotas},
                  instances=[{"name": "club-nat", "instance_type": "t4g.micro", "market": "on-demand"}]).quota_rows()
    assert [(r["check"], r["status"]) for r in rows] == [("on-demand vCPU quota", "fail")]
    assert rows[0]["detail"] == "2 vCPUs asked (club-nat t4g.micro) + 2 in use, quota 3"
    assert "at least 4" in rows[0]["fix"]


@pytest.mark.parametrize("address, cidrs, status", [
    ("198.51.100.7", ["198.51.100.0/24"], "ok"),
    ("198.51.100.7", ["203.0.113.0/24"], "fail"),
    ("not-an-address", ["203.0.113.0/24"], "fail"),
    ("", ["203.0.113.0/24"], "later"),
])
def test_the_admin_address_against_admin_cidrs(doctor, address, cidrs, status):
    assert doctor({}, admin_address=address, admin_cidrs=cidrs).admin_row()["status"] == status
