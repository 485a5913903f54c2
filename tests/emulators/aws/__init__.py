"""AWS emulator: moto's server in-process plus the EC2 Site-to-Site VPN extension (app.py)."""
