package dev.herald.dispatcher.delivery;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Base64;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link CallbackTokens}: a whole message's token and a part's, verified, refused when altered. */
class CallbackTokensTest {

    @TempDir
    Path dir;

    @Test
    void shouldVerifyAWholeMessagesTokenAsPartOneOfOne() throws Exception {
        CallbackTokens tokens = CallbackTokens.open(dir);
        String t = tokens.sign("kannel", 3, 42);
        assertEquals(32, t.length());
        assertEquals(Optional.of(new CallbackTokens.Target(3, 42, 1, 1)), tokens.verify("kannel", t));
        assertEquals(t, tokens.sign("kannel", 3, 42, 1, 1), "one part: the whole message's token, as before parts");
        assertEquals(Optional.empty(), tokens.verify("other", t), "signed for another connector");
    }

    @Test
    void shouldVerifyAPartsTokenWithItsPartAndParts() throws Exception {
        CallbackTokens tokens = CallbackTokens.open(dir);
        String t = tokens.sign("kannel", 3, 42, 2, 3);
        assertEquals(35, t.length());
        assertEquals(Optional.of(new CallbackTokens.Target(3, 42, 2, 3)), tokens.verify("kannel", t));
        assertEquals(Optional.of(new CallbackTokens.Target(3, 42, 255, 255)),
                tokens.verify("kannel", tokens.sign("kannel", 3, 42, 255, 255)));
        assertEquals(Optional.empty(), tokens.verify("other", t));
        assertEquals(Optional.empty(), CallbackTokens.open(dir.resolve("elsewhere")).verify("kannel", t), "another key");
        // the same key reopened verifies it (the key file is kept)
        assertEquals(Optional.of(new CallbackTokens.Target(3, 42, 2, 3)), CallbackTokens.open(dir).verify("kannel", t));
    }

    @Test
    void shouldRefuseAPartsTokenWithItsPartItsPartsOrItsMacChanged() throws Exception {
        CallbackTokens tokens = CallbackTokens.open(dir);
        byte[] raw = Base64.getUrlDecoder().decode(tokens.sign("kannel", 3, 42, 2, 3));
        for (int i = 0; i < raw.length; i++) {
            byte[] altered = raw.clone();
            altered[i] ^= 1;
            String a = Base64.getUrlEncoder().withoutPadding().encodeToString(altered);
            assertEquals(Optional.empty(), tokens.verify("kannel", a), "byte " + i + " changed");
        }
        // part 3's token is not part 2's: each part reports itself
        assertNotEquals(tokens.sign("kannel", 3, 42, 2, 3), tokens.sign("kannel", 3, 42, 3, 3));
        // a whole message's token and a part's are not each other's, even cut or padded to the other's length
        String whole = tokens.sign("kannel", 3, 42);
        String part = tokens.sign("kannel", 3, 42, 1, 2);
        assertEquals(Optional.empty(), tokens.verify("kannel", part.substring(0, 32)));
        assertEquals(Optional.empty(), tokens.verify("kannel", whole + "AAA"));
        assertEquals(Optional.empty(), tokens.verify("kannel", null));
        assertEquals(Optional.empty(), tokens.verify("kannel", "!".repeat(35)));
    }

    @Test
    void shouldRefuseToSignAPartOutOfRange() throws Exception {
        CallbackTokens tokens = CallbackTokens.open(dir);
        assertThrows(IllegalArgumentException.class, () -> tokens.sign("kannel", 3, 42, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> tokens.sign("kannel", 3, 42, 4, 3));
        assertThrows(IllegalArgumentException.class, () -> tokens.sign("kannel", 3, 42, 1, 256));
    }
}
