#!/bin/sh
# Install or upgrade Sigap as a systemd service:
#   program  /opt/sigap (a virtualenv; the unit's ExecStart is /opt/sigap/bin/sigap)
#   config   /etc/sigap/sigap.yaml (the example is copied once; an existing file is never overwritten)
#   state    /var/lib/sigap (made by systemd: StateDirectory=; the SQLite ledger and the recaps)
#
#   sudo deploy/install.sh [--postgres] [--no-start]
#
# Upgrading is running it again from the new source: the package is reinstalled in the virtualenv, the
# unit replaced, and the service restarted; its ExecStartPre runs the ledger migrations first.
set -eu

SRC=$(cd "$(dirname "$0")/.." && pwd)
PREFIX=${SIGAP_PREFIX:-/opt/sigap}
ETC=${SIGAP_ETC:-/etc/sigap}
UNIT_DIR=${SIGAP_UNIT_DIR:-/etc/systemd/system}
POSTGRES=no
START=yes
for arg in "$@"; do
    case "$arg" in
        --postgres) POSTGRES=yes ;;
        --no-start) START=no ;;
        *) echo "install.sh: unknown argument $arg (use --postgres, --no-start)" >&2; exit 2 ;;
    esac
done

# Debian's own Python (3.11 on Debian 12, with python3-venv): a Python under a personal directory
# (pyenv in /root) would not be readable by the service's user.
PYTHON=${SIGAP_PYTHON:-/usr/bin/python3}
if [ ! -x "$PREFIX/bin/python" ]; then
    "$PYTHON" -m venv "$PREFIX"
fi
extra=""
[ "$POSTGRES" = yes ] && extra="[postgres]"
"$PREFIX/bin/pip" install -q --upgrade "$SRC$extra"
install -d -m 0755 "$PREFIX/share"
install -m 0644 "$SRC/README.md" "$PREFIX/share/README.md"

# The service's own system user: reads the config (root:sigap 0640), owns /var/lib/sigap.
if ! getent passwd sigap >/dev/null; then
    useradd --system --home-dir /var/lib/sigap --no-create-home --shell /usr/sbin/nologin \
        --comment "Sigap SOP agents" sigap
fi

install -d -m 0755 "$ETC"
if [ ! -f "$ETC/sigap.yaml" ]; then
    install -m 0640 -o root -g sigap "$SRC/deploy/sigap.example.yaml" "$ETC/sigap.yaml"
    echo "install.sh: wrote $ETC/sigap.yaml from the example: edit the office, targets and channels"
fi

install -d -m 0755 "$UNIT_DIR"
install -m 0644 "$SRC/deploy/sigap.service" "$UNIT_DIR/sigap.service"
if [ "$POSTGRES" = yes ]; then
    install -d -m 0755 "$UNIT_DIR/sigap.service.d"
    install -m 0644 "$SRC/deploy/sigap-postgres.conf" "$UNIT_DIR/sigap.service.d/postgres.conf"
    [ -f "$ETC/db-password" ] || echo "install.sh: put the database password in $ETC/db-password (root, mode 0600)"
fi
systemd-analyze verify "$UNIT_DIR/sigap.service"

if [ "$START" = yes ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    "$PREFIX/bin/sigap" --config "$ETC/sigap.yaml" config check
    systemctl enable sigap.service
    systemctl restart sigap.service
    systemctl --no-pager status sigap.service | head -5
fi
echo "install.sh: sigap $("$PREFIX/bin/sigap" --version | awk '{print $NF}') in $PREFIX"
