package dev.herald.dispatcher.links;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.herald.dispatcher.links.ClickRules.ClickClass;
import dev.herald.suppression.store.TornTails;
import dev.herald.suppression.store.VerifyResult;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills (SIGKILL, {@link ProcessHandle#destroyForcibly}) a child JVM ({@link ClicksCrashChild}) recording
 * clicks of every class on two campaigns, at a random point, then a second one on the same data:
 * after each kill every click the child reported written is in its campaign's ledger, the files
 * pass {@link ClickLedger#verify} (an incomplete last line is allowed: dropped and reported when
 * opened), and open cleanly again.
 */
class ClicksCrashTest {
    private static final long SEED = 1515L;
    private static final int CLASSES = ClickClass.values().length;

    @TempDir
    Path data;

    private final List<String> torn = new CopyOnWriteArrayList<>();
    private final TornTails.Listener listener = (file, offset, bytes) -> torn.add(file + "@" + offset + "+" + bytes);

    @BeforeEach
    void listen() {
        TornTails.addListener(listener);
    }

    @AfterEach
    void stopListening() {
        TornTails.removeListener(listener);
    }

    /** What the child reported written before it was killed: its last click, and per campaign and class. */
    private record Durable(int last, long[][] counts) {
    }

    @Test
    void everyClickReportedWrittenSurvivesAKill9Twice() throws Exception {
        System.out.println("seed " + SEED);
        Random random = new Random(SEED);
        long[][] before = new long[ClicksCrashChild.CAMPAIGNS.length][CLASSES];
        List<Durable> runs = new ArrayList<>();
        byte[] planted = null;
        for (int round = 0; round < 2; round++) {
            if (round == 1) {
                // what a kill in the middle of a write leaves: the second child must drop it at open, and go on
                planted = "17 3 human 1796600000".getBytes(StandardCharsets.US_ASCII);
                Files.write(ledgerFile(1), planted, StandardOpenOption.APPEND);
                assertEquals(planted.length, ClickLedger.verify(ledgerFile(1)).tornBytes());
            }
            Durable d = runAndKill(round, 10 + random.nextInt(60));
            runs.add(d);
            long[][] after = new long[ClicksCrashChild.CAMPAIGNS.length][CLASSES];
            for (int k = 0; k < ClicksCrashChild.CAMPAIGNS.length; k++) {
                after[k] = check(k, before[k], d.counts()[k], runs);
            }
            before = after;
        }
        try (Stream<Path> files = Files.list(ledgerFile(1).getParent())) {
            byte[] p = planted;
            assertTrue(files.filter(f -> f.getFileName().toString().startsWith(ClickLedger.FILE + ".torn-")).anyMatch(f -> {
                try {
                    return Arrays.equals(p, Files.readAllBytes(f));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }), "the second child dropped the planted tail and kept its bytes beside the log");
        }
    }

    private Path ledgerFile(int campaign) {
        return data.resolve("campaigns").resolve(ClicksCrashChild.CAMPAIGNS[campaign]).resolve(ClickLedger.FILE);
    }

    /** @return the ledger's clicks per class now */
    private long[] check(int k, long[] before, long[] reported, List<Durable> runs) throws Exception {
        Path file = ledgerFile(k);
        assertTrue(Files.exists(file) || Arrays.stream(reported).sum() == 0, file + " is lost, with clicks reported written");
        VerifyResult v = ClickLedger.verify(file);
        System.out.println(v.describe());
        assertFalse(v.isDamaged(), v.describe());
        long[] now = new long[CLASSES];
        torn.clear();
        try (ClickLedger l = ClickLedger.open(file)) {
            if (v.tornBytes() > 0) {
                assertEquals(List.of(file + "@" + v.tornAt() + "+" + v.tornBytes()), torn, "a torn tail is reported when dropped");
            } else {
                assertEquals(List.of(), torn);
            }
            assertEquals(v.frames(), l.lines(), "every whole line is replayed");
            long bound = ClicksCrashChild.BATCH;
            for (ClickClass c : ClickClass.values()) {
                now[c.ordinal()] = l.total(c);
                assertTrue(now[c.ordinal()] >= before[c.ordinal()] + reported[c.ordinal()], ClicksCrashChild.CAMPAIGNS[k] + " " + c
                        + ": " + now[c.ordinal()] + " in the ledger, " + before[c.ordinal()] + " + " + reported[c.ordinal()] + " written");
                bound += before[c.ordinal()] + reported[c.ordinal()];
            }
            assertTrue(l.lines() <= bound, l.lines() + " clicks: more than the child recorded (" + bound + " at most)");
            for (int run = 0; run < runs.size(); run++) {
                for (int i = k; i <= runs.get(run).last(); i += 2) { // campaign k's clicks
                    assertTrue(l.unique(ClicksCrashChild.kind(i)).contains(base(run) + i),
                            "run " + run + ": click " + i + " (" + ClicksCrashChild.kind(i) + ") is lost");
                }
            }
        }
        assertTrue(ClickLedger.verify(file).ok(), "clean once the tail is dropped: " + ClickLedger.verify(file).describe());
        try (ClickLedger l = ClickLedger.open(file)) {
            long[] again = new long[CLASSES];
            for (ClickClass c : ClickClass.values()) {
                again[c.ordinal()] = l.total(c);
            }
            assertArrayEquals(now, again, "the reopen finds the same clicks");
        }
        assertEquals(v.tornBytes() > 0 ? 1 : 0, torn.size(), "nothing more to drop at the reopen");
        return now;
    }

    private static int base(int run) {
        return run * 1_000_000;
    }

    private Durable runAndKill(int run, int killAfter) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), ClicksCrashChild.class.getName(), data.toString(),
                Integer.toString(base(run))));
        Path err = data.resolve("child.err");
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(err.toFile())).start();
        int last = -1;
        long[][] counts = new long[ClicksCrashChild.CAMPAIGNS.length][CLASSES];
        int reports = 0;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("DURABLE ")) {
                    // DURABLE <last i> spring=h,p,b,s autumn=h,p,b,s
                    String[] f = line.split(" ");
                    last = Integer.parseInt(f[1]);
                    for (int k = 0; k < ClicksCrashChild.CAMPAIGNS.length; k++) {
                        String[] kv = f[2 + k].split("=");
                        assertEquals(ClicksCrashChild.CAMPAIGNS[k], kv[0], line);
                        counts[k] = Arrays.stream(kv[1].split(",")).mapToLong(Long::parseLong).toArray();
                    }
                    if (++reports == killAfter) {
                        // SIGKILL, through its handle: Process.destroyForcibly would also close the pipe, and what
                        // the child printed before it died still counts
                        assertTrue(child.toHandle().destroyForcibly());
                    }
                } else if (line.equals("DONE")) {
                    fail("the child recorded every click before it was killed");
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL; its stderr: " + (Files.exists(err) ? Files.readString(err) : ""));
        assertTrue(reports >= killAfter, "saw " + reports + " reports");
        System.out.println("run " + run + ": killed after " + reports + " reports, last click written " + last + ", "
                + Arrays.deepToString(counts));
        return new Durable(last, counts);
    }
}
