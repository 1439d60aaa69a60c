// Kafka's range assignor for kafkajs, whose only built-in assigner is named
// "RoundRobinAssigner": a name no Java client or REST Proxy consumer speaks,
// so a kafkajs consumer cannot share a group with them (on Kafka too) unless
// it offers "range" as well.
import { AssignerProtocol, type PartitionAssigner } from "kafkajs";

export const RangeAssigner: PartitionAssigner = ({ cluster }) => ({
  name: "range",
  version: 0,
  protocol({ topics }) {
    return { name: "range", metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
  },
  async assign({ members, topics }) {
    const sorted = [...members].sort((a, b) => a.memberId.localeCompare(b.memberId));
    const plan = new Map<string, Record<string, number[]>>(sorted.map((m) => [m.memberId, {}]));
    for (const topic of topics) {
      const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => a - b);
      const each = Math.floor(partitions.length / sorted.length);
      const extra = partitions.length % sorted.length;
      let at = 0;
      sorted.forEach((m, i) => {
        const n = each + (i < extra ? 1 : 0);
        plan.get(m.memberId)![topic] = partitions.slice(at, at + n);
        at += n;
      });
    }
    return sorted.map((m) => ({
      memberId: m.memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: plan.get(m.memberId)!, userData: Buffer.alloc(0) }),
    }));
  },
});
