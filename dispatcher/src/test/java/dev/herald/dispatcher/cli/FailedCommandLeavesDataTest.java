package dev.herald.dispatcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.check.DirectoryDigest;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A command refused because a stored file is damaged names the file, exits 3 and leaves every
 * stored byte as it was (no open marker, so the next command does not "recover" anything).
 */
class FailedCommandLeavesDataTest {

    @TempDir
    Path tmp;

    private int herald(StringWriter out, StringWriter err, String... args) {
        List<String> all = new ArrayList<>(List.of("--data-dir", tmp.resolve("data").toString()));
        all.addAll(List.of(args));
        return HeraldCommand.newCommandLine(new PrintWriter(out, true), new PrintWriter(err, true))
                .execute(all.toArray(String[]::new));
    }

    private void importTwo() throws Exception {
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, "phone\n+447400123456\n+447400123457\n");
        assertEquals(0, herald(new StringWriter(), new StringWriter(), "directory", "import", csv.toString()));
        assertEquals(0, herald(new StringWriter(), new StringWriter(), "suppression", "add", "+447400123456", "--scope", "global"));
    }

    @Test
    void shouldNameADamagedDirectoryPropertiesFileAndChangeNothing() throws Exception {
        importTwo();
        Path props = tmp.resolve("data/directory/directory.properties");
        byte[] bytes = Files.readAllBytes(props);
        bytes[3] = (byte) 0xFF; // not UTF-8
        Files.write(props, bytes);
        Map<String, String> before = DirectoryDigest.of(tmp.resolve("data"));

        StringWriter err = new StringWriter();
        int code = herald(new StringWriter(), err, "suppression", "check", "+447400123456");

        assertEquals(HeraldCommand.DATA_ERROR, code, err.toString());
        assertTrue(err.toString().contains(props.toAbsolutePath().toString()), err.toString());
        assertTrue(err.toString().contains("damaged"), err.toString());
        assertFalse(Files.exists(tmp.resolve("data/directory/directory.open")), "no open marker left behind");
        assertEquals(before, DirectoryDigest.of(tmp.resolve("data")), "stored bytes unchanged");
    }

    @Test
    void shouldNameADirectoryPropertiesFileWithABadCapacityAndChangeNothing() throws Exception {
        importTwo();
        Path props = tmp.resolve("data/directory/directory.properties");
        Files.writeString(props, "format=1\ncapacity=1x0\n");
        Map<String, String> before = DirectoryDigest.of(tmp.resolve("data"));

        StringWriter err = new StringWriter();
        int code = herald(new StringWriter(), err, "directory", "show", "+447400123457");

        assertEquals(HeraldCommand.DATA_ERROR, code, err.toString());
        assertTrue(err.toString().contains("directory.properties") && err.toString().contains("bad capacity"), err.toString());
        assertEquals(before, DirectoryDigest.of(tmp.resolve("data")), "stored bytes unchanged");
    }

    @Test
    void shouldLeaveNoMarkerWhenAMapFileIsDamaged() throws Exception {
        importTwo();
        Path map = tmp.resolve("data/directory/recipients-by-id.cm3");
        byte[] head = new byte[64];
        try (var ch = java.nio.channels.FileChannel.open(map, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(head), 0); // zero-filled header
        }
        Map<String, String> before = DirectoryDigest.of(tmp.resolve("data"));

        StringWriter err = new StringWriter();
        int code = herald(new StringWriter(), err, "suppression", "check", "+447400123456");

        assertEquals(HeraldCommand.DATA_ERROR, code, err.toString());
        assertTrue(err.toString().contains("recipients-by-id.cm3"), err.toString());
        assertEquals(before, DirectoryDigest.of(tmp.resolve("data")), "stored bytes unchanged");
    }
}
