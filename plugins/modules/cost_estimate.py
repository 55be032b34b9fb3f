#!/usr/bin/python
# -*- coding: utf-8 -*-
# Documentation only: the work is done by the action plugin of the same name
# (plugins/action/cost_estimate.py), on the controller, with no AWS call.

DOCUMENTATION = r"""
module: cost_estimate
short_description: The configuration's monthly cost, typical and worst case, before any change
description:
  - Prices what the configuration would run for a 730-hour month from the
    inventory alone, with the project's dated price table
    (plugins/module_utils/itsupport_cost.py), no AWS call.
  - "Dev: the NAT instance, its Elastic IP and volume, the dev host (typical:
    Spot at the recorded price; worst case: at aws_infra_devhost_spot_max_price,
    or on-demand when none is set) and its volume, the backup bucket."
  - "Production: each app's tasks (typical: min_tasks; worst case: max_tasks)
    split over the capacity provider strategy, the load balancer (hours, LCUs
    and one public IPv4 per zone), the database (Multi-AZ doubles the
    instance and storage), its backups beyond the free allowance, the logs
    ingested and stored, Container Insights when on."
  - Reads each setting as the play sees it, or the default of the role that
    owns it. Refuses an impossible setting (a strategy with no base, max_tasks
    below min_tasks, a negative figure), naming it.
  - Never fails on the total: the caller compares it with the budget.
options:
  budget:
    description: The monthly budget in USD.
    type: float
    required: true
  accept_over_budget:
    description: The worst-case total repeated (e.g. C(218.40)); C(accepted) is true when it equals it.
    type: str
    default: ""
  region:
    description: The region whose price table is used.
    type: str
    required: true
  alb_lcus:
    description: Average load balancer capacity units over the month (the assumed traffic).
    type: float
    required: true
  log_gb_per_month:
    description: GB of logs the apps' tasks write a month (assumed).
    type: float
    required: true
  backup_gb:
    description: GB of the dev database's dumps kept in S3 (assumed).
    type: float
    required: true
  rds_backup_extra_gb:
    description: GB of the production database's automated backups beyond the free allowance (assumed).
    type: float
    required: true
author: itsupport club admins
"""

EXAMPLES = r"""
- name: Price the configuration
  cost_estimate:
    budget: 150
    region: ap-northeast-2
    alb_lcus: 1
    log_gb_per_month: 5
    backup_gb: 2
    rds_backup_extra_gb: 0
  register: estimate
"""

RETURN = r"""
typical:
  description: The typical month, with total, share_percent, rows, markdown and the biggest lines.
  type: dict
  returned: success
worst:
  description: The worst case, the same keys.
  type: dict
  returned: success
over_budget:
  description: The worst case is above the budget.
  type: bool
  returned: success
accepted:
  description: accept_over_budget equals the worst-case total.
  type: bool
  returned: success
price_date:
  description: The date of the price table.
  type: str
  returned: success
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    AnsibleModule(argument_spec={"budget": {"type": "float", "required": True},
                                 "accept_over_budget": {"type": "str", "default": ""},
                                 "region": {"type": "str", "required": True},
                                 "alb_lcus": {"type": "float", "required": True},
                                 "log_gb_per_month": {"type": "float", "required": True},
                                 "backup_gb": {"type": "float", "required": True},
                                 "rds_backup_extra_gb": {"type": "float", "required": True}},
                  supports_check_mode=True).fail_json(msg="cost_estimate runs as an action plugin on the controller")


if __name__ == "__main__":
    main()
