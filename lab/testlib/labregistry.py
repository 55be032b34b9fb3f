"""A container registry for the lab and the tests: Debian's docker-registry
(distribution 2.8) on a loopback port, and images pushed to it through the
Registry HTTP API with no engine and no emulation: each is FROM scratch
with one small file, so an arm64 image is as easy to make here as an amd64
one.

    with LabRegistry(tmp_path) as reg:
        reg.push("club/council", "1.0", ["linux/amd64", "linux/arm64/v8"])  # a manifest list
        reg.push("club/old", "1.0", ["linux/amd64"], single=True)            # one manifest, no list

The lab's own (lab/registry.py start|stop PORT) stands in for the club's
registry: it holds the stand-in images' names (.lab/images.env) for
linux/amd64 and linux/arm64, so the image platform checks of the doctor
and of production.yml read real manifests (seed_lab_images).
"""

import gzip
import hashlib
import io
import json
import shutil
import socket
import subprocess
import tarfile
import time
import urllib.request

DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
BINARY = "docker-registry"  # Debian's package of the same name (scripts/bootstrap.sh installs it)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class LabRegistry:
    def __init__(self, workdir, port=None):
        self.dir = workdir
        self.port = port or _free_port()
        self.host = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.host}"
        self.proc = None

    def __enter__(self):
        if not shutil.which(BINARY):
            raise RuntimeError(f"{BINARY} is not installed (Debian package docker-registry; make bootstrap installs it)")
        config = self.dir / "registry.yml"
        config.write_text(json.dumps({  # JSON is YAML
            "version": 0.1, "log": {"level": "warn"},
            "storage": {"filesystem": {"rootdirectory": str(self.dir / "data")}},
            "http": {"addr": self.host}}))
        self.log = open(self.dir / "registry.log", "w")
        self.proc = subprocess.Popen([BINARY, "serve", str(config)], stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 20
        while True:
            try:
                urllib.request.urlopen(self.url + "/v2/", timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise RuntimeError(f"the registry did not start: {(self.dir / 'registry.log').read_text()}")
                time.sleep(0.1)

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.log.close()

    def _request(self, method, path, data=None, content_type=None):
        req = urllib.request.Request(path if path.startswith("http") else self.url + path, data=data, method=method)
        if content_type:
            req.add_header("Content-Type", content_type)
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers

    def _blob(self, repo, data):
        digest = _digest(data)
        _, headers = self._request("POST", f"/v2/{repo}/blobs/uploads/")
        location = headers["Location"]
        sep = "&" if "?" in location else "?"
        self._request("PUT", f"{location}{sep}digest={digest}", data, "application/octet-stream")
        return {"size": len(data), "digest": digest}

    def _manifest(self, repo, ref, body, media):
        data = json.dumps(body).encode()
        self._request("PUT", f"/v2/{repo}/manifests/{ref}", data, media)
        return {"mediaType": media, "size": len(data), "digest": _digest(data)}

    def _image(self, repo, platform, ref):
        os_, arch, *variant = platform.split("/")
        raw = io.BytesIO()
        with tarfile.open(fileobj=raw, mode="w") as tar:
            content = f"{repo} for {platform}\n".encode()
            info = tarfile.TarInfo("platform.txt")
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
        layer = gzip.compress(raw.getvalue(), mtime=0)
        config = {"architecture": arch, "os": os_, "config": {},
                  "rootfs": {"type": "layers", "diff_ids": [_digest(raw.getvalue())]}}
        if variant:
            config["variant"] = variant[0]
        config_ref = self._blob(repo, json.dumps(config).encode())
        layer_ref = self._blob(repo, layer)
        body = {"schemaVersion": 2, "mediaType": DOCKER_MANIFEST,
                "config": {"mediaType": DOCKER_CONFIG, **config_ref},
                "layers": [{"mediaType": DOCKER_LAYER, **layer_ref}]}
        return self._manifest(repo, ref, body, DOCKER_MANIFEST)

    def push(self, repo, tag, platforms, single=False):
        """Push REPO:TAG for the platforms (os/arch[/variant]): a manifest
        list, or with single=True one plain manifest (one platform).
        Returns the reference to pull it by, HOST:PORT/REPO:TAG."""
        if single:
            assert len(platforms) == 1
            self._image(repo, platforms[0], tag)
        else:
            entries = []
            for platform in platforms:
                ref = self._image(repo, platform, f"{tag}-" + platform.replace("/", "-"))
                os_, arch, *variant = platform.split("/")
                entries.append({**ref, "platform": {"os": os_, "architecture": arch,
                                                    **({"variant": variant[0]} if variant else {})}})
            self._manifest(repo, tag, {"schemaVersion": 2, "mediaType": DOCKER_LIST, "manifests": entries}, DOCKER_LIST)
        return f"{self.host}/{repo}:{tag}"


def seed_lab_images(registry, images_env):
    """Push the lab's stand-in app images' names (LAB_IMAGE_*_STANDIN of
    images_env, a .lab/images.env file), each for linux/amd64 and
    linux/arm64, as the club's registry holds its apps' images."""
    refs = []
    for line in images_env.read_text().splitlines():
        key, _, ref = line.partition("=")
        if key in ("LAB_IMAGE_SPRING_STANDIN", "LAB_IMAGE_DJANGO_STANDIN"):
            repo, tag = ref.rsplit(":", 1)
            refs.append(registry.push(repo, tag, ["linux/amd64", "linux/arm64/v8"]))
    return refs
