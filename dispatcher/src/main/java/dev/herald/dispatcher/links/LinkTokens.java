package dev.herald.dispatcher.links;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import dev.herald.dispatcher.campaign.CampaignNumbers;
import dev.herald.dispatcher.render.Template;
import dev.herald.dispatcher.unsubscribe.SecretKeyFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Optional;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The tracked links of a campaign with {@code trackLinks}: {@code <herald.links.base-url><token>},
 * one per recipient and link, verified without a lookup table.
 *
 * <pre>{@code
 * LinkTokens tokens = LinkTokens.open(dataDir.resolve("links"), config, campaignNumbers);
 * Template.LinkUrls urls = tokens.urls("spring-sale");       // one per campaign run
 * urls.url(42, 0);                                           // http://localhost:8080/l/gQEqmZ3k1V0rXa0Q
 * Optional<LinkTokens.Link> l = tokens.verify(token);        // empty if forged, altered, truncated or unknown
 * }</pre>
 *
 * <p><b>Token.</b> base64url (no padding) of: a varint of {@code campaignNumber × 16 + link}, a
 * varint of the recipient id, and the first 8 bytes (64 bits) of the HMAC-SHA256, under a secret
 * key, of a domain string, those bytes and the campaign's id (were the campaign numbers ever lost
 * and given again, an old link could not pass for another campaign's). A campaign number below
 * 512 and a recipient id below 2,097,152 make at most 13 bytes, <b>18 characters</b> (the
 * shortest token, campaign number below 8 and recipient below 128, is 10 bytes, 14 characters); the longest token
 * (numbers up to 2<sup>24</sup>, ids up to 2<sup>31</sup>) is 17 bytes, 23 characters. 12
 * characters (72 bits) cannot hold 64 bits of MAC and a campaign, a recipient and a link besides:
 * Herald keeps the 64-bit MAC (a forged click needs about 2<sup>63</sup> tries) and pays 6
 * characters for it. Only canonical encodings verify (no stray bits, no over-long varints).
 *
 * <p>At most {@value #MAX_LINKS} links per template. The key is {@code herald.links.secret}
 * (base64, at least 32 bytes) or, when that is empty, 32 random bytes made on first start in
 * {@code <dir>/secret.key} (owner-only, checksummed: {@link SecretKeyFile}). Thread-safe (one
 * {@link Mac} per thread).
 */
public final class LinkTokens {

    /** Links a template may have (the link's index takes 4 bits of the token). */
    public static final int MAX_LINKS = 16;
    /** The longest token, in characters. */
    public static final int MAX_TOKEN_LENGTH = 23;

    private static final int MAC_BYTES = 8;
    private static final byte[] DOMAIN = "herald-link-v1".getBytes(StandardCharsets.US_ASCII);
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    /**
     * A verified token.
     *
     * @param campaignId     the campaign whose message carried the link
     * @param campaignNumber its number inside tokens
     * @param recipientId    the recipient's directory id
     * @param link           the link's index in the campaign's template ({@link Template#links()})
     */
    public record Link(String campaignId, int campaignNumber, int recipientId, int link) {
    }

    /**
     * The campaign numbers tokens carry: {@link CampaignNumbers} in service; a test gives any
     * number in [1, {@link CampaignNumbers#MAX}] without handing out every one before it.
     */
    interface Numbers {
        /** @return the campaign's number, given (durably) on first use */
        int numberOf(String campaignId);

        /** @return the campaign given {@code number}, if any */
        Optional<String> campaignOf(int number);

        static Numbers of(CampaignNumbers n) {
            return new Numbers() {
                @Override
                public int numberOf(String campaignId) {
                    return n.numberOf(campaignId);
                }

                @Override
                public Optional<String> campaignOf(int number) {
                    return n.campaignOf(number);
                }
            };
        }
    }

    private final String baseUrl;
    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;
    private final Numbers numbers;

    /** For tests: tokens under {@code secret} with the numbers {@code numbers} gives (nothing checked). */
    LinkTokens(String baseUrl, byte[] secret, Numbers numbers) {
        this.baseUrl = baseUrl;
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
        this.numbers = numbers;
    }

    private Mac newMac() {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            return m;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available: " + e.getMessage(), e);
        }
    }

    /**
     * Opens (making the key on first start) the tracked links.
     *
     * @param dir     {@code <data dir>/links}
     * @param config  the configuration ({@code herald.links.base-url}, {@code herald.links.secret})
     * @param numbers the campaign numbers tokens carry (shared with the unsubscribe links)
     * @return the tokens
     * @throws IOException     if the key cannot be read or made durable
     * @throws ConfigException naming the key if the base URL or the secret is malformed
     */
    public static LinkTokens open(Path dir, Config config, CampaignNumbers numbers) throws IOException {
        String base = config.getString("herald.links.base-url").strip();
        if (!base.matches("https?://[^\\s\"'<>/?#]+(/[^\\s\"'<>?#]*)?/")) {
            throw new ConfigException.BadValue(config.origin(), "herald.links.base-url",
                    "must be an http(s) URL ending in '/', e.g. https://go.example.com/l/, got '" + base + "'");
        }
        byte[] secret = SecretKeyFile.configuredOrFile(config, "herald.links.secret", dir.resolve("secret.key"));
        return new LinkTokens(base, secret, Numbers.of(numbers));
    }

    /**
     * Checks {@code <dir>/secret.key} without changing anything (for {@code herald data check}).
     *
     * @return the damage, or empty if it is sound or absent
     * @throws IOException if it cannot be read
     */
    public static Optional<dev.herald.suppression.DamagedFileException> verifyKeyFile(Path dir) throws IOException {
        return SecretKeyFile.verify(dir.resolve("secret.key"));
    }

    /** @return the configured base URL, ending in '/' */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * @param campaignId the campaign whose messages carry the links
     * @return (recipient, link) → its tracked URL; the campaign's number is given (durably) here
     * @throws java.io.UncheckedIOException if a new number cannot be made durable
     */
    public Template.LinkUrls urls(String campaignId) {
        int number = numbers.numberOf(campaignId);
        return (recipient, link) -> baseUrl + token(number, campaignId, recipient, link);
    }

    /**
     * @param campaignId the campaign (its number given if it has none)
     * @param recipient  a directory id (≥ 0)
     * @param link       the link's index, 0..{@value #MAX_LINKS}-1
     * @return the signed token
     */
    public String token(String campaignId, int recipient, int link) {
        return token(numbers.numberOf(campaignId), campaignId, recipient, link);
    }

    private String token(int number, String campaignId, int recipient, int link) {
        if (recipient < 0 || link < 0 || link >= MAX_LINKS || number < 1 || number > CampaignNumbers.MAX) {
            throw new IllegalArgumentException("token: recipient id >= 0, link in [0, " + MAX_LINKS + ") and campaign"
                    + " number in [1, " + CampaignNumbers.MAX + "], got " + recipient + ", " + link + ", " + number);
        }
        byte[] b = new byte[5 + 5 + MAC_BYTES];
        int n = putVarint(b, 0, (long) number * MAX_LINKS + link);
        n = putVarint(b, n, recipient);
        byte[] mac = mac(b, n, campaignId);
        System.arraycopy(mac, 0, b, n, MAC_BYTES);
        return ENCODER.encodeToString(Arrays.copyOf(b, n + MAC_BYTES));
    }

    private byte[] mac(byte[] b, int length, String campaignId) {
        Mac m = macs.get();
        m.update(DOMAIN);
        m.update(b, 0, length);
        m.update(campaignId.getBytes(StandardCharsets.UTF_8));
        return m.doFinal();
    }

    /**
     * @param token a token from a link, as received
     * @return the link it stands for; empty if it is malformed, truncated, altered, not signed
     *     with this key, or names a campaign number never given
     */
    public Optional<Link> verify(String token) {
        if (token == null || token.length() < 12 || token.length() > MAX_TOKEN_LENGTH) {
            return Optional.empty();
        }
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            if (!(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_')) {
                return Optional.empty();
            }
        }
        byte[] b;
        try {
            b = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (!ENCODER.encodeToString(b).equals(token)) {
            return Optional.empty(); // non-canonical (stray low bits): not ours
        }
        long[] first = readVarint(b, 0, 4);
        long[] second = first == null ? null : readVarint(b, (int) first[1], 5);
        if (second == null || b.length - second[1] != MAC_BYTES || second[0] > Integer.MAX_VALUE) {
            return Optional.empty();
        }
        int n = (int) second[1];
        int number = (int) (first[0] / MAX_LINKS);
        int link = (int) (first[0] % MAX_LINKS);
        Optional<String> campaign = number >= 1 && number <= CampaignNumbers.MAX ? numbers.campaignOf(number) : Optional.empty();
        // the MAC is checked in every case, in constant time (against an empty campaign id for a number never given)
        byte[] expected = Arrays.copyOf(mac(b, n, campaign.orElse("")), MAC_BYTES);
        boolean signed = MessageDigest.isEqual(expected, Arrays.copyOfRange(b, n, n + MAC_BYTES));
        if (!signed || campaign.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Link(campaign.get(), number, (int) second[0], link));
    }

    /**
     * A keyed hash of a client's address, so that clicks from one address can be told apart
     * without keeping the address: the first 8 bytes of HMAC-SHA256 under the link key, in hex.
     *
     * @param address an IP address as text, or null
     * @return 16 hex digits, or {@code "-"} for no address
     */
    public String addressHash(String address) {
        if (address == null || address.isBlank()) {
            return "-";
        }
        Mac m = macs.get();
        m.update("herald-address-v1".getBytes(StandardCharsets.US_ASCII));
        byte[] h = m.doFinal(address.strip().getBytes(StandardCharsets.UTF_8));
        return java.util.HexFormat.of().formatHex(h, 0, 8);
    }

    private static int putVarint(byte[] b, int at, long v) {
        while (v >= 0x80) {
            b[at++] = (byte) (v & 0x7F | 0x80);
            v >>>= 7;
        }
        b[at++] = (byte) v;
        return at;
    }

    /** @return {value, next offset}, or null if absent, longer than {@code maxBytes}, or over-long (a needless 0x80 byte) */
    private static long[] readVarint(byte[] b, int at, int maxBytes) {
        long v = 0;
        for (int i = 0; i < maxBytes; i++) {
            if (at + i >= b.length) {
                return null;
            }
            int x = b[at + i] & 0xFF;
            v |= (long) (x & 0x7F) << (7 * i);
            if ((x & 0x80) == 0) {
                if (i > 0 && x == 0) {
                    return null; // over-long: the same value has a shorter encoding
                }
                return new long[]{v, at + i + 1};
            }
        }
        return null;
    }
}
