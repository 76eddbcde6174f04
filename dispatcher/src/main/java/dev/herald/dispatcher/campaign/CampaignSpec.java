package dev.herald.dispatcher.campaign;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

import dev.herald.dispatcher.experiment.CampaignVariant;
import dev.herald.dispatcher.experiment.VariantPlan;

import org.roaringbitmap.buffer.ImmutableRoaringBitmap;

/**
 * What one campaign sends, to whom, on which channel: the input of {@link CampaignRun}.
 *
 * <pre>{@code
 * CampaignSpec spec = new CampaignSpec("c42", "Spring sale", "sms", "marketing", "acme",
 *         "Hi {{first_name}}, 20% off today", "Reply STOP to opt out", audience);
 * }</pre>
 *
 * <p>Immutable if {@code audience} is not mutated after construction.
 *
 * @param id       campaign id, as in the accepted log and the outcome ledger directory name
 * @param name     human name, for reports
 * @param channel  channel name as in suppression scopes and cap contexts, e.g. {@code sms}
 * @param category message category, e.g. {@code marketing} (quiet hours, caps, suppression)
 * @param sender   sender / brand id, e.g. {@code acme}
 * @param template template text with {@code {{field}}} placeholders
 * @param footer   the sender's compliance footer, appended to every message (may be empty)
 * @param audience  the recipient ids
 * @param expiresAt after this instant nobody is sent to: recipients deferred past it (quiet hours,
 *                  a deferring cap) get {@code expired}; null for never
 * @param connector the connector it sends through, by name; null for the default one
 * @param trackLinks whether its links are tracked
 * @param variants  its 2–8 messages (null: one, {@code template} from {@code sender})
 * @param plan      which recipient gets which variant (null with {@code variants}: by hash; ignored without)
 */
public record CampaignSpec(String id, String name, String channel, String category, String sender,
                           String template, String footer, ImmutableRoaringBitmap audience, Instant expiresAt,
                           String connector, boolean trackLinks, List<CampaignVariant> variants, VariantPlan plan) {

    /** A campaign with one message. */
    public CampaignSpec(String id, String name, String channel, String category, String sender,
                        String template, String footer, ImmutableRoaringBitmap audience, Instant expiresAt,
                        String connector, boolean trackLinks) {
        this(id, name, channel, category, sender, template, footer, audience, expiresAt, connector, trackLinks, null, null);
    }

    /** @return this campaign sending {@code vs} (null: one message) to whom {@code p} says */
    public CampaignSpec withVariants(List<CampaignVariant> vs, VariantPlan p) {
        return new CampaignSpec(id, name, channel, category, sender, template, footer, audience, expiresAt, connector,
                trackLinks, vs, p);
    }

    /** A campaign on the default connector. */
    public CampaignSpec(String id, String name, String channel, String category, String sender,
                        String template, String footer, ImmutableRoaringBitmap audience, Instant expiresAt) {
        this(id, name, channel, category, sender, template, footer, audience, expiresAt, null, false);
    }

    /** A campaign whose links are not tracked. */
    public CampaignSpec(String id, String name, String channel, String category, String sender,
                        String template, String footer, ImmutableRoaringBitmap audience, Instant expiresAt, String connector) {
        this(id, name, channel, category, sender, template, footer, audience, expiresAt, connector, false);
    }

    /** A campaign that never expires. */
    public CampaignSpec(String id, String name, String channel, String category, String sender,
                        String template, String footer, ImmutableRoaringBitmap audience) {
        this(id, name, channel, category, sender, template, footer, audience, null);
    }

    /** @throws IllegalArgumentException naming the first missing component */
    public CampaignSpec {
        require(id != null && !id.isBlank(), "campaign id is missing");
        require(name != null, "campaign name is missing");
        require(channel != null && !channel.isBlank(), "channel is missing");
        require(category != null && !category.isBlank(), "category is missing");
        require(sender != null && !sender.isBlank(), "sender is missing");
        require(template != null, "template is missing");
        footer = Objects.requireNonNullElse(footer, "");
        require(audience != null, "audience is missing");
        if (variants != null) {
            variants = List.copyOf(variants);
            require(variants.size() >= 2 && variants.size() <= 8, "2 to 8 variants, got " + variants.size());
            plan = plan != null ? plan : VariantPlan.hashed(id, variants.size());
            require(plan.count() == variants.size(), "the plan has " + plan.count() + " variants, not " + variants.size());
        } else {
            plan = VariantPlan.single();
        }
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException("campaign spec: " + message);
        }
    }
}
