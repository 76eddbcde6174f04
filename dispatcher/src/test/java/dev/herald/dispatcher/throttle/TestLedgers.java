package dev.herald.dispatcher.throttle;

import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * Real send ledgers for the shard tests: a marketing cap of 1 per calendar day (drop), and a
 * WhatsApp rule limited to the segment {@code vip}, read from {@code <dir>/segments/vip.roaring}.
 * No test writes that file, so a WhatsApp reserve fails inside the ledger with an
 * {@link UncheckedIOException} (an unreadable segment), while SMS reserves never read it.
 */
final class TestLedgers {

    static final String DAILY = "capped:daily";

    private TestLedgers() {
    }

    static SendLedger open(Path dir) throws IOException {
        FrequencyCaps caps = FrequencyCaps.of(List.of(
                new CapRule("daily", 1, CapWindow.calendar(CapWindow.Period.DAY), CapScope.MARKETING, Optional.empty(), CapAction.DROP),
                new CapRule("whatsapp-vip", 1, CapWindow.rolling(Duration.ofHours(1)), CapScope.parse("channel:whatsapp"),
                        Optional.of("vip"), CapAction.DROP)));
        Path segments = dir.resolve("segments");
        return SendLedger.open(dir.resolve("send-ledger"), caps, new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 4, 1 << 16),
                name -> readSegment(segments.resolve(name + ".roaring")));
    }

    private static ImmutableRoaringBitmap readSegment(Path file) {
        try {
            return new ImmutableRoaringBitmap(ByteBuffer.wrap(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException("segment file " + file + " cannot be read", e);
        }
    }
}
