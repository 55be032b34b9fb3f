"""production.yml refuses, before any AWS call, an app image with no
linux/arm64 variant (the tasks are ARM64), naming the app and the image;
with the variant published the same run gets past the check. The images
are the stand-ins' names in the test's own registry (conftest.Moto)."""

import os

import pytest

from labhelpers import aws_writes, moto_recorded_actions, moto_recording



@pytest.fixture(scope="module")
def runs(moto):
    """The homepage image pushed for linux/amd64 only, one production.yml
    run recorded by moto; then the image multi-arch again and a --check run."""
    repo, tag = os.environ["LAB_IMAGE_DJANGO_STANDIN"].rsplit(":", 1)
    moto.registry.push(repo, tag, ["linux/amd64"], single=True)
    moto_recording(moto.url, True)
    refused = moto.playbook("playbooks/production.yml")
    moto_recording(moto.url, False)
    calls = moto_recorded_actions(moto.url)
    moto.registry.push(repo, tag, ["linux/amd64", "linux/arm64/v8"])
    checked = moto.playbook("playbooks/production.yml", "--check")
    return refused, calls, checked


def test_an_image_without_arm64_is_refused_before_any_aws_call(runs):
    (rc, out, recap), calls, _ = runs
    flat = " ".join(out.split())
    assert rc != 0, out
    assert f"homepage ({os.environ['LAB_IMAGE_DJANGO_STANDIN']}): has no linux/arm64 variant" in flat, out
    assert "Nothing was changed" in flat
    assert recap["localhost"]["changed"] == 0
    # Not one write reached AWS (the dynamic inventory's reads did).
    assert calls and aws_writes(calls) == [], calls


def test_with_the_arm64_variant_the_run_gets_past_the_check(runs):
    _, _, (rc, out, _) = runs
    assert "Check that every app image has a linux/arm64 variant" in out
    assert "has no linux/arm64 variant" not in out, out
    assert rc == 0, out
