"""swiftkafka-connect's AvroConverter (issue 19) with swiftkafka-schema-registry and confluent-kafka's own Avro
serializer and deserializer as the other side: a JDBC source on SQLite writes Confluent's wire format that
AvroDeserializer reads (the subject `<topic>-value` registered with AvroData's record: `connect.name`, the
Timestamp's logical type), and records AvroSerializer wrote (with its own schema, an optional field, a
`timestamp-millis` field, string keys) are read by the JDBC sink into SQLite; a record without the magic
byte fails the task with Confluent's message."""
import sqlite3

from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer

from test_connect import Worker, broker, call, create_topic  # noqa: F401 (broker is the module's fixture)
from test_schema_registry import Registry
from conftest import wait_for
import pytest


@pytest.fixture(scope="module")
def registry(broker):  # noqa: F811
    instance = Registry(broker.bootstrap)
    yield instance
    instance.close()


def avro_worker(bootstrap, registry_url, connectors):
    return Worker(bootstrap, connectors, properties={
        "key.converter": "org.apache.kafka.connect.storage.StringConverter",
        "value.converter": "io.confluent.connect.avro.AvroConverter",
        "value.converter.schema.registry.url": registry_url})


def test_jdbc_source_writes_what_confluents_avro_deserializer_reads(broker, registry, tmp_path):  # noqa: F811
    database = f"{tmp_path}/shop.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, item TEXT NOT NULL, price REAL,"
                           " modified DATETIME NOT NULL)")
        connection.executemany("INSERT INTO orders VALUES (?, ?, ?, ?)",
                               [(i, f"item {i}", None if i % 10 == 0 else i / 4, f"2026-01-01 00:00:{i % 60:02d}")
                                for i in range(1, 501)])
    create_topic(broker.bootstrap, "avro-orders")
    source = {"name": "avro-source", "connector.class": "io.confluent.connect.jdbc.JdbcSourceConnector",
              "connection.url": f"jdbc:sqlite:{database}", "mode": "incrementing",
              "incrementing.column.name": "id", "table.whitelist": "orders", "topic.prefix": "avro-",
              "poll.interval.ms": "200"}
    worker = avro_worker(broker.bootstrap, registry.url, [source])
    client = SchemaRegistryClient({"url": registry.url})
    consumer = DeserializingConsumer({
        "bootstrap.servers": broker.bootstrap, "group.id": "avro-check", "auto.offset.reset": "earliest",
        "value.deserializer": AvroDeserializer(client)})
    consumer.subscribe(["avro-orders"])
    values = []
    try:
        def receive():
            message = consumer.poll(0.5)
            if message is not None:
                assert message.error() is None, message.error()
                values.append(message.value())
            return len(values) >= 500
        wait_for(receive, 90, "500 Avro records")
        assert values[0] == {"id": 1, "item": "item 1", "price": 0.25, "modified": values[0]["modified"]}
        assert values[0]["modified"].isoformat() == "2026-01-01T00:00:01+00:00"  # a timestamp-millis field
        assert [v["id"] for v in values] == list(range(1, 501))
        assert all(v["price"] is None for v in values if v["id"] % 10 == 0)
        assert values[498]["price"] == 499 / 4

        registered = client.get_latest_version("avro-orders-value")
        schema = __import__("json").loads(registered.schema.schema_str)
        assert schema["type"] == "record" and schema["name"] == "orders" and schema["connect.name"] == "orders"
        fields = {f["name"]: f["type"] for f in schema["fields"]}
        assert fields["id"] == "long" and fields["item"] == "string" and fields["price"] == ["null", "double"]
        assert fields["modified"] == {"type": "long", "connect.version": 1,
                                      "connect.name": "org.apache.kafka.connect.data.Timestamp",
                                      "logicalType": "timestamp-millis"}
    finally:
        consumer.close()
        worker.close()


CUSTOMER = {"type": "record", "name": "Customer", "namespace": "com.example", "fields": [
    {"name": "id", "type": "long"}, {"name": "name", "type": "string"},
    {"name": "email", "type": ["null", "string"], "default": None},
    {"name": "since", "type": {"type": "long", "logicalType": "timestamp-millis"}}]}


def test_jdbc_sink_reads_what_confluents_avro_serializer_wrote(broker, registry, tmp_path):  # noqa: F811
    import datetime
    import json
    topic = "avro-customers"
    create_topic(broker.bootstrap, topic, partitions=2)
    client = SchemaRegistryClient({"url": registry.url})
    producer = SerializingProducer({
        "bootstrap.servers": broker.bootstrap, "key.serializer": StringSerializer(),
        "value.serializer": AvroSerializer(client, json.dumps(CUSTOMER))})
    since = datetime.datetime(2026, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)
    expected = {}
    for i in range(1000):
        email = None if i % 3 == 0 else f"c{i}@example.com"
        producer.produce(topic, key=str(i), value={"id": i, "name": f"customer {i}", "email": email,
                                                   "since": since + datetime.timedelta(seconds=i)})
        expected[i] = (f"customer {i}", email, int((since.timestamp() + i) * 1000))
    producer.flush(60)
    database = f"{tmp_path}/customers.db"
    sink = {"name": "avro-sink", "connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector",
            "topics": topic, "connection.url": f"jdbc:sqlite:{database}", "insert.mode": "upsert",
            "pk.mode": "record_value", "pk.fields": "id", "auto.create": "true", "table.name.format": "customers"}
    worker = avro_worker(broker.bootstrap, registry.url, [sink])

    def rows():
        try:
            with sqlite3.connect(database, timeout=10) as connection:
                return {r[0]: (r[1], r[2], r[3]) for r in
                        connection.execute("SELECT id, name, email, since FROM customers")}
        except sqlite3.OperationalError:
            return {}
    try:
        wait_for(lambda: len(rows()) == 1000, 90, "1,000 customers in SQLite")
        assert rows() == expected
        # `since` came through as Connect's Timestamp (the sink's NUMERIC column, epoch milliseconds), not int64.
        with sqlite3.connect(database) as connection:
            types = {c[1]: c[2] for c in connection.execute("PRAGMA table_info(customers)")}
        assert types == {"id": "INTEGER", "name": "TEXT", "email": "TEXT", "since": "NUMERIC"}

        # A record that is not Confluent's format: the task fails with the converter's message.
        plain = SerializingProducer({"bootstrap.servers": broker.bootstrap, "key.serializer": StringSerializer(),
                                     "value.serializer": StringSerializer()})
        plain.produce(topic, key="x", value="not avro", partition=0)
        plain.flush(30)

        def failed():
            status = call(worker.url, "GET", "/connectors/avro-sink/status")[1]
            return status["tasks"][0]["state"] == "FAILED" and status["tasks"][0]["trace"]
        wait_for(failed, 60, "the sink task FAILED")
        trace = call(worker.url, "GET", "/connectors/avro-sink/status")[1]["tasks"][0]["trace"]
        assert f"Failed to deserialize data for topic {topic} to Avro: Unknown magic byte!" in trace, trace
    finally:
        worker.close()


def test_a_registry_outage_is_retried_for_errors_retry_timeout(broker, tmp_path):  # noqa: F811
    """The registry is down when two sinks start on Avro records: the one with `errors.retry.timeout` keeps
    retrying the converter (RUNNING, nothing written) and writes every row once the registry is back; the one with
    the default (no retries) fails with the converter's message."""
    import json
    topic = "avro-outage"
    create_topic(broker.bootstrap, topic)
    own = Registry(broker.bootstrap)
    client = SchemaRegistryClient({"url": own.url})
    producer = SerializingProducer({
        "bootstrap.servers": broker.bootstrap, "key.serializer": StringSerializer(),
        "value.serializer": AvroSerializer(client, json.dumps(CUSTOMER))})
    for i in range(200):
        producer.produce(topic, key=str(i), value={"id": i, "name": f"c{i}", "email": None, "since": 0})
    producer.flush(60)
    own.close()
    database = f"{tmp_path}/outage.db"
    common = {"connector.class": "io.confluent.connect.jdbc.JdbcSinkConnector", "topics": topic,
              "connection.url": f"jdbc:sqlite:{database}", "insert.mode": "upsert", "pk.mode": "record_value",
              "pk.fields": "id", "auto.create": "true"}
    patient = dict(common, name="patient", **{"table.name.format": "patient", "errors.retry.timeout": "120000",
                                              "errors.retry.delay.max.ms": "1000"})
    impatient = dict(common, name="impatient", **{"table.name.format": "impatient"})
    worker = avro_worker(broker.bootstrap, own.url, [patient, impatient])

    def task(name):
        return call(worker.url, "GET", f"/connectors/{name}/status")[1]["tasks"][0]

    def count(table):
        try:
            with sqlite3.connect(database, timeout=10) as connection:
                return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        except sqlite3.OperationalError:
            return 0
    try:
        wait_for(lambda: task("impatient")["state"] == "FAILED", 60, "the sink without retries FAILED")
        assert f"Failed to deserialize data for topic {topic} to Avro" in task("impatient")["trace"]
        assert task("patient")["state"] == "RUNNING" and count("patient") == 0
        own.start()
        wait_for(lambda: count("patient") == 200, 90, "the patient sink's 200 rows after the registry came back")
        assert task("patient")["state"] == "RUNNING"
    finally:
        worker.close()
        own.close()
