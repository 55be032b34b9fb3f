"""The lab's stand-in for a public DNS resolver on "the internet".

Relays each UDP DNS query it receives on port 53 to Docker's embedded resolver
(127.0.0.11 inside this container) and sends the answer back. The lab's NAT
instance uses it: its firewall replaces the whole nat table of its network
namespace, which also removes the rules Docker's embedded resolver relies on
there (on EC2 the VPC resolver needs no such rules).
"""

import socket
import sys
import threading

UPSTREAM = ("127.0.0.11", 53)


def answer(server, query, client):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as upstream:
        upstream.settimeout(5)
        try:
            upstream.sendto(query, UPSTREAM)
            reply, _ = upstream.recvfrom(65535)
        except OSError:
            return
    server.sendto(reply, client)


def main(address):
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((address, 53))
    while True:
        query, client = server.recvfrom(65535)
        threading.Thread(target=answer, args=(server, query, client), daemon=True).start()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "0.0.0.0")
