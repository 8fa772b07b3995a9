#!/bin/sh
# The schema registry's entrypoint: runs swiftkafka-schema-registry with /etc/swiftkafka/schema-registry.properties,
# overridden by every SCHEMA_REGISTRY_-prefixed environment variable, as Confluent's image does: the property name
# uppercased, dots as underscores (SCHEMA_REGISTRY_KAFKASTORE_BOOTSTRAP_SERVERS -> kafkastore.bootstrap.servers); a
# double underscore stands for an underscore and a triple one for a dash. SWIFTKAFKA_SCHEMA_REGISTRY and
# SWIFTKAFKA_PROPERTIES override the binary and the file (to run this script outside a container).
set -eu
registry=${SWIFTKAFKA_SCHEMA_REGISTRY:-swiftkafka-schema-registry}
properties=${SWIFTKAFKA_PROPERTIES:-/etc/swiftkafka/schema-registry.properties}
set --
for variable in $(env | sed -n 's/^\(SCHEMA_REGISTRY_[A-Za-z0-9_]*\)=.*/\1/p' | sort); do
  key=$(printf '%s' "${variable#SCHEMA_REGISTRY_}" | sed 's/___/-/g; s/__/@/g; s/_/./g; s/@/_/g' | tr 'A-Z' 'a-z')
  value=$(printenv "$variable")
  set -- "$@" --override "$key=$value"
done
exec "$registry" "$properties" "$@"
