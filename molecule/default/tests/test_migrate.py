"""playbooks/migrate_dev_rds.yml on the site: the lab's old development RDS
(moto's instance itsupport-dev-db, served by the lab-rds container with the
fixture lab/files/rds-source/) moved into the dev host's container database,
checked by its effects: rows and checksums on both sides, objects that work,
the app user's rights, the RDS instance and its snapshot in moto, the dump
in S3, and nothing changed by a run that fails. The tests run in file order
and share the lab's state: failures first (the target stays empty), then the
migration, then the deletion."""

import concurrent.futures
import gzip
import json
import os

import pytest

from labhelpers import (LAB_RDS_ADMIN_PW, bad_inputs, lab_ansible, lab_host, lab_migration_reset, lab_rds_create,
                        lab_rds_instance, lab_rds_sql, moto_client, wait_for)

HOST = "itsupport-dev-devhost"
RDS_ID = "itsupport-dev-db"
BUCKET = "itsupport-dev-db-backups"
DUMP_KEY, RECORD_KEY = f"migrations/{RDS_ID}.sql.gz", f"migrations/{RDS_ID}.json"
SNAPSHOT = f"{RDS_ID}-final-migration"
# The lab-only values (inventories/lab/group_vars, lab/files/rds-source/).
RDS_ADMIN_PW, HELPDESK_PW, ROOT_PW = LAB_RDS_ADMIN_PW, "lab-only-helpdesk-pw", "lab-only-root-pw"
TABLES = ["digits", "members", "ticket_log", "tickets"]
SERVICES = ["itsupport-db-1", "itsupport-council-1", "itsupport-homepage-1"]


def migrate(*args):
    return lab_ansible("ansible-playbook", "playbooks/migrate_dev_rds.yml", *args)


def flat(res):
    return " ".join(res.output.split())


def target_sql(host, statement):
    """SQL on the container database as root (inside its container)."""
    res = host.run("docker exec -e MYSQL_PWD=%s itsupport-db-1 mysql -uroot -N -B -e %s", ROOT_PW, statement)
    assert res.rc == 0, res.stderr
    return res.stdout


def app_sql(host, statement):
    """SQL as the app user helpdesk, from the apps' network (where apps connect)."""
    return host.run("docker run --rm --network itsupport_stack %s mysql -h db -u helpdesk -p%s -N -B helpdesk -e %s",
                    os.environ["LAB_IMAGE_MYSQL_STANDIN"], HELPDESK_PW, statement)


def inventory(run_sql):
    """Per table (row count, checksum) and the objects, read by the test itself."""
    tables = {}
    for t in TABLES:
        rows = int(run_sql(f"SELECT COUNT(*) FROM helpdesk.{t}").strip())
        checksum = run_sql(f"CHECKSUM TABLE helpdesk.{t}").split()[-1]
        tables[t] = (rows, checksum)
    objects = run_sql(
        "SELECT 'r', routine_name FROM information_schema.routines WHERE routine_schema = 'helpdesk' UNION ALL "
        "SELECT 't', trigger_name FROM information_schema.triggers WHERE trigger_schema = 'helpdesk' UNION ALL "
        "SELECT 'v', table_name FROM information_schema.views WHERE table_schema = 'helpdesk' UNION ALL "
        "SELECT 'e', event_name FROM information_schema.events WHERE event_schema = 'helpdesk' ORDER BY 1, 2")
    return tables, objects.split()


def target_objects(host):
    """Tables, views and routines of the target database helpdesk."""
    return sum(int(n) for n in target_sql(
        host, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'helpdesk'"
              " UNION ALL SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema = 'helpdesk'").split())


def manual_snapshots():
    """The instance's manual snapshots (a final snapshot is one; automated ones go with the instance)."""
    snaps = moto_client("rds").describe_db_snapshots(DBInstanceIdentifier=RDS_ID, SnapshotType="manual")["DBSnapshots"]
    return sorted(s["DBSnapshotIdentifier"] for s in snaps)


def kept_objects():
    objs = moto_client("s3").list_objects_v2(Bucket=BUCKET, Prefix="migrations/").get("Contents", [])
    return sorted(o["Key"] for o in objs)


def rds_state():
    """The old RDS instance and every snapshot, as moto holds them."""
    rds = moto_client("rds")
    instance = lab_rds_instance() or {}
    return ({k: instance.get(k) for k in ("DBInstanceStatus", "DeletionProtection", "EngineVersion",
                                          "DBInstanceClass", "BackupRetentionPeriod", "VpcSecurityGroups")},
            sorted(s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]))


RDS_BEFORE = []


def assert_nothing_changed(host):
    """What every failed run must leave: the target empty, RDS as it was
    before the first run of this file (moto's state compared), nothing kept
    in S3, no login or dump left on the host."""
    assert target_objects(host) == 0, "the target database was changed"
    instance = lab_rds_instance()
    assert instance and instance["DeletionProtection"], "RDS was changed"
    assert rds_state() == RDS_BEFORE[0], "RDS was changed"
    assert kept_objects() == []
    assert not host.file("/root/.itsupport-migrate").exists, "the option files were left on the host"
    leftover = host.run("ls -A /var/backups/itsupport-migrate").stdout.split()
    assert not [f for f in leftover if f.endswith(".import.sql")], leftover


@pytest.fixture(scope="module")
def host():
    """The lab as lab/up.yml leaves it (labhelpers.lab_migration_reset)."""
    h = lab_host(HOST)
    lab_migration_reset(h)
    RDS_BEFORE[:] = [rds_state()]
    return h


def test_the_lab_rds_is_what_the_migration_expects(host):
    instance = lab_rds_instance()
    assert instance["Engine"] == "mysql" and instance["DeletionProtection"]
    tables, objects = inventory(lab_rds_sql)
    assert tables["tickets"][0] == 3000 and tables["members"][0] == 3
    assert objects == ["e", "purge_ticket_log", "r", "close_ticket", "t", "tickets_status_log", "v", "open_tickets"]
    assert "`admin`@`%`" in lab_rds_sql("SHOW CREATE PROCEDURE helpdesk.close_ticket").replace("'", "`")
    assert target_objects(host) == 0


BAD_INPUTS = bad_inputs("migrate")

# Runs that cannot read RDS: the extra variables and what the refusal says.
UNREADABLE = {
    "wrong password": (["-e", "rds_migration_password=not-the-password"],
                       "Cannot read RDS instance itsupport-dev-db"),
    # An instance moto knows whose endpoint answers nowhere.
    "unreachable endpoint": (["-e", "rds_migration_identifier=itsupport-dev-gone"],
                             "Cannot read RDS instance itsupport-dev-gone"),
    "missing database": (["-e", json.dumps({
        "rds_migration_databases": ["helpdesk", "nosuchdb"],
        "rds_migration_users": [{"name": "helpdesk", "password": HELPDESK_PW, "databases": ["helpdesk", "nosuchdb"]}]})],
        "has no database nosuchdb"),
}


@pytest.fixture(scope="module")
def failed_runs(host):
    """Every run that must fail before any change and can share the lab
    with the others, started together: the catalogue's bad inputs, an
    engine mysql cannot import, and the runs that cannot read RDS
    (UNREADABLE). {("input", n) | "engine" | ("unreadable", case): result}."""
    lab_rds_create("itsupport-dev-pg", engine="postgres", version="16.4", protected=False)
    lab_rds_create("itsupport-dev-gone", protected=False)
    runs = {("input", n): ("-e", json.dumps(p.values[0])) for n, p in enumerate(BAD_INPUTS)}
    runs["engine"] = ("-e", "rds_migration_identifier=itsupport-dev-pg")
    runs.update({("unreadable", case): args for case, (args, _) in UNREADABLE.items()})
    try:
        with concurrent.futures.ThreadPoolExecutor(len(runs)) as pool:
            started = {key: pool.submit(migrate, *args) for key, args in runs.items()}
        return {key: run.result() for key, run in started.items()}
    finally:
        for extra in ("itsupport-dev-pg", "itsupport-dev-gone"):
            moto_client("rds").delete_db_instance(DBInstanceIdentifier=extra, SkipFinalSnapshot=True)


@pytest.mark.parametrize("n", range(len(BAD_INPUTS)), ids=[p.id for p in BAD_INPUTS])
def test_bad_input_fails_before_any_change(host, failed_runs, n):
    """Refused, naming the variable, with nothing changed anywhere."""
    _, message = BAD_INPUTS[n].values
    res = failed_runs[("input", n)]
    assert res.returncode != 0, res.output
    assert message in flat(res), res.output
    assert all(r["changed"] == 0 for r in res.recap.values()), res.recap
    assert_nothing_changed(host)


def test_an_engine_mysql_cannot_import_is_refused(host, failed_runs):
    res = failed_runs["engine"]
    assert res.returncode != 0, res.output
    assert "RDS instance itsupport-dev-pg runs postgres 16.4: only mysql move" in flat(res), res.output
    assert_nothing_changed(host)


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_a_run_that_cannot_read_rds_fails_before_any_change(host, failed_runs, case):
    res = failed_runs[("unreadable", case)]
    assert res.returncode != 0, res.output
    assert UNREADABLE[case][1] in flat(res), res.output
    assert "Nothing was changed on the target or in RDS" in flat(res), res.output
    assert_nothing_changed(host)


def test_a_dump_cut_short_by_a_full_disk_fails_before_any_change(host):
    host.run_expect([0], "mkdir -p /var/backups/itsupport-migrate && "
                         "mount -t tmpfs -o size=64k tmpfs /var/backups/itsupport-migrate")
    try:
        res = migrate()
    finally:
        host.run("umount /var/backups/itsupport-migrate")
    assert res.returncode != 0, res.output
    assert "mysqldump of helpdesk from itsupport-dev-db failed" in flat(res), res.output
    assert any(why in flat(res) for why in ("No space left on device", "errno 28", "Errcode: 28")), res.output
    assert "Nothing was changed on the target or in RDS" in flat(res), res.output
    assert_nothing_changed(host)


def test_check_mode_changes_nothing(host):
    res = migrate("--check", "--diff")
    assert res.returncode == 0, res.output
    assert all(r["changed"] == 0 for r in res.recap.values()), res.recap
    assert_nothing_changed(host)


def test_a_move_into_empty_databases_needs_no_overwrite(host):
    """The usual first run: the target databases as site.yml made them."""
    res = migrate()
    assert res.returncode == 0, res.output
    assert inventory(lambda s: target_sql(host, s)) == inventory(lab_rds_sql)
    assert kept_objects() == [RECORD_KEY, DUMP_KEY] and lab_rds_instance() is not None
    # Back to empty for the failures that follow.
    lab_migration_reset(host)
    assert target_objects(host) == 0 and kept_objects() == []


def test_a_difference_on_the_target_stops_the_run_and_rds_survives(host):
    """A writer on the target during the run (here an event that adds a
    member as soon as the table exists) makes the sides differ."""
    target_sql(host, "SET GLOBAL event_scheduler = ON; CREATE EVENT council.itsupport_probe ON SCHEDULE EVERY 1 SECOND "
                     "DO INSERT IGNORE INTO helpdesk.members VALUES (999, 'Injected', NULL)")
    try:
        res = migrate()
    finally:
        target_sql(host, "DROP EVENT IF EXISTS council.itsupport_probe; SET GLOBAL event_scheduler = OFF")
    assert res.returncode != 0, res.output
    assert "helpdesk.members rows is 3 on RDS and 4 in the container" in flat(res), res.output
    assert "RDS is untouched" in flat(res)
    instance = lab_rds_instance()
    assert instance and instance["DeletionProtection"]
    assert kept_objects() == [], "a dump that did not verify was kept as the migration's"


def test_a_target_that_is_not_empty_is_refused_without_overwrite(host):
    res = migrate()
    assert res.returncode != 0, res.output
    assert "already has tables, routines or events in helpdesk" in flat(res), res.output
    assert "-e migrate_overwrite=true" in flat(res)
    assert lab_rds_instance() is not None


def test_the_migration_moves_rows_and_objects_and_keeps_rds(host):
    res = migrate("-e", "migrate_overwrite=true", "-v", "--diff")
    assert res.returncode == 0, res.output
    out = flat(res)
    # The run's own comparison, printed as a table.
    assert "helpdesk.tickets rows 3000 3000 ok" in out and "DIFFERENT" not in out, res.output
    # Both sides read by the test itself.
    assert inventory(lambda s: target_sql(host, s)) == inventory(lab_rds_sql)
    # The objects work, as the app user, from the apps' network.
    before = int(app_sql(host, "SELECT COUNT(*) FROM ticket_log").stdout)
    called = app_sql(host, "CALL close_ticket(2); SELECT status FROM tickets WHERE id = 2; "
                           "SELECT note FROM ticket_log ORDER BY id DESC LIMIT 1; SELECT COUNT(*) FROM open_tickets")
    assert called.rc == 0, called.stderr
    status, note, open_count = called.stdout.splitlines()
    assert status == "closed" and note == "open -> closed", called.stdout   # the trigger fired
    assert int(open_count) == 1999 and int(app_sql(host, "SELECT COUNT(*) FROM ticket_log").stdout) == before + 1
    # Owned by the app user, not by RDS's admin (who does not exist here) nor root.
    definers = set(target_sql(host, "SELECT definer FROM information_schema.routines WHERE routine_schema = 'helpdesk' "
                                    "UNION SELECT definer FROM information_schema.triggers WHERE trigger_schema = 'helpdesk' "
                                    "UNION SELECT definer FROM information_schema.views WHERE table_schema = 'helpdesk' "
                                    "UNION SELECT definer FROM information_schema.events WHERE event_schema = 'helpdesk'")
                   .split())
    assert definers == {"helpdesk@172.30.0.0/255.255.255.0"}, definers
    # The app user reads and writes its database, nothing more, no GRANT OPTION.
    assert app_sql(host, "INSERT INTO members VALUES (500, 'Written', NULL); DELETE FROM members WHERE id = 500").rc == 0
    assert app_sql(host, "SELECT COUNT(*) FROM council.council_notes").rc != 0
    grants = app_sql(host, "SHOW GRANTS").stdout
    assert "helpdesk" in grants and "GRANT OPTION" not in grants and "ON *.*" not in grants.replace("USAGE ON *.*", "")
    wait_for(lambda: all(host.run("docker inspect --format '{{.State.Health.Status}}' %s", n).stdout.strip()
                         == "healthy" for n in SERVICES), timeout=120, what="the stack healthy")
    # RDS kept until confirmed; the verified dump and the record in the bucket.
    instance = lab_rds_instance()
    assert instance and instance["DeletionProtection"]
    assert kept_objects() == [RECORD_KEY, DUMP_KEY]
    dump = gzip.decompress(moto_client("s3").get_object(Bucket=BUCKET, Key=DUMP_KEY)["Body"].read()).decode()
    assert dump.rstrip().splitlines()[-1].startswith("-- Dump completed") and "CREATE TABLE `tickets`" in dump
    assert "-e migrate_delete_rds=itsupport-dev-db" in out
    assert host.run("ls -A /var/backups/itsupport-migrate").stdout.split() == []
    assert not host.file("/root/.itsupport-migrate").exists
    # Neither a password nor the fixture's rows in the -v --diff output.
    for secret in (RDS_ADMIN_PW, HELPDESK_PW, ROOT_PW, "j@example.org", "Ticket 2999"):
        assert secret not in res.output, f"{secret!r} appears in the output"


def test_a_rerun_changes_nothing_and_says_how_to_finish(host):
    res = migrate()
    assert res.returncode == 0, res.output
    assert all(r["changed"] == 0 for r in res.recap.values()), res.recap
    assert "-e migrate_delete_rds=itsupport-dev-db" in flat(res)
    assert lab_rds_instance() is not None


def test_the_confirmed_deletion_takes_a_final_snapshot_then_reruns_are_no_ops(host):
    shown = migrate("--check", "--diff", "-e", f"migrate_delete_rds={RDS_ID}")
    assert shown.returncode == 0, shown.output
    assert shown.recap["localhost"]["changed"] > 0, "check mode does not show the deletion"
    instance = lab_rds_instance()
    assert instance and instance["DeletionProtection"] and manual_snapshots() == [], "check mode changed RDS"
    res = migrate("-e", f"migrate_delete_rds={RDS_ID}")
    assert res.returncode == 0, res.output
    assert lab_rds_instance() is None
    assert manual_snapshots() == [SNAPSHOT]
    again = migrate()
    assert again.returncode == 0, again.output
    assert all(r["changed"] == 0 for r in again.recap.values()), again.recap
    assert f"The migration of {RDS_ID} is complete" in flat(again)


def test_a_later_deletion_checks_rds_again_and_skips_the_snapshot_only_when_asked(host):
    """The instance back (as if the deletion had not been confirmed in that
    run): a later confirmed run reads the source again first."""
    lab_rds_create()
    before = manual_snapshots()
    # Written to RDS after the verification: not in the container, so no deletion.
    lab_rds_sql("INSERT INTO helpdesk.members VALUES (1000, 'Late', NULL)")
    try:
        res = migrate("-e", f"migrate_delete_rds={RDS_ID}", "-e", "migrate_skip_final_snapshot=true")
        assert res.returncode != 0, res.output
        assert "changed since its migration was verified" in flat(res) and "helpdesk.members rows was 3" in flat(res)
        assert lab_rds_instance() is not None
    finally:
        lab_rds_sql("DELETE FROM helpdesk.members WHERE id = 1000")
    res = migrate("-e", f"migrate_delete_rds={RDS_ID}", "-e", "migrate_skip_final_snapshot=true")
    assert res.returncode == 0, res.output
    assert lab_rds_instance() is None
    assert manual_snapshots() == before, "a final snapshot was taken although skipped"
    assert "without a final snapshot" in flat(res)
