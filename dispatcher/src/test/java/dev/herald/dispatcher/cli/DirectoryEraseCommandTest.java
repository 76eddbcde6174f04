package dev.herald.dispatcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.BytesOnDisk;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code herald directory erase} as an operator runs it: the person's record goes, their opt-out
 * stays answerable by the number ({@code suppression check}, {@code ledger show}), a re-import of
 * the number is still suppressed, and after the next compaction no file holds their number or
 * field; bad and unknown numbers are told apart and change nothing.
 */
class DirectoryEraseCommandTest {

    static final String PHONE = "+447400555321";

    @TempDir
    Path tmp;

    private Cli.Result herald(String... args) {
        return Cli.herald(tmp.resolve("data"), args);
    }

    @Test
    void erasesThePersonAndKeepsTheOptOut() throws IOException {
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, "phone,first_name\n" + PHONE + ",Quentin-Vexilla\n+447400555322,Keeper\n", StandardCharsets.UTF_8);
        // a small directory: its files are read whole by the scan below
        assertEquals(0, herald("directory", "import", "--capacity", "10000", csv.toString()).code());
        Cli.Result add = herald("suppression", "add", PHONE, "--scope", "global", "--reason", "Quentin said stop");
        assertEquals(0, add.code(), add.err());

        Cli.Result bad = herald("directory", "erase", "not-a-number");
        assertEquals(HeraldCommand.BAD_INPUT, bad.code(), bad.out());
        Cli.Result unknown = herald("directory", "erase", "+447400555399");
        assertEquals(HeraldCommand.NO, unknown.code(), unknown.out());
        assertTrue(unknown.err().contains("not in the directory"), unknown.err());

        Cli.Result erased = herald("directory", "erase", PHONE);
        assertEquals(0, erased.code(), erased.err());
        assertTrue(erased.out().contains("kept only as hash:") && erased.out().contains("suppressed  global"), erased.out());
        assertEquals(HeraldCommand.NO, herald("directory", "show", PHONE).code(), "the record is gone");
        Cli.Result check = herald("suppression", "check", PHONE);
        assertEquals(0, check.code(), "the opt-out holds: " + check.out());
        Cli.Result ledger = herald("ledger", "show", PHONE);
        assertEquals(0, ledger.code(), ledger.err());
        assertTrue(ledger.out().contains("erased") && ledger.out().contains("opt-out"), ledger.out());

        assertEquals(0, herald("suppression", "compact").code());
        assertEquals(List.of(), BytesOnDisk.filesHolding(tmp.resolve("data"),
                BytesOnDisk.texts(PHONE, PHONE.substring(3), "Quentin-Vexilla", "Quentin said stop")));
        Cli.Result other = herald("directory", "show", "+447400555322");
        assertTrue(other.code() == 0 && other.out().contains("Keeper"), "the others stay: " + other.out());

        // the number uploaded again: the same recipient, still suppressed
        assertEquals(0, herald("directory", "import", csv.toString()).code());
        Cli.Result again = herald("suppression", "check", PHONE);
        assertEquals(0, again.code(), again.out());
        assertTrue(again.out().contains("suppressed global"), again.out());
    }
}
