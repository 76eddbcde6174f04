package dev.herald.dispatcher.unsubscribe;

import dev.herald.dispatcher.campaign.CampaignNumbers;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;
import java.util.regex.Pattern;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The signed links of {@code {{unsubscribe_url}}}: {@code <base-url><token>}, where the token is 20
 * URL-safe characters: base64url of the recipient id (4 bytes), the campaign's number (3 bytes)
 * and the first 8 bytes (64 bits) of the HMAC-SHA256, under a secret key, of those and the
 * campaign's id.
 *
 * <pre>{@code
 * UnsubscribeLinks links = UnsubscribeLinks.open(dataDir.resolve("unsubscribe"), config);
 * IntFunction<String> url = links.urls("spring-sale");     // one per campaign run
 * String text = url.apply(42);                              // http://localhost:8080/u/AAAAKgAAAf3Z...
 * Optional<UnsubscribeLinks.Link> l = links.verify(token);  // empty if forged, truncated or unknown
 * }</pre>
 *
 * <p>The secret is {@code herald.unsubscribe.secret} (base64, at least 32 bytes) or, when that is
 * empty, 32 random bytes made on first start in {@code secret.key} (owner-only permissions, with a
 * checksum: {@link SecretKeyFile}). Each
 * campaign gets a small number the first time a link is made for it ({@link CampaignNumbers}, durable)
 * so that links stay valid across restarts. Thread-safety: safe from any thread (one
 * {@link Mac} per thread).
 */
public final class UnsubscribeLinks implements AutoCloseable {

    /** The token's length in characters. */
    public static final int TOKEN_LENGTH = 20;
    /** The largest campaign number (3 bytes). */
    public static final int MAX_CAMPAIGNS = CampaignNumbers.MAX;

    private static final int MAC_BYTES = 8;
    private static final byte[] DOMAIN = "herald-unsubscribe-v1".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final Pattern TOKEN = Pattern.compile("[A-Za-z0-9_-]{" + TOKEN_LENGTH + "}");
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

    /**
     * A verified token.
     *
     * @param recipientId    the recipient's directory id
     * @param campaignId     the campaign whose message carried the link
     * @param campaignNumber its number inside tokens
     */
    public record Link(int recipientId, String campaignId, int campaignNumber) {
    }

    private final String baseUrl;
    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;
    private final CampaignNumbers numbers;
    /** Whether {@link #numbers} was opened here (and is closed here). */
    private final boolean ownNumbers;

    private UnsubscribeLinks(String baseUrl, byte[] secret, CampaignNumbers numbers, boolean ownNumbers) {
        this.baseUrl = baseUrl;
        this.key = new SecretKeySpec(secret, "HmacSHA256");
        this.macs = ThreadLocal.withInitial(this::newMac);
        this.numbers = numbers;
        this.ownNumbers = ownNumbers;
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
     * Opens (creating on first start) the key in {@code dir}, with campaign numbers of its own in
     * {@code dir/campaigns.log} (closed with the links).
     *
     * @see #open(Path, Config, CampaignNumbers)
     */
    public static UnsubscribeLinks open(Path dir, Config config) throws IOException {
        CampaignNumbers own = CampaignNumbers.open(dir.resolve("campaigns.log"));
        try {
            return open(dir, config, own, true);
        } catch (IOException | RuntimeException e) {
            own.close();
            throw e;
        }
    }

    /**
     * Opens (creating on first start) the key in {@code dir}.
     *
     * @param dir     {@code <data dir>/unsubscribe}
     * @param config  the configuration ({@code herald.unsubscribe.base-url}, {@code herald.unsubscribe.secret})
     * @param numbers the campaign numbers tokens carry (shared; not closed with the links)
     * @return the links
     * @throws IOException     if the key cannot be read or made durable
     * @throws ConfigException naming the key if the base URL or the secret is malformed
     */
    public static UnsubscribeLinks open(Path dir, Config config, CampaignNumbers numbers) throws IOException {
        return open(dir, config, numbers, false);
    }

    private static UnsubscribeLinks open(Path dir, Config config, CampaignNumbers numbers, boolean own) throws IOException {
        String base = config.getString("herald.unsubscribe.base-url").strip();
        if (!base.matches("https?://[^\\s\"'<>]+/")) {
            throw new ConfigException.BadValue(config.origin(), "herald.unsubscribe.base-url",
                    "must be an http(s) URL ending in '/', e.g. https://example.com/u/, got '" + base + "'");
        }
        byte[] secret = SecretKeyFile.configuredOrFile(config, "herald.unsubscribe.secret", dir.resolve("secret.key"));
        return new UnsubscribeLinks(base, secret, numbers, own);
    }

    /**
     * Checks {@code <dir>/secret.key} without changing anything (for {@code herald data check}).
     *
     * @return the damage, or empty if it is sound, absent or of the previous format (migrated at the next start)
     * @throws IOException if it cannot be read
     */
    public static java.util.Optional<dev.herald.suppression.DamagedFileException> verifyKeyFile(Path dir) throws IOException {
        return SecretKeyFile.verify(dir.resolve("secret.key"));
    }

    /**
     * @param campaignId the campaign
     * @return its number inside tokens, given (durably) on first use
     * @throws UncheckedIOException  if a new number cannot be made durable
     * @throws IllegalStateException if {@value #MAX_CAMPAIGNS} numbers are used up
     */
    public int numberOf(String campaignId) {
        return numbers.numberOf(campaignId);
    }

    /**
     * @param campaignId the campaign whose messages carry the links
     * @return recipient id → its link (the campaign number is fixed once, here)
     * @throws UncheckedIOException as {@link #numberOf}
     */
    public IntFunction<String> urls(String campaignId) {
        int number = numberOf(campaignId);
        return id -> baseUrl + token(id, number);
    }

    /**
     * @param campaignId a campaign
     * @return its links if a number was already given to it (by a run whose template uses the link)
     */
    public Optional<IntFunction<String>> existingUrls(String campaignId) {
        return numbers.existing(campaignId).map(number -> id -> baseUrl + token(id, number));
    }

    /**
     * @param recipientId    a directory id (≥ 0)
     * @param campaignNumber a number from {@link #numberOf}
     * @return the signed token
     * @throws IllegalArgumentException if an argument is out of range
     */
    public String token(int recipientId, int campaignNumber) {
        if (recipientId < 0 || campaignNumber < 1 || campaignNumber > MAX_CAMPAIGNS) {
            throw new IllegalArgumentException("token: recipient id >= 0 and campaign number in [1, " + MAX_CAMPAIGNS
                    + "], got " + recipientId + ", " + campaignNumber);
        }
        byte[] b = new byte[7 + MAC_BYTES];
        b[0] = (byte) (recipientId >>> 24);
        b[1] = (byte) (recipientId >>> 16);
        b[2] = (byte) (recipientId >>> 8);
        b[3] = (byte) recipientId;
        b[4] = (byte) (campaignNumber >>> 16);
        b[5] = (byte) (campaignNumber >>> 8);
        b[6] = (byte) campaignNumber;
        String campaign = numbers.campaignOf(campaignNumber).orElseThrow(() -> new IllegalArgumentException(
                "token: campaign number " + campaignNumber + " was never given"));
        byte[] mac = mac(b, campaign);
        System.arraycopy(mac, 0, b, 7, MAC_BYTES);
        return ENCODER.encodeToString(b);
    }

    /**
     * The MAC of the token's first 7 bytes and the campaign id they stand for: were the campaign
     * numbers ever lost and given again, an old link could not pass for another campaign's.
     */
    private byte[] mac(byte[] b, String campaignId) {
        Mac m = macs.get();
        m.update(DOMAIN);
        m.update(b, 0, 7);
        m.update(campaignId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return m.doFinal();
    }

    /**
     * @param token a token from a link, as received
     * @return the link it stands for; empty if it is malformed, truncated, not signed with this
     *     key, or names a campaign number never given
     */
    public Optional<Link> verify(String token) {
        if (token == null || !TOKEN.matcher(token).matches()) {
            return Optional.empty();
        }
        byte[] b;
        try {
            b = Base64.getUrlDecoder().decode(token);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        if (b.length != 7 + MAC_BYTES || !ENCODER.encodeToString(b).equals(token)) {
            return Optional.empty(); // non-canonical encodings (stray low bits) are not ours
        }
        int id = ((b[0] & 0xFF) << 24) | ((b[1] & 0xFF) << 16) | ((b[2] & 0xFF) << 8) | (b[3] & 0xFF);
        int number = ((b[4] & 0xFF) << 16) | ((b[5] & 0xFF) << 8) | (b[6] & 0xFF);
        Optional<String> campaign = numbers.campaignOf(number);
        // the MAC is checked in every case, in constant time (against an empty campaign id for a number never given)
        byte[] expected = java.util.Arrays.copyOf(mac(b, campaign.orElse("")), MAC_BYTES);
        boolean signed = MessageDigest.isEqual(expected, java.util.Arrays.copyOfRange(b, 7, 7 + MAC_BYTES));
        if (!signed || id < 0 || campaign.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Link(id, campaign.get(), number));
    }

    /** @return the configured base URL, ending in '/' */
    public String baseUrl() {
        return baseUrl;
    }

    @Override
    public void close() throws IOException {
        if (ownNumbers) {
            numbers.close();
        }
    }
}
