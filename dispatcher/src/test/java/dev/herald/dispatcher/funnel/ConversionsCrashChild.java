package dev.herald.dispatcher.funnel;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child JVM of {@link ConversionsCrashTest}: records orders {@code o-<from>} .. {@code o-<to - 1>}
 * in batches of {@value #BATCH}, printing {@code ACK <last order number>} once each batch's
 * {@link Conversions#record} returned, until killed ({@code DONE} if it never is).
 */
public final class ConversionsCrashChild {
    static final int BATCH = 50;

    private ConversionsCrashChild() {
    }

    static Conversion order(int n) {
        return new Conversion("o-" + n, n % 1_000, "c" + n % 3, Attribution.Source.CAMPAIGN, new BigDecimal(n % 100 + ".25"),
                "EUR", 1_800_000_000_000L, 1_800_000_000_001L);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int from = Integer.parseInt(args[1]);
        int to = Integer.parseInt(args[2]);
        try (Conversions c = Conversions.open(dir)) {
            for (int i = from; i < to; i += BATCH) {
                List<Conversion> batch = new ArrayList<>(BATCH);
                for (int n = i; n < Math.min(to, i + BATCH); n++) {
                    batch.add(order(n));
                }
                c.record(batch);
                System.out.println("ACK " + (i + batch.size() - 1));
                System.out.flush();
            }
        }
        System.out.println("DONE");
        System.out.flush();
    }
}
