"""Run by Debian's Python with Debian's confluent-kafka 1.7.0 (not the suite's virtual environment): its
AvroSerializer auto-registers a schema and produces `count` records to `topic`, its AvroDeserializer reads them
back, a compatible evolution is registered and an incompatible one refused. Prints one JSON object for the test:
{"client", "schema_id", "version", "headers" (each value's first five bytes, hex), "read", "evolved_id", "refused"}.
Usage: debian_avro_client.py BOOTSTRAP REGISTRY_URL TOPIC COUNT"""
import json
import sys

from confluent_kafka import Consumer, Producer, TopicPartition, version
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

bootstrap, url, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
V1 = {"type": "record", "name": "Reading", "namespace": "org.debian",
      "fields": [{"name": "sensor", "type": "string"}, {"name": "value", "type": "double"}]}
V2 = dict(V1, fields=V1["fields"] + [{"name": "unit", "type": "string", "default": "C"}])
BAD = dict(V1, fields=[{"name": "sensor", "type": "int"}, {"name": "value", "type": "double"}])

client = SchemaRegistryClient({"url": url})
context = SerializationContext(topic, MessageField.VALUE)
serializer = AvroSerializer(client, json.dumps(V1))  # 1.7's argument order: the client first
producer = Producer({"bootstrap.servers": bootstrap})
records = [{"sensor": f"s{i}", "value": i / 2} for i in range(count)]
for record in records:
    producer.produce(topic, value=serializer(record, context))
assert producer.flush(30) == 0, "undelivered records"

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "debian-avro", "enable.auto.commit": False})
consumer.assign([TopicPartition(topic, 0, 0)])
deserializer = AvroDeserializer(client)
headers, read = [], []
while len(read) < count:
    message = consumer.poll(30)
    assert message is not None, f"only {len(read)} of {count} records read back"
    if message.error():
        continue
    headers.append(message.value()[:5].hex())
    read.append(deserializer(message.value(), context))
consumer.close()

registered = client.get_latest_version(f"{topic}-value")
evolved = client.register_schema(f"{topic}-value", Schema(json.dumps(V2), "AVRO"))
try:
    AvroSerializer(client, json.dumps(BAD))({"sensor": 1, "value": 0.5}, context)
    refused = None
except SchemaRegistryError as error:
    refused = [error.http_status_code, error.error_code]
print(json.dumps({"client": version()[0], "schema_id": registered.schema_id, "version": registered.version,
                  "headers": sorted(set(headers)), "read": read == records, "evolved_id": evolved,
                  "refused": refused}))
