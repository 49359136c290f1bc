#!/bin/sh
# Kafka's TopicCommand, as bin/kafka-topics.sh runs it in the official image.
# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS holds several JVM options
exec java ${KAFKA_HEAP_OPTS:--Xmx256m} -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties \
  -cp '/opt/kafka/libs/*' org.apache.kafka.tools.TopicCommand "$@"
