"""The tree_digest lookup (the code part of a role's inputs) and the
provisioning lock (aws_run_lock, against moto's in-process SSM)."""

import boto3
import pytest
from moto import mock_aws


@pytest.fixture
def digest(plugin):
    lookup = plugin("lookup", "tree_digest").LookupModule()
    return lambda *terms: lookup.run([str(t) for t in terms])[0]


def test_the_digest_follows_content_and_names_not_location(digest, tmp_path):
    for top in ("a", "b"):
        (tmp_path / top / "tasks").mkdir(parents=True)
        (tmp_path / top / "tasks" / "main.yml").write_text("---\n")
        (tmp_path / top / "__pycache__").mkdir()
        (tmp_path / top / "__pycache__" / "x.pyc").write_bytes(b"\0")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    (tmp_path / "b" / "__pycache__" / "x.pyc").write_bytes(b"\1")
    assert digest(tmp_path / "a") == digest(tmp_path / "b"), "compiled files count"
    (tmp_path / "b" / "tasks" / "main.yml").write_text("--- # changed\n")
    assert digest(tmp_path / "a") != digest(tmp_path / "b")
    (tmp_path / "b" / "tasks" / "main.yml").write_text("---\n")
    (tmp_path / "b" / "tasks" / "main.yml").rename(tmp_path / "b" / "tasks" / "other.yml")
    assert digest(tmp_path / "a") != digest(tmp_path / "b"), "a renamed file is another tree"


def test_a_missing_path_is_an_error(digest, tmp_path):
    from ansible.errors import AnsibleLookupError
    with pytest.raises(AnsibleLookupError, match="does not exist"):
        digest(tmp_path / "nothing")


@pytest.fixture
def aws(monkeypatch):
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "ap-northeast-2"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield boto3.client("ssm", region_name="ap-northeast-2")


@pytest.fixture
def lock(plugin):
    return plugin("modules", "aws_run_lock")


NAME = "/itsupport/dev/provision-lock"


def test_the_lock_is_taken_released_and_refused_to_another(aws, lock, run_module):
    took = run_module(lock, name=NAME, owner="alice@laptop", region="ap-northeast-2")
    assert not took.get("failed") and took["changed"] is False
    assert "alice@laptop" in aws.get_parameter(Name=NAME)["Parameter"]["Value"]
    refused = run_module(lock, name=NAME, owner="bob@pc", region="ap-northeast-2")
    assert refused.get("failed") is True and "alice@laptop" in refused["msg"]
    again = run_module(lock, name=NAME, owner="alice@laptop", region="ap-northeast-2")
    assert not again.get("failed"), "the same owner takes its own lock again"
    run_module(lock, name=NAME, owner="bob@pc", state="released", region="ap-northeast-2")
    assert aws.get_parameter(Name=NAME), "another owner cannot release it"
    run_module(lock, name=NAME, owner="alice@laptop", state="released", region="ap-northeast-2")
    with pytest.raises(aws.exceptions.ParameterNotFound):
        aws.get_parameter(Name=NAME)


def test_check_mode_reads_the_lock_and_writes_nothing(aws, lock, run_module):
    res = run_module(lock, check_mode=True, name=NAME, owner="alice@laptop", region="ap-northeast-2")
    assert not res.get("failed")
    with pytest.raises(aws.exceptions.ParameterNotFound):
        aws.get_parameter(Name=NAME)
