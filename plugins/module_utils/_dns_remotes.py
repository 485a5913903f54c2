# Copyright: crosscluster.link contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether a resolver serves each remote zone, judged from the resolver's own metrics.

A Ready resolver pod says nothing about its remotes: the ready plugin asks only the plugins
of its own server block (coredns.io/plugins/ready), and a remote zone's kubernetes plugin
keeps answering from whatever it listed before. What does say it is the plugin's client-go
request counter, ``coredns_kubernetes_rest_client_requests_total{code, method, host}``
(CoreDNS plugin/kubernetes/metrics.go): one series per remote API host and status code, the
code ``<error>`` when no HTTP answer came back (client-go rest/request.go). A remote is
served when its host has answered 2xx and no error count grew while we watched; 401, 403
and ``<error>`` name the cause. 429 and 5xx are transient: client-go retries them (a
Retry-After answer up to 10 times, rest/with_retry.go, and the reflector re-lists with
back-off), so they fail a remote only while no 2xx answer follows them. Pure code: the
module reads the pods and their metrics (pods/proxy) and hands each sample to a
``Judgement``.
"""

from __future__ import annotations

import calendar
import re
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from ansible_collections.crosscluster.link.plugins.module_utils._plan import link_id

METRIC = "coredns_kubernetes_rest_client_requests_total"
_SAMPLE = re.compile(r"^" + METRIC + r"\{(?P<labels>[^}]*)\}\s+(?P<value>\S+)")
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')

# host -> status code -> requests so far
Counts = dict[str, dict[str, float]]


def parse_requests(text: str) -> Counts:
    """The request counter of a Prometheus text exposition, summed over methods."""
    counts: Counts = {}
    for line in text.splitlines():
        match = _SAMPLE.match(line)
        if not match:
            continue
        labels = dict(_LABEL.findall(match["labels"]))
        host, code = labels.get("host", ""), labels.get("code", "")
        by_code = counts.setdefault(host, {})
        by_code[code] = by_code.get(code, 0.0) + float(match["value"])
    return counts


def api_host(api_endpoint: str) -> str:
    """The host label client-go gives requests to ``api_endpoint`` (URL host[:port])."""
    return urlsplit(api_endpoint if "//" in api_endpoint else f"https://{api_endpoint}").netloc


def _cause(code: str, name: str, host: str) -> str:
    if code == "401":
        return (
            f"Unauthorized (401): {host} does not accept the token in the kubeconfig Secret "
            f"of remote {name}; re-run the link to write a fresh reader token"
        )
    if code == "403":
        return (
            f"Forbidden (403): the reader of remote {name} may not list and watch services, "
            "endpointslices and namespaces there (its ClusterRole "
            "crosscluster-link-dns-reader-<this cluster>)"
        )
    if code == "<error>":
        return (
            f"unreachable: no HTTP answer from {host} (connection refused, timeout or TLS "
            "failure); check the route and firewall to that API endpoint"
        )
    return f"HTTP {code} from {host}"


@dataclass
class RemoteState:
    name: str
    zone: str
    host: str
    served: bool
    cause: str = ""
    codes: dict[str, float] = field(default_factory=dict)
    # served for long enough that a failing retry would have shown (see Judgement)
    settled: bool = False
    # a transient error (429, 5xx) grew since the previous sample: client-go is retrying
    retrying: bool = False

    @property
    def definitive(self) -> bool:
        """A verdict that waiting will not change: served, or refused with 401/403."""
        return self.served or self.cause.startswith(("Unauthorized", "Forbidden"))


def transient(code: str) -> bool:
    """A status client-go retries: throttled (429) or a server error (5xx)."""
    return code == "429" or code.startswith("5")


def _grown(codes: dict[str, float], since: dict[str, float]) -> dict[str, float]:
    return {code: n for code, n in codes.items() if n > since.get(code, 0.0)}


def judge(
    name: str, zone: str, host: str, before: Counts, after: Counts, previous: Counts | None = None
) -> RemoteState:
    """One pod's view of one remote between its first sample ``before`` and ``after``.

    A 401, 403 or ``<error>`` that grew since ``before`` fails; a 429 or 5xx fails only when
    it grew since the ``previous`` sample and no 2xx answer grew with it (the retry has not
    succeeded yet)."""
    first, last = before.get(host, {}), after.get(host, {})
    prev = (before if previous is None else previous).get(host, {})
    errors = {code: n for code, n in last.items() if not code.startswith("2")}
    answers = {code: n for code, n in last.items() if code.startswith("2")}
    grown = {code: n for code, n in _grown(errors, first).items() if not transient(code)}
    retrying = {code: n for code, n in _grown(errors, prev).items() if transient(code)}
    if not _grown(answers, prev):
        grown.update(retrying)
    answered = sum(answers.values())
    state = RemoteState(name, zone, host, served=False, codes=dict(sorted(last.items())))
    state.retrying = bool(retrying)
    failing = grown or (errors if not answered else {})
    if failing:
        worst = max(failing, key=lambda code: failing[code])
        state.cause = _cause(worst, name, host)
    elif answered:
        state.served = True
    else:
        state.cause = f"no request to {host} yet: the resolver has not listed remote {name}"
    return state


def worst(states: list[RemoteState]) -> RemoteState:
    """A remote over every resolver pod: served only if every pod serves it, settled only
    if every pod's view is."""
    return next(
        (s for s in states if not s.served), next((s for s in states if not s.settled), states[0])
    )


def running_since(pod: dict) -> float | None:
    """Epoch seconds when the youngest container of a running pod started; None for a pod
    that is not running, has no IP yet or is terminating (it has the old configuration)."""
    status = pod.get("status") or {}
    if status.get("phase") != "Running" or not status.get("podIP"):
        return None
    if pod.get("metadata", {}).get("deletionTimestamp"):
        return None
    starts = [
        ((c.get("state") or {}).get("running") or {}).get("startedAt")
        for c in status.get("containerStatuses") or []
    ]
    if not starts or not all(starts):
        return None
    # RFC 3339 in UTC, whole seconds (metav1.Time): one second is added for the truncation
    return max(calendar.timegm(time.strptime(s, "%Y-%m-%dT%H:%M:%SZ")) for s in starts) + 1.0


class Judgement:
    """Each remote over successive samples of every resolver pod's counters.

    A pod's first sample is its baseline: an error count that grows past it fails at any
    time, a transient one (429, 5xx) only until a 2xx answer follows it. Refused (401, 403)
    is a verdict from the second sample on. Served becomes final (settled) once no new error
    showed for ``settle`` seconds, the longest gap between two client-go retries of a failing
    list or watch: that pod watched that long here since its own first sample and its last
    transient error, or the pod has run that long and its counters hold no error at all (a
    re-run then answers at once).
    """

    def __init__(self, remotes: list[tuple[str, str, str]], settle: float) -> None:
        self.remotes, self.settle = remotes, settle
        # pod -> (when first sampled, its counters then)
        self.baseline: dict[str, tuple[float, Counts]] = {}
        # pod -> its counters in the sample before this one
        self.previous: dict[str, Counts] = {}
        # (pod, host) -> since when no transient error grew (first sample or the last growth)
        self.calm: dict[tuple[str, str], float] = {}
        self.samples = 0

    def step(
        self, pods: dict[str, tuple[float, Counts]], problem: str, now: float
    ) -> list[RemoteState]:
        """Judge one sample: pod -> (running since, counters); ``problem`` names why there is
        no pod to judge when ``pods`` is empty."""
        self.samples += 1
        for pod, (_since, counts) in pods.items():
            self.baseline.setdefault(pod, (now, counts))
        states = []
        for name, zone, host in self.remotes:
            if not pods:
                states.append(RemoteState(name, zone, host, served=False, cause=problem))
                continue
            views = []
            for pod, (since, counts) in pods.items():
                seen, first = self.baseline[pod]
                previous = self.previous.get(pod, first)
                view = judge(name, zone, host, first, counts, previous)
                if view.retrying:
                    self.calm[(pod, host)] = now
                calm = self.calm.setdefault((pod, host), seen)
                clean = not any(n for code, n in view.codes.items() if not code.startswith("2"))
                watched = now > calm and now - calm >= self.settle
                view.settled = view.served and (watched or (clean and now - since >= self.settle))
                views.append(view)
            states.append(worst(views))
        self.previous.update({pod: counts for pod, (_since, counts) in pods.items()})
        return states

    def final(self, states: list[RemoteState]) -> bool:
        """Every remote settled, or refused as seen in a second sample."""
        return all(s.settled if s.served else (s.definitive and self.samples > 1) for s in states)


def as_check(cluster: str, state: RemoteState) -> dict[str, object]:
    """The verify report's check shape (playbooks/verify_link.yml)."""
    actual = "served" if state.served else state.cause
    name = f"DNS {cluster} -> zone {state.zone} of {state.name} ({state.host})"
    return {
        "link": link_id(cluster, state.name),
        "cluster": cluster,
        "name": name,
        "expected": "served",
        "actual": actual,
        "ok": state.served,
        "summary": f"{name}: expected served, got {actual}",
    }
