#!/bin/sh
# IMAP backlog import (issue 5): a dovecot folder with N existing 4 kB
# messages is connected to a fresh tamed; prints messages/s beside the
# target (>= 2000 msg/s over loopback). BENCH_IMAP_N lists the sizes to
# run (default "5000 50000"). Needs dovecot-imapd (scripts/deps.sh) and
# a build (make); TAME_BUILD names another build directory.
set -u
cd "$(dirname "$0")/.."
PY=${PYTHON:-/usr/bin/python3}
status=0
for n in ${BENCH_IMAP_N:-5000 50000}; do
	$PY bench/imap_backlog.py "$n" 4096 || status=1
done
exit $status
