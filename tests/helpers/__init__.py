"""What the tests share: real servers on loopback (PostgreSQL, NSD, snmpsim/snmpd, TLS, OPD sites,
SMTP and webhook receivers), the `sigap` command as a subprocess, and known ledgers. Tests import
from here; nothing here imports a test module."""
