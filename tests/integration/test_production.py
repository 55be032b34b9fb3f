"""playbooks/production.yml and production_teardown.yml against a local moto
server with the lab's inventory (two AZs and an ACM certificate seeded by
lab/moto_seed.py), checked through boto3: the AWS state must be what was
asked. moto answers the APIs only: no task runs, no load balancer serves
(docs/production.md, "What the lab does not model")."""

import json
import re

import pytest
from labhelpers import assert_refused_case, bad_inputs, moto_recorded_actions, moto_recording

PREFIX = "itsupport-prod"
APPS = {"council": 8080, "homepage": 8000}
TAGS = {"Project": "itsupport", "Environment": "prod", "ManagedBy": "ansible"}
SECRETS = {"council": {"SPRING_DATASOURCE_PASSWORD": "lab-only-prod-council-pw"},
           "homepage": {"DB_PASSWORD": "lab-only-prod-homepage-pw", "DJANGO_SECRET_KEY": "lab-only-prod-django-key"}}


def state(moto):
    """Everything production could have made, by name (empty on a new account)."""
    ecs, elb, rds = moto.client("ecs"), moto.client("elbv2"), moto.client("rds")
    arns = ecs.list_clusters()["clusterArns"]
    ec2, ssm, logs, iam = moto.client("ec2"), moto.client("ssm"), moto.client("logs"), moto.client("iam")
    return {
        # A deleted cluster stays listed, INACTIVE.
        "clusters": sorted(c["clusterName"] for c in (ecs.describe_clusters(clusters=arns)["clusters"] if arns else [])
                           if c["status"] == "ACTIVE"),
        "task_definitions": sorted(a.split("/")[-1] for a in ecs.list_task_definitions()["taskDefinitionArns"]),
        "load_balancers": sorted(lb["LoadBalancerName"] for lb in elb.describe_load_balancers()["LoadBalancers"]),
        "target_groups": sorted(tg["TargetGroupName"] for tg in elb.describe_target_groups()["TargetGroups"]),
        "databases": sorted(db["DBInstanceIdentifier"] for db in rds.describe_db_instances()["DBInstances"]
                            if db["DBInstanceIdentifier"].startswith(PREFIX)),
        "security_groups": sorted(g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]
                                  if g["GroupName"].startswith(PREFIX)),
        "parameters": sorted(p["Name"] for p in ssm.describe_parameters()["Parameters"]),
        "log_groups": sorted(g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]),
        "roles": sorted(r["RoleName"] for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(PREFIX)),
    }


def play(moto, *args, playbook="playbooks/production.yml", extra_vars=None):
    return moto.playbook(playbook, *args, extra_vars=extra_vars)


@pytest.fixture(scope="module")
def runs(moto):
    """Check mode on the new account, then two real runs. Between them
    autoscaling (here the test) raises council's desired count to 3: the
    second run must keep it."""
    empty = state(moto)
    check = play(moto, "--check", "--diff")
    after_check = state(moto)
    first = play(moto)
    if first[0] == 0:
        moto.client("ecs").update_service(cluster=PREFIX, service="council", desiredCount=3)
    second = play(moto)
    scaled = service(moto, "council")["desiredCount"] if first[0] == 0 else None
    return {"empty": empty, "check": check, "after_check": after_check, "first": first, "second": second,
            "scaled_count": scaled}


def service(moto, app):
    svc = moto.client("ecs").describe_services(cluster=PREFIX, services=[app], include=["TAGS"])["services"]
    assert svc and svc[0]["status"] == "ACTIVE", f"no active service {app}"
    return svc[0]


def task_definition(moto, ref):
    return moto.client("ecs").describe_task_definition(taskDefinition=ref)["taskDefinition"]


def subnet_ids(moto, names):
    subnets = moto.client("ec2").describe_subnets(Filters=[{"Name": "tag:Name", "Values": names}])["Subnets"]
    return sorted(s["SubnetId"] for s in subnets)


def group_id(moto, name):
    groups = moto.client("ec2").describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [name]}])["SecurityGroups"]
    assert len(groups) == 1, name
    return groups[0]


def test_check_mode_on_a_new_account_changes_nothing(moto, runs):
    rc, out, _ = runs["check"]
    assert rc == 0, out
    assert runs["after_check"] == runs["empty"], runs["after_check"]
    assert "scaling policies are not previewed" in out


def test_first_run_builds_and_second_changes_nothing(runs):
    rc, out, _ = runs["first"]
    assert rc == 0, out
    rc, out, recap = runs["second"]
    assert rc == 0, out
    assert recap["localhost"]["changed"] == 0, out


def test_the_secrets_are_not_in_the_output(runs):
    for name in ("check", "first", "second"):
        out = runs[name][1]
        for values in SECRETS.values():
            for value in values.values():
                assert value not in out, (name, value)
        assert "lab-only-prod-master-pw" not in out


def test_task_definitions_are_fargate_arm64_half_vcpu_one_gb(moto, runs):
    for app, port in APPS.items():
        td = task_definition(moto, service(moto, app)["taskDefinition"])
        assert (td["cpu"], td["memory"]) == ("512", "1024")
        assert td["runtimePlatform"] == {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"}
        assert td["networkMode"] == "awsvpc" and "FARGATE" in td["requiresCompatibilities"]
        assert td["executionRoleArn"].endswith(f":role/{PREFIX}-task-execution")
        (container,) = td["containerDefinitions"]
        assert container["portMappings"][0]["containerPort"] == port
        assert container["logConfiguration"] == {"logDriver": "awslogs", "options": {
            "awslogs-group": f"/ecs/{PREFIX}-{app}", "awslogs-region": "ap-northeast-2",
            "awslogs-stream-prefix": app}}


def test_secrets_are_references_to_secure_parameters(moto, runs):
    ssm = moto.client("ssm")
    for app, values in SECRETS.items():
        (container,) = task_definition(moto, service(moto, app)["taskDefinition"])["containerDefinitions"]
        env = {e["name"]: e["value"] for e in container.get("environment", [])}
        refs = {s["name"]: s["valueFrom"] for s in container["secrets"]}
        assert set(refs) == set(values) and not set(env) & set(values), (env, refs)
        for name, value in values.items():
            assert value not in json.dumps(container)
            param = f"/{PREFIX}/{app}/{name}"
            assert refs[name] == f"arn:aws:ssm:ap-northeast-2:123456789012:parameter{param}"
            stored = ssm.get_parameter(Name=param, WithDecryption=True)["Parameter"]
            assert stored["Type"] == "SecureString" and stored["Value"] == value


def test_the_apps_reach_the_production_database(moto, runs):
    address = moto.client("rds").describe_db_instances(
        DBInstanceIdentifier=f"{PREFIX}-db")["DBInstances"][0]["Endpoint"]["Address"]
    (council,) = task_definition(moto, service(moto, "council")["taskDefinition"])["containerDefinitions"]
    env = {e["name"]: e["value"] for e in council["environment"]}
    assert env["SPRING_DATASOURCE_URL"] == f"jdbc:mysql://{address}:3306/council"


def test_execution_role_reads_only_the_apps_secrets_and_logs(moto, runs):
    iam = moto.client("iam")
    role = f"{PREFIX}-task-execution"
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    policy = iam.get_role_policy(RoleName=role, PolicyName="app-logs-and-secrets")["PolicyDocument"]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert statements["AppSecrets"]["Action"] == ["ssm:GetParameters"]
    assert statements["AppSecrets"]["Resource"] == f"arn:aws:ssm:ap-northeast-2:123456789012:parameter/{PREFIX}/*"
    assert statements["AppLogs"]["Resource"].endswith(f":log-group:/ecs/{PREFIX}-*")


def test_log_groups_keep_30_days(moto, runs):
    groups = {g["logGroupName"]: g for g in moto.client("logs").describe_log_groups()["logGroups"]}
    for app in APPS:
        assert groups[f"/ecs/{PREFIX}-{app}"]["retentionInDays"] == 30


def test_services_run_private_in_two_zones_without_public_ip_behind_their_target_group(moto, runs):
    # Both zones' private subnets: the NAT instance forwards both.
    private = subnet_ids(moto, ["itsupport-private-a", "itsupport-private-b"])
    tasks_sg = group_id(moto, f"{PREFIX}-tasks")["GroupId"]
    tgs = {tg["TargetGroupName"]: tg["TargetGroupArn"]
           for tg in moto.client("elbv2").describe_target_groups()["TargetGroups"]}
    for app, port in APPS.items():
        svc = service(moto, app)
        net = svc["networkConfiguration"]["awsvpcConfiguration"]
        assert sorted(net["subnets"]) == private
        assert net["assignPublicIp"] == "DISABLED" and net["securityGroups"] == [tasks_sg]
        # The base on FARGATE, every task beyond it on FARGATE_SPOT (the
        # strategy read back: lab/moto_server.py keeps it, as AWS does).
        assert "launchType" not in svc
        assert sorted(svc["capacityProviderStrategy"], key=lambda s: s["capacityProvider"]) == [
            {"capacityProvider": "FARGATE", "base": 1, "weight": 0},
            {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1}]
        assert svc["loadBalancers"] == [{"targetGroupArn": tgs[f"{PREFIX}-{app}"], "containerName": app,
                                         "containerPort": port}]
        assert svc["healthCheckGracePeriodSeconds"] == 120
        assert svc["tags"] and {t["key"]: t["value"] for t in svc["tags"]}["Environment"] == "prod"


def test_deployments_keep_a_task_up_and_roll_back_on_failure(moto, runs):
    for app in APPS:
        conf = service(moto, app)["deploymentConfiguration"]
        assert conf["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
        assert conf["minimumHealthyPercent"] == 100 and conf["maximumPercent"] == 200


def test_cluster_has_both_fargate_capacity_providers_and_no_container_insights(moto, runs):
    (cluster,) = moto.client("ecs").describe_clusters(clusters=[PREFIX], include=["SETTINGS"])["clusters"]
    assert sorted(cluster["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert {s["name"]: s["value"] for s in cluster.get("settings", [])}.get("containerInsights") == "disabled"


def test_scaling_between_one_and_two_tasks_on_60_percent_cpu(moto, runs):
    aas = moto.client("application-autoscaling")
    targets = {t["ResourceId"]: t for t in aas.describe_scalable_targets(ServiceNamespace="ecs")["ScalableTargets"]}
    policies = aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]
    for app in APPS:
        target = targets[f"service/{PREFIX}/{app}"]
        assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 2)
        (policy,) = [p for p in policies if p["ResourceId"] == f"service/{PREFIX}/{app}"]
        conf = policy["TargetTrackingScalingPolicyConfiguration"]
        assert policy["PolicyType"] == "TargetTrackingScaling" and conf["TargetValue"] == 60.0
        assert conf["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"


def test_load_balancer_redirects_http_and_routes_https_by_app(moto, runs):
    elb = moto.client("elbv2")
    (lb,) = elb.describe_load_balancers(Names=[PREFIX])["LoadBalancers"]
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "application"
    public = subnet_ids(moto, ["itsupport-public-a", "itsupport-public-b"])
    assert sorted(z["SubnetId"] for z in lb["AvailabilityZones"]) == public
    listeners = {ls["Port"]: ls for ls in elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]}
    assert sorted(listeners) == [80, 443]
    (redirect,) = listeners[80]["DefaultActions"]
    assert redirect["Type"] == "redirect"
    assert (redirect["RedirectConfig"]["Protocol"], redirect["RedirectConfig"]["Port"],
            redirect["RedirectConfig"]["StatusCode"]) == ("HTTPS", "443", "HTTP_301")
    https = listeners[443]
    assert https["Protocol"] == "HTTPS"
    cert = moto.client("acm").list_certificates()["CertificateSummaryList"][0]["CertificateArn"]
    assert [c["CertificateArn"] for c in https["Certificates"]] == [cert]
    tgs = {tg["TargetGroupArn"]: tg for tg in elb.describe_target_groups()["TargetGroups"]}
    rules = [r for r in elb.describe_rules(ListenerArn=https["ListenerArn"])["Rules"] if not r["IsDefault"]]
    routed = {}
    for rule in rules:
        (action,) = rule["Actions"]
        assert action["Type"] == "forward"
        paths = [c["Values"] for c in rule["Conditions"] if c["Field"] == "path-pattern"]
        routed[tgs[action["TargetGroupArn"]]["TargetGroupName"]] = (paths, int(rule["Priority"]))
    assert routed == {f"{PREFIX}-council": ([["/council/*"]], 10), f"{PREFIX}-homepage": ([["/*"]], 100)}


def test_target_groups_check_each_apps_health_path(moto, runs):
    tgs = {tg["TargetGroupName"]: tg for tg in moto.client("elbv2").describe_target_groups()["TargetGroups"]}
    for app, path in (("council", "/actuator/health"), ("homepage", "/health/")):
        tg = tgs[f"{PREFIX}-{app}"]
        assert tg["TargetType"] == "ip" and tg["Port"] == APPS[app]
        assert (tg["HealthCheckProtocol"], tg["HealthCheckPath"]) == ("HTTP", path)


def test_security_groups_let_only_the_alb_reach_the_tasks(moto, runs):
    alb, tasks, db = (group_id(moto, f"{PREFIX}-{k}") for k in ("alb", "tasks", "db"))

    def sources(group):
        out = set()
        for perm in group["IpPermissions"]:
            for r in perm.get("IpRanges", []):
                out.add((perm["FromPort"], perm["ToPort"], r["CidrIp"]))
            for pair in perm.get("UserIdGroupPairs", []):
                out.add((perm["FromPort"], perm["ToPort"], pair["GroupId"]))
        return out

    assert sources(alb) == {(443, 443, "0.0.0.0/0"), (80, 80, "0.0.0.0/0")}
    assert sources(tasks) == {(port, port, alb["GroupId"]) for port in APPS.values()}
    assert sources(db) == {(3306, 3306, tasks["GroupId"])}


def test_database_is_backed_up_protected_encrypted_in_two_azs(moto, runs):
    rds = moto.client("rds")
    (db,) = rds.describe_db_instances(DBInstanceIdentifier=f"{PREFIX}-db")["DBInstances"]
    assert db["Engine"] == "mysql" and db["EngineVersion"].startswith("8.4")
    assert db["MultiAZ"] is True  # production_db_multi_az's default: not a single point of failure
    assert db["BackupRetentionPeriod"] == 7
    assert db["DeletionProtection"] is True and db["StorageEncrypted"] is True
    assert db["PubliclyAccessible"] is False
    assert [g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]] == [group_id(moto, f"{PREFIX}-db")["GroupId"]]
    zones = {s["SubnetAvailabilityZone"]["Name"] for s in db["DBSubnetGroup"]["Subnets"]}
    assert zones == {"ap-northeast-2a", "ap-northeast-2b"}


def test_a_rerun_keeps_the_count_autoscaling_set(moto, runs):
    """The second run (changed=0, above) came after the count was raised to 3."""
    rc, out, recap = runs["second"]
    assert rc == 0 and recap["localhost"]["changed"] == 0, out
    assert runs["scaled_count"] == 3


def test_the_database_tag_runs_alone(moto, runs):
    rc, out, recap = play(moto, "--tags", "production_database")
    assert rc == 0, out
    assert recap["localhost"]["changed"] == 0, out
    assert "Run the database" in out and "Run the apps' services" not in out


def test_the_run_prints_where_production_answers(moto, runs):
    (lb,) = moto.client("elbv2").describe_load_balancers(Names=[PREFIX])["LoadBalancers"]
    assert f"Load balancer: {lb['DNSName']}" in runs["second"][1]


def test_check_mode_on_the_built_account_changes_nothing(moto, runs):
    before = state(moto)
    # A bigger council: its worst case passes $150, so the budget is raised
    # for this run (the refusal is tested below).
    rc, out, _ = play(moto, "--check", "--diff", extra_vars={"cost_guard_budget_usd": 200, "production_app_settings": {
        "council": {"cpu": "1024", "memory": "2048", "path_patterns": ["/council/*"]}}})
    assert rc == 0, out
    assert state(moto) == before


BIGGER = {
    "production_db_multi_az": False,
    "production_capacity_provider_strategy": [{"capacity_provider": "FARGATE", "base": 1, "weight": 1},
                                              {"capacity_provider": "FARGATE_SPOT", "weight": 1}],
    "production_app_settings": {"council": {"cpu": "1024", "memory": "2048", "path_patterns": ["/council/*"],
                                            "min_tasks": 2, "max_tasks": 6,
                                            "env": {"SPRING_DATASOURCE_URL": "jdbc:mysql://db.prod:3306/council"}},
                                "homepage": {"path_patterns": ["/*"], "priority": 100}}}


@pytest.fixture(scope="module")
def over_budget(moto, runs):
    """BIGGER's worst case is above the budget: production.yml refuses it
    before any AWS call (moto's recorder on), then runs it with the amount
    repeated in cost_guard_accept_over_budget_usd."""
    before = state(moto)
    old = service(moto, "council")["taskDefinition"]
    moto_recording(moto.url, True)
    try:
        refused = play(moto, extra_vars=BIGGER)
    finally:
        moto_recording(moto.url, False)
    calls = moto_recorded_actions(moto.url)
    after_refusal = state(moto)
    amount = re.search(r"-e cost_guard_accept_over_budget_usd=([0-9]+\.[0-9]{2})", " ".join(refused[1].split()))
    accepted = play(moto, extra_vars={**BIGGER, "cost_guard_accept_over_budget_usd": amount.group(1)}) \
        if amount else None
    return {"before": before, "old": old, "refused": refused, "calls": calls, "after_refusal": after_refusal,
            "amount": amount.group(1) if amount else None, "accepted": accepted}


def test_a_worst_case_over_the_budget_is_refused_before_any_aws_call(over_budget):
    rc, out, _ = over_budget["refused"]
    text = " ".join(out.split())
    assert rc != 0, out
    # Six council tasks of 1 vCPU and 2 GB, half of those beyond the base on
    # FARGATE: the biggest line.
    assert "is above the $150 budget (cost_guard_budget_usd). The biggest lines: council on FARGATE $" in text, text
    assert over_budget["amount"] and float(over_budget["amount"]) > 150, text
    # Only the lab's dynamic inventory read EC2, as it does at every start.
    assert set(over_budget["calls"]) <= {"DescribeInstances"}, over_budget["calls"]
    assert over_budget["after_refusal"] == over_budget["before"]


def test_a_cpu_change_makes_a_new_revision_the_service_uses_and_the_other_settings_follow(moto, over_budget):
    """BIGGER, accepted over budget: a new revision, the database single-AZ,
    two to six tasks, half the scale-out on FARGATE."""
    old = over_budget["old"]
    rc, out, _ = over_budget["accepted"]
    assert rc == 0, out
    assert f"Worst case ${over_budget['amount']} a month" in " ".join(out.split()), out
    new = service(moto, "council")["taskDefinition"]
    assert new != old and int(new.split(":")[-1]) > int(old.split(":")[-1])
    td = task_definition(moto, new)
    assert (td["cpu"], td["memory"]) == ("1024", "2048")
    assert task_definition(moto, old)["cpu"] == "512"
    (db,) = moto.client("rds").describe_db_instances(DBInstanceIdentifier=f"{PREFIX}-db")["DBInstances"]
    assert db["MultiAZ"] is False
    # A changed strategy reaches the service (a new deployment carries it).
    assert sorted(service(moto, "council")["capacityProviderStrategy"], key=lambda s: s["capacityProvider"]) == [
        {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
        {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 1}]
    (target,) = [t for t in moto.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="ecs")["ScalableTargets"] if t["ResourceId"] == f"service/{PREFIX}/council"]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)


# --- Refused inputs (tests/bad_inputs.yml, suite "production") ---------------
CASES = bad_inputs("production")
BASE = {
    "production_environment": "prod", "production_region": "ap-northeast-2", "production_tags": TAGS,
    "production_name_prefix": PREFIX, "production_other_environments": ["dev"],
    "production_access_key": "testing",
    "production_secret_key": "testing",
    "production_vpc_filters": {"tag:Name": "itsupport-vpc"},
    "production_public_subnet_filters": {"tag:Name": ["itsupport-public-a", "itsupport-public-b"]},
    "production_private_subnet_filters": {"tag:Name": ["itsupport-private-a", "itsupport-private-b"]},
    "production_certificate_arn": "arn:aws:acm:ap-northeast-2:123456789012:certificate/"
                                  "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    "production_apps": {
        "council": {"image": "ghcr.io/itsupport-ssu/council-backend:1.4.2", "port": 8080,
                    "health_path": "/actuator/health", "env": {}, "secret_env": {"SPRING_DATASOURCE_PASSWORD": "x"}},
        "homepage": {"image": "ghcr.io/itsupport-ssu/homepage:2.0.1", "port": 8000, "health_path": "/health/"}},
    "production_app_settings": {"homepage": {"path_patterns": ["/*"], "priority": 100}},
    "production_secrets": {"council": {"SPRING_DATASOURCE_PASSWORD": "pw"}},
    "production_db_master_password": "a-long-password",
}


ROLE = "production"
REFUSAL_OPTIONS = {"env": {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"}}
# The image check reads the registry before the first AWS call.
REGISTRY_MIRRORS = "production_registry_mirrors"
REGISTRY_IMAGES = [app["image"] for app in BASE["production_apps"].values()]


@pytest.mark.parametrize("n", range(len(CASES)), ids=[p.id for p in CASES])
def test_bad_input_is_refused_before_any_call(refusals, n):
    _, message = CASES[n].values
    assert_refused_case(refusals[n], message, ("production : Check", "production : Validating arguments"))


def test_the_base_configuration_gets_past_the_checks_to_the_first_call(refusals):
    names = [task for task, _ in refusals["control"]]
    assert names[-1] == "production : Find the VPC", names
    assert refusals["control"][-1][1]["status"] == "failed"


def test_cost_yml_prices_production_as_the_estimate_does(moto, over_budget):
    """playbooks/cost.yml on the built account (BIGGER: a budget that holds
    it, so that the live gate passes) prints both models; on what both
    price from the same settings (the load balancer, its LCUs, the database
    and its storage, the assumed log ingestion and backups) they agree to
    the cent."""
    rc, out, _ = play(moto, playbook="playbooks/cost.yml", extra_vars={
        **BIGGER, "cost_guard_budget_usd": 400, "cost_guard_report": False})
    assert rc == 0, out
    text = " ".join(out.split())
    for key in ("alb:hour", "alb:lcu", "rds:mysql:db.t4g.micro", "rds:storage:gp2", "rds:backup", "logs:ingest"):
        assert re.search(rf"{re.escape(key)}: estimate \$([0-9.]+), live \$\1 \(agree\)", text), (key, text)
    # The load balancer in both zones: its two public addresses are live lines too.
    assert "one per zone, 2 zones" in text, text


# --- Teardown (last: it removes what the tests above read) -------------------
def test_teardown_refuses_without_the_environments_name(moto, runs):
    before = state(moto)
    rc, out, _ = play(moto, playbook="playbooks/production_teardown.yml",
                      extra_vars={"production_teardown_confirm": "production"})
    assert rc != 0
    assert "does not repeat production_environment ('prod'): nothing was removed" in out
    assert state(moto) == before


def test_production_refuses_to_adopt_the_dev_database_before_any_change(moto, runs):
    """production_db_identifier pointing at the dev environment's database
    (not tagged as production's): refused before any change, the dev
    database untouched."""
    rds = moto.client("rds")
    dev = rds.describe_db_instances(DBInstanceIdentifier="itsupport-dev-db")["DBInstances"][0]
    before = state(moto)
    rc, out, recap = play(moto, extra_vars={"production_db_identifier": "itsupport-dev-db"})
    assert rc != 0, out
    assert "the database itsupport-dev-db" in out and "not production prod's own" in " ".join(out.split()), out
    assert recap["localhost"]["changed"] == 0, out
    assert state(moto) == before
    after = rds.describe_db_instances(DBInstanceIdentifier="itsupport-dev-db")["DBInstances"][0]
    assert (after["EngineVersion"], after["VpcSecurityGroups"]) == (dev["EngineVersion"], dev["VpcSecurityGroups"])


def test_teardown_with_a_taken_snapshot_name_refuses_before_removing_anything(moto, runs):
    """The final snapshot's name already taken: the teardown refuses before
    its first deletion (it used to remove the services, the load balancer,
    the cluster, the secrets and the role first)."""
    rds = moto.client("rds")
    rds.create_db_snapshot(DBInstanceIdentifier=f"{PREFIX}-db", DBSnapshotIdentifier="taken-name")
    try:
        before = state(moto)
        rc, out, recap = play(moto, playbook="playbooks/production_teardown.yml",
                              extra_vars={"production_teardown_confirm": "prod", "production_db_final_snapshot": "taken-name"})
        assert rc != 0, out
        assert "A snapshot named taken-name exists already" in " ".join(out.split()), out
        assert recap["localhost"]["changed"] == 0, out
        assert state(moto) == before
    finally:
        rds.delete_db_snapshot(DBSnapshotIdentifier="taken-name")


def test_teardown_removes_production_and_keeps_a_final_snapshot(moto, runs):
    rc, out, _ = play(moto, playbook="playbooks/production_teardown.yml",
                      extra_vars={"production_teardown_confirm": "prod"})
    assert rc == 0, out
    left = state(moto)
    assert left["clusters"] == [] and left["load_balancers"] == [] and left["target_groups"] == []
    assert left["databases"] == [] and left["security_groups"] == [] and left["roles"] == []
    assert not [p for p in left["parameters"] if p.startswith(f"/{PREFIX}/")]
    snaps = moto.client("rds").describe_db_snapshots(DBInstanceIdentifier=f"{PREFIX}-db")["DBSnapshots"]
    assert [s["DBSnapshotIdentifier"] for s in snaps] == [f"{PREFIX}-db-final"]
    # Run again: nothing left to remove.
    rc, out, recap = play(moto, playbook="playbooks/production_teardown.yml",
                          extra_vars={"production_teardown_confirm": "prod"})
    assert rc == 0 and recap["localhost"]["changed"] == 0, out
