package dev.herald.dispatcher.throttle;

import dev.herald.throttle.CapContext;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;

import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;

import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ThrottleShardTest {

    private static final ActorTestKit testKit = ActorTestKit.create();
    private static final long FROM = 65_536;
    private static final long TO = 3 * 65_536;
    private static final CapContext SMS = CapContext.marketing("sms", "promo", ZoneOffset.UTC);
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    @TempDir
    Path dir;
    private SendLedger ledger;
    private ActorRef<ThrottleShard.Command> shard;

    @BeforeEach
    void start() throws Exception {
        ledger = TestLedgers.open(dir);
        shard = testKit.spawn(ThrottleShard.create(ledger, FROM, TO));
    }

    @AfterEach
    void stop() {
        testKit.stop(shard);
        ledger.close();
    }

    @AfterAll
    static void shutdown() {
        testKit.shutdownTestKit();
    }

    private static ImmutableRoaringBitmap range(long from, long to) {
        return MutableRoaringBitmap.bitmapOfRange(from, to);
    }

    private ReservationBatch reserve(ImmutableRoaringBitmap ids, CapContext ctx, TestProbe<StatusReply<ThrottleShard.Reserved>> probe) {
        shard.tell(new ThrottleShard.Reserve(ids, ctx, NOW, probe.getRef()));
        StatusReply<ThrottleShard.Reserved> reply = probe.receiveMessage();
        assertTrue(reply.isSuccess(), () -> "reserve failed: " + reply);
        return reply.getValue().batch();
    }

    @Test
    void shouldReserveConfirmAndReleaseAChunkThroughTheShard() {
        TestProbe<StatusReply<ThrottleShard.Reserved>> reserved = testKit.createTestProbe();
        TestProbe<StatusReply<ThrottleShard.Updated>> updated = testKit.createTestProbe();
        ImmutableRoaringBitmap chunk = range(FROM, FROM + 1_000);

        ReservationBatch first = reserve(chunk, SMS, reserved);
        assertEquals(chunk, first.reserved());
        assertEquals(1, ledger.recorded((int) FROM));

        shard.tell(new ThrottleShard.Confirm(range(FROM, FROM + 600), first.stamp(), updated.getRef()));
        assertEquals(new ThrottleShard.Updated(600), updated.receiveMessage().getValue());
        shard.tell(new ThrottleShard.Release(range(FROM + 600, FROM + 1_000), first.stamp(), updated.getRef()));
        assertEquals(new ThrottleShard.Updated(400), updated.receiveMessage().getValue());
        assertEquals(0, ledger.recorded((int) FROM + 600));

        ReservationBatch second = reserve(chunk, SMS, reserved);
        assertEquals(range(FROM + 600, FROM + 1_000), second.reserved(), "released ids are free again");
        assertEquals(range(FROM, FROM + 600), second.capped().get(TestLedgers.DAILY), "confirmed ids stay counted");
    }

    @Test
    void shouldRefuseIdsOutsideItsRangeNamingTheRange() {
        TestProbe<StatusReply<ThrottleShard.Reserved>> reserved = testKit.createTestProbe();
        TestProbe<StatusReply<ThrottleShard.Updated>> updated = testKit.createTestProbe();

        shard.tell(new ThrottleShard.Reserve(range(TO - 10, TO + 10), SMS, NOW, reserved.getRef()));
        StatusReply<ThrottleShard.Reserved> refused = reserved.receiveMessage();
        assertTrue(refused.isError());
        IllegalArgumentException e = assertInstanceOf(IllegalArgumentException.class, refused.getError());
        assertTrue(e.getMessage().contains("[65536, 196608)"), e.getMessage());
        assertTrue(e.getMessage().contains("last 196617"), e.getMessage());
        assertEquals(0, ledger.recorded((int) TO - 10), "nothing of a refused chunk is reserved");

        shard.tell(new ThrottleShard.Confirm(range(0, 5), 1L, updated.getRef()));
        assertInstanceOf(IllegalArgumentException.class, updated.receiveMessage().getError());

        assertEquals(range(TO - 10, TO), reserve(range(TO - 10, TO), SMS, reserved).reserved(), "shard still serves its range");
    }

    @Test
    void shouldAnswerALedgerFailureAndKeepServing() {
        TestProbe<StatusReply<ThrottleShard.Reserved>> reserved = testKit.createTestProbe();
        TestProbe<StatusReply<ThrottleShard.Updated>> updated = testKit.createTestProbe();
        CapContext whatsapp = CapContext.marketing("whatsapp", "promo", ZoneOffset.UTC);

        shard.tell(new ThrottleShard.Reserve(range(FROM, FROM + 100), whatsapp, NOW, reserved.getRef()));
        StatusReply<ThrottleShard.Reserved> failed = reserved.receiveMessage();
        assertTrue(failed.isError());
        UncheckedIOException e = assertInstanceOf(UncheckedIOException.class, failed.getError());
        assertTrue(e.getMessage().contains("vip.roaring"), e.getMessage());

        shard.tell(new ThrottleShard.Confirm(range(FROM, FROM + 1), 0L, updated.getRef()));
        assertInstanceOf(IllegalArgumentException.class, updated.receiveMessage().getError(), "a bad stamp is answered too");

        ReservationBatch after = reserve(range(FROM, FROM + 100), SMS, reserved);
        assertEquals(range(FROM, FROM + 100), after.reserved(), "same shard, same ids: alive and nothing half-reserved");
    }

    @Test
    void shouldAnswerEveryMessageAfterTheLedgerIsClosedUnderIt() {
        TestProbe<StatusReply<ThrottleShard.Reserved>> reserved = testKit.createTestProbe();
        ledger.close();

        for (int i = 0; i < 3; i++) {
            shard.tell(new ThrottleShard.Reserve(range(FROM, FROM + 10), SMS, NOW, reserved.getRef()));
            assertInstanceOf(IllegalStateException.class, reserved.receiveMessage().getError());
        }
    }
}
