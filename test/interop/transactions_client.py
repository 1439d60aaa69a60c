"""confluent-kafka-python (librdkafka) transactions against Tributary:
init_transactions, a committed transaction with send_offsets_to_transaction,
an aborted one, then read_committed and read_uncommitted consumers, and the
group's committed offset. Arguments: brokers, input topic, output topic,
group. Prints one JSON line."""
import json
import sys
from confluent_kafka import Consumer, Producer, TopicPartition

brokers, source, target, group = sys.argv[1:5]

seed = Producer({"bootstrap.servers": brokers})
for i in range(4):
    seed.produce(source, f"in-{i}".encode())
seed.flush(10)

consumer = Consumer({"bootstrap.servers": brokers, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False,
                     "isolation.level": "read_committed"})
consumer.subscribe([source])
inputs = []
while len(inputs) < 4:
    msg = consumer.poll(1.0)
    if msg is None:
        continue
    if msg.error():
        raise SystemExit(str(msg.error()))
    inputs.append(msg)

producer = Producer({"bootstrap.servers": brokers, "transactional.id": "ck-ctp", "transaction.timeout.ms": 10000})
producer.init_transactions(10)
# The first two inputs: results committed together with the input offsets.
producer.begin_transaction()
for msg in inputs[:2]:
    producer.produce(target, b"out-" + msg.value())
producer.send_offsets_to_transaction([TopicPartition(source, 0, inputs[1].offset() + 1)], consumer.consumer_group_metadata(), 10)
producer.commit_transaction(10)
# The other two: aborted, results and offsets both.
producer.begin_transaction()
for msg in inputs[2:]:
    producer.produce(target, b"out-" + msg.value())
producer.send_offsets_to_transaction([TopicPartition(source, 0, inputs[3].offset() + 1)], consumer.consumer_group_metadata(), 10)
producer.flush(10)  # written to the log before the abort (librdkafka drops what it has not sent yet)
producer.abort_transaction(10)
committed = consumer.committed([TopicPartition(source, 0)], timeout=10)[0].offset
consumer.close()


def read(isolation):
    c = Consumer({"bootstrap.servers": brokers, "group.id": f"{group}-{isolation}", "auto.offset.reset": "earliest", "isolation.level": isolation})
    c.subscribe([target])
    seen = []
    idle = 0
    while idle < 5:
        msg = c.poll(0.5)
        if msg is None:
            idle += 1
            continue
        if msg.error():
            raise SystemExit(str(msg.error()))
        seen.append(msg.value().decode())
    c.close()
    return sorted(seen)


print(json.dumps({"committed_offset": committed, "read_committed": read("read_committed"), "read_uncommitted": read("read_uncommitted")}))
