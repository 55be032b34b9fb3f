#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: community.aws.ecs_cluster manages capacity
# providers but not the cluster's settings (Container Insights).
DOCUMENTATION = r"""
module: ecs_cluster_settings
short_description: Turn Container Insights on or off for an ECS cluster
description:
  - Reads the cluster's C(containerInsights) setting (C(DescribeClusters) with
    C(SETTINGS)) and updates it (C(UpdateCluster)) only when it differs.
    Check mode reports the change and writes nothing.
options:
  cluster:
    description: Name of an existing ECS cluster.
    type: str
    required: true
  container_insights:
    description: Whether Container Insights collects the cluster's metrics (it costs extra).
    type: bool
    required: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""
EXAMPLES = r"""
- name: Keep Container Insights off
  ecs_cluster_settings:
    cluster: itsupport-prod
    container_insights: false
"""
RETURN = r"""
container_insights:
  description: The setting's value after the module ran (C(enabled) or C(disabled)).
  returned: success
  type: str
  sample: disabled
"""
try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports a missing botocore

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(cluster=dict(type="str", required=True),
                           container_insights=dict(type="bool", required=True)),
        supports_check_mode=True)
    client = module.client("ecs")
    name = module.params["cluster"]
    wanted = "enabled" if module.params["container_insights"] else "disabled"
    try:
        clusters = client.describe_clusters(clusters=[name], include=["SETTINGS"])["clusters"]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
        module.fail_json_aws(e, msg=f"Could not read the ECS cluster {name}")
    active = [c for c in clusters if c.get("status") == "ACTIVE"]
    if not active:
        if module.check_mode:
            # The cluster is made by an earlier task that check mode skipped.
            module.exit_json(changed=True, container_insights=wanted)
        module.fail_json(msg=f"The ECS cluster {name} does not exist: create it first.")
    current = {s["name"]: s["value"] for s in active[0].get("settings", [])}.get("containerInsights", "disabled")
    if current == wanted:
        module.exit_json(changed=False, container_insights=current)
    if not module.check_mode:
        try:
            client.update_cluster(cluster=name, settings=[{"name": "containerInsights", "value": wanted}])
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg=f"Could not update the ECS cluster {name}")
    module.exit_json(changed=True, container_insights=wanted,
                     diff={"before": {"containerInsights": current}, "after": {"containerInsights": wanted}})


if __name__ == "__main__":
    main()
