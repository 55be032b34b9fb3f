"""ec2_preflight_info against moto's in-process EC2: what provisioning
checks before its first change (instance types, the AMI, the network, the
account), in one module run."""

import boto3
import pytest
from moto import mock_aws

REGION = "ap-northeast-2"


@pytest.fixture
def ec2(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": REGION}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("ec2", region_name=REGION)


@pytest.fixture
def preflight(plugin):
    return plugin("modules", "ec2_preflight_info")


def network(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "club-vpc"}]}])["Vpc"]["VpcId"]
    ids = {}
    for kind, cidr in (("public", "10.20.1.0/24"), ("private", "10.20.2.0/24")):
        ids[kind] = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, TagSpecifications=[
            {"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": f"club-{kind}"}]}])["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=ids["private"])
    return vpc, ids, table


NETWORK = {"vpc_filters": {"tag:Name": "club-vpc"}, "public_subnet_filters": {"tag:Name": "club-public"},
           "private_subnet_filters": {"tag:Name": "club-private"}}


def test_types_network_and_account_are_read(ec2, preflight, run_module):
    vpc, subnets, table = network(ec2)
    res = run_module(preflight, instance_types=["t4g.micro", "t4g.medium", "t9z.nothing"], network=NETWORK,
                     region=REGION)
    assert not res.get("failed"), res
    assert res["unknown"] == ["t9z.nothing"]
    assert set(res["instance_types"]) == {"t4g.micro", "t4g.medium"}
    assert res["instance_types"]["t4g.medium"]["architectures"] == ["arm64"]
    assert [v["vpc_id"] for v in res["vpcs"]] == [vpc]
    assert [s["subnet_id"] for s in res["subnets"]["private"]] == [subnets["private"]]
    assert [s["subnet_id"] for s in res["subnets"]["public"]] == [subnets["public"]]
    assert [t["route_table_id"] for t in res["route_tables"]] == [table]
    # The subnets the private route table carries: the NAT may forward them.
    assert [s["cidr_block"] for s in res["routed_subnets"]] == ["10.20.2.0/24"]
    assert res["account_id"] == "123456789012"
    assert res["changed"] is False


def test_an_ami_id_that_does_not_exist_gives_no_image(ec2, preflight, run_module):
    res = run_module(preflight, instance_types=["t4g.micro"], ami={"image_ids": ["ami-00000000000000000"]},
                     region=REGION)
    assert not res.get("failed"), res
    assert res["images"] == []


def test_a_network_that_is_not_there_is_found_empty(ec2, preflight, run_module):
    res = run_module(preflight, instance_types=["t4g.micro"], network=NETWORK, region=REGION)
    assert not res.get("failed"), res
    assert res["vpcs"] == [] and res["route_tables"] == []


def test_a_key_pair_that_is_not_in_the_region_is_named(ec2, preflight, run_module):
    ec2.create_key_pair(KeyName="itsupport-admin")
    res = run_module(preflight, instance_types=["t4g.micro"], key_names=["itsupport-admin", "alices-laptop"],
                     region=REGION)
    assert not res.get("failed"), res
    assert res["missing_key_names"] == ["alices-laptop"]
