package dev.herald.dispatcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code herald bench} options: bad values are bad input (exit 2) and create nothing. */
class BenchCommandTest {

    @TempDir
    Path tmp;

    private int bench(StringWriter err, String... extra) {
        List<String> args = new ArrayList<>(List.of("--data-dir", tmp.resolve("data").toString(), "bench"));
        args.addAll(List.of(extra));
        return HeraldCommand.newCommandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true))
                .execute(args.toArray(String[]::new));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--recipients|0|--recipients must be at least 1",
            "--campaigns|0|--campaigns must be between 1 and 64",
            "--campaigns|65|--campaigns must be between 1 and 64",
            "--scenario|nope|no scenario 'nope'; the scenarios are one-big-campaign",
            "--send-rate|-5|--send-rate must be > 0",
            "--opt-out-rate|0|--opt-out-rate must be > 0",
            "--recipients|many|Invalid value for option '--recipients'"})
    void shouldRefuseABadValueWithExitCode2AndCreateNothing(String option, String value, String message) {
        StringWriter err = new StringWriter();
        assertEquals(HeraldCommand.BAD_INPUT, bench(err, option, value));
        assertTrue(err.toString().contains(message), err.toString());
        assertFalse(Files.exists(tmp.resolve("data")), "nothing created");
    }

    @Test
    void shouldListTheScenariosInItsHelp() {
        StringWriter out = new StringWriter();
        int code = HeraldCommand.newCommandLine(new PrintWriter(out, true), new PrintWriter(new StringWriter(), true))
                .execute("help", "bench");
        assertEquals(0, code);
        for (String s : List.of("one-big-campaign", "overlapping-campaigns", "opt-outs-mid-send", "--json")) {
            assertTrue(out.toString().contains(s), s);
        }
    }
}
