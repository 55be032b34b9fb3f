"""The RDS migration's own code without a database: the dump check and
definer rewrite (plugins/modules/sql_dump_check.py) on dumps shaped like
mysqldump's, and the comparison filters (plugins/filter/migration.py) on
answers shaped like community.mysql.mysql_query's."""


import pytest

from labhelpers import project_module

migration = project_module("plugins/filter/migration.py")
sql_dump_check = project_module("plugins/modules/sql_dump_check.py")

DUMP = b"""-- MySQL dump 10.13  Distrib 8.4.3, for Linux (aarch64)
CREATE DATABASE /*!32312 IF NOT EXISTS*/ `helpdesk` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;
USE `helpdesk`;
DROP TABLE IF EXISTS `tickets`;
CREATE TABLE `tickets` (`id` int NOT NULL, `title` varchar(200) NOT NULL, PRIMARY KEY (`id`));
INSERT INTO `tickets` VALUES (1,'DEFINER=`admin`@`%` in a row stays'),(2,'Zo\xc3\xab \xff binary');
/*!50003 CREATE*/ /*!50017 DEFINER=`admin`@`%`*/ /*!50003 TRIGGER `log` AFTER UPDATE ON `tickets` FOR EACH ROW SET @x = 1 */;;
/*!50106 CREATE*/ /*!50117 DEFINER=`admin`@`%`*/ /*!50106 EVENT `purge` ON SCHEDULE EVERY 1 DAY DO SET @x = 1 */ ;;
CREATE DEFINER=`admin`@`%` PROCEDURE `close_ticket`(IN ticket INT)
UPDATE tickets SET title = 'x' WHERE id = ticket ;;
/*!50013 DEFINER=`admin`@`%` SQL SECURITY DEFINER */
/*!50001 VIEW `open_tickets` AS select 1 */;
-- Dump completed on 2026-11-28 10:00:00
"""
OWNER = "`helpdesk`@`172.30.0.0/255.255.255.0`"


def check(tmp_path, data, databases=("helpdesk",), definers=None):
    path = tmp_path / "dump.sql"
    path.write_bytes(data)
    if definers is None:
        return sql_dump_check.check_dump(str(path), list(databases), ["mysql", "sys"], {}, None)
    out = tmp_path / "import.sql"
    with open(out, "wb") as f:
        facts, problems = sql_dump_check.check_dump(str(path), list(databases), ["mysql", "sys"], definers, f)
    return facts, problems, out.read_bytes()


def test_a_complete_dump_passes_and_names_its_definers(tmp_path):
    facts, problems = check(tmp_path, DUMP)
    assert problems == []
    assert facts["databases"] == ["helpdesk"] and facts["bytes"] == len(DUMP)
    assert facts["definers_found"] == {"helpdesk": ["`admin`@`%`"]}


def test_the_import_copy_gives_every_object_its_owner_and_leaves_rows_alone(tmp_path):
    facts, problems, copy = check(tmp_path, DUMP, definers={"helpdesk": OWNER})
    assert problems == [] and facts["rewritten"] == 4
    assert b"`admin`@`%`*/" not in copy and b"DEFINER=`admin`@`%` SQL" not in copy
    assert copy.count(b"DEFINER=" + OWNER.encode()) == 4
    assert b"(1,'DEFINER=`admin`@`%` in a row stays')" in copy, "a row was rewritten"
    assert b"\xff binary" in copy, "bytes that are not UTF-8 changed"
    assert len(copy) == len(DUMP) + 4 * (len(OWNER) - len("`admin`@`%`"))


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.99])
def test_a_dump_cut_short_is_refused(tmp_path, cut):
    _, problems = check(tmp_path, DUMP[: int(len(DUMP) * cut)])
    assert any("cut short" in p for p in problems), problems


@pytest.mark.parametrize("data, databases, expected", [
    (b"", ["helpdesk"], "it is empty"),
    (DUMP, ["helpdesk", "council"], "lacks the database(s) council"),
    (DUMP.replace(b"-- Dump completed", b"CREATE DATABASE `mysql`;\nUSE `mysql`;\n-- Dump completed"), ["helpdesk"],
     "system schema(s) mysql"),
    (DUMP.replace(b"-- Dump completed", b"USE `other`;\n-- Dump completed"), ["helpdesk"], "not asked for: other"),
])
def test_a_dump_that_is_not_the_one_asked_for_is_refused(tmp_path, data, databases, expected):
    _, problems = check(tmp_path, data, databases)
    assert any(expected in p for p in problems), problems


def test_a_definer_in_a_database_without_owner_is_refused(tmp_path):
    _, problems, _ = check(tmp_path, DUMP, definers={"council": OWNER})
    assert any("without a user to give them: helpdesk" in p for p in problems), problems


TABLES = [{"db": "helpdesk", "name": "tickets"}, {"db": "helpdesk", "name": "we`ird"}]


def answers(rows, checksum):
    return [[{"n": rows}], [{"Table": "helpdesk.tickets", "Checksum": checksum}], [{"n": 0}],
            [{"Table": "helpdesk.we`ird", "Checksum": None}]]


OBJECTS = [{"kind": "triggers", "db": "helpdesk", "n": 1, "names": "log"},
           {"kind": "views", "db": "helpdesk", "n": 1, "names": b"open_tickets"}]


def test_the_queries_quote_names_and_read_back_into_an_inventory():
    queries = migration.migration_table_queries(TABLES)
    assert queries == ["SELECT COUNT(*) AS n FROM `helpdesk`.`tickets`", "CHECKSUM TABLE `helpdesk`.`tickets`",
                       "SELECT COUNT(*) AS n FROM `helpdesk`.`we``ird`", "CHECKSUM TABLE `helpdesk`.`we``ird`"]
    assert "'helpdesk', 'council'" in migration.migration_tables_query(["helpdesk", "council"])
    inv = migration.migration_inventory(["helpdesk"], TABLES, answers(3000, 123), OBJECTS)
    assert inv["tables"] == {"helpdesk.tickets": {"rows": 3000, "checksum": 123},
                             "helpdesk.we`ird": {"rows": 0, "checksum": None}}
    assert inv["objects"]["helpdesk"]["views"] == {"count": 1, "names": "open_tickets"}
    assert inv["objects"]["helpdesk"]["routines"] == {"count": 0, "names": ""}


def test_the_comparison_finds_each_kind_of_difference():
    source = migration.migration_inventory(["helpdesk"], TABLES, answers(3000, 123), OBJECTS)
    same = migration.migration_compare(source, source)
    assert same and all(r["same"] for r in same)
    target = migration.migration_inventory(["helpdesk"], TABLES[:1], answers(3001, 124)[:2], OBJECTS[:1])
    different = {r["what"] for r in migration.migration_compare(source, target) if not r["same"]}
    assert different == {"helpdesk.tickets rows", "helpdesk.tickets checksum", "helpdesk.we`ird rows",
                         "helpdesk.we`ird checksum", "helpdesk views"}
    report = migration.migration_report(migration.migration_compare(source, target))
    assert report[0].split() == ["what", "source", "(RDS)", "target", "(container)"]
    assert any(line.startswith("helpdesk.tickets rows") and "3000" in line and "3001" in line
               and line.endswith("DIFFERENT") for line in report), report


def test_the_module_documents_itself():
    """ansible-doc reads DOCUMENTATION, EXAMPLES and RETURN as YAML."""
    import yaml
    for name in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
        assert yaml.safe_load(getattr(sql_dump_check, name)), name
    options = yaml.safe_load(sql_dump_check.DOCUMENTATION)["options"]
    assert set(options) == {"path", "databases", "system_schemas", "definers", "dest"}
