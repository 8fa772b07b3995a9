#!/bin/sh
# The Connect worker's entrypoint: runs swiftkafka-connect --standalone with /etc/swiftkafka/connect-standalone.properties,
# overridden by every CONNECT_-prefixed environment variable, as Confluent's cp-kafka-connect image does: the property
# name uppercased, dots as underscores (CONNECT_BOOTSTRAP_SERVERS -> bootstrap.servers); a double underscore stands
# for an underscore and a triple one for a dash. SWIFTKAFKA_CONNECTORS names connector properties files to create at
# start (space-separated). SWIFTKAFKA_CONNECT and SWIFTKAFKA_PROPERTIES override the binary and the worker file (to
# run this script outside a container).
set -eu
connect=${SWIFTKAFKA_CONNECT:-swiftkafka-connect}
properties=${SWIFTKAFKA_PROPERTIES:-/etc/swiftkafka/connect-standalone.properties}
set --
for variable in $(env | sed -n 's/^\(CONNECT_[A-Za-z0-9_]*\)=.*/\1/p' | sort); do
  key=$(printf '%s' "${variable#CONNECT_}" | sed 's/___/-/g; s/__/@/g; s/_/./g; s/@/_/g' | tr 'A-Z' 'a-z')
  value=$(printenv "$variable")
  set -- "$@" --override "$key=$value"
done
# shellcheck disable=SC2086 # the connector files are a space-separated list
exec "$connect" --standalone "$properties" ${SWIFTKAFKA_CONNECTORS:-} "$@"
