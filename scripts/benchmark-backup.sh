#!/usr/bin/env bash
# Measure (never assert) the database backups on the lab's dev host, for
# docs/benchmarks.md: backup time and object size for the fixture data and
# for ~100 MB of generated rows, the restore time of the same, and the Spot
# notice path end to end (notice -> new backup in S3 -> stack stopped).
# Needs the lab up (make lab). Prints Markdown to stdout. The generated rows
# are dropped again and a fresh backup taken at the end.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export LAB_MOTO_PORT=${LAB_MOTO_PORT:-5005}
# The controller's AWS modules reach the lab's moto through the SDK's own setting.
export AWS_ENDPOINT_URL=http://127.0.0.1:$LAB_MOTO_PORT
py=$root/.venv/bin/python
dev=itsupport-dev-devhost
stack=/opt/itsupport/stack
# The lab's throw-away root password (inventories/lab/group_vars/devhost).
lab_root_pw=lab-only-root-pw

on_dev() { docker exec "$dev" "$@"; }
sql() { on_dev docker exec -e MYSQL_PWD="$lab_root_pw" itsupport-db-1 mysql -uroot -N -B homepage -e "$1"; }
now() { date +%s.%N; }
since() { "$py" -c 'import sys, time; print(f"{time.time() - float(sys.argv[1]):.1f}")' "$1"; }
newest_object() { # key and size of the newest dump in the lab's bucket
  "$py" - "$LAB_MOTO_PORT" <<'PY'
import sys, boto3
s3 = boto3.client("s3", region_name="ap-northeast-2", endpoint_url=f"http://127.0.0.1:{sys.argv[1]}",
                  aws_access_key_id="testing", aws_secret_access_key="testing")
objs = [o for o in s3.list_objects_v2(Bucket="itsupport-dev-db-backups", Prefix="mysql/").get("Contents", [])
        if o["Key"].endswith(".sql.gz")]
newest = max(objs, key=lambda o: o["Key"]) if objs else {"Key": "-", "Size": 0}
print(newest["Key"], newest["Size"])
PY
}
data_mib() {
  sql "SELECT ROUND(SUM(data_length + index_length) / 1048576, 1) FROM information_schema.tables
       WHERE table_schema IN ('council', 'homepage')"
}
backup_row() { # backup_row LABEL
  local t key size
  t=$(now)
  on_dev systemctl start itsupport-db-backup.service
  local secs
  secs=$(since "$t")
  read -r key size < <(newest_object)
  printf '| backup, %s (%s MiB of tables) | %s s | %s bytes (%s) |\n' "$1" "$(data_mib)" "$secs" "$size" "$key"
  last_key=$key
}
restore_row() { # restore_row LABEL: the apps stopped, the last backup loaded
  local t secs
  on_dev docker compose --project-directory "$stack" stop council homepage >/dev/null 2>&1
  t=$(now)
  on_dev /usr/local/sbin/itsupport-db-backup restore "$last_key" >/dev/null
  secs=$(since "$t")
  on_dev docker compose --project-directory "$stack" start >/dev/null 2>&1
  printf '| restore, %s | %s s | |\n' "$1" "$secs"
}

echo "| measure | time | size |"
echo "|---|---|---|"
backup_row "fixture data"
restore_row "fixture data"

# About 100 MB of rows (random hex, so gzip cannot shrink it to nothing).
sql "DROP TABLE IF EXISTS bench_rows; CREATE TABLE bench_rows (id INT PRIMARY KEY, body VARCHAR(512));
     SET SESSION max_recursive_iterations = 300000;
     INSERT INTO bench_rows WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 200000)
       SELECT n, CONCAT(MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND()),
                        MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND()), MD5(RAND()),
                        MD5(RAND()), MD5(RAND()), MD5(RAND())) FROM s" >/dev/null
backup_row "fixture + generated rows"
restore_row "fixture + generated rows"
sql "DROP TABLE IF EXISTS bench_rows"
on_dev systemctl start itsupport-db-backup.service

# The notice path: the IMDS stand-in announces a stop.
read -r before _ < <(newest_object)
t=$(now)
"$py" -c 'import urllib.request as u; u.urlopen(u.Request("http://10.20.2.254/lab/spot-notice", method="POST"), timeout=5)'
while :; do read -r key _ < <(newest_object); [ "$key" != "$before" ] && break; sleep 0.5; done
uploaded=$(since "$t")
while [ -n "$(on_dev docker ps -q --filter label=com.docker.compose.project=itsupport)" ]; do sleep 0.5; done
stopped=$(since "$t")
"$py" -c 'import urllib.request as u; u.urlopen(u.Request("http://10.20.2.254/lab/spot-notice", method="DELETE"), timeout=5)'
on_dev systemctl restart itsupport-spot-notice.service
on_dev docker compose --project-directory "$stack" start >/dev/null 2>&1
printf '| Spot notice -> new backup in S3 | %s s | |\n' "$uploaded"
printf '| Spot notice -> stack stopped | %s s | |\n' "$stopped"
