"""SNMP bandwidth: counter arithmetic (rates.py) so far; polling, evaluation and the agent follow."""
