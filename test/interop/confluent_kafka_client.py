"""confluent-kafka-python (librdkafka) against Tributary: an idempotent producer
with every codec, then a consumer group of two that reads everything back and
commits. Prints one JSON line with what it saw; exits non-zero on any error."""
import json
import sys
from confluent_kafka import Consumer, Producer, KafkaException, TopicPartition

brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
sent = []
for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
    errors = []
    p = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "compression.type": codec, "linger.ms": 5})
    for i in range(20):
        value = f"{codec}-{i}"
        p.produce(topic, key=f"k{i % 4}", value=value, on_delivery=lambda err, msg: errors.append(err) if err else None)
        sent.append(value)
    p.flush(30)
    if errors:
        raise SystemExit(f"delivery failed: {errors}")

consumers = [Consumer({"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
                       "enable.auto.commit": False, "session.timeout.ms": 6000}) for _ in range(2)]
for c in consumers:
    c.subscribe([topic])
seen = set()
rounds = 0
while len(seen) < len(sent) and rounds < 600:
    rounds += 1
    for c in consumers:
        msg = c.poll(0.1)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        seen.add(msg.value().decode())
        c.commit(message=msg, asynchronous=False)
committed = consumers[0].committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
for c in consumers:
    c.close()
print(json.dumps({"sent": len(sent), "seen": len(seen), "missing": sorted(set(sent) - seen),
                  "committed": sum(tp.offset for tp in committed if tp.offset >= 0)}))
