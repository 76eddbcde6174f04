package dev.herald.dispatcher.outcome;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * Random claims, records, deferrals, releases, checkpoints and reopens against a plain map from
 * id to state; after every step the ledger must answer exactly as the model.
 */
class OutcomeLedgerModelTest {
    private static final long SEED = 0x5EED_0F_0DL;
    private static final String CLAIMED = "<claimed>";
    private static final String[] UNCLAIMED_FINALS = {"suppressed:global", "suppressed:brand-a", "capped:daily-1", "expired"};
    private static final String[] CLAIMED_FINALS = {"sent", "failed:timeout", "failed:rejected"};

    @TempDir
    Path dir;

    private final Map<Integer, String> model = new HashMap<>();     // absent = pending
    private final Map<Integer, Long> until = new HashMap<>();

    @Test
    void shouldMatchAnInMemoryModelUnderRandomOperations() throws IOException {
        System.out.println("OutcomeLedgerModelTest seed = " + SEED);
        Random rnd = new Random(SEED);
        MutableRoaringBitmap audience = new MutableRoaringBitmap();
        while (audience.getCardinality() < 3000) {
            audience.add(rnd.nextInt(4) == 0 ? 0x7FFF_0000 + rnd.nextInt(1 << 18) : rnd.nextInt(20_000));
        }
        List<Integer> all = new ArrayList<>();
        audience.forEach((int id) -> all.add(id));
        OutcomeLedger ledger = OutcomeLedger.open(dir, audience, 1 + rnd.nextInt(16));
        for (int step = 0; step < 3000; step++) {
            int op = rnd.nextInt(100);
            if (op < 20) {
                MutableRoaringBitmap b = pick(rnd, all, s -> s == null || s.equals("deferred"));
                ledger.claim(b);
                b.forEach((int id) -> { model.put(id, CLAIMED); until.remove(id); });
            } else if (op < 40) {
                String outcome = CLAIMED_FINALS[rnd.nextInt(CLAIMED_FINALS.length)];
                MutableRoaringBitmap b = pick(rnd, all, CLAIMED::equals);
                ledger.record(outcome, b);
                b.forEach((int id) -> model.put(id, outcome));
            } else if (op < 55) {
                String outcome = UNCLAIMED_FINALS[rnd.nextInt(UNCLAIMED_FINALS.length)];
                MutableRoaringBitmap b = pick(rnd, all, s -> s == null || s.equals("deferred"));
                ledger.record(outcome, b);
                b.forEach((int id) -> { model.put(id, outcome); until.remove(id); });
            } else if (op < 65) {
                long t = 1_700_000_000_000L + rnd.nextInt(5) * 3_600_000L;
                MutableRoaringBitmap b = pick(rnd, all, s -> s == null || s.equals("deferred"));
                ledger.defer(Instant.ofEpochMilli(t), b);
                b.forEach((int id) -> { model.put(id, "deferred"); until.put(id, t); });
            } else if (op < 75) {
                MutableRoaringBitmap b = pick(rnd, all, CLAIMED::equals);
                ledger.release(b);
                b.forEach((int id) -> model.remove(id));
            } else if (op < 78) {
                MutableRoaringBitmap b = pick(rnd, all, s -> s != null && !s.equals(CLAIMED) && !s.equals("deferred"));
                if (!b.isEmpty()) {
                    b.or(pick(rnd, all, s -> s == null));
                    OutcomeLedger l = ledger;
                    assertThrows(IllegalStateException.class, () -> l.record("expired", b));
                    assertThrows(IllegalStateException.class, () -> l.claim(b));
                }
            } else if (op < 80) {
                MutableRoaringBitmap b = pick(rnd, all, s -> s == null || CLAIMED.equals(s) || "deferred".equals(s));
                ledger.record("unknown", b);
                b.forEach((int id) -> { model.put(id, "unknown"); until.remove(id); });
            } else if (op < 85) {
                ledger.checkpoint();
            } else if (op < 90) {
                if (rnd.nextBoolean()) {
                    ledger.close();
                } else {
                    ledger.releaseLockAsIfKilled();
                }
                ledger = OutcomeLedger.open(dir, audience, 1 + rnd.nextInt(16));
                MutableRoaringBitmap expectedUnknown = new MutableRoaringBitmap();
                model.forEach((id, s) -> { if (CLAIMED.equals(s)) { expectedUnknown.add(id); } });
                assertEquals(expectedUnknown, ledger.recovery().unknown(), "step " + step);
                expectedUnknown.forEach((int id) -> model.put(id, "unknown"));
            }
            if (step % 25 == 0 || op >= 85) {
                compare(ledger, all, step);
            }
        }
        compare(ledger, all, -1);
        ledger.close();
    }

    private MutableRoaringBitmap pick(Random rnd, List<Integer> all, Predicate<String> state) {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        int want = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 400 : 40);
        for (int tries = 0; tries < want * 4 && b.getCardinality() < want; tries++) {
            int id = all.get(rnd.nextInt(all.size()));
            if (state.test(model.get(id))) {
                b.add(id);
            }
        }
        return b;
    }

    private void compare(OutcomeLedger ledger, List<Integer> all, int step) {
        Map<String, Long> counts = new HashMap<>();
        MutableRoaringBitmap pending = new MutableRoaringBitmap();
        for (int id : all) {
            String s = model.get(id);
            String key = s == null ? "pending" : s.equals(CLAIMED) ? "claimed" : s;
            counts.merge(key, 1L, Long::sum);
            if (s == null) {
                pending.add(id);
            }
            Optional<RecipientOutcome> expected = s == null || s.equals(CLAIMED) ? Optional.empty()
                    : Optional.of(new RecipientOutcome(s, s.equals("deferred") ? Instant.ofEpochMilli(until.get(id)) : null));
            assertEquals(expected, ledger.outcomeOf(id), "step " + step + " id " + Integer.toUnsignedString(id));
        }
        counts.putIfAbsent("pending", 0L);
        counts.putIfAbsent("claimed", 0L);
        assertEquals(counts, ledger.counts(), "step " + step);
        assertEquals(pending, ledger.pending(), "step " + step);
        assertEquals(counts.get("pending") + counts.get("claimed") + counts.getOrDefault("deferred", 0L) == 0, ledger.isComplete());
    }
}
