"""The datapath lab: real IKEv2 (strongSwan) and BGP (FRR) in network namespaces, built from
the emulated clouds' own state (docs/lab.md)."""
