package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.List;

import org.junit.jupiter.api.Test;

/** The partitions' tests shown as one only once every partition holds the same decision. */
class TestViewsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode test(String sampledAt, long a, long b, long held, String decidedAt, String by, String send,
                                 String decision) throws Exception {
        return JSON.readTree("{\"sampledAt\": \"" + sampledAt + "\", \"decideAt\": \"2026-12-07T12:00:10Z\", \"sample\": {\"A\": "
                + a + ", \"B\": " + b + "}, \"held\": " + held + ", \"decidedAt\": " + (decidedAt == null ? "null" : "\""
                + decidedAt + "\"") + ", \"decidedBy\": " + (by == null ? "null" : "\"" + by + "\"") + ", \"decision\": "
                + decision + ", \"send\": " + (send == null ? "null" : "\"" + send + "\"") + "}");
    }

    @Test
    void theSameDecisionEverywhereIsShownOnceWithTheSamplesAddedUp() throws Exception {
        String d = "{\"winner\": \"B\", \"send\": \"B\", \"variants\": [{\"variant\": \"A\", \"exposed\": 30}]}";
        JsonNode whole = TestViews.whole(List.of(
                test("2026-12-07T12:00:01Z", 10, 11, 80, "2026-12-07T12:00:12Z", "rule", "B", d),
                test("2026-12-07T12:00:00Z", 12, 12, 70, "2026-12-07T12:00:11Z", "rule", "B", d)));
        assertEquals(22, whole.path("sample").path("A").asLong());
        assertEquals(23, whole.path("sample").path("B").asLong());
        assertEquals(150, whole.path("held").asLong());
        assertEquals("2026-12-07T12:00:00Z", whole.path("sampledAt").asText());
        assertEquals("2026-12-07T12:00:12Z", whole.path("decidedAt").asText());
        assertEquals("rule", whole.path("decidedBy").asText());
        assertEquals("B", whole.path("send").asText());
        assertEquals(JSON.readTree(d), whole.path("decision"));
    }

    @Test
    void noneWhileAnyPartitionIsUndecidedOrDecidedOtherwise() throws Exception {
        String d = "{\"winner\": \"B\"}";
        JsonNode decided = test("2026-12-07T12:00:01Z", 10, 11, 80, "2026-12-07T12:00:12Z", "rule", "B", d);
        assertNull(TestViews.whole(List.of(decided, test("2026-12-07T12:00:01Z", 1, 1, 8, null, null, null, "null"))));
        assertNull(TestViews.whole(List.of(decided, test("2026-12-07T12:00:01Z", 1, 1, 8, "2026-12-07T12:00:12Z", "rule",
                "A", d))));
        assertNull(TestViews.whole(List.of(decided, test("2026-12-07T12:00:01Z", 1, 1, 8, "2026-12-07T12:00:12Z", "operator",
                "B", d))));
        // an operator's pick on every partition: one test, each partition's figures of the moment kept apart
        JsonNode picked = TestViews.whole(List.of(
                test("2026-12-07T12:00:01Z", 10, 11, 80, "2026-12-07T12:00:12Z", "operator", "A", "{\"best\": \"B\"}"),
                test("2026-12-07T12:00:01Z", 1, 1, 8, "2026-12-07T12:00:12Z", "operator", "A", "{\"best\": \"A\"}")));
        assertEquals("A", picked.path("send").asText());
        assertTrue(picked.path("decision").isNull(), picked.toString());
    }
}
