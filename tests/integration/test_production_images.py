"""production.yml refuses, before any AWS call, an app image with no
linux/arm64 variant (the tasks are ARM64), naming the app and the image:
the image production runs, the version production_app_settings pins; with
the variant published a run gets past the check. The images are in the
test's own registry (conftest.Moto)."""

import os

import pytest

from labhelpers import aws_writes, moto_recorded_actions, moto_recording



@pytest.fixture(scope="module")
def runs(moto):
    """The version production pins for homepage (production_app_settings'
    image) published for linux/amd64 only: one production.yml run recorded
    by moto. Then, with the stand-ins' images (amd64 and arm64), a --check run."""
    pinned = moto.registry.push("club/homepage", "2.0.1", ["linux/amd64"], single=True)
    settings = {"council": {"path_patterns": ["/council/*"]},
                "homepage": {"path_patterns": ["/*"], "priority": 100, "image": pinned}}
    moto_recording(moto.url, True)
    refused = moto.playbook("playbooks/production.yml", extra_vars={"production_app_settings": settings})
    moto_recording(moto.url, False)
    calls = moto_recorded_actions(moto.url)
    checked = moto.playbook("playbooks/production.yml", "--check")
    return pinned, refused, calls, checked


def test_an_image_without_arm64_is_refused_before_any_aws_call(runs):
    pinned, (rc, out, recap), calls, _ = runs
    flat = " ".join(out.split())
    assert rc != 0, out
    assert f"homepage ({pinned}): has no linux/arm64 variant" in flat, out
    assert "Nothing was changed" in flat
    assert recap["localhost"]["changed"] == 0
    # Not one write reached AWS (the dynamic inventory's reads did).
    assert calls and aws_writes(calls) == [], calls


def test_with_the_arm64_variant_the_run_gets_past_the_check(runs):
    _, _, _, (rc, out, _) = runs
    assert "Check that every app image has a linux/arm64 variant" in out
    assert "has no linux/arm64 variant" not in out, out
    assert rc == 0, out
