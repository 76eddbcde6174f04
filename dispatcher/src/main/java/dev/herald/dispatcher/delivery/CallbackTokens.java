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
 * tokens.verify("kannel", t);                       // Optional[Target[campaign=3, recipient=42, part=1, parts=1]]
 * tokens.sign("kannel", 3, 42, 2, 3);               // part 2 of a 3-part message sent part by part
 * }</pre>
 *
 * <p>Token: base64url of {@code campaign number (4 bytes) | recipient (4) | MAC (16 bytes of
 * HMAC-SHA256 over those 8 bytes and the connector's name)}, 32 characters: the whole message.
 * A part's token ({@code parts > 1}): {@code campaign (4) | recipient (4) | part (1) | parts (1) |
 * MAC (16, over those 10 bytes, the connector's name, a 0 byte and "part")}, 35 characters. The
 * length tells the two apart and the MAC input differs in length and suffix, so neither form's MAC
 * passes for the other's; tokens signed before parts were kept still verify (as part 1 of 1).
 * Thread-safe.
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
     * @param part      which part of the message the report is for, 1..parts
     * @param parts     the parts the message was sent in, 1..255 (1: the report speaks for the whole message)
     */
    public record Target(int campaign, int recipient, int part, int parts) {
        /** @throws IllegalArgumentException if the part is out of range */
        public Target {
            if (parts < 1 || parts > 255 || part < 1 || part > parts) {
                throw new IllegalArgumentException("part " + part + "/" + parts + " out of range (1 <= part <= parts <= 255)");
            }
        }

        /** The whole message. */
        public Target(int campaign, int recipient) {
            this(campaign, recipient, 1, 1);
        }
    }

    private static final byte[] PART_SUFFIX = {0, 'p', 'a', 'r', 't'};

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
     * @param connector the connector the part is sent through
     * @param campaign  the campaign's number
     * @param recipient the recipient's id
     * @param part      the part, 1..parts
     * @param parts     the message's parts, 1..255; 1 gives the whole message's token ({@link #sign(String, int, int)})
     * @return the token of one part of a message sent part by part (its delivery report is that part's)
     * @throws IllegalArgumentException if the part is out of range
     */
    public String sign(String connector, int campaign, int recipient, int part, int parts) {
        new Target(campaign, recipient, part, parts); // checks the range
        if (parts == 1) {
            return sign(connector, campaign, recipient);
        }
        ByteBuffer b = ByteBuffer.allocate(10 + MAC_BYTES).putInt(campaign).putInt(recipient).put((byte) part).put((byte) parts);
        b.put(mac(connector, b.array(), 10, PART_SUFFIX));
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b.array());
    }

    /**
     * @param connector the connector the callback came for
     * @param token     the token as received
     * @return what it names; empty if it is not one this key signed for that connector
     */
    public Optional<Target> verify(String connector, String token) {
        if (token != null && token.length() == 35) {
            return verifyPart(connector, token);
        }
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

    private Optional<Target> verifyPart(String connector, String token) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (raw.length != 10 + MAC_BYTES) {
            return Optional.empty();
        }
        byte[] expected = mac(connector, raw, 10, PART_SUFFIX);
        if (!MessageDigest.isEqual(expected, java.util.Arrays.copyOfRange(raw, 10, 10 + MAC_BYTES))) {
            return Optional.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(raw);
        int campaign = b.getInt();
        int recipient = b.getInt();
        int part = b.get() & 0xFF;
        int parts = b.get() & 0xFF;
        if (parts < 2 || part < 1 || part > parts) {
            return Optional.empty(); // never signed so
        }
        return Optional.of(new Target(campaign, recipient, part, parts));
    }

    private byte[] mac(String connector, byte[] data, int length) {
        return mac(connector, data, length, new byte[0]);
    }

    private byte[] mac(String connector, byte[] data, int length, byte[] suffix) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(key, "HmacSHA256"));
            m.update(data, 0, length);
            m.update(connector.getBytes(StandardCharsets.UTF_8));
            m.update(suffix);
            return java.util.Arrays.copyOf(m.doFinal(), MAC_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }
}
