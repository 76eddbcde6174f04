package dev.herald.dispatcher.check;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.api.ApiKeys;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.cli.HeraldCommand;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.funnel.TouchStore;
import dev.herald.dispatcher.inbound.LastSends;
import dev.herald.dispatcher.segment.SegmentStore;
import dev.herald.dispatcher.unsubscribe.UnsubscribeLinks;
import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;

import com.typesafe.config.ConfigFactory;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/**
 * {@code herald data check} on a data directory written by the real stores: 0 and a summary when
 * sound; one line naming each damaged file and exit 3 when not; and never a changed byte, a new
 * file or a lock left behind (the directory is hashed before and after).
 */
class DataCheckTest {
    private static final Instant T = Instant.parse("2026-11-23T09:30:00Z");

    @TempDir
    static Path template;
    @TempDir
    Path tmp;

    /** Every store a data directory holds, written through its own API. */
    @BeforeAll
    static void writeEveryStore() throws Exception {
        Path data = template.resolve("data");
        try (HeraldData d = SyntheticAudience.openData(data, 3_000)) {
            SyntheticAudience.of(AudienceSpec.defaults().withRecipients(3_000)).populate(d, (p, n, t) -> { });
            d.suppression().compact();
        }
        CapRule once = new CapRule("daily", 1, CapWindow.rolling(Duration.ofHours(24)), CapScope.parse("marketing"),
                Optional.empty(), CapAction.DROP);
        try (SendLedger ledger = SendLedger.open(data.resolve("send-ledger"), FrequencyCaps.of(List.of(once)),
                SendLedgerOptions.defaults(), n -> null)) {
            ledger.reserve(ImmutableRoaringBitmap.bitmapOf(1, 2, 3, 2_000), CapContext.marketing("sms", "promo", ZoneOffset.UTC), T);
        }
        try (CampaignNumbers numbers = CampaignNumbers.open(data.resolve("campaign-numbers.log"));
             UnsubscribeLinks links = UnsubscribeLinks.open(data.resolve("unsubscribe"),
                     ConfigFactory.defaultReference().resolve(), numbers);
             LastSends last = LastSends.open(data.resolve("last-sends"), 3_000, numbers, id -> Optional.of("demo"))) {
            links.numberOf("spring");
            last.mark(7, "spring", "demo", T);
        }
        try (TouchStore touches = TouchStore.open(data.resolve(TouchStore.DIR), 3_000)) {
            touches.delivered(7, 1, T.toEpochMilli());
        }
        try (dev.herald.dispatcher.journey.Events events = dev.herald.dispatcher.journey.Events.open(
                data.resolve(dev.herald.dispatcher.journey.Events.DIR))) {
            events.record(List.of(new dev.herald.dispatcher.journey.Event("e-1", 7, "signed_up", T.toEpochMilli(),
                    T.toEpochMilli(), Map.of("plan", "pro"))));
        }
        ApiKeys.open(data).bootstrap(null);
        MutableRoaringBitmap all = new MutableRoaringBitmap();
        all.add(0L, 3_000L);
        SegmentStore.open(data).put("all", all, 3_000, 0);
        new CampaignStore(data.resolve("campaigns")).create(CampaignRecord.create("spring", "Spring", "sms", "marketing",
                "demo", "Hi", "all", 3_000, T, null, null), all);
    }

    private Path data() throws Exception {
        Path data = tmp.resolve("data");
        try (Stream<Path> files = Files.walk(template.resolve("data"))) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path to = data.resolve(template.resolve("data").relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(p, to);
                }
            }
        }
        return data;
    }

    private static int check(Path data, StringWriter out) {
        return HeraldCommand.newCommandLine(new PrintWriter(out, true), new PrintWriter(out, true))
                .execute("--data-dir", data.toString(), "data", "check");
    }

    @Test
    void shouldPassASoundDirectoryAndChangeNothing() throws Exception {
        Path data = data();
        Map<String, String> before = DirectoryDigest.of(data);
        StringWriter out = new StringWriter();

        assertEquals(0, check(data, out), out.toString());

        assertTrue(out.toString().startsWith("data check: 0 damaged files ("), out.toString());
        assertTrue(out.toString().contains("in 12 stores checked"), out.toString());
        assertEquals(before, DirectoryDigest.of(data), "no byte changed, no file (lock, marker) created or removed");
        DataCheckReport report = DataCheck.standard().run(data);
        assertTrue(report.filesChecked() >= 12, report.summary());
    }

    private static void overwrite(Path file, long at, byte[] bytes) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(bytes), at);
        }
    }

    private static void truncate(Path file, long size) throws Exception {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    private static Path only(Path dir, String glob) throws Exception {
        try (var s = Files.newDirectoryStream(dir, glob)) {
            return s.iterator().next();
        }
    }

    /** Damages one file the way the issue did (zero-fill, a flipped byte, a cut) and returns it. */
    private static Path damage(Path data, String what) throws Exception {
        switch (what) {
            case "send-ledger-zero-page" -> {
                Path f = data.resolve("send-ledger/slots-00000.bin");
                overwrite(f, 4096, new byte[4096]);
                return f;
            }
            case "send-ledger-codes" -> {
                Path f = data.resolve("send-ledger/codes.properties");
                Files.write(f, new byte[] {'c', 'h', (byte) 0xC3, '=', '1', '\n'});
                return f;
            }
            case "send-ledger-cut" -> {
                Path f = data.resolve("send-ledger/slots-00000.bin");
                truncate(f, Files.size(f) - 100);
                return f;
            }
            case "marks-flipped" -> {
                Path f = data.resolve("last-sends/marks.bin");
                byte[] b = Files.readAllBytes(f);
                overwrite(f, 24 + 7 * 16 + 3, new byte[] {(byte) (b[24 + 7 * 16 + 3] ^ 4)});
                return f;
            }
            case "secret-key-zero" -> {
                Path f = data.resolve("unsubscribe/secret.key");
                Files.write(f, new byte[(int) Files.size(f)]);
                return f;
            }
            case "directory-properties" -> {
                Path f = data.resolve("directory/directory.properties");
                overwrite(f, 2, new byte[] {(byte) 0xFF});
                return f;
            }
            case "chronicle-header" -> {
                Path f = data.resolve("directory/recipients-by-phone.cm3");
                overwrite(f, 0, new byte[64]);
                return f;
            }
            case "touches-header" -> {
                Path f = data.resolve("funnel/touches.dat");
                overwrite(f, 0, new byte[64]);
                return f;
            }
            case "recipient-page-flipped" -> {
                Path f = data.resolve("directory/pages/ids-0000000000.pages");
                byte[] b = Files.readAllBytes(f);
                int at = b.length / 2;
                overwrite(f, at, new byte[] {(byte) (b[at] ^ 0x10)});
                return f;
            }
            case "base-bitmap" -> {
                Path f = only(only(data.resolve("suppression/base"), "gen-*"), "*.rbm");
                overwrite(f, Files.size(f) / 2, new byte[] {0x55, 0x55});
                return f;
            }
            case "campaign-json" -> {
                Path f = data.resolve("campaigns/spring/campaign.json");
                truncate(f, Files.size(f) / 2);
                return f;
            }
            case "api-keys" -> {
                Path f = data.resolve("api-keys.json");
                truncate(f, Files.size(f) - 10);
                return f;
            }
            case "segment-bitmap" -> {
                Path f = only(data.resolve("segments"), "all.*.roaring");
                overwrite(f, 8, new byte[8]);
                return data.resolve("segments/all.json");
            }
            case "campaign-numbers-flipped" -> {
                Path f = data.resolve("campaign-numbers.log");
                byte[] b = Files.readAllBytes(f);
                overwrite(f, 0, new byte[] {(byte) (b[0] ^ 1)});
                return f;
            }
            case "ledger-segment-flipped" -> {
                Path f = only(data.resolve("suppression/ledger"), "*.log");
                byte[] b = Files.readAllBytes(f);
                int at = b.length / 2;
                overwrite(f, at, new byte[] {(byte) (b[at] ^ 0x10)});
                return f;
            }
            case "outcome-audience-zero" -> {
                Path f = only(data.resolve("campaigns/spring/outcomes"), "audience*");
                Files.write(f, new byte[(int) Files.size(f)]);
                return f;
            }
            case "events-flipped" -> {
                Path f = data.resolve("journeys/events.log");
                byte[] b = Files.readAllBytes(f);
                int at = b.length / 2;
                overwrite(f, at, new byte[] {(byte) (b[at] ^ 0x01)});
                return f;
            }
            default -> throw new IllegalArgumentException(what);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"send-ledger-zero-page", "send-ledger-codes", "send-ledger-cut", "marks-flipped", "secret-key-zero",
            "directory-properties", "chronicle-header", "touches-header", "recipient-page-flipped", "base-bitmap", "campaign-json", "api-keys", "segment-bitmap",
            "campaign-numbers-flipped", "ledger-segment-flipped", "outcome-audience-zero", "events-flipped"})
    void shouldNameTheDamagedFileExitWith3AndChangeNothing(String what) throws Exception {
        Path data = data();
        Path file = damage(data, what);
        Map<String, String> before = DirectoryDigest.of(data);
        StringWriter out = new StringWriter();

        assertEquals(HeraldCommand.DATA_ERROR, check(data, out), out.toString());

        List<String> lines = out.toString().lines().toList();
        assertEquals(2, lines.size(), out.toString());
        assertTrue(lines.get(0).startsWith(file + ": "), lines.get(0));
        assertTrue(lines.get(1).startsWith("data check: 1 damaged file ("), lines.get(1));
        assertEquals(before, DirectoryDigest.of(data), "the check changed nothing");
    }

    /** A torn last record is what a crash mid-append leaves: named, but not damage (the next open drops and reports it). */
    @Test
    void shouldListATornLastRecordWithoutCallingItDamage() throws Exception {
        Path data = data();
        Path numbers = data.resolve("campaign-numbers.log");
        Files.write(numbers, "7 autu".getBytes(java.nio.charset.StandardCharsets.UTF_8), StandardOpenOption.APPEND);
        Map<String, String> before = DirectoryDigest.of(data);
        StringWriter out = new StringWriter();

        assertEquals(0, check(data, out), out.toString());

        List<String> lines = out.toString().lines().toList();
        assertEquals(2, lines.size(), out.toString());
        assertTrue(lines.get(0).startsWith(numbers + ": incomplete last record (6 bytes"), lines.get(0));
        assertTrue(lines.get(0).endsWith("(not damage)"), lines.get(0));
        assertTrue(lines.get(1).startsWith("data check: 0 damaged files (") && lines.get(1).contains("1 log with a torn last record"),
                lines.get(1));
        assertEquals(before, DirectoryDigest.of(data), "the check cut nothing");
    }

    /** The recipient pages follow the same rule: a page cut short at the end is a note, not damage. */
    @Test
    void shouldListATornLastRecipientPageWithoutCallingItDamage() throws Exception {
        Path data = data();
        Path pages = data.resolve("directory/pages/ids-0000000000.pages");
        byte[] b = Files.readAllBytes(pages);
        Files.write(pages, java.util.Arrays.copyOfRange(b, 16, 16 + 40), StandardOpenOption.APPEND); // half a page
        Map<String, String> before = DirectoryDigest.of(data);
        StringWriter out = new StringWriter();

        assertEquals(0, check(data, out), out.toString());

        List<String> lines = out.toString().lines().toList();
        assertEquals(2, lines.size(), out.toString());
        assertTrue(lines.get(0).startsWith(pages + ": incomplete last page (40 bytes at offset " + b.length), lines.get(0));
        assertEquals(before, DirectoryDigest.of(data), "the check cut nothing");
    }

    @Test
    void shouldSayThereIsNoDataForAMistypedDirectory() {
        StringWriter out = new StringWriter();
        assertEquals(HeraldCommand.DATA_ERROR, check(tmp.resolve("nope"), out));
        assertTrue(out.toString().contains("no Herald data there"), out.toString());
        assertTrue(!Files.exists(tmp.resolve("nope")));
    }
}
