"""The dev database's backups on the site's dev host (roles aws_backup,
db_backup, app_stack's restore), checked by their effects: objects in the
lab's S3 (moto), rows that come back, the unit's state, what a container can
reach. Runs first of the site's test files (pytest's file order); every test
leaves the stack running."""

import concurrent.futures
import gzip
import json
import os
import subprocess
import urllib.request
import uuid

import boto3
import pytest

from labhelpers import lab_ansible, lab_host, run_fresh_backup, wait_for

HOST = "itsupport-dev-devhost"
BUCKET, PREFIX = "itsupport-dev-db-backups", "mysql"
MOTO = "http://127.0.0.1:" + os.environ.get("LAB_MOTO_PORT", "5005")
IMDS = "http://10.20.2.254"
STACK = "/opt/itsupport/stack"
SERVICES = ["itsupport-db-1", "itsupport-council-1", "itsupport-homepage-1"]
HOMEPAGE_PW = "lab-only-homepage-pw"


@pytest.fixture(scope="module")
def host():
    return lab_host(HOST)


@pytest.fixture(scope="module")
def s3():
    return boto3.client("s3", region_name="ap-northeast-2", endpoint_url=MOTO,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def alerts():
    """A queue subscribed to the project's alerts topic, as an admin's
    e-mail would be: alerts() returns the messages that reached it since
    the last call, as {subject, message}."""
    kw = dict(region_name="ap-northeast-2", endpoint_url=MOTO, aws_access_key_id="testing",
              aws_secret_access_key="testing")
    sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
    topic = next(t["TopicArn"] for t in sns.list_topics()["Topics"] if t["TopicArn"].endswith(":itsupport-dev-alerts"))
    url = sqs.create_queue(QueueName="itsupport-test-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)["SubscriptionArn"]

    def received():
        out = []
        while True:
            got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            if not got:
                return out
            for m in got:
                body = json.loads(m["Body"])
                out.append({"subject": body.get("Subject", ""), "message": body["Message"]})
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    yield received
    sns.unsubscribe(SubscriptionArn=sub)
    sqs.delete_queue(QueueUrl=url)


def sql(host, statement):
    return host.run("docker run --rm --network itsupport_stack %s mysql -h db -u homepage -p%s -N -B homepage -e %s",
                    os.environ["LAB_IMAGE_MYSQL_STANDIN"], HOMEPAGE_PW, statement)


def add_member(host):
    name = "Backup" + uuid.uuid4().hex[:8]
    res = sql(host, f"INSERT INTO legacy_members (name) VALUES ('{name}')")
    assert res.rc == 0, res.stderr
    return name


def members(host):
    res = sql(host, "SELECT name FROM legacy_members ORDER BY id")
    assert res.rc == 0, res.stderr
    return res.stdout.split()


def dumps(s3):
    objs = s3.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX + "/").get("Contents", [])
    return sorted(o["Key"] for o in objs if o["Key"].endswith(".sql.gz"))


def latest(s3):
    return s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/latest")["Body"].read().decode()


def run_backup(host):
    """Start the unit the timer starts, as the timer would, and wait for it
    (after a run the timer started, if one is going: labhelpers)."""
    return run_fresh_backup(host)


def healthy(host):
    states = [host.run("docker inspect --format '{{.State.Health.Status}}' %s", n).stdout.strip() for n in SERVICES]
    return all(s == "healthy" for s in states)


def test_the_timer_runs_the_backup_every_15_minutes(host):
    assert host.service("itsupport-db-backup.timer").is_enabled
    assert host.service("itsupport-db-backup.timer").is_running
    calendar = host.check_output("systemctl show itsupport-db-backup.timer -p TimersCalendar --value")
    assert "*-*-* *:00/15:00" in calendar, calendar
    assert host.file("/etc/itsupport-db-backup/client.cnf").mode == 0o600
    assert host.file("/etc/itsupport-db-backup/client.cnf").user == "root"


def test_a_backup_holds_the_rows_written_before_it_and_restores(host, s3):
    name = add_member(host)
    res = run_backup(host)
    assert res.rc == 0, host.run("journalctl -u itsupport-db-backup -n 20 --no-pager").stdout
    key = latest(s3)
    assert key in dumps(s3) and key.startswith(PREFIX + "/")
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    text = gzip.decompress(body).decode()
    assert text.rstrip().splitlines()[-1].startswith("-- Dump completed")
    assert "CREATE DATABASE" in text and "`council`" in text and "`homepage`" in text
    # The object, loaded into a scratch database server, has the row.
    image = os.environ["LAB_IMAGE_MYSQL_STANDIN"]
    host.run("docker rm -f scratch-db")
    assert host.run("docker run -d --name scratch-db -e MYSQL_ROOT_PASSWORD=scratch %s", image).rc == 0
    try:
        wait_for(lambda: host.run("docker exec scratch-db mysqladmin -uroot -pscratch ping").rc == 0,
                 timeout=90, what="the scratch database")
        subprocess.run(["docker", "exec", "-i", HOST, "sh", "-c", "umask 077; cat > /tmp/restore-check.sql"],
                       input=text.encode(), check=True)
        loaded = host.run("docker exec -i scratch-db mysql -uroot -pscratch < /tmp/restore-check.sql")
        assert loaded.rc == 0, loaded.stderr
        rows = host.check_output("docker exec scratch-db mysql -uroot -pscratch -N -B homepage "
                                 "-e 'SELECT name FROM legacy_members'").split()
        assert name in rows and "Ada" in rows
    finally:
        host.run("docker rm -f scratch-db")
        host.run("rm -f /tmp/restore-check.sql")
    # One local copy: the newest.
    local = host.check_output("ls /var/backups/itsupport-db").split()
    assert local == [key.split("/")[-1]], local


def failed_backup_journal(host):
    """Run the backup as the timer would, expect it to fail and the unit to
    say so; return the unit's last journal lines (the reason)."""
    assert run_backup(host).rc != 0
    assert host.run("systemctl is-failed itsupport-db-backup.service").stdout.strip() == "failed"
    return host.check_output("journalctl -u itsupport-db-backup -n 20 --no-pager -o cat")


def assert_nothing_stored_and_the_next_run_works(host, s3, before_latest, before_dumps):
    """After a failed backup: no object stored, latest unchanged; the next
    run works again and moves latest."""
    assert latest(s3) == before_latest
    assert dumps(s3) == before_dumps, "an object was stored by the failed run"
    assert run_backup(host).rc == 0
    assert latest(s3) != before_latest


def test_a_failed_upload_fails_the_unit_and_keeps_latest(host, s3):
    before_latest, before_dumps = latest(s3), dumps(s3)
    # S3 unreachable from the host: its requests are refused on the way out.
    rule = "OUTPUT -d 10.20.1.1 -p tcp -j REJECT --reject-with tcp-reset"
    assert host.run(f"iptables -I {rule}").rc == 0
    try:
        journal = failed_backup_journal(host)
        assert "itsupport-db-backup:" in journal and ("Connect" in journal or "connect" in journal), journal
    finally:
        host.run(f"iptables -D {rule}")
    assert_nothing_stored_and_the_next_run_works(host, s3, before_latest, before_dumps)


def test_a_full_disk_fails_the_unit_alerts_the_admins_leaves_no_partial_file_and_keeps_latest(host, s3, alerts):
    """The local copy's directory on a file system with no room left (a
    1 MB tmpfs over it, filled): the unit fails with the reason in its
    journal, the failure and that reason reach the alerts topic (seen
    in moto, by a queue subscribed to it), nothing half-written stays on
    the disk or reaches S3."""
    local = "/var/backups/itsupport-db"
    before_latest, before_dumps = latest(s3), dumps(s3)
    alerts()  # whatever came before
    host.run_expect([0], f"mount -t tmpfs -o size=1m itsupport-full {local}")
    try:
        host.run(f"dd if=/dev/zero of={local}/filler bs=64k")
        assert host.run(f"findmnt -n -o AVAIL {local}").stdout.strip() in ("0", "0B"), "the disk is not full"
        journal = failed_backup_journal(host)
        assert "No space left on device" in journal, journal
        assert host.check_output(f"ls -A {local}").split() == ["filler"], "a partial dump stayed on the disk"
        got = []
        wait_for(lambda: got.extend(alerts()) or got, timeout=60, what="the failure on the alerts topic")
        assert got[0]["subject"] == f"{HOST}: itsupport-db-backup.service failed", got
        assert "No space left on device" in got[0]["message"], got
    finally:
        host.run(f"umount {local}")
    assert_nothing_stored_and_the_next_run_works(host, s3, before_latest, before_dumps)
    assert alerts() == [], "a backup that worked sent an alert"


def test_a_stale_newest_backup_alerts_the_admins(host, s3, alerts):
    """The hourly age check passes while the newest backup is younger than
    twice the schedule's interval (2 x 15 min), and fails, reaching the
    alerts topic, once `latest` names an older one."""
    age = "itsupport-db-backup-age.service"
    assert host.service("itsupport-db-backup-age.timer").is_enabled
    assert host.service("itsupport-db-backup-age.timer").is_running
    alerts()
    assert run_backup(host).rc == 0
    assert host.run(f"systemctl start {age}").rc == 0
    assert alerts() == []
    before = latest(s3)
    old = f"{PREFIX}/20261101T000000Z.sql.gz"
    # No scheduled backup moves `latest` meanwhile.
    host.run_expect([0], "systemctl stop itsupport-db-backup.timer")
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/latest", Body=old.encode())
    try:
        assert host.run(f"systemctl start {age}").rc != 0
        got = []
        wait_for(lambda: got.extend(alerts()) or got, timeout=60, what="the stale backup on the alerts topic")
        assert got[0]["subject"] == f"{HOST}: {age} failed", got
        assert old in got[0]["message"] and "more than twice the schedule's interval" in got[0]["message"], got
    finally:
        s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}/latest", Body=before.encode())
        host.run(f"systemctl reset-failed {age}; systemctl start itsupport-db-backup.timer")


def test_the_host_cannot_write_over_a_dump(host, s3):
    """The script writes each dump with If-None-Match: *: the same key again,
    from the host with its instance role, is refused (412) and the dump
    stays as it was (the policies that require it: tests/unit)."""
    key = latest(s3)
    before = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    res = host.run("python3 -c %s %s", (
        "import sys, types\n"
        "m = types.ModuleType('backup')\n"
        "exec(open('/usr/local/sbin/itsupport-db-backup').read(), m.__dict__)\n"
        "open('/tmp/overwrite', 'wb').write(b'not a dump')\n"
        "m.put_new(m.s3_client(m.config()), m.config()['bucket'], sys.argv[1], '/tmp/overwrite', 'text/plain')\n"),
        key)
    assert res.rc != 0 and "PreconditionFailed" in res.stderr, res.stderr
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == before


def test_containers_on_the_host_cannot_read_the_role_credentials(host):
    """IMDS hop limit 1: the host gets a token, a container behind its bridge
    gets no answer, though it reaches the lab's internet host fine."""
    token = host.run("python3 -c %s", (
        "import urllib.request as u; r = u.Request('%s/latest/api/token', method='PUT', "
        "headers={'X-aws-ec2-metadata-token-ttl-seconds': '60'}); print(u.urlopen(r, timeout=3).read().decode())" % IMDS))
    assert token.rc == 0 and token.stdout.strip(), token.stderr
    probe = ("import sys, urllib.request as u\n"
             "r = u.Request(sys.argv[1], method=sys.argv[2], headers={'X-aws-ec2-metadata-token-ttl-seconds': '60'})\n"
             "print(u.urlopen(r, timeout=4).status)\n")
    image = os.environ["LAB_IMAGE_DJANGO_STANDIN"]
    control = host.run("docker run --rm --entrypoint python3 %s -c %s %s GET", image, probe, "http://10.20.1.100:8080/")
    assert control.rc == 0, f"the container reaches nothing at all: {control.stderr}"
    res = host.run("docker run --rm --entrypoint python3 %s -c %s %s PUT", image, probe, IMDS + "/latest/api/token")
    assert res.rc != 0 and "timed out" in res.stderr.lower(), res.stdout + res.stderr


def test_a_spot_notice_backs_up_at_once_and_stops_the_stack(host, s3):
    name = add_member(host)
    before = set(dumps(s3))
    req = urllib.request.Request(IMDS + "/lab/spot-notice", method="POST")
    with urllib.request.urlopen(req, timeout=5) as r:
        assert r.status == 200
    try:
        # latest names a backup made after the notice (another one, e.g. the
        # timer's, may already have followed it: each holds the row). The
        # dump is stored first and latest moved after it: wait for latest.
        wait_for(lambda: latest(s3) in set(dumps(s3)) - before, timeout=30, what="a backup after the notice")
        key = latest(s3)
        assert key in set(dumps(s3)) - before, f"latest ({key}) is not a backup made after the notice"
        text = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()).decode()
        assert name in text, "the row written just before the notice is not in the backup"
        wait_for(lambda: host.check_output("docker ps --format '{{.Names}}' --filter label=com.docker.compose.project=itsupport") == "",
                 timeout=60, what="the stack stopped")
    finally:
        urllib.request.urlopen(urllib.request.Request(IMDS + "/lab/spot-notice", method="DELETE"), timeout=5)
        host.run("systemctl restart itsupport-spot-notice.service")
        host.run(f"docker compose --project-directory {STACK} start")
    wait_for(lambda: healthy(host), timeout=180, what="the stack healthy again")


# A replaced host (empty data directory) gets the newest backup back, not
# the RDS dump: tests/test_recover.py, the replaced NAT and dev host.


def test_restore_db_puts_back_a_chosen_backup_only_when_confirmed(host, s3):
    kept = add_member(host)
    assert run_backup(host).rc == 0
    key = latest(s3)
    later = add_member(host)
    refused = lab_ansible("ansible-playbook", "playbooks/restore_db.yml", "-e", f"backup={key}")
    assert refused.returncode != 0 and "restore_db_confirm=" + HOST in " ".join(refused.output.split())
    assert later in members(host), "the refused restore changed the data"
    res = lab_ansible("ansible-playbook", "playbooks/restore_db.yml", "-e", f"backup={key}",
                      "-e", f"restore_db_confirm={HOST}")
    assert res.returncode == 0, res.output
    assert f"restored {key}" in res.output, res.output
    rows = members(host)
    assert kept in rows and later not in rows
    assert healthy(host)
    # The safety backup taken first holds what the restore replaced.
    safety = latest(s3)
    assert safety != key
    body = gzip.decompress(s3.get_object(Bucket=BUCKET, Key=safety)["Body"].read()).decode(errors="replace")
    assert later in body


def test_restore_db_refuses_a_backup_without_a_configured_database_before_any_change(host, s3):
    """A backup that lacks a database the restore would drop (here one
    holding another database only) is refused before the safety backup,
    before the apps stop, before anything is dropped."""
    key = f"{PREFIX}/20000101T000000Z.sql.gz"
    s3.put_object(Bucket=BUCKET, Key=key, Body=gzip.compress(
        b"-- MySQL dump 10.13\nCREATE DATABASE /*!32312 IF NOT EXISTS*/ `unrelated`;\n"
        b"-- Dump completed on 2000-01-01  0:00:00\n"))
    try:
        row = add_member(host)
        before = dumps(s3)
        res = lab_ansible("ansible-playbook", "playbooks/restore_db.yml", "-e", f"backup={key}",
                          "-e", f"restore_db_confirm={HOST}")
        assert res.returncode != 0, res.output
        assert "holds no" in res.output and "nothing was changed" in res.output, res.output
        assert res.recap[HOST]["changed"] == 0, res.output
        assert row in members(host) and healthy(host)
        assert dumps(s3) == before
    finally:
        s3.delete_object(Bucket=BUCKET, Key=key)


def test_bad_input_is_refused_before_any_change(host):
    """Each bad value fails naming the variable; the unit files stay as they
    were. The runs are started together (each fails before any change)."""
    timer = "/etc/systemd/system/itsupport-db-backup.timer"
    digest = host.file(timer).sha256sum
    cases = [
        ({"backup_bucket": "Not_A_Bucket"}, "db_backup_bucket 'Not_A_Bucket' is not a valid S3 bucket name"),
        ({"db_backup_schedule": "every quarter hour"}, "db_backup_schedule 'every quarter hour' is not a systemd calendar"),
        ({"db_backup_databases": []}, "db_backup_databases is empty"),
    ]
    with concurrent.futures.ThreadPoolExecutor(len(cases)) as pool:
        runs = [pool.submit(lab_ansible, "ansible-playbook", "playbooks/devhost.yml", "--tags", "db_backup",
                            "-e", json.dumps(extra)) for extra, _ in cases]
    for run, (_, message) in zip(runs, cases):
        res = run.result()
        assert res.returncode != 0, res.output
        assert message in " ".join(res.output.split()), res.output
        assert res.recap[HOST]["changed"] == 0, res.output
    assert host.file(timer).sha256sum == digest


def test_the_backup_login_takes_the_nastiest_password_the_stack_accepts(host):
    """client.cnf as the role writes it (its template, on the dev host) for
    a password with a backslash, a double quote, a hash, a semicolon, shell
    syntax, a backquote, an equals sign and a non-ASCII letter (the stack
    refuses only a single quote and a line break): MySQL reads the login
    from it as mysqldump does in the backup."""
    password = 'pa\\ss"wo#rd; $(id) `=é'
    root_pw = "lab-only-root-pw"
    as_root = "docker exec -i -e MYSQL_PWD=%s itsupport-db-1 mysql -uroot -e %s"
    created = host.run(as_root, root_pw, "CREATE USER 'nasty'@'%' IDENTIFIED BY '{}'".format(password.replace("\\", "\\\\")))
    assert created.rc == 0, created.stderr
    try:
        template = os.path.join(os.environ["PROJECT_ROOT"], "roles/host/db_backup/templates/client.cnf.j2")
        res = lab_ansible("ansible", "devhost", "--become", "-m", "ansible.builtin.template",
                          "-a", f"src={template} dest=/root/nasty.cnf mode=0600",
                          "-e", json.dumps({"db_backup_db_root_password": password}))
        assert res.returncode == 0, res.output
        login = host.run("docker exec -i itsupport-db-1 mysql --defaults-extra-file=/dev/stdin -unasty -N -B "
                         "-e 'SELECT CURRENT_USER()' < /root/nasty.cnf")
        assert login.rc == 0 and login.stdout.strip() == "nasty@%", login.stderr
    finally:
        host.run("rm -f /root/nasty.cnf")
        host.run(as_root, root_pw, "DROP USER IF EXISTS 'nasty'@'%'")
