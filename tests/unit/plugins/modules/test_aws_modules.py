"""AWS modules: bad input fails before any client is built (so before any API call)."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.crosscluster.link.plugins.module_utils import _aws
from ansible_collections.crosscluster.link.plugins.modules import (
    aws_customer_gateway,
    aws_security_group_rules,
    aws_vpc_cidr_check,
    aws_vpc_peering,
    aws_vpc_routes,
    aws_vpn_connection,
)

# A short secret would be masked everywhere in the output (no_log): use a distinctive one.
AUTH = {"access_key": "AKIDTEST", "secret_key": "unit-test-secret-key", "region": "eu-west-1"}


def _run(module: Any, args: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    with (
        patch_module_args({**AUTH, **args}),
        mock.patch.object(_aws, "client_from_params") as client,
        pytest.raises(SystemExit),
    ):
        module.main()
    client.assert_not_called()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        (
            aws_customer_gateway,
            {"name": "g", "ip_address": "203.0.113.1", "bgp_asn": 9059},
            "bgp_asn=9059 is reserved by AWS in eu-west-1",
        ),
        (
            aws_vpn_connection,
            {"name": "v", "customer_gateway_id": "cgw-1"},
            "give exactly one of vpn_gateway_id and transit_gateway_id (neither given)",
        ),
        (
            aws_vpn_connection,
            {
                "name": "v",
                "customer_gateway_id": "cgw-1",
                "vpn_gateway_id": "vgw-1",
                "tunnel_options": [{"inside_cidr": "169.254.0.0/30"}],
            },
            "tunnel_options[0].inside_cidr=169.254.0.0/30 is reserved by AWS",
        ),
        (
            aws_vpn_connection,
            {
                "name": "v",
                "customer_gateway_id": "cgw-1",
                "vpn_gateway_id": "vgw-1",
                "tunnel_options": [{"phase1_dh_group_numbers": [5]}],
            },
            "phase1_dh_group_numbers",
        ),
        (
            aws_vpc_routes,
            {"vpc_id": "vpc-1", "vpn_gateway_id": "vgw-1", "cidrs": ["10.0.0.0/33"]},
            "not a network CIDR",
        ),
        (
            aws_security_group_rules,
            {"name": "n", "group_ids": ["sg-1"], "protocol": "tcp", "from_port": 99999},
            "from_port=99999 is out of range",
        ),
        (
            aws_vpc_cidr_check,
            {"vpc_id": "vpc-1", "pod_cidrs": ["10.32.0.1/16"]},
            "pod_cidrs has '10.32.0.1/16', which is not a network CIDR",
        ),
        (
            aws_vpc_peering,
            {"name": "p", "vpc_id": "vpc-0a0a0a0a", "peer_vpc_id": "vpc-0a0a0a0a"},
            "peer_vpc_id vpc-0a0a0a0a is vpc_id itself",
        ),
    ],
)
def test_bad_input_fails_before_any_api_call(module, args, message, capsys) -> None:
    result = _run(module, args, capsys)
    assert result["failed"]
    assert message in result["msg"]


def test_psk_is_not_echoed_in_failure(capsys) -> None:
    result = _run(
        aws_vpn_connection,
        {
            "name": "v",
            "customer_gateway_id": "cgw-1",
            "vpn_gateway_id": "vgw-1",
            "tunnel_options": [{"pre_shared_key": "0Secret_value"}],
        },
        capsys,
    )
    assert "pre_shared_key is invalid" in result["msg"]
    assert "0Secret_value" not in json.dumps(result)
