# -*- coding: utf-8 -*-
# The project's own action plugin (role cost_guard, tasks_from: estimate):
# the configuration's monthly cost, typical and worst case, priced from the
# inventory alone (no AWS call) with the project's dated price table, before
# site.yml, production.yml or cost.yml changes anything.
#
# It reads the settings the roles will use: each variable as the play sees
# it (inventory, -e, group_vars wiring) or, where the play does not define
# it, the default of the role that owns it (roles/<kind>/<role>/defaults/
# main.yml). Read from aws_infra: the NAT's and the dev host's instance
# types, root volume sizes and the dev host's Spot max price; from
# production: the apps (production_apps' names, production_app_defaults
# merged with production_app_settings: cpu, memory, min_tasks, max_tasks),
# the capacity provider strategy, the database (class, Multi-AZ, storage),
# the log retention and Container Insights. The traffic, log and backup
# volumes are the cost guard's stated assumptions (its own arguments).
#
# The arithmetic is plugins/module_utils/itsupport_cost.py's estimate(), the
# same that writes docs/costs.md (scripts/costs_doc.py).

import glob
import importlib.util
import os
from decimal import Decimal, InvalidOperation

import yaml
from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DEV = {  # plan key -> aws_infra variable
    "nat_type": "aws_infra_nat_instance_type",
    "nat_volume_gb": "aws_infra_nat_root_volume_size",
    "devhost_type": "aws_infra_devhost_instance_type",
    "devhost_volume_gb": "aws_infra_devhost_root_volume_size",
    "devhost_spot_max_price": "aws_infra_devhost_spot_max_price",
}
PROVIDERS = ("FARGATE", "FARGATE_SPOT")


def cost_module():
    spec = importlib.util.spec_from_file_location(
        "itsupport_cost", os.path.join(ROOT, "plugins", "module_utils", "itsupport_cost.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def number(name, value, minimum=0, integer=False):
    """value as a Decimal (an int when integer), refused below minimum,
    naming the variable (from -e key=value a number arrives as text)."""
    try:
        out = Decimal(str(value).strip())
        if not out.is_finite() or (integer and out != out.to_integral_value()):
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        raise AnsibleActionFail(f"{name} must be a {'whole ' if integer else ''}number, got {value!r}. "
                                "Nothing was changed.")
    if out < minimum:
        raise AnsibleActionFail(f"{name} must be at least {minimum}, got {value!r}. Nothing was changed.")
    return int(out) if integer else out


def check_strategy(strategy):
    """The capacity provider strategy as ECS takes it, refused otherwise:
    known Fargate providers, each once; exactly one base, at least 1 (a task
    that Spot cannot take away); weights that place the other tasks."""
    name = "production_capacity_provider_strategy"
    if not isinstance(strategy, list) or not strategy or not all(isinstance(i, dict) for i in strategy):
        raise AnsibleActionFail(f"{name} must be a list of {{capacity_provider, base, weight}}, got {strategy!r}. "
                                "Nothing was changed.")
    seen, out = set(), []
    for item in strategy:
        provider = item.get("capacity_provider")
        if provider not in PROVIDERS:
            raise AnsibleActionFail(f"{name}: unknown capacity provider {provider!r} (Fargate's are "
                                    f"{', '.join(PROVIDERS)}). Nothing was changed.")
        if provider in seen:
            raise AnsibleActionFail(f"{name}: {provider} is listed twice. Nothing was changed.")
        seen.add(provider)
        out.append({"capacity_provider": provider,
                    "base": number(f"{name}[{provider}].base", item.get("base", 0), integer=True),
                    "weight": number(f"{name}[{provider}].weight", item.get("weight", 0), integer=True)})
    based = [i for i in out if i["base"] > 0]
    if len(based) != 1:
        raise AnsibleActionFail(f"{name} must give exactly one provider a base of at least 1 (the tasks that "
                                f"always run, e.g. FARGATE base 1), got {len(based)}. Nothing was changed.")
    if sum(i["weight"] for i in out) == 0:
        raise AnsibleActionFail(f"{name}: every weight is 0, so no task beyond the base has a provider. "
                                "Nothing was changed.")
    return out


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(("budget", "accept_over_budget", "region", "alb_lcus", "log_gb_per_month",
                             "backup_gb", "rds_backup_extra_gb"))

    def _value(self, task_vars, role, name):
        """name as the play sees it, else the owning role's default."""
        if name in task_vars:
            return self._templar.template(task_vars[name])
        files = glob.glob(os.path.join(ROOT, "roles", "*", role, "defaults", "main.yml"))
        defaults = yaml.safe_load(open(files[0])) if files else {}
        if name not in (defaults or {}):
            raise AnsibleActionFail(f"{name} is not set and {role} has no default for it")
        return self._templar.template(defaults[name])

    def plan(self, task_vars, args):
        value = self._value
        dev = {key: value(task_vars, "aws_infra", var) for key, var in DEV.items()}
        dev["nat_volume_gb"] = number(DEV["nat_volume_gb"], dev["nat_volume_gb"], 1, integer=True)
        dev["devhost_volume_gb"] = number(DEV["devhost_volume_gb"], dev["devhost_volume_gb"], 1, integer=True)
        if str(dev["devhost_spot_max_price"]).strip():
            dev["devhost_spot_max_price"] = number(DEV["devhost_spot_max_price"], dev["devhost_spot_max_price"])
        else:
            dev["devhost_spot_max_price"] = ""
        dev["backup_gb"] = args["backup_gb"]

        defaults = value(task_vars, "production", "production_app_defaults")
        settings = value(task_vars, "production", "production_app_settings") or {}
        names = value(task_vars, "production", "production_apps") if "apps" in task_vars else {}
        apps = {}
        for name in names:
            app = dict(defaults, **(settings.get(name) or {}))
            low = number(f"production_app_settings.{name}.min_tasks", app["min_tasks"], 1, integer=True)
            high = number(f"production_app_settings.{name}.max_tasks", app["max_tasks"], 1, integer=True)
            if high < low:
                raise AnsibleActionFail(f"production_app_settings.{name}: max_tasks ({high}) is below min_tasks "
                                        f"({low}). Nothing was changed.")
            apps[name] = {"cpu": number(f"production_app_settings.{name}.cpu", app["cpu"], 256, integer=True),
                          "memory": number(f"production_app_settings.{name}.memory", app["memory"], 512, integer=True),
                          "min_tasks": low, "max_tasks": high}
        db = {
            "class": value(task_vars, "production", "production_db_instance_class"),
            "multi_az": self._bool(value(task_vars, "production", "production_db_multi_az")),
            "storage_gb": number("production_db_storage_gb",
                                 value(task_vars, "production", "production_db_storage_gb"), 20, integer=True),
            "storage_type": value(task_vars, "production", "production_db_storage_type"),
            "backup_extra_gb": args["rds_backup_extra_gb"],
        }
        production = {
            "apps": apps,
            "strategy": check_strategy(value(task_vars, "production", "production_capacity_provider_strategy")),
            "alb_azs": 2,
            "alb_lcus": args["alb_lcus"],
            "db": db,
            "log_gb_per_month": args["log_gb_per_month"],
            "log_retention_days": number("production_log_retention_days",
                                         value(task_vars, "production", "production_log_retention_days"), 1,
                                         integer=True),
            "container_insights": self._bool(value(task_vars, "production", "production_container_insights")),
        }
        return {"dev": dev, "production": production}

    @staticmethod
    def _bool(value):
        from ansible.module_utils.parsing.convert_bool import boolean
        return boolean(value, strict=False)

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = dict(self._task.args)
        # The role's tasks/budget.yml checked it first, in the guard's words.
        budget = number("cost_guard_budget_usd", args.get("budget"), Decimal("0.01"))
        figures = {key: number(f"cost_guard_assumed_{key}", args.get(key), 0)
                   for key in ("alb_lcus", "log_gb_per_month", "backup_gb", "rds_backup_extra_gb")}
        cost = cost_module()
        prices = cost.TABLE.get(args.get("region"))
        if prices is None:
            raise AnsibleActionFail(f"No price table for region {args.get('region')!r} (the table has "
                                    f"{', '.join(cost.TABLE)}): add its prices to plugins/module_utils/"
                                    "itsupport_cost.py. Nothing was changed.")
        prices = {key: (price, f"table {cost.TABLE_DATE}") for key, price in prices.items()}
        plan = self.plan(task_vars, figures)
        cases = {}
        for case in ("typical", "worst"):
            try:
                rows, total = cost.estimate(plan, prices, case)
            except KeyError as err:
                raise AnsibleActionFail(f"No price in the {args.get('region')} table for {err.args[0]}: add it to "
                                        "plugins/module_utils/itsupport_cost.py. Nothing was changed.")
            title = "Typical month" if case == "typical" else "Worst case"
            cases[case] = {
                "total": str(total),
                "share_percent": float((total / budget * 100).quantize(Decimal("0.1"))),
                "rows": [dict(r, quantity=str(r["quantity"]), unit_price=str(r["unit_price"]),
                              monthly=str(r["monthly"])) for r in rows],
                "markdown": cost.estimate_markdown(rows, total, budget, title),
                "lines": cost.estimate_text(rows, total, budget, title),
                "biggest": cost.biggest(rows),
            }
        worst = Decimal(cases["worst"]["total"])
        accept = str(args.get("accept_over_budget") or "").strip()
        accepted = False
        if accept:
            accepted = number("cost_guard_accept_over_budget_usd", accept) == worst
        result.update(changed=False, budget=str(budget), typical=cases["typical"], worst=cases["worst"],
                      over_budget=worst > budget, accepted=accepted, price_date=cost.TABLE_DATE)
        return result
