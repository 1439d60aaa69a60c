"""kafka-python against Tributary: produce with gzip, consume in a group, commit.
Prints one JSON line with what it saw."""
import json
import sys
from kafka import KafkaConsumer, KafkaProducer

brokers, topic, group = sys.argv[1], sys.argv[2], sys.argv[3]
producer = KafkaProducer(bootstrap_servers=brokers, compression_type="gzip", acks="all")
futures = [producer.send(topic, key=f"k{i}".encode(), value=f"kp-{i}".encode()) for i in range(50)]
offsets = [f.get(timeout=30).offset for f in futures]
producer.close()

consumer = KafkaConsumer(topic, bootstrap_servers=brokers, group_id=group, auto_offset_reset="earliest",
                         enable_auto_commit=False, consumer_timeout_ms=10000)
seen = []
for msg in consumer:
    seen.append(msg.value.decode())
    if len(seen) == 50:
        break
consumer.commit()
consumer.close()
print(json.dumps({"offsets": len(offsets), "seen": sorted(set(seen)) == sorted(f"kp-{i}" for i in range(50))}))
