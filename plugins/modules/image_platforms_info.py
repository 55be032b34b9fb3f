#!/usr/bin/python
# -*- coding: utf-8 -*-
# The project's own module: no maintained module reads a registry's
# manifest without a Docker engine (community.docker's modules ask an
# engine, and the controller need not have one). What it reads is the
# Registry HTTP API v2 (the OCI distribution spec), with Python's urllib.

DOCUMENTATION = r"""
module: image_platforms_info
short_description: The platforms a container image is published for, read from its registry
description:
  - "For each image reference, reads its manifest from the registry
    (C(GET /v2/NAME/manifests/REF)): for a manifest list or OCI index, the
    platforms it lists; for a single manifest, the platform in its config
    blob. Attestation entries (C(unknown/unknown)) are left out."
  - An image with no registry host is Docker Hub's (C(registry-1.docker.io),
    C(library/) for one-part names), unless O(mirrors) names another
    registry for it (a pull-through cache, or the lab's registry).
  - Anonymous access first; a registry that answers 401 gets the bearer
    token its C(WWW-Authenticate) names (Docker Hub, GHCR, Quay) or basic
    authentication, with O(credentials) for it if given. An Amazon ECR
    registry gets its token from C(ecr:GetAuthorizationToken) (the AWS
    credentials of the environment).
  - "Never fails on an image: an image that cannot be read is returned with
    its error, and is in RV(missing) (the caller decides). Read-only."
options:
  images:
    description: The images to check, each with a name for messages (the app).
    type: list
    elements: dict
    required: true
    suboptions:
      name: {description: What the image is for (an app's name)., type: str, required: true}
      image: {description: "The image reference (C(registry/repo:tag) or C(registry/repo@sha256:...)).", type: str, required: true}
  platform:
    description: The platform every image must have, C(os/architecture).
    type: str
    default: linux/arm64
  credentials:
    description: Per registry host, C(username) and C(password) (a token), e.g. for a private GHCR package.
    type: dict
    default: {}
  mirrors:
    description: Per registry host (C(docker.io) for Docker Hub), the URL of a registry to read instead.
    type: dict
    default: {}
  timeout:
    description: Seconds for each HTTP request.
    type: int
    default: 15
author: itsupport club admins
"""

EXAMPLES = r"""
- name: Check that every app image runs on the t4g (arm64) hosts
  image_platforms_info:
    images:
      - {name: council, image: "ghcr.io/itsupport-ssu/council-backend:1.4.2"}
      - {name: homepage, image: "ghcr.io/itsupport-ssu/homepage:2.0.1"}
    platform: linux/arm64
  register: platforms
"""

RETURN = r"""
images:
  description: Per image, what was found.
  returned: always
  type: list
  elements: dict
  sample:
    - {name: council, image: "ghcr.io/club/council:1.4.2", platforms: [linux/amd64, linux/arm64], ok: true, error: ""}
missing:
  description: 'The images without O(platform) or that could not be read, each "NAME (IMAGE): why".'
  returned: always
  type: list
  elements: str
"""

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request

from ansible.module_utils.basic import AnsibleModule

MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
])
DOCKER_HUB = "docker.io"
ECR_HOST = re.compile(r"^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com$")


def parse_reference(ref):
    """(registry host, repository, tag or digest) of an image reference,
    the way Docker reads it."""
    name, reference = ref, "latest"
    if "@" in name:
        name, reference = name.split("@", 1)
    else:
        last = name.rsplit("/", 1)[-1]
        if ":" in last:
            name, reference = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = DOCKER_HUB, name
        if "/" not in repository:
            repository = "library/" + repository
    if not repository or not reference:
        raise ValueError(f"{ref!r} is not an image reference")
    return registry, repository, reference


def base_url(registry, mirrors):
    if registry in mirrors:
        return mirrors[registry].rstrip("/")
    if registry == DOCKER_HUB:
        return "https://registry-1.docker.io"
    host = registry.rsplit(":", 1)[0] if not registry.startswith("[") else registry
    # Docker itself talks plain HTTP to a registry on the loopback only.
    if host in ("localhost", "127.0.0.1", "[::1]"):
        return "http://" + registry
    return "https://" + registry


class Registry:
    """One registry's session: the token or basic login it asked for."""

    def __init__(self, url, registry, credentials, timeout):
        self.url, self.registry, self.timeout = url, registry, timeout
        self.credentials = credentials
        self.auth = None

    def _basic(self):
        creds = self.credentials
        if not creds:
            match = ECR_HOST.match(self.registry)
            if not match:
                return None
            import boto3
            token = boto3.client("ecr", region_name=match.group(2)).get_authorization_token(
                registryIds=[match.group(1)])["authorizationData"][0]["authorizationToken"]
            return "Basic " + token
        raw = f"{creds['username']}:{creds['password']}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _token(self, challenge, repository):
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        realm = params.pop("realm", "")
        params.setdefault("scope", f"repository:{repository}:pull")
        req = urllib.request.Request(realm + "?" + urllib.parse.urlencode(params))
        basic = self._basic()
        if basic:
            req.add_unredirected_header("Authorization", basic)
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            body = json.load(resp)
        return "Bearer " + (body.get("token") or body.get("access_token") or "")

    def get(self, path, repository, accept=None):
        """GET a path of the registry's API: (content type, parsed JSON)."""
        for attempt in (1, 2):
            req = urllib.request.Request(self.url + path)
            if accept:
                req.add_header("Accept", accept)
            # Not sent on to where a redirect points (a blob's storage
            # host, S3 for ECR): urllib keeps add_header's headers there.
            if self.auth:
                req.add_unredirected_header("Authorization", self.auth)
            try:
                with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                    return resp.headers.get("Content-Type", ""), json.loads(resp.read())
            except urllib.error.HTTPError as err:
                challenge = err.headers.get("WWW-Authenticate", "")
                if err.code != 401 or attempt == 2 or not challenge:
                    raise
                if challenge.lower().startswith("bearer"):
                    self.auth = self._token(challenge, repository)
                else:
                    self.auth = self._basic()
                    if not self.auth:
                        raise
        raise AssertionError("unreachable")


def platforms_of(session, repository, reference):
    content_type, manifest = session.get(f"/v2/{repository}/manifests/{reference}", repository, MANIFEST_TYPES)
    media = manifest.get("mediaType") or content_type.split(";")[0]
    if "manifests" in manifest or media.endswith(("index.v1+json", "manifest.list.v2+json")):
        found = []
        for entry in manifest.get("manifests", []):
            plat = entry.get("platform") or {}
            os_, arch = plat.get("os", "unknown"), plat.get("architecture", "unknown")
            if (os_, arch) == ("unknown", "unknown"):
                continue  # a build attestation, not an image
            found.append(f"{os_}/{arch}" + (f"/{plat['variant']}" if plat.get("variant") else ""))
        return sorted(set(found))
    digest = (manifest.get("config") or {}).get("digest")
    if not digest:
        raise ValueError("the manifest names no config blob (a schema 1 image?)")
    _, config = session.get(f"/v2/{repository}/blobs/{digest}", repository)
    return [f"{config.get('os', 'unknown')}/{config.get('architecture', 'unknown')}"
            + (f"/{config['variant']}" if config.get("variant") else "")]


def has_platform(platforms, wanted):
    """linux/arm64 is met by linux/arm64 and linux/arm64/v8; a wanted
    variant also by an entry that names none."""
    want = wanted.split("/")
    for found in platforms:
        parts = found.split("/")
        if parts[:2] == want[:2] and (len(want) == 2 or len(parts) == 2 or parts[2] == want[2]):
            return True
    return False


def why(err):
    if isinstance(err, urllib.error.HTTPError):
        if err.code == 404:
            return "not found in its registry (HTTP 404: the name or the tag is wrong)"
        if err.code in (401, 403):
            return f"the registry refused to show it (HTTP {err.code}): give credentials for its registry"
        return f"the registry answered HTTP {err.code}"
    if isinstance(err, urllib.error.URLError):
        return f"the registry could not be reached ({err.reason})"
    return str(err)


def main():
    module = AnsibleModule(
        argument_spec={
            "images": {"type": "list", "elements": "dict", "required": True, "options": {
                "name": {"type": "str", "required": True}, "image": {"type": "str", "required": True}}},
            "platform": {"type": "str", "default": "linux/arm64"},
            "credentials": {"type": "dict", "default": {}, "no_log": True},
            "mirrors": {"type": "dict", "default": {}},
            "timeout": {"type": "int", "default": 15},
        },
        supports_check_mode=True)
    p = module.params
    # Keys as "ghcr.io", "https://ghcr.io/" or a docker login's URL alike.
    credentials = {}
    for key, value in p["credentials"].items():
        host = re.sub(r"^[a-z]+://", "", key).rstrip("/")
        credentials[DOCKER_HUB if host.startswith(("index.docker.io", "registry-1.docker.io")) else host] = value
    sessions, results, missing = {}, [], []
    for item in p["images"]:
        entry = {"name": item["name"], "image": item["image"], "platforms": [], "ok": False, "error": ""}
        try:
            registry, repository, reference = parse_reference(item["image"])
            url = base_url(registry, p["mirrors"])
            if url not in sessions:
                sessions[url] = Registry(url, registry, credentials.get(registry), p["timeout"])
            entry["platforms"] = platforms_of(sessions[url], repository, reference)
            entry["ok"] = has_platform(entry["platforms"], p["platform"])
            if not entry["ok"]:
                entry["error"] = (f"has no {p['platform']} variant (it has {', '.join(entry['platforms']) or 'none'})")
        except Exception as err:  # every failure is reported per image, never raised
            entry["error"] = why(err)
        if not entry["ok"]:
            missing.append(f"{entry['name']} ({entry['image']}): {entry['error']}")
        results.append(entry)
    module.exit_json(changed=False, images=results, missing=missing)


if __name__ == "__main__":
    main()
