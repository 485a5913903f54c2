from __future__ import annotations

import pytest
from ansible_collections.crosscluster.link.plugins.filter.pod_problems import pod_problems


def pod(name, statuses=None, phase="Pending"):
    status = {"phase": phase}
    if statuses is not None:
        status["containerStatuses"] = statuses
    return {"metadata": {"name": name}, "status": status}


@pytest.mark.parametrize(
    ("pods", "expected"),
    [
        ([pod("p", [{"name": "c", "ready": True}], "Running")], []),
        ([pod("p")], ["p: Pending"]),
        (
            [
                pod(
                    "p",
                    [
                        {
                            "name": "c",
                            "ready": False,
                            "state": {"waiting": {"reason": "ContainerCreating"}},
                        }
                    ],
                )
            ],
            ["p/c: ContainerCreating"],
        ),
        (
            [
                pod(
                    "p",
                    [
                        {
                            "name": "coredns",
                            "ready": False,
                            "state": {
                                "waiting": {"reason": "CrashLoopBackOff", "message": "back-off 10s"}
                            },
                        }
                    ],
                )
            ],
            ["p/coredns: CrashLoopBackOff: back-off 10s"],
        ),
        (
            [
                pod(
                    "p",
                    [
                        {
                            "name": "c",
                            "ready": False,
                            "state": {"running": {}},
                            "lastState": {"terminated": {"reason": "Error", "message": "boom"}},
                        }
                    ],
                )
            ],
            ["p/c: Error: boom"],
        ),
        ([pod("a"), pod("a")], ["a: Pending"]),
    ],
)
def test_pod_problems(pods, expected):
    assert pod_problems(pods) == expected
