package dev.herald.throttle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * A campaign's bucket within its connector's, against a model of two integer buckets, over random
 * marketing calls by the campaign and by others straight on the shared bucket. Calls fall on a
 * 100 ms grid and rates are multiples of 10/s, so every token count is a whole number and the
 * model's answers are exact: a call is granted iff both buckets have its tokens (the shared one
 * keeping its transactional reserve), a refusal takes nothing from either, and the wait is the
 * longer of the two buckets' waits.
 */
class RateLimiterWithinPropertyTest {

    private static final long STEP = 100_000_000L; // 100 ms
    private static final long NANOS = 1_000_000_000L;

    @Property(seed = "20261207", tries = 400)
    void shouldGrantExactlyWhatBothBucketsHaveAndTakeNothingOnARefusal(
            @ForAll @IntRange(min = 1, max = 50) int ownRateTens, @ForAll @IntRange(min = 1, max = 20) int ownBurst,
            @ForAll @IntRange(min = 1, max = 50) int sharedRateTens, @ForAll @IntRange(min = 1, max = 20) int sharedBurst,
            @ForAll @Size(min = 1, max = 200) List<@IntRange(min = 0, max = 1 << 16) Integer> calls) {
        int ownRate = ownRateTens * 10;
        int sharedRate = sharedRateTens * 10;
        long[] clock = {7 * NANOS};
        RateLimit sharedLimit = RateLimit.of(sharedRate, sharedBurst);
        RateLimiter shared = new RateLimiter(sharedLimit, () -> clock[0]);
        RateLimiter campaign = new RateLimiter(new RateLimit(ownRate, ownBurst, 0.0, Duration.ofSeconds(1),
                Duration.ofSeconds(60), 0.5, 0.1, 0.05), shared);
        int reserve = sharedLimit.reserveTokens();
        assertEquals(Math.min(ownBurst, sharedBurst - reserve), campaign.maxPermits(Priority.MARKETING));

        long own = ownBurst;
        long common = sharedBurst;
        long steps = 0;
        long grantedOwn = 0;
        long grantedShared = 0;
        for (int call : calls) {
            int advance = call & 3;
            boolean viaCampaign = (call & 4) == 0;
            int max = viaCampaign ? campaign.maxPermits(Priority.MARKETING) : sharedBurst - reserve;
            int permits = 1 + (call >>> 3) % max;
            steps += advance;
            clock[0] += advance * STEP;
            own = Math.min(ownBurst, own + advance * ownRate / 10);
            common = Math.min(sharedBurst, common + advance * sharedRate / 10);

            long ownShort = viaCampaign ? Math.max(0, permits - own) : 0;
            long sharedShort = Math.max(0, permits + reserve - common);
            long expectedWait = Math.max(nanosFor(ownShort, ownRate), nanosFor(sharedShort, sharedRate));
            long wait = viaCampaign ? campaign.tryAcquire(Priority.MARKETING, permits, clock[0])
                    : shared.tryAcquire(Priority.MARKETING, permits, clock[0]);
            String what = (viaCampaign ? "campaign" : "other") + " asks " + permits + " at step " + steps + " (own " + own
                    + ", shared " + common + ")";
            if (expectedWait == 0) {
                assertEquals(0, wait, what + ": both buckets have the tokens");
                if (viaCampaign) {
                    own -= permits;
                    grantedOwn += permits;
                }
                common -= permits;
                grantedShared += permits;
            } else {
                assertTrue(Math.abs(wait - expectedWait) <= 1, what + ": wait " + wait + ", expected " + expectedWait);
            }
            assertTrue(grantedOwn <= ownBurst + steps * ownRate / 10, "the campaign over its own rate");
            assertTrue(grantedShared <= sharedBurst + steps * sharedRate / 10, "the connector over its rate");
        }
    }

    /** Nanoseconds for {@code tokens} missing tokens to accrue at {@code rate}/s, rounded up. */
    private static long nanosFor(long tokens, int rate) {
        return (tokens * NANOS + rate - 1) / rate;
    }
}
