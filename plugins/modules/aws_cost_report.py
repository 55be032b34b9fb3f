#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module (the cost guard, role cost_guard): no maintained
# module reads Cost Explorer.
DOCUMENTATION = r"""
module: aws_cost_report
short_description: Cost per service for two windows of equal length, from finalized Cost Explorer data
description:
  - Calls Cost Explorer C(GetCostAndUsage) (monthly granularity, grouped by
    SERVICE) for the window O(before) and the window O(after), keeps only the
    finalized rows (rows with C(Estimated) true are left out and counted),
    compares the services present in both windows and lists the others apart.
  - Writes C(cost-report.md) (a Markdown table) and C(cost-report.svg)
    (grouped bars per service, before and after) to O(report_dir); reports a
    change when either file's content changed. In check mode writes nothing.
options:
  before:
    description: The earlier window, C([start, end]) as ISO dates, end exclusive.
    type: list
    elements: str
    required: true
  after:
    description: The later window, of the same length as O(before).
    type: list
    elements: str
    required: true
  metric:
    description: The Cost Explorer metric.
    type: str
    default: UnblendedCost
  report_dir:
    description: Folder the report files are written to.
    type: path
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""
EXAMPLES = r"""
- name: Compare the last two complete months
  aws_cost_report:
    region: us-east-1
    before: ["2026-09-01", "2026-10-01"]
    after: ["2026-10-01", "2026-11-01"]
    report_dir: reports/costs
"""
RETURN = r"""
rows:
  description: Per service in both windows, before, after and change (USD strings).
  returned: always
  type: list
  elements: dict
estimated_excluded:
  description: How many rows Cost Explorer marked Estimated (left out).
  returned: always
  type: int
only_before:
  description: Services with cost in the earlier window only (not compared).
  returned: always
  type: dict
only_after:
  description: Services with cost in the later window only (not compared).
  returned: always
  type: dict
markdown:
  description: The report as Markdown.
  returned: always
  type: str
files:
  description: The report files.
  returned: always
  type: list
  elements: str
"""

import os

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible.module_utils.itsupport_cost import compare_cost_explorer, report_markdown, report_svg, window_days
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry


def cost_and_usage(ce, window, metric):
    """Every page of one window's answer, merged. The request is built the
    same way every time (Cost Explorer answers, and the lab's stand-in
    replays, by request)."""
    merged, token = {"ResultsByTime": []}, None
    while True:
        request = {"TimePeriod": {"Start": window[0], "End": window[1]}, "Granularity": "MONTHLY",
                   "Metrics": [metric], "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}]}
        if token:
            request["NextPageToken"] = token
        answer = ce.get_cost_and_usage(**request)
        merged["ResultsByTime"] += answer.get("ResultsByTime", [])
        token = answer.get("NextPageToken")
        if not token:
            return merged


def write(path, content, check_mode):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == content:
                return False
    except FileNotFoundError:
        pass
    if not check_mode:
        with open(path + ".tmp", "w", encoding="utf-8") as f:
            f.write(content)
        os.replace(path + ".tmp", path)
    return True


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "before": {"type": "list", "elements": "str", "required": True},
            "after": {"type": "list", "elements": "str", "required": True},
            "metric": {"type": "str", "default": "UnblendedCost"},
            "report_dir": {"type": "path", "required": True},
        },
        supports_check_mode=True,
    )
    before, after = module.params["before"], module.params["after"]
    try:
        lengths = [window_days(*before), window_days(*after)]
    except (TypeError, ValueError) as e:
        module.fail_json(msg=f"before and after must each be [start, end] ISO dates: {e}")
    if lengths[0] <= 0 or lengths[0] != lengths[1]:
        module.fail_json(msg=f"The windows must have the same, positive length: before is {lengths[0]} days, "
                             f"after {lengths[1]}.")
    ce = module.client("ce", retry_decorator=AWSRetry.jittered_backoff())
    metric = module.params["metric"]
    try:
        answers = [cost_and_usage(ce, w, metric) for w in (before, after)]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg="Cost Explorer GetCostAndUsage failed")
    comparison = compare_cost_explorer(*answers)
    markdown = report_markdown(comparison, before, after)
    svg = report_svg(comparison, f"Cost per service (USD): {before[0]}..{before[1]} vs {after[0]}..{after[1]}")
    report_dir = module.params["report_dir"]
    if not module.check_mode:
        os.makedirs(report_dir, exist_ok=True)
    files = [os.path.join(report_dir, "cost-report.md"), os.path.join(report_dir, "cost-report.svg")]
    changed = False
    for path, content in zip(files, (markdown, svg)):
        changed = write(path, content, module.check_mode) or changed
    module.exit_json(
        changed=changed, files=files, markdown=markdown,
        rows=[{k: str(v) for k, v in r.items()} for r in comparison["rows"]],
        total_before=str(comparison["total_before"]), total_after=str(comparison["total_after"]),
        only_before={k: str(v) for k, v in comparison["only_before"].items()},
        only_after={k: str(v) for k, v in comparison["only_after"].items()},
        estimated_excluded=comparison["estimated_excluded"],
    )


if __name__ == "__main__":
    main()
