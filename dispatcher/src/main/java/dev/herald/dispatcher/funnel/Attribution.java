package dev.herald.dispatcher.funnel;

import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Last-touch attribution of a conversion: the recipient's last human click on a tracked link if
 * it came at most the click window before the conversion, else the last delivery to them if it came
 * at most the delivery window before; else the conversion is unattributed. A touch after the
 * conversion (a backdated {@code occurredAt}) does not count. A campaign named explicitly, or by the
 * tracked-link token the conversion came with, wins over touches; the caller decides that
 * ({@link Source#CAMPAIGN}, {@link Source#TOKEN}).
 *
 * <pre>{@code
 * Attribution a = new Attribution(Duration.ofDays(5), Duration.ofHours(24), touches, numbers::campaignOf);
 * Attribution.Result r = a.lastTouch(42, occurredAtMillis);   // Result[campaignId=spring-sale, source=CLICK]
 * }</pre>
 *
 * <p>Thread-safe if the touches are (they are: {@link Touches}).
 */
public final class Attribution {

    /** Why a conversion went to its campaign. */
    public enum Source {
        /** A tracked-link token came with the conversion. */
        TOKEN,
        /** The caller named the campaign. */
        CAMPAIGN,
        /** The recipient's last human click, within the click window. */
        CLICK,
        /** The last delivery to the recipient, within the delivery window. */
        DELIVERY,
        /** No touch within the windows: unattributed. */
        NONE;

        /** @return the wire name, lower case */
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** @throws IllegalArgumentException for an unknown label */
        public static Source parse(String label) {
            return valueOf(label.toUpperCase(Locale.ROOT));
        }
    }

    /**
     * The attribution of one conversion.
     *
     * @param campaignId the campaign, or null (unattributed)
     * @param source     why
     */
    public record Result(String campaignId, Source source) {
        /** Unattributed. */
        public static final Result NONE = new Result(null, Source.NONE);

        /** @throws IllegalArgumentException if the campaign is null for a source other than NONE, or set for NONE */
        public Result {
            Objects.requireNonNull(source, "source");
            if ((campaignId == null) != (source == Source.NONE)) {
                throw new IllegalArgumentException("an attribution has a campaign unless its source is none, got "
                        + campaignId + " by " + source);
            }
        }
    }

    private final long clickWindowMillis;
    private final long deliveryWindowMillis;
    private final Touches touches;
    private final IntFunction<Optional<String>> campaignOf;
    private final java.util.function.Function<String, Optional<Windows>> overrides;

    /**
     * A campaign's own windows (either may be absent: the configured one).
     *
     * @param click    after its human click
     * @param delivery after its delivery
     */
    public record Windows(Optional<Duration> click, Optional<Duration> delivery) {
    }

    /**
     * @param clickWindow    how long before a conversion a human click still counts (0: clicks never do)
     * @param deliveryWindow how long before a conversion a delivery still counts (0: deliveries never do)
     * @param touches        each recipient's last delivery and click
     * @param campaignOf     a campaign number to its id ({@link dev.herald.dispatcher.campaign.CampaignNumbers#campaignOf})
     * @throws IllegalArgumentException for a negative window
     */
    public Attribution(Duration clickWindow, Duration deliveryWindow, Touches touches, IntFunction<Optional<String>> campaignOf) {
        this(clickWindow, deliveryWindow, touches, campaignOf, id -> Optional.empty());
    }

    /**
     * As the other constructor, with campaigns' own windows.
     *
     * @param overrides a campaign id to its own windows, if it has any (read once per conversion)
     */
    public Attribution(Duration clickWindow, Duration deliveryWindow, Touches touches, IntFunction<Optional<String>> campaignOf,
                       java.util.function.Function<String, Optional<Windows>> overrides) {
        this.overrides = Objects.requireNonNull(overrides, "overrides");
        if (clickWindow.isNegative() || deliveryWindow.isNegative()) {
            throw new IllegalArgumentException("attribution windows must be >= 0, got " + clickWindow + ", " + deliveryWindow);
        }
        this.clickWindowMillis = clickWindow.toMillis();
        this.deliveryWindowMillis = deliveryWindow.toMillis();
        this.touches = Objects.requireNonNull(touches, "touches");
        this.campaignOf = Objects.requireNonNull(campaignOf, "campaignOf");
    }

    /**
     * @param recipient        the converting recipient's id
     * @param occurredAtMillis when the conversion occurred, epoch ms
     * @return the campaign of its last touch within the windows, or {@link Result#NONE}
     */
    public Result lastTouch(int recipient, long occurredAtMillis) {
        Optional<String> byClick = within(touches.lastClicked(recipient), occurredAtMillis, clickWindowMillis, true);
        if (byClick.isPresent()) {
            return new Result(byClick.get(), Source.CLICK);
        }
        Optional<String> byDelivery = within(touches.lastDelivered(recipient), occurredAtMillis, deliveryWindowMillis, false);
        return byDelivery.map(c -> new Result(c, Source.DELIVERY)).orElse(Result.NONE);
    }

    /** @return the touch's campaign if {@code at} is within its window: the campaign's own, else the configured one */
    private Optional<String> within(Optional<Touches.Touch> touch, long at, long configured, boolean click) {
        if (touch.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> campaign = campaignOf.apply(touch.get().campaignNumber());
        if (campaign.isEmpty()) {
            return Optional.empty();
        }
        long window = overrides.apply(campaign.get()).flatMap(w -> click ? w.click() : w.delivery())
                .map(Duration::toMillis).orElse(configured);
        long since = at - touch.get().atMillis();
        if (window <= 0 || since < 0 || since > window) {
            return Optional.empty();
        }
        return campaign;
    }
}
