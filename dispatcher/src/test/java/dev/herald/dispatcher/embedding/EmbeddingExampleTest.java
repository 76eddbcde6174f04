package dev.herald.dispatcher.embedding;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.connector.AcceptedLogEntry;

import java.io.IOException;
import java.nio.file.Files;
import java.util.HashMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

// tag::imports[]
import dev.herald.dispatcher.HeraldEmbedded;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStatus;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.pattern.StatusReply;
import org.roaringbitmap.buffer.MutableRoaringBitmap;
// end::imports[]

/**
 * The example of {@code docs/embedding.md}, run as it is shown there: an application starts Herald
 * in its own actor system, submits a campaign, pauses and resumes it and watches it to the end by
 * the actor protocol's typed messages. The doc's code blocks must equal this file's tagged regions.
 */
class EmbeddingExampleTest {

    private static final Path DOC = Path.of("..", "docs", "embedding.md");
    private static final Path SOURCE = Path.of("src", "test", "java", "dev", "herald", "dispatcher", "embedding",
            "EmbeddingExampleTest.java");

    // tag::embed[]
    /** Sends an order update to two customers; returns Herald's answers in order. */
    static List<CampaignRecord> sendOrderUpdates(Path dataDir) throws Exception {
        List<CampaignRecord> answers = new ArrayList<>();
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "shop");
        SimulatedConnector connector = SimulatedConnector.open(
                SimulatedConnectorOptions.defaults(dataDir.resolve("connector")));
        HeraldEmbedded herald = HeraldEmbedded.start(system, dataDir, connector);
        try {
            ActorRef<CampaignManager.Command> campaigns = herald.campaigns();

            // The audience: recipient ids from Herald's directory.
            MutableRoaringBitmap audience = new MutableRoaringBitmap();
            audience.add(herald.register("+447400123001", "Europe/London", "en-GB", Map.of("first_name", "Ada")));
            audience.add(herald.register("+33612345678", "Europe/Paris", "fr", Map.of("first_name", "Zoë")));

            // Submit: a transactional campaign (no quiet hours), to start in an hour.
            Instant now = Instant.now();
            CampaignRecord record = CampaignRecord.create("order-update-42", "Order update", "sms",
                    "transactional", "shop", "Hi {{first_name}}, your order has shipped.", "",
                    audience.getLongCardinality(), now, now.plus(Duration.ofHours(1)), null);
            answers.add(ask(system, campaigns, replyTo -> new CampaignManager.Create(record, audience, replyTo)));

            // Pause it, then resume it: a resumed campaign runs at once.
            answers.add(ask(system, campaigns, replyTo -> new CampaignManager.Pause(record.id(), replyTo)));
            answers.add(ask(system, campaigns, replyTo -> new CampaignManager.Resume(record.id(), replyTo)));

            // Watch it until every recipient has an outcome.
            CampaignRecord status = ask(system, campaigns, replyTo -> new CampaignManager.Get(record.id(), replyTo));
            while (status.status() != CampaignStatus.COMPLETED) {
                Thread.sleep(50);
                status = ask(system, campaigns, replyTo -> new CampaignManager.Get(record.id(), replyTo));
            }
            answers.add(status); // status.counts().get("sent"): 2
        } finally {
            herald.stop().toCompletableFuture().join(); // campaigns stop, stores close
            connector.close();
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
        return answers;
    }

    /** Asks the campaign manager; a refusal ({@code CampaignRejection}) is thrown, wrapped by {@code join}. */
    static CampaignRecord ask(ActorSystem<?> system, ActorRef<CampaignManager.Command> campaigns,
                              Function<ActorRef<StatusReply<CampaignRecord>>, CampaignManager.Command> message) {
        CompletionStage<CampaignRecord> answer = AskPattern.askWithStatus(campaigns, message::apply,
                Duration.ofSeconds(10), system.scheduler());
        return answer.toCompletableFuture().join();
    }
    // end::embed[]

    @Test
    void shouldSubmitPauseResumeAndWatchACampaignByTypedMessages(@TempDir Path dataDir) throws Exception {
        List<CampaignRecord> answers = sendOrderUpdates(dataDir);

        assertEquals(List.of(CampaignStatus.SCHEDULED, CampaignStatus.PAUSED, CampaignStatus.RUNNING, CampaignStatus.COMPLETED),
                answers.stream().map(CampaignRecord::status).toList());
        assertEquals(2L, answers.get(3).counts().get("sent"));
        assertEquals(2L, answers.get(3).counts().values().stream().mapToLong(Long::longValue).sum(), "nothing else");
        Map<Integer, Integer> sent = new HashMap<>();
        try (SimulatedConnector reopened = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dataDir.resolve("connector")))) {
            for (AcceptedLogEntry e : SimulatedConnector.readLog(reopened.logFile())) {
                sent.merge(e.recipientId(), 1, Integer::sum);
            }
        }
        assertEquals(Map.of(0, 1, 1, 1), sent, "each recipient once");
    }

    @Test
    void shouldCarryOnACampaignAfterHeraldRestartsInANewActorSystem(@TempDir Path dataDir) throws Exception {
        sendOrderUpdates(dataDir.resolve("first"));
        // the same data directory opens again (its lock released by stop) and knows the campaign
        ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "shop-again");
        try (SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(
                dataDir.resolve("first").resolve("connector")));
             HeraldEmbedded herald = HeraldEmbedded.start(system, dataDir.resolve("first"), connector)) {
            CampaignRecord r = AskPattern.<CampaignManager.Command, StatusReply<CampaignRecord>>ask(herald.campaigns(),
                    replyTo -> new CampaignManager.Get("order-update-42", replyTo), Duration.ofSeconds(10), system.scheduler())
                    .toCompletableFuture().join().getValue();
            assertEquals(CampaignStatus.COMPLETED, r.status());
        } finally {
            system.terminate();
            system.getWhenTerminated().toCompletableFuture().join();
        }
    }

    @Test
    void shouldShowExactlyTheTestedExampleInTheEmbeddingDoc() throws IOException {
        String source = Files.readString(SOURCE);
        List<String> blocks = javaBlocks(Files.readString(DOC));
        assertTrue(blocks.size() >= 2, "docs/embedding.md has the imports and the example as ```java blocks");
        assertEquals(region(source, "imports"), blocks.get(0), "docs/embedding.md's imports differ from the test's");
        assertEquals(region(source, "embed"), blocks.get(1), "docs/embedding.md's example differs from the test's");
    }

    /** The lines between {@code // tag::name[]} and {@code // end::name[]}, their common indentation removed. */
    static String region(String source, String name) {
        String begin = "// tag::" + name + "[]";
        String end = "// end::" + name + "[]";
        int from = source.indexOf(begin);
        int to = source.indexOf(end);
        if (from < 0 || to < from) {
            throw new IllegalArgumentException("no region " + name);
        }
        List<String> lines = source.substring(source.indexOf('\n', from) + 1, to).lines().toList();
        lines = lines.subList(0, lines.size() - (lines.get(lines.size() - 1).isBlank() ? 1 : 0));
        int indent = lines.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length())
                .min().orElse(0);
        StringBuilder out = new StringBuilder();
        for (String l : lines) {
            out.append(l.isBlank() ? "" : l.substring(indent)).append('\n');
        }
        return out.toString();
    }

    /** The bodies of the markdown's {@code ```java} blocks, in order. */
    static List<String> javaBlocks(String markdown) {
        List<String> out = new ArrayList<>();
        int at = 0;
        while ((at = markdown.indexOf("```java\n", at)) >= 0) {
            int body = at + "```java\n".length();
            int close = markdown.indexOf("```\n", body);
            out.add(markdown.substring(body, close));
            at = close + 4;
        }
        return out;
    }
}
