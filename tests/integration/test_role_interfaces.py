"""Each role's interface is what it documents and enforces: defaults/main.yml,
meta/argument_specs.yml and the role's README agree, a required variable has
no default, and leaving one out fails before anything runs, naming it."""

import re

import pytest
import yaml

from labhelpers import ROOT, refusal_batch, refusal_text

# roles/aws/<role> and roles/host/<role>, by name.
ROLE_DIR = {p.parent.parent.name: p.parent.parent for p in (ROOT / "roles").glob("*/*/meta/argument_specs.yml")}
ROLES = sorted(ROLE_DIR)


def spec(role, entry="main"):
    data = yaml.safe_load((ROLE_DIR[role] / "meta/argument_specs.yml").read_text())
    return data["argument_specs"][entry]["options"]


def defaults(role):
    path = ROLE_DIR[role] / "defaults/main.yml"
    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def readme_variables(role):
    """Variable names in the first column of the README's tables."""
    names = set()
    for line in (ROLE_DIR[role] / "README.md").read_text().splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`(\w+)`", line.split("|")[1]))
    return names


def all_spec_options(role):
    data = yaml.safe_load((ROLE_DIR[role] / "meta/argument_specs.yml").read_text())
    opts = {}
    for entry in data["argument_specs"].values():
        opts.update(entry["options"])
    return opts


@pytest.mark.parametrize("role", ROLES)
def test_required_variables_have_no_default(role):
    required = {k for k, o in all_spec_options(role).items() if o.get("required")}
    assert not required & set(defaults(role)), \
        f"{role}: required variables with a default in defaults/main.yml: {required & set(defaults(role))}"
    for name in required:
        assert "default" not in all_spec_options(role)[name], f"{role}: {name} is required and has a spec default"


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_agree(role):
    opts = all_spec_options(role)
    dflt = defaults(role)
    assert set(dflt) <= set(opts), f"{role}: in defaults/main.yml but not in the spec: {set(dflt) - set(opts)}"
    for name, value in dflt.items():
        if "default" in opts[name]:
            assert opts[name]["default"] == value, f"{role}: {name}: spec default {opts[name]['default']!r} != {value!r}"
        else:
            # Only computed defaults (templates) may be left out of the spec.
            assert isinstance(value, str) and "{{" in value, f"{role}: {name} = {value!r} has no spec default"
    missing = {k for k, o in opts.items() if not o.get("required") and k not in dflt}
    assert not missing, f"{role}: optional in the spec but no default in defaults/main.yml: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_readme_documents_every_variable(role):
    documented = readme_variables(role)
    opts = set(all_spec_options(role))
    assert opts <= documented, f"{role}: README does not document {sorted(opts - documented)}"
    assert documented <= opts, f"{role}: README documents unknown variables {sorted(documented - opts)}"


@pytest.mark.parametrize("role", ROLES)
def test_readme_marks_required_variables(role):
    text = (ROLE_DIR[role] / "README.md").read_text()
    for name, o in all_spec_options(role).items():
        if o.get("required"):
            rows = [line for line in text.splitlines() if line.startswith("| ") and f"`{name}`" in line.split("|")[1]]
            assert rows and "required" in rows[0].split("|")[2], f"{role}: README does not mark {name} required"


# Valid values for every required variable, so that exactly one can be left out.
REQUIRED_SAMPLES = {
    "cost_guard": {"cost_guard_region": "ap-northeast-2", "cost_guard_tags": {"Project": "itsupport", "Environment": "dev"},
                   "cost_guard_name_prefix": "itsupport-dev"},
    "aws_backup": {"aws_backup_bucket": "itsupport-dev-db-backups"},
    "db_backup": {"db_backup_bucket": "itsupport-dev-db-backups", "db_backup_databases": ["council"],
                  "db_backup_db_root_password": "pw", "db_backup_alerts_topic": "itsupport-dev-alerts"},
    "aws_infra": {"aws_infra_admin_cidrs": ["203.0.113.10/32"], "aws_infra_key_name": "itsupport-admin"},
    "recover": {"recover_devhost_name": "itsupport-dev-devhost", "recover_nat_name": "itsupport-dev-nat"},
    "nat_instance": {"nat_instance_private_cidrs": ["10.20.2.0/24"]},
    "rds_migration": {
        "rds_migration_identifier": "itsupport-dev-db", "rds_migration_databases": ["helpdesk"],
        "rds_migration_instance": {}, "rds_migration_record": {}, "rds_migration_password": "pw",
        "rds_migration_target_password": "pw", "rds_migration_client_image": "mysql:8.4",
        "rds_migration_users": [{"name": "helpdesk", "password": "pw", "databases": ["helpdesk"]}],
        "rds_migration_bucket": "itsupport-dev-db-backups", "rds_migration_region": "ap-northeast-2",
    },
    "production": {
        "production_environment": "prod", "production_region": "ap-northeast-2",
        "production_tags": {"Project": "itsupport", "Environment": "prod"},
        "production_vpc_filters": {"tag:Name": "itsupport-vpc"},
        "production_public_subnet_filters": {"tag:Name": ["itsupport-public-a", "itsupport-public-b"]},
        "production_private_subnet_filters": {"tag:Name": ["itsupport-private-a", "itsupport-private-b"]},
        "production_apps": {"council": {"image": "x", "port": 8080, "health_path": "/health"}},
        "production_secrets": {},
        "production_certificate_arn": "arn:aws:acm:ap-northeast-2:123456789012:certificate/"
                                      "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        "production_db_master_password": "a-long-password",
    },
    "app_stack": {
        "app_stack_db_root_password": "pw",
        "app_stack_db_users": [{"name": "council", "password": "pw", "databases": ["council"]}],
        "app_stack_apps": {"council": {"image": "x", "port": 8080, "publish_port": 8080, "memory": "256m",
                                       "healthcheck": {"test": ["CMD", "true"]}}},
    },
}
CASES = [(role, name) for role in ROLES for name, o in spec(role).items() if o.get("required")]


def test_every_required_variable_has_a_sample():
    for role, name in CASES:
        assert name in REQUIRED_SAMPLES.get(role, {}), f"add a sample value for {role}'s {name}"


@pytest.fixture(scope="module")
def missing_runs(tmp_path_factory):
    """Every case in ONE ansible-playbook run (labhelpers.refusal_batch): a
    host per case, the role and its variables as host variables, no
    group_vars. In check mode: the hosts are this machine (local
    connection), and a role that let a case through must not change it."""
    cases = {f"case_{n:02d}": {"case_role": role,
                               **{k: v for k, v in REQUIRED_SAMPLES[role].items() if k != missing}}
             for n, (role, missing) in enumerate(CASES)}
    return refusal_batch(tmp_path_factory.mktemp("missing-required"), cases,
                         [{"name": "Run the role", "ansible.builtin.include_role": {"name": "{{ case_role }}"}}],
                         project_group_vars=False, check=True)


@pytest.mark.parametrize("role, missing", CASES, ids=[f"{r}-{n}" for r, n in CASES])
def test_a_missing_required_variable_fails_first_naming_it(missing_runs, role, missing):
    ran = [(task, result) for task, result in missing_runs[f"case_{CASES.index((role, missing)):02d}"]
           if task != "Run the role"]
    # The argument check is the role's first task: nothing ran before it.
    assert ran and "Validating arguments" in ran[0][0], [task for task, _ in ran]
    task, result = ran[0]
    assert result["status"] == "failed", (task, result)
    assert re.search(rf"missing required arguments?: [\w, ]*\b{missing}\b", refusal_text(result)), result
    assert len(ran) == 1, [task for task, _ in ran]
