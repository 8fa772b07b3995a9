#!/bin/sh
# The image's entrypoint: runs swiftkafka-broker with /etc/swiftkafka/server.properties, overridden by every
# KAFKA_-prefixed environment variable, Confluent's convention: KAFKA_ + the property name uppercased, dots as
# underscores (KAFKA_ZOOKEEPER_CONNECT=zoo1:2181 -> zookeeper.connect=zoo1:2181); a double underscore stands for an
# underscore and a triple one for a dash. The variables Kafka's start scripts read for the JVM are not properties:
# KAFKA_OPTS (the broker reads its JAAS file name there, as Kafka does), KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS,
# KAFKA_GC_LOG_OPTS, KAFKA_LOG4J_OPTS, KAFKA_JMX_OPTS, KAFKA_DEBUG. SWIFTKAFKA_BROKER and SWIFTKAFKA_PROPERTIES
# override the binary and the file (the test harness runs this script outside a container).
set -eu
broker=${SWIFTKAFKA_BROKER:-swiftkafka-broker}
properties=${SWIFTKAFKA_PROPERTIES:-/etc/swiftkafka/server.properties}
set --
for variable in $(env | sed -n 's/^\(KAFKA_[A-Za-z0-9_]*\)=.*/\1/p' | sort); do
  case $variable in
    KAFKA_OPTS | KAFKA_HEAP_OPTS | KAFKA_JVM_PERFORMANCE_OPTS | KAFKA_GC_LOG_OPTS | KAFKA_LOG4J_OPTS | KAFKA_JMX_OPTS | KAFKA_DEBUG)
      continue ;;
  esac
  key=$(printf '%s' "${variable#KAFKA_}" | sed 's/___/-/g; s/__/@/g; s/_/./g; s/@/_/g' | tr 'A-Z' 'a-z')
  value=$(printenv "$variable")
  set -- "$@" --override "$key=$value"
done
exec "$broker" "$properties" "$@"
