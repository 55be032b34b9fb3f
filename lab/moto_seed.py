"""Seed a local moto server with what the club's real account already has.

Usage: python lab/moto_seed.py http://127.0.0.1:PORT
       python lab/moto_seed.py --certificate-arn http://127.0.0.1:PORT   (print it only)

Real account                         Seeded here
- Debian 13 AMIs (Debian's account)  not here: moto loads lab/moto/amis.json
                                     (MOTO_AMIS_PATH) when it starts
- an SSH key pair                    key pair "itsupport-admin"
- the existing VPC                   VPC 10.20.0.0/16 "itsupport-vpc" with an
                                     IGW, public 10.20.1.0/24 and private
                                     10.20.2.0/24 subnets, a private route table
- the old development RDS            instance "itsupport-dev-db" (MySQL 8.0,
                                     master user admin, deletion protection
                                     on); its server is the lab-rds container
- a second AZ for production         public 10.20.3.0/24 and private
                                     10.20.4.0/24 subnets in zone b (an ALB
                                     and a DB subnet group span two AZs)
- the club's TLS certificate (ACM)   a certificate for itsupport.lab.example
                                     (its ARN: --certificate-arn)
Safe to run again: everything is looked up by name first. Prints the IDs as JSON.
"""

import json
import sys

import boto3

REGION = "ap-northeast-2"


def client(endpoint):
    return boto3.client("ec2", region_name=REGION, endpoint_url=endpoint,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def tag(ec2, rid, name):
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "Name", "Value": name}])


def find(items, key):
    return items[0][key] if items else None


def seed(endpoint):
    ec2 = client(endpoint)
    out = {}
    if not ec2.describe_key_pairs(Filters=[{"Name": "key-name", "Values": ["itsupport-admin"]}])["KeyPairs"]:
        ec2.create_key_pair(KeyName="itsupport-admin")
    out["key_name"] = "itsupport-admin"

    vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["itsupport-vpc"]}])["Vpcs"]
    vpc = find(vpcs, "VpcId")
    if not vpc:
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        tag(ec2, vpc, "itsupport-vpc")
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
        for name, cidr in (("itsupport-public-a", "10.20.1.0/24"), ("itsupport-private-a", "10.20.2.0/24")):
            sid = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=REGION + "a")["Subnet"]["SubnetId"]
            tag(ec2, sid, name)
            rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
            tag(ec2, rt, name.replace("-a", "-rt"))
            ec2.associate_route_table(RouteTableId=rt, SubnetId=sid)
            if name.startswith("itsupport-public"):
                ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
            else:
                # A route someone else owns: provisioning must not purge it.
                ec2.create_route(RouteTableId=rt, DestinationCidrBlock="192.168.100.0/24", GatewayId=igw)
    out["vpc_id"] = vpc
    out["zone_b_subnets"] = seed_zone_b(ec2, vpc)
    out["certificate_arn"] = seed_certificate(endpoint)
    private = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": ["itsupport-private-a"]}])["Subnets"]
    out["rds"] = seed_rds(endpoint, [sn["SubnetId"] for sn in private])
    return out


# Production (playbooks/production.yml) needs two AZs: an ALB and a DB
# subnet group span at least two. The dev environment keeps zone a only.
ZONE_B = (("itsupport-public-b", "10.20.3.0/24", "itsupport-public-rt"),
          ("itsupport-private-b", "10.20.4.0/24", "itsupport-private-rt"))


def seed_zone_b(ec2, vpc):
    ids = []
    for name, cidr, rt_name in ZONE_B:
        found = ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [name]}])["Subnets"]
        sid = find(found, "SubnetId")
        if not sid:
            sid = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=REGION + "b")["Subnet"]["SubnetId"]
            tag(ec2, sid, name)
            rts = ec2.describe_route_tables(Filters=[{"Name": "tag:Name", "Values": [rt_name]}])["RouteTables"]
            ec2.associate_route_table(RouteTableId=rts[0]["RouteTableId"], SubnetId=sid)
        ids.append(sid)
    return ids


CERTIFICATE_DOMAIN = "itsupport.lab.example"


def seed_certificate(endpoint):
    """The ARN of the lab's ACM certificate (moto checks that an HTTPS
    listener's certificate exists); requested once."""
    acm = boto3.client("acm", region_name=REGION, endpoint_url=endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    for cert in acm.list_certificates()["CertificateSummaryList"]:
        if cert["DomainName"] == CERTIFICATE_DOMAIN:
            return cert["CertificateArn"]
    return acm.request_certificate(DomainName=CERTIFICATE_DOMAIN, ValidationMethod="DNS")["CertificateArn"]


# The development RDS that playbooks/migrate_dev_rds.yml moves into the dev
# host's container (moto answers its API; the lab-rds container, named like
# the endpoint moto reports, is its server).
RDS = {"DBInstanceIdentifier": "itsupport-dev-db", "Engine": "mysql", "EngineVersion": "8.0.39",
       "DBInstanceClass": "db.t4g.micro", "AllocatedStorage": 20, "MasterUsername": "admin",
       "MasterUserPassword": "lab-only-rds-admin-pw", "DeletionProtection": True,
       "DBSubnetGroupName": "itsupport-dev-db", "Tags": [{"Key": "Name", "Value": "itsupport-dev-db"}]}


def seed_rds(endpoint, subnet_ids):
    rds = boto3.client("rds", region_name=REGION, endpoint_url=endpoint,
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    try:
        rds.describe_db_subnet_groups(DBSubnetGroupName=RDS["DBSubnetGroupName"])
    except rds.exceptions.DBSubnetGroupNotFoundFault:
        rds.create_db_subnet_group(DBSubnetGroupName=RDS["DBSubnetGroupName"], SubnetIds=subnet_ids,
                                   DBSubnetGroupDescription="The old development RDS's private subnets")
    try:
        rds.describe_db_instances(DBInstanceIdentifier=RDS["DBInstanceIdentifier"])
    except rds.exceptions.DBInstanceNotFoundFault:
        rds.create_db_instance(**RDS)
    return RDS["DBInstanceIdentifier"]


if __name__ == "__main__":
    if sys.argv[1] == "--certificate-arn":
        print(seed_certificate(sys.argv[2]))
    else:
        print(json.dumps(seed(sys.argv[1])))
