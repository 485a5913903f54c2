"""_aws_vpn: tunnel option validation, drift detection, replacement refusal, PSK masking."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils import _aws, _aws_vpn
from ansible_collections.crosscluster.link.plugins.module_utils._aws import AwsError
from botocore.exceptions import ClientError


@pytest.mark.parametrize(
    ("tunnel", "message"),
    [
        ({"inside_cidr": "169.254.10.1/30"}, "inside_cidr='169.254.10.1/30' is not a valid"),
        ({"inside_cidr": "169.254.10.0/29"}, "must be a /30 inside 169.254.0.0/16"),
        ({"inside_cidr": "10.0.0.0/30"}, "must be a /30 inside 169.254.0.0/16"),
        ({"inside_cidr": "169.254.5.0/30"}, "inside_cidr=169.254.5.0/30 is reserved"),
        ({"inside_cidr": "169.254.169.252/30"}, "is reserved by AWS"),
        ({"pre_shared_key": "0abcdefgh"}, "pre_shared_key is invalid"),
        ({"pre_shared_key": "short"}, "pre_shared_key is invalid"),
        ({"pre_shared_key": "has-dash-123"}, "pre_shared_key is invalid"),
        ({"pre_shared_key": "a" * 65}, "pre_shared_key is invalid"),
        ({"ike_versions": ["ikev3"]}, "ike_versions has ikev3 which AWS does not accept"),
        ({"phase1_encryption_algorithms": ["3DES"]}, "phase1_encryption_algorithms has 3DES"),
        ({"phase2_integrity_algorithms": ["MD5"]}, "phase2_integrity_algorithms has MD5"),
        ({"phase1_dh_group_numbers": [5]}, "phase1_dh_group_numbers has 5"),
        ({"phase2_dh_group_numbers": [1]}, "phase2_dh_group_numbers has 1"),
        ({"phase1_dh_group_numbers": []}, "phase1_dh_group_numbers is empty"),
        ({"phase1_lifetime_seconds": 899}, "phase1_lifetime_seconds=899 is out of range"),
        ({"phase1_lifetime_seconds": 28801}, "phase1_lifetime_seconds=28801 is out of range"),
        ({"phase2_lifetime_seconds": 3601}, "phase2_lifetime_seconds=3601 is out of range"),
        (
            {"phase1_lifetime_seconds": 1000, "phase2_lifetime_seconds": 1000},
            "phase2_lifetime_seconds must be less than phase1_lifetime_seconds",
        ),
        ({"rekey_margin_time_seconds": 59}, "rekey_margin_time_seconds=59 is out of range"),
        (
            {"phase2_lifetime_seconds": 1000, "rekey_margin_time_seconds": 501},
            "use a value from 60 to 500",
        ),
        ({"rekey_fuzz_percentage": 101}, "rekey_fuzz_percentage=101 is out of range"),
        ({"replay_window_size": 32}, "replay_window_size=32 is out of range"),
        ({"dpd_timeout_seconds": 29}, "dpd_timeout_seconds=29 is out of range"),
        ({"dpd_timeout_action": "drop"}, "dpd_timeout_action=drop is invalid"),
        ({"startup_action": "now"}, "startup_action=now is invalid"),
    ],
)
def test_validate_tunnel_options_rejects(tunnel: dict[str, Any], message: str) -> None:
    errors = _aws_vpn.validate_tunnel_options([tunnel])
    assert any(message in e for e in errors), errors
    assert all(e.startswith("tunnel_options[0].") for e in errors)


def test_validate_tunnel_options_accepts_the_reference_topology() -> None:
    tunnel = {
        "inside_cidr": "169.254.6.0/30",
        "pre_shared_key": "Abc.def_123",
        "ike_versions": ["ikev2"],
        "phase1_encryption_algorithms": ["AES256-GCM-16"],
        "phase1_integrity_algorithms": ["SHA2-512"],
        "phase1_dh_group_numbers": [24],
        "phase2_dh_group_numbers": [5],
        "phase1_lifetime_seconds": 28800,
        "phase2_lifetime_seconds": 3600,
        "rekey_margin_time_seconds": 1800,
        "dpd_timeout_seconds": 30,
        "dpd_timeout_action": "restart",
        "startup_action": "start",
    }
    assert _aws_vpn.validate_tunnel_options([tunnel, {"inside_cidr": "169.254.6.4/30"}]) == []


def test_validate_tunnel_options_counts_and_duplicates() -> None:
    three = [{"inside_cidr": f"169.254.7.{i * 4}/30"} for i in range(3)]
    assert any("has 3 entries" in e for e in _aws_vpn.validate_tunnel_options(three))
    same = [{"inside_cidr": "169.254.7.0/30"}, {"inside_cidr": "169.254.7.0/30"}]
    assert any("must differ" in e for e in _aws_vpn.validate_tunnel_options(same))


@pytest.mark.parametrize(
    ("vgw", "tgw", "word"),
    [("vgw-1", "tgw-1", "both"), (None, None, "neither")],
)
def test_validate_gateway_xor(vgw: str | None, tgw: str | None, word: str) -> None:
    params = {"state": "present", "customer_gateway_id": "cgw-1", "vpn_gateway_id": vgw}
    params["transit_gateway_id"] = tgw
    errors = _aws_vpn.validate(params)
    assert errors == [f"give exactly one of vpn_gateway_id and transit_gateway_id ({word} given)"]


def _described(**overrides: Any) -> dict[str, Any]:
    """A DescribeVpnConnections TunnelOption as AWS returns it."""
    option = {
        "OutsideIpAddress": "198.51.100.1",
        "TunnelInsideCidr": "169.254.10.0/30",
        "PreSharedKey": "Old.key_123",
        "IkeVersions": [{"Value": "ikev1"}, {"Value": "ikev2"}],
        "Phase1DHGroupNumbers": [{"Value": 2}, {"Value": 14}],
        "Phase1EncryptionAlgorithms": [{"Value": "AES128"}, {"Value": "AES256"}],
        "DpdTimeoutSeconds": 30,
        "DpdTimeoutAction": "clear",
        "StartupAction": "add",
    }
    option.update(overrides)
    return option


@pytest.mark.parametrize(
    ("wanted", "drift"),
    [
        ({}, []),
        ({"inside_cidr": "169.254.10.0/30"}, []),
        ({"ike_versions": ["ikev2", "ikev1"]}, []),  # sets, not lists
        ({"ike_versions": ["ikev2"]}, ["ike_versions"]),
        ({"phase1_dh_group_numbers": [14, 2]}, []),
        ({"phase1_dh_group_numbers": [20]}, ["phase1_dh_group_numbers"]),
        ({"phase2_dh_group_numbers": [20]}, ["phase2_dh_group_numbers"]),  # absent in actual
        ({"pre_shared_key": "Old.key_123"}, []),
        ({"pre_shared_key": "New.key_456"}, ["pre_shared_key"]),
        (
            {"dpd_timeout_seconds": 40, "startup_action": "start"},
            ["dpd_timeout_seconds", "startup_action"],
        ),
        ({"dpd_timeout_action": None, "startup_action": "add"}, []),  # None = leave alone
    ],
)
def test_tunnel_drift(wanted: dict[str, Any], drift: list[str]) -> None:
    actual = _aws_vpn.actual_tunnel(_described())
    assert _aws_vpn.tunnel_drift(wanted, actual) == drift


def _connection(**overrides: Any) -> dict[str, Any]:
    connection = {
        "VpnConnectionId": "vpn-1",
        "State": "available",
        "CustomerGatewayId": "cgw-1",
        "VpnGatewayId": "vgw-1",
        "Options": {
            "StaticRoutesOnly": False,
            "TunnelOptions": [
                _described(),
                _described(OutsideIpAddress="198.51.100.2", TunnelInsideCidr="169.254.10.4/30"),
            ],
        },
        "VgwTelemetry": [
            {"OutsideIpAddress": "198.51.100.2", "Status": "DOWN", "AcceptedRouteCount": 0},
            {"OutsideIpAddress": "198.51.100.1", "Status": "UP", "AcceptedRouteCount": 3},
        ],
        "Tags": [
            {"Key": "crosscluster.link/managed", "Value": "true"},
            {"Key": "crosscluster.link/name", "Value": "link"},
            {"Key": "Name", "Value": "link"},
        ],
    }
    connection.update(overrides)
    return connection


def _reversed(connection: dict[str, Any]) -> dict[str, Any]:
    """The same connection with Options.TunnelOptions in the other order (AWS documents none)."""
    options = connection["Options"]
    return {**connection, "Options": {**options, "TunnelOptions": options["TunnelOptions"][::-1]}}


@pytest.mark.parametrize("order", ["as created", "reversed"])
def test_plan_tunnels_pairs_by_inside_cidr_not_position(order: str) -> None:
    connection = _connection() if order == "as created" else _reversed(_connection())
    wanted = [
        {"inside_cidr": "169.254.10.4/30", "ike_versions": ["ikev2"]},  # AWS's .2 tunnel
        {"inside_cidr": "169.254.10.0/30", "ike_versions": ["ikev1", "ikev2"]},  # .1, no drift
    ]
    assert _aws_vpn.plan_tunnels(connection, wanted) == [
        ("198.51.100.2", wanted[0], ["ike_versions"])
    ]


@pytest.mark.parametrize("order", ["as created", "reversed"])
def test_plan_tunnels_without_inside_cidr_pairs_with_the_fewest_changes(order: str) -> None:
    second = _described(
        OutsideIpAddress="198.51.100.2",
        TunnelInsideCidr="169.254.10.4/30",
        Phase1DHGroupNumbers=[{"Value": 20}],
    )
    connection = _connection(Options={"TunnelOptions": [_described(), second]})
    if order == "reversed":
        connection = _reversed(connection)
    # Already true of the .2 tunnel: nothing to modify, whichever order AWS reports.
    assert _aws_vpn.plan_tunnels(connection, [{"phase1_dh_group_numbers": [20]}]) == []
    # Two tunnels, neither matching: ties go by outside IP, stable across Describe calls.
    wanted = [{"phase1_dh_group_numbers": [21]}, {"phase1_dh_group_numbers": [22]}]
    assert [ip for ip, _t, _d in _aws_vpn.plan_tunnels(connection, wanted)] == [
        "198.51.100.1",
        "198.51.100.2",
    ]


def test_plan_tunnels_new_inside_cidr_takes_the_unpaired_tunnel() -> None:
    wanted = [
        {"inside_cidr": "169.254.10.4/30"},
        {"inside_cidr": "169.254.99.0/30"},  # replaces 169.254.10.0/30 in place
    ]
    assert _aws_vpn.plan_tunnels(_reversed(_connection()), wanted) == [
        ("198.51.100.1", wanted[1], ["inside_cidr"])
    ]


def test_tunnels_follow_tunnel_options_order() -> None:
    wanted = [{"inside_cidr": "169.254.10.4/30"}, {"inside_cidr": "169.254.10.0/30"}]
    for connection in (_connection(), _reversed(_connection())):
        ordered = _aws_vpn.in_tunnel_order(connection, wanted)
        tunnels = _aws_vpn.tunnels(ordered, 64512)
        assert [t["inside_cidr"] for t in tunnels] == ["169.254.10.4/30", "169.254.10.0/30"]
        # Without wanted tunnels (the info module): by outside IP.
        plain = _aws_vpn.tunnels(_aws_vpn.in_tunnel_order(connection), 64512)
        assert [t["outside_ip"] for t in plain] == ["198.51.100.1", "198.51.100.2"]


def test_tunnels_output_per_tunnel() -> None:
    tunnels = _aws_vpn.tunnels(_connection(), 64512)
    assert [t["outside_ip"] for t in tunnels] == ["198.51.100.1", "198.51.100.2"]
    assert tunnels[0]["aws_inside_address"] == "169.254.10.1"
    assert tunnels[0]["customer_inside_address"] == "169.254.10.2"
    assert tunnels[1]["aws_inside_address"] == "169.254.10.5"
    assert [t["status"] for t in tunnels] == ["UP", "DOWN"]
    assert tunnels[0]["aws_asn"] == 64512
    assert tunnels[0]["options"]["pre_shared_key"] == "********"
    assert "Old.key_123" not in repr(tunnels)


def _params(**overrides: Any) -> dict[str, Any]:
    params = {
        "name": "link",
        "state": "present",
        "customer_gateway_id": "cgw-1",
        "vpn_gateway_id": "vgw-1",
        "transit_gateway_id": None,
        "static_routes_only": False,
        "tunnel_options": None,
        "tags": None,
        "purge_tags": False,
        "replace": False,
        "wait": False,
        "wait_timeout": 600,
        "delete_timeout": 900,
    }
    params.update(overrides)
    return params


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits' sleeps, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr(_aws_vpn, "_sleep", recorded.append)
    return recorded


def _script(states: dict[str, list[Any]], log: list[str]) -> Any:
    """A ``call`` double: each Describe of a connection answers the next of its ``states``
    (a state name, or None for InvalidVpnConnectionID.NotFound; the last one repeats), every
    call is logged as 'operation' or 'operation:id'."""

    def call(client: Any, operation: str, **kwargs: Any) -> dict[str, Any]:
        connection_id = (kwargs.get("VpnConnectionIds") or [kwargs.get("VpnConnectionId")])[0]
        log.append(f"{operation}:{connection_id}" if connection_id else operation)
        if operation == "describe_vpn_connections":
            pending = states[connection_id]
            state = pending.pop(0) if len(pending) > 1 else pending[0]
            if state is None:
                raise AwsError("InvalidVpnConnectionID.NotFound", "does not exist")
            return {"VpnConnections": [_connection(VpnConnectionId=connection_id, State=state)]}
        if operation == "create_vpn_connection":
            return {"VpnConnection": _connection(VpnConnectionId="vpn-2", State="pending")}
        return {}

    return call


@pytest.fixture
def api():
    """The wrapper functions of _aws_vpn, mocked: no network."""
    with (
        mock.patch.object(_aws_vpn, "call") as call,
        mock.patch.object(_aws_vpn, "call_all") as call_all,
        mock.patch.object(_aws, "apply_tags") as apply_tags,
        mock.patch.object(_aws_vpn, "gateway_asn", return_value=64512),
    ):
        yield call, call_all, apply_tags


def test_ensure_modifies_drifted_tunnel_in_place(api) -> None:
    call, call_all, _unused = api
    call_all.return_value = [_connection()]
    call.return_value = {"VpnConnections": [_connection()]}
    tunnel = {"pre_shared_key": "New.key_456", "phase1_dh_group_numbers": [20]}
    result = _aws_vpn.ensure(mock.Mock(), _params(tunnel_options=[tunnel]), check_mode=False)
    assert result["changed"]
    modify = [c for c in call.call_args_list if c.args[1] == "modify_vpn_tunnel_options"]
    assert len(modify) == 1
    assert modify[0].kwargs["VpnTunnelOutsideIpAddress"] == "198.51.100.1"
    assert modify[0].kwargs["TunnelOptions"] == {
        "PreSharedKey": "New.key_456",
        "Phase1DHGroupNumbers": [{"Value": 20}],
    }
    assert not any(
        c.args[1] in ("delete_vpn_connection", "create_vpn_connection") for c in call.call_args_list
    )
    after = result["after"]["tunnel_options"][0]
    assert after["pre_shared_key"] == "******** (changed)"
    assert "New.key_456" not in repr(result) and "Old.key_123" not in repr(result)


def test_ensure_check_mode_makes_no_mutating_call(api) -> None:
    call, call_all, apply_tags = api
    call_all.return_value = [_connection()]
    tunnel = {"phase1_dh_group_numbers": [20]}
    result = _aws_vpn.ensure(mock.Mock(), _params(tunnel_options=[tunnel]), check_mode=True)
    assert result["changed"]
    assert [c.args[1] for c in call.call_args_list] == []
    apply_tags.assert_not_called()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"static_routes_only": True}, "static_routes_only: False -> True"),
        ({"customer_gateway_id": "cgw-2"}, "customer_gateway_id: cgw-1 -> cgw-2"),
        (
            {"vpn_gateway_id": None, "transit_gateway_id": "tgw-1"},
            "transit_gateway_id: None -> tgw-1",
        ),
    ],
)
def test_ensure_refuses_replacement_without_replace(api, overrides, reason) -> None:
    call, call_all, _unused = api
    call_all.return_value = [_connection()]
    with pytest.raises(AwsError) as raised:
        _aws_vpn.ensure(mock.Mock(), _params(**overrides), check_mode=False)
    assert raised.value.code == "ReplacementRequired"
    assert reason in raised.value.message and "replace: true" in raised.value.message
    call.assert_not_called()


def test_ensure_replaces_with_replace(api) -> None:
    call, call_all, _unused = api
    call_all.return_value = [_connection()]
    new = _connection(VpnConnectionId="vpn-2", Options={"StaticRoutesOnly": True})
    call.side_effect = lambda client, op, **kw: {
        "create_vpn_connection": {"VpnConnection": new},
        "describe_vpn_connections": {"VpnConnections": [new]},
    }.get(op, {})
    params = _params(static_routes_only=True, replace=True, delete_timeout=0)
    result = _aws_vpn.ensure(mock.Mock(), params, check_mode=False)
    ops = [c.args[1] for c in call.call_args_list]
    assert ops[:2] == ["delete_vpn_connection", "create_vpn_connection"]
    assert result["vpn_connection"]["vpn_connection_id"] == "vpn-2"


def test_wait_available_times_out_with_advice() -> None:
    clock = iter([0.0, 0.0, 100.0])
    with (
        mock.patch.object(
            _aws_vpn, "call", return_value={"VpnConnections": [{"State": "pending"}]}
        ),
        pytest.raises(AwsError, match="raise wait_timeout"),
    ):
        _aws_vpn.wait_available(
            mock.Mock(), "vpn-1", 50, sleep=lambda s: None, clock=lambda: next(clock)
        )


def test_wait_polls_with_a_growing_interval_that_stops_at_the_deadline() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    with (
        mock.patch.object(
            _aws_vpn, "call", return_value={"VpnConnections": [{"State": "deleting"}]}
        ),
        pytest.raises(AwsError, match="after waiting 60s for 'deleted': raise delete_timeout"),
    ):
        _aws_vpn.wait_for(
            mock.Mock(), "vpn-1", "deleted", 60, "raise delete_timeout", sleep, lambda: now[0]
        )
    assert slept == [1.0, 2.0, 4.0, 8.0, 15.0, 15.0, 15.0]  # the last one ends at 60 s


@pytest.mark.parametrize(
    ("target", "states"),
    [
        ("available", [None, "pending", "available"]),  # a fresh id is NotFound for a while
        ("deleted", ["deleting", "deleting", None]),  # gone counts as deleted
        ("deleted", ["deleting", "deleted"]),
    ],
)
def test_wait_for_reaches_target(target: str, states: list[Any], sleeps: list[float]) -> None:
    log: list[str] = []
    count = len(states)
    with mock.patch.object(_aws_vpn, "call", side_effect=_script({"vpn-1": states}, log)):
        found = _aws_vpn.wait_for(mock.Mock(), "vpn-1", target, 600, "advice")
    assert found["State"] == target
    assert len(log) == count and sleeps == [1.0, 2.0][: count - 1]


def test_wait_available_gives_up_on_a_deleting_connection(sleeps: list[float]) -> None:
    with (
        mock.patch.object(_aws_vpn, "call", side_effect=_script({"vpn-1": ["deleting"]}, [])),
        pytest.raises(AwsError, match="is deleting: it will not become available"),
    ):
        _aws_vpn.wait_available(mock.Mock(), "vpn-1", 600)
    assert sleeps == []


def test_absent_waits_until_deleted(api, sleeps) -> None:
    """The role deletes the customer gateways and the VGW next: they are in use until then."""
    call, call_all, _unused = api
    call_all.return_value = [_connection()]
    log: list[str] = []
    call.side_effect = _script({"vpn-1": ["deleting", "deleting", "deleted"]}, log)
    result = _aws_vpn.ensure(mock.Mock(), _params(state="absent"), check_mode=False)
    assert result["changed"] and result["after"] == {}
    assert log == ["delete_vpn_connection:vpn-1"] + ["describe_vpn_connections:vpn-1"] * 3
    assert sleeps == [1.0, 2.0]
    states = call_all.call_args.kwargs["Filters"][-1]["Values"]
    assert states == ["pending", "available", "modifying", "deleting"]


def test_absent_waits_for_a_connection_an_earlier_run_left_deleting(api, sleeps) -> None:
    call, call_all, _unused = api
    call_all.return_value = [_connection(State="deleting")]
    log: list[str] = []
    call.side_effect = _script({"vpn-1": ["deleting", None]}, log)
    result = _aws_vpn.ensure(mock.Mock(), _params(state="absent"), check_mode=False)
    assert not result["changed"]
    assert log == ["describe_vpn_connections:vpn-1"] * 2


@pytest.mark.parametrize("check_mode", [True, False])
def test_absent_without_waiting(api, sleeps, check_mode: bool) -> None:
    """delete_timeout 0 returns once AWS accepted the deletion; check mode calls nothing."""
    call, call_all, _unused = api
    call_all.return_value = [_connection()]
    log: list[str] = []
    call.side_effect = _script({"vpn-1": ["deleting"]}, log)
    params = _params(state="absent", delete_timeout=0)
    assert _aws_vpn.ensure(mock.Mock(), params, check_mode=check_mode)["changed"]
    assert log == ([] if check_mode else ["delete_vpn_connection:vpn-1"])


def test_absent_times_out_naming_delete_timeout(api) -> None:
    call, call_all, _unused = api
    call_all.return_value = [_connection()]
    call.side_effect = _script({"vpn-1": ["deleting"]}, [])
    clock = iter([0.0, 0.0, 901.0])
    with (
        mock.patch.object(_aws_vpn, "_clock", lambda: next(clock)),
        mock.patch.object(_aws_vpn, "_sleep"),
        pytest.raises(AwsError, match="raise delete_timeout") as raised,
    ):
        _aws_vpn.ensure(mock.Mock(), _params(state="absent"), check_mode=False)
    assert raised.value.code == "WaitTimeout"


def test_replace_waits_for_the_old_connection_before_creating(api, sleeps) -> None:
    """The new connection reuses the inside CIDRs, taken until the old one is deleted."""
    call, call_all, _unused = api
    call_all.return_value = [_connection()]
    log: list[str] = []
    call.side_effect = _script({"vpn-1": ["deleting", "deleted"], "vpn-2": ["pending"]}, log)
    params = _params(static_routes_only=True, replace=True)
    result = _aws_vpn.ensure(mock.Mock(), params, check_mode=False)
    assert log == [
        "delete_vpn_connection:vpn-1",
        "describe_vpn_connections:vpn-1",
        "describe_vpn_connections:vpn-1",
        "create_vpn_connection",
        "describe_vpn_connections:vpn-2",
    ]
    assert result["vpn_connection"]["vpn_connection_id"] == "vpn-2"


@pytest.mark.parametrize("state", ["available", "modifying"])
def test_each_tunnel_modification_waits_for_available(api, sleeps, state: str) -> None:
    """AWS modifies one tunnel at a time: the connection is modifying until it is done."""
    call, call_all, _unused = api
    call_all.return_value = [_reversed(_connection(State=state))]
    log: list[str] = []
    describes = ["modifying", "available"] if state == "modifying" else []
    call.side_effect = _script({"vpn-1": [*describes, "modifying", "available", "modifying"]}, log)
    wanted = [
        {"inside_cidr": "169.254.10.0/30", "phase1_dh_group_numbers": [20]},
        {"inside_cidr": "169.254.10.4/30", "phase1_dh_group_numbers": [21]},
    ]
    result = _aws_vpn.ensure(mock.Mock(), _params(tunnel_options=wanted), check_mode=False)
    modify, wait = "modify_vpn_tunnel_options:vpn-1", "describe_vpn_connections:vpn-1"
    first_wait = [wait, wait] if state == "modifying" else []
    assert log == [*first_wait, modify, wait, wait, modify, wait]
    outside = [
        c.kwargs["VpnTunnelOutsideIpAddress"]
        for c in call.call_args_list
        if c.args[1] == "modify_vpn_tunnel_options"
    ]
    assert outside == ["198.51.100.1", "198.51.100.2"]
    # The result and the diff list the tunnels in tunnel_options order, whatever AWS's order.
    assert [t["inside_cidr"] for t in result["vpn_connection"]["tunnels"]] == [
        "169.254.10.0/30",
        "169.254.10.4/30",
    ]
    assert [t["phase1_dh_group_numbers"] for t in result["after"]["tunnel_options"]] == [
        [20],
        [21],
    ]
    assert [t["inside_cidr"] for t in result["before"]["tunnel_options"]] == [
        "169.254.10.0/30",
        "169.254.10.4/30",
    ]


# -- eventual consistency: NotFound right after a create ("Eventual consistency in the Amazon
# EC2 API"), through the real call() and its retry loop, on a scripted client.


class _EventualEc2:
    """A client whose fresh ids answer NotFound ``hidden`` times first, as EC2 may right
    after a create; every call is logged as (operation, params)."""

    def __init__(self, hidden: int, existing: list[dict[str, Any]] | None = None) -> None:
        self.hidden = {"cgw-1": hidden, "vpn-2": hidden}
        self.existing = existing or []
        self.log: list[tuple[str, dict[str, Any]]] = []

    def _not_yet(self, resource_id: str, code: str, operation: str) -> None:
        if self.hidden.get(resource_id, 0) > 0:
            self.hidden[resource_id] -= 1
            raise ClientError(
                {"Error": {"Code": code, "Message": f"'{resource_id}' does not exist"}},
                operation,
            )

    def create_vpn_connection(self, **params: Any) -> dict[str, Any]:
        self.log.append(("create_vpn_connection", params))
        code = "InvalidCustomerGatewayID.NotFound"
        self._not_yet(params["CustomerGatewayId"], code, "CreateVpnConnection")
        return {"VpnConnection": _connection(VpnConnectionId="vpn-2", State="pending")}

    def describe_vpn_connections(self, **params: Any) -> dict[str, Any]:
        self.log.append(("describe_vpn_connections", params))
        if "Filters" in params:
            return {"VpnConnections": self.existing}
        connection_id = params["VpnConnectionIds"][0]
        code = "InvalidVpnConnectionID.NotFound"
        self._not_yet(connection_id, code, "DescribeVpnConnections")
        if connection_id == "vpn-2":
            return {"VpnConnections": [_connection(VpnConnectionId="vpn-2")]}
        raise ClientError({"Error": {"Code": code, "Message": "gone"}}, "DescribeVpnConnections")

    def describe_vpn_gateways(self, **params: Any) -> dict[str, Any]:
        self.log.append(("describe_vpn_gateways", params))
        return {"VpnGateways": [{"VpnGatewayId": "vgw-1", "AmazonSideAsn": 64512}]}

    def delete_vpn_connection(self, **params: Any) -> dict[str, Any]:
        self.log.append(("delete_vpn_connection", params))
        return {}

    def operations(self) -> list[str]:
        return [operation for operation, _params in self.log]


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """call()'s backoff delays are 0 (its retry loop still runs)."""
    from ansible_collections.crosscluster.link.plugins.module_utils import _retry

    monkeypatch.setattr(_retry.random, "uniform", lambda low, high: 0.0)


def test_create_retries_notfound_of_fresh_gateways_and_of_the_new_connection(no_backoff) -> None:
    ec2 = _EventualEc2(hidden=2)
    result = _aws_vpn.ensure(ec2, _params(), check_mode=False)
    assert result["changed"]
    assert result["vpn_connection"]["vpn_connection_id"] == "vpn-2"
    assert result["vpn_connection"]["state"] == "available"  # the Describe, not the create
    assert ec2.operations() == [
        "describe_vpn_connections",  # find by name (filters)
        *["create_vpn_connection"] * 3,  # cgw-1 not found twice
        *["describe_vpn_connections"] * 3,  # vpn-2 not found twice
        "describe_vpn_gateways",
    ]


def test_create_reports_a_lasting_notfound_with_the_api_error(no_backoff) -> None:
    ec2 = _EventualEc2(hidden=100)
    with pytest.raises(AwsError) as raised:
        _aws_vpn.ensure(ec2, _params(), check_mode=False)
    assert raised.value.code == "InvalidCustomerGatewayID.NotFound"
    assert ec2.operations().count("create_vpn_connection") == 8  # bounded by the retry loop


def test_absent_of_a_missing_connection_is_quick(no_backoff) -> None:
    ec2 = _EventualEc2(hidden=0)
    result = _aws_vpn.ensure(ec2, _params(state="absent"), check_mode=False)
    assert not result["changed"]
    assert ec2.operations() == ["describe_vpn_connections"]


def test_wait_for_deleted_takes_notfound_as_deleted_at_once(no_backoff, sleeps) -> None:
    """NotFound while waiting for ``deleted`` is the answer (gone), never retried."""
    ec2 = _EventualEc2(hidden=0, existing=[_connection()])
    result = _aws_vpn.ensure(ec2, _params(state="absent"), check_mode=False)
    assert result["changed"]
    assert ec2.operations() == [
        "describe_vpn_connections",
        "delete_vpn_connection",
        "describe_vpn_connections",  # vpn-1: NotFound = deleted, no retry
    ]
    assert sleeps == []
