# -*- coding: utf-8 -*-
# The project's converge-skip, written once: the digest of (inputs, code,
# what is read), the comparison with the record of the last complete run,
# and the comparison of what was read with what the role wants. Used by
# host_converged_state (a record on the host), aws_converged_state (a
# record in SSM) and compose_drift_info. Pure functions: unit-tested in
# tests/unit without Ansible, a host or AWS.

import hashlib
import json
import os
import re
import tempfile


def digest(inputs, state):
    """SHA-256 of the role's inputs digest and the state read, canonical JSON."""
    text = json.dumps({"inputs": inputs, "state": state}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def compare(record, now, where, what="the host"):
    """(converged, reason) of a record against the digest read now."""
    if not record:
        return False, f"no record in {where} (first run, or the last one did not complete)"
    if record != now:
        return False, f"an input, the code or {what} changed since the last complete run"
    return True, f"inputs, code and {what} as the last complete run left them"


def read_record(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except FileNotFoundError:
        return ""


def write_record(path, value):
    """Write a record root-only: the file 0600 in a 0700 directory, renamed
    into place so that two runs at once each write a whole record."""
    directory = os.path.dirname(path)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    os.chmod(directory, 0o700)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".record-")
    with os.fdopen(fd, "w") as f:
        f.write(value + "\n")
    os.replace(tmp, path)


# What a role wants, against what was read. Each function returns a list of
# differences in words, naming the setting and never a secret value.

def file_differences(wants, found):
    """wants: {path: {state, mode, owner, group}}; found: {path: path_state()}
    with owner and group as names."""
    out = []
    for path, want in sorted(wants.items()):
        have = found.get(path, "absent")
        state = want.get("state", "file")
        if state == "absent":
            if have != "absent":
                out.append(f"{path}: wanted absent, found present")
            continue
        if have == "absent":
            out.append(f"{path}: wanted a {state}, found none")
            continue
        kind = "link" if "link" in have else have.get("type", "file")
        if kind != state:
            out.append(f"{path}: wanted a {state}, found a {kind}")
            continue
        if want.get("mode") is not None and int(str(want["mode"]), 8) != int(have["mode"], 8):
            out.append(f"{path}: wanted mode {int(str(want['mode']), 8):04o}, found {int(have['mode'], 8):04o}")
        for key in ("owner", "group"):
            if want.get(key) is not None and want[key] != have.get(key):
                out.append(f"{path}: wanted {key} {want[key]}, found {have.get(key)}")
        if want.get("content") is not None and want["content"] != have.get("content"):
            out.append(f"{path}: wanted {want['content']!r}, found {have.get('content')!r}")
    return out


def package_differences(wants, found):
    """wants: {name: present|absent}; found: {name: dpkg status or 'absent'}."""
    out = []
    for name, want in sorted(wants.items()):
        # dpkg's want/state letters: ii installed, hi held and installed.
        status = found.get(name, "absent")
        installed = len(status) >= 2 and status[1] == "i"
        if want == "present" and not installed:
            out.append(f"package {name}: wanted installed, found {found.get(name, 'absent')}")
        elif want == "absent" and found.get(name, "absent") != "absent" and not found[name].startswith(("un", "rc", "pn")):
            out.append(f"package {name}: wanted absent, found {found[name]}")
    return out


def unit_differences(wants, found):
    """wants: {unit: {enabled: bool, active: bool} or 'absent'};
    found: {unit: systemctl show properties}."""
    out = []
    for name, want in sorted(wants.items()):
        have = found.get(name) or {}
        loaded = have.get("LoadState") == "loaded"
        if want == "absent":
            if loaded:
                out.append(f"unit {name}: wanted absent, found loaded")
            continue
        if not loaded:
            out.append(f"unit {name}: wanted present, found {have.get('LoadState', 'nothing')}")
            continue
        if "enabled" in want:
            enabled = have.get("UnitFileState") in ("enabled", "enabled-runtime", "static", "alias")
            if bool(want["enabled"]) != enabled:
                out.append(f"unit {name}: wanted {'enabled' if want['enabled'] else 'disabled'}, "
                           f"found {have.get('UnitFileState')}")
        if "active" in want:
            active = have.get("ActiveState") in ("active", "activating", "reloading")
            if bool(want["active"]) != active:
                out.append(f"unit {name}: wanted {'active' if want['active'] else 'inactive'}, "
                           f"found {have.get('ActiveState')}")
    return out


def group_differences(wants, found):
    """wants: {group: [members]} (exactly these) or {group: {members: [...],
    keep: [...]}} (these, and any of keep); found: {group: [members] or 'absent'}."""
    out = []
    for name, want in sorted(wants.items()):
        members, keep = (want.get("members") or [], want.get("keep") or []) if isinstance(want, dict) else (want, [])
        have = found.get(name, "absent")
        if have == "absent":
            out.append(f"group {name}: wanted present, found none")
            continue
        missing = sorted(set(members) - set(have))
        extra = sorted(set(have) - set(members) - set(keep))
        if missing:
            out.append(f"group {name}: wanted members {missing} not in it")
        if extra:
            out.append(f"group {name}: members {extra} not wanted")
    return out


# Compose: what a container runs with, against the project's configuration.

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1, "us": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9, "m": 60e9, "h": 3600e9}


def duration_ns(value):
    """Nanoseconds of a Compose duration ('1m30s', '500ms') or a number of ns."""
    if value is None or value == "":
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    total = 0
    for number, unit in _DURATION.findall(str(value)):
        total += float(number) * _UNITS[unit]
    return int(total)


def _bytes(value):
    if value in (None, ""):
        return 0
    if isinstance(value, (int, float)):
        return int(value)
    m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*([bkmg]?)b?", str(value).strip().lower())
    if not m:
        return str(value)
    return int(float(m.group(1)) * 1024 ** "bkmg".index(m.group(2) or "b"))


def _service_ports(service):
    out = set()
    for port in service.get("ports") or []:
        out.add((f"{port['target']}/{port.get('protocol') or 'tcp'}", port.get("host_ip") or "",
                 str(port.get("published") or "")))
    return out


def _container_ports(container):
    out = set()
    for key, bindings in ((container.get("HostConfig") or {}).get("PortBindings") or {}).items():
        for b in bindings or []:
            out.add((key, b.get("HostIp") or "", str(b.get("HostPort") or "")))
    return out


def service_differences(name, service, container, project):
    """What container runs with that differs from the Compose service: a list
    of 'service: setting wanted X, found Y' (environment values never shown)."""
    out = []
    config = container.get("Config") or {}
    host = container.get("HostConfig") or {}
    restart = service.get("restart") or "no"
    have = (host.get("RestartPolicy") or {}).get("Name") or "no"
    if restart != have:
        out.append(f"{name}: restart policy wanted {restart}, found {have}")
    if service.get("image") and service["image"] != config.get("Image"):
        out.append(f"{name}: image wanted {service['image']}, found {config.get('Image')}")
    if _service_ports(service) != _container_ports(container):
        want = sorted(_service_ports(service))
        out.append(f"{name}: published ports wanted {want}, found {sorted(_container_ports(container))}")
    memory = _bytes(service.get("mem_limit") or ((service.get("deploy") or {}).get("resources") or {})
                    .get("limits", {}).get("memory"))
    if memory != (host.get("Memory") or 0):
        out.append(f"{name}: memory limit wanted {memory}, found {host.get('Memory') or 0}")
    env = dict(item.split("=", 1) for item in config.get("Env") or [] if "=" in item)
    for key, value in sorted((service.get("environment") or {}).items()):
        if value is not None and env.get(key) != str(value):
            out.append(f"{name}: environment variable {key} differs from the Compose project")
    want_hc = service.get("healthcheck") or {}
    have_hc = config.get("Healthcheck") or {}
    if want_hc and not want_hc.get("disable"):
        wanted = {"test": list(want_hc.get("test") or []), "interval": duration_ns(want_hc.get("interval")),
                  "timeout": duration_ns(want_hc.get("timeout")), "retries": int(want_hc.get("retries") or 0),
                  "start_period": duration_ns(want_hc.get("start_period"))}
        found = {"test": list(have_hc.get("Test") or []), "interval": int(have_hc.get("Interval") or 0),
                 "timeout": int(have_hc.get("Timeout") or 0), "retries": int(have_hc.get("Retries") or 0),
                 "start_period": int(have_hc.get("StartPeriod") or 0)}
        for key in wanted:
            if wanted[key] != found[key]:
                out.append(f"{name}: health check {key} wanted {wanted[key]}, found {found[key]}")
    want_mounts = set()
    for v in service.get("volumes") or []:
        want_mounts.add((v.get("source") or "", v["target"], not v.get("read_only", False)))
    # An image's VOLUME that compose.yaml does not mount gets an anonymous
    # volume (a 64-hex name): not a setting of the project.
    have_mounts = {(m.get("Source") if m.get("Type") == "bind" else m.get("Name") or "", m.get("Destination"),
                    bool(m.get("RW"))) for m in container.get("Mounts") or []
                   if not (m.get("Type") == "volume" and re.fullmatch(r"[0-9a-f]{64}", m.get("Name") or ""))}
    # Compose names a project's volumes <project>_<name>.
    have_mounts = {(re.sub(rf"^{re.escape(project)}_", "", s), t, rw) for s, t, rw in have_mounts}
    if want_mounts != have_mounts:
        out.append(f"{name}: mounts wanted {sorted(want_mounts)}, found {sorted(have_mounts)}")
    want_nets = set(service.get("networks") or ())
    have_nets = set(((container.get("NetworkSettings") or {}).get("Networks") or {}).keys())
    if want_nets != have_nets:
        out.append(f"{name}: networks wanted {sorted(want_nets)}, found {sorted(have_nets)}")
    return out


def compose_differences(config, containers):
    """{service: [differences]} between a Compose project (`docker compose
    config --format json`) and its containers (`docker inspect`). A service
    with no container, or more than one, differs too."""
    project = config.get("name") or ""
    networks = config.get("networks") or {}
    by_service = {}
    for c in containers:
        labels = (c.get("Config") or {}).get("Labels") or {}
        # `docker compose run` containers are one-offs, not the service's.
        if labels.get("com.docker.compose.project") == project and labels.get("com.docker.compose.oneoff") != "True":
            by_service.setdefault(labels.get("com.docker.compose.service"), []).append(c)
    out = {}
    for name, service in sorted((config.get("services") or {}).items()):
        found = by_service.get(name, [])
        if len(found) != 1:
            out[name] = [f"{name}: wanted one container, found {len(found)}"]
            continue
        # A service names the project's networks; Docker knows them by
        # their full names (the top-level networks' name:).
        svc = dict(service)
        svc["networks"] = sorted((networks.get(n) or {}).get("name") or f"{project}_{n}"
                                 for n in (service.get("networks") or {"default": None}))
        diffs = service_differences(name, svc, found[0], project)
        if diffs:
            out[name] = diffs
    for name in sorted(set(by_service) - set(config.get("services") or {})):
        out[name] = [f"{name}: a container of a service the Compose project does not have"]
    return out


class ReadError(Exception):
    """A read of the host failed: its state is not known."""


def unescape_dollars(value):
    """`docker compose config` writes every $ of a value as $$ (so that its
    output is a valid Compose file again); the container holds one $."""
    if isinstance(value, str):
        return value.replace("$$", "$")
    if isinstance(value, list):
        return [unescape_dollars(v) for v in value]
    if isinstance(value, dict):
        return {k: unescape_dollars(v) for k, v in value.items()}
    return value


def read_compose(run, directory):
    """(config, containers) of the Compose project in directory, read with
    run(argv) -> {"rc": int, "out": str}: `docker compose config` and
    `docker inspect` of the project's containers."""
    res = run(["docker", "compose", "--project-directory", directory, "config", "--format", "json"])
    if res["rc"] != 0:
        raise ReadError(f"docker compose config in {directory}: rc {res['rc']}")
    config = unescape_dollars(json.loads(res["out"]))
    ids = run(["docker", "ps", "--all", "--quiet", "--no-trunc", "--filter",
               f"label=com.docker.compose.project={config.get('name', '')}"])
    if ids["rc"] != 0:
        raise ReadError(f"docker ps: rc {ids['rc']}")
    containers = []
    if ids["out"].split():
        res = run(["docker", "inspect"] + ids["out"].split())
        if res["rc"] != 0:
            raise ReadError(f"docker inspect: rc {res['rc']}")
        containers = json.loads(res["out"])
    return config, containers


def read_compose_differences(run, directory):
    """compose_differences() of the Compose project in directory."""
    return compose_differences(*read_compose(run, directory))


def services_to_recreate(config, differences):
    """The services of the project whose one container runs with other
    settings (not those with no container: `compose up` creates them; not
    orphans: `compose up --remove-orphans` removes them)."""
    services = config.get("services") or {}
    return sorted(name for name, diffs in differences.items()
                  if name in services and not any(d.startswith(f"{name}: wanted one container") for d in diffs))
