"""MirrorMaker 2's connectors on a swiftkafka-connect cluster (issue 20), the way Kafka documents running them on
an existing Connect cluster: the three connectors created through the REST API by their Java class names, with
`source.cluster.*` and `target.cluster.*` settings, on a distributed worker of the target cluster. Records arrive in
`A.<topic>` in the same partitions, heartbeats are written, a group is checkpointed, and the worker's `/metrics`
carries MirrorMaker's metrics."""
import time
import urllib.request

from conftest import wait_for
from test_connect import call
from test_connect_distributed import distributed_worker
from test_mirror_maker2 import (consume_group, create, decode_checkpoint, decode_heartbeat, metric_series, produce,
                                raw, read)

BYTES = "org.apache.kafka.connect.converters.ByteArrayConverter"


def test_mm2_connectors_run_on_a_connect_cluster(clusters, tmp_path):
    source, target = clusters
    create(source.bootstrap, ["events"], partitions=3)
    produce(source.bootstrap, "events", 0, 3_000, partitions=3)
    assert len(consume_group(source.bootstrap, "auditors", "events", 1_000)) == 1_000
    worker = distributed_worker(target.bootstrap, "mm2-on-connect",
                                ["mm2-configs", "mm2-offsets", "mm2-status"], "sessioned", converter=BYTES)
    try:
        shared = {
            "source.cluster.alias": "A", "target.cluster.alias": "B",
            "source.cluster.bootstrap.servers": source.bootstrap, "target.cluster.bootstrap.servers": target.bootstrap,
            "key.converter": BYTES, "value.converter": BYTES, "header.converter": BYTES, "tasks.max": "2",
            "replication.factor": "1", "offset-syncs.topic.replication.factor": "1",
            "heartbeats.topic.replication.factor": "1", "checkpoints.topic.replication.factor": "1",
            "refresh.topics.interval.seconds": "2", "refresh.groups.interval.seconds": "2",
            "emit.checkpoints.interval.seconds": "1",
        }
        for name, connector in [("mm2-source", "MirrorSourceConnector"),
                                ("mm2-checkpoint", "MirrorCheckpointConnector"),
                                ("mm2-heartbeat", "MirrorHeartbeatConnector")]:
            config = {**shared, "connector.class": f"org.apache.kafka.connect.mirror.{connector}",
                      "topics": "events", "groups": "auditors"}
            # 409 until the worker has joined its group.
            code, body, _ = wait_for(lambda: (lambda answer: answer if answer[0] != 409 else None)(
                call(worker.url, "PUT", f"/connectors/{name}/config", config)), 60, "the worker to lead its group")
            assert code == 201, body
        mirrored = read(target.bootstrap, "A.events", 3_000, timeout=120)
        original = read(source.bootstrap, "events", 3_000)
        assert [r[0:4] for r in mirrored] == [r[0:4] for r in original]
        deadline = time.time() + 60
        while time.time() < deadline and not raw(target.bootstrap, "heartbeats"):
            time.sleep(1)
        beats = [decode_heartbeat(k, v) for k, v in raw(target.bootstrap, "heartbeats")]
        assert beats and all(b[:2] == ("A", "B") for b in beats)
        while time.time() < deadline and not raw(target.bootstrap, "A.checkpoints.internal"):
            time.sleep(1)
        checkpoints = [decode_checkpoint(k, v) for k, v in raw(target.bootstrap, "A.checkpoints.internal")]
        assert checkpoints and {c[0] for c in checkpoints} == {"auditors"}
        assert all(c[1] == "A.events" and 0 <= c[4] <= c[3] for c in checkpoints)
        text = urllib.request.urlopen(worker.url + "/metrics", timeout=10).read().decode()
        counts = {labels: v for (name, labels), v in metric_series(text).items()
                  if name == "kafka_connect_mirror_source_connector_record_count" and 'topic="A.events"' in labels}
        assert len(counts) == 3 and sum(counts.values()) >= 3_000
        for name in ["mm2-source", "mm2-checkpoint", "mm2-heartbeat"]:
            code, body, _ = call(worker.url, "GET", f"/connectors/{name}/status")
            assert code == 200 and body["connector"]["state"] == "RUNNING", body
            assert body["tasks"] and all(t["state"] == "RUNNING" for t in body["tasks"]), body
    finally:
        worker.close()
