package dev.herald.dispatcher.campaign;

import static dev.herald.dispatcher.campaign.CampaignFixture.NOW;
import static dev.herald.dispatcher.campaign.CampaignFixture.range;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.connector.SimulatedConnectorOptions;
import dev.herald.throttle.SendLedger;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * Where the manager and the campaign actors open, write and fsync their files: every operation of
 * their {@link CampaignStore} (records, identity files, ledger opens and closes) is observed with
 * the name of the thread that ran it, over a campaign's whole life and the manager's answers from
 * the store, and must have run on {@link BlockingIo#DISPATCHER}, never on Pekko's default dispatcher.
 */
class CampaignFileWorkTest {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final Set<String> EVERY_KIND = Set.of("create", "save", "load", "list", "open-ledger", "close-ledger");

    @TempDir
    static Path shared;
    private static CampaignFixture fx;

    @BeforeAll
    static void populate() throws Exception {
        fx = new CampaignFixture(shared.resolve("data"), 4_000);
    }

    @AfterAll
    static void close() {
        fx.close();
    }

    @Test
    void shouldDoEveryFileOperationOffTheDefaultDispatcherWhenTheManagerIsSpawnedThere(@TempDir Path dir) throws Exception {
        List<String> work = runLife(dir, Props.empty());
        assertAllOnTheBlockingDispatcher(work);
    }

    @Test
    void shouldDoEveryFileOperationOnTheBlockingDispatcherWhenTheManagerIsSpawnedOnIt(@TempDir Path dir) throws Exception {
        List<String> work = runLife(dir, BlockingIo.props());
        assertAllOnTheBlockingDispatcher(work);
    }

    private static void assertAllOnTheBlockingDispatcher(List<String> work) {
        Set<String> kinds = new TreeSet<>();
        for (String w : work) {
            kinds.add(w.substring(0, w.indexOf(' ')));
            assertTrue(w.contains(" on ") && w.substring(w.indexOf(" on ")).contains(BlockingIo.DISPATCHER),
                    "file work off the blocking dispatcher: " + w);
        }
        assertTrue(kinds.containsAll(EVERY_KIND), "every kind of file work was observed: " + kinds);
    }

    /**
     * A campaign run to completion, one scheduled then paused and cancelled, look-ups and a resend
     * answered from the store, then a shutdown; returns "kind on thread" per file operation.
     */
    private static List<String> runLife(Path dir, Props managerProps) throws Exception {
        List<String> work = Collections.synchronizedList(new ArrayList<>());
        ActorTestKit kit = ActorTestKit.create();
        try (SendLedger capLedger = CampaignFixture.capLedger(dir.resolve("caps"));
             SimulatedConnector connector = SimulatedConnector.open(SimulatedConnectorOptions.defaults(dir.resolve("connector")))) {
            CampaignStore store = new CampaignStore(dir.resolve("campaigns"),
                    kind -> work.add(kind + " on " + Thread.currentThread().getName()));
            CampaignDeps deps = fx.deps(fx.shards(kit.system(), capLedger), connector, dir.resolve("unused"));
            ActorRef<CampaignManager.Command> manager = kit.spawn(CampaignManager.create(new Campaign.Settings(deps, store,
                    Duration.ofMillis(50), 2, Duration.ofMillis(50))), "campaigns", managerProps);

            // transactional: exempt from quiet hours and the marketing cap, so every recipient ends at once
            ImmutableRoaringBitmap audience = range(1_000);
            CampaignRecord done = CampaignRecord.create("done", "done", CampaignFixture.CHANNEL, "transactional",
                    CampaignFixture.SENDER, "Your code is 1234", "", audience.getLongCardinality(), NOW, null, null);
            assertTrue(CampaignFileWorkTest.<CampaignRecord>ask(kit, manager, p -> new CampaignManager.Create(done, audience, p)).isSuccess());
            long deadline = System.nanoTime() + WAIT.toNanos();
            CampaignRecord r;
            while ((r = CampaignFileWorkTest.<CampaignRecord>ask(kit, manager, p -> new CampaignManager.Get("done", p)).getValue()).status() != CampaignStatus.COMPLETED) {
                if (System.nanoTime() > deadline) {
                    fail("campaign done did not complete: " + r);
                }
                Thread.sleep(20);
            }

            CampaignRecord later = CampaignRecord.create("later", "later", CampaignFixture.CHANNEL, "transactional",
                    CampaignFixture.SENDER, "Your code is 1234", "", audience.getLongCardinality(), NOW,
                    NOW.plus(Duration.ofDays(1)), null);
            assertEquals(CampaignStatus.SCHEDULED,
                    CampaignFileWorkTest.<CampaignRecord>ask(kit, manager, p -> new CampaignManager.Create(later, audience, p)).getValue().status());
            assertEquals(CampaignStatus.PAUSED, CampaignFileWorkTest.<CampaignRecord>ask(kit, manager, p -> new CampaignManager.Pause("later", p)).getValue().status());
            assertEquals(CampaignStatus.CANCELLED, CampaignFileWorkTest.<CampaignRecord>ask(kit, manager, p -> new CampaignManager.Cancel("later", p)).getValue().status());

            assertEquals(2, CampaignFileWorkTest.<List<CampaignRecord>>ask(kit, manager, CampaignManager.ListAll::new).getValue().size());
            assertTrue(CampaignFileWorkTest.<RecipientLookup>ask(kit, manager, p -> new CampaignManager.OutcomeOf("done", 7, p))
                    .isSuccess());
            assertEquals(0, CampaignFileWorkTest.<Campaign.Resent>ask(kit, manager, p -> new CampaignManager.ResendUnknown("done", p))
                    .getValue().queued());

            TestProbe<Done> stopped = kit.createTestProbe();
            manager.tell(new CampaignManager.Shutdown(stopped.getRef()));
            stopped.receiveMessage(WAIT);
            // the ledgers of campaigns that stopped are closed once their last run has drained, asynchronously
            deadline = System.nanoTime() + WAIT.toNanos();
            while (work.stream().filter(w -> w.startsWith("close-ledger ")).count() < 2) {
                if (System.nanoTime() > deadline) {
                    fail("the two campaigns' ledgers were not closed: " + work);
                }
                Thread.sleep(20);
            }
        } finally {
            kit.shutdownTestKit();
        }
        synchronized (work) {
            return List.copyOf(work);
        }
    }

    private static <T> StatusReply<T> ask(ActorTestKit kit, ActorRef<CampaignManager.Command> manager,
                                          Function<ActorRef<StatusReply<T>>, CampaignManager.Command> m) {
        TestProbe<StatusReply<T>> probe = kit.createTestProbe();
        manager.tell(m.apply(probe.getRef()));
        return probe.receiveMessage(WAIT);
    }
}
