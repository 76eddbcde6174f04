package dev.herald.dispatcher.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.delivery.Deliveries.Match;

/**
 * Kills (SIGKILL) a child JVM ({@link DeliveriesCrashChild}) that answers receipts while its
 * campaign's ledger is loading in the background — held back, then released while receipts keep
 * coming — and checks after each kill that every answered receipt is recorded, and none twice.
 */
class DeliveriesCrashTest {

    static final long CAPACITY = 20_000;
    private static final long SEED = 7171L;
    private static final String CAMPAIGN = "big";

    @TempDir
    Path data;

    @Test
    void shouldRecordEveryAnsweredReceiptOnceAfterAKill9WhileItsLedgerLoads() throws Exception {
        System.out.println("seed " + SEED);
        Random random = new Random(SEED);
        Set<Integer> answered = new TreeSet<>();
        try (CampaignNumbers numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"))) {
            Files.createDirectories(data.resolve("campaigns").resolve(CAMPAIGN));
            try (Deliveries d = open(numbers)) {
                for (int r = 0; r < 3_000; r++) {
                    d.accepted("acme", CAMPAIGN, r, List.of("k" + r));
                }
                for (int r = 0; r < 1_000; r++) {
                    assertEquals(Match.MATCHED, d.receipt("acme", DeliveriesCrashChild.receipt(r)));
                    answered.add(r);
                }
            }
        }
        // round 1: killed while every receipt waits for the load; round 2: the load released after
        // 200 answers, killed soon after, while its 200 waiting receipts are being recorded or just were
        answered.addAll(runAndKill(1_000, 2_000, -1, 100 + random.nextInt(700)));
        check(answered);
        answered.addAll(runAndKill(2_000, 3_000, 200, 201 + random.nextInt(100)));
        check(answered);
    }

    private Deliveries open(CampaignNumbers numbers) throws Exception {
        return Deliveries.open(data, numbers, CAPACITY, Duration.ofSeconds(5), Duration.ofDays(7), Clock.systemUTC());
    }

    /** Reopens in this JVM: every answered receipt is delivered, each recipient's line written once. */
    private void check(Set<Integer> answered) throws Exception {
        long delivered;
        try (CampaignNumbers numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"));
             Deliveries d = open(numbers)) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (d.held() > 0) {
                if (System.nanoTime() > deadline) {
                    fail(d.held() + " receipt(s) still held 30 s after the open");
                }
                Thread.sleep(5);
            }
            assertEquals(0, d.unmatched());
            for (int r : answered) {
                assertEquals("delivered", d.of(CAMPAIGN, r).map(Deliveries.RecipientDelivery::result).orElse(null),
                        "answered receipt of recipient " + r);
            }
            Map<String, Long> counts = d.counts(CAMPAIGN);
            delivered = counts.getOrDefault("delivered", 0L);
            assertEquals(Set.of("delivered"), counts.keySet());
            assertTrue(delivered >= answered.size(), delivered + " delivered, " + answered.size() + " answered");
        }
        try (DeliveryLedger l = DeliveryLedger.open(data.resolve("campaigns").resolve(CAMPAIGN).resolve(DeliveryLedger.FILE))) {
            assertEquals(delivered, l.lines(), "one line per delivered recipient: nothing recorded twice");
        }
    }

    private Set<Integer> runAndKill(int from, int to, int release, int killAfter) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), DeliveriesCrashChild.class.getName(), data.toString(),
                Integer.toString(from), Integer.toString(to), Integer.toString(release)));
        Process child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(data.resolve("child.err").toFile()))
                .start();
        Set<Integer> acks = new TreeSet<>();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (line.startsWith("ACK ")) {
                    acks.add(Integer.parseInt(line.substring(4)));
                    if (acks.size() == killAfter) {
                        new ProcessBuilder("kill", "-9", Long.toString(child.pid())).start().waitFor();
                    }
                } else if (line.equals("DONE")) {
                    fail("the child answered every receipt before it was killed");
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        assertEquals(137, child.exitValue(), "killed by SIGKILL; its stderr: " + Files.readString(data.resolve("child.err")));
        assertTrue(acks.size() >= killAfter, "saw " + acks.size() + " answers");
        System.out.println("killed after " + acks.size() + " answers (from " + from + ", release " + release + ")");
        return acks;
    }
}
