"""kafka-python speaking old protocol versions against Tributary: for each
api_version, a producer (gzip) and a consumer group read back what it wrote.
(0, 9) uses Produce v1 / Fetch v1 (message format 0), (0, 10, 0) Produce v2 /
Fetch v2 (message format 1). Prints one JSON line; exits non-zero on error."""
import json
import sys
from kafka import KafkaConsumer, KafkaProducer

brokers, topic = sys.argv[1], sys.argv[2]
result = {}
for version in [(0, 9), (0, 10, 0)]:
    name = "%s-%s" % (topic, "-".join(map(str, version)))
    producer = KafkaProducer(bootstrap_servers=brokers, api_version=version, compression_type="gzip", linger_ms=5)
    sent = ["%s message %d" % (name, i) for i in range(20)]
    for value in sent:
        producer.send(name, key=b"k", value=value.encode())
    producer.flush(30)
    producer.close()
    consumer = KafkaConsumer(name, bootstrap_servers=brokers, api_version=version, group_id=name + "-group",
                             auto_offset_reset="earliest", consumer_timeout_ms=3000, enable_auto_commit=False)
    seen = [m.value.decode() for m in consumer]
    consumer.commit()
    consumer.close()
    result[".".join(map(str, version))] = {"sent": len(sent), "seen": len(seen), "same": seen == sent}
print(json.dumps(result))
