"""Relay TCP connections from one address to another (the lab's moto, which
listens on loopback only, made reachable at the lab's own "public" bridge
address for the instances: no listener on any other interface).

    python3 tcp_forward.py LISTEN_HOST LISTEN_PORT TARGET_HOST TARGET_PORT
"""

import asyncio
import sys

LISTEN_HOST, LISTEN_PORT, TARGET_HOST, TARGET_PORT = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])


async def pipe(reader, writer):
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    try:
        target_reader, target_writer = await asyncio.open_connection(TARGET_HOST, TARGET_PORT)
    except OSError:
        client_writer.close()
        return
    await asyncio.gather(pipe(client_reader, target_writer), pipe(target_reader, client_writer))


async def main():
    server = await asyncio.start_server(handle, LISTEN_HOST, LISTEN_PORT)
    async with server:
        await server.serve_forever()


asyncio.run(main())
