#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module (the cost guard, role cost_guard): neither
# amazon.aws nor community.aws has one for AWS Budgets.
DOCUMENTATION = r"""
module: aws_budget
short_description: A monthly AWS cost budget with its alert notifications
description:
  - Creates or updates the COST budget O(name) with the limit O(amount) USD
    per O(time_unit), and one notification per item of O(notifications)
    (C(ACTUAL) or C(FORECASTED) spend above a percentage of the limit), each
    sent to the SNS topic O(sns_topic_arn) and the addresses O(emails).
    O(state=absent) deletes it.
  - A changed limit is written with C(UpdateBudget); where the endpoint does
    not implement it (the lab's moto), the budget is deleted and created
    again with its notifications (RV(method) says which). A notification
    whose subscribers changed is deleted and created again.
  - Subscribers are compared where the endpoint answers
    C(DescribeSubscribersForNotification) (AWS does; the lab's moto does
    not, and then they are left as they are, with a warning).
  - Check mode and diff supported.
options:
  name:
    description: The budget's name.
    type: str
    required: true
  amount:
    description: The limit in USD, more than 0.
    type: float
  time_unit:
    description: The budget's period.
    type: str
    choices: [MONTHLY, QUARTERLY, ANNUALLY]
    default: MONTHLY
  notifications:
    description: "The alerts, e.g. C([{type: ACTUAL, threshold: 80}, {type: FORECASTED, threshold: 100}])."
    type: list
    elements: dict
    default: []
    suboptions:
      type:
        description: C(ACTUAL) or C(FORECASTED) spend.
        type: str
        choices: [ACTUAL, FORECASTED]
        required: true
      threshold:
        description: Percentage of the limit, above 0 and at most 1000.
        type: float
        required: true
  sns_topic_arn:
    description: SNS topic the notifications publish to (its policy must let budgets.amazonaws.com publish).
    type: str
    default: ""
  emails:
    description: E-mail addresses the notifications go to (at most 10).
    type: list
    elements: str
    default: []
  state:
    description: C(present) or C(absent).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""
EXAMPLES = r"""
- name: The club's monthly budget
  aws_budget:
    region: us-east-1
    name: itsupport-monthly
    amount: 150
    notifications: [{type: ACTUAL, threshold: 80}, {type: FORECASTED, threshold: 100}]
    sns_topic_arn: arn:aws:sns:ap-northeast-2:123456789012:itsupport-dev-alerts
"""
RETURN = r"""
method:
  description: How the budget was written, C(created), C(updated), C(replaced), C(deleted) or C(none).
  returned: always
  type: str
budget:
  description: The budget as wanted (name, limit, time unit, notifications, subscribers).
  returned: always
  type: dict
"""

from decimal import Decimal

try:
    import botocore.config
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def unimplemented(error):
    """The endpoint has no such operation: moto answers HTTP 500 with the
    bare code "500" (AWS's own server errors carry a name, such as
    InternalErrorException, and are not taken for this)."""
    code = getattr(error, "response", {}).get("Error", {}).get("Code", "")
    return code in ("500", "NotImplemented", "InvalidAction", "UnknownOperationException")


def notification(item):
    return {"NotificationType": item["type"], "ComparisonOperator": "GREATER_THAN",
            "Threshold": float(item["threshold"]), "ThresholdType": "PERCENTAGE"}


def note_key(n):
    return (n["NotificationType"], n.get("ComparisonOperator", "GREATER_THAN"), float(n["Threshold"]),
            n.get("ThresholdType", "PERCENTAGE"))


def sub_key(subs):
    return sorted((s["SubscriptionType"], s["Address"]) for s in subs)


def main():
    module = AnsibleAWSModule(
        argument_spec={
            "name": {"type": "str", "required": True},
            "amount": {"type": "float"},
            "time_unit": {"type": "str", "choices": ["MONTHLY", "QUARTERLY", "ANNUALLY"], "default": "MONTHLY"},
            "notifications": {"type": "list", "elements": "dict", "default": [], "options": {
                "type": {"type": "str", "choices": ["ACTUAL", "FORECASTED"], "required": True},
                "threshold": {"type": "float", "required": True}}},
            "sns_topic_arn": {"type": "str", "default": ""},
            "emails": {"type": "list", "elements": "str", "default": []},
            "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        },
        required_if=[("state", "present", ["amount"])],
        supports_check_mode=True,
    )
    p = module.params
    if p["state"] == "present":
        if p["amount"] <= 0:
            module.fail_json(msg=f"amount is {p['amount']}: a budget limit must be more than 0 USD.")
        for item in p["notifications"]:
            if not 0 < item["threshold"] <= 1000:
                module.fail_json(msg=f"notifications threshold {item['threshold']} is not a percentage above 0.")
        if len(p["emails"]) > 10:
            module.fail_json(msg="emails: AWS Budgets sends a notification to at most 10 addresses.")
        if p["notifications"] and not (p["sns_topic_arn"] or p["emails"]):
            module.fail_json(msg="notifications need sns_topic_arn or emails to go to.")
    sts = module.client("sts")
    budgets = module.client("budgets")
    # One attempt for the calls an endpoint may lack (moto answers them with
    # HTTP 500, which botocore would otherwise retry for seconds).
    budgets_once = module.client("budgets", config=botocore.config.Config(retries={"max_attempts": 1}))
    try:
        account = sts.get_caller_identity()["Account"]
        try:
            current = budgets.describe_budget(AccountId=account, BudgetName=p["name"])["Budget"]
        except is_boto3_error_code("NotFoundException"):
            current = None
        notes = {}
        subscribers_readable = True
        if current:
            for n in budgets.describe_notifications_for_budget(AccountId=account, BudgetName=p["name"]).get("Notifications", []):
                try:
                    subs = budgets_once.describe_subscribers_for_notification(
                        AccountId=account, BudgetName=p["name"], Notification=n)["Subscribers"]
                except botocore.exceptions.ClientError as e:
                    if not unimplemented(e):
                        raise
                    subs, subscribers_readable = None, False
                notes[note_key(n)] = (n, subs)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not read the budget {p['name']}")

    subscribers = ([{"SubscriptionType": "SNS", "Address": p["sns_topic_arn"]}] if p["sns_topic_arn"] else []) + \
        [{"SubscriptionType": "EMAIL", "Address": e} for e in p["emails"]]
    want_budget = {"BudgetName": p["name"], "BudgetType": "COST", "TimeUnit": p["time_unit"],
                   "BudgetLimit": {"Amount": str(p["amount"]), "Unit": "USD"}} if p["state"] == "present" else None
    want_notes = {note_key(notification(i)): notification(i) for i in p["notifications"]}

    def shown(budget, notes_subs):
        if budget is None:
            return {}
        return {"name": budget["BudgetName"], "limit_usd": str(Decimal(budget["BudgetLimit"]["Amount"]).normalize()),
                "time_unit": budget["TimeUnit"],
                "notifications": sorted(f"{k[0]} > {k[2]:g}%" for k in notes_subs),
                "subscribers": sorted({f"{t}:{a}" for subs in notes_subs.values() if subs for t, a in sub_key(subs)})}

    before = shown(current, {k: s for k, (n, s) in notes.items()})
    after = shown(want_budget, {k: subscribers for k in want_notes})
    if not subscribers_readable and current:
        module.warn("This endpoint does not answer DescribeSubscribersForNotification: the notifications' "
                    "subscribers were not compared and are left as they are.")
        before["subscribers"] = after.get("subscribers", [])

    method, changed = "none", False
    if p["state"] == "absent":
        if current:
            method, changed = "deleted", True
            if not module.check_mode:
                budgets.delete_budget(AccountId=account, BudgetName=p["name"])
        module.exit_json(changed=changed, method=method, budget={}, diff={"before": before, "after": {}})

    with_subs = [{"Notification": n, "Subscribers": subscribers} for n in want_notes.values()]
    try:
        if current is None:
            method, changed = "created", True
            if not module.check_mode:
                budgets.create_budget(AccountId=account, Budget=want_budget, NotificationsWithSubscribers=with_subs)
        else:
            limit_changed = (Decimal(current["BudgetLimit"]["Amount"]) != Decimal(str(p["amount"]))
                             or current["TimeUnit"] != p["time_unit"] or current.get("BudgetType") != "COST")
            replaced = False
            if limit_changed:
                method, changed = "updated", True
                if not module.check_mode:
                    try:
                        budgets_once.update_budget(AccountId=account, NewBudget=want_budget)
                    except botocore.exceptions.ClientError as e:
                        if not unimplemented(e):
                            raise
                        budgets.delete_budget(AccountId=account, BudgetName=p["name"])
                        budgets.create_budget(AccountId=account, Budget=want_budget,
                                              NotificationsWithSubscribers=with_subs)
                        method, replaced = "replaced", True
            if not replaced:
                for key, (n, subs) in notes.items():
                    stale = key not in want_notes or (subs is not None and sub_key(subs) != sub_key(subscribers))
                    if stale:
                        changed = True
                        if not module.check_mode:
                            budgets.delete_notification(AccountId=account, BudgetName=p["name"], Notification=n)
                for key, n in want_notes.items():
                    kept = key in notes and (notes[key][1] is None or sub_key(notes[key][1]) == sub_key(subscribers))
                    if not kept:
                        changed = True
                        if not module.check_mode:
                            budgets.create_notification(AccountId=account, BudgetName=p["name"], Notification=n,
                                                        Subscribers=subscribers)
                if changed and method == "none":
                    method = "updated"
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not write the budget {p['name']}")
    module.exit_json(changed=changed, method=method, budget=after, diff={"before": before, "after": after})


if __name__ == "__main__":
    main()
