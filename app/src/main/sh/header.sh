#!/bin/sh
# uniqcount: a self-contained executable (a shell header followed by the jar). Honours JAVA_HOME
# and UNIQCOUNT_JAVA_OPTS; on JDK 21+ enables the incubating Vector API for the JSON scanner.
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
release="$(dirname "$(dirname "$(readlink -f "$(command -v "$JAVA")")")")/release"
version=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$release" 2>/dev/null)
vector=
case "$version" in
  ""|1|9|1[0-9]|20) ;;
  *) vector="--add-modules=jdk.incubator.vector" ;;
esac
# JDK 24+ warns when DataSketches Memory (hll) reads memory through sun.misc.Unsafe; 23+ can allow it
unsafe=
case "$version" in
  2[3-9]|[3-9][0-9]) unsafe="--sun-misc-unsafe-memory-access=allow" ;;
esac
exec "$JAVA" ${UNIQCOUNT_JAVA_OPTS:--XX:+UseParallelGC -Xmx512m -XX:PerMethodTrapLimit=0 -XX:+ExitOnOutOfMemoryError} $vector $unsafe -jar "$0" "$@"
