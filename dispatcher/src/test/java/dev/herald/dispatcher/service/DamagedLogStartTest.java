package dev.herald.dispatcher.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code herald serve} in a real child JVM refuses to start on a damaged log, naming the file and
 * offset, with the CLI's exit code for damaged data (3), and leaves the file as it was. Before the
 * store rule the damaged last line of preferences.log or campaign-numbers.log was deleted from disk
 * with no word, and a zero-filled replay-keys.bin was read as "no keys" (a replayed id accepted).
 */
class DamagedLogStartTest {

    @TempDir
    Path data;

    private static byte[] line(String record) {
        CRC32 c = new CRC32();
        c.update(record.getBytes(StandardCharsets.UTF_8));
        return (record + "\t" + java.util.HexFormat.of().toHexDigits((int) c.getValue()) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @ParameterizedTest
    @ValueSource(strings = {"unsubscribe/preferences.log", "campaign-numbers.log", "inbound/replay-keys.bin"})
    void shouldRefuseToStartNamingTheDamagedFileAndOffset(String name) throws Exception {
        Path file = data.resolve(name);
        Files.createDirectories(file.getParent());
        long offset;
        if (name.endsWith(".bin")) {
            Files.write(file, new byte[64]); // zero-filled
            offset = 0;
        } else {
            byte[] first = line(name.startsWith("unsub") ? "42 weekly" : "1 spring");
            byte[] last = line(name.startsWith("unsub") ? "43 monthly" : "2 summer");
            last[1] ^= 1; // the last line is complete, its checksum fails
            byte[] all = Arrays.copyOf(first, first.length + last.length);
            System.arraycopy(last, 0, all, first.length, last.length);
            Files.write(file, all);
            offset = first.length;
        }
        byte[] before = Files.readAllBytes(file);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m"));
        String flags = System.getProperty("herald.test.jvmFlags", "");
        if (!flags.isBlank()) {
            cmd.addAll(Arrays.asList(flags.trim().split("\\s+")));
        }
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.herald.dispatcher.cli.HeraldCommand",
                "--data-dir", data.toString(), "serve", "--port", "0"));
        Path err = data.resolveSibling(data.getFileName() + ".stderr");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(err.toFile());
        pb.environment().put("HERALD_API_KEY", "k".repeat(40));
        Process p = pb.start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the service does not start");
        String out = Files.readString(err);
        Files.delete(err);
        assertEquals(3, p.exitValue(), out);
        assertTrue(out.contains(file.toString()) && out.contains("damaged at offset " + offset), out);
        assertArrayEquals(before, Files.readAllBytes(file), "never cut, never rewritten");
    }
}
