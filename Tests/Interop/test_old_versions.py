"""Old API versions Kafka 2.8 still serves, for the ZooKeeper era's tools (issue 24): the ApiVersions table against
Kafka 2.8's, and ListOffsets v0, which Burrow and Sarama without a configured version send — `max_num_offsets`
segment boundaries, newest first, as `old_style_offsets` — checked by raw requests against one broker, with the
segment files on disk as the truth. (Each version's encoding: `ApiVersionCoverageTests`; message formats v0/v1:
`test_message_formats.py`.)"""
import os
import struct

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import single_broker
from test_groups import Reader, request, string


@pytest.fixture(scope="module")
def broker():
    yield from single_broker()


def list_offsets_v0(port, topic, partition, timestamp, max_num_offsets, replica_id=-1):
    """(error code, old_style_offsets) of one partition."""
    body = struct.pack(">ii", replica_id, 1) + string(topic) + struct.pack(">iiqi", 1, partition, timestamp,
                                                                        max_num_offsets)
    reader = Reader(request(port, 2, 0, body))
    assert reader.int(">i") == 1 and reader.string() == topic and reader.int(">i") == 1
    assert reader.int(">i") == partition
    error = reader.int(">h")
    return error, [reader.int(">q") for _ in range(reader.int(">i"))]


def api_versions(port):
    reader = Reader(request(port, 18, 0, b""))
    assert reader.int(">h") == 0
    return {reader.int(">h"): (reader.int(">h"), reader.int(">h")) for _ in range(reader.int(">i"))}


def test_list_offsets_v0_answers_segment_boundaries_newest_first(broker):
    topic = "legacy-offsets"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1, config={"segment.bytes": "1024"})])[topic].result(30)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 0, "acks": "all"})
    for i in range(40):
        producer.produce(topic, value=b"x" * 100)
        producer.flush(30)
    directory = f"{broker.directory}/logs/{topic}-0"
    bases = sorted(int(name[:-4]) for name in os.listdir(directory) if name.endswith(".log"))
    assert len(bases) > 3, "the topic should span several segments"

    assert api_versions(broker.port)[2][0] == 0  # ListOffsets is served from version 0, as in Kafka 2.8
    assert list_offsets_v0(broker.port, topic, 0, -1, 1) == (0, [40])
    assert list_offsets_v0(broker.port, topic, 0, -2, 1) == (0, [0])
    # Latest with room for all: the log end offset, then every segment's base offset, newest first.
    assert list_offsets_v0(broker.port, topic, 0, -1, 100) == (0, [40] + sorted(bases, reverse=True))
    assert list_offsets_v0(broker.port, topic, 0, -1, 3) == (0, [40] + sorted(bases, reverse=True)[:2])
    # A time before any segment was written finds nothing; one in the future finds the newest entries.
    assert list_offsets_v0(broker.port, topic, 0, 1, 5) == (0, [])
    assert list_offsets_v0(broker.port, topic, 0, 32503680000000, 1) == (0, [40])
    assert list_offsets_v0(broker.port, topic, 7, -1, 1) == (3, [])  # UNKNOWN_TOPIC_OR_PARTITION
    assert list_offsets_v0(broker.port, "no-such-topic", 0, -1, 1) == (3, [])


# APIs Kafka 2.8 serves that this broker does not yet, with the issue that brings each.
NOT_SERVED = {
    38: "CreateDelegationToken", 39: "RenewDelegationToken", 40: "ExpireDelegationToken",
    41: "DescribeDelegationToken",
    57: "UpdateFeatures",
    56: "AlterIsr: leaders write ISR changes to ZooKeeper themselves (Kafka's way before 2.7's AlterIsr)",
}
# The controller's requests to brokers: served between brokers, never advertised to clients (Kafka 2.8 lists them;
# clients ignore them; reference/protocol.md §4).
INTER_BROKER = {4, 5, 6, 7}


def test_api_versions_match_kafka_2_8_for_every_served_api(broker):
    """ApiVersions, entry by entry, against Kafka 2.8's own answer as kafka-python records it (its
    `broker_version_data`, taken from a real 2.8 broker): every API this broker advertises has exactly Kafka 2.8's
    range, from its lowest version; every API of Kafka 2.8 is either advertised or listed above with its reason."""
    from kafka.protocol.broker_version_data import BROKER_API_VERSIONS
    kafka_2_8 = BROKER_API_VERSIONS[(2, 8)]
    ours = api_versions(broker.port)
    expected = {key: versions for key, versions in kafka_2_8.items()
                if key not in NOT_SERVED and key not in INTER_BROKER}
    # The one deliberate difference: DescribeCluster up to v1 (Kafka 2.8: v0 only), because kafka-python 3.0.12's
    # describe_cluster fails on a v0 answer (it pops v1's endpoint_type) — against Kafka 2.8 too.
    assert kafka_2_8[60] == (0, 0) and ours.pop(60) == (0, 1)
    expected.pop(60)
    assert ours == expected
    rows = [f"| {key} | {kafka_2_8[key][0]}-{kafka_2_8[key][1]} | "
            + (f"{ours[key][0]}-{ours[key][1]}" if key in ours else NOT_SERVED.get(key, "inter-broker")) + " |"
            for key in sorted(kafka_2_8)]
    print("\n".join(rows))
