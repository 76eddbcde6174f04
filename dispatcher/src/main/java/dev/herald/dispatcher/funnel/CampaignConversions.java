package dev.herald.dispatcher.funnel;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

import java.math.BigDecimal;
import java.util.Map;

/**
 * What one campaign converted, for its funnel: the recipients who converted (a bitmap, to be
 * intersected with the funnel's other steps), the conversions counted, and their value per currency.
 * A snapshot: later conversions do not change it.
 *
 * <pre>{@code
 * CampaignConversions c = conversions.of("spring-sale");
 * c.recipients().getLongCardinality();   // converted recipients
 * c.valueByCurrency().get("EUR");        // 1234.50
 * }</pre>
 *
 * @param count           conversions (orders), each order once
 * @param recipients      recipients with at least one
 * @param valueByCurrency the sum of their values per ISO 4217 code (sorted by code)
 */
public record CampaignConversions(long count, ImmutableRoaringBitmap recipients, Map<String, BigDecimal> valueByCurrency) {

    /** None. */
    public static final CampaignConversions EMPTY = new CampaignConversions(0,
            new org.roaringbitmap.buffer.MutableRoaringBitmap().toImmutableRoaringBitmap(), Map.of());

    /** Copies the map (sorted by code). */
    public CampaignConversions {
        valueByCurrency = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(valueByCurrency));
    }
}
