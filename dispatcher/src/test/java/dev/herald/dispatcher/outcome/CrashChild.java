package dev.herald.dispatcher.outcome;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Random;

import org.roaringbitmap.PeekableIntIterator;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * The child JVM of {@link OutcomeLedgerCrashTest}: runs a campaign over an outcome ledger the way
 * the engine will (decide, claim, hand to the "connector", confirm) until it is killed or done.
 * "Handing to the connector" appends the ids to a plain file, after the claim returned and before
 * the outcome is recorded. Usage: {@code CrashChild <ledgerDir> <sentFile> <seed> <audienceSize>}.
 */
public final class CrashChild {
    private CrashChild() {
    }

    /** The audience of the crash test: every third id plus a high block, {@code size} ids in all. */
    static MutableRoaringBitmap audience(int size) {
        MutableRoaringBitmap a = new MutableRoaringBitmap();
        for (int i = 0; i < size / 2; i++) {
            a.add(i * 3);
        }
        a.add(2_000_000_000L, 2_000_000_000L + (size - size / 2));
        return a;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Random rnd = new Random(Long.parseLong(args[2]));
        MutableRoaringBitmap audience = audience(Integer.parseInt(args[3]));
        try (OutcomeLedger ledger = OutcomeLedger.open(dir, audience, 16);
             FileChannel sent = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                     StandardOpenOption.APPEND)) {
            System.out.println("STARTED " + ledger.recovery().unknownCount());
            System.out.flush();
            int batches = 0;
            while (!ledger.isComplete()) {
                ImmutableRoaringBitmap due = ledger.deferredDue(Instant.now());
                boolean released = !due.isEmpty();
                MutableRoaringBitmap batch = take(released ? due : ledger.pending(), 500 + rnd.nextInt(1500));
                if (batch.isEmpty()) {
                    Thread.sleep(5);
                    continue;
                }
                MutableRoaringBitmap suppressed = sample(rnd, batch, 0.1);
                ledger.record(Outcomes.suppressed("global"), suppressed);
                batch.andNot(suppressed);
                if (!released) {
                    MutableRoaringBitmap deferred = sample(rnd, batch, 0.05);
                    ledger.defer(Instant.now().plusMillis(20 + rnd.nextInt(50)), deferred);
                    batch.andNot(deferred);
                }
                ledger.claim(batch);
                MutableRoaringBitmap notHanded = sample(rnd, batch, 0.03);
                batch.andNot(notHanded);
                ByteBuffer buf = ByteBuffer.allocate(batch.getCardinality() * 4);
                batch.forEach((int id) -> buf.putInt(id));
                buf.flip();
                while (buf.hasRemaining()) {
                    sent.write(buf);
                }
                Thread.sleep(2);
                MutableRoaringBitmap failed = sample(rnd, batch, 0.05);
                batch.andNot(failed);
                ledger.record(Outcomes.SENT, batch);
                ledger.record(Outcomes.failed("timeout"), failed);
                ledger.release(notHanded);
                if (++batches % 20 == 0) {
                    ledger.checkpoint();
                }
            }
        }
        System.out.println("DONE");
    }

    private static MutableRoaringBitmap take(ImmutableRoaringBitmap from, int n) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        PeekableIntIterator it = from.getIntIterator();
        for (int i = 0; i < n && it.hasNext(); i++) {
            out.add(it.next());
        }
        return out;
    }

    private static MutableRoaringBitmap sample(Random rnd, ImmutableRoaringBitmap from, double p) {
        MutableRoaringBitmap out = new MutableRoaringBitmap();
        from.forEach((int id) -> {
            if (rnd.nextDouble() < p) {
                out.add(id);
            }
        });
        return out;
    }
}
