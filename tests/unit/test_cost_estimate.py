"""The configuration's cost before any change (role cost_guard, tasks_from:
estimate; plugins/action/cost_estimate.py over itsupport_cost.estimate):
totals equal figures computed by hand, line by line, and an impossible
setting is refused naming it."""

import copy
from decimal import Decimal

import pytest
from ansible.errors import AnsibleActionFail
from ansible.module_utils import itsupport_cost as cost

PRICES = {k: (v, "table 2026-11-26") for k, v in cost.TABLE["ap-northeast-2"].items()}
# The project's defaults (aws_infra, production, cost_guard's assumptions).
PLAN = {
    "dev": {"nat_type": "t4g.micro", "nat_volume_gb": 8, "devhost_type": "t4g.medium", "devhost_volume_gb": 30,
            "devhost_spot_max_price": Decimal("0.012"), "backup_gb": Decimal(2)},
    "production": {
        "apps": {name: {"cpu": 512, "memory": 1024, "min_tasks": 1, "max_tasks": 2} for name in ("council", "homepage")},
        "strategy": [{"capacity_provider": "FARGATE", "base": 1, "weight": 0},
                     {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 1}],
        "alb_azs": 2, "alb_lcus": Decimal(1),
        "db": {"class": "db.t4g.micro", "multi_az": True, "storage_gb": 20, "storage_type": "gp3",
               "backup_extra_gb": Decimal(0)},
        "log_gb_per_month": Decimal(5), "log_retention_days": 30, "container_insights": False,
    },
}


def lines(plan, case):
    rows, total = cost.estimate(plan, PRICES, case)
    return {r["resource"]: r["monthly"] for r in rows}, total


def variant(**changes):
    plan = copy.deepcopy(PLAN)
    for path, value in changes.items():
        *parents, key = path.split("__")
        node = plan
        for parent in parents:
            node = node[parent]
        node[key] = value
    return plan


def test_the_defaults_typical_month_line_by_line():
    got, total = lines(PLAN, "typical")
    # By hand, 730 hours: NAT 0.0104 x 730 = 7.592; IPv4 0.005 x 730; 8 GB x
    # 0.0912; Spot 0.0072 x 730 = 5.256; 30 GB x 0.0912 = 2.736; 2 GB x 0.025.
    # Each app's one FARGATE task: 0.5 vCPU x 730 x 0.03725 = 13.59625 and
    # 1 GB x 730 x 0.00409 = 2.9857. ALB 0.0225 x 730 = 16.425, 1 LCU x 730 x
    # 0.008 = 5.84, two zones' IPv4 2 x 3.65. Multi-AZ db.t4g.micro 2 x 730 x
    # 0.026 = 37.96, storage 2 x 20 x 0.131 = 5.24. Logs 5 GB x 0.76 = 3.80,
    # 30 days kept: 5 GB x 0.0314 = 0.157.
    assert got == {
        "NAT instance": Decimal("7.59"), "NAT Elastic IP": Decimal("3.65"), "NAT root volume": Decimal("0.73"),
        "Dev host": Decimal("5.26"), "Dev host root volume": Decimal("2.74"), "Backup bucket": Decimal("0.05"),
        "council on FARGATE": Decimal("13.60"), "council on FARGATE (memory)": Decimal("2.99"),
        "homepage on FARGATE": Decimal("13.60"), "homepage on FARGATE (memory)": Decimal("2.99"),
        "Load balancer": Decimal("16.43"), "Load balancer (LCUs)": Decimal("5.84"),
        "Load balancer (public IPv4)": Decimal("7.30"), "Database": Decimal("37.96"),
        "Database (storage)": Decimal("5.24"), "Database (backups)": Decimal("0.00"), "Logs (ingested)": Decimal("3.80"),
        "Logs (stored)": Decimal("0.16")}
    assert total == Decimal("129.93")


def test_the_defaults_worst_case_fits_the_budget():
    got, total = lines(PLAN, "worst")
    # The dev host at its max price 0.012 x 730 = 8.76; each app's second
    # task on FARGATE_SPOT: 0.5 x 730 x 0.01118 = 4.0807 and 730 x 0.00123 = 0.8979.
    assert got["Dev host"] == Decimal("8.76")
    assert got["council on FARGATE_SPOT"] == got["homepage on FARGATE_SPOT"] == Decimal("4.08")
    assert got["council on FARGATE_SPOT (memory)"] == Decimal("0.90")
    assert total == Decimal("143.39")
    print(f"the defaults' worst case: ${total} of $150")
    assert total <= 150


def test_no_max_price_prices_the_dev_host_at_on_demand_in_the_worst_case():
    got, total = lines(variant(dev__devhost_spot_max_price=""), "worst")
    assert got["Dev host"] == Decimal("30.37")  # 0.0416 x 730 = 30.368
    assert total == Decimal("143.39") - Decimal("8.76") + Decimal("30.37")
    # The typical month keeps the recorded Spot price.
    assert lines(variant(dev__devhost_spot_max_price=""), "typical")[0]["Dev host"] == Decimal("5.26")


def test_single_az_halves_the_database():
    got, total = lines(variant(production__db__multi_az=False), "typical")
    assert (got["Database"], got["Database (storage)"]) == (Decimal("18.98"), Decimal("2.62"))
    assert total == Decimal("129.93") - Decimal("21.60")


def test_the_spot_share_splits_the_tasks_beyond_the_base_by_weight():
    strategy = [{"capacity_provider": "FARGATE", "base": 1, "weight": 1},
                {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 3}]
    assert cost.split_tasks(5, strategy) == {"FARGATE": Decimal(2), "FARGATE_SPOT": Decimal(3)}
    assert cost.split_tasks(1, strategy) == {"FARGATE": Decimal(1), "FARGATE_SPOT": Decimal(0)}
    plan = variant(production__strategy=strategy)
    plan["production"]["apps"] = {"council": {"cpu": 512, "memory": 1024, "min_tasks": 1, "max_tasks": 5}}
    got, _ = lines(plan, "worst")
    # 2 on-demand tasks: 2 x 13.59625 = 27.1925; 3 Spot: 3 x 4.0807 = 12.2421.
    assert got["council on FARGATE"] == Decimal("27.19")
    assert got["council on FARGATE_SPOT"] == Decimal("12.24")
    assert got["council on FARGATE_SPOT (memory)"] == Decimal("2.69")  # 3 x 0.8979


def test_traffic_logs_backups_and_container_insights_are_priced_as_assumed():
    plan = variant(production__alb_lcus=Decimal("2.5"), production__log_gb_per_month=Decimal(10),
                   production__log_retention_days=7, production__container_insights=True,
                   production__db__backup_extra_gb=Decimal(10))
    got, _ = lines(plan, "typical")
    assert got["Load balancer (LCUs)"] == Decimal("14.60")  # 2.5 x 730 x 0.008
    assert got["Logs (ingested)"] == Decimal("7.60")
    assert got["Logs (stored)"] == Decimal("0.07")  # 10 GB x 7/30 x 0.0314 = 0.0733
    assert got["Database (backups)"] == Decimal("0.95")
    assert got["Container Insights"] == Decimal("9.00")  # (8 + 11 x 2) metrics x 0.30


def test_four_tasks_per_app_on_demand_break_the_budget():
    plan = variant(production__strategy=[{"capacity_provider": "FARGATE", "base": 1, "weight": 1}])
    for app in plan["production"]["apps"].values():
        app["max_tasks"] = 4
    rows, total = cost.estimate(plan, PRICES, "worst")
    assert total > 150
    assert cost.biggest(rows, 1) == ["council on FARGATE $54.39"]  # 4 x 13.59625


def test_the_text_lines_name_a_setting_as_the_source_and_end_with_the_total():
    rows, total = cost.estimate(PLAN, PRICES, "worst")
    text = cost.estimate_text(rows, total, 150, "Worst case")
    assert text[0] == "Worst case:" and text[-1] == "total $143.39 a month, 95.6% of the $150 budget"
    assert [line for line in text if "(setting)" in line] == [line for line in text if "Dev host " in line
                                                               and "root" not in line]


@pytest.fixture
def action(plugin):
    return plugin("action", "cost_estimate")


@pytest.mark.parametrize("strategy, says", [
    ([{"capacity_provider": "FARGATE", "base": 0, "weight": 1}], "exactly one provider a base"),
    ([{"capacity_provider": "FARGATE", "base": 1, "weight": 1}, {"capacity_provider": "FARGATE_SPOT", "base": 1,
                                                                 "weight": 1}], "exactly one provider a base"),
    ([{"capacity_provider": "EC2_SPOT", "base": 1, "weight": 1}], "unknown capacity provider 'EC2_SPOT'"),
    ([{"capacity_provider": "FARGATE", "base": 1, "weight": 0}], "every weight is 0"),
    ([{"capacity_provider": "FARGATE", "base": 1, "weight": 1}, {"capacity_provider": "FARGATE", "weight": 1}],
     "FARGATE is listed twice"),
    ([{"capacity_provider": "FARGATE", "base": -1, "weight": 1}], "base must be at least 0"),
    ("FARGATE", "must be a list"),
])
def test_an_impossible_strategy_is_refused_naming_it(action, strategy, says):
    with pytest.raises(AnsibleActionFail) as err:
        action.check_strategy(strategy)
    assert "production_capacity_provider_strategy" in str(err.value) and says in str(err.value)


@pytest.mark.parametrize("value, says", [("-1", "at least 0"), ("lots", "must be a number"), ("inf", "must be a number")])
def test_a_negative_or_unreadable_assumption_is_refused_naming_it(action, value, says):
    with pytest.raises(AnsibleActionFail) as err:
        action.number("cost_guard_assumed_alb_lcus", value)
    assert "cost_guard_assumed_alb_lcus" in str(err.value) and says in str(err.value)


def test_a_number_from_key_value_text_is_read(action):
    assert action.number("cost_guard_assumed_alb_lcus", "2.5") == Decimal("2.5")
    assert action.number("production_db_storage_gb", "20", integer=True) == 20


class Templar:
    @staticmethod
    def template(value):
        return value


def plan_of(action, **task_vars):
    module = action.ActionModule.__new__(action.ActionModule)
    module._templar = Templar()
    figures = {"alb_lcus": Decimal(1), "log_gb_per_month": Decimal(5), "backup_gb": Decimal(2),
               "rds_backup_extra_gb": Decimal(0)}
    return module.plan(dict({"apps": {}, "production_apps": {"council": {}, "homepage": {}}}, **task_vars), figures)


def test_the_plan_is_the_play_s_settings_over_the_roles_defaults(action):
    plan = plan_of(action, production_app_settings={"council": {"max_tasks": "3"}},
                   aws_infra_devhost_spot_max_price="", production_db_multi_az="false")
    # From the roles' defaults files: the instance types, volumes, the strategy.
    assert plan["dev"] == {"nat_type": "t4g.micro", "nat_volume_gb": 8, "devhost_type": "t4g.medium",
                           "devhost_volume_gb": 30, "devhost_spot_max_price": "", "backup_gb": Decimal(2)}
    assert plan["production"]["apps"]["council"]["max_tasks"] == 3  # text from -e, read as a number
    assert plan["production"]["apps"]["homepage"]["max_tasks"] == 2
    assert plan["production"]["db"]["multi_az"] is False
    assert plan["production"]["strategy"][0] == {"capacity_provider": "FARGATE", "base": 1, "weight": 0}


def test_max_tasks_below_min_tasks_is_refused_naming_the_app(action):
    with pytest.raises(AnsibleActionFail) as err:
        plan_of(action, production_app_settings={"homepage": {"min_tasks": 3, "max_tasks": 2}})
    assert "production_app_settings.homepage: max_tasks (2) is below min_tasks (3)" in str(err.value)


def test_the_live_model_prices_what_the_estimate_prices_from_the_resources_found():
    """The live model's kinds for production (aws_cost_model reads them):
    a service split over its strategy, the load balancer, the log groups,
    the database with its assumed backups, Container Insights."""
    resources = [
        {"kind": "ecs_service", "id": "council", "desired": 3, "cpu": "512", "memory": "1024",
         "strategy": [{"capacity_provider": "FARGATE", "base": 1, "weight": 0},
                      {"capacity_provider": "FARGATE_SPOT", "base": 0, "weight": 1}]},
        {"kind": "load_balancer", "id": "itsupport-prod", "lcus": Decimal(1), "azs": 2},
        {"kind": "log_groups", "id": "/ecs/itsupport-prod-*", "groups": 2, "stored_bytes": 3 * 1024 ** 3,
         "ingest_gb": Decimal(5)},
        {"kind": "rds_instance", "id": "itsupport-prod-db", "class": "db.t4g.micro", "engine": "mysql",
         "multi_az": True, "storage_type": "gp3", "size_gb": 20, "status": "available",
         "backup_extra_gb": Decimal(0)},
        {"kind": "insights", "id": "itsupport-prod (Container Insights)", "metrics": 19},
    ]
    rows, total, missing = cost.model(resources, PRICES)
    got = {r["resource"]: r["monthly"] for r in rows}
    assert missing == []
    assert got["council on FARGATE"] == Decimal("13.60")
    assert got["council on FARGATE_SPOT"] == Decimal("8.16")  # 2 x 0.5 x 730 x 0.01118 = 8.1614
    assert got["council on FARGATE_SPOT (memory)"] == Decimal("1.80")  # 2 x 730 x 0.00123 = 1.7958
    assert (got["itsupport-prod"], got["itsupport-prod (LCUs)"], got["itsupport-prod (public IPv4)"]) == (
        Decimal("16.43"), Decimal("5.84"), Decimal("7.30"))
    assert got["/ecs/itsupport-prod-* (ingested)"] == Decimal("3.80")
    assert got["/ecs/itsupport-prod-* (stored)"] == Decimal("0.09")  # 3 GB x 0.0314 = 0.0942
    assert got["itsupport-prod-db"] == Decimal("37.96") and got["itsupport-prod-db (storage)"] == Decimal("5.24")
    assert got["itsupport-prod-db (backups)"] == Decimal("0.00")
    assert got["itsupport-prod (Container Insights)"] == Decimal("5.70")  # 19 x 0.30
    # The same price keys as the estimate's rows.
    assert {r["key"] for r in rows} <= set(PRICES)


def test_the_two_models_are_compared_on_what_both_price(plugin):
    compare = plugin("filter", "cost").cost_compare
    est_rows, _ = cost.estimate(PLAN, PRICES, "typical")
    live = [{"key": "alb:hour", "monthly": "16.43"}, {"key": "fargate:arm64:vcpu", "monthly": "13.60"},
            {"key": "s3:standard", "monthly": "0.00"}, {"key": "ondemand:t4g.medium", "monthly": "30.37"}]
    rows = {c["key"]: c for c in compare(est_rows, live)}
    assert set(rows) == {"alb:hour", "fargate:arm64:vcpu", "s3:standard"}  # t4g.medium on-demand: live only
    assert rows["alb:hour"]["agree"] is True
    # Two apps' base tasks in the estimate, one service live.
    assert rows["fargate:arm64:vcpu"] == {"key": "fargate:arm64:vcpu", "estimate": "27.20", "live": "13.60",
                                          "agree": False, "why": "the live count or size differs from the setting"}
    assert rows["s3:standard"]["why"].startswith("the bucket's bytes now")


def test_a_production_line_without_a_price_names_its_key():
    """Production is priced by the live model (strict): a class the table
    does not hold is the key the action names, not a line left out."""
    with pytest.raises(KeyError, match="rds:mysql:db.x9.huge"):
        cost.estimate(variant(production__db__class="db.x9.huge"), PRICES, "typical")


def test_the_plans_production_is_what_the_live_model_prices():
    """One arithmetic: the estimate's production lines are the live model's
    rows over the resources the plan would run."""
    rows, _ = cost.estimate(PLAN, PRICES, "worst")
    live, _, missing = cost.model(cost.production_resources(PLAN["production"], True), PRICES)
    assert not missing
    assert [(r["resource"], r["monthly"]) for r in rows if r["part"] == "prod"] == \
        [(r["resource"], r["monthly"]) for r in live]
