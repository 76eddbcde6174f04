package dev.herald.dispatcher.funnel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;

/** Last-touch attribution: a human click within its window, else a delivery within its window, else none. */
class AttributionTest {
    private static final long HOUR = 3_600_000L;
    private static final long DAY = 24 * HOUR;
    private static final long T = 1_800_000_000_000L;
    private static final Map<Integer, String> CAMPAIGNS = Map.of(1, "spring", 2, "summer", 3, "autumn");

    private final InMemoryTouches touches = new InMemoryTouches();
    private final Attribution attribution = new Attribution(Duration.ofDays(5), Duration.ofHours(24), touches,
            n -> Optional.ofNullable(CAMPAIGNS.get(n)));

    @Test
    void shouldAttributeToTheLastClickWithinFiveDays() {
        touches.delivered(7, 1, T - 2 * HOUR);
        touches.clicked(7, 2, T - 5 * DAY);
        assertEquals(new Attribution.Result("summer", Attribution.Source.CLICK), attribution.lastTouch(7, T));
    }

    @Test
    void shouldFallBackToTheDeliveryWhenTheClickIsOlderThanItsWindow() {
        touches.clicked(7, 2, T - 5 * DAY - 1);
        touches.delivered(7, 1, T - 24 * HOUR);
        assertEquals(new Attribution.Result("spring", Attribution.Source.DELIVERY), attribution.lastTouch(7, T));
    }

    @Test
    void shouldLeaveUnattributedWhenEveryTouchIsOutsideItsWindow() {
        touches.clicked(7, 2, T - 6 * DAY);
        touches.delivered(7, 1, T - 24 * HOUR - 1);
        assertEquals(Attribution.Result.NONE, attribution.lastTouch(7, T));
        assertEquals(Attribution.Result.NONE, attribution.lastTouch(8, T), "no touch at all");
    }

    @Test
    void shouldNotCountATouchAfterTheConversion() {
        touches.clicked(7, 2, T + 1);
        touches.delivered(7, 1, T - HOUR);
        assertEquals(new Attribution.Result("spring", Attribution.Source.DELIVERY), attribution.lastTouch(7, T));
        touches.delivered(7, 3, T + HOUR);
        assertEquals(Attribution.Result.NONE, attribution.lastTouch(7, T));
    }

    @Test
    void aCampaignsOwnWindowsReplaceTheConfiguredOnesForItsTouches() {
        // summer keeps clicks for 1 day only; spring counts its deliveries for 3 days
        Attribution own = new Attribution(Duration.ofDays(5), Duration.ofHours(24), touches,
                n -> Optional.ofNullable(CAMPAIGNS.get(n)), id -> switch (id) {
                    case "summer" -> Optional.of(new Attribution.Windows(Optional.of(Duration.ofDays(1)), Optional.empty()));
                    case "spring" -> Optional.of(new Attribution.Windows(Optional.empty(), Optional.of(Duration.ofDays(3))));
                    default -> Optional.empty();
                });
        touches.clicked(7, 2, T - 2 * DAY);
        touches.delivered(7, 1, T - 2 * DAY);
        assertEquals(new Attribution.Result("spring", Attribution.Source.DELIVERY), own.lastTouch(7, T),
                "summer's click is past its own 1-day window; spring's delivery within its own 3 days");
        assertEquals(new Attribution.Result("summer", Attribution.Source.CLICK), attribution.lastTouch(7, T),
                "with the configured windows the click (5 days) wins");
        touches.clicked(8, 3, T - 4 * DAY);
        assertEquals(new Attribution.Result("autumn", Attribution.Source.CLICK), own.lastTouch(8, T),
                "a campaign without windows of its own keeps the configured ones");
    }

    @Test
    void aCampaignsWindowsAreCheckedWhenCreated() {
        assertThrows(IllegalArgumentException.class, () -> new dev.herald.dispatcher.campaign.CampaignRecord.AttributionWindows("72h", null));
        assertThrows(IllegalArgumentException.class, () -> new dev.herald.dispatcher.campaign.CampaignRecord.AttributionWindows(null, "P91D"));
        assertThrows(IllegalArgumentException.class, () -> new dev.herald.dispatcher.campaign.CampaignRecord.AttributionWindows("-PT1H", null));
        assertEquals(Optional.of(Duration.ofHours(72)),
                new dev.herald.dispatcher.campaign.CampaignRecord.AttributionWindows("PT72H", null).click());
    }

    @Test
    void shouldSkipATouchOfACampaignNumberThatNamesNoCampaign() {
        touches.clicked(7, 99, T - HOUR);
        touches.delivered(7, 3, T - HOUR);
        assertEquals(new Attribution.Result("autumn", Attribution.Source.DELIVERY), attribution.lastTouch(7, T));
    }

    @Test
    void shouldNeverCountAKindOfTouchWhoseWindowIsZero() {
        Attribution noClicks = new Attribution(Duration.ZERO, Duration.ofHours(24), touches, n -> Optional.ofNullable(CAMPAIGNS.get(n)));
        touches.clicked(7, 2, T);
        touches.delivered(7, 1, T - HOUR);
        assertEquals(new Attribution.Result("spring", Attribution.Source.DELIVERY), noClicks.lastTouch(7, T));
    }

    @Test
    void shouldRefuseNegativeWindowsAndAnInconsistentResult() {
        assertThrows(IllegalArgumentException.class, () -> new Attribution(Duration.ofDays(-1), Duration.ZERO, touches,
                n -> Optional.empty()));
        assertThrows(IllegalArgumentException.class, () -> new Attribution.Result(null, Attribution.Source.CLICK));
        assertThrows(IllegalArgumentException.class, () -> new Attribution.Result("x", Attribution.Source.NONE));
    }

    @Test
    void shouldReadTheWindowsFromTheConfiguration() {
        ConversionSettings s = ConversionSettings.fromConfig(com.typesafe.config.ConfigFactory.load());
        assertEquals(ConversionSettings.DEFAULTS, s);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> ConversionSettings.fromConfig(
                com.typesafe.config.ConfigFactory.parseString("herald.funnel.attribution.click-window = -1d")
                        .withFallback(com.typesafe.config.ConfigFactory.load())));
        assertEquals(true, bad.getMessage().contains("herald.funnel.attribution.click-window"), bad.getMessage());
    }
}
