"""The cost guard (playbooks/cost.yml, role cost_guard): its arithmetic
checked against figures computed by hand, then the playbook against a moto
server holding a small environment: the budget made once and kept, the live
model and waste findings, the Cost Explorer report from seeded results (with
an Estimated row), the budget gate, and bad inputs refused before any call."""

import json
import types
import urllib.request
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from labhelpers import ROOT, assert_refused_case, bad_inputs, project_module

cost = project_module("plugins/module_utils/itsupport_cost.py")
cost_windows = project_module("plugins/filter/cost.py").cost_windows

PRICES = {k: (v, "table") for k, v in cost.TABLE["ap-northeast-2"].items()}
# The dev environment as provisioned: the NAT (on-demand, its Elastic IP, an
# 8 GB root volume), the Spot dev host (30 GB), 2 GiB of backups.
ENVIRONMENT = [
    {"kind": "instance", "id": "i-nat", "name": "itsupport-dev-nat", "type": "t4g.micro", "state": "running",
     "lifecycle": "on-demand", "az": "ap-northeast-2a", "credits": "standard"},
    {"kind": "instance", "id": "i-dev", "name": "itsupport-dev-devhost", "type": "t4g.medium", "state": "running",
     "lifecycle": "spot", "az": "ap-northeast-2a", "credits": "standard"},
    {"kind": "ipv4", "id": "eipalloc-1", "address": "203.0.113.10", "use": "Elastic IP of itsupport-dev-nat",
     "needed": True},
    {"kind": "volume", "id": "vol-nat", "size_gb": 8, "volume_type": "gp3", "state": "in-use"},
    {"kind": "volume", "id": "vol-dev", "size_gb": 30, "volume_type": "gp3", "state": "in-use"},
    {"kind": "bucket", "id": "itsupport-dev-db-backups", "bytes": 2 * 1024 ** 3, "objects": 96},
]


def test_the_modelled_month_equals_the_figure_computed_by_hand():
    rows, total, missing = cost.model(ENVIRONMENT, PRICES)
    by_id = {r["resource"]: r["monthly"] for r in rows}
    # 730 h x $0.0104 = 7.592; x $0.0072 = 5.256; 730 x $0.005 = 3.65;
    # 8 x 0.0912 = 0.7296; 30 x 0.0912 = 2.736; 2 GB x 0.025 = 0.05.
    assert cost.price_key(ENVIRONMENT[1]) == "spot:t4g.medium@ap-northeast-2a"
    assert by_id == {"i-nat": Decimal("7.59"), "i-dev": Decimal("5.26"), "eipalloc-1": Decimal("3.65"),
                     "vol-nat": Decimal("0.73"), "vol-dev": Decimal("2.74"),
                     "itsupport-dev-db-backups": Decimal("0.05")}
    assert total == Decimal("20.02") and not missing
    table = cost.model_markdown(rows, total, Decimal(150), [], "2026-11-28")
    assert "| **total** | 730-hour month, 2026-11-28 | | **$20.02** | 13.3% of $150 |" in table


def test_production_database_multi_az_costs_twice_single_az():
    """production_db_multi_az's price, as the cost guard models it: the
    instance hours and the storage both double."""
    prices = {k: (v, "table") for k, v in cost.TABLE["ap-northeast-2"].items()}
    db = {"kind": "rds_instance", "id": "itsupport-prod-db", "class": "db.t4g.micro", "engine": "mysql",
          "multi_az": False, "storage_type": "gp3", "size_gb": 20, "status": "available"}
    # 730 h x $0.026 = 18.98; 20 GB x $0.131 = 2.62; Multi-AZ twice each.
    single = cost.model([db], prices)
    multi = cost.model([dict(db, multi_az=True)], prices)
    assert [r["monthly"] for r in single[0]] == [Decimal("18.98"), Decimal("2.62")] and single[1] == Decimal("21.60")
    assert [r["monthly"] for r in multi[0]] == [Decimal("37.96"), Decimal("5.24")] and multi[1] == Decimal("43.20")
    assert "Multi-AZ" in multi[0][0]["detail"]
    stopped = cost.model([dict(db, status="stopped")], prices)
    assert [r["resource"] for r in stopped[0]] == ["itsupport-prod-db (storage)"]


def test_a_stopped_instance_costs_its_volumes_only_and_an_unpriced_item_is_named():
    stopped = [dict(ENVIRONMENT[1], state="stopped"), ENVIRONMENT[4],
               {"kind": "instance", "id": "i-x", "type": "m7g.large", "state": "running", "lifecycle": "on-demand",
                "az": "ap-northeast-2a"}]
    rows, total, missing = cost.model(stopped, PRICES)
    assert [r["resource"] for r in rows] == ["vol-dev"] and total == Decimal("2.74")
    assert missing == ["i-x: ondemand:m7g.large (no price)"]


def test_price_list_answers_and_the_spot_median_are_read():
    """Price List GetProducts answers in the API's documented shape (the
    PriceList entries are JSON strings), kept in tests/files/pricing/."""
    for name, price, unit in (("ec2-t4g-micro.json", "0.0104", "Hrs"), ("ebs-gp3.json", "0.0912", "GB-Mo")):
        answer = json.loads((ROOT / "tests/files/pricing" / name).read_text())
        assert cost.price_from_price_list(answer["PriceList"])[:2] == (Decimal(price), unit)
    with pytest.raises(ValueError):
        cost.price_from_price_list([json.dumps({"terms": {"OnDemand": {}}})])
    assert cost.median(["0.0072", "0.0070", "0.0090"]) == Decimal("0.0072")
    assert cost.median(["0.0070", "0.0080"]) == Decimal("0.0075")


def test_price_list_queries_ask_for_the_product_priced():
    """The module's GetProducts request per price key (a stubbed client:
    the parameters it sends, the answer it reads)."""
    import boto3
    from botocore.stub import Stubber
    module = project_module("plugins/modules/aws_cost_model.py")
    client = boto3.client("pricing", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    answers = {"ondemand:t4g.micro": ("ec2-t4g-micro.json", "AmazonEC2", {
        "instanceType": "t4g.micro", "regionCode": "ap-northeast-2", "operatingSystem": "Linux", "tenancy": "Shared",
        "preInstalledSw": "NA", "capacitystatus": "Used"}),
        "ebs:gp3": ("ebs-gp3.json", "AmazonEC2", {"productFamily": "Storage", "volumeApiName": "gp3",
                                                  "regionCode": "ap-northeast-2"})}
    with Stubber(client) as stub:
        for key, (fixture, service, filters) in answers.items():
            stub.add_response("get_products", json.loads((ROOT / "tests/files/pricing" / fixture).read_text()),
                              {"ServiceCode": service, "MaxResults": 10,
                               "Filters": [{"Type": "TERM_MATCH", "Field": k, "Value": v} for k, v in filters.items()]})
            price, source = module.api_price(None, client, key, "ap-northeast-2")
            assert (str(price), source) in (("0.0104000000", "Price List API (Hrs)"),
                                            ("0.0912000000", "Price List API (GB-Mo)")), key
        stub.add_response("get_products", {"FormatVersion": "aws_v1", "PriceList": []})
        with pytest.raises(ValueError):
            module.api_price(None, client, "ipv4", "ap-northeast-2")


WASTE_CASES = {
    "unattached volume": ({"kind": "volume", "id": "vol-w", "size_gb": 10, "volume_type": "gp3", "state": "available"},
                          {"kind": "volume", "id": "vol-w", "size_gb": 10, "volume_type": "gp3", "state": "in-use"},
                          "volume attached to nothing", "0.91"),
    "unassociated EIP": ({"kind": "ipv4", "id": "eipalloc-w", "address": "203.0.113.9", "use": "unassociated"},
                         {"kind": "ipv4", "id": "eipalloc-w", "address": "203.0.113.9", "use": "Elastic IP of nat"},
                         "associated with nothing", "3.65"),
    "public IPv4 not needed": ({"kind": "ipv4", "id": "i-dev-ipv4", "address": "203.0.113.8",
                                "use": "public IP of itsupport-dev-devhost", "needed": False},
                               {"kind": "ipv4", "id": "i-nat-ipv4", "address": "203.0.113.7",
                                "use": "public IP of itsupport-dev-nat", "needed": True},
                               "which needs none", "3.65"),
    "old snapshot": ({"kind": "snapshot", "id": "snap-w", "size_gb": 30, "age_days": 40},
                     {"kind": "snapshot", "id": "snap-w", "size_gb": 30, "age_days": 3},
                     "past the 14-day retention", "1.50"),
    # 2 vCPUs x (1 - 20 % baseline) x 730 h x $0.04.
    "unlimited credits": (dict(ENVIRONMENT[1], credits="unlimited"), ENVIRONMENT[1],
                          "unlimited credit mode", "46.72"),
    "Spot request without instance": ({"kind": "spot_request", "id": "sir-w", "state": "open", "instance": None},
                                      {"kind": "spot_request", "id": "sir-w", "state": "active", "instance": "i-dev"},
                                      "open Spot request with no instance", "0.00"),
}


@pytest.mark.parametrize("case", WASTE_CASES)
def test_each_waste_finding_is_found_where_it_is_and_only_there(case):
    bad, good, text, monthly = WASTE_CASES[case]
    base = [ENVIRONMENT[0], ENVIRONMENT[1]] if bad["kind"] != "instance" else [ENVIRONMENT[0]]
    found = cost.waste(base + [bad], PRICES, 14)
    assert [(f["resource"], str(f["monthly"])) for f in found] == [(bad["id"], monthly)], found
    assert text in found[0]["finding"]
    assert cost.waste(base + [good], PRICES, 14) == []


def ce_answer(start, end, groups, estimated=False):
    return {"TimePeriod": {"Start": start, "End": end}, "Estimated": estimated, "Total": {},
            "Groups": [{"Keys": [k], "Metrics": {"UnblendedCost": {"Amount": v, "Unit": "USD"}}} for k, v in groups]}


BEFORE = {"ResultsByTime": [ce_answer("2026-09-01", "2026-10-01", [("Amazon Elastic Compute Cloud - Compute", "41.20"),
                                                                   ("Amazon Relational Database Service", "38.00"),
                                                                   ("Amazon Simple Storage Service", "0.40")])]}
AFTER = {"ResultsByTime": [ce_answer("2026-10-01", "2026-10-31", [("Amazon Elastic Compute Cloud - Compute", "13.10"),
                                                                  ("Amazon Simple Storage Service", "0.45"),
                                                                  ("Amazon Virtual Private Cloud", "3.65")]),
                           ce_answer("2026-10-31", "2026-10-31", [("Amazon Elastic Compute Cloud - Compute", "2.00")],
                                     estimated=True)]}


def test_cost_explorer_comparison_keeps_finalized_rows_and_the_same_scope():
    c = cost.compare_cost_explorer(BEFORE, AFTER)
    assert [(r["service"], str(r["before"]), str(r["after"])) for r in c["rows"]] == [
        ("Amazon Elastic Compute Cloud - Compute", "41.20", "13.10"),
        ("Amazon Simple Storage Service", "0.40", "0.45")]
    assert (str(c["total_before"]), str(c["total_after"])) == ("41.60", "13.55")
    assert c["only_before"] == {"Amazon Relational Database Service": Decimal("38.00")}
    assert c["only_after"] == {"Amazon Virtual Private Cloud": Decimal("3.65")}
    assert c["estimated_excluded"] == 1


def test_the_default_windows_are_the_last_two_complete_months_of_equal_length():
    assert cost_windows("2026-11-28") == {"before": ["2026-09-01", "2026-10-01"], "after": ["2026-10-01", "2026-10-31"]}
    assert cost_windows("2026-03-05") == {"before": ["2026-01-01", "2026-01-29"], "after": ["2026-02-01", "2026-03-01"]}


# --- The playbook against moto ------------------------------------------------

TAGS = [{"Key": "Project", "Value": "itsupport"}, {"Key": "Environment", "Value": "dev"}]


def play(moto, *args, extra_vars=None):
    rc, out, recap = moto.playbook("playbooks/cost.yml", *args, extra_vars=extra_vars)
    return types.SimpleNamespace(returncode=rc, output=out, recap=recap)


def seed_cost_explorer(url, results):
    body = json.dumps({"results": results}).encode()
    req = urllib.request.Request(url + "/moto-api/static/ce/cost-and-usage-results", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()


@pytest.fixture(scope="module")
def account(moto, tmp_path_factory):
    """A small environment: the NAT (on-demand, Elastic IP), the Spot dev
    host, and two things billed for nothing (a volume attached to nothing,
    an Elastic IP associated with nothing); Cost Explorer seeded with the two
    windows' answers."""
    ec2 = moto.client("ec2")
    image = ec2.describe_images(Owners=["136693071363"])["Images"][0]["ImageId"]

    def run(name, itype, **extra):
        tags = TAGS + [{"Key": "Name", "Value": name}]
        return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType=itype,
                                 CreditSpecification={"CpuCredits": "standard"},
                                 TagSpecifications=[{"ResourceType": "instance", "Tags": tags},
                                                    {"ResourceType": "volume", "Tags": tags}],
                                 **extra)["Instances"][0]["InstanceId"]
    nat = run("itsupport-dev-nat", "t4g.micro")
    run("itsupport-dev-devhost", "t4g.medium", InstanceMarketOptions={
        "MarketType": "spot", "SpotOptions": {"SpotInstanceType": "persistent", "InstanceInterruptionBehavior": "stop"}})
    eip = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": TAGS}])
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=nat)
    spare = ec2.allocate_address(Domain="vpc", TagSpecifications=[{"ResourceType": "elastic-ip", "Tags": TAGS}])
    loose = ec2.create_volume(AvailabilityZone="ap-northeast-2a", Size=10, VolumeType="gp3",
                              TagSpecifications=[{"ResourceType": "volume", "Tags": TAGS}])
    moto.client("s3").create_bucket(Bucket="itsupport-dev-db-backups",
                                    CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    # Production's cluster (the project wires itsupport-<production_environment>, the lab's prod): one app, two Fargate tasks.
    ecs = moto.client("ecs")
    ecs.create_cluster(clusterName="itsupport-prod")
    ecs.register_task_definition(family="council", requiresCompatibilities=["FARGATE"], networkMode="awsvpc",
                                 cpu="512", memory="1024",
                                 containerDefinitions=[{"name": "council", "image": "council:1", "essential": True}])
    ecs.create_service(cluster="itsupport-prod", serviceName="council", taskDefinition="council", desiredCount=2,
                       launchType="FARGATE")
    # Production's database (the project wires itsupport-prod-db), Multi-AZ.
    moto.client("rds").create_db_instance(
        DBInstanceIdentifier="itsupport-prod-db", Engine="mysql", EngineVersion="8.4.3",
        DBInstanceClass="db.t4g.micro", AllocatedStorage=20, StorageType="gp2", MultiAZ=True,
        MasterUsername="admin", MasterUserPassword="lab-only-pw-1")
    seed_cost_explorer(moto.url, [BEFORE, AFTER])
    report_dir = tmp_path_factory.mktemp("cost-report")
    return {"eip": eip, "spare": spare["AllocationId"], "volume": loose["VolumeId"], "report_dir": report_dir,
            "vars": {"cost_guard_report_before": ["2026-09-01", "2026-10-01"],
                     "cost_guard_report_after": ["2026-10-01", "2026-10-31"],
                     "cost_guard_report_dir": str(report_dir),
                     "cost_guard_alert_emails": ["treasurer@example.org"]}}


@pytest.fixture(scope="module")
def runs(moto, account):
    first = play(moto, "-v", extra_vars=account["vars"])
    second = play(moto, "-v", extra_vars=account["vars"])
    return first, second


def model_result(run):
    marker = "TASK [cost_guard : Price the live resources for a 730-hour month]"
    return run.output.split(marker, 1)[1].split("TASK [", 1)[0]


def test_the_budget_exists_once_with_its_alerts_and_a_second_run_changes_nothing(moto, runs):
    first, second = runs
    assert first.returncode == 0, first.output
    assert second.returncode == 0, second.output
    assert second.recap["localhost"]["changed"] == 0, second.output
    budgets = moto.client("budgets")
    found = [b for b in budgets.describe_budgets(AccountId="123456789012")["Budgets"]
             if b["BudgetName"] == "itsupport-dev-monthly"]
    assert len(found) == 1 and Decimal(found[0]["BudgetLimit"]["Amount"]) == 150, found
    assert found[0]["TimeUnit"] == "MONTHLY" and found[0]["BudgetType"] == "COST"
    notes = budgets.describe_notifications_for_budget(AccountId="123456789012",
                                                      BudgetName="itsupport-dev-monthly")["Notifications"]
    assert sorted((n["NotificationType"], float(n["Threshold"])) for n in notes) == [("ACTUAL", 90.0),
                                                                                     ("FORECASTED", 100.0)]


def test_the_budget_topic_lets_budgets_publish_and_mails_the_admins(moto, runs):
    sns = moto.client("sns")
    arn = "arn:aws:sns:ap-northeast-2:123456789012:itsupport-dev-budget"
    policy = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])
    assert [(s["Principal"], s["Action"], s["Resource"]) for s in policy["Statement"]] == [
        ({"Service": "budgets.amazonaws.com"}, "sns:Publish", arn)]
    assert policy["Statement"][0]["Condition"]["StringEquals"] == {"aws:SourceAccount": "123456789012"}
    subs = sns.list_subscriptions_by_topic(TopicArn=arn)["Subscriptions"]
    assert [(s["Protocol"], s["Endpoint"]) for s in subs] == [("email", "treasurer@example.org")]


def test_the_live_model_prices_what_runs_and_finds_the_waste(runs, account):
    out = model_result(runs[0])
    # Table prices for the lab (no Price List API): the NAT 730 h x $0.0104.
    assert "$0.0104/h | $7.59 | table 2026-11-26" in " ".join(out.split()), out
    assert "public IP of itsupport-dev-nat (Elastic IP)" in out and "$3.65" in out
    assert "Spot price history, median of" in out, "the Spot host was not priced from the price history"
    # By hand: NAT 730 x 0.0104 = 7.59; dev host at moto's Spot price 730 x
    # 0.00001 = 0.01; three public IPv4 addresses (the NAT's Elastic IP, the
    # spare one, the dev host's) 3 x 3.65; moto's two 8 GB gp2 root volumes
    # 2 x 8 x 0.114 = 2 x 0.91; the loose 10 GB gp3 0.91; an empty bucket 0;
    # two Fargate tasks of 0.5 vCPU and 1 GB: 730 vCPU-h x 0.03725 = 27.19,
    # 1460 GB-h x 0.00409 = 5.97; the Multi-AZ database 2 x 730 h x 0.026 =
    # 37.96 and 2 x 20 GB x 0.131 = 5.24.
    assert "| **total** | 730-hour month" in out and "**$97.64**" in out, out
    assert "2 task(s) x 0.5 vCPU" in out
    assert "db.t4g.micro mysql, Multi-AZ" in out and "$37.96" in out and "$5.24" in out
    text = " ".join(runs[0].output.split())
    assert f"{account['volume']}: volume attached to nothing (10 GB) ($0.91/month)" in text, text
    assert f"{account['spare']}: Elastic IP" in text and "associated with nothing ($3.65/month)" in text, text
    assert "public IP of itsupport-dev-devhost, which needs none" in text, text
    assert "public IP of itsupport-dev-nat" not in text.split("Waste:", 1)[1].split("TASK [", 1)[0]
    assert "None" not in text.split("Waste:", 1)[1].split("TASK [", 1)[0]


def test_the_report_compares_finalized_costs_and_draws_them(runs, account):
    md = (account["report_dir"] / "cost-report.md").read_text()
    assert "| Amazon Elastic Compute Cloud - Compute | $41.20 | $13.10 | $-28.10 |" in md, md
    assert "Rows left out because Cost Explorer marked them Estimated: 1." in md
    assert "Only before (not compared): Amazon Relational Database Service $38.00." in md
    svg = account["report_dir"] / "cost-report.svg"
    assert svg.stat().st_size > 800
    root = ET.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    bars = [r for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("height") == "18"]
    assert len(bars) == 4, "two services, before and after"


def test_a_changed_limit_replaces_the_budget_where_update_budget_is_missing(moto, runs, account):
    res = play(moto, "-v", extra_vars={**account["vars"], "cost_guard_budget_usd": 160})
    assert res.returncode == 0, res.output
    assert "method: replaced" in res.output, res.output
    budgets = moto.client("budgets")
    b = budgets.describe_budget(AccountId="123456789012", BudgetName="itsupport-dev-monthly")["Budget"]
    assert Decimal(b["BudgetLimit"]["Amount"]) == 160
    notes = budgets.describe_notifications_for_budget(AccountId="123456789012",
                                                      BudgetName="itsupport-dev-monthly")["Notifications"]
    assert len(notes) == 2


def test_a_month_near_the_budget_fails_the_run_in_check_mode_changing_nothing(moto, runs, account):
    budgets = moto.client("budgets")
    before = budgets.describe_budget(AccountId="123456789012", BudgetName="itsupport-dev-monthly")["Budget"]
    res = play(moto, "--check", extra_vars={**account["vars"], "cost_guard_fail_percent": 50,
                                            "cost_guard_budget_usd": 155})
    assert res.returncode != 0, res.output
    text = " ".join(res.output.split())
    assert "% of the $155 budget, above cost_guard_fail_percent (50%)" in text, text
    after = budgets.describe_budget(AccountId="123456789012", BudgetName="itsupport-dev-monthly")["Budget"]
    assert after["BudgetLimit"] == before["BudgetLimit"], "check mode wrote the budget"


@pytest.fixture(scope="module")
def budgets_with_updates():
    """A moto server in this process with the Budgets calls moto lacks added
    (UpdateBudget, DescribeSubscribersForNotification), as AWS answers them,
    so the module's real-AWS path runs: an update in place, subscribers
    compared."""
    from moto.budgets.exceptions import NotFoundException
    from moto.budgets.responses import BudgetsResponse
    from moto.server import ThreadedMotoServer

    from conftest import free_port

    def budget(self, account, name):
        try:
            return self.backend.budgets[account][name]
        except KeyError:
            raise NotFoundException(f"Unable to get budget: {name}")

    def update_budget(self):
        new = self._get_param("NewBudget")
        b = budget(self, self._get_param("AccountId"), new["BudgetName"])
        b.budget = {**b.budget, **new}
        return json.dumps({})

    def describe_subscribers_for_notification(self):
        b = budget(self, self._get_param("AccountId"), self._get_param("BudgetName"))
        want = self._get_param("Notification")
        for n in b.notifications:
            if n.details == want:
                return json.dumps({"Subscribers": n.subscribers})
        raise NotFoundException("Unable to find the notification")

    added = {"update_budget": update_budget,
             "describe_subscribers_for_notification": describe_subscribers_for_notification}
    saved = {name: BudgetsResponse.__dict__.get(name) for name in added}
    for name, fn in added.items():
        setattr(BudgetsResponse, name, fn)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield port
    server.stop()
    for name, fn in saved.items():
        if fn is None:
            delattr(BudgetsResponse, name)
        else:
            setattr(BudgetsResponse, name, fn)


def test_where_aws_answers_every_call_the_budget_is_updated_in_place_and_subscribers_compared(budgets_with_updates):
    import boto3
    from labhelpers import run_playbook
    url = f"http://127.0.0.1:{budgets_with_updates}"
    budgets = boto3.client("budgets", region_name="us-east-1", endpoint_url=url,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    actual = {"NotificationType": "ACTUAL", "ComparisonOperator": "GREATER_THAN", "Threshold": 80.0,
              "ThresholdType": "PERCENTAGE"}
    # Someone made the budget by hand: the old limit, one alert, to one address.
    budgets.create_budget(AccountId="123456789012", Budget={
        "BudgetName": "itsupport-dev-monthly", "BudgetLimit": {"Amount": "150", "Unit": "USD"},
        "TimeUnit": "MONTHLY", "BudgetType": "COST"}, NotificationsWithSubscribers=[
        {"Notification": actual, "Subscribers": [{"SubscriptionType": "EMAIL", "Address": "old@example.org"}]}])
    extra = {"cost_guard_budget_usd": 160, "cost_guard_report": False, "cost_guard_bucket": ""}
    runs = [run_playbook(str(ROOT / "playbooks/cost.yml"), "-v", inventory=str(ROOT / "inventories/lab"),
                         extra_vars=extra, env={"LAB_MOTO_PORT": str(budgets_with_updates)}) for _ in range(2)]
    (rc, out, _), (rc2, out2, recap2) = runs
    assert rc == 0, out
    assert "method: updated" in out and "does not answer" not in out, out
    b = budgets.describe_budget(AccountId="123456789012", BudgetName="itsupport-dev-monthly")["Budget"]
    assert Decimal(b["BudgetLimit"]["Amount"]) == 160
    topic = "arn:aws:sns:ap-northeast-2:123456789012:itsupport-dev-budget"
    notes = budgets.describe_notifications_for_budget(AccountId="123456789012",
                                                      BudgetName="itsupport-dev-monthly")["Notifications"]
    assert sorted((n["NotificationType"], float(n["Threshold"])) for n in notes) == [("ACTUAL", 90.0),
                                                                                     ("FORECASTED", 100.0)]
    for n in notes:
        subs = budgets.describe_subscribers_for_notification(AccountId="123456789012",
                                                             BudgetName="itsupport-dev-monthly",
                                                             Notification=n)["Subscribers"]
        assert subs == [{"SubscriptionType": "SNS", "Address": topic}], (n, subs)
    assert rc2 == 0 and recap2["localhost"]["changed"] == 0, out2


CASES = bad_inputs("cost")
NO_AWS = {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
BASE = {"cost_guard_region": "ap-northeast-2", "cost_guard_tags": {"Project": "itsupport", "Environment": "dev"},
        "cost_guard_name_prefix": "itsupport-dev",
        "cost_guard_access_key": "testing",
        "cost_guard_secret_key": "testing"}


ROLE = "cost_guard"
ENTRY_POINTS = ["estimate", "main"]
REFUSAL_OPTIONS = {"env": NO_AWS}


@pytest.mark.parametrize("n", range(len(CASES)), ids=[p.id for p in CASES])
def test_bad_input_is_refused_before_any_call(refusals, n):
    _, message = CASES[n].values
    assert_refused_case(refusals[n], message, ("cost_guard : Check", "cost_guard : Validating arguments",
                                               "cost_guard : Price the configuration"))


def test_the_base_configuration_gets_past_the_checks_to_the_first_call(refusals):
    names = [task for task, _ in refusals["control"]]
    assert names[-1] == "cost_guard : Read the account ID (the budget's topic ARN)", names
    assert refusals["control"][-1][1]["status"] == "failed"
