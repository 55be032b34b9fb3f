"""Backups that cannot fail silently (role db_backup's script): the age
check's limit is twice the schedule's interval as systemd reads it, a dump is
never written over an existing one, and every database on the server is
dumped. The lab shows a failure reaching the alerts topic
(molecule/default/tests/test_backup.py)."""

import datetime
import importlib.machinery
import importlib.util
import pathlib
import shutil
import subprocess

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

ROOT = pathlib.Path(__file__).resolve().parents[2]
UTC = datetime.timezone.utc


@pytest.fixture(scope="module")
def script():
    path = ROOT / "roles/host/db_backup/files/itsupport-db-backup"
    loader = importlib.machinery.SourceFileLoader("itsupport_db_backup_alerts", str(path))
    module = importlib.util.module_from_spec(importlib.util.spec_from_loader(loader.name, loader))
    loader.exec_module(module)
    return module


needs_systemd_analyze = pytest.mark.skipif(shutil.which("systemd-analyze") is None,
                                           reason="systemd-analyze is not installed here")


@needs_systemd_analyze
@pytest.mark.parametrize("schedule, interval", [
    ("*:0/15", datetime.timedelta(minutes=15)),
    ("hourly", datetime.timedelta(hours=1)),
    ("*-*-* 02:00:00", datetime.timedelta(days=1)),
])
def test_the_interval_is_read_from_the_schedule(script, schedule, interval):
    assert script.calendar_interval(schedule) == interval


def test_a_bad_schedule_is_an_error_not_a_silent_pass(script, monkeypatch):
    def fails(*args, **kwargs):
        raise subprocess.CalledProcessError(1, args[0])
    monkeypatch.setattr(script.subprocess, "run", fails)
    with pytest.raises(subprocess.CalledProcessError):
        script.calendar_interval("not a schedule")


@pytest.mark.parametrize("minutes, fails", [(29, False), (31, True)])
def test_the_age_check_fails_past_twice_the_interval(script, monkeypatch, minutes, fails):
    now = datetime.datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
    written = now - datetime.timedelta(minutes=minutes)
    key = f"mysql/{written:%Y%m%dT%H%M%SZ}.sql.gz"
    monkeypatch.setattr(script, "calendar_interval", lambda schedule: datetime.timedelta(minutes=15))
    monkeypatch.setattr(script, "s3_client", lambda cfg: None)
    monkeypatch.setattr(script, "newest_key", lambda cfg, s3: key)
    cfg = {"schedule": "*:0/15", "bucket": "b", "prefix": "mysql"}
    if fails:
        with pytest.raises(RuntimeError, match="more than twice the schedule's interval"):
            script.check_age(cfg, now=now)
    else:
        script.check_age(cfg, now=now)


def test_no_backup_at_all_fails_the_age_check(script, monkeypatch):
    monkeypatch.setattr(script, "calendar_interval", lambda schedule: datetime.timedelta(minutes=15))
    monkeypatch.setattr(script, "s3_client", lambda cfg: None)
    monkeypatch.setattr(script, "newest_key", lambda cfg, s3: None)
    with pytest.raises(RuntimeError, match="no backup in s3://b/mysql/"):
        script.check_age({"schedule": "*:0/15", "bucket": "b", "prefix": "mysql"})


@mock_aws
def test_a_dump_is_written_once_and_never_replaced(script, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    # moto in this process, not the lab's server the Makefile points at.
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    s3 = boto3.client("s3", region_name="ap-northeast-2")
    s3.create_bucket(Bucket="itsupport-unit-backups", CreateBucketConfiguration={"LocationConstraint": "ap-northeast-2"})
    first, second = tmp_path / "first", tmp_path / "second"
    first.write_bytes(b"the first dump")
    second.write_bytes(b"a replacement")
    script.put_new(s3, "itsupport-unit-backups", "mysql/x.sql.gz", str(first), "application/gzip")
    with pytest.raises(ClientError) as refused:
        script.put_new(s3, "itsupport-unit-backups", "mysql/x.sql.gz", str(second), "application/gzip")
    assert refused.value.response["Error"]["Code"] == "PreconditionFailed"
    assert s3.get_object(Bucket="itsupport-unit-backups", Key="mysql/x.sql.gz")["Body"].read() == b"the first dump"
    # The header is only on the dumps' PUTs: `latest` still moves.
    s3.put_object(Bucket="itsupport-unit-backups", Key="mysql/latest", Body=b"one")
    s3.put_object(Bucket="itsupport-unit-backups", Key="mysql/latest", Body=b"two")


def test_every_database_on_the_server_is_dumped(script, monkeypatch, tmp_path):
    """A database no app user owns (so not in db_backup_databases) is in
    the dump's command line too; the server's own schemas are not."""
    commands = []

    class Listing:
        returncode = 0
        stdout = b"council\nhomepage\ninformation_schema\nmysql\nperformance_schema\nsys\nscratch\n"
        stderr = b""

    def run(cmd, **kwargs):
        commands.append(cmd)
        return Listing()

    class Dump(RuntimeError):
        pass

    def popen(cmd, **kwargs):
        commands.append(cmd)
        raise Dump

    config_dir = tmp_path / "etc"
    config_dir.mkdir()
    (config_dir / "client.cnf").write_text("[client]\n")
    monkeypatch.setattr(script, "CONFIG_DIR", str(config_dir))
    monkeypatch.setattr(script.subprocess, "run", run)
    monkeypatch.setattr(script.subprocess, "Popen", popen)
    with pytest.raises(Dump):
        script.backup({"local_dir": str(tmp_path / "local"), "container": "db", "databases": ["council", "homepage"]})
    dump = commands[-1]
    assert dump[dump.index("--databases") + 1:] == ["council", "homepage", "scratch"]
