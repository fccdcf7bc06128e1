#!/usr/bin/env bash
# Installs rnnd as a systemd service: builds in release mode, installs rnnd, rnnctl and rnnd-worker, the unit, the
# rnnd user and group (sysusers.d), an example /etc/rnnd/rnnd.toml; reloads systemd and enables the service
# where systemd runs. Idempotent.
#
#   deploy/install.sh [--prefix DIR] [--destdir DIR] [--no-build] [--multi-host]
#   deploy/install.sh --uninstall [--purge] [--prefix DIR] [--destdir DIR]
#
#   --prefix DIR    where the binaries go (DIR/bin; default /usr/local)
#   --destdir DIR   stage everything under DIR instead of / (no users, no systemctl; for packaging and tests)
#   --no-build      install the binaries already in .build/release
#   --multi-host    also install the drop-in that lets rnnd reach other hosts (deploy/rnnd-multi-host.conf)
#   --uninstall     remove what was installed; the state in /var/lib/rnnd stays unless --purge
set -euo pipefail
cd "$(dirname "$0")/.."

prefix=/usr/local destdir="" build=yes action=install purge=no multihost=no
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="${2:?--prefix needs a directory}"; shift 2 ;;
        --destdir) destdir="${2:?--destdir needs a directory}"; shift 2 ;;
        --no-build) build=no; shift ;;
        --uninstall) action=uninstall; shift ;;
        --purge) purge=yes; shift ;;
        --multi-host) multihost=yes; shift ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
case "$prefix" in /*) ;; *) echo "install.sh: --prefix must be an absolute path" >&2; exit 2 ;; esac

unit="$destdir/etc/systemd/system/rnnd.service"
sysusers="$destdir/usr/lib/sysusers.d/rnnd.conf"
dropin="$destdir/etc/systemd/system/rnnd.service.d/multi-host.conf"
config="$destdir/etc/rnnd/rnnd.toml"
bindir="$destdir$prefix/bin"
systemd_running() { [ -z "$destdir" ] && [ -d /run/systemd/system ]; }

if [ "$action" = uninstall ]; then
    if systemd_running; then
        systemctl disable --now rnnd.service 2>/dev/null || true
    fi
    rm -f "$unit" "$sysusers" "$dropin" "$bindir/rnnd" "$bindir/rnnctl" "$bindir/rnnd-worker"
    rmdir "$(dirname "$dropin")" 2>/dev/null || true
    # The example config is removed only while unchanged; an edited one is kept.
    if [ -f "$config" ] && cmp -s "$config" deploy/rnnd.toml; then rm -f "$config"; rmdir "$destdir/etc/rnnd" 2>/dev/null || true; fi
    if systemd_running; then systemctl daemon-reload; fi
    if [ "$purge" = yes ]; then
        rm -rf "$destdir/var/lib/rnnd"
        if [ -z "$destdir" ] && id rnnd >/dev/null 2>&1; then userdel rnnd 2>/dev/null || true; groupdel rnnd 2>/dev/null || true; fi
        echo "rnnd removed, with its state (/var/lib/rnnd) and its user"
    else
        echo "rnnd removed; its state in /var/lib/rnnd is kept (--purge removes it)"
    fi
    exit 0
fi

if [ "$build" = yes ]; then
    source deploy/require-packages.sh
    swift build -c release --product rnnd
    swift build -c release --product rnnctl
    swift build -c release --product rnnd-worker
fi
for binary in rnnd rnnctl rnnd-worker; do
    [ -x ".build/release/$binary" ] || { echo "install.sh: .build/release/$binary is missing; build first or drop --no-build" >&2; exit 1; }
done

install -d -m 0755 "$bindir" "$(dirname "$unit")" "$(dirname "$sysusers")" "$(dirname "$config")"
install -m 0755 .build/release/rnnd .build/release/rnnctl .build/release/rnnd-worker "$bindir/"
sed "s|^ExecStart=/usr/local/bin/rnnd|ExecStart=$prefix/bin/rnnd|" deploy/rnnd.service > "$unit.tmp"
install -m 0644 "$unit.tmp" "$unit" && rm -f "$unit.tmp"
install -m 0644 deploy/rnnd.sysusers "$sysusers"
if [ "$multihost" = yes ]; then
    install -d -m 0755 "$(dirname "$dropin")"
    install -m 0644 deploy/rnnd-multi-host.conf "$dropin"
fi
# An edited config is never overwritten.
[ -f "$config" ] || install -m 0644 deploy/rnnd.toml "$config"

if [ -z "$destdir" ]; then
    if command -v systemd-sysusers >/dev/null 2>&1; then
        systemd-sysusers "$sysusers"
    elif ! id rnnd >/dev/null 2>&1; then
        getent group rnnd >/dev/null || groupadd --system rnnd
        useradd --system --gid rnnd --home-dir /var/lib/rnnd --shell /usr/sbin/nologin --comment "rnnd training daemon" rnnd
    fi
fi

if systemd_running; then
    systemctl daemon-reload
    systemctl enable --now rnnd.service
    echo "rnnd installed and started: systemctl status rnnd; journalctl -u rnnd"
    echo "let a user control runs: usermod -aG rnnd USER (then log in again)"
elif [ -z "$destdir" ]; then
    echo "rnnd installed to $prefix/bin with its unit in /etc/systemd/system."
    echo "systemd is not running here (PID 1 is $(cat /proc/1/comm 2>/dev/null || echo unknown)): start it where systemd runs with"
    echo "  systemctl daemon-reload && systemctl enable --now rnnd"
    echo "or run it by hand, as the unit would:"
    echo "  install -d -o rnnd -g rnnd -m 0750 /var/lib/rnnd /run/rnnd"
    echo "  runuser -u rnnd -- env STATE_DIRECTORY=/var/lib/rnnd RUNTIME_DIRECTORY=/run/rnnd OPENBLAS_NUM_THREADS=1 $prefix/bin/rnnd"
else
    echo "rnnd staged under $destdir"
fi
