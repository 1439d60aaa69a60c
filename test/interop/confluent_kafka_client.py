"""confluent-kafka-python (librdkafka) against Tributary: an idempotent producer
with every codec, then a consumer group of two that reads everything back and
commits. Prints one JSON line with what it saw; exits non-zero on any error."""
import json
import sys
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

RETRIABLE_COMMIT = {KafkaError.REBALANCE_IN_PROGRESS, KafkaError.ILLEGAL_GENERATION, KafkaError.UNKNOWN_MEMBER_ID, KafkaError._NO_OFFSET}


def commit(consumer, **kwargs):
    """Commits synchronously; a commit refused because the group is rebalancing is left to a later one."""
    try:
        consumer.commit(asynchronous=False, **kwargs)
    except KafkaException as e:
        if e.args[0].code() not in RETRIABLE_COMMIT:
            raise

brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
sent = []
for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
    errors = []
    p = Producer({"bootstrap.servers": brokers, "enable.idempotence": True, "compression.type": codec, "linger.ms": 5})
    for i in range(20):
        value = f"{codec}-{i}-" + "payload" * 40  # compressible: librdkafka skips codecs that do not shrink
        # Every partition gets records, so each member of the group has some to read.
        p.produce(topic, key=f"k{i % 4}", value=value, partition=i % 3, on_delivery=lambda err, msg: errors.append(err) if err else None)
        sent.append(value)
    p.flush(30)
    if errors:
        raise SystemExit(f"delivery failed: {errors}")

consumers = [Consumer({"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest",
                       "enable.auto.commit": False, "session.timeout.ms": 6000}) for _ in range(2)]
for c in consumers:
    c.subscribe([topic])
seen = set()
per_member = [0 for _ in consumers]
rounds = 0
while len(seen) < len(sent) and rounds < 600:
    rounds += 1
    for m, c in enumerate(consumers):
        msg = c.poll(0.1)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        seen.add(msg.value().decode())
        per_member[m] += 1
        commit(c, message=msg)
# Once the group has settled, each member commits its positions (earlier commits may have met a rebalance).
for _ in range(50):
    for c in consumers:
        c.poll(0.1)
        if c.assignment():
            commit(c)
    done = consumers[0].committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
    if sum(tp.offset for tp in done if tp.offset >= 0) == len(sent):
        break
committed = consumers[0].committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
for c in consumers:
    c.close()
print(json.dumps({"sent": len(sent), "seen": len(seen), "missing": sorted(set(sent) - seen),
                  "committed": sum(tp.offset for tp in committed if tp.offset >= 0), "per_member": per_member}))
