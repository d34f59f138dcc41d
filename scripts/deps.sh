#!/bin/sh
# Installs the Debian packages Tame builds, tests and benchmarks with.
# Idempotent: when everything is present it prints nothing and exits 0.
set -e

PKGS="build-essential pkg-config clang libclang-rt-14-dev
libulfius-dev libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3
libgmime-3.0-dev libcurl4-gnutls-dev libsodium-dev libgumbo-dev
libutf8proc-dev libstemmer-dev libhunspell-dev hunspell-en-us libzstd-dev zlib1g-dev
liblingua-stopwords-perl libcmocka-dev python3 python3-pytest wrk curl esbuild
chromium
dovecot-imapd openssl"
# The browser tests run on Node.js (playwright-core from npm); a machine
# without it gets Debian's.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 ||
	PKGS="$PKGS nodejs npm"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
# dovecot-imapd is for the IMAP tests, which run their own dovecot with a
# throw-away configuration on free loopback ports; the package's system
# service (port 143, /etc/dovecot) is not wanted running.
case "$missing" in *dovecot-imapd*)
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		$SUDO systemctl disable --now dovecot.service dovecot.socket \
			>/dev/null 2>&1 || true
	fi ;;
esac
