# -*- coding: utf-8 -*-
"""The cost guard's arithmetic (role cost_guard, modules aws_cost_model and
aws_cost_report): prices, the monthly model, the waste findings, the Cost
Explorer comparison and their Markdown and SVG renderings. No AWS calls
here: the modules read AWS and hand plain data in, so every figure can be
checked by hand in tests/integration/test_cost_guard.py."""

from __future__ import annotations

import datetime
import json
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape

HOURS_PER_MONTH = Decimal(730)
CENT = Decimal("0.01")

# The dated fallback price table (AWS list prices, USD, Linux, recorded for
# the regions the club uses). Used when the Price List API cannot be reached
# (the lab, no network) or price_source is "table"; the output names it.
TABLE_DATE = "2026-11-26"
TABLE = {
    "ap-northeast-2": {
        "ondemand:t4g.nano": Decimal("0.0052"),    # per hour
        "ondemand:t4g.micro": Decimal("0.0104"),
        "ondemand:t4g.small": Decimal("0.0208"),
        "ondemand:t4g.medium": Decimal("0.0416"),
        "ondemand:t4g.large": Decimal("0.0832"),
        "ondemand:t4g.xlarge": Decimal("0.1664"),
        "ondemand:t4g.2xlarge": Decimal("0.3328"),
        "ondemand:t3.nano": Decimal("0.0065"),
        "ondemand:t3.micro": Decimal("0.013"),
        "ondemand:t3.small": Decimal("0.026"),
        "ondemand:t3.medium": Decimal("0.052"),
        "ondemand:t3.large": Decimal("0.104"),
        "spot:t4g.medium": Decimal("0.0072"),      # per hour, observed (the blueprint)
        "ebs:gp3": Decimal("0.0912"),              # per GB-month
        "ebs:gp2": Decimal("0.114"),
        "snapshot": Decimal("0.05"),               # per GB-month
        "ipv4": Decimal("0.005"),                  # per public IPv4 address-hour
        "s3:standard": Decimal("0.025"),           # per GB-month
        # Fargate Linux/ARM, per vCPU-hour and GB-hour: Seoul's x86 price
        # less the 20 % Graviton discount (approximate; check before relying).
        "fargate:arm64:vcpu": Decimal("0.03725"),
        "fargate:arm64:gb": Decimal("0.00409"),
        "t4g:surplus-vcpu": Decimal("0.04"),       # per vCPU-hour of surplus credits
        # RDS for MySQL, single-AZ on-demand per hour and storage per
        # GB-month (approximate; Multi-AZ doubles both; check before relying).
        "rds:mysql:db.t4g.micro": Decimal("0.026"),
        "rds:mysql:db.t4g.small": Decimal("0.052"),
        "rds:mysql:db.t4g.medium": Decimal("0.104"),
        "rds:storage:gp3": Decimal("0.131"),
        "rds:storage:gp2": Decimal("0.131"),
        # Automated backups beyond the free allowance (the database's
        # provisioned storage), per GB-month.
        "rds:backup": Decimal("0.095"),
        # Fargate Spot, Linux/ARM (platform 1.4.0 or later): AWS sets it per
        # region and it moves; recorded as 30 % of the Fargate price (about
        # the 70 % discount AWS advertises). The worst case uses it as is.
        "fargate_spot:arm64:vcpu": Decimal("0.01118"),
        "fargate_spot:arm64:gb": Decimal("0.00123"),
        # Application Load Balancer: per hour and per LCU-hour.
        "alb:hour": Decimal("0.0225"),
        "alb:lcu": Decimal("0.008"),
        # CloudWatch Logs: per GB ingested, per GB-month stored; a custom
        # metric (Container Insights) per metric-month.
        "logs:ingest": Decimal("0.76"),
        "logs:storage": Decimal("0.0314"),
        "cloudwatch:metric": Decimal("0.30"),
    },
}
VCPUS = {"t4g.nano": 2, "t4g.micro": 2, "t4g.small": 2, "t4g.medium": 2, "t4g.large": 2, "t4g.xlarge": 4,
         "t4g.2xlarge": 8}
# Baseline CPU share per vCPU: only use above it costs surplus credits.
BASELINE = {"t4g.nano": Decimal("0.05"), "t4g.micro": Decimal("0.10"), "t4g.small": Decimal("0.20"),
            "t4g.medium": Decimal("0.20"), "t4g.large": Decimal("0.30"), "t4g.xlarge": Decimal("0.40"),
            "t4g.2xlarge": Decimal("0.40")}


def money(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def price_key(resource):
    """The price key of an instance: spot:<type>@<az> (Spot prices differ by
    Availability Zone) or ondemand:<type>."""
    if resource.get("lifecycle") == "spot":
        return f"spot:{resource['type']}@{resource.get('az', '')}"
    return f"ondemand:{resource['type']}"


def table_price(region, key):
    """(price, source) from the dated table, or (None, reason)."""
    prices = TABLE.get(region, {})
    key = key.split("@")[0]
    if key in prices:
        return prices[key], f"table {TABLE_DATE}"
    return None, f"no table price for {key} in {region}"


def price_from_price_list(price_list):
    """The on-demand USD price of the first product in a Price List API
    GetProducts answer (its PriceList entries are JSON strings). Returns
    (price, unit, description)."""
    for entry in price_list:
        product = json.loads(entry) if isinstance(entry, str) else entry
        for term in product.get("terms", {}).get("OnDemand", {}).values():
            for dim in term.get("priceDimensions", {}).values():
                usd = dim.get("pricePerUnit", {}).get("USD")
                if usd is not None and Decimal(usd) > 0:
                    return Decimal(usd), dim.get("unit", ""), dim.get("description", "")
    raise ValueError("no on-demand USD price in the Price List answer")


def median(values):
    values = sorted(Decimal(v) for v in values)
    if not values:
        raise ValueError("no values")
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def model(resources, prices, strict=False):
    """Monthly cost of each resource. resources: dicts with kind and the
    figures of that kind (see aws_cost_model's RETURN); prices: key ->
    (price, source). Returns (rows, total, missing) with rows of
    {resource, kind, detail, quantity, unit_price, unit, monthly, source,
    key}. strict: a key with no price raises KeyError(key) instead of being
    listed in missing. The live model (aws_cost_model) prices what it finds
    with it, the estimate (estimate below) what the configuration would run."""
    rows, missing = [], []

    def add(res, key, quantity, unit, detail):
        price, source = prices.get(key) or prices.get(key.split("@")[0]) or (None, "no price")
        if price is None:
            if strict:
                raise KeyError(key)
            missing.append(f"{res['id']}: {key} ({source})")
            return
        rows.append({"resource": res["id"], "name": res.get("name", ""), "kind": res["kind"], "detail": detail,
                     "quantity": Decimal(quantity), "unit_price": str(price), "unit": unit,
                     "monthly": money(Decimal(price) * quantity), "source": source, "key": key.split("@")[0]})

    for res in resources:
        kind = res["kind"]
        if kind == "instance":
            if res["state"] in ("running", "pending"):
                spot = res.get("lifecycle") == "spot"
                add(res, price_key(res), HOURS_PER_MONTH, "h",
                    f"{res['type']}, {'Spot' if spot else 'on-demand'}, credits {res.get('credits', '?')}")
        elif kind == "volume":
            add(res, f"ebs:{res['volume_type']}", Decimal(res["size_gb"]), "GB-month",
                f"{res['size_gb']} GB {res['volume_type']}, {res['state']}")
        elif kind == "snapshot":
            add(res, "snapshot", Decimal(res["size_gb"]), "GB-month", f"{res['size_gb']} GB, {res['age_days']} days old")
        elif kind == "ipv4":
            add(res, "ipv4", HOURS_PER_MONTH, "h", f"{res['address']} ({res['use']})")
        elif kind == "bucket":
            add(res, "s3:standard", Decimal(res["bytes"]) / Decimal(1024 ** 3), "GB-month",
                f"{Decimal(res['bytes']) / Decimal(1024 ** 2):.1f} MB in {res['objects']} objects")
        elif kind == "ecs_service":
            # Split over the service's capacity provider strategy as ECS
            # places the tasks (none: the FARGATE launch type).
            strategy = res.get("strategy") or [{"capacity_provider": "FARGATE", "base": 0, "weight": 1}]
            for provider, tasks in split_tasks(res["desired"], strategy).items():
                if tasks == 0 and len(strategy) > 1:
                    continue
                family, label = ("fargate", "") if provider == "FARGATE" else ("fargate_spot", "Spot ")
                suffix = f" on {provider}" if res.get("strategy") else ""
                add(dict(res, id=res["id"] + suffix), f"{family}:arm64:vcpu",
                    tasks * Decimal(res["cpu"]) / 1024 * HOURS_PER_MONTH, "vCPU-h",
                    f"{_fmt(tasks)} {label}task(s) x {Decimal(res['cpu']) / 1024} vCPU")
                add(dict(res, id=res["id"] + suffix + " (memory)"), f"{family}:arm64:gb",
                    tasks * Decimal(res["memory"]) / 1024 * HOURS_PER_MONTH, "GB-h",
                    f"{_fmt(tasks)} {label}task(s) x {Decimal(res['memory']) / 1024} GB")
        elif kind == "load_balancer":
            add(res, "alb:hour", HOURS_PER_MONTH, "h", "Application Load Balancer, hours")
            add(dict(res, id=res["id"] + " (LCUs)"), "alb:lcu", Decimal(res["lcus"]) * HOURS_PER_MONTH, "LCU-h",
                f"{_fmt(res['lcus'])} LCU on average (assumed traffic)")
            add(dict(res, id=res["id"] + " (public IPv4)"), "ipv4", Decimal(res["azs"]) * HOURS_PER_MONTH, "h",
                f"one per zone, {res['azs']} zones")
        elif kind == "log_groups":
            add(dict(res, id=res["id"] + " (ingested)"), "logs:ingest", Decimal(res["ingest_gb"]), "GB",
                f"{_fmt(res['ingest_gb'])} GB a month (assumed)")
            # Stored: what the log groups hold (live), or a month's
            # ingestion kept for the retention period (planned).
            if "stored_bytes" in res:
                stored = Decimal(res["stored_bytes"]) / Decimal(1024 ** 3)
                held = f"{stored:.2f} GB in {res['groups']} log group(s)"
            else:
                stored = Decimal(res["ingest_gb"]) * Decimal(res["retention_days"]) / 30
                held = f"{stored:.2f} GB, {res['retention_days']} days kept"
            add(dict(res, id=res["id"] + " (stored)"), "logs:storage", stored, "GB-month", held)
        elif kind == "insights":
            add(res, "cloudwatch:metric", Decimal(res["metrics"]), "metric-month",
                f"Container Insights, {res['metrics']} custom metrics")
        if kind == "rds_instance" and res["status"] != "stopped":
            copies = 2 if res["multi_az"] else 1
            az = "Multi-AZ (two copies)" if res["multi_az"] else "single-AZ"
            add(res, f"rds:{res['engine']}:{res['class']}", copies * HOURS_PER_MONTH, "h",
                f"{res['class']} {res['engine']}, {az}")
            add(dict(res, id=res["id"] + " (storage)"), f"rds:storage:{res['storage_type']}",
                Decimal(copies * res["size_gb"]), "GB-month", f"{res['size_gb']} GB {res['storage_type']}, {az}")
        elif kind == "rds_instance":  # stopped: its storage only
            add(dict(res, id=res["id"] + " (storage)"), f"rds:storage:{res['storage_type']}",
                Decimal((2 if res["multi_az"] else 1) * res["size_gb"]), "GB-month",
                f"{res['size_gb']} GB {res['storage_type']}, instance stopped")
        if kind == "rds_instance" and res.get("backup_extra_gb") is not None:
            add(dict(res, id=res["id"] + " (backups)"), "rds:backup", Decimal(res["backup_extra_gb"]), "GB-month",
                f"{_fmt(res['backup_extra_gb'])} GB beyond the free allowance (assumed)")
    total = money(sum((r["monthly"] for r in rows), Decimal(0)))
    return rows, total, missing


def waste(resources, prices, snapshot_retention_days):
    """Findings: things billed for nothing. Each {resource, finding, monthly}."""
    found = []

    def cost(key, quantity):
        price = prices.get(key, (None, ""))[0]
        return money(Decimal(price) * quantity) if price is not None else None

    instances = {r["id"]: r for r in resources if r["kind"] == "instance"}
    for res in resources:
        kind = res["kind"]
        if kind == "volume" and res["state"] == "available":
            found.append({"resource": res["id"], "finding": f"volume attached to nothing ({res['size_gb']} GB)",
                          "monthly": cost(f"ebs:{res['volume_type']}", Decimal(res["size_gb"]))})
        elif kind == "ipv4" and res["use"] == "unassociated":
            found.append({"resource": res["id"], "finding": f"Elastic IP {res['address']} associated with nothing",
                          "monthly": cost("ipv4", HOURS_PER_MONTH)})
        elif kind == "ipv4" and res["use"].startswith("public IP of ") and not res.get("needed", False):
            found.append({"resource": res["id"], "finding": f"{res['use']}, which needs none (not listed as needing one)",
                          "monthly": cost("ipv4", HOURS_PER_MONTH)})
        elif kind == "snapshot" and res["age_days"] > snapshot_retention_days:
            found.append({"resource": res["id"],
                          "finding": f"snapshot {res['age_days']} days old, past the {snapshot_retention_days}-day retention",
                          "monthly": cost("snapshot", Decimal(res["size_gb"]))})
        elif kind == "instance" and res.get("credits") == "unlimited" and res["type"].startswith("t4g."):
            # At most: the whole month flat out, every vCPU above its baseline.
            surplus = Decimal(VCPUS.get(res["type"], 2)) * (1 - BASELINE.get(res["type"], Decimal("0.2")))
            found.append({"resource": res["id"],
                          "finding": f"{res['type']} in unlimited credit mode (surplus credits are billed, "
                                     "up to this when it runs flat out all month; use standard)",
                          "monthly": cost("t4g:surplus-vcpu", surplus * HOURS_PER_MONTH)})
        elif kind == "spot_request" and res["state"] in ("open", "disabled") and res.get("instance") not in instances:
            found.append({"resource": res["id"], "finding": f"{res['state']} Spot request with no instance",
                          "monthly": Decimal("0.00")})
    return found


def window_days(start, end):
    return (datetime.date.fromisoformat(end) - datetime.date.fromisoformat(start)).days


def compare_cost_explorer(before, after):
    """Two GetCostAndUsage answers (GroupBy SERVICE, one metric) -> per
    service the finalized cost of each window. Rows marked Estimated are
    left out and counted; services seen in one window only are listed apart,
    so the totals compare the same scope."""
    def finalized(answer):
        costs, estimated = {}, 0
        for period in answer.get("ResultsByTime", []):
            if period.get("Estimated"):
                estimated += max(1, len(period.get("Groups", [])))
                continue
            for group in period.get("Groups", []):
                service = group["Keys"][0]
                metric = next(iter(group["Metrics"].values()))
                costs[service] = costs.get(service, Decimal(0)) + Decimal(metric["Amount"])
        return costs, estimated

    a, est_a = finalized(before)
    b, est_b = finalized(after)
    both = sorted(set(a) & set(b))
    rows = [{"service": s, "before": money(a[s]), "after": money(b[s]), "change": money(b[s] - a[s])} for s in both]
    return {
        "rows": rows,
        "total_before": money(sum((a[s] for s in both), Decimal(0))),
        "total_after": money(sum((b[s] for s in both), Decimal(0))),
        "only_before": {s: money(a[s]) for s in sorted(set(a) - set(b))},
        "only_after": {s: money(b[s]) for s in sorted(set(b) - set(a))},
        "estimated_excluded": est_a + est_b,
    }


def _md_cell(value):
    return str(value).replace("|", "\\|")


def model_markdown(rows, total, budget, sources, date):
    lines = [f"| resource | what | unit price | per month | price source |", "|---|---|---|---|---|"]
    for r in rows:
        name = f"{r['name']} ({r['resource']})" if r["name"] else r["resource"]
        lines.append(f"| {_md_cell(name)} | {_md_cell(r['detail'])} | ${r['unit_price']}/{r['unit']} "
                     f"| ${r['monthly']} | {r['source']} |")
    lines.append(f"| **total** | 730-hour month, {date} | | **${total}** | {_share(total, budget)} |")
    return "\n".join(lines) + "\n"


def report_markdown(comparison, before, after):
    lines = [f"Cost per service, finalized Cost Explorer data only (UnblendedCost, USD).",
             f"Before: {before[0]} to {before[1]}; after: {after[0]} to {after[1]} (end dates exclusive).", "",
             "| service | before | after | change |", "|---|---|---|---|"]
    for r in comparison["rows"]:
        lines.append(f"| {_md_cell(r['service'])} | ${r['before']} | ${r['after']} | ${r['change']} |")
    lines.append(f"| **same services, total** | **${comparison['total_before']}** | **${comparison['total_after']}** "
                 f"| **${money(comparison['total_after'] - comparison['total_before'])}** |")
    lines.append("")
    for label, key in (("Only before (not compared)", "only_before"), ("Only after (not compared)", "only_after")):
        if comparison[key]:
            lines.append(f"{label}: " + ", ".join(f"{s} ${v}" for s, v in comparison[key].items()) + ".")
    lines.append(f"Rows left out because Cost Explorer marked them Estimated: {comparison['estimated_excluded']}.")
    lines.append("Read the change as the sum of everything that changed between the windows (usage, prices, "
                 "credits, new services), not as the effect of one decision.")
    return "\n".join(lines) + "\n"


def report_svg(comparison, title):
    """Grouped bars per service, before and after, as an SVG document."""
    rows = comparison["rows"]
    width, bar, gap, left, top, height = 720, 18, 14, 230, 50, 0
    height = top + len(rows) * (2 * bar + gap) + 40
    peak = max([float(r["before"]) for r in rows] + [float(r["after"]) for r in rows] + [0.01])
    scale = (width - left - 90) / peak
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
           '<rect x="10" y="30" width="12" height="12" fill="#9aa5b1"/><text x="26" y="40">before</text>',
           '<rect x="80" y="30" width="12" height="12" fill="#1f77b4"/><text x="96" y="40">after</text>']
    y = top
    for r in rows:
        out.append(f'<text x="{left - 8}" y="{y + bar + 4}" text-anchor="end">{escape(r["service"])}</text>')
        for value, colour in ((r["before"], "#9aa5b1"), (r["after"], "#1f77b4")):
            w = max(1.0, float(value) * scale)
            out.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{colour}"/>')
            out.append(f'<text x="{left + w + 4:.1f}" y="{y + bar - 5}">${value}</text>')
            y += bar
        y += gap
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- The configuration's cost, before anything exists ------------------------
# estimate() prices what a configuration would run, from the inventory alone
# (no AWS call): the typical month and the worst case. It is what site.yml,
# production.yml and cost.yml print first and what they refuse a
# configuration on (role cost_guard, tasks_from: estimate), and what
# docs/costs.md is made from (scripts/costs_doc.py).

# Container Insights (when on): custom metrics per cluster and per service
# (CloudWatch's count for ECS, about), each priced per metric-month.
INSIGHTS_METRICS_CLUSTER = 8
INSIGHTS_METRICS_SERVICE = 11


def split_tasks(count, strategy):
    """How many of `count` tasks run on each capacity provider of an ECS
    capacity provider strategy: the base first on the one provider that has
    one, the rest shared by weight. Returns {provider: Decimal}."""
    count = Decimal(count)
    shares = {item["capacity_provider"]: Decimal(0) for item in strategy}
    based = [item for item in strategy if int(item.get("base", 0)) > 0]
    base = min(count, Decimal(based[0]["base"])) if based else Decimal(0)
    if based:
        shares[based[0]["capacity_provider"]] += base
    weight = sum(Decimal(item.get("weight", 0)) for item in strategy)
    if count > base and weight > 0:
        for item in strategy:
            shares[item["capacity_provider"]] += (count - base) * Decimal(item.get("weight", 0)) / weight
    return shares


def _share(total, budget):
    """ "86.6% of $150": a total as a share of the budget."""
    budget = Decimal(budget)
    share = (Decimal(total) / budget * 100).quantize(Decimal("0.1")) if budget else Decimal(0)
    return f"{share}% of ${_fmt(budget)}"


def _fmt(value):
    """A count or size as written: 2, 1.5 (not 2.000 or 1.50)."""
    value = Decimal(value)
    return str(value.quantize(Decimal(1))) if value == value.to_integral_value() else str(value.normalize())


def production_resources(prod, worst):
    """The production part of a plan as the live model's resources (what
    aws_cost_model would find once production runs it): each app's
    service at its minimum of tasks (its maximum in the worst case) over
    the capacity provider strategy, the load balancer, the database, the
    log groups and Container Insights when on."""
    resources = [{"kind": "ecs_service", "id": name, "desired": app["max_tasks"] if worst else app["min_tasks"],
                  "cpu": app["cpu"], "memory": app["memory"], "strategy": prod["strategy"]}
                 for name, app in sorted(prod["apps"].items())]
    db = prod["db"]
    resources += [
        {"kind": "load_balancer", "id": "Load balancer", "lcus": prod["alb_lcus"], "azs": prod["alb_azs"]},
        {"kind": "rds_instance", "id": "Database", "status": "available", "engine": "mysql", "class": db["class"],
         "multi_az": db["multi_az"], "size_gb": db["storage_gb"], "storage_type": db["storage_type"],
         "backup_extra_gb": db["backup_extra_gb"]},
        {"kind": "log_groups", "id": "Logs", "ingest_gb": prod["log_gb_per_month"],
         "retention_days": prod["log_retention_days"], "groups": len(prod["apps"])},
    ]
    if prod["container_insights"]:
        resources.append({"kind": "insights", "id": "Container Insights",
                          "metrics": INSIGHTS_METRICS_CLUSTER + INSIGHTS_METRICS_SERVICE * len(prod["apps"])})
    return resources


def estimate(plan, prices, case):
    """Rows of the month `case` ("typical" or "worst") of a configuration.
    plan: {"dev": {...}, "production": {...} or None} (see the cost_guard
    role's estimate entry point for each figure); prices: key -> (price,
    source). Each row: {part, resource, what, quantity, unit, unit_price,
    monthly, source, key}. The typical month runs each app's minimum of
    tasks and the dev host at the recorded Spot price; the worst case runs
    each app's maximum and the dev host at its Spot max price (the on-demand
    price when none is set: what AWS charges at most). Production is priced
    by the live model (model) over the resources it would run
    (production_resources): one arithmetic for the plan and for what runs."""
    rows = []
    worst = case == "worst"

    def add(part, resource, what, key, quantity, unit, priced_as=None):
        price, source = prices[key]
        rows.append({"part": part, "resource": resource, "what": what, "quantity": Decimal(quantity),
                     "unit": unit, "unit_price": Decimal(price), "monthly": money(Decimal(price) * Decimal(quantity)),
                     "source": source, "key": priced_as or key})

    dev = plan["dev"]
    hours = HOURS_PER_MONTH
    add("dev", "NAT instance", f"{dev['nat_type']}, on-demand", f"ondemand:{dev['nat_type']}", hours, "h")
    add("dev", "NAT Elastic IP", "public IPv4, attached", "ipv4", hours, "h")
    add("dev", "NAT root volume", f"{dev['nat_volume_gb']} GB gp3", "ebs:gp3", dev["nat_volume_gb"], "GB-month")
    cap = Decimal(dev["devhost_spot_max_price"]) if dev.get("devhost_spot_max_price") else None
    ondemand_key = f"ondemand:{dev['devhost_type']}"
    if worst:
        if cap is not None and cap < prices[ondemand_key][0]:
            rows_price = (cap, "aws_infra_devhost_spot_max_price")
            what = f"{dev['devhost_type']}, Spot at its max price"
        else:
            rows_price = prices[ondemand_key]
            what = f"{dev['devhost_type']}, Spot at the on-demand price (no lower max price)"
    else:
        spot = prices.get(f"spot:{dev['devhost_type']}")
        if spot is None:  # no Spot price recorded for this type: at most on-demand
            spot = (prices[ondemand_key][0], prices[ondemand_key][1] + ", on-demand: no Spot price recorded")
        rows_price = (cap, "aws_infra_devhost_spot_max_price") if cap is not None and cap < spot[0] else spot
        what = f"{dev['devhost_type']}, Spot"
    prices = dict(prices, **{"devhost": rows_price})
    add("dev", "Dev host", what, "devhost", hours, "h", priced_as=f"spot:{dev['devhost_type']}")
    add("dev", "Dev host root volume", f"{dev['devhost_volume_gb']} GB gp3", "ebs:gp3", dev["devhost_volume_gb"],
        "GB-month")
    add("dev", "Backup bucket", f"{_fmt(dev['backup_gb'])} GB of dumps kept", "s3:standard", dev["backup_gb"],
        "GB-month")

    prod = plan.get("production")
    if prod:
        live, _, _ = model(production_resources(prod, worst), prices, strict=True)
        rows += [{"part": "prod", "resource": r["resource"], "what": r["detail"], "quantity": r["quantity"],
                  "unit": r["unit"], "unit_price": Decimal(r["unit_price"]), "monthly": r["monthly"],
                  "source": r["source"], "key": r["key"]} for r in live]
    total = money(sum((r["monthly"] for r in rows), Decimal(0)))
    return rows, total


def estimate_markdown(rows, total, budget, title):
    lines = [f"| part | resource | what | unit price | per month | price source |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['part']} | {_md_cell(r['resource'])} | {_md_cell(r['what'])} "
                     f"| ${r['unit_price'].normalize():f}/{r['unit']} | ${r['monthly']} | {r['source']} |")
    lines.append(f"| **{title}** | | | | **${total}** | {_share(total, budget)} |")
    return "\n".join(lines) + "\n"


def biggest(rows, count=3):
    """The `count` costliest lines, most first, as "resource $x"."""
    top = sorted(rows, key=lambda r: r["monthly"], reverse=True)[:count]
    return [f"{r['resource']} ${r['monthly']}" for r in top]


def estimate_text(rows, total, budget, title):
    """The same rows as aligned plain-text lines (the playbooks print them):
    a price from the dated table shows no source (the playbook names the
    table once), one from a setting (the Spot max price) says so."""
    table = [(r["part"], r["resource"], r["what"], f"${r['unit_price'].normalize():f}/{r['unit']}",
              f"${r['monthly']}", "" if r["source"].startswith("table") else "(setting)") for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(6)]
    lines = [f"{title}:"]
    for row in table:
        lines.append(" ".join(cell.rjust(widths[i]) if i == 4 else cell.ljust(widths[i])
                              for i, cell in enumerate(row)).rstrip())
    lines.append(f"total ${total} a month, {_share(total, budget).replace(' of ', ' of the ')} budget")
    return lines
