package dev.herald.dispatcher.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignRejection;
import dev.herald.dispatcher.campaign.CampaignStatus;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The event stream's timing against a stand-in campaign manager whose one campaign the test moves by hand. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CampaignEventRoutesTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path dir;

    private final AtomicReference<CampaignRecord> campaign = new AtomicReference<>();
    private ActorSystem<CampaignManager.Command> manager;
    private ServerBinding binding;
    private String key;

    @BeforeEach
    void start() throws Exception {
        campaign.set(CampaignRecord.create("c-1", "test", "sms", "marketing", "acme", "hi", "", 10, Instant.now(), null, null)
                .withStatus(CampaignStatus.RUNNING, Instant.now()).withCounts(Map.of("pending", 10L, "claimed", 0L)));
        manager = ActorSystem.create(Behaviors.receive(CampaignManager.Command.class)
                .onMessage(CampaignManager.Get.class, m -> {
                    m.replyTo().tell(m.id().equals("c-1") ? StatusReply.success(campaign.get())
                            : StatusReply.error(new CampaignRejection(CampaignRejection.Reason.NOT_FOUND, "no campaign '" + m.id() + "'")));
                    return Behaviors.same();
                }).build(), "campaign-event-routes-test");
        ApiKeys keys = ApiKeys.open(dir.resolve("keys"));
        key = keys.create(Role.VIEWER, "test viewer").key();
        CampaignEventRoutes routes = new CampaignEventRoutes(keys, new CampaignAsks(manager, manager, Duration.ofSeconds(5)),
                Duration.ofMillis(20), Duration.ofMillis(300), Duration.ofMillis(400));
        binding = Http.get(manager).newServerAt("127.0.0.1", 0)
                .bind(HttpApi.sealed(List.of(routes.route()), CampaignEventRoutes.ENDPOINTS, Map::of, keys))
                .toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        binding.unbind().toCompletableFuture().get(10, TimeUnit.SECONDS);
        manager.terminate();
        manager.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private void set(CampaignStatus status, long sent) {
        campaign.set(campaign.get().withStatus(status, Instant.now()).withCounts(Map.of("sent", sent, "pending", 10 - sent,
                "claimed", 0L)));
    }

    /** A line of the stream and when it arrived. */
    private record Line(long atMillis, String text) {
    }

    @Test
    void shouldSendProgressAtMostEveryIntervalHeartbeatsWhenQuietAndEndOnCompletion() throws Exception {
        HttpResponse<java.util.stream.Stream<String>> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + binding.localAddress().getPort() + "/v1/campaigns/c-1/events")).header("Authorization", "Bearer " + key)
                .GET().build(), HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, r.statusCode());
        long t0 = System.currentTimeMillis();
        Iterator<String> it = r.body().iterator();
        List<Line> lines = new ArrayList<>();
        // counts move every 20 ms for a while, then nothing moves for a second, then it completes
        Thread mover = new Thread(() -> {
            try {
                for (int sent = 1; sent <= 5; sent++) {
                    set(CampaignStatus.RUNNING, sent);
                    Thread.sleep(150);
                }
                Thread.sleep(1_000);
                set(CampaignStatus.COMPLETED, 10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        mover.start();
        while (it.hasNext()) {
            lines.add(new Line(System.currentTimeMillis() - t0, it.next()));
        }
        mover.join();
        List<Line> events = lines.stream().filter(l -> l.text().startsWith("event:")).toList();
        List<Line> data = lines.stream().filter(l -> l.text().startsWith("data:")).toList();
        assertEquals("event:end", events.get(events.size() - 1).text(), lines.toString());
        assertEquals("completed", JSON.readTree(data.get(data.size() - 1).text().substring(5)).path("status").asText());
        long progress = events.stream().filter(l -> l.text().equals("event:progress")).count();
        // 5 changes over >= 600 ms, polled every 20 ms, sent at most every 300 ms: a few events, not one per poll
        // (at most the first plus one per change even on a stalled machine)
        assertTrue(progress >= 2 && progress <= 6, progress + " progress events: " + lines);
        // the quiet second got a heartbeat: an event with empty data, which EventSource clients do not dispatch
        long heartbeats = data.stream().filter(l -> l.text().equals("data:")).count();
        assertTrue(heartbeats >= 1, "a heartbeat while nothing moved: " + lines);
        assertEquals(events.size() + heartbeats, data.size(), "every event has data; heartbeats have no event type");
    }

    @Test
    void shouldAnswer404BeforeStreamingForAnUnknownCampaign() throws Exception {
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + binding.localAddress().getPort() + "/v1/campaigns/nope/events")).header("Authorization", "Bearer " + key)
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode(), r.body());
        assertEquals("not_found", JSON.readTree(r.body()).path("error").asText());
    }
}
