#!/bin/sh
# The console's entrypoint: runs swiftkafka-console with /etc/swiftkafka/console.properties, overridden by every
# CONSOLE_-prefixed environment variable in the style of Confluent's images: the property name uppercased, dots as
# underscores (CONSOLE_BOOTSTRAP_SERVERS -> bootstrap.servers, CONSOLE_CONSOLE_READ_ONLY -> console.read.only); a
# double underscore stands for an underscore and a triple one for a dash. SWIFTKAFKA_CONSOLE and
# SWIFTKAFKA_PROPERTIES override the binary and the properties file (to run this script outside a container).
set -eu
console=${SWIFTKAFKA_CONSOLE:-swiftkafka-console}
properties=${SWIFTKAFKA_PROPERTIES:-/etc/swiftkafka/console.properties}
set --
for variable in $(env | sed -n 's/^\(CONSOLE_[A-Za-z0-9_]*\)=.*/\1/p' | sort); do
  key=$(printf '%s' "${variable#CONSOLE_}" | sed 's/___/-/g; s/__/@/g; s/_/./g; s/@/_/g' | tr 'A-Z' 'a-z')
  value=$(printenv "$variable")
  set -- "$@" --override "$key=$value"
done
exec "$console" "$properties" "$@"
