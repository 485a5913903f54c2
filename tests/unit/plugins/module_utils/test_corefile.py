"""Examples for module_utils/_corefile.py: real-world Corefiles of each flavour, errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from ansible_collections.crosscluster.link.plugins.module_utils._corefile import (
    CorefileError,
    corefile_zone,
    directives_in,
    key_zone,
    managed_zones,
    normalize_zone,
    parse,
    served_zones,
    zones_in,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "corefiles"
FILES = sorted(p.name for p in FIXTURES.iterdir() if not p.name.startswith("."))
BODY = ["errors", "cache 30", "forward . 10.96.0.53"]
ZONE = "aws-euwest1.local"


def read(name: str) -> str:
    with open(FIXTURES / name, encoding="utf-8", newline="") as fh:
        text = fh.read()
    # ansible-test's line-endings check allows no CRLF file in the tree: *-crlf fixtures
    # are stored with LF and read with the CRLF endings they stand for.
    return text.replace("\n", "\r\n") if "-crlf" in name else text


def test_every_flavour_has_a_fixture() -> None:
    for name in ("kubeadm", "eks", "rke2", "k3s", "aks", "docs-snippets", "tabs-crlf"):
        assert f"{name}.Corefile" in FILES


@pytest.mark.parametrize("name", FILES)
def test_round_trip_on_fixture(name: str) -> None:
    original = read(name)
    added = corefile_zone(original, ZONE, BODY)
    assert added.startswith(original)  # nothing before the new block changed
    assert managed_zones(added) == [ZONE]
    assert zones_in(added) == [*zones_in(original), ZONE]
    assert corefile_zone(added, ZONE, BODY) == added
    assert corefile_zone(added, ZONE, state="absent") == original
    replaced = corefile_zone(added, ZONE, ["errors", "forward . 10.96.0.54"])
    assert replaced.startswith(original)
    assert "10.96.0.54" in replaced and "10.96.0.53" not in replaced[len(original) :]
    assert corefile_zone(replaced, ZONE, state="absent") == original


@pytest.mark.parametrize("name", FILES)
def test_added_block_follows_file_style(name: str) -> None:
    original = read(name)
    added = corefile_zone(original, ZONE, ["errors", "forward . 10.0.0.1 {", "except a.b", "}"])
    tail = added[len(original) :]
    crlf = "\r\n" in original
    assert ("\r\n" in tail) == crlf
    assert "\n" not in tail.replace("\r\n", "") or not crlf
    lines = tail.replace("\r\n", "\n").strip("\n").split("\n")
    unit = "\t" if "\t" in original else "    "
    assert lines == [
        f"# crosscluster.link managed: {ZONE}",
        f"{ZONE}:53 {{",
        f"{unit}errors",
        f"{unit}forward . 10.0.0.1 {{",
        f"{unit}{unit}except a.b",
        f"{unit}}}",
        "}",
        f"# crosscluster.link end: {ZONE}",
    ]


def test_kubeadm_exact_output() -> None:
    original = read("kubeadm.Corefile")
    assert corefile_zone(original, "Remote.Local.", BODY) == original + (
        "# crosscluster.link managed: remote.local\n"
        "remote.local:53 {\n"
        "    errors\n"
        "    cache 30\n"
        "    forward . 10.96.0.53\n"
        "}\n"
        "# crosscluster.link end: remote.local\n"
    )


def test_no_final_newline_gets_separator_and_keeps_style() -> None:
    original = read("rke2.Corefile")
    assert not original.endswith("\n")
    added = corefile_zone(original, ZONE, BODY, port=None)
    assert added == original + (
        f"\n# crosscluster.link managed: {ZONE}\n{ZONE} {{\n    errors\n    cache 30\n"
        f"    forward . 10.96.0.53\n}}\n# crosscluster.link end: {ZONE}"
    )


def test_trailing_comment_without_newline_is_not_swallowed() -> None:
    original = read("multiline-quote.Corefile")
    added = corefile_zone(original, ZONE, BODY)
    assert f"newline at the end\n# crosscluster.link managed: {ZONE}" in added
    assert managed_zones(added) == [ZONE]


def test_parse_kubeadm_structure() -> None:
    cf = parse(read("kubeadm.Corefile"))
    (block,) = cf.blocks
    assert block.keys == (".:53",)
    assert block.line == 1
    kube = next(d for d in block.directives if d.name == "kubernetes")
    assert kube.args == ("cluster.local", "in-addr.arpa", "ip6.arpa")
    assert kube.line == 7
    assert [(d.name, d.args, d.line) for d in kube.block] == [
        ("pods", ("insecure",), 8),
        ("fallthrough", ("in-addr.arpa", "ip6.arpa"), 9),
        ("ttl", ("30",), 10),
    ]
    assert served_zones(read("kubeadm.Corefile"))[0] == ("cluster.local", 7)


def test_parse_docs_example() -> None:
    text = read("docs-snippets.Corefile")
    cf = parse(text)
    assert [s.keys for s in cf.snippets] == [("(common)",), ("(secure)",)]
    assert [b.keys for b in cf.blocks] == [
        ("example.org", "example.net:1053"),
        ("dns://.:5353", "dns://example.com"),
        ("tls://{$ZONE}:853",),
        ("grpc://example.io:443",),
    ]
    assert zones_in(text) == [
        "example.org",
        "example.net",
        ".",
        "example.com",
        "tls://{$ZONE}:853",
        "example.io",
    ]
    log = cf.snippets[0].directives[1]
    assert log.args == (".", '{remote} - {type} {name} "{rcode}"')
    assert directives_in(text) == {"errors", "log", "cache", "tls", "file", "forward", "hosts"} | {
        "whoami"
    }
    forward = cf.blocks[1].directives[1]
    assert forward.args == (".", "8.8.8.8:53", "9.9.9.9")
    assert [d.name for d in forward.block] == ["except", "policy"]


def test_parse_k3s_top_level_import_and_crlf_tabs() -> None:
    cf = parse(read("k3s.Corefile"))
    assert [(i.name, i.args) for i in cf.imports] == [("import", ("/etc/coredns/custom/*.server",))]
    assert cf.blocks[0].directives[-1].args == ("/etc/coredns/custom/*.override",)
    assert "import" not in directives_in(read("k3s.Corefile"))
    crlf = parse(read("tabs-crlf.Corefile"))
    assert [d.line for d in crlf.blocks[0].directives] == [2, 3, 6, 7, 12, 13, 14]
    assert crlf.blocks[0].directives[4].args == (".", "10.0.0.2")


def test_multiline_quote_and_keys_on_next_line() -> None:
    cf = parse(read("multiline-quote.Corefile"))
    template = cf.blocks[0].directives[1]
    assert template.block[0].args == ('{{ .Name }} 60 IN TXT "first line\nsecond line"',)
    assert cf.blocks[0].directives[2].line == 7  # line count goes on through the quote
    assert parse(read("keys-next-line.Corefile")).blocks[0].keys == ("example.local", "other.local")


def test_comment_inside_word_ends_with_the_word() -> None:
    # CoreDNS's lexer: '#' inside a word drops the rest of that word, not of the line.
    cf = parse(".:53 {\n    cache 30#x 40\n}\n")
    assert cf.blocks[0].directives[0].args == ("30", "40")


@pytest.mark.parametrize(
    ("key", "zone"),
    [
        ("Example.ORG.", "example.org"),
        ("dns://example.org:53", "example.org"),
        ("example.org:1053", "example.org"),
        ("tls://example.org.:853", "example.org"),
        (".:53", "."),
        ("dns://.", "."),
        (".", "."),
        ("{$ZONE}:53", "{$ZONE}:53"),
    ],
)
def test_key_zone(key: str, zone: str) -> None:
    assert key_zone(key) == zone


@pytest.mark.parametrize(
    "existing",
    [
        "aws-euwest1.local",
        "AWS-EUWEST1.LOCAL.",
        "dns://aws-euwest1.local:53",
        "aws-euwest1.local:5353",
        "other.local aws-euwest1.local:53",
        "other.local, dns://aws-euwest1.local.",
    ],
)
def test_foreign_block_for_zone_is_refused(existing: str) -> None:
    text = read("kubeadm.Corefile") + existing + " {\n    forward . 1.1.1.1\n}\n"
    with pytest.raises(CorefileError, match=r"line 24: zone aws-euwest1\.local already has") as exc:
        corefile_zone(text, "aws-euwest1.local", BODY)
    assert exc.value.zone == "aws-euwest1.local"
    assert exc.value.line == 24
    # absent never touches a block it does not manage
    assert corefile_zone(text, "aws-euwest1.local", state="absent") == text


@pytest.mark.parametrize("zone", ["cluster.local", "svc.cluster.local", "x.ip6.arpa"])
def test_zone_served_by_kubernetes_plugin_is_refused(zone: str) -> None:
    with pytest.raises(CorefileError, match=rf"line 7: zone {zone} is served by the 'kubernetes'"):
        corefile_zone(read("kubeadm.Corefile"), zone, BODY)


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (".:53 {\n    errors\n", 1, "never closed"),
        (".:53 {\n    errors\n}\n}\n", 4, "unexpected '}'"),
        ('.:53 {\n    log "oops\n}\n', 2, "unterminated quoted string"),
        (".:53 {\n    forward . 1.1.1.1 {\n        except a\n}\n", 1, "never closed"),
        (".:53 {\n    errors }\n", 2, "unexpected '}'"),
        (".:53 {\n    errors\n}\nb.local {\n  {\n}\n", 5, "unexpected '{'"),
        ("a.local,\n", 1, "end with a comma"),
        ("(snip)\n", 1, "snippet"),
        (".:53 {\r    errors\n}\n", 1, "carriage return"),
    ],
)
def test_malformed_corefile_names_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(CorefileError, match=message) as exc:
        corefile_zone(text, ZONE, BODY)
    assert exc.value.line == line
    assert str(exc.value).startswith(f"line {line}: ")


def test_braceless_single_block_cannot_take_another() -> None:
    text = ".\nwhoami\nlog\n"
    assert [d.name for d in parse(text).blocks[0].directives] == ["whoami", "log"]
    with pytest.raises(CorefileError, match=r"line 1: .*no .{ }."):
        corefile_zone(text, ZONE, BODY)


@pytest.mark.parametrize(
    ("zone", "message"),
    [
        ("", "non-empty"),
        ("   ", "non-empty"),
        (None, "non-empty"),
        (".", "not '.'"),
        ("dns://a.local", "without scheme or port"),
        ("a.local:53", "without scheme or port"),
        ("-a.local", "not a valid DNS name"),
        ("a..local", "not a valid DNS name"),
        ("a_b.local", "not a valid DNS name"),
        ("a" * 64 + ".local", "not a valid DNS name"),
        (".".join(["abcdefghi"] * 26), "not a valid DNS name"),
    ],
)
def test_bad_zone(zone: object, message: str) -> None:
    with pytest.raises(CorefileError, match=message):
        corefile_zone("", zone, BODY)  # type: ignore[arg-type]


def test_normalize_zone() -> None:
    assert normalize_zone(" Remote.Local. ") == "remote.local"
    assert normalize_zone("xn--bcher-kva.example") == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("errors", "must be a list"),
        ([], "at least one directive"),
        (["", "  "], "at least one directive"),
        (["# only a comment"], "at least one directive"),
        (["errors", 30], "line 2 must be a string"),
        (['log "unterminated'], "line 1 .*unterminated quoted string"),
        (["forward . 1.1.1.1 {"], "1 '{' unclosed"),
        (["errors", "}"], "line 2 closes"),
        (["{", "errors", "}"], "starts with '{'"),
        (["errors\ncache"], "line break"),
        (["# crosscluster.link end: aws-euwest1.local"], "marker"),
    ],
)
def test_bad_body(body: object, message: str) -> None:
    with pytest.raises(CorefileError, match=message) as exc:
        corefile_zone(read("eks.Corefile"), ZONE, body)  # type: ignore[arg-type]
    assert ZONE in str(exc.value)


def test_bad_state_and_port() -> None:
    with pytest.raises(CorefileError, match="state must be"):
        corefile_zone("", ZONE, BODY, state="gone")
    for port in (0, 65536, "53", True):
        with pytest.raises(CorefileError, match="port must be"):
            corefile_zone("", ZONE, BODY, port=port)  # type: ignore[arg-type]


def test_body_indentation_and_blank_items() -> None:
    out = corefile_zone(
        "",
        ZONE,
        ["  errors  ", "", "kubernetai aws-euwest1.local {", "  kubeconfig /k/config", "}"],
    )
    assert out == (
        f"# crosscluster.link managed: {ZONE}\n{ZONE}:53 {{\n    errors\n"
        f"    kubernetai {ZONE} {{\n        kubeconfig /k/config\n    }}\n}}\n"
        f"# crosscluster.link end: {ZONE}\n"
    )
    assert directives_in(out) == {"errors", "kubernetai"}


def test_several_zones_keep_their_order_and_remove_independently() -> None:
    original = read("aks-custom.server")
    one = corefile_zone(original, "a.local", BODY)
    two = corefile_zone(one, "b.local", BODY)
    assert managed_zones(two) == ["a.local", "b.local"]
    assert corefile_zone(two, "a.local", state="absent") == corefile_zone(original, "b.local", BODY)
    changed = corefile_zone(two, "a.local", ["whoami"])
    assert managed_zones(changed) == ["a.local", "b.local"]
    assert changed.index("a.local") < changed.index("b.local")
    assert (
        corefile_zone(corefile_zone(changed, "b.local", state="absent"), "a.local", state="absent")
        == original
    )


def test_absent_without_block_returns_text_unchanged() -> None:
    text = read("docs-snippets.Corefile")
    assert corefile_zone(text, ZONE, state="absent") is text


def test_edited_managed_block_is_replaced() -> None:
    added = corefile_zone(read("eks.Corefile"), ZONE, BODY)
    edited = added.replace("    cache 30\n    forward", "    cache 300\n    log\n    forward")
    assert edited != added
    assert corefile_zone(edited, ZONE, BODY) == added


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (lambda t: t.replace("# crosscluster.link end: aws-euwest1.local\n", ""), "no end marker"),
        (
            lambda t: t.replace("end: aws-euwest1.local", "end: other.local"),
            "ends with a marker for other.local",
        ),
        (lambda t: t.replace("aws-euwest1.local:53 {", "other.local:53 {"), "exactly one"),
        (lambda t: t + t[t.index("# crosscluster") :], "two managed blocks"),
        (
            lambda t: t.replace("    errors\n", "    # crosscluster.link managed: x\n", 1),
            "marker comment",
        ),
    ],
)
def test_tampered_markers_are_errors(tamper, message: str) -> None:
    added = corefile_zone(read("eks.Corefile"), ZONE, BODY)
    with pytest.raises(CorefileError, match=message):
        corefile_zone(tamper(added), ZONE, BODY)
