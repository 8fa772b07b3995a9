"""Real Kafka clients against a SwiftKafka broker: each produces 100,000 keyed messages with headers in each codec
and reads them back, checking every key, value and header and the order within each partition."""
import asyncio
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka import TopicPartition as ConfluentPartition
from confluent_kafka.admin import AdminClient, NewTopic

COUNT = 100_000
CODECS = ["gzip", "snappy", "lz4", "zstd"]


def expected():
    return {f"key-{i}".encode(): f"value-{i}".encode() for i in range(COUNT)}


def check(messages):
    """messages: (partition, offset, key, value, headers) tuples."""
    assert len(messages) == COUNT
    assert {key: value for _, _, key, value, _ in messages} == expected()
    assert all(headers == [("trace", b"interop")] for *_, headers in messages)
    by_partition = {}
    for partition, offset, _, value, _ in messages:
        by_partition.setdefault(partition, []).append((offset, int(value.split(b"-")[1])))
    for partition, entries in by_partition.items():
        entries.sort()
        assert [offset for offset, _ in entries] == list(range(len(entries))), f"partition {partition} offsets"
        numbers = [number for _, number in entries]
        assert numbers == sorted(numbers), f"partition {partition} order"


def confluent_consume(bootstrap, topic):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "interop", "enable.auto.commit": False})
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([ConfluentPartition(topic, p, 0) for p in partitions])
    messages = []
    deadline = time.time() + 120
    while len(messages) < COUNT and time.time() < deadline:
        for message in consumer.consume(10_000, timeout=1.0):
            if message.error() is None:
                messages.append((message.partition(), message.offset(), message.key(), message.value(),
                                 [(k, v) for k, v in (message.headers() or [])]))
    consumer.close()
    return messages


@pytest.mark.parametrize("codec", CODECS)
def test_confluent_kafka(cluster, codec):
    topic = f"confluent-{codec}-{uuid.uuid4().hex[:6]}"
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "compression.type": codec,
                         "enable.idempotence": True, "acks": "all", "linger.ms": 5})
    for key, value in expected().items():
        while True:
            try:
                producer.produce(topic, key=key, value=value, headers=[("trace", b"interop")])
                break
            except BufferError:
                producer.poll(0.1)
    assert producer.flush(60) == 0
    check(confluent_consume(cluster.bootstrap, topic))


@pytest.mark.parametrize("codec", CODECS)
def test_kafka_python(cluster, codec):
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

    topic = f"kafka-python-{codec}-{uuid.uuid4().hex[:6]}"
    producer = KafkaProducer(bootstrap_servers=cluster.bootstrap, compression_type=codec, linger_ms=5,
                             batch_size=256 * 1024)  # the default producer: idempotent, acks=all
    for key, value in expected().items():
        producer.send(topic, key=key, value=value, headers=[("trace", b"interop")])
    producer.flush(120)
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=cluster.bootstrap, enable_auto_commit=False, consumer_timeout_ms=15000)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning()
    # Read up to the partitions' end offsets (not until 15 s of silence): the log holds exactly what was read.
    ends = consumer.end_offsets(partitions)
    messages = []
    for m in consumer:
        messages.append((m.partition, m.offset, m.key, m.value, list(m.headers)))
        if all(consumer.position(tp) >= end for tp, end in ends.items()):
            break
    consumer.close()
    assert sum(ends.values()) == len(messages)
    check(messages)


@pytest.mark.parametrize("codec", CODECS)
def test_aiokafka(cluster, codec):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

    topic = f"aiokafka-{codec}-{uuid.uuid4().hex[:6]}"

    async def run():
        producer = AIOKafkaProducer(bootstrap_servers=cluster.bootstrap, compression_type=codec,
                                    enable_idempotence=True, linger_ms=5, max_batch_size=256 * 1024)
        await producer.start()
        try:
            futures = [await producer.send(topic, key=key, value=value, headers=[("trace", b"interop")])
                       for key, value in expected().items()]
            await asyncio.gather(*futures)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer(bootstrap_servers=cluster.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            metadata = await consumer._client.fetch_all_metadata()
            partitions = [TopicPartition(topic, p) for p in metadata.partitions_for_topic(topic)]
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            messages = []
            deadline = time.time() + 120
            while len(messages) < COUNT and time.time() < deadline:
                batches = await consumer.getmany(timeout_ms=1000, max_records=10_000)
                for records in batches.values():
                    messages += [(r.partition, r.offset, r.key, r.value, list(r.headers)) for r in records]
        finally:
            await consumer.stop()
        return messages

    check(asyncio.run(run()))


def test_offsets_by_timestamp(cluster):
    topic = f"times-{uuid.uuid4().hex[:6]}"
    producer = Producer({"bootstrap.servers": cluster.bootstrap})
    for i in range(100):
        producer.produce(topic, key=b"k", value=f"{i}".encode(), partition=0, timestamp=1_700_000_000_000 + i * 1000)
    assert producer.flush(30) == 0
    consumer = Consumer({"bootstrap.servers": cluster.bootstrap, "group.id": "times"})
    # One call per timestamp: librdkafka keeps one timestamp per partition in a single call.
    found = [consumer.offsets_for_times([ConfluentPartition(topic, 0, ts)], timeout=10)[0].offset
             for ts in (1_700_000_000_000, 1_700_000_050_500, 1_800_000_000_000)]
    assert found == [0, 51, -1]
    low, high = consumer.get_watermark_offsets(ConfluentPartition(topic, 0), timeout=10)
    assert (low, high) == (0, 100)
    consumer.close()


def test_admin_create_list_delete(cluster):
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    name = f"admin-{uuid.uuid4().hex[:6]}"
    futures = admin.create_topics([NewTopic(name, num_partitions=5, replication_factor=1,
                                            config={"retention.ms": "3600000"})])
    futures[name].result(30)
    metadata = admin.list_topics(timeout=10)
    assert len(metadata.topics[name].partitions) == 5
    with pytest.raises(Exception) as duplicate:
        admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])[name].result(30)
    assert "TOPIC_ALREADY_EXISTS" in str(duplicate.value)
    with pytest.raises(Exception) as too_many:
        admin.create_topics([NewTopic(f"{name}-x", num_partitions=1, replication_factor=3)])[f"{name}-x"].result(30)
    assert "INVALID_REPLICATION_FACTOR" in str(too_many.value)
    admin.delete_topics([name])[name].result(30)
    deadline = time.time() + 30
    while name in admin.list_topics(timeout=10).topics and time.time() < deadline:
        time.sleep(0.2)
    assert name not in admin.list_topics(timeout=10).topics


def test_admin_configs_partitions_and_cluster(cluster):
    import os

    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions

    admin = AdminClient({"bootstrap.servers": cluster.bootstrap})
    name = f"configs-{uuid.uuid4().hex[:6]}"
    admin.create_topics([NewTopic(name, num_partitions=2, replication_factor=1,
                                  config={"retention.ms": "3600000"})])[name].result(30)
    resource = ConfigResource(ConfigResource.Type.TOPIC, name)

    configs = admin.describe_configs([resource])[resource].result(30)
    assert configs["retention.ms"].value == "3600000"
    assert configs["retention.ms"].source == 1  # DYNAMIC_TOPIC_CONFIG
    assert configs["cleanup.policy"].value == "delete"
    assert configs["segment.bytes"].source == 5  # DEFAULT_CONFIG

    # An incremental change keeps the other overrides, and reaches the live logs on the broker.
    change = ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=[
        ConfigEntry("segment.bytes", "1048576", incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([change])[change].result(30)
    configs = admin.describe_configs([resource])[resource].result(30)
    assert configs["segment.bytes"].value == "1048576"
    assert configs["retention.ms"].value == "3600000"
    time.sleep(1)
    producer = Producer({"bootstrap.servers": cluster.bootstrap, "linger.ms": 5})
    for i in range(3000):
        producer.produce(name, value=b"x" * 1000, partition=0)
    assert producer.flush(30) == 0
    segments = [f for f in os.listdir(f"{cluster.directory}/logs/{name}-0") if f.endswith(".log")]
    assert len(segments) >= 3, segments

    bad = ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=[
        ConfigEntry("retention.ms", "soon", incremental_operation=AlterConfigOpType.SET)])
    with pytest.raises(Exception) as invalid:
        admin.incremental_alter_configs([bad])[bad].result(30)
    assert "INVALID_CONFIG" in str(invalid.value)

    admin.create_partitions([NewPartitions(name, 5)])[name].result(30)
    deadline = time.time() + 30
    while len(admin.list_topics(name, timeout=10).topics[name].partitions) < 5 and time.time() < deadline:
        time.sleep(0.2)
    assert len(admin.list_topics(name, timeout=10).topics[name].partitions) == 5
    with pytest.raises(Exception) as fewer:
        admin.create_partitions([NewPartitions(name, 3)])[name].result(30)
    assert "INVALID_PARTITIONS" in str(fewer.value)

    from kafka.admin import KafkaAdminClient
    described = KafkaAdminClient(bootstrap_servers=cluster.bootstrap).describe_cluster()
    assert described["controller_id"] == 1
    assert [b["broker_id"] for b in described["brokers"]] == [1]
