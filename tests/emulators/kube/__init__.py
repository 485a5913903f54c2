"""Kubernetes API server emulator (issue 4): ``python -m tests.emulators.kube --help``."""
