/*
 * Asks Kafka's own MirrorMaker 2 client code about what strait wrote, for the compatibility
 * tests (test/integration/mm2-compat.test.ts, test/helpers/java.ts).
 *
 * Usage: java -cp <this>:<kafka lib>/* Mm2Check '<json>'
 *   json = {"properties": {"bootstrap.servers": "..."}, "requests": [request, ...]}
 *   request (one of):
 *     {"op": "translateOffsets", "remoteClusterAlias": "A", "consumerGroupId": "g", "timeoutMs": 20000}
 *     {"op": "replicationHops", "sourceClusterAlias": "A"}
 *     {"op": "upstreamClusters"} | {"op": "heartbeatTopics"} | {"op": "checkpointTopics"}
 *     {"op": "decode", "format": "heartbeat" | "checkpoint" | "offset-sync", "key": hex, "value": hex}
 *     {"op": "encode", "format": ..., "record": {fields as in the decode answer}}
 * Prints one JSON array on stdout, one answer per request in order. A request that throws
 * answers {"op": ..., "error": "<exception class>: <message>"} instead, so callers can check
 * that Java refuses malformed bytes too. Sets are printed sorted. int64 values are printed as
 * decimal strings, so that nothing is rounded on the way to JavaScript.
 *
 * The JSON argument is plain ASCII (other characters come as JSON unicode escapes) and so is
 * the output: neither then depends on the platform's default charset.
 */

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.mirror.Checkpoint;
import org.apache.kafka.connect.mirror.Heartbeat;
import org.apache.kafka.connect.mirror.OffsetSync;
import org.apache.kafka.connect.mirror.RemoteClusterUtils;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

public final class Mm2Check {
    private static final ObjectMapper MAPPER =
        new ObjectMapper(JsonFactory.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build());
    private static final HexFormat HEX = HexFormat.of();

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: Mm2Check '{\"properties\": {...}, \"requests\": [...]}'");
            System.exit(2);
        }
        JsonNode input = MAPPER.readTree(args[0]);
        Map<String, Object> props = new HashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = input.path("properties").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            props.put(e.getKey(), e.getValue().asText());
        }
        ArrayNode out = MAPPER.createArrayNode();
        for (JsonNode request : input.path("requests")) {
            String op = request.path("op").asText();
            ObjectNode answer = MAPPER.createObjectNode();
            answer.put("op", op);
            try {
                run(op, request, props, answer);
            } catch (Exception e) {
                answer.put("error", e.getClass().getName() + ": " + e.getMessage());
            }
            out.add(answer);
        }
        System.out.println(MAPPER.writeValueAsString(out));
        System.out.flush();
        // Kafka clients may leave non-daemon threads behind; the answers are out.
        System.exit(0);
    }

    private static void run(String op, JsonNode r, Map<String, Object> props, ObjectNode answer) throws Exception {
        switch (op) {
            case "translateOffsets": {
                Map<TopicPartition, OffsetAndMetadata> offsets = RemoteClusterUtils.translateOffsets(props,
                    r.path("remoteClusterAlias").asText(), r.path("consumerGroupId").asText(),
                    Duration.ofMillis(r.path("timeoutMs").asLong(20_000)));
                List<TopicPartition> keys = new ArrayList<>(offsets.keySet());
                keys.sort(Comparator.comparing(TopicPartition::topic).thenComparingInt(TopicPartition::partition));
                ArrayNode list = answer.putArray("offsets");
                for (TopicPartition tp : keys) {
                    ObjectNode o = list.addObject();
                    o.put("topic", tp.topic());
                    o.put("partition", tp.partition());
                    o.put("offset", Long.toString(offsets.get(tp).offset()));
                    o.put("metadata", offsets.get(tp).metadata());
                }
                break;
            }
            case "replicationHops":
                answer.put("hops", RemoteClusterUtils.replicationHops(props, r.path("sourceClusterAlias").asText()));
                break;
            case "upstreamClusters":
                putSorted(answer, "clusters", RemoteClusterUtils.upstreamClusters(props));
                break;
            case "heartbeatTopics":
                putSorted(answer, "topics", RemoteClusterUtils.heartbeatTopics(props));
                break;
            case "checkpointTopics":
                putSorted(answer, "topics", RemoteClusterUtils.checkpointTopics(props));
                break;
            case "decode":
                answer.put("format", r.path("format").asText());
                answer.set("record", decode(r.path("format").asText(), HEX.parseHex(r.path("key").asText()), HEX.parseHex(r.path("value").asText())));
                break;
            case "encode":
                answer.put("format", r.path("format").asText());
                encode(r.path("format").asText(), r.path("record"), answer);
                break;
            default:
                throw new IllegalArgumentException("unknown op \"" + op + "\"");
        }
    }

    private static void putSorted(ObjectNode answer, String field, Iterable<String> values) {
        ArrayNode list = answer.putArray(field);
        TreeSet<String> sorted = new TreeSet<>();
        values.forEach(sorted::add);
        sorted.forEach(list::add);
    }

    private static ObjectNode decode(String format, byte[] key, byte[] value) {
        ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("mm2-check", 0, 0L, key, value);
        ObjectNode o = MAPPER.createObjectNode();
        switch (format) {
            case "heartbeat": {
                Heartbeat h = Heartbeat.deserializeRecord(record);
                o.put("sourceClusterAlias", h.sourceClusterAlias());
                o.put("targetClusterAlias", h.targetClusterAlias());
                o.put("timestamp", Long.toString(h.timestamp()));
                return o;
            }
            case "checkpoint": {
                Checkpoint c = Checkpoint.deserializeRecord(record);
                o.put("consumerGroupId", c.consumerGroupId());
                o.put("topic", c.topicPartition().topic());
                o.put("partition", c.topicPartition().partition());
                o.put("upstreamOffset", Long.toString(c.upstreamOffset()));
                o.put("downstreamOffset", Long.toString(c.downstreamOffset()));
                o.put("metadata", c.metadata());
                return o;
            }
            case "offset-sync": {
                OffsetSync s = OffsetSync.deserializeRecord(record);
                o.put("topic", s.topicPartition().topic());
                o.put("partition", s.topicPartition().partition());
                o.put("upstreamOffset", Long.toString(s.upstreamOffset()));
                o.put("downstreamOffset", Long.toString(s.downstreamOffset()));
                return o;
            }
            default:
                throw new IllegalArgumentException("unknown format \"" + format + "\"");
        }
    }

    /**
     * MM2's own serialisation. recordKey()/recordValue() are package-private (MM2's tasks call
     * them); reflection reaches them because everything here is on the class path, in the
     * unnamed module, where Java's module encapsulation does not apply.
     */
    private static void encode(String format, JsonNode f, ObjectNode answer) throws Exception {
        Object record;
        switch (format) {
            case "heartbeat":
                record = new Heartbeat(f.path("sourceClusterAlias").asText(), f.path("targetClusterAlias").asText(), f.path("timestamp").asLong());
                break;
            case "checkpoint":
                record = new Checkpoint(f.path("consumerGroupId").asText(),
                    new TopicPartition(f.path("topic").asText(), f.path("partition").asInt()),
                    f.path("upstreamOffset").asLong(), f.path("downstreamOffset").asLong(), f.path("metadata").asText());
                break;
            case "offset-sync":
                record = new OffsetSync(new TopicPartition(f.path("topic").asText(), f.path("partition").asInt()),
                    f.path("upstreamOffset").asLong(), f.path("downstreamOffset").asLong());
                break;
            default:
                throw new IllegalArgumentException("unknown format \"" + format + "\"");
        }
        answer.put("key", HEX.formatHex(invoke(record, "recordKey")));
        answer.put("value", HEX.formatHex(invoke(record, "recordValue")));
    }

    private static byte[] invoke(Object target, String method) throws Exception {
        Method m = target.getClass().getDeclaredMethod(method);
        m.setAccessible(true);
        return (byte[]) m.invoke(target);
    }
}
