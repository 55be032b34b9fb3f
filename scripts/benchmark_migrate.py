"""Measure (never assert) playbooks/migrate_dev_rds.yml in the lab, for
docs/benchmarks.md: dump, dump check, import and verification time, for the
fixture (database helpdesk, 3,000 tickets) and for a generated database of
about 200 MB (bench200: one InnoDB table, 1.6 million rows), side by side.
Times are the task times of ansible.posix.profile_tasks in one run each.

Needs the lab up (make lab). Leaves the lab as lab/up.yml does (RDS there,
the target databases empty, nothing kept in the bucket); bench200 is
dropped on both sides. Prints Markdown to stdout. Run: make benchmark-migrate
"""

import json
import os
import re
import time

from labhelpers import LAB_RDS_ID, lab_ansible, lab_host, lab_migration_reset, lab_rds_sql, moto_client

DEVHOST = "itsupport-dev-devhost"
STAGES = {
    "dump (mysqldump on the dev host)": ["Dump the databases from RDS"],
    "dump check + import copy (sql_dump_check, 2 passes)": ["Check the dump", "Write the import copy with the owners as definers"],
    "import (mysql client)": ["Import the dump into the container database"],
    "verification (counts, CHECKSUM TABLE, objects; both sides)": [
        "List the tables of the", "Count and checksum the tables of the", "Count the routines, triggers"],
    "dump kept (gzip, upload)": ["Compress the verified dump", "Put the dump in the bucket"],
}
TASK_TIME = re.compile(r"^rds_migration : (?P<task>.+?) -+ (?P<secs>[\d.]+)s$", re.M)
USERS = [{"name": "council", "password": "lab-only-council-pw", "databases": ["council"]},
         {"name": "homepage", "password": "lab-only-homepage-pw", "databases": ["homepage"]},
         {"name": "helpdesk", "password": "lab-only-helpdesk-pw", "databases": ["helpdesk", "bench200"]}]


def run(*extra):
    start = time.monotonic()
    res = lab_ansible("ansible-playbook", "playbooks/migrate_dev_rds.yml", *extra, timeout=3600)
    took = time.monotonic() - start
    assert res.returncode == 0, res.output
    times = {}
    for m in TASK_TIME.finditer(res.output):
        times[m["task"]] = times.get(m["task"], 0.0) + float(m["secs"])
    stages = {name: sum(t for task, t in times.items() if any(task.startswith(p) for p in prefixes))
              for name, prefixes in STAGES.items()}
    record = moto_client("s3").get_object(Bucket="itsupport-dev-db-backups", Key=f"migrations/{LAB_RDS_ID}.json")
    return took, stages, int(json.loads(record["Body"].read())["dump_bytes"])


def size_mb(database):
    """InnoDB data + index of a source database, statistics refreshed first."""
    tables = lab_rds_sql(f"SELECT table_name FROM information_schema.tables WHERE table_schema = '{database}'").split()
    lab_rds_sql("; ".join(f"ANALYZE TABLE {database}.{t}" for t in tables))
    return lab_rds_sql("SELECT ROUND(SUM(data_length + index_length) / 1048576, 1) FROM information_schema.tables "
                       f"WHERE table_schema = '{database}'").strip()


def main():
    os.environ["ANSIBLE_CALLBACKS_ENABLED"] = "typed_extra_vars,ansible.posix.profile_tasks"
    os.environ["PROFILE_TASKS_TASK_OUTPUT_LIMIT"] = "all"
    host = lab_host(DEVHOST)
    lab_migration_reset(host)
    fixture = run()
    size_fixture = size_mb("helpdesk")

    lab_migration_reset(host, databases=("helpdesk", "bench200"))
    lab_rds_sql("DROP DATABASE IF EXISTS bench200; CREATE DATABASE bench200; "
                "CREATE TABLE bench200.readings (id INT PRIMARY KEY, sensor VARCHAR(40) NOT NULL, "
                "taken_at DATETIME NOT NULL, value DOUBLE NOT NULL, note VARCHAR(64) NOT NULL) ENGINE=InnoDB; "
                "INSERT INTO bench200.readings SELECT seq, CONCAT('sensor-', seq MOD 97), "
                "TIMESTAMP('2025-01-01') + INTERVAL seq SECOND, seq * 0.37, SHA2(seq, 256) FROM bench200.seq_1_to_1600000")
    size_bench = size_mb("bench200")
    try:
        bench = run("-e", json.dumps({"rds_migration_databases": ["bench200"], "app_stack_db_users": USERS}))
    finally:
        lab_rds_sql("DROP DATABASE IF EXISTS bench200")
        host.run("docker exec -e MYSQL_PWD=lab-only-root-pw itsupport-db-1 mysql -uroot -e %s",
                 "DROP DATABASE IF EXISTS bench200; REVOKE ALL ON bench200.* FROM 'helpdesk'@'172.30.0.0/255.255.255.0'")
        lab_migration_reset(host)

    print(f"| stage | fixture (helpdesk, {size_fixture} MB in InnoDB) | generated (bench200, {size_bench} MB in InnoDB) |")
    print("|---|---|---|")
    for name in STAGES:
        print(f"| {name} | {fixture[1][name]:.1f} s | {bench[1][name]:.1f} s |")
    print(f"| the dump's size | {fixture[2] / 1e6:.2f} MB | {bench[2] / 1e6:.0f} MB |")
    print(f"| whole playbook (wall clock) | {fixture[0]:.0f} s | {bench[0]:.0f} s |")


if __name__ == "__main__":
    main()
