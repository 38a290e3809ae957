#!/bin/sh
# uniqcount: a self-contained executable (a shell header followed by the jar).
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
exec "$JAVA" $UNIQCOUNT_JAVA_OPTS -jar "$0" "$@"
