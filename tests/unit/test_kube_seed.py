"""The seeded native Corefiles (tests/kube/seed.py): the installers' text, or with the
reload interval the test gates ask for (XCL_KUBE_DNS_RELOAD)."""

from __future__ import annotations

import pytest

from tests.kube import seed


def test_without_the_variable_the_installers_corefiles_are_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(seed.RELOAD_ENV, raising=False)
    for text in (seed.KUBEADM_COREFILE, seed.K3S_COREFILE):
        assert seed.native_corefile(text) == text
        assert "\n    reload\n" in text  # plain reload: 30 s +- 15 s


def test_the_variable_sets_the_server_blocks_reload_interval_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(seed.RELOAD_ENV, "2s")
    kubeadm = seed.native_corefile(seed.KUBEADM_COREFILE)
    assert kubeadm == seed.KUBEADM_COREFILE.replace("\n    reload\n", "\n    reload 2s\n")
    k3s = seed.native_corefile(seed.K3S_COREFILE)
    assert "\n    reload 2s\n" in k3s and "\n    reload\n" not in k3s
    assert "      reload 15s\n" in k3s  # the hosts plugin's own reload is the installer's
