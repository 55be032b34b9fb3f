"""The lab's local AWS endpoint: moto's server, with one gap closed.

Usage: python lab/moto_server.py -H 127.0.0.1 -p PORT   (moto_server's arguments)

moto 5.2.5's ECS CreateService drops deploymentConfiguration (the circuit
breaker, minimum healthy percent) and healthCheckGracePeriodSeconds, which
AWS keeps and UpdateService in moto does keep. Without them a freshly
created service reads back different from what was asked, so the second
run of playbooks/production.yml would "update" it, and the deployment
settings could not be checked at all. This keeps both on the new service,
as AWS does; nothing else of moto is changed.
"""

import sys

from moto.ecs.responses import EC2ContainerServiceResponse
from moto.server import main

KEPT = (("deploymentConfiguration", "deployment_configuration"),
        ("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"))
_create_service = EC2ContainerServiceResponse.create_service


def create_service(self):
    result = _create_service(self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    for param, attribute in KEPT:
        value = self._get_param(param)
        if value is not None:
            setattr(service, attribute, value)
    return result


EC2ContainerServiceResponse.create_service = create_service

if __name__ == "__main__":
    main(sys.argv[1:])
