"""Broker-side schema id validation (issue 18 item 4, Confluent Server's `confluent.value.schema.validation`): a
broker told where the registry is (`confluent.schema.registry.url`) refuses, on a topic with validation on, a batch
holding a value that is not Confluent's wire format, or names an unknown schema id, or one registered under another
subject — INVALID_RECORD with a message naming the record — while valid records, tombstones and topics without
validation are written as always."""
import json
import struct

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from conftest import free_port, single_broker
from test_schema_registry import USER_V1, USER_V2, Registry, call

TOPIC = "validated"


@pytest.fixture(scope="module")
def setup():
    port = free_port()
    for broker in single_broker({"confluent.schema.registry.url": f"http://127.0.0.1:{port}"}):
        registry = Registry(broker.bootstrap, port=port)
        try:
            admin = AdminClient({"bootstrap.servers": broker.bootstrap})
            futures = admin.create_topics([
                NewTopic(TOPIC, 3, 1, config={"confluent.value.schema.validation": "true"}),
                NewTopic("unvalidated", 1, 1)])
            for future in futures.values():
                future.result(30)
            yield broker, registry
        finally:
            registry.close()


def produce(bootstrap, topic, value, partition=0):
    """The delivery error (None when written) and the offset."""
    outcome = {}
    producer = Producer({"bootstrap.servers": bootstrap, "retries": 0, "enable.idempotence": False})
    producer.produce(topic, value=value, partition=partition,
                     on_delivery=lambda error, message: outcome.update(error=error, offset=message.offset()))
    assert producer.flush(30) == 0
    return outcome["error"], outcome["offset"]


def test_only_registered_schema_ids_are_written(setup):
    broker, registry = setup
    client = SchemaRegistryClient({"url": registry.url})
    valid = AvroSerializer(client, json.dumps(USER_V1))({"id": 1, "name": "a"},
                                                       SerializationContext(TOPIC, MessageField.VALUE))
    error, offset = produce(broker.bootstrap, TOPIC, valid)
    assert error is None and offset == 0
    error, _ = produce(broker.bootstrap, TOPIC, None)  # a tombstone
    assert error is None

    # librdkafka reports the code only; the response's message (ProduceResponse error_message and record_errors)
    # is what the broker logs.
    def refused(value, partition, reason):
        error, _ = produce(broker.bootstrap, TOPIC, value, partition=partition)
        assert error.code() == KafkaError.INVALID_RECORD
        with open(f"{broker.directory}/broker.log") as f:
            assert f"reason=Schema validation failed: record 0: {reason}" in f.read()
    refused(b"no schema id here", 1, "the value does not start with the schema id (magic byte 0 and 4 bytes)")
    refused(b"\x00" + struct.pack(">i", 9999) + b"body", 1, "schema id 9999 of the value is not registered")
    # Registered, but for another subject.
    other = call(registry.url, "POST", "/subjects/elsewhere-value/versions", {"schema": '"string"'})[1]["id"]
    refused(b"\x00" + struct.pack(">i", other) + b"\x02a", 2,
            f"schema id {other} of the value is not registered under subject {TOPIC}-value")

    # Nothing refused was written; a topic without validation takes anything.
    from confluent_kafka import Consumer, TopicPartition
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "checker"})
    ends = [consumer.get_watermark_offsets(TopicPartition(TOPIC, p), timeout=10)[1] for p in range(3)]
    consumer.close()
    assert ends == [2, 0, 0]
    assert produce(broker.bootstrap, "unvalidated", b"no schema id here")[0] is None
    # DescribeConfigs shows the topic's setting.
    from confluent_kafka.admin import ConfigResource
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    described = admin.describe_configs([ConfigResource("topic", TOPIC)])
    configs = list(described.values())[0].result(10)
    assert configs["confluent.value.schema.validation"].value == "true"
    assert configs["confluent.key.schema.validation"].value == "false"


def test_an_unreachable_registry_refuses_batches_with_one_log_line(setup):
    """The registry stopped: a record whose id the broker has not cached is refused (nothing unvalidated is
    written), and the broker logs that the registry does not answer once, not once per batch; the registry back,
    the same record is written and the broker says so."""
    broker, registry = setup
    fresh = call(registry.url, "POST", f"/subjects/{TOPIC}-value/versions", {"schema": json.dumps(USER_V2)})[1]["id"]
    value = b"\x00" + struct.pack(">i", fresh) + b"\x02"
    log = lambda: open(f"{broker.directory}/broker.log").read()
    registry.close()
    try:
        for _ in range(3):
            error, _ = produce(broker.bootstrap, TOPIC, value, partition=0)
            assert error.code() == KafkaError.INVALID_RECORD
        assert log().count("Schema validation refuses batches: the schema registry does not answer") == 1
        assert f"could not be asked about schema id {fresh}" in log()
    finally:
        registry.start()
    error, _ = produce(broker.bootstrap, TOPIC, value, partition=0)
    assert error is None
    assert log().count("Schema validation: the schema registry answers again") == 1
