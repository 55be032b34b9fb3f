"""image_platforms_info: how an image reference is read (Docker's rules),
which platforms meet linux/arm64, and the token login of a public registry
(Docker Hub, GHCR), against a registry stand-in in the test process. The
real registry (Debian's docker-registry) is in
tests/integration/test_doctor.py."""

import http.server
import json
import threading

import pytest

REFERENCES = {
    "nginx": ("docker.io", "library/nginx", "latest"),
    "nginx:1.27": ("docker.io", "library/nginx", "1.27"),
    "club/council:1.4.2": ("docker.io", "club/council", "1.4.2"),
    "ghcr.io/itsupport-ssu/council-backend:1.4.2": ("ghcr.io", "itsupport-ssu/council-backend", "1.4.2"),
    "localhost:5000/app": ("localhost:5000", "app", "latest"),
    "127.0.0.1:5000/club/app@sha256:abc": ("127.0.0.1:5000", "club/app", "sha256:abc"),
    "123456789012.dkr.ecr.ap-northeast-2.amazonaws.com/council:2":
        ("123456789012.dkr.ecr.ap-northeast-2.amazonaws.com", "council", "2"),
}


@pytest.fixture
def mod(plugin):
    return plugin("modules", "image_platforms_info")


@pytest.mark.parametrize("ref", list(REFERENCES))
def test_a_reference_is_read_as_docker_reads_it(mod, ref):
    assert mod.parse_reference(ref) == REFERENCES[ref]


@pytest.mark.parametrize("platforms, wanted, ok", [
    (["linux/amd64", "linux/arm64/v8"], "linux/arm64", True),
    (["linux/amd64", "linux/arm64"], "linux/arm64/v8", True),
    (["linux/arm64/v7"], "linux/arm64/v8", False),
    (["linux/amd64"], "linux/arm64", False),
    (["linux/arm/v7"], "linux/arm64", False),
    ([], "linux/arm64", False),
])
def test_which_platforms_meet_the_wanted_one(mod, platforms, wanted, ok):
    assert mod.has_platform(platforms, wanted) is ok


def test_a_mirror_replaces_docker_hub_and_loopback_is_plain_http(mod):
    assert mod.base_url("docker.io", {"docker.io": "http://127.0.0.1:5000/"}) == "http://127.0.0.1:5000"
    assert mod.base_url("docker.io", {}) == "https://registry-1.docker.io"
    assert mod.base_url("127.0.0.1:5000", {}) == "http://127.0.0.1:5000"
    assert mod.base_url("ghcr.io", {}) == "https://ghcr.io"


class TokenRegistry(http.server.BaseHTTPRequestHandler):
    """Answers like Docker Hub: 401 with a bearer challenge, a token from
    the realm, then the manifest list (with an attestation entry)."""
    seen = []

    def do_GET(self):
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.path.startswith("/token"):
            return self.reply(200, {"token": "t0ken"})
        if self.headers.get("Authorization") != "Bearer t0ken":
            self.send_response(401)
            port = self.server.server_address[1]
            self.send_header("WWW-Authenticate",
                             f'Bearer realm="http://127.0.0.1:{port}/token",service="registry.test"')
            self.end_headers()
            return None
        return self.reply(200, {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                "manifests": [
                                    {"digest": "sha256:1", "platform": {"os": "linux", "architecture": "amd64"}},
                                    {"digest": "sha256:2", "platform": {"os": "linux", "architecture": "arm64",
                                                                        "variant": "v8"}},
                                    {"digest": "sha256:3", "platform": {"os": "unknown", "architecture": "unknown"}}]})

    def reply(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", body.get("mediaType", "application/json"))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_a_token_registry_is_logged_into_and_attestations_are_left_out(mod):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), TokenRegistry)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        session = mod.Registry(f"http://127.0.0.1:{server.server_port}", "registry.test", None, 5)
        assert mod.platforms_of(session, "club/council", "1.4.2") == ["linux/amd64", "linux/arm64/v8"]
    finally:
        server.shutdown()
    token_request = next(p for p, _ in TokenRegistry.seen if p.startswith("/token"))
    assert "scope=repository%3Aclub%2Fcouncil%3Apull" in token_request and "service=registry.test" in token_request
    assert TokenRegistry.seen[-1] == ("/v2/club/council/manifests/1.4.2", "Bearer t0ken")
