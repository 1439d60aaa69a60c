"""librdkafka (confluent-kafka-python) producer throughput against a broker:
acks=all, 1 KiB values. Prints one JSON line."""
import json
import sys
import time
from confluent_kafka import Producer

brokers, topic, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
errors = []
p = Producer({"bootstrap.servers": brokers, "acks": "all", "linger.ms": 5, "batch.size": 65536,
              "queue.buffering.max.messages": 1000000, "enable.idempotence": False})
value = b"v" * 1024
start = time.perf_counter()
for i in range(count):
    while True:
        try:
            p.produce(topic, value=value, on_delivery=lambda err, msg: errors.append(err) if err else None)
            break
        except BufferError:
            p.poll(0.01)
    if i % 1000 == 0:
        p.poll(0)
p.flush(120)
seconds = time.perf_counter() - start
print(json.dumps({"records": count, "seconds": seconds, "errors": len(errors),
                  "records_per_second": count / seconds, "mb_per_second": count * 1024 / 1048576 / seconds}))
