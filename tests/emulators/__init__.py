"""Local endpoints that stand in for AWS, GCP and Kubernetes in tests and the demo.

Contract shared by every emulator (see ``_common.py``):

- ``python -m tests.emulators.<name> --port PORT --state-dir DIR [--faults FILE] ...``
  serves on 127.0.0.1:PORT until SIGTERM; ``<name>`` is ``aws``, ``gcp`` or ``kube``.
- ``GET /_emulator/health`` answers 200 once the endpoint is ready;
  ``PUT /_emulator/faults`` with ``{"rules": [...]}`` replaces the fault plan,
  ``DELETE /_emulator/faults`` clears it (rules: ``_common.FaultRule``).
- Every request is appended to ``DIR/requests.jsonl`` (``_common.read_log``).

``python -m tests.emulators up|down|status --state-dir DIR`` starts and stops them all.
"""
