"""Shared fixtures for the controller-side suites (no containers needed)."""

import os
import pathlib
import socket
import subprocess
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def project_root():
    return ROOT


class Moto:
    """A moto server of the test session's own, on a free loopback port,
    seeded like the lab (Debian AMIs, key pair, the club's existing VPC)."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, MOTO_AMIS_PATH=str(ROOT / "lab/moto/amis.json"))
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
        return {"LAB_MOTO_PORT": str(self.port), "AWS_ENDPOINT_URL": self.url}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture(scope="module")
def moto():
    (ROOT / ".lab").mkdir(exist_ok=True)
    server = Moto()
    yield server
    server.stop()
