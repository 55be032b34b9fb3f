"""Start or stop the lab's container registry, which stands in for the
club's (Docker Hub, GHCR): Debian's docker-registry on loopback, holding the
stand-in apps' image names for linux/amd64 and linux/arm64
(lab/testlib/labregistry.py). The lab inventory reads Docker Hub's images
through it (registry mirrors), so the doctor's and production.yml's image
platform checks read real manifests.

Usage: python lab/registry.py start|stop [PORT]   (default LAB_REGISTRY_PORT or 5006)
"""

import os
import pathlib
import signal
import subprocess
import sys
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "lab/testlib"))

from labregistry import LabRegistry, seed_lab_images  # noqa: E402


def main(cmd, port):
    workdir = ROOT / ".lab" / f"registry-{port}"
    pidfile = workdir / "pid"
    if cmd == "stop":
        if pidfile.exists():
            try:
                os.kill(int(pidfile.read_text()), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
            pidfile.unlink()
        # And a lab registry on this port started from another checkout.
        subprocess.run(["pkill", "-f", f"registry-{port}/registry.yml"], check=False)
        print("registry: stopped")
        return
    workdir.mkdir(parents=True, exist_ok=True)
    registry = LabRegistry(workdir, port=port)
    try:  # one answers there already (this lab's, or another checkout's): seed it
        urllib.request.urlopen(registry.url + "/v2/", timeout=2).close()
        running = True
    except OSError:
        running = False
    if not running:
        registry.__enter__()
        pidfile.write_text(str(registry.proc.pid))
        print("registry: started")
    seed_lab_images(registry, ROOT / ".lab/images.env")
    print(f"registry: {registry.url}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "start",
         int(sys.argv[2]) if len(sys.argv) > 2 else int(os.environ.get("LAB_REGISTRY_PORT", "5006")))
