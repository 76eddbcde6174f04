package dev.herald.bench;

import dev.herald.dispatcher.delivery.MessageIdMap;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * Size of the message-id map ({@link MessageIdMap}, Chronicle Map) for many messages: issue 14's
 * third figure. Puts {@code --entries} ids of connector {@code node} (keys {@code node/<id>},
 * consecutive decimal ids from {@code --first-id}, default 987,654,321: 9 digits, as an SMSC counts)
 * into a new map of {@code --capacity}, then prints the file's apparent and allocated size
 * ({@code du --apparent-size}, {@code du}), bytes per entry, the put rate, and the heap used
 * before and after (after a full GC). Every id is read back at the end. Needs the Chronicle JVM
 * flags (the jar's {@code herald-jvm.flags}).
 *
 * <pre>{@code
 * FLAGS="$(unzip -p bench/target/benchmarks.jar herald-jvm.flags)"
 * java $FLAGS -cp bench/target/benchmarks.jar dev.herald.bench.MessageIdMapSize --entries 10000000 --capacity 10000000
 * java $FLAGS -cp bench/target/benchmarks.jar dev.herald.bench.MessageIdMapSize --entries 10000000 --capacity 2000000
 * }</pre>
 */
public final class MessageIdMapSize {

    private MessageIdMapSize() {
    }

    public static void main(String[] args) throws Exception {
        long entries = 10_000_000;
        long capacity = 10_000_000;
        long firstId = 987_654_321L;
        Path parent = Path.of(System.getProperty("java.io.tmpdir"));
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--entries" -> entries = Long.parseLong(args[i + 1]);
                case "--capacity" -> capacity = Long.parseLong(args[i + 1]);
                case "--first-id" -> firstId = Long.parseLong(args[i + 1]);
                case "--dir" -> parent = Path.of(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--entries, --capacity, --first-id, --dir)");
            }
        }
        if (args.length % 2 != 0) {
            throw new IllegalArgumentException("option without a value: " + args[args.length - 1]);
        }
        Path dir = Files.createTempDirectory(parent, "herald-message-ids-");
        long heapBefore = heapUsed();
        MessageIdMap map = MessageIdMap.open(dir, capacity);
        Path file = dir.resolve(MessageIdMap.FILE);
        System.out.printf(Locale.ROOT, "capacity %,d: new file %s, %s allocated%n", capacity, du(file, true), du(file, false));
        long t0 = System.nanoTime();
        long now = System.currentTimeMillis() / 1000;
        long step = Math.max(1, entries / 10);
        for (long i = 0; i < entries; i++) {
            map.put("node", Long.toString(firstId + i), new MessageIdMap.Target(1, (int) (i % Integer.MAX_VALUE), 1, 1, now));
            if ((i + 1) % step == 0) {
                System.out.printf(Locale.ROOT, "  %,d entries after %.1f s: %s apparent, %s allocated%n", i + 1,
                        (System.nanoTime() - t0) / 1e9, du(file, true), du(file, false));
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        long heapAfter = heapUsed();
        long apparent = Files.size(file);
        long allocated = allocatedBytes(file);
        System.out.printf(Locale.ROOT, "entries %,d (map says %,d) at capacity %,d: put %.1f s (%,.0f/s)%n", entries, map.size(),
                capacity, seconds, entries / seconds);
        System.out.printf(Locale.ROOT, "file %s: apparent %,d bytes (%.1f B/entry), allocated %,d bytes (%.1f B/entry)%n", file,
                apparent, (double) apparent / entries, allocated, (double) allocated / entries);
        System.out.printf(Locale.ROOT, "heap used after full GC: before open %,d bytes, after the puts %,d bytes (map open)%n",
                heapBefore, heapAfter);
        long t1 = System.nanoTime();
        long missing = 0;
        for (long i = 0; i < entries; i++) {
            if (map.get("node", Long.toString(firstId + i)).isEmpty()) {
                missing++;
            }
        }
        System.out.printf(Locale.ROOT, "read back in %.1f s: %,d missing%n", (System.nanoTime() - t1) / 1e9, missing);
        long size = map.size();
        map.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        System.exit(missing == 0 && size == entries ? 0 : 1);
    }

    private static long heapUsed() {
        Runtime r = Runtime.getRuntime();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return r.totalMemory() - r.freeMemory();
    }

    /** @return {@code du}'s line for the file, apparent or allocated, in bytes */
    private static String du(Path file, boolean apparent) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(apparent ? new String[]{"du", "-B1", "--apparent-size", file.toString()}
                : new String[]{"du", "-B1", file.toString()}).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        String n = out.split("\\s+")[0];
        try {
            return String.format(Locale.ROOT, "%,d B", Long.parseLong(n));
        } catch (NumberFormatException e) {
            return out;
        }
    }

    private static long allocatedBytes(Path file) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("du", "-B1", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        p.waitFor();
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
