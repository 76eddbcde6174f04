package dev.herald.dispatcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.HeraldData;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The operator commands as a script would call them: outputs and exit codes. */
class HeraldCommandTest {

    @TempDir
    Path tmp;

    private Cli.Result herald(String... args) {
        return Cli.herald(tmp.resolve("data"), args);
    }

    private Path csv(String name, String content) throws IOException {
        Path f = tmp.resolve(name);
        Files.writeString(f, content, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void shouldImportAndReportEachRejectedLineThenASummary() throws IOException {
        Path f = csv("r.csv", "phone,tz,first_name\n+447400123456,Europe/London,Alice\nnot-a-number,,X\n"
                + "+14155550123,,Bob\n+4915112345678,Europe/Mars,Jonas\n+447400123456,Europe/London,Alice\n");
        Cli.Result r = herald("directory", "import", f.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].startsWith("line 3: "), r.out());
        assertTrue(lines[1].startsWith("line 5: ") && lines[1].contains("Europe/Mars"), r.out());
        assertEquals("imported 3 (2 new, 1 already known), rejected 2, 5 lines read", lines[lines.length - 1]);
        assertEquals("", r.err(), "the summary is one line on stdout, not split over stdout and stderr");

        Cli.Result show = herald("directory", "show", "+44 7400 123456");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("+447400123456") && show.out().contains("Alice")
                && show.out().contains("Europe/London") && show.out().contains("suppressed  no"), show.out());
    }

    @Test
    void shouldAnswerHelpForEverySubcommandWithItsUsageAndExitZero() {
        List<List<String>> paths = new ArrayList<>();
        collect(HeraldCommand.newCommandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter())),
                new ArrayList<>(), paths);
        assertTrue(paths.size() >= 18, "every command at every depth: " + paths);
        for (List<String> path : paths) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                Cli.Result r = herald(args.toArray(String[]::new));
                assertEquals(0, r.code(), args + ": " + r.err() + r.out());
                assertTrue(r.out().startsWith("Usage: herald " + String.join(" ", path)), args + ": " + r.out());
                assertEquals("", r.err(), args.toString());
            }
        }
        assertTrue(!Files.exists(tmp.resolve("data")), "asking for help creates no data directory");
    }

    private static void collect(picocli.CommandLine cl, List<String> path, List<List<String>> out) {
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue; // 'herald help' is the help command itself
            }
            List<String> p = new ArrayList<>(path);
            p.add(e.getKey());
            out.add(p);
            collect(e.getValue(), p, out);
        }
    }

    @Test
    void shouldAddCheckAndRemoveSuppressionsWithScriptableExitCodes() {
        Cli.Result check = herald("suppression", "check", "+447400123456");
        assertEquals(3, check.code(), "no data there yet: an error, never a reassuring 'not suppressed'");
        assertTrue(check.err().contains("no Herald data"), check.err());
        assertTrue(!Files.exists(tmp.resolve("data")), "a read-only command must not create the data directory");

        Cli.Result unknown = herald("suppression", "remove", "+447400123456", "--scope", "global");
        assertEquals(3, unknown.code());

        Cli.Result add = herald("suppression", "add", "+447400123456", "--scope", "sender:acme", "--reason", "STOP");
        assertEquals(0, add.code(), add.err());
        herald("suppression", "add", "+447400123456", "--scope", "global");

        check = herald("suppression", "check", "+447400123456");
        assertEquals(0, check.code());
        assertEquals("suppressed global sender:acme\n", check.out());

        check = herald("suppression", "check", "+447400123456", "--scope", "sender:other");
        assertEquals(1, check.code());
        assertEquals("not suppressed\n", check.out());

        Cli.Result removeUnknown = herald("suppression", "remove", "+14155550123", "--scope", "global");
        assertEquals(1, removeUnknown.code());
        assertTrue(removeUnknown.out().contains("not in the directory"), removeUnknown.out());
        assertEquals(1, herald("directory", "show", "+14155550123").code(), "remove must not register the number");

        assertEquals(0, herald("suppression", "remove", "+447400123456", "--scope", "global").code());
        check = herald("suppression", "check", "+447400123456");
        assertEquals("suppressed sender:acme\n", check.out());

        Cli.Result ledger = herald("ledger", "show", "+447400123456");
        assertEquals(0, ledger.code(), ledger.err());
        String[] rows = ledger.out().split("\n");
        assertEquals(3, rows.length, ledger.out());
        assertTrue(rows[0].contains("opt-out") && rows[0].contains("sender:acme") && rows[0].contains("\"STOP\""), rows[0]);
        assertTrue(rows[2].contains("opt-in") && rows[2].contains("global"), rows[2]);
    }

    @Test
    void shouldImportSuppressionsFromCsvAndExportThem() throws IOException {
        Path f = csv("dnc.csv", "\uFEFFphone\r\n+447400123001\r\n\r\n+447400123002\r\n12\r\n");
        Cli.Result r = herald("suppression", "import", f.toString(), "--scope", "category:promo");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().startsWith("line 5: "), r.out());
        assertTrue(r.out().endsWith("imported 2, rejected 1\n"), r.out());
        Path out = tmp.resolve("export.txt");
        assertEquals(0, herald("suppression", "export", "--scope", "category:promo", "-o", out.toString()).code());
        assertEquals(List.of("+447400123001", "+447400123002"), Files.readAllLines(out));
        Cli.Result toStdout = herald("suppression", "export", "--scope", "category:promo", "--ids");
        assertEquals("0\n1\n", toStdout.out());
        Cli.Result json = herald("ledger", "show", "+447400123002", "--json");
        assertTrue(json.out().startsWith("{\"seq\":") && json.out().contains("\"source\":\"import\""), json.out());
        Cli.Result counts = herald("suppression", "counts");
        assertEquals("category:promo 2\n", counts.out());
        Cli.Result compact = herald("suppression", "compact");
        assertEquals(0, compact.code(), compact.err());
        assertTrue(compact.out().contains("2 ids"), compact.out());
        assertEquals(0, herald("suppression", "check", "+447400123002", "--scope", "category:promo").code());
    }

    @Test
    void shouldExportTheLedgerBetweenTwoTimesAsJsonLinesWithSendTimes() throws Exception {
        java.time.Instant sent = java.time.Instant.parse("2026-11-01T10:00:00Z");
        try (HeraldData data = HeraldData.at(tmp.resolve("data"))) {
            int a = data.directory().register("+447400123001", null, null, java.util.Map.of()).id();
            int b = data.directory().register("+447400123002", null, null, java.util.Map.of()).id();
            data.suppression().apply(List.of(
                    dev.herald.suppression.ConsentChange.optOut(a, "+447400123001", dev.herald.suppression.Scope.sender("acme"),
                            dev.herald.suppression.ConsentEvidence.of(dev.herald.suppression.ConsentSource.KEYWORD).channel("sms")
                                    .rawText("STOP").campaign("c-1").sentAt(sent).at(sent.plusSeconds(600))),
                    dev.herald.suppression.ConsentChange.optOut(b, "+447400123002", dev.herald.suppression.Scope.GLOBAL,
                            dev.herald.suppression.ConsentEvidence.of(dev.herald.suppression.ConsentSource.API)
                                    .at(java.time.Instant.parse("2026-11-02T00:00:00Z"))),
                    dev.herald.suppression.ConsentChange.optIn(a, "+447400123001", dev.herald.suppression.Scope.sender("acme"),
                            dev.herald.suppression.ConsentEvidence.of(dev.herald.suppression.ConsentSource.KEYWORD)
                                    .at(java.time.Instant.parse("2026-11-03T08:00:00Z")))));
        }
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();

        Cli.Result all = herald("ledger", "export");
        assertEquals(0, all.code(), all.err());
        assertEquals(3, all.out().split("\n").length, all.out());
        assertTrue(all.err().contains("exported 3 consent records"), all.err());

        Cli.Result nov1 = herald("ledger", "export", "--from", "2026-11-01", "--to", "2026-11-02");
        assertEquals(0, nov1.code(), nov1.err());
        String[] lines = nov1.out().split("\n");
        assertEquals(1, lines.length, "--to is exclusive: the record at 2026-11-02T00:00Z is not in: " + nov1.out());
        com.fasterxml.jackson.databind.JsonNode r = json.readTree(lines[0]);
        assertEquals("opt-out", r.path("action").asText());
        assertEquals("+447400123001", r.path("phone").asText());
        assertEquals("sender:acme", r.path("scope").asText());
        assertEquals("keyword", r.path("source").asText());
        assertEquals("STOP", r.path("text").asText());
        assertEquals("c-1", r.path("campaign").asText());
        assertEquals("2026-11-01T10:00:00Z", r.path("sentAt").asText());
        assertEquals("2026-11-01T10:10:00Z", r.path("time").asText());

        Path file = tmp.resolve("audit.jsonl");
        Cli.Result toFile = herald("ledger", "export", "--from", "2026-11-02T00:00:00Z", "--to", "2026-11-04", "-o", file.toString());
        assertEquals(0, toFile.code(), toFile.err());
        List<String> written = Files.readAllLines(file);
        assertEquals(2, written.size(), written.toString());
        assertTrue(json.readTree(written.get(0)).path("sentAt").isMissingNode(), "no send time, no sentAt: " + written.get(0));
        assertEquals("opt-in", json.readTree(written.get(1)).path("action").asText());

        Cli.Result reversed = herald("ledger", "export", "--from", "2026-11-03", "--to", "2026-11-01");
        assertEquals(2, reversed.code());
        assertTrue(reversed.err().contains("--from 2026-11-03 must be before --to 2026-11-01"), reversed.err());
        Cli.Result empty = herald("ledger", "export", "--from", "2026-11-01", "--to", "2026-11-01");
        assertEquals(2, empty.code(), empty.err());
        Cli.Result badTo = herald("ledger", "export", "--to", "2026-02-30");
        assertEquals(2, badTo.code());
        assertTrue(badTo.err().contains("--to '2026-02-30'"), badTo.err());
    }

    @Test
    void shouldRejectBadInputWithAClearMessageAndExitCodeTwo() throws IOException {
        Cli.Result badScope = herald("suppression", "add", "+447400123456", "--scope", "brand:acme");
        assertEquals(2, badScope.code());
        assertTrue(badScope.err().contains("brand:acme"), badScope.err());

        Cli.Result badPhone = herald("suppression", "add", "hello", "--scope", "global");
        assertEquals(2, badPhone.code());
        assertTrue(badPhone.err().contains("hello"), badPhone.err());

        Cli.Result missingFile = herald("directory", "import", tmp.resolve("nope.csv").toString());
        assertEquals(2, missingFile.code());
        assertTrue(missingFile.err().contains("nope.csv"), missingFile.err());

        Cli.Result noPhoneColumn = herald("directory", "import", csv("x.csv", "name,tz\nA,UTC\n").toString());
        assertEquals(2, noPhoneColumn.code());
        assertTrue(noPhoneColumn.err().contains("phone"), noPhoneColumn.err());

        Cli.Result badTime = herald("ledger", "export", "--from", "yesterday");
        assertEquals(2, badTime.code());
        assertTrue(badTime.err().contains("--from"), badTime.err());

        Cli.Result unknownCommand = herald("suppression", "frobnicate");
        assertEquals(2, unknownCommand.code());
    }

    @Test
    void shouldExitThreeWhenTheDataDirectoryIsInUse() throws IOException {
        try (HeraldData data = HeraldData.at(tmp.resolve("data"))) {
            data.suppression();
            Cli.Result r = herald("suppression", "add", "+447400123456", "--scope", "global");
            assertEquals(3, r.code());
            assertTrue(r.err().contains("in use"), r.err());
        }
    }

    @Test
    void shouldRefuseDamagedDataNamingTheFile() throws IOException {
        assertEquals(0, herald("suppression", "add", "+447400123456", "--scope", "global").code());
        assertEquals(0, herald("suppression", "compact").code());
        Path base;
        try (var walk = Files.walk(tmp.resolve("data/suppression/base"))) {
            base = walk.filter(p -> p.toString().endsWith(".rbm")).findFirst().orElseThrow();
        }
        byte[] b = Files.readAllBytes(base);
        b[b.length - 1] ^= 0x7f;
        Files.write(base, b);
        Cli.Result r = herald("suppression", "check", "+447400123456");
        assertEquals(3, r.code());
        assertTrue(r.err().contains(base.toString()) && r.err().contains("damaged"), r.err());
    }
}
