"""Compute Engine v1 REST emulator (networks, subnetworks, HA VPN, Cloud Router, routes,
firewalls, operations) for tests and the demo; see docs/emulators-gcp.md."""
