"""Real Kafka clients authenticating to Tributary: confluent-kafka-python
(librdkafka) and kafka-python, each with PLAIN, SCRAM-SHA-256 and
SCRAM-SHA-512, then a wrong password and an unknown user, and a topic the
user may not write. Arguments: brokers, security protocol (SASL_PLAINTEXT or
SASL_SSL), CA file ("-" for none), topic, denied topic. Prints one JSON line."""
import json
import sys
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient
from kafka import KafkaConsumer, KafkaProducer
from kafka.errors import KafkaError as PyKafkaError

brokers, protocol, ca, topic, denied = sys.argv[1:6]
USERS = {"alice": "alice-secret"}
MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
result = {"confluent": {}, "kafka_python": {}}


def ck_config(mechanism, user, password):
    config = {"bootstrap.servers": brokers, "security.protocol": protocol, "sasl.mechanisms": mechanism,
              "sasl.username": user, "sasl.password": password}
    if ca != "-":
        config["ssl.ca.location"] = ca
    return config


def kp_config(mechanism, user, password):
    config = {"bootstrap_servers": brokers, "security_protocol": protocol, "sasl_mechanism": mechanism,
              "sasl_plain_username": user, "sasl_plain_password": password, "api_version": (2, 5, 0)}
    if ca != "-":
        config["ssl_cafile"] = ca
        config["ssl_check_hostname"] = False
    return config


def ck_produce(mechanism, user, password, to_topic):
    errors, offsets = [], []
    p = Producer({**ck_config(mechanism, user, password), "message.timeout.ms": 10000})
    p.produce(to_topic, f"ck-{mechanism}".encode(), on_delivery=lambda err, msg: errors.append(err.name()) if err else offsets.append(msg.offset()))
    p.flush(15)
    return {"errors": errors, "offsets": len(offsets)}


for mechanism in MECHANISMS:
    result["confluent"][mechanism] = ck_produce(mechanism, "alice", USERS["alice"], topic)
result["confluent"]["denied_topic"] = ck_produce("SCRAM-SHA-256", "alice", USERS["alice"], denied)
for name, (user, password) in {"wrong_password": ("alice", "nope"), "unknown_user": ("mallory", "x")}.items():
    admin = AdminClient(ck_config("SCRAM-SHA-512", user, password))
    try:
        admin.list_topics(timeout=5)
        result["confluent"][name] = "accepted"
    except KafkaException as e:
        result["confluent"][name] = e.args[0].name()

consumer = Consumer({**ck_config("SCRAM-SHA-512", "alice", USERS["alice"]), "group.id": "alice-ck", "auto.offset.reset": "earliest"})
consumer.subscribe([topic])
seen = set()
for _ in range(200):
    msg = consumer.poll(0.2)
    if msg is None:
        if len(seen) >= 3:
            break
        continue
    if msg.error():
        raise KafkaException(msg.error())
    seen.add(msg.value().decode())
consumer.close()
result["confluent"]["consumed"] = sorted(v for v in seen if v.startswith("ck-"))

for mechanism in MECHANISMS:
    producer = KafkaProducer(**kp_config(mechanism, "alice", USERS["alice"]), acks="all")
    result["kafka_python"][mechanism] = producer.send(topic, f"kp-{mechanism}".encode()).get(timeout=15).offset >= 0
    producer.close()
try:
    producer = KafkaProducer(**kp_config("PLAIN", "alice", "nope"), acks="all", max_block_ms=5000)
    producer.send(topic, b"x").get(timeout=10)
    result["kafka_python"]["wrong_password"] = "accepted"
except PyKafkaError as e:
    result["kafka_python"]["wrong_password"] = type(e).__name__
consumer = KafkaConsumer(topic, **kp_config("SCRAM-SHA-256", "alice", USERS["alice"]), group_id="alice-kp",
                         auto_offset_reset="earliest", consumer_timeout_ms=10000)
result["kafka_python"]["consumed"] = sorted({m.value.decode() for m in consumer if m.value.decode().startswith("kp-")})
consumer.close()
print(json.dumps(result))
