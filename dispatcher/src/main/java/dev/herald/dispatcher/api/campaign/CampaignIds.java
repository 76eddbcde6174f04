package dev.herald.dispatcher.api.campaign;

import dev.herald.dispatcher.api.ApiError;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.Optional;

/**
 * Campaign ids as the API mints them: from an {@code Idempotency-Key} (the same key always names the
 * same campaign, so a retried create finds the campaign its first try made), or fresh.
 *
 * <pre>{@code
 * CampaignIds.forKey("spring-1");        // "c-" + the first 12 bytes of SHA-256("spring-1") in hex
 * CampaignIds.fresh(now);                // "c-20261201-090000-" + 8 random hex digits
 * CampaignIds.mint(Optional.empty(), now);
 * }</pre>
 *
 * <p>Thread-safety: stateless.
 */
public final class CampaignIds {

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
    private static final HexFormat HEX = HexFormat.of();

    private CampaignIds() {
    }

    /** @return the id for the key when there is one, else a fresh id stamped with {@code now} */
    public static String mint(Optional<String> idempotencyKey, Instant now) {
        return idempotencyKey.map(CampaignIds::forKey).orElseGet(() -> fresh(now));
    }

    /**
     * @return {@code "c-"} and 24 hex digits of the key's SHA-256
     * @throws ApiError 400 {@code invalid_header} (field {@code Idempotency-Key}) for a blank key or one over 200 characters
     */
    public static String forKey(String idempotencyKey) {
        if (idempotencyKey.isBlank() || idempotencyKey.length() > 200) {
            throw ApiError.badRequest("invalid_header", "Idempotency-Key must be 1-200 characters", "Idempotency-Key");
        }
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(idempotencyKey.getBytes(StandardCharsets.UTF_8));
            return "c-" + HEX.formatHex(h, 0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** @return {@code "c-"}, {@code now} as {@code yyyyMMdd-HHmmss} (UTC) and 8 random hex digits */
    public static String fresh(Instant now) {
        byte[] r = new byte[4];
        new SecureRandom().nextBytes(r);
        return "c-" + STAMP.format(now) + "-" + HEX.formatHex(r);
    }
}
