package dev.herald.bench;

import dev.herald.dispatcher.message.MessageLog;
import dev.herald.suppression.DataCipher;
import dev.herald.suppression.DirectoryOptions;
import dev.herald.suppression.MasterKey;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The message log's append cost per message on the send path, plain and sealed (a data directory
 * with a master key: one AES-256-GCM seal per group), as BENCHMARKS.md's figure for the plain log
 * was taken: {@code MessageLog.append} of 512-message groups, a 160-character text, one field,
 * warm, single thread, rounds of 1,000 groups (512,000 messages) each into a fresh file; CPU time
 * of the appending thread (ThreadMXBean) and wall time, per message. The two modes alternate round
 * by round in one JVM (which goes first alternates too), so load on a shared machine hits both alike.
 *
 * <pre>{@code
 * flock /tmp/jmh.lock java $(cat bench/target/classes/herald-jvm.flags) -Xms1g -Xmx1g \
 *     -cp bench/target/benchmarks.jar dev.herald.bench.MessageLogAppendCost [rounds, default 8] [work dir]
 * }</pre>
 *
 * <p>Not thread-safe; a main.
 */
public final class MessageLogAppendCost {

    private static final int GROUP = 512;
    private static final int GROUPS_PER_ROUND = 1_000;

    private MessageLogAppendCost() {
    }

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        Path work = Files.createTempDirectory(args.length > 1 ? Path.of(args[1]) : Path.of(System.getProperty("java.io.tmpdir")),
                "msglog-cost");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        List<MessageLog.Sent> group = new ArrayList<>(GROUP);
        String text = "Hi Alexandra, our winter sale starts today: 20% off everything in store and online until Sunday. "
                + "See https://shop.example/w Reply STOP to opt out.";
        text = (text + " ".repeat(160)).substring(0, 160);
        for (int i = 0; i < GROUP; i++) {
            group.add(new MessageLog.Sent(1_000_000 + i, 0, 1_765_000_000_000L + i, text, Map.of("first_name", "Alexandra")));
        }
        try (RecipientDirectory directory = RecipientDirectory.open(work.resolve("directory"),
                DirectoryOptions.defaults().withCapacity(DirectoryOptions.MIN_CAPACITY).withMasterKey(MasterKey.generate()))) {
            DataCipher sealed = directory.cipher(MessageLog.PURPOSE);
            System.out.printf("# %d rounds x %,d messages (groups of %d, %d-char text, one field); ns per message%n",
                    rounds, GROUP * GROUPS_PER_ROUND, GROUP, text.length());
            for (int r = 1; r <= rounds; r++) {
                boolean plainFirst = r % 2 == 1;
                for (int k = 0; k < 2; k++) {
                    boolean plain = (k == 0) == plainFirst;
                    Path dir = Files.createDirectories(work.resolve("round-" + r + (plain ? "-plain" : "-sealed")));
                    long[] t = round(dir, plain ? null : sealed, group, threads);
                    System.out.printf("round %d %-6s cpu %6.1f  wall %6.1f  file %,d bytes%n", r, plain ? "plain" : "sealed",
                            t[0] / (double) (GROUP * GROUPS_PER_ROUND), t[1] / (double) (GROUP * GROUPS_PER_ROUND), t[2]);
                    delete(dir);
                }
            }
        } finally {
            delete(work);
        }
    }

    /** @return {cpu ns, wall ns, file bytes} of one round's appends (the open, the run and the close not counted) */
    private static long[] round(Path dir, DataCipher cipher, List<MessageLog.Sent> group, ThreadMXBean threads)
            throws IOException {
        try (MessageLog log = MessageLog.open(dir, cipher)) {
            log.startRun("simulated", List.of(List.of("first_name")), 1L);
            long cpu = threads.getCurrentThreadCpuTime();
            long wall = System.nanoTime();
            for (int g = 0; g < GROUPS_PER_ROUND; g++) {
                log.append(group);
            }
            long[] out = {threads.getCurrentThreadCpuTime() - cpu, System.nanoTime() - wall, 0};
            out[2] = Files.size(log.file());
            return out;
        }
    }

    private static void delete(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
