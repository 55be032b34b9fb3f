"""Effects of the app_stack role on the site's dev host (converged by
site.yml over SSH through the NAT): the stack serves, keeps its data, keeps
its secrets and database locked down, refuses bad input, and comes back after
a Spot stop/start. The restart test runs last (pytest keeps file order)."""

import concurrent.futures
import gzip
import json
import os
import uuid

import pytest

from labhelpers import bad_inputs, http_get, lab_ansible, lab_host, restart_container, wait_for
from labregistry import LabRegistry

HOST = "itsupport-dev-devhost"
STACK = "/opt/itsupport/stack"
SERVICES = ["itsupport-db-1", "itsupport-council-1", "itsupport-homepage-1"]
# The lab-only values of inventories/lab/group_vars/devhost/main.yml.
SECRETS = {
    "root": "lab-only-root-pw",
    "council": "lab-only-council-pw",
    "homepage": "lab-only-homepage-pw",
    "django": "lab-only-django-key",
}


def sql(host, user, password, statement, database=""):
    """Run SQL from a throw-away client container on the stack's network,
    i.e. from where the apps connect. Returns the testinfra command result."""
    return host.run(
        "docker run --rm --network itsupport_stack %s mysql -h db -u %s -p%s -N -B %s -e %s",
        os.environ["LAB_IMAGE_MYSQL_STANDIN"], user, password, database, statement)


def post(host, url, text):
    code = ("import sys, urllib.request, urllib.parse; "
            "print(urllib.request.urlopen(sys.argv[1], urllib.parse.urlencode({'text': sys.argv[2]}).encode(), timeout=10).read().decode())")
    return json.loads(host.check_output("python3 -c %s %s %s", code, url, text))


def healthy(host):
    states = {}
    for name in SERVICES:
        res = host.run("docker inspect --format '{{.State.Health.Status}}' %s", name)
        states[name] = res.stdout.strip()
    return all(s == "healthy" for s in states.values()) and states


@pytest.fixture(scope="module")
def host():
    return lab_host(HOST)


def converge_stack(*args):
    """The stack's part of the dev host's playbook, as an admin re-runs it."""
    return lab_ansible("ansible-playbook", "playbooks/devhost.yml", "--tags", "app_stack", *args)


def legacy_members(host):
    res = sql(host, "homepage", SECRETS["homepage"], "SELECT name FROM legacy_members ORDER BY id", "homepage")
    assert res.rc == 0, res.stderr
    return res.stdout.split()


def test_every_service_healthy_with_restart_unless_stopped(host):
    assert healthy(host), "not every service is healthy"
    for name in SERVICES:
        policy = host.check_output("docker inspect --format '{{.HostConfig.RestartPolicy.Name}}' %s", name)
        assert policy == "unless-stopped", name


def test_health_urls_answer_200_from_the_host(host):
    ok, body = http_get(host, "http://127.0.0.1:8080/actuator/health")
    assert ok and json.loads(body)["components"]["db"]["status"] == "UP", body
    ok, body = http_get(host, "http://127.0.0.1:8000/health/")
    assert ok, body


def test_each_app_reads_and_writes_its_database(host):
    assert "from-spring" in post(host, "http://127.0.0.1:8080/notes", "from-spring")["notes"]
    assert "from-django" in post(host, "http://127.0.0.1:8000/notes/", "from-django")["notes"]
    res = sql(host, "council", SECRETS["council"], "SELECT text FROM council_notes", "council")
    assert "from-spring" in res.stdout.split(), res.stderr
    res = sql(host, "homepage", SECRETS["homepage"], "SELECT text FROM notes_note", "homepage")
    assert "from-django" in res.stdout.split(), res.stderr


def test_app_user_least_privilege(host):
    user, pw = "council", SECRETS["council"]
    assert sql(host, user, pw, "CREATE TABLE IF NOT EXISTS probe (id INT); INSERT INTO probe VALUES (1); "
                               "SELECT COUNT(*) FROM probe; DROP TABLE probe", "council").rc == 0
    assert sql(host, user, pw, "CREATE DATABASE not_allowed").rc != 0
    assert sql(host, user, pw, "GRANT SELECT ON council.* TO 'homepage'@'%'").rc != 0
    assert sql(host, user, pw, "SELECT COUNT(*) FROM homepage.legacy_members").rc != 0
    grants = sql(host, "root", SECRETS["root"], "SHOW GRANTS")  # from the apps' network: must fail
    assert grants.rc != 0 and "denied" in grants.stderr.lower(), "root logged in from the apps' network"


def test_root_works_from_the_host_only_through_loopback(host):
    res = host.run("python3 -c %s", (
        "import pymysql; c = pymysql.connect(host='127.0.0.1', port=3306, user='root', password='%s');"
        "cur = c.cursor(); cur.execute('SHOW GRANTS FOR council@\\'172.30.0.0/255.255.255.0\\''); "
        "print(cur.fetchall())" % SECRETS["root"]))
    assert res.rc == 0, res.stderr
    assert "GRANT OPTION" not in res.stdout and "ON *.*" not in res.stdout.replace("USAGE ON *.*", ""), res.stdout


def test_mysql_not_published_on_a_public_address(host):
    listeners = host.check_output("ss -ltnH 'sport = :3306'").splitlines()
    assert listeners, "nothing listens on 3306 at all: the test would prove nothing"
    for line in listeners:
        local = line.split()[3]
        assert local.startswith("127.0.0.1:"), f"3306 listens on {local}"


def test_binary_logs_expire_so_they_cannot_fill_the_volume(host):
    res = host.run("docker exec -e MYSQL_PWD=%s itsupport-db-1 mysql -uroot -N -B -e %s",
                   SECRETS["root"], "SELECT @@binlog_expire_logs_seconds")
    assert res.rc == 0, res.stderr
    assert res.stdout.strip() == "259200", "binary logs are kept longer than app_stack_db_binlog_expire_seconds"


def test_dump_imported_once_and_taken_out_of_the_init_path(host):
    members = legacy_members(host)
    assert members[:3] == ["Ada", "Grace", "Linus"]
    assert members.count("Ada") == 1, "the dump was imported more than once"
    assert not host.file(f"{STACK}/initdb/dump.sql").exists
    # The import finished: the last first-start script left its marker.
    assert host.file(f"{STACK}/db/.itsupport-init-complete").exists


def test_the_first_converge_showed_no_secret_or_member_data():
    """The site scenario's converge (the stack's first start, importing the
    RDS dump) and every later playbook run log their -v --diff output
    (molecule.yml: ANSIBLE_LOG_PATH, options diff and v). Neither the secrets
    nor the dump's member rows appear in it. (`ansible-inventory --list`,
    which prints every variable by design, is not logged: labhelpers.)"""
    log = open(os.path.join(os.environ["PROJECT_ROOT"], ".lab/site-scenario-ansible.log")).read()
    staged = log.split("TASK [app_stack : Stage the RDS dump for the database's first start]")
    assert len(staged) > 1 and "changed: [itsupport-dev-devhost]" in staged[1].split("TASK [")[0], \
        "the logged runs never staged the dump: the test proves nothing"
    for name, value in SECRETS.items():
        assert value not in log, f"the {name} secret appears in the -v --diff output"
    for row in ("(1,'Ada')", "(2,'Grace')", "legacy_members` VALUES"):
        assert row not in log, "the dump's member rows appear in the -v --diff output"


def test_an_import_that_dies_halfway_stops_the_role_and_keeps_the_dump(host, tmp_path):
    """A first start whose import fails halfway leaves a database that starts
    and looks healthy (the entrypoint skips its init on the restart). The role
    notices (no completion marker), stops with what to do, and keeps the dump.
    The host is put back as it was afterwards."""
    # Compressed, as RDS dumps often are: staged as dump.sql.gz, which the
    # image's first start decompresses.
    dump = tmp_path / "rds-dump.sql.gz"
    dump.write_bytes(gzip.compress(b"CREATE DATABASE IF NOT EXISTS `homepage`;\nUSE `homepage`;\n"
                                   b"CREATE TABLE `half_done` (`id` int);\nINSERT INTO `half_done` VALUES (1);\n"
                                   b"THIS LINE IS NOT SQL;\nINSERT INTO `half_done` VALUES (2);\n"))
    compose = f"docker compose -f {STACK}/compose.yaml"
    # The dev host as a replacement finds it: no data directory, no backup.
    host.run_expect([0], f"{compose} down")
    host.run_expect([0], f"mv {STACK}/db {STACK}/db.kept")
    try:
        res = converge_stack("-e", json.dumps({"app_stack_db_dump": str(dump), "app_stack_db_restore_bucket": ""}))
        out = " ".join(res.output.split())
        assert res.returncode != 0, res.output
        assert "The first-start import of dump.sql.gz did NOT complete" in out, res.output
        assert host.file(f"{STACK}/initdb/dump.sql.gz").exists, "the dump of a failed import was deleted"
        # What the check guards against: the half-imported database comes
        # back up (the container restarts, skipping its init) with part of it.
        def half_done():
            res = host.run("docker exec -e MYSQL_PWD=%s itsupport-db-1 mysql -uroot -N -B -e %s",
                           SECRETS["root"], "SELECT COUNT(*) FROM homepage.half_done")
            return res.rc == 0 and res.stdout.strip()
        # Failed once beside the other test stages (2026-12-05, not seen
        # alone nor under CPU load): longer, and the container's state and
        # log in the message if it happens again.
        try:
            up = wait_for(half_done, timeout=180, what="the half-imported database up")
        except AssertionError as err:
            state = host.run("docker inspect --format '{{.State.Status}} restarts={{.RestartCount}}' itsupport-db-1")
            logs = host.run("docker logs --tail 30 itsupport-db-1 2>&1")
            raise AssertionError(f"{err}; the database container: {state.stdout.strip()}\n{logs.stdout}") from err
        assert up == "1"
    finally:
        host.run(f"{compose} down")
        host.run_expect([0], f"rm -rf {STACK}/db {STACK}/initdb/dump.sql.gz && mv {STACK}/db.kept {STACK}/db")
        host.run_expect([0], f"{compose} up -d")
    wait_for(lambda: healthy(host), timeout=180, what="every service healthy again")
    assert legacy_members(host)[:3] == ["Ada", "Grace", "Linus"]


def test_a_crash_looping_database_fails_the_run_with_its_last_log_lines(host):
    """A broken option (given here in a Compose override file, as an admin
    editing by hand would) makes the database exit at every start: the run
    fails within app_stack_wait_timeout and its message holds what the
    database said, not a bare timeout. Put back afterwards."""
    override = f"{STACK}/compose.override.yaml"
    host.run_expect([0], f"printf %%s %s > {override}",
                    "services:\n  db:\n    command: [--no-such-option-itsupport]\n")
    try:
        res = converge_stack("-e", "app_stack_wait_timeout=25")
        out = " ".join(res.output.split())
        assert res.returncode != 0, res.output
        assert "The stack did not become healthy within app_stack_wait_timeout (25 s)" in out, res.output
        assert "itsupport-db-1" in out and "last log lines" in out, res.output
        assert "no-such-option-itsupport" in out.split("last log lines", 1)[1], res.output
    finally:
        host.run(f"rm -f {override}")
        res = converge_stack()
    assert res.returncode == 0, res.output
    wait_for(lambda: healthy(host), timeout=180, what="every service healthy again")
    assert legacy_members(host)[:3] == ["Ada", "Grace", "Linus"]


def test_a_nearly_full_disk_stops_the_role_before_any_change(host):
    """app_stack_dir on a file system with no room (a filled 1 MB tmpfs):
    refused, saying how much is free and naming app_stack_min_free_mb,
    before anything is written there."""
    full = "/srv/itsupport-full"
    host.run_expect([0], f"mkdir -p {full} && mount -t tmpfs -o size=1m itsupport-full {full}")
    try:
        host.run(f"dd if=/dev/zero of={full}/filler bs=64k")
        res = converge_stack("-e", f"app_stack_dir={full}/stack")
        out = " ".join(res.output.split())
        assert res.returncode != 0, res.output
        assert f"Only 0 MB are free on {full}, which holds app_stack_dir" in out, res.output
        assert "app_stack_min_free_mb asks for 1024" in out, res.output
        assert res.recap[HOST]["changed"] == 0, res.output
        assert host.check_output(f"ls -A {full}").split() == ["filler"]
    finally:
        host.run(f"umount {full}; rmdir {full}")


def test_an_image_for_another_cpu_stops_the_role_before_any_change(host, tmp_path):
    """The lab's dev host is linux/amd64 (a t4g is linux/arm64): an arm64-only
    database image the host already has is refused by its own platform, and
    one the host would pull by its registry's manifest (read from the
    controller), each naming the image, with nothing changed."""
    # A release newer than the data directory's (the downgrade check comes first).
    local = "itsupport-test/arm64-only:99.0"
    host.run_expect([0], f"tar cf - --files-from /dev/null | docker import --platform linux/arm64 - {local}")
    try:
        with LabRegistry(tmp_path) as registry:
            pulled = registry.push("club/db", "99.0", ["linux/arm64/v8"])
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                runs = [pool.submit(converge_stack, "-e", f"app_stack_db_image={image}") for image in (local, pulled)]
                results = [run.result() for run in runs]
    finally:
        host.run(f"docker image rm {local}")
    for res, why in zip(results, (f"db ({local}) is linux/arm64",
                                  f"db ({pulled}): has no linux/amd64 variant (it has linux/arm64/v8)")):
        out = " ".join(res.output.split())
        assert res.returncode != 0, res.output
        assert why in out and "The host is linux/amd64" in out, res.output
        assert res.recap[HOST]["changed"] == 0, res.output
    assert healthy(host)


def test_rows_written_later_survive_a_converge(host):
    name = "Margaret" + uuid.uuid4().hex[:6]
    res = sql(host, "homepage", SECRETS["homepage"], f"INSERT INTO legacy_members (name) VALUES ('{name}')", "homepage")
    assert res.rc == 0, res.stderr
    before = legacy_members(host)
    res = converge_stack()
    assert res.returncode == 0, res.output
    assert res.recap[HOST]["changed"] == 0, res.output
    assert legacy_members(host) == before and name in before


def test_secrets_stay_out_of_output_files_and_compose(host):
    res = converge_stack("--diff", "-v")
    out = res.output
    assert res.returncode == 0, out
    for name, value in SECRETS.items():
        assert value not in out, f"the {name} secret appears in the Ansible output"
    compose = host.file(f"{STACK}/compose.yaml").content_string
    assert not [v for v in SECRETS.values() if v in compose]
    assert host.file(f"{STACK}").mode == 0o750
    assert host.file(f"{STACK}/secrets").mode == 0o700
    for env in ("db", "council", "homepage"):
        f = host.file(f"{STACK}/secrets/{env}.env")
        assert f.user == "root" and f.mode == 0o600, env


BAD_INPUTS = bad_inputs("devhost")


@pytest.fixture(scope="module")
def refusals(host):
    """The bad inputs that need the dev host, started together (each is
    refused before any change); compose.yaml read around them."""
    digest = host.file(f"{STACK}/compose.yaml").sha256sum
    with concurrent.futures.ThreadPoolExecutor(len(BAD_INPUTS)) as pool:
        runs = [pool.submit(converge_stack, "-e", json.dumps(p.values[0])) for p in BAD_INPUTS]
    return [run.result() for run in runs], digest


@pytest.mark.parametrize("n", range(len(BAD_INPUTS)), ids=[p.id for p in BAD_INPUTS])
def test_bad_input_fails_before_any_change(host, refusals, n):
    """Refused, naming the variable, before anything on the host changed."""
    _, message = BAD_INPUTS[n].values
    res = refusals[0][n]
    assert res.returncode != 0, res.output
    assert message in " ".join(res.output.split()), res.output
    assert res.recap[HOST]["changed"] == 0, res.output
    assert host.file(f"{STACK}/compose.yaml").sha256sum == refusals[1]


def test_stack_comes_back_after_a_spot_stop_start(host):
    before = legacy_members(host)
    restart_container(HOST)
    wait_for(lambda: healthy(host), timeout=180, what="every service healthy after the restart")
    assert legacy_members(host) == before
    ok, _ = http_get(host, "http://127.0.0.1:8080/actuator/health")
    assert ok
