package dev.herald.suppression;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.StringReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

import static dev.herald.suppression.RecipientDirectoryTest.SMALL;
import static dev.herald.suppression.RecipientDirectoryTest.uk;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectoryImportTest {

    @TempDir
    Path dir;

    /** Records every callback as "line: +id" (created), "line: =id" (duplicate) or "line! reason". */
    static final class Recorder implements ImportListener {
        final List<String> events = new ArrayList<>();

        @Override
        public void onAccepted(long lineNumber, int id, boolean created) {
            events.add(lineNumber + ": " + (created ? "+" : "=") + id);
        }

        @Override
        public void onRejected(long lineNumber, String reason) {
            events.add(lineNumber + "! " + reason);
        }

        List<String> rejections() {
            return events.stream().filter(e -> e.contains("!")).toList();
        }
    }

    static Path csv(String name) {
        try {
            return Path.of(DirectoryImportTest.class.getResource("/csv/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void shouldTellTheListenerTheHeaderColumnsAsNamedBeforeAnyRecord() throws IOException {
        List<String> events = new ArrayList<>();
        ImportListener listener = new ImportListener() {
            @Override
            public void onHeader(List<String> columns) {
                events.add("header: " + String.join("|", columns));
            }

            @Override
            public void onAccepted(long lineNumber, int id, boolean created) {
                events.add(lineNumber + ": " + id);
            }
        };
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            d.importCsv(new StringReader("\uFEFF Phone ,\"Last, Name\",TZ\r\n+447400123456,\"Doe, J\",\r\n"), "upload", listener);
            assertEquals(List.of("header: phone|last, name|tz", "2: 0"), events);
            assertEquals("Doe, J", d.get(0).orElseThrow().fields().get("last, name"));
        }
    }

    @Test
    void shouldImportAudienceWithAttributesDuplicatesAndRejectsByLine() throws IOException {
        Recorder recorder = new Recorder();
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL.withDefaultRegion("GB"))) {
            ImportReport report = d.importCsv(csv("audience.csv"), recorder);
            assertEquals(new ImportReport(6, 5, 1, 3, 9), report);
            assertEquals(List.of(
                    "2: +0",
                    "3: +1",
                    "4: +2",
                    "5: =0",
                    "6! unknown time zone 'Mars/Base' (expected an IANA id such as Europe/London)",
                    "7! invalid locale 'not a locale!' (expected a BCP 47 language tag such as en-GB)",
                    "8! invalid phone number '+44 12': too short",
                    "9: +3",
                    "11: +4"), recorder.events);
            assertEquals(new Recipient(0, "+447400123456", "GB", "Europe/London", "en-GB",
                    Map.of("first_name", "Ann", "city", "York")), d.get(0).orElseThrow());
            assertEquals(new Recipient(1, "+447400123457", "GB", null, "en-GB", Map.of("first_name", "Ben")),
                    d.get(1).orElseThrow());
            assertEquals("Zoë, the \"first\"", d.get(2).orElseThrow().fields().get("first_name"));
            assertEquals("Dee\nwith a newline", d.find("+4915123456789").orElseThrow().fields().get("first_name"));
            assertEquals(List.of("first_name", "city"), List.copyOf(d.get(4).orElseThrow().fields().keySet()));
            // A rejected line is applied not at all: its valid number was not registered.
            assertTrue(d.idOf("+14155552671").isEmpty());
            assertTrue(d.idOf("+14155552672").isEmpty());
            assertEquals(5, d.size());
        }
    }

    @Test
    void shouldImportEveryLineEndingAndQuotingVariant() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            Recorder bom = new Recorder();
            assertEquals(new ImportReport(2, 2, 0, 0, 2), d.importCsv(csv("bom-crlf.csv"), bom));
            assertEquals(List.of("2: +0", "3: +1"), bom.events);
            assertEquals("Zoë", d.find("+33612345678").orElseThrow().fields().get("first_name"));

            Recorder cr = new Recorder();
            assertEquals(new ImportReport(2, 0, 2, 0, 2), d.importCsv(csv("cr-only.csv"), cr));
            assertEquals(List.of("2: =0", "4: =1"), cr.events);

            Recorder empty = new Recorder();
            assertEquals(new ImportReport(2, 0, 2, 0, 2), d.importCsv(csv("empty-lines.csv"), empty));
            assertEquals(List.of("4: =0", "7: =1"), empty.events);

            Recorder quoted = new Recorder();
            assertEquals(new ImportReport(6, 4, 2, 0, 6), d.importCsv(csv("quoted.csv"), quoted));
            assertEquals(List.of("2: =0", "3: =1", "5: +2", "6: +3", "7: +4", "10: +5"), quoted.events);
            assertEquals(Map.of("note", "Hello, world", "first_name", "Ann"), d.get(0).orElseThrow().fields());
            assertEquals("she said \"hi\"", d.get(2).orElseThrow().fields().get("note"));
            assertEquals(Map.of("first_name", "Dee"), d.get(3).orElseThrow().fields());
            assertEquals("a\r\nb\r\nc", d.get(4).orElseThrow().fields().get("note"));
        }
    }

    @Test
    void shouldRejectInvalidNumbersWithTheirLineNumbers() throws IOException {
        Recorder recorder = new Recorder();
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            ImportReport report = d.importCsv(csv("invalid-numbers.csv"), recorder);
            assertEquals(new ImportReport(2, 2, 0, 7, 9), report);
            assertEquals(List.of(
                    "3! invalid phone number '+44 12': too short",
                    "4! invalid phone number '+44 7400 CALLME': not a number",
                    "5! invalid phone number '+999 1234 5678': invalid country code",
                    "6! invalid phone number '07400 123457': national format without a default region (write it as +<country code>...)",
                    "7! invalid phone number '': empty",
                    "8! invalid phone number '+44 7400 123456 789012': too long",
                    "9! invalid phone number '+447700900123': not a valid number for its region"), recorder.rejections());
        }
    }

    @Test
    void shouldBeIdempotentWhenTheSameFileIsImportedTwice() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL.withDefaultRegion("GB"))) {
            d.importCsv(csv("audience.csv"), ImportListener.NONE);
            List<Recipient> first = List.of(d.get(0).orElseThrow(), d.get(4).orElseThrow());
            ImportReport again = d.importCsv(csv("audience.csv"), ImportListener.NONE);
            assertEquals(new ImportReport(6, 0, 6, 3, 9), again);
            assertEquals(5, d.size());
            assertEquals(first, List.of(d.get(0).orElseThrow(), d.get(4).orElseThrow()));
        }
    }

    @Test
    void shouldFailWithTheHeaderFoundWhenThereIsNoPhoneColumn() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> d.importCsv(csv("missing-phone.csv"), ImportListener.NONE));
            assertTrue(e.getMessage().contains("no 'phone' column") && e.getMessage().contains("[msisdn, first_name]")
                    && e.getMessage().contains("missing-phone.csv line 1"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> d.importCsv(new StringReader(""), "empty.csv", ImportListener.NONE));
            assertTrue(e.getMessage().startsWith("empty.csv: no header row"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> d.importCsv(new StringReader("phone,Name,name\n"), "twice.csv", ImportListener.NONE));
            assertTrue(e.getMessage().contains("'name' appears twice"), e.getMessage());
            assertEquals(0, d.size());
        }
    }

    @Test
    void shouldRejectMalformedRecordsAndGoOn() throws IOException {
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            Recorder fieldCount = new Recorder();
            assertEquals(new ImportReport(2, 2, 0, 2, 4), d.importCsv(csv("wrong-field-count.csv"), fieldCount));
            assertEquals(List.of("3! expected 2 fields as in the header, found 3", "4! expected 2 fields as in the header, found 1"),
                    fieldCount.rejections());

            Recorder utf8 = new Recorder();
            assertEquals(new ImportReport(2, 1, 1, 2, 4), d.importCsv(csv("invalid-utf8.csv"), utf8));
            assertEquals(List.of("3! invalid UTF-8 (undecodable bytes, shown as U+FFFD)",
                    "5! invalid UTF-8 (undecodable bytes, shown as U+FFFD)"), utf8.rejections());

            Recorder quote = new Recorder();
            d.importCsv(csv("unterminated-quote.csv"), quote);
            assertEquals(List.of("3! unterminated quoted field (opened on line 3)"), quote.rejections());
            assertTrue(d.idOf("+33612345678").isEmpty());
        }
    }

    @Test
    void shouldRejectAMegabyteGarbageLineAndImportTheRest() throws IOException {
        Path file = dir.resolve("garbage.csv");
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write("phone,first_name\n+447400123456,Ann\n".getBytes(StandardCharsets.UTF_8));
            byte[] garbage = new byte[1 << 20];
            java.util.Arrays.fill(garbage, (byte) 'x');
            out.write(garbage);
            out.write("\n+33612345678,Bob\n".getBytes(StandardCharsets.UTF_8));
        }
        Recorder recorder = new Recorder();
        try (RecipientDirectory d = RecipientDirectory.open(dir.resolve("data"), SMALL)) {
            assertEquals(new ImportReport(2, 2, 0, 1, 3), d.importCsv(file, recorder));
            assertEquals(List.of("2: +0", "3! line too long (1048576 bytes > 65536)", "4: +1"), recorder.events);
        }
    }

    @Test
    void shouldImportFromAReaderNamingTheSource() throws IOException {
        Recorder recorder = new Recorder();
        String text = "PHONE,tz\n+447400123456,Europe/London\n+447400123456,\n07400 123456,\n";
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            assertEquals(new ImportReport(2, 1, 1, 1, 3), d.importCsv(new StringReader(text), "upload.csv", recorder));
            assertEquals(List.of("2: +0", "3: =0", "4! invalid phone number '07400 123456': national format without a default region "
                    + "(write it as +<country code>...)"), recorder.events);
            assertEquals("Europe/London", d.get(0).orElseThrow().zone());
        }
    }

    @Test
    void shouldImportManyLinesWithDenseIds() throws IOException {
        int count = 30_000;
        Path file = dir.resolve("many.csv");
        try (BufferedWriter w = Files.newBufferedWriter(file)) {
            w.write("phone,first_name\n");
            for (int i = 0; i < count; i++) {
                w.write(uk(i) + ",Name" + i + "\n");
                if (i % 1000 == 0) {
                    w.write(uk(i / 2) + ",\n"); // a duplicate now and then
                }
            }
        }
        try (RecipientDirectory d = RecipientDirectory.open(dir.resolve("data"), SMALL)) {
            ImportReport report = d.importCsv(file, ImportListener.NONE);
            assertEquals(new ImportReport(count + 30, count, 30, 0, count + 30), report);
            assertEquals(count, d.size());
            for (int i = 0; i < count; i += 997) {
                assertEquals(OptionalInt.of(i), d.idOf(uk(i)));
                assertEquals("Name" + i, d.get(i).orElseThrow().fields().get("first_name"));
            }
        }
    }

    @Test
    void shouldStopTheImportWhenTheListenerThrowsAndKeepWhatWasApplied() throws IOException {
        ImportListener failing = new ImportListener() {
            @Override
            public void onAccepted(long lineNumber, int id, boolean created) {
                if (lineNumber == 3) {
                    throw new IllegalStateException("listener gave up");
                }
            }
        };
        StringBuilder text = new StringBuilder("phone\n");
        for (int i = 0; i < 5_000; i++) {
            text.append(uk(i)).append('\n');
        }
        try (RecipientDirectory d = RecipientDirectory.open(dir, SMALL)) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> d.importCsv(new StringReader(text.toString()), "big.csv", failing));
            assertEquals("listener gave up", e.getMessage());
            assertEquals(2, d.size());
            assertEquals(new ImportReport(5_000, 4_998, 2, 0, 5_000),
                    d.importCsv(new StringReader(text.toString()), "big.csv", ImportListener.NONE));
        }
    }
}
