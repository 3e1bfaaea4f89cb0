"""The long-running service (`sigap serve`): scheduler, health and metrics, leader election."""
