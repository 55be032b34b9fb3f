"""The lab's stand-in for the EC2 instance metadata service (IMDSv2 only).

    python3 imds.py PORT ROLE HOP_LIMIT

- PUT /latest/api/token (with X-aws-ec2-metadata-token-ttl-seconds) returns a
  token; every GET needs it in X-aws-ec2-metadata-token, else 401.
- /latest/meta-data/iam/security-credentials/ names ROLE, and
  .../ROLE returns credentials the lab's moto accepts.
- /latest/meta-data/spot/instance-action is 404 until the lab announces an
  interruption: POST /lab/spot-notice (from this machine) switches it to
  {"action": "stop", "time": now + 2 min}; DELETE /lab/spot-notice clears it.
- HOP_LIMIT works as on EC2: every packet of the answer leaves with that IP
  TTL, so with 1 it reaches the host that asked but not a container behind
  the host's Docker bridge (the host would have to forward it once more).
"""

import datetime
import http.server
import json
import secrets
import socket
import sys
import threading

PORT, ROLE, HOP_LIMIT = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
TOKENS = set()
NOTICE = {}
LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, status, body="", kind="text/plain"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_PUT(self):
        if self.path != "/latest/api/token" or not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            return self.reply(400, "bad request")
        token = secrets.token_urlsafe(32)
        with LOCK:
            TOKENS.add(token)
        return self.reply(200, token)

    def do_POST(self):
        if self.path != "/lab/spot-notice":
            return self.reply(404, "not found")
        when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=2)
        with LOCK:
            NOTICE.update(action="stop", time=when.strftime("%Y-%m-%dT%H:%M:%SZ"))
        return self.reply(200, json.dumps(NOTICE), "application/json")

    def do_DELETE(self):
        with LOCK:
            NOTICE.clear()
        return self.reply(200, "cleared")

    def do_GET(self):
        with LOCK:
            known = self.headers.get("X-aws-ec2-metadata-token") in TOKENS
        if not known:
            return self.reply(401, "unauthorized")
        base = "/latest/meta-data/"
        if self.path == base + "iam/security-credentials/":
            return self.reply(200, ROLE)
        if self.path == base + "iam/security-credentials/" + ROLE:
            expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=6)
            return self.reply(200, json.dumps({
                "Code": "Success", "Type": "AWS-HMAC", "AccessKeyId": "testing",
                "SecretAccessKey": "testing", "Token": "lab-session-token",
                "Expiration": expires.strftime("%Y-%m-%dT%H:%M:%SZ")}), "application/json")
        if self.path == base + "spot/instance-action":
            with LOCK:
                notice = dict(NOTICE)
            return self.reply(200, json.dumps(notice), "application/json") if notice else self.reply(404, "not found")
        if self.path == base + "instance-id":
            return self.reply(200, "i-lab")
        return self.reply(404, "not found")

    def log_message(self, fmt, *args):
        sys.stderr.write("imds: " + fmt % args + "\n")


class Server(http.server.ThreadingHTTPServer):
    def server_bind(self):
        # Inherited by every accepted connection, so the answers carry it.
        self.socket.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, HOP_LIMIT)
        super().server_bind()


Server(("0.0.0.0", PORT), Handler).serve_forever()
