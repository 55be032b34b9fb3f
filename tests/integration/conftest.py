"""Shared fixtures of the integration suites: the project's playbooks and
roles run on the controller against a moto server of their own (no
containers), and the one refusal-batch fixture of the role suites."""

import os
import pathlib
import shutil
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def project_root():
    return ROOT


class Moto:
    """A moto server of the test session's own, on a free loopback port,
    seeded like the lab (Debian AMIs, key pair, the club's existing VPC),
    and a registry of its own holding the stand-in apps' images."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        # The lab's EC2 vCPU quotas (lab/moto_server.py) come from this file
        # when a test writes it; moto's recorder (started by a test) writes
        # its requests to the other.
        self.quotas_file = ROOT / f".lab/moto-test-{self.port}-quotas.json"
        self.recording = ROOT / f".lab/moto-test-{self.port}-recording.jsonl"
        env = dict(os.environ, MOTO_AMIS_PATH=str(ROOT / "lab/moto/amis.json"), LAB_EC2_QUOTAS=str(self.quotas_file),
                   MOTO_RECORDER_FILEPATH=str(self.recording))
        self.log = open(ROOT / f".lab/moto-test-{self.port}.log", "w")
        self.proc = subprocess.Popen(
            ["python", str(ROOT / "lab/moto_server.py"), "-H", "127.0.0.1", "-p", str(self.port)],
            env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        subprocess.run(["python", str(ROOT / "lab/moto_seed.py"), self.url], check=True,
                       capture_output=True)
        # The lab's registry of its own (lab/registry.py's stand-in for the
        # club's), for production.yml's and the doctor's image checks.
        from labregistry import LabRegistry, seed_lab_images
        self.registry = LabRegistry(pathlib.Path(tempfile.mkdtemp(prefix="registry-", dir=ROOT / ".lab")))
        self.registry.__enter__()
        seed_lab_images(self.registry, ROOT / ".lab/images.env")

    def client(self, service="ec2"):
        import boto3
        return boto3.client(service, region_name="ap-northeast-2", endpoint_url=self.url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def playbook(self, playbook, *args, extra_vars=None):
        """Run a playbook with the lab inventory pointed at this server."""
        from labhelpers import run_playbook
        return run_playbook(str(ROOT / playbook), *args, inventory=str(ROOT / "inventories/lab"),
                            extra_vars=extra_vars, env=self.env)

    @property
    def env(self):
        # The lab inventory's aws_ec2 plugin reads the port; the AWS modules
        # read the SDK's own AWS_ENDPOINT_URL.
        return {"LAB_MOTO_PORT": str(self.port), "AWS_ENDPOINT_URL": self.url,
                "LAB_REGISTRY_PORT": str(self.registry.port)}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()
        for f in (self.quotas_file, self.recording):
            f.unlink(missing_ok=True)
        self.registry.__exit__(None, None, None)
        shutil.rmtree(self.registry.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def moto():
    (ROOT / ".lab").mkdir(exist_ok=True)
    server = Moto()
    yield server
    server.stop()


# The role suites' bad inputs (tests/bad_inputs.yml), run the same way for
# each role: a test module sets ROLE, CASES (labhelpers.bad_inputs), BASE (a
# valid configuration, run as the control) and, if it needs them,
# REFUSAL_OPTIONS (refusal_batch's keywords: check mode, an environment).

def case_name(n):
    return f"case_{n:02d}"


def project_paths(extra_vars):
    """Catalogue paths under tests/ are relative to the project root."""
    return {k: str(ROOT / v) if isinstance(v, str) and v.startswith("tests/") else v for k, v in extra_vars.items()}


@pytest.fixture(scope="module")
def refusals(request, tmp_path_factory):
    """Every case of the module's CASES and the control in ONE run of its
    ROLE on the controller (its ENTRY_POINTS in turn, default main), a host
    per case (labhelpers.refusal_batch):
    {n (the case's index in CASES) or "control": [(task, result), ...]}.
    A module whose role reads its images' registries before its first AWS
    call names that option in REGISTRY_MIRRORS: BASE's images are then
    served, for linux/amd64 and linux/arm64, by a registry of the fixture's."""
    from labhelpers import refusal_batch
    from labregistry import LabRegistry
    mod = request.module
    base = dict(mod.BASE)
    registry = None
    if getattr(mod, "REGISTRY_MIRRORS", None):
        registry = LabRegistry(tmp_path_factory.mktemp(f"{mod.ROLE}-registry")).__enter__()
        mirrors = {}
        for image in mod.REGISTRY_IMAGES:
            host, _, path = image.partition("/")
            repo, tag = path.rsplit(":", 1)
            registry.push(repo, tag, ["linux/amd64", "linux/arm64/v8"])
            mirrors[host] = registry.url
        base[mod.REGISTRY_MIRRORS] = mirrors
    try:
        cases = {case_name(n): {**base, **project_paths(p.values[0])} for n, p in enumerate(mod.CASES)}
        ran = refusal_batch(tmp_path_factory.mktemp(f"{mod.ROLE}-refusals"), {**cases, "control": base},
                            [{"name": f"Run the role's {entry}", "ansible.builtin.include_role": {
                                "name": mod.ROLE, "tasks_from": entry}}
                             for entry in getattr(mod, "ENTRY_POINTS", ["main"])],
                            project_group_vars=False, **getattr(mod, "REFUSAL_OPTIONS", {}))
    finally:
        if registry:
            registry.__exit__(None, None, None)
    return {**{n: ran[case_name(n)] for n in range(len(mod.CASES))}, "control": ran["control"]}
