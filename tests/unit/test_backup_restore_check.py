"""The restore's check (role db_backup's script, `verify` and the start of
`restore`): a backup that is incomplete, or that lacks a database the
restore would drop, is refused before anything is dropped."""

import gzip
import importlib.machinery
import importlib.util
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CFG = {"databases": ["council", "homepage"]}
HEADER = b"-- MySQL dump 10.13  Distrib 8.4.3, for Linux (aarch64)\n"
TRAILER = b"-- Dump completed on 2026-12-04 10:00:00\n"


@pytest.fixture(scope="module")
def script():
    path = ROOT / "roles/host/db_backup/files/itsupport-db-backup"
    loader = importlib.machinery.SourceFileLoader("itsupport_db_backup_restore", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


def dump(tmp_path, databases, complete=True):
    body = b"".join(b"CREATE DATABASE /*!32312 IF NOT EXISTS*/ `%s` /*!40100 DEFAULT CHARACTER SET utf8mb4 */;\n"
                    b"USE `%s`;\n" % (name.encode(), name.encode()) for name in databases)
    path = tmp_path / "backup.sql.gz"
    with gzip.open(path, "wb") as f:
        f.write(HEADER + body + (TRAILER if complete else b""))
    return str(path)


def test_a_backup_with_every_configured_database_passes(script, tmp_path):
    path = dump(tmp_path, ["council", "homepage", "extra"])
    assert script.dump_databases(path) == {"council", "homepage", "extra"}
    script.check_restorable(CFG, path, "mysql/x.sql.gz")


def test_a_backup_that_lacks_a_database_the_restore_drops_is_refused(script, tmp_path):
    with pytest.raises(RuntimeError, match="holds no homepage .*nothing was changed"):
        script.check_restorable(CFG, dump(tmp_path, ["council"]), "mysql/x.sql.gz")


def test_an_incomplete_backup_is_refused(script, tmp_path):
    with pytest.raises(RuntimeError, match="incomplete"):
        script.check_restorable(CFG, dump(tmp_path, ["council", "homepage"], complete=False), "mysql/x.sql.gz")
