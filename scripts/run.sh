#!/bin/sh
# `make run`: start Tame on ./var. On the first start it creates the data
# directory, an admin account (the password is printed once) and the
# support@localhost mailbox.
set -e
DATA=${TAME_DATA:-./var}
HTTP=${TAME_HTTP:-127.0.0.1:8080}
SMTP=${TAME_SMTP:-127.0.0.1:2525}
if [ ! -f "$DATA/tame.db" ]; then
	mkdir -p "$DATA"
	echo "First start: creating $DATA"
	./build/tame --data "$DATA" init
fi
echo "Tame: http://$HTTP  SMTP: $SMTP  (Ctrl-C stops)"
# TAME_RELAY, when set, is read by tamed from the environment: a
# password in it stays out of the process list
exec ./build/tamed --data "$DATA" --http "$HTTP" --smtp "$SMTP"
