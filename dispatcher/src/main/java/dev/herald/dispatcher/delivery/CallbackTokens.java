package dev.herald.dispatcher.delivery;

import dev.herald.dispatcher.unsubscribe.SecretKeyFile;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Optional;

/**
 * The signed token a delivery-report callback URL carries (Kannel's {@code dlr-url}, a provider's
 * status callback): which campaign and recipient the message was, and for which connector, under
 * an HMAC-SHA256 made with a key kept in the data directory ({@code receipts/callback.key}). A
 * forged or altered token is refused; the same token twice reports the same message (the
 * delivery ledger keeps the first final result).
 *
 * <pre>{@code
 * CallbackTokens tokens = CallbackTokens.open(dataDir.resolve("receipts"));
 * String t = tokens.sign("kannel", 3, 42);          // in the callback URL
 * tokens.verify("kannel", t);                       // Optional[Target[campaign=3, recipient=42]]
 * }</pre>
 *
 * <p>Token: base64url of {@code campaign number (4 bytes) | recipient (4) | MAC (16 bytes of
 * HMAC-SHA256 over those 8 bytes and the connector's name)}, 32 characters. Thread-safe.
 */
public final class CallbackTokens {

    /** The key file's name in the receipts directory. */
    public static final String KEY_FILE = "callback.key";
    private static final int MAC_BYTES = 16;

    /**
     * What a token names.
     *
     * @param campaign  the campaign's number
     * @param recipient the recipient's id
     */
    public record Target(int campaign, int recipient) {
    }

    private final byte[] key;

    private CallbackTokens(byte[] key) {
        this.key = key;
    }

    /**
     * @param dir the receipts directory; its key file is made on first use
     * @return the signer
     * @throws IOException naming the key file if it is damaged or cannot be made
     */
    public static CallbackTokens open(Path dir) throws IOException {
        return new CallbackTokens(SecretKeyFile.readOrCreate(dir.resolve(KEY_FILE)));
    }

    /** @return the token for a message of {@code campaign} to {@code recipient} sent through {@code connector} */
    public String sign(String connector, int campaign, int recipient) {
        ByteBuffer b = ByteBuffer.allocate(8 + MAC_BYTES).putInt(campaign).putInt(recipient);
        b.put(mac(connector, b.array(), 8));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /**
     * @param connector the connector the callback came for
     * @param token     the token as received
     * @return what it names; empty if it is not one this key signed for that connector
     */
    public Optional<Target> verify(String connector, String token) {
        if (token == null || token.length() != 32) {
            return Optional.empty();
        }
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (raw.length != 8 + MAC_BYTES) {
            return Optional.empty();
        }
        byte[] expected = mac(connector, raw, 8);
        byte[] given = java.util.Arrays.copyOfRange(raw, 8, 8 + MAC_BYTES);
        if (!MessageDigest.isEqual(expected, given)) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        return Optional.of(new Target(b.getInt(), b.getInt()));
    }

    private byte[] mac(String connector, byte[] data, int length) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update(data, 0, length);
            m.update(connector.getBytes(StandardCharsets.UTF_8));
            return java.util.Arrays.copyOf(m.doFinal(), MAC_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
