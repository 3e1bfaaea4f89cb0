"""The operator's config file: office, database, targets (inventory), notification channels, overrides.

One YAML file, validated strictly: unknown keys are refused and every error names the file and the
key path. Names carry units (`timeout_s`, `contracted_down_mbps`). Secrets may be written inline, or
as `{env: NAME}` / `{file: PATH}`; they are held as SecretStr and print as '**********'.

The parts: `base` (strict models, secrets), `office`, `targets` (the inventory), `sections` (the
operator's sections), `model` (the whole file), `load` (reading it), `layers` (a step's settings,
layered in the one documented order).
"""

from .base import (
    DEFAULT_CONFIG_PATH,
    DEFAULT_STATE_DIR,
    Identifier,
    Secret,
    Strict,
    nameserver,
    parse_host_port,
)
from .load import config_path_from, load_config
from .model import Config, Database
from .office import HolidayExtra, HolidaySettings, Office
from .sections import (
    AgentOverride,
    CaseSettings,
    DnsConfig,
    EscalationLevel,
    FreshnessLimits,
    HttpSettings,
    Notify,
    NotifyChannel,
    NotifyRetry,
    ReportSettings,
    ServiceSettings,
    Smtp,
    TlsConfig,
    WebSettings,
)
from .targets import (
    Contact,
    Link,
    Server,
    SnmpDevice,
    SnmpV3,
    Targets,
    TlsEndpoint,
    Website,
    read_servers_csv,
    runs_here,
)

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "DEFAULT_STATE_DIR",
    "AgentOverride",
    "CaseSettings",
    "Config",
    "Contact",
    "Database",
    "DnsConfig",
    "EscalationLevel",
    "FreshnessLimits",
    "HolidayExtra",
    "HolidaySettings",
    "HttpSettings",
    "Identifier",
    "Link",
    "Notify",
    "NotifyChannel",
    "NotifyRetry",
    "Office",
    "ReportSettings",
    "Secret",
    "Server",
    "ServiceSettings",
    "Smtp",
    "SnmpDevice",
    "SnmpV3",
    "Strict",
    "Targets",
    "TlsConfig",
    "TlsEndpoint",
    "WebSettings",
    "Website",
    "config_path_from",
    "load_config",
    "nameserver",
    "parse_host_port",
    "read_servers_csv",
    "runs_here",
]
