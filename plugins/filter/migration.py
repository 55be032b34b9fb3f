# The project's own filters for playbooks/migrate_dev_rds.yml (role
# rds_migration): the SQL that reads one side of the migration, that side's
# inventory from the answers, and the comparison of the two sides.
"""Filters: migration_table_queries, migration_object_query, migration_inventory,
migration_compare, migration_report."""

OBJECT_KINDS = (
    ("routines", "information_schema.routines", "routine_schema", "routine_name"),
    ("triggers", "information_schema.triggers", "trigger_schema", "trigger_name"),
    ("views", "information_schema.views", "table_schema", "table_name"),
    ("events", "information_schema.events", "event_schema", "event_name"),
)


def _quote(name):
    return "`" + str(name).replace("`", "``") + "`"


def _in_list(databases):
    return ", ".join("'" + str(d).replace("\\", "\\\\").replace("'", "''") + "'" for d in databases)


def migration_tables_query(databases):
    """The base tables of the databases, as rows (db, name)."""
    return ("SELECT table_schema AS db, table_name AS name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_schema IN (%s) ORDER BY table_schema, table_name"
            % _in_list(databases))


def migration_table_queries(tables):
    """Two statements per table (rows (db, name)): its exact row count and its CHECKSUM TABLE."""
    queries = []
    for t in tables:
        name = _quote(t["db"]) + "." + _quote(t["name"])
        queries.append("SELECT COUNT(*) AS n FROM %s" % name)
        queries.append("CHECKSUM TABLE %s" % name)
    return queries


def migration_object_query(databases):
    """Per database and kind (routines, triggers, views, events): how many, and their names."""
    parts = ["SELECT '%s' AS kind, %s AS db, COUNT(*) AS n, GROUP_CONCAT(%s ORDER BY %s) AS names "
             "FROM %s WHERE %s IN (%s) GROUP BY %s" % (kind, schema, name, name, table, schema,
                                                       _in_list(databases), schema)
             for kind, table, schema, name in OBJECT_KINDS]
    return " UNION ALL ".join(parts)


def migration_inventory(databases, tables, table_results, object_rows):
    """One side's inventory from mysql_query's answers: {"tables": {db.table:
    {"rows", "checksum"}}, "objects": {db: {kind: {"count", "names"}}}}."""
    inventory = {"tables": {}, "objects": {}}
    for i, t in enumerate(tables):
        count = table_results[2 * i][0]
        checksum = table_results[2 * i + 1][0]
        inventory["tables"]["%s.%s" % (t["db"], t["name"])] = {
            "rows": int(list(count.values())[0]),
            "checksum": None if checksum.get("Checksum") is None else int(checksum["Checksum"]),
        }
    for db in databases:
        inventory["objects"][db] = {kind: {"count": 0, "names": ""} for kind, _, _, _ in OBJECT_KINDS}
    for row in object_rows:
        names = row.get("names") or ""
        if isinstance(names, bytes):
            names = names.decode("utf-8", "replace")
        inventory["objects"].setdefault(row["db"], {})[row["kind"]] = {"count": int(row["n"]), "names": names}
    return inventory


def migration_compare(source, target):
    """Rows of the comparison: what, source, target, same. Tables by row
    count and checksum; per database the routines, triggers, views, events."""
    rows = []
    for key in sorted(set(source["tables"]) | set(target["tables"])):
        s, t = source["tables"].get(key), target["tables"].get(key)
        for field in ("rows", "checksum"):
            sv = "missing" if s is None else s[field]
            tv = "missing" if t is None else t[field]
            rows.append({"what": "%s %s" % (key, field), "source": sv, "target": tv, "same": sv == tv})
    for db in sorted(set(source["objects"]) | set(target["objects"])):
        for kind, _, _, _ in OBJECT_KINDS:
            s = source["objects"].get(db, {}).get(kind, {"count": 0, "names": ""})
            t = target["objects"].get(db, {}).get(kind, {"count": 0, "names": ""})
            rows.append({"what": "%s %s" % (db, kind), "source": "%d %s" % (s["count"], s["names"]),
                         "target": "%d %s" % (t["count"], t["names"]),
                         "same": s["count"] == t["count"] and s["names"] == t["names"]})
    return rows


def migration_report(rows):
    """The comparison as an aligned text table, one string per line."""
    header = ("what", "source (RDS)", "target (container)", "")
    lines = [header] + [(r["what"], str(r["source"]).strip(), str(r["target"]).strip(),
                         "ok" if r["same"] else "DIFFERENT") for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(3)]
    return ["%-*s  %-*s  %-*s  %s" % (widths[0], a, widths[1], b, widths[2], c, d) for a, b, c, d in lines]


class FilterModule:
    def filters(self):
        return {
            "migration_tables_query": migration_tables_query,
            "migration_table_queries": migration_table_queries,
            "migration_object_query": migration_object_query,
            "migration_inventory": migration_inventory,
            "migration_compare": migration_compare,
            "migration_report": migration_report,
        }
