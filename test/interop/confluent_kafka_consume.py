# Reads N values of a topic with confluent-kafka (librdkafka) in a group, from
# the earliest offset, and prints them as a JSON list.
import json
import sys

from confluent_kafka import Consumer

brokers, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
consumer = Consumer({"bootstrap.servers": brokers, "group.id": f"{topic}-readers", "auto.offset.reset": "earliest"})
consumer.subscribe([topic])
values = []
misses = 0
while len(values) < count and misses < 30:
    message = consumer.poll(1.0)
    if message is None:
        misses += 1
        continue
    if message.error():
        raise SystemExit(f"consume failed: {message.error()}")
    values.append(message.value().decode())
consumer.close()
print(json.dumps(values))
