#!/bin/bash
# The official mysql image's contract, as far as the app_stack role uses it:
# - MYSQL_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD_FILE, MYSQL_ROOT_HOST (default %)
# - MYSQL_DATABASE, MYSQL_USER, MYSQL_PASSWORD (or _FILE)
# - /docker-entrypoint-initdb.d/*.sql, *.sql.gz, *.sh run ONLY when the data
#   directory is empty, with a server that does not listen on TCP yet
# - data in /var/lib/mysql, port 3306, extra server options as arguments
set -euo pipefail

file_env() { # file_env VAR: VAR from VAR or VAR_FILE
  local var=$1 file_var="${1}_FILE"
  if [ -n "${!file_var:-}" ]; then export "$var"="$(cat "${!file_var}")"; fi
}

# Options alone mean "mysqld with these options", as in the official image.
if [ "${1:0:1}" = "-" ]; then set -- mysqld "$@"; fi
if [ "${1:-mysqld}" != mysqld ]; then exec "$@"; fi
shift || true

file_env MYSQL_ROOT_PASSWORD
file_env MYSQL_PASSWORD
datadir=/var/lib/mysql
chown -R mysql:mysql "$datadir" /run/mysqld

if [ ! -d "$datadir/mysql" ]; then
  : "${MYSQL_ROOT_PASSWORD:?MYSQL_ROOT_PASSWORD or MYSQL_ROOT_PASSWORD_FILE is required}"
  echo "[entrypoint] initialising an empty data directory"
  mariadb-install-db --user=mysql --datadir="$datadir" --auth-root-authentication-method=normal >/dev/null
  mariadbd --user=mysql --datadir="$datadir" --skip-networking --socket=/run/mysqld/init.sock &
  pid=$!
  for _ in $(seq 1 60); do mariadb-admin --socket=/run/mysqld/init.sock ping >/dev/null 2>&1 && break; sleep 1; done
  sql() { mariadb --protocol=socket --socket=/run/mysqld/init.sock -uroot "$@"; }
  root_host=${MYSQL_ROOT_HOST:-%}
  sql <<SQL
DELETE FROM mysql.user WHERE user = '' OR (user = 'root' AND host NOT IN ('localhost'));
ALTER USER 'root'@'localhost' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}';
$( [ "$root_host" != localhost ] && echo "CREATE USER 'root'@'${root_host}' IDENTIFIED BY '${MYSQL_ROOT_PASSWORD}'; GRANT ALL ON *.* TO 'root'@'${root_host}' WITH GRANT OPTION;" )
DROP DATABASE IF EXISTS test;
FLUSH PRIVILEGES;
SQL
  sql() { mariadb --protocol=socket --socket=/run/mysqld/init.sock -uroot -p"${MYSQL_ROOT_PASSWORD}" "$@"; }
  if [ -n "${MYSQL_DATABASE:-}" ]; then sql -e "CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\`"; fi
  if [ -n "${MYSQL_USER:-}" ] && [ -n "${MYSQL_PASSWORD:-}" ]; then
    sql -e "CREATE USER '${MYSQL_USER}'@'%' IDENTIFIED BY '${MYSQL_PASSWORD}'"
    if [ -n "${MYSQL_DATABASE:-}" ]; then sql -e "GRANT ALL ON \`${MYSQL_DATABASE}\`.* TO '${MYSQL_USER}'@'%'"; fi
  fi
  for f in /docker-entrypoint-initdb.d/*; do
    case "$f" in
      *.sql) echo "[entrypoint] running $f"; sql <"$f" ;;
      *.sql.gz) echo "[entrypoint] running $f"; gunzip -c "$f" | sql ;;
      *.sh) echo "[entrypoint] sourcing $f"; . "$f" ;;
      *) ;;
    esac
  done
  mariadb-admin --socket=/run/mysqld/init.sock -uroot -p"${MYSQL_ROOT_PASSWORD}" shutdown
  wait "$pid" || true
  echo "[entrypoint] initialisation done"
fi

exec mariadbd --user=mysql --datadir="$datadir" --bind-address=0.0.0.0 --port=3306 "$@"
