package dev.herald.dispatcher.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.herald.dispatcher.api.ProgressEvents;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.model.sse.ServerSentEvent;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.Test;

/** {@link ClusterCampaignEvents}: only a look every partition answered is shown, so no view goes backwards or ends falsely. */
class ClusterCampaignEventsTest {

    private static HttpAnswer answer(int partition, int status, String json) {
        return new HttpAnswer(partition, status, List.of(), "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    private static HttpAnswer slice(int partition, String status, long sent, long pending) {
        return answer(partition, 200, "{\"id\": \"c-1\", \"status\": \"" + status + "\", \"total\": " + (sent + pending)
                + ", \"counts\": {\"sent\": " + sent + ", \"pending\": " + pending + "}, \"outcomes\": {}, \"delivery\": {}}");
    }

    private static HttpAnswer unavailable(int partition) {
        return answer(partition, 503, "{\"error\": \"partition_unavailable\", \"message\": \"partition " + partition
                + " did not answer\", \"field\": null}");
    }

    @Test
    void shouldShowTheMergedViewWhenEveryPartitionAnswered() {
        ClusterCampaignEvents.Seen s = ClusterCampaignEvents.seen(List.of(slice(0, "completed", 5, 0), slice(1, "running", 2, 3)));
        assertNull(s.refusal());
        assertEquals("running", s.view().path("status").asText());
        assertEquals(7, s.view().path("counts").path("sent").asLong());
        assertEquals(0, s.view().path("partitions").path("unanswered").size());
    }

    @Test
    void shouldShowNothingWhenAPartitionDidNotAnswerRatherThanAFalseEnd() {
        // the answering slices are completed: merged alone they would end the stream while slice 1 still runs
        ClusterCampaignEvents.Seen s = ClusterCampaignEvents.seen(List.of(slice(0, "completed", 5, 0), unavailable(1),
                slice(2, "completed", 4, 0)));
        assertNull(s.view());
        assertEquals(503, s.refusal().status());
        assertTrue(s.refusal().text().contains("partition_unavailable") && s.refusal().text().contains("[1]"), s.refusal().text());
    }

    @Test
    void shouldPassAnUnknownCampaignsRefusalOn() {
        String notFound = "{\"error\": \"not_found\", \"message\": \"no campaign 'nope'\", \"field\": null}";
        ClusterCampaignEvents.Seen s = ClusterCampaignEvents.seen(List.of(answer(0, 404, notFound), answer(1, 404, notFound)));
        assertNull(s.view());
        assertEquals(404, s.refusal().status());
        assertEquals(notFound, s.refusal().text());
    }

    @Test
    void shouldSkipPartialLooksInTheStream() throws Exception {
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "cluster-campaign-events-test");
        try {
            // first look whole and running; then two partial looks (one would have been a false end); then whole and completed
            List<List<HttpAnswer>> looks = List.of(
                    List.of(slice(0, "completed", 5, 0), unavailable(1)),
                    List.of(slice(0, "completed", 5, 0), unavailable(1)),
                    List.of(slice(0, "completed", 5, 0), slice(1, "completed", 5, 0)));
            java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
            JsonNode first = ClusterCampaignEvents.seen(List.of(slice(0, "running", 3, 2), slice(1, "running", 1, 4))).view();
            ProgressEvents.Timing fast = new ProgressEvents.Timing(Duration.ofMillis(20), Duration.ofMillis(20), Duration.ofSeconds(5));
            List<ServerSentEvent> events = ProgressEvents.stream(first, () -> CompletableFuture.completedFuture(
                            Optional.ofNullable(ClusterCampaignEvents.seen(looks.get(Math.min(next.getAndIncrement(), looks.size() - 1))).view())),
                    ClusterCampaignEvents::look, fast).runWith(Sink.seq(), system).toCompletableFuture().get(10, TimeUnit.SECONDS);
            assertEquals(2, events.size(), events.toString());
            assertEquals(Optional.of("progress"), events.get(0).getEventType());
            assertEquals(Optional.of("end"), events.get(1).getEventType());
            assertTrue(events.get(1).getData().contains("\"sent\":10"), events.get(1).getData());
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
        }
    }
}
