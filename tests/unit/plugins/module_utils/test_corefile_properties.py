"""Property tests (hypothesis) for the Corefile editor's round trips.

The generator writes valid Corefiles the way people do: several server blocks with one or
more keys (``zone``, ``zone:port``, ``dns://zone``, ``.``), snippets, top-level imports,
nested blocks, quoted strings with escapes, placeholders, comments, blank lines, trailing
blanks, tabs or spaces, LF or CRLF, with or without a final newline.
"""

from __future__ import annotations

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils._corefile import (
    CorefileError,
    corefile_zone,
    managed_zones,
    parse,
    served_zones,
    zones_in,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

LABELS = ["example", "corp", "local", "a", "b-1", "cluster", "remote", "svc"]
label = st.sampled_from(LABELS)
dns_name = st.lists(label, min_size=1, max_size=3).map(".".join)
zone_strategy = st.one_of(
    dns_name,
    st.sampled_from(["remote.local", "a.local", "svc.cluster.local", "cluster.local"]),
)
blank = st.text(alphabet=" \t", max_size=3)
word = st.one_of(
    st.from_regex(r"[a-z0-9./:_*-]{1,10}", fullmatch=True),
    st.sampled_from(["{$CACHE}", "{%WIN%}", "{remote}", "10.0.0.1:53", "in-addr.arpa"]),
)
comment_text = st.text(alphabet="abc XYZ{}\"'#:;.\t", max_size=20).map(lambda s: "#" + s)


@st.composite
def quoted(draw: st.DrawFn, nl: str) -> str:
    parts = draw(
        st.lists(st.sampled_from(["a", " ", "{", "}", "#", '\\"', "\\n", "b c", nl]), max_size=6)
    )
    inner = "".join(parts)
    if inner.strip() in ("{", "}"):  # CoreDNS treats a quoted lone brace as a brace
        inner += "x"
    return '"' + inner + '"'


@st.composite
def key(draw: st.DrawFn) -> str:
    name = draw(st.one_of(st.just("."), dns_name))
    if name != "." and draw(st.booleans()):
        name = name.upper() if draw(st.booleans()) else name + "."
    scheme = draw(st.sampled_from(["", "", "dns://"]))
    port = draw(st.sampled_from(["", "", ":53", ":5353"]))
    return scheme + name + port


@st.composite
def directive(draw: st.DrawFn, nl: str, unit: str, depth: int) -> str:
    name = draw(st.sampled_from(["errors", "cache", "forward", "log", "whoami", "kubernetes"]))
    args = draw(st.lists(st.one_of(word, quoted(nl)), max_size=3))
    if name == "kubernetes":
        args = ["cluster.local", *args]
    line = unit * depth + " ".join([name, *args]) + draw(blank)
    if depth < 3 and draw(st.integers(0, 4)) == 0:
        children = draw(st.lists(directive(nl, unit, depth + 1), min_size=0, max_size=3))
        line += " {" + "".join(nl + c for c in children) + nl + unit * depth + "}"
    if draw(st.integers(0, 5)) == 0:
        line += " " + draw(comment_text)
    return line


@st.composite
def top_item(draw: st.DrawFn, nl: str, unit: str) -> str:
    kind = draw(st.sampled_from(["block", "block", "block", "snippet", "comment", "blank", "imp"]))
    if kind == "comment":
        return draw(blank) + draw(comment_text)
    if kind == "blank":
        return draw(blank)
    if kind == "imp":
        return "import " + draw(st.sampled_from(["/etc/coredns/custom/*.server", "common"]))
    if kind == "snippet":
        keys = "(" + draw(label) + ")"
    else:
        sep = draw(st.sampled_from([" ", ", ", "," + nl + "  "]))
        keys = sep.join(draw(st.lists(key(), min_size=1, max_size=3)))
    lines = draw(st.lists(directive(nl, unit, 1), max_size=4))
    body = "".join(nl + line for line in lines)
    return keys + draw(st.sampled_from([" {", "  {", "\t{"])) + body + nl + "}" + draw(blank)


@st.composite
def corefile(draw: st.DrawFn) -> str:
    nl = draw(st.sampled_from(["\n", "\r\n"]))
    unit = draw(st.sampled_from(["    ", "\t", "  "]))
    items = draw(st.lists(top_item(nl, unit), max_size=5))
    text = nl.join(items)
    ending = draw(st.sampled_from(["", nl, nl + nl, " " + "# no newline"]))
    return text + ending if text or ending.strip() else text


body_line = st.one_of(
    st.sampled_from(["errors", "cache 30", "forward . 10.96.0.53", "log", "reload"]),
    st.builds(lambda w: f"forward . {w}", word),
)


@st.composite
def body(draw: st.DrawFn) -> list[str]:
    lines = draw(st.lists(body_line, min_size=1, max_size=4))
    if draw(st.booleans()):
        lines += ["kubernetai remote.local {", "kubeconfig /etc/k/config", "fallthrough", "}"]
    return lines


def conflicts(text: str, zone: str) -> bool:
    """The spec: a foreign block for the zone, or a kubernetes zone at or above it."""
    if zone in zones_in(text):
        return True
    return any(zone == z or zone.endswith("." + z) for z, _line in served_zones(text) if z != ".")


SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(corefile())
def test_generator_writes_valid_corefiles(text: str) -> None:
    parse(text)  # the generator itself must only produce Corefiles CoreDNS accepts


@SETTINGS
@given(corefile(), zone_strategy, body(), body())
def test_round_trips(text: str, zone: str, b: list[str], c: list[str]) -> None:
    if conflicts(text, zone):
        with pytest.raises(CorefileError, match=zone.replace(".", r"\.")):
            corefile_zone(text, zone, b)
        return
    added = corefile_zone(text, zone, b)
    # other bytes untouched: the original is a prefix, the rest is one managed block
    assert added.startswith(text)
    assert managed_zones(added) == [zone]
    assert zones_in(added).count(zone) == 1
    assert (
        sum(
            zone in [k.lower().rstrip(".") for k in blk.keys]
            or any(k.lower().startswith(zone + ":") for k in blk.keys)
            for blk in parse(added).blocks
        )
        == 1
    )
    assert corefile_zone(added, zone, state="absent") == text
    assert corefile_zone(added, zone, b) == added
    assert corefile_zone(added, zone, c) == corefile_zone(text, zone, c)
    # the line-ending style of the file is kept for what was added
    if "\r\n" in text:
        assert "\n" not in added[len(text) :].replace("\r\n", "")


@SETTINGS
@given(corefile(), body(), body())
def test_two_zones_are_independent(text: str, b: list[str], c: list[str]) -> None:
    one, two = "remote-one.example", "remote-two.example"
    if conflicts(text, one) or conflicts(text, two):
        return
    both = corefile_zone(corefile_zone(text, one, b), two, c)
    assert managed_zones(both) == [one, two]
    assert corefile_zone(both, one, state="absent") == corefile_zone(text, two, c)
    assert corefile_zone(corefile_zone(both, two, state="absent"), one, state="absent") == text
    assert corefile_zone(both, one, c) == corefile_zone(corefile_zone(text, one, c), two, c)
