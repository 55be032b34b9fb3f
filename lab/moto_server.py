"""The lab's local AWS endpoint: moto's server, with one gap closed.

Usage: python lab/moto_server.py -H 127.0.0.1 -p PORT   (moto_server's arguments)

moto 5.2.5's ECS CreateService drops deploymentConfiguration (the circuit
breaker, minimum healthy percent), healthCheckGracePeriodSeconds and the
capacityProviderStrategy, which AWS keeps and UpdateService in moto does
keep. Without them a freshly
created service reads back different from what was asked, so the second
run of playbooks/production.yml would "update" it, and the deployment
settings and the strategy (the FARGATE base, the FARGATE_SPOT scale-out)
could not be checked at all. This keeps the three on the new service, as
AWS does.

moto's Service Quotas knows VPC quotas only. The two EC2 vCPU quotas
playbooks/doctor.yml reads (L-1216C47A, running On-Demand Standard
instances; L-34B43A08, All Standard Spot Instance Requests) are served
here: 32 vCPUs each (an account with some history), or the values of the
JSON file LAB_EC2_QUOTAS names ({"L-34B43A08": 0}), read at each call so
that a test can give the lab's account a new account's quota of 0.
Nothing else of moto is changed.
"""

import json
import os
import sys

from moto.ecs.responses import EC2ContainerServiceResponse
from moto.server import main
from moto.servicequotas.models import ServiceQuotasBackend

KEPT = (("deploymentConfiguration", "deployment_configuration"),
        ("healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"),
        ("capacityProviderStrategy", "capacity_provider_strategy"))
_create_service = EC2ContainerServiceResponse.create_service


def create_service(self):
    result = _create_service(self)
    service = self.ecs_backend._get_service(self._get_param("cluster", "default"), self._get_param("serviceName"))
    for param, attribute in KEPT:
        value = self._get_param(param)
        if value is not None:
            setattr(service, attribute, value)
    # A service on a capacity provider strategy has no launch type (moto
    # gives it EC2).
    if self._get_param("capacityProviderStrategy") and not self._get_param("launchType"):
        service.launch_type = None
    return result


EC2ContainerServiceResponse.create_service = create_service

EC2_QUOTAS = {"L-1216C47A": "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
              "L-34B43A08": "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests"}
_get_service_quota = ServiceQuotasBackend.get_service_quota


def get_service_quota(self, service_code, quota_code):
    if service_code != "ec2" or quota_code not in EC2_QUOTAS:
        return _get_service_quota(self, service_code, quota_code)
    values = {}
    path = os.environ.get("LAB_EC2_QUOTAS", "")
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            values = json.load(f)
    return {"ServiceCode": "ec2", "ServiceName": "Amazon Elastic Compute Cloud (Amazon EC2)",
            "QuotaArn": f"arn:aws:servicequotas:{self.region_name}:{self.account_id}:ec2/{quota_code}",
            "QuotaCode": quota_code, "QuotaName": EC2_QUOTAS[quota_code],
            "Value": float(values.get(quota_code, 32)), "Unit": "None", "Adjustable": True, "GlobalQuota": False}


ServiceQuotasBackend.get_service_quota = get_service_quota

if __name__ == "__main__":
    main(sys.argv[1:])
