"""Helpers shared by the project's testinfra and pytest suites.

They act on the lab's containers through Docker and on Molecule's inventory
through ansible-playbook, so every scenario checks effects the same way.
"""

import base64
import importlib.util
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import testinfra

# The project's root (this file is lab/testlib/labhelpers.py). pytest finds
# this module through pytest.ini's pythonpath: no test edits sys.path.
ROOT = pathlib.Path(__file__).resolve().parents[2]


def callback_plugin_paths(root):
    """The callback paths of a test run: the project's own (as ansible.cfg
    gives them) and the tests' (case_report)."""
    return f"{root}/plugins/callback:{root}/lab/testlib/callback_plugins"


def enabled_callbacks(*names):
    """The callbacks of a test run: the project's (as ansible.cfg enables
    them) and the given ones."""
    return ",".join(("typed_extra_vars", "wait_progress") + names)


def project_module(relpath):
    """A project file (a filter plugin, a module, a script) imported by its
    path under ROOT, once, without adding its directory to sys.path. Shared
    code (plugins/module_utils) is imported as ansible.module_utils.<name>,
    as Ansible imports it, so the modules that use it load too."""
    if relpath.startswith("plugins/module_utils/"):
        name = "ansible.module_utils." + pathlib.PurePath(relpath).stem
    else:
        name = "itsupport_file_" + re.sub(r"\W", "_", relpath)
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / relpath)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def lab_host(name):
    """A testinfra host for a container of the running lab (docker exec)."""
    return testinfra.get_host("docker://" + name)


def http_get(host, url, source=None, timeout=5):
    """GET url from inside host with Python; return (ok, body_or_error).

    source binds the client socket to that local address, to send from a
    secondary IP of the host.
    """
    code = (
        "import sys, http.client, urllib.parse as u\n"
        "p = u.urlsplit(sys.argv[1])\n"
        "src = (sys.argv[2], 0) if sys.argv[2] else None\n"
        "c = http.client.HTTPConnection(p.hostname, p.port or 80, timeout=float(sys.argv[3]),"
        " source_address=src)\n"
        "c.request('GET', p.path or '/')\n"
        "r = c.getresponse()\n"
        "print(r.status)\n"
        "sys.stdout.write(r.read().decode())\n"
    )
    cmd = host.run(
        "python3 -c %s %s %s %s",
        code, url, source or "", str(timeout),
    )
    if cmd.rc != 0:
        return False, cmd.stderr.strip().splitlines()[-1:] or [""]
    status, _, body = cmd.stdout.partition("\n")
    return status == "200", body.strip()


def docker(*args, check=True):
    return subprocess.run(["docker", *args], check=check, capture_output=True, text=True)


def load_image(container, image):
    """Copy an image of the controller's engine into the engine nested in a
    lab container (no registry): docker save | docker exec -i ... docker load."""
    save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
    load = subprocess.run(["docker", "exec", "-i", container, "docker", "load"],
                          stdin=save.stdout, capture_output=True, text=True)
    save.stdout.close()
    assert save.wait() == 0 and load.returncode == 0, load.stderr
    return image


def restart_container(name, timeout=120):
    """Restart a lab container (the stand-in for an EC2 stop/start) and wait
    until its systemd reports the boot finished."""
    docker("restart", name)
    deadline = time.monotonic() + timeout
    state = ""
    while time.monotonic() < deadline:
        res = docker("exec", name, "systemctl", "is-system-running", "--wait", check=False)
        state = res.stdout.strip()
        if state in ("running", "degraded"):
            return state
        time.sleep(1)
    raise AssertionError(f"{name} did not finish booting after a restart (state: {state!r})")


def wait_for(predicate, timeout=60, interval=1, what="condition"):
    """Poll predicate() until it returns a truthy value; return that value."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


RECAP = re.compile(r"^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)", re.M)


def lab_env(overrides=None, base=None):
    """The environment of an Ansible run against a lab moto: the AWS SDK's
    own AWS_ENDPOINT_URL points the controller's AWS modules at the moto on
    LAB_MOTO_PORT (5005, the lab's, unless a test gives its own port): no
    role carries an endpoint variable."""
    overrides = dict(overrides or {})
    env = dict(os.environ if base is None else base, **overrides)
    if "AWS_ENDPOINT_URL" not in overrides and ("LAB_MOTO_PORT" in overrides or "AWS_ENDPOINT_URL" not in env):
        env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:" + env.get("LAB_MOTO_PORT", "5005")
    return env


def timed_run(cmd, **kwargs):
    """subprocess.run, and where LAB_RUN_LOG names a file, one JSON line
    appended to it per run: the test, the command, its wall and CPU seconds
    (to find where a suite's time goes; docs/benchmarks.md)."""
    log = os.environ.get("LAB_RUN_LOG")
    if not log:
        return subprocess.run(cmd, **kwargs)
    start, before = time.monotonic(), os.times()
    res = subprocess.run(cmd, **kwargs)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    with open(log, "a", encoding="utf-8") as f:
        f.write(json.dumps({"test": os.environ.get("PYTEST_CURRENT_TEST", ""), "cmd": [str(c) for c in cmd[:4]],
                            "wall": round(time.monotonic() - start, 1), "cpu": round(cpu, 1)}) + "\n")
    return res


def run_playbook(playbook, *args, inventory=None, extra_vars=None, env=None):
    """Run ansible-playbook; return (returncode, output, {host: recap counts}).

    Inside a Molecule verify step the scenario's own inventory and
    ansible.cfg are used (MOLECULE_INVENTORY_FILE, ANSIBLE_CONFIG).
    """
    inventory = inventory or os.environ["MOLECULE_INVENTORY_FILE"]
    cmd = ["ansible-playbook", "-i", inventory, playbook, *args]
    if extra_vars is not None:
        cmd += ["-e", json.dumps(extra_vars)]
    env = lab_env(dict(ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", **(env or {})))
    res = timed_run(cmd, capture_output=True, text=True, env=env)
    out = res.stdout + res.stderr
    recap = {m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
             for m in RECAP.finditer(out)}
    return res.returncode, out, recap


def lab_ansible(tool, *args, control_dir=None, timeout=600, report=False):
    """Run an Ansible CLI against the running lab as a user would: from the
    project root, with the project's ansible.cfg and the lab inventory
    (PROJECT_ROOT). control_dir: a directory of SSH control sockets of its
    own, so no open ControlPersist master of an earlier run is reused (a new
    connection checks the host key again). Returns the CompletedProcess;
    .recap holds {host: counts} of a playbook run; with report, .report
    holds every task result of the run (callback_plugins/case_report.py)."""
    root = os.environ["PROJECT_ROOT"]
    env = lab_env(dict(ANSIBLE_CONFIG=os.path.join(root, "ansible.cfg"), ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0"))
    if control_dir:
        env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(control_dir)
    if tool != "ansible-playbook":
        # The site scenario logs every playbook run (ANSIBLE_LOG_PATH) for its
        # leak test; `ansible-inventory --list` prints every variable by design.
        env.pop("ANSIBLE_LOG_PATH", None)
    if report:
        fd, report_path = tempfile.mkstemp(prefix="case-report-", suffix=".json")
        os.close(fd)
        env.update(CASE_REPORT_PATH=report_path, ANSIBLE_CALLBACKS_ENABLED=enabled_callbacks("case_report"),
                   ANSIBLE_CALLBACK_PLUGINS=callback_plugin_paths(root))
    res = subprocess.run([tool, "-i", os.path.join(root, "inventories/lab"), *args], cwd=root, env=env,
                         capture_output=True, text=True, timeout=timeout)
    if report:
        with open(report_path, encoding="utf-8") as f:
            res.report = json.load(f) if os.path.getsize(report_path) else []
        os.unlink(report_path)
    res.output = res.stdout + res.stderr
    res.recap = {m["host"]: {k: int(m[k]) for k in ("ok", "changed", "unreachable", "failed")}
                 for m in RECAP.finditer(res.output)}
    return res


def scenario_playbook(name="converge.yml"):
    return os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], name)


def assert_check_mode_clean(hostname):
    """A --check --diff run of the scenario's converge reports no change."""
    rc, out, recap = run_playbook(scenario_playbook(), "--check", "--diff")
    assert rc == 0, out
    assert recap[hostname]["changed"] == 0, out


def moto_ec2():
    """boto3 EC2 client of the running lab's local AWS endpoint."""
    import boto3
    return boto3.client("ec2", region_name="ap-northeast-2",
                        endpoint_url="http://127.0.0.1:" + os.environ.get("LAB_MOTO_PORT", "5005"),
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def moto_client(service):
    """boto3 client of the running lab's local AWS endpoint."""
    import boto3
    return boto3.client(service, region_name="ap-northeast-2",
                        endpoint_url="http://127.0.0.1:" + os.environ.get("LAB_MOTO_PORT", "5005"),
                        aws_access_key_id="testing", aws_secret_access_key="testing")


# The lab's old development RDS (lab/moto_seed.py; its server is lab-rds).
LAB_RDS_ID = "itsupport-dev-db"
LAB_RDS_ADMIN_PW = "lab-only-rds-admin-pw"


def lab_rds_create(identifier=LAB_RDS_ID, engine="mysql", version="8.0.39", protected=True):
    """An RDS instance in moto as the lab seeds it (in its DB subnet group)."""
    moto_client("rds").create_db_instance(
        DBInstanceIdentifier=identifier, Engine=engine, EngineVersion=version, DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20, MasterUsername="admin", MasterUserPassword=LAB_RDS_ADMIN_PW,
        DeletionProtection=protected, DBSubnetGroupName="itsupport-dev-db")


def lab_rds_instance(identifier=LAB_RDS_ID):
    found = moto_client("rds").describe_db_instances()["DBInstances"]
    return next((i for i in found if i["DBInstanceIdentifier"] == identifier), None)


def lab_rds_sql(statement):
    """SQL on the lab's RDS server (container lab-rds) as its master user."""
    res = subprocess.run(["docker", "exec", "lab-rds", "mariadb", "-uadmin", "-p" + LAB_RDS_ADMIN_PW, "-N", "-B",
                          "-e", statement], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    return res.stdout


def lab_migration_reset(host, bucket="itsupport-dev-db-backups", databases=("helpdesk",)):
    """The lab as lab/up.yml leaves it for playbooks/migrate_dev_rds.yml: the
    RDS instance there with deletion protection, nothing kept in the bucket
    (dump, record), no final snapshot, the target databases empty."""
    if lab_rds_instance() is None:
        lab_rds_create()
    s3, rds = moto_client("s3"), moto_client("rds")
    for obj in s3.list_objects_v2(Bucket=bucket, Prefix="migrations/").get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
    for snap in rds.describe_db_snapshots(DBInstanceIdentifier=LAB_RDS_ID, SnapshotType="manual")["DBSnapshots"]:
        rds.delete_db_snapshot(DBSnapshotIdentifier=snap["DBSnapshotIdentifier"])
    statement = "; ".join(f"DROP DATABASE IF EXISTS {db}; CREATE DATABASE {db}" for db in databases)
    res = host.run("docker exec -e MYSQL_PWD=lab-only-root-pw itsupport-db-1 mysql -uroot -e %s", statement)
    assert res.rc == 0, res.stderr


def live_instances(ec2, name):
    """IDs of the instances called `name` that are not terminated."""
    res = ec2.describe_instances(Filters=[
        {"Name": "tag:Name", "Values": [name]},
        {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}])
    return [i["InstanceId"] for r in res["Reservations"] for i in r["Instances"]]


class InstancePower:
    """The lab's hypervisor stand-in: while active, starts a lab container
    as soon as moto reports an instance of that name running (moto has no
    machines; recover.yml starts the instance, this boots its container)."""

    def __init__(self, ec2, name, container=None, timeout=600):
        import threading
        self.ec2, self.name, self.container, self.timeout = ec2, name, container or name, timeout
        self.booted_at = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _running(self):
        res = self.ec2.describe_instances(Filters=[
            {"Name": "tag:Name", "Values": [self.name]},
            {"Name": "instance-state-name", "Values": ["running"]}])
        return any(r["Instances"] for r in res["Reservations"])

    def _run(self):
        deadline = time.monotonic() + self.timeout
        while not self._stop.is_set() and time.monotonic() < deadline:
            if self._running():
                docker("start", self.container)
                self.booted_at = time.monotonic()
                return
            time.sleep(1)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=10)


def replace_machine(*names, keep_images=True, timeout=300):
    """The lab's stand-in for replacement instances' first boot: each
    container in `names` is removed and created again from the lab's host
    image (a new root disk: no Docker, no stack, no data, a new SSH host key)
    by lab/up.yml, which also authorizes the admin key and records the new
    host key, as cloud-init and the console output do on EC2. keep_images
    keeps a nested engine's image store (the lab has no registry to pull the
    stand-in images from: a club AMI with the images baked in); its
    containers, volumes and networks are wiped."""
    for name in names:
        volume = f"{name}-var-lib-docker"
        docker("rm", "-f", name)
        if docker("volume", "inspect", volume, check=False).returncode != 0:
            continue  # no nested engine (the NAT)
        if keep_images:
            docker("run", "--rm", "-v", f"{volume}:/d", lab_image("LAB_IMAGE_BASE"),
                   "sh", "-c", "rm -rf /d/containers /d/volumes /d/network /d/buildkit /d/runtimes")
        else:
            docker("volume", "rm", "-f", volume)
    root = os.environ["PROJECT_ROOT"]
    res = subprocess.run(["ansible-playbook", "-i", "localhost,", "lab/up.yml"], cwd=root,
                         env=lab_env(dict(ANSIBLE_CONFIG=os.path.join(root, "ansible.cfg"), ANSIBLE_NOCOLOR="1")),
                         capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, res.stdout + res.stderr


def lab_image(variable):
    """A lab image's name (lab/images/build.sh): from the environment, else
    from .lab/images.env under PROJECT_ROOT."""
    if variable in os.environ:
        return os.environ[variable]
    with open(os.path.join(os.environ["PROJECT_ROOT"], ".lab/images.env")) as env:
        return dict(line.strip().split("=", 1) for line in env if "=" in line)[variable]


def key_value_vars(case_vars):
    """A case's variables as `-e name=value` leaves them for the roles: text,
    typed by the project's callback (plugins/callback/typed_extra_vars.py)
    exactly as on a real command line."""
    callback = project_module("plugins/callback/typed_extra_vars.py")
    if not all(isinstance(v, str) for v in case_vars.values()):
        raise ValueError(f"a key=value case gives text only: {case_vars}")
    typed = dict(case_vars)
    callback.convert(typed, callback.declared_types(str(ROOT)))
    return typed


def bad_inputs(suite):
    """The refused-input cases of one suite from tests/bad_inputs.yml (the
    table in docs/inputs.md is made from that file), as pytest parameters
    (extra_vars, message). A case of form key=value gives its values as
    text, as `-e name=value` does, and reaches the suite typed as the
    project's callback types them (key_value_vars)."""
    import pytest
    import yaml
    cases = yaml.safe_load((ROOT / "tests/bad_inputs.yml").read_text())
    return [pytest.param(key_value_vars(c["vars"]) if c.get("form") == "key=value" else c["vars"], c["message"],
                         id=f"{'+'.join(c['vars'])}{'-kv' if c.get('form') == 'key=value' else ''}-{n}")
            for n, c in enumerate(cases) if c["suite"] == suite]


def _run_with_case_report(workdir, inventory, playbook, check=False, env=None):
    """ansible-playbook with the test callback callback_plugins/case_report.py;
    returns {host: [(task name, result), ...]} in the order the tasks ran. A
    result has its "status" (ok, failed, skipped) and the "error" summary of
    a failure, which keeps the message of a no_log task."""
    import pathlib
    root = pathlib.Path(__file__).resolve().parents[2]
    report = pathlib.Path(workdir) / "report.json"
    cmd = ["ansible-playbook", "-i", str(inventory), str(playbook), "--forks", "8", *(["--check"] if check else [])]
    run_env = lab_env(dict(ANSIBLE_CONFIG=os.environ.get("ANSIBLE_CONFIG", str(root / "ansible.cfg")),
                           ANSIBLE_ROLES_PATH=f"{root}/roles/aws:{root}/roles/host",
                           ANSIBLE_CALLBACK_PLUGINS=callback_plugin_paths(root),
                           ANSIBLE_CALLBACKS_ENABLED=enabled_callbacks("case_report"), CASE_REPORT_PATH=str(report),
                           ANSIBLE_NOCOLOR="1", **(env or {})))
    run_env.pop("ANSIBLE_LOG_PATH", None)
    res = subprocess.run(cmd, cwd=workdir, env=run_env, capture_output=True, text=True)
    if not report.exists():
        raise AssertionError(f"no report (rc={res.returncode}):\n{res.stdout}\n{res.stderr}")
    ran = {}
    for row in json.loads(report.read_text()):
        ran.setdefault(row["host"], []).append(
            (row["task"], {**row["result"], "status": row["status"], "error": row["error"]}))
    return ran


def refusal_batch(workdir, cases, tasks, inventory_group_vars=None, env=None, check=False, project_group_vars=True):
    """Run many bad-input cases in ONE ansible-playbook process: each case is
    a host of its own (local connection, the case's variables as host
    variables, which take precedence over every group_vars file), so one
    case's failure stops that case only. The play lives in workdir, next to a
    link to the project's group_vars (the same wiring as the playbooks)
    unless project_group_vars is false; the inventory next to a link to
    inventory_group_vars (e.g. the lab's) if given.

    cases: {case_name: vars}. tasks: the play's task list. Returns
    {case_name: [(task name, result), ...]} (_run_with_case_report)."""
    import pathlib
    import sys

    import yaml
    root = pathlib.Path(__file__).resolve().parents[2]
    workdir = pathlib.Path(workdir)
    (workdir / "inventory").mkdir(parents=True, exist_ok=True)
    if project_group_vars:
        (workdir / "group_vars").symlink_to(root / "group_vars")
    if inventory_group_vars:
        (workdir / "inventory/group_vars").symlink_to(root / inventory_group_vars)
    hosts = {name: {"ansible_connection": "local", "ansible_python_interpreter": sys.executable, **case_vars}
             for name, case_vars in cases.items()}
    (workdir / "inventory/hosts.yml").write_text(yaml.safe_dump({"all": {"hosts": hosts}}))
    play = [{"name": "Refusal cases, one host each", "hosts": "all", "gather_facts": False, "tasks": tasks}]
    (workdir / "play.yml").write_text(yaml.safe_dump(play))
    ran = _run_with_case_report(workdir, workdir / "inventory", workdir / "play.yml", check=check, env=env)
    return {name: ran.get(name, []) for name in cases}


def scenario_refusal_batch(workdir, hostname, group, cases):
    """The bad-input cases of a role scenario, all in one run of the
    scenario's converge playbook against its real host: each case is an
    inventory host of its own that reaches the same machine (the scenario
    host's variables and connection, then the case's variables), so the
    cases run side by side and each stops at its own refusal. Only refusals
    run there: a case the role let through would change the machine, which
    the caller checks (its watched file, its behaviour).

    Returns {case_name: [(task name, result), ...]}; a message naming the
    host names the case's host name."""
    import pathlib

    import yaml
    inventory = os.environ["MOLECULE_INVENTORY_FILE"]
    res = subprocess.run(["ansible-inventory", "-i", inventory, "--host", hostname],
                         capture_output=True, text=True, check=True)
    host_vars = json.loads(res.stdout)
    host_vars.setdefault("ansible_host", hostname)
    workdir = pathlib.Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    hosts = {name: {**host_vars, **case_vars} for name, case_vars in cases.items()}
    (workdir / "hosts.yml").write_text(yaml.safe_dump({"all": {"children": {group: {"hosts": hosts}}}}))
    ran = _run_with_case_report(workdir, workdir / "hosts.yml", scenario_playbook())
    return {name: ran.get(name, []) for name in cases}


def assert_refused_case(ran, message, task_prefixes=()):
    """One case of a refusal batch: a task failed, its result carries the
    message, it is one of the role's checks (a task name starting with one
    of task_prefixes, if given), and no task changed anything before it."""
    failed = [(task, result) for task, result in ran if result["status"] == "failed"]
    assert failed, f"nothing refused the input; tasks run: {[task for task, _ in ran]}"
    task, result = failed[0]
    assert message in refusal_text(result), (task, result)
    if task_prefixes:
        assert task.startswith(tuple(task_prefixes)), task
    assert not any(r.get("changed") for _, r in ran), [t for t, r in ran if r.get("changed")]


def refusal_text(result):
    """Every string of a task result (msg, argument errors, ...) on one line,
    whitespace collapsed, to look for a refusal's message in."""
    found = []

    def walk(value):
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
    walk(result)
    return " ".join(" ".join(found).split())


def tcp_open(host, address, port, timeout=3):
    """Whether a TCP connection from inside host to address:port is accepted."""
    code = ("import socket, sys\n"
            "try:\n"
            "    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()\n"
            "except OSError:\n"
            "    sys.exit(1)\n")
    return host.run("python3 -c %s %s %s %s", code, address, str(port), str(timeout)).rc == 0


def run_fresh_backup(host, timeout=300):
    """Take a backup that holds every write made before this call: wait for a
    run the timer started earlier (systemctl start would only join it, and
    its dump may predate the caller's writes), then start one, as the timer
    would, and wait for it (a oneshot unit). Returns the start's result."""
    unit = "itsupport-db-backup.service"
    host.run(f"timeout {timeout} sh -c 'while [ \"$(systemctl show -p ActiveState --value {unit})\" = activating ]; "
             f"do sleep 1; done'")
    return host.run(f"systemctl start {unit}")


def moto_recording(url, start):
    """Start (start=True) or stop moto's request recorder at url."""
    path = "/moto-api/recorder/" + ("start-recording" if start else "stop-recording")
    urllib.request.urlopen(urllib.request.Request(url + path, method="POST")).close()


def moto_recorded_actions(url):
    """The AWS actions moto at url received while its recorder ran: the
    query or JSON API's action name, or "METHOD URL" for S3's REST calls."""
    with urllib.request.urlopen(url + "/moto-api/recorder/download-recording") as resp:
        lines = resp.read().decode().splitlines()
    actions = []
    for line in filter(None, lines):
        entry = json.loads(line)
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode(errors="replace")
        if "x-amz-target" in headers:
            actions.append(headers["x-amz-target"].rsplit(".", 1)[-1])
        elif "Action=" in body:
            actions.append(urllib.parse.parse_qs(body)["Action"][0])
        else:
            actions.append(f"{entry['method']} {entry['url']}")
    return actions


def aws_writes(actions):
    """The actions that are not reads (Describe, Get, List, Head, S3 GET/HEAD)."""
    return [a for a in actions if not a.startswith(("Describe", "Get", "List", "Head", "GET ", "HEAD "))]
