package dev.herald.dispatcher.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.herald.dispatcher.BytesOnDisk;
import dev.herald.suppression.MasterKey;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The master key from the command line as an operator uses it: {@code herald keys generate}, a
 * directory imported with {@code --master-key-file}, refused without it or with another key,
 * {@code herald keys rotate} (from the environment's file variable is covered by the service tests;
 * here the flag), and bad key files named.
 */
class KeysCommandTest {

    @TempDir
    Path tmp;

    private Cli.Result herald(String... args) {
        return Cli.herald(tmp.resolve("data"), args);
    }

    private Path keyFile(String name) throws IOException {
        Cli.Result g = herald("keys", "generate");
        assertEquals(0, g.code(), g.err());
        String key = g.out().strip();
        MasterKey.parse(key, "generated"); // a valid key: base64 of 32 bytes
        Path f = tmp.resolve(name);
        Files.writeString(f, key + "\n");
        return f;
    }

    @Test
    void aDirectoryImportedWithAKeyOpensOnlyWithItAndRotates() throws IOException {
        Path one = keyFile("one.key");
        Path two = keyFile("two.key");
        assertFalse(Files.readString(one).equals(Files.readString(two)), "two generated keys differ");
        Path csv = tmp.resolve("r.csv");
        Files.writeString(csv, "phone,first_name\n+447400123456,Wilhelmina-Xq\n", StandardCharsets.UTF_8);

        Cli.Result imported = herald("--master-key-file", one.toString(), "directory", "import", csv.toString());
        assertEquals(0, imported.code(), imported.err());
        assertEquals(List.of(), BytesOnDisk.filesHolding(tmp.resolve("data"), BytesOnDisk.texts("Wilhelmina-Xq")),
                "the field is stored encrypted");

        Cli.Result show = herald("--master-key-file", one.toString(), "directory", "show", "+447400123456");
        assertEquals(0, show.code(), show.err());
        assertTrue(show.out().contains("Wilhelmina-Xq"), show.out());

        Cli.Result none = herald("directory", "show", "+447400123456");
        assertEquals(HeraldCommand.DATA_ERROR, none.code(), none.out());
        assertTrue(none.err().contains("directory.keys"), "names the key file: " + none.err());
        Cli.Result wrong = herald("--master-key-file", two.toString(), "directory", "show", "+447400123456");
        assertEquals(HeraldCommand.DATA_ERROR, wrong.code(), wrong.out());
        assertTrue(wrong.err().contains("directory.keys") && !wrong.err().contains(Files.readString(two).strip()),
                "names the file, never the key: " + wrong.err());

        // rotation: the new key opens it, the old one no more, the data is the same
        Cli.Result same = herald("--master-key-file", one.toString(), "keys", "rotate", "--new-key-file", one.toString());
        assertEquals(HeraldCommand.BAD_INPUT, same.code(), same.out());
        Cli.Result rotated = herald("--master-key-file", one.toString(), "keys", "rotate", "--new-key-file", two.toString());
        assertEquals(0, rotated.code(), rotated.err());
        assertTrue(rotated.out().contains("re-wrapped"), rotated.out());
        Cli.Result withNew = herald("--master-key-file", two.toString(), "directory", "show", "+447400123456");
        assertEquals(0, withNew.code(), withNew.err());
        assertTrue(withNew.out().contains("Wilhelmina-Xq"), withNew.out());
        assertEquals(HeraldCommand.DATA_ERROR, herald("--master-key-file", one.toString(), "directory", "show",
                "+447400123456").code(), "the old key opens nothing after the rotation");
    }

    @Test
    void badKeyFilesAreNamedAndNothingIsCreated() throws IOException {
        Path missing = tmp.resolve("nope.key");
        Cli.Result r = herald("--master-key-file", missing.toString(), "directory", "show", "+447400123456");
        assertEquals(HeraldCommand.BAD_INPUT, r.code(), r.out());
        assertTrue(r.err().contains("nope.key") && r.err().contains("no such file"), r.err());
        Path garbage = tmp.resolve("garbage.key");
        Files.writeString(garbage, "this-is-not-a-key-but-a-secret-looking-string");
        Cli.Result g = herald("--master-key-file", garbage.toString(), "directory", "import", garbage.toString());
        assertEquals(HeraldCommand.BAD_INPUT, g.code(), g.out());
        assertTrue(g.err().contains("garbage.key") && !g.err().contains("secret-looking"),
                "names the file, never echoes its content: " + g.err());
        assertFalse(Files.exists(tmp.resolve("data").resolve("directory")), "nothing was created");
        Cli.Result rotateNone = herald("keys", "rotate");
        assertEquals(HeraldCommand.BAD_INPUT, rotateNone.code());
        assertTrue(rotateNone.err().contains("no current master key"), rotateNone.err());
    }
}
