package dev.herald.dispatcher.unsubscribe;

import dev.herald.dispatcher.api.PhoneMask;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.CampaignStore;
import dev.herald.dispatcher.sender.SenderProfiles;
import dev.herald.suppression.ConsentChange;
import dev.herald.dispatcher.inbound.LastSends;
import dev.herald.suppression.ConsentEvidence;
import dev.herald.suppression.CorruptIndexException;
import dev.herald.suppression.ConsentSource;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@code GET /u/{token}} and {@code POST /u/{token}} do, apart from HTTP: verify the token,
 * unsubscribe from the campaign's sender ({@code sender:<id>}, source {@code link}, the campaign
 * as evidence), record a reason, resubscribe, and change the preferences (category scopes and
 * the {@link Frequency}). Every change is durable before the answer is made.
 *
 * <pre>{@code
 * PreferenceCenter pc = new PreferenceCenter(links, prefs, reasons, index, directory, campaigns, senders, lastSends, Clock.systemUTC());
 * PreferenceCenter.Answer a = pc.post(token, "action=unsubscribe".getBytes(UTF_8));   // 200, "You are unsubscribed from ACME"
 * }</pre>
 *
 * <p>Blocking (disk); call it off the HTTP threads. Thread-safe: each store is.
 */
public final class PreferenceCenter {

    private static final Logger LOG = LoggerFactory.getLogger(PreferenceCenter.class);

    /** The body of an RFC 8058 one-click unsubscribe. */
    public static final String ONE_CLICK_FIELD = "List-Unsubscribe";

    /**
     * An HTML answer.
     *
     * @param status HTTP status
     * @param html   the page
     */
    public record Answer(int status, String html) {
    }

    /** A refused request: its status and the page's title and message. */
    static final class Refusal extends RuntimeException {
        final int status;
        final String title;
        final String token;

        Refusal(int status, String title, String message, String token) {
            super(message, null, false, false);
            this.status = status;
            this.title = title;
            this.token = token;
        }
    }

    /**
     * What a link is about. {@code sender} and {@code channel} come from the campaign's record, or,
     * when that is damaged, from its identity file or the recipient's last-send marks; {@code sender}
     * is null when none of them knows it (then the link opts out of everything: nothing may be lost).
     */
    private record Context(UnsubscribeLinks.Link link, Recipient recipient, String campaignId, String sender, String channel,
                           SenderProfiles.Profile profile, java.time.Instant sentAt) {
        Scope senderScope() {
            return sender == null ? Scope.GLOBAL : Scope.sender(sender);
        }

        String brand() {
            return sender == null ? "every sender on this number" : profile.brand();
        }

        List<String> categories() {
            return sender == null ? List.of() : profile.categories();
        }

        ConsentEvidence evidence(String how) {
            return ConsentEvidence.of(ConsentSource.LINK).channel(channel).campaign(campaignId).rawText(how)
                    .sentAt(sentAt);
        }
    }

    private final UnsubscribeLinks links;
    private final Preferences preferences;
    private final ReasonLog reasons;
    private final SuppressionIndex index;
    private final RecipientDirectory directory;
    private final CampaignStore campaigns;
    private final SenderProfiles senders;
    private final Clock clock;
    private final LastSends lastSends;

    /**
     * @param links       verifies tokens
     * @param preferences the frequency choices
     * @param reasons     where reasons go
     * @param index       the suppression index (sender and category scopes)
     * @param directory   the recipient directory
     * @param campaigns   the campaign records (a link's sender and channel)
     * @param senders     brands and categories
     * @param lastSends   the send time of the link's message, for the evidence (may be null)
     * @param clock       the reasons' time
     */
    public PreferenceCenter(UnsubscribeLinks links, Preferences preferences, ReasonLog reasons, SuppressionIndex index,
                            RecipientDirectory directory, CampaignStore campaigns, SenderProfiles senders, LastSends lastSends,
                            Clock clock) {
        this.links = links;
        this.preferences = preferences;
        this.reasons = reasons;
        this.index = index;
        this.directory = directory;
        this.campaigns = campaigns;
        this.senders = senders;
        this.lastSends = lastSends;
        this.clock = clock;
    }

    /** @return the page of {@code GET /u/{token}}: it shows, it changes nothing */
    public Answer get(String token) {
        try {
            Context c = context(token);
            UnsubscribePages.State s = state(c);
            return new Answer(200, s.unsubscribed()
                    ? UnsubscribePages.manage(s, "You are unsubscribed from " + c.brand() + ".")
                    : UnsubscribePages.start(s));
        } catch (Refusal r) {
            return refused(r);
        }
    }

    /**
     * @param token the link's token
     * @param body  the {@code application/x-www-form-urlencoded} body
     * @return the page after the action
     */
    public Answer post(String token, byte[] body) {
        try {
            Context c = context(token);
            FormBody form;
            try {
                form = FormBody.parse(body);
            } catch (IllegalArgumentException e) {
                throw bad(e.getMessage(), token);
            }
            String brand = c.brand();
            if (form.has(ONE_CLICK_FIELD)) {
                if (!"One-Click".equals(single(form, ONE_CLICK_FIELD, token))) {
                    throw bad("'" + ONE_CLICK_FIELD + "' must be 'One-Click'", token);
                }
                unsubscribe(c, "one-click (RFC 8058)");
                return new Answer(200, UnsubscribePages.manage(state(c), "You are unsubscribed from " + brand + "."));
            }
            String action = single(form, "action", token);
            if (action == null) {
                throw bad("the form has no 'action'; use the buttons on the page", token);
            }
            switch (action) {
                case "unsubscribe" -> {
                    unsubscribe(c, "unsubscribe page");
                    return new Answer(200, UnsubscribePages.manage(state(c), "You are unsubscribed from " + brand + "."));
                }
                case "reason" -> {
                    reason(c, form, token);
                    return new Answer(200, UnsubscribePages.manage(state(c), "Thank you for telling us. You are unsubscribed from "
                            + brand + "."));
                }
                case "resubscribe" -> {
                    if (c.sender() == null) {
                        throw new Refusal(409, "This link cannot resubscribe you just now", "The sender of this message "
                                + "cannot be determined at the moment, so you can only unsubscribe here. Please reply START "
                                + "to the sender's messages instead.", token);
                    }
                    if (index.snapshot().isSuppressed(c.recipient().id(), c.senderScope())) {
                        write(() -> index.optIn(c.recipient().id(), c.recipient().e164(), c.senderScope(),
                                c.evidence("resubscribe on the unsubscribe page")));
                        LOG.info("link resubscribe of {} to {} (campaign {})", PhoneMask.mask(c.recipient().e164()),
                                c.senderScope(), c.campaignId());
                    }
                    return new Answer(200, UnsubscribePages.manage(state(c), "You are subscribed to " + brand + " again."));
                }
                case "preferences" -> {
                    if (c.sender() == null) {
                        throw new Refusal(409, "Preferences are not available just now", "The sender of this message "
                                + "cannot be determined at the moment, so you can only unsubscribe here.", token);
                    }
                    preferences(c, form, token);
                    return new Answer(200, UnsubscribePages.manage(state(c), "Your preferences are saved."));
                }
                default -> throw bad("unknown action '" + action + "'; use the buttons on the page", token);
            }
        } catch (Refusal r) {
            return refused(r);
        }
    }

    private void unsubscribe(Context c, String how) {
        // Written even when already in force: a resubscribe may be on its way, and this later click must win.
        boolean changed = !index.snapshot().isSuppressed(c.recipient().id(), c.senderScope());
        write(() -> index.optOut(c.recipient().id(), c.recipient().e164(), c.senderScope(), c.evidence(how)));
        if (changed) {
            LOG.info("link unsubscribe of {} from {} (campaign {}, {})", PhoneMask.mask(c.recipient().e164()), c.senderScope(),
                    c.campaignId(), how);
        }
    }

    private void reason(Context c, FormBody form, String token) {
        String given = single(form, "reason", token);
        if (given == null || given.isEmpty()) {
            throw bad("choose a reason", token);
        }
        Reason reason = Reason.parse(given).orElseThrow(() -> bad("unknown reason '" + given + "'; choose one of: "
                + String.join(", ", java.util.Arrays.stream(Reason.values()).map(Reason::wire).toList()), token));
        String text = single(form, "text", token);
        if (text != null && text.length() > ReasonLog.MAX_TEXT) {
            throw bad("the text is " + text.length() + " characters long; at most " + ReasonLog.MAX_TEXT + " are accepted", token);
        }
        String kept = text == null || text.isBlank() ? null : text.strip();
        write(() -> reasons.append(clock.instant(), c.recipient().id(), c.recipient().e164(), c.campaignId(),
                c.sender(), reason, kept));
    }

    private void preferences(Context c, FormBody form, String token) {
        List<String> offered = c.categories();
        Set<String> ticked = new LinkedHashSet<>();
        for (String cat : form.all("category")) {
            if (!offered.contains(cat)) {
                throw bad("unknown category '" + cat + "'; " + (offered.isEmpty() ? "this sender offers none"
                        : "choose among: " + String.join(", ", offered)), token);
            }
            ticked.add(cat);
        }
        String given = single(form, "frequency", token);
        if (given == null) {
            throw bad("choose how often: as-sent, weekly or monthly", token);
        }
        Frequency f = Frequency.parse(given).orElseThrow(() -> bad("unknown frequency '" + given
                + "'; choose one of: as-sent, weekly, monthly", token));
        int id = c.recipient().id();
        SuppressionSnapshot snap = index.snapshot();
        List<ConsentChange> changes = new ArrayList<>();
        for (String cat : offered) {
            Scope scope = Scope.category(cat);
            boolean suppressed = snap.isSuppressed(id, scope);
            if (ticked.contains(cat) && suppressed) {
                changes.add(ConsentChange.optIn(id, c.recipient().e164(), scope, c.evidence("preference page")));
            } else if (!ticked.contains(cat) && !suppressed) {
                changes.add(ConsentChange.optOut(id, c.recipient().e164(), scope, c.evidence("preference page")));
            }
        }
        if (!changes.isEmpty()) {
            write(() -> index.apply(changes)); // the category choices as one durable group
        }
        write(() -> preferences.set(id, f));
        LOG.info("preferences of {} saved: categories {}, frequency {}", PhoneMask.mask(c.recipient().e164()), ticked, f.wire());
    }

    private interface Write {
        void run() throws IOException;
    }

    private static void write(Write w) {
        try {
            w.run();
        } catch (IOException e) {
            throw new UncheckedIOException("a preference change could not be made durable: " + e.getMessage(), e);
        }
    }

    private static String single(FormBody form, String name, String token) {
        try {
            return form.single(name).orElse(null);
        } catch (IllegalArgumentException e) {
            throw bad(e.getMessage(), token);
        }
    }

    private static Refusal bad(String message, String token) {
        return new Refusal(400, "This form could not be used", message, token);
    }

    private static Answer refused(Refusal r) {
        return new Answer(r.status, UnsubscribePages.error(r.title, r.getMessage(), r.token));
    }

    /** The 404 page of an invalid link. */
    public static Answer notFound() {
        return new Answer(404, UnsubscribePages.error("This link is not valid",
                "The link is incomplete, altered or unknown. Please use the whole link from your message.", null));
    }

    private Context context(String token) {
        Refusal invalid = new Refusal(404, "This link is not valid",
                "The link is incomplete, altered or unknown. Please use the whole link from your message.", null);
        UnsubscribeLinks.Link link = links.verify(token).orElseThrow(() -> invalid);
        Recipient r = directory.get(link.recipientId()).orElseThrow(() -> invalid);
        String campaignId = link.campaignId();
        // the recipient's last marketing message from this campaign (the link's), if it is one of the last two
        Optional<LastSends.Mark> mark = lastSends == null ? Optional.empty() : lastSends.recent(r.id()).stream()
                .filter(m -> m.campaignId().equals(campaignId)).findFirst();
        java.time.Instant sentAt = mark.map(LastSends.Mark::at).orElse(null);
        String sender;
        String channel;
        try {
            CampaignRecord campaign = campaigns.load(campaignId).orElseThrow(() -> invalid);
            sender = campaigns.senderOf(campaign, r.id()); // an A/B variant may send as its own sender
            channel = campaign.channel();
        } catch (CorruptIndexException e) {
            // The record is damaged: the link must still opt out (of the sender if anything still knows it).
            Optional<CampaignStore.Identity> identity = campaigns.identity(campaignId);
            sender = identity.map(CampaignStore.Identity::sender).or(() -> mark.map(LastSends.Mark::sender)).orElse(null);
            channel = identity.map(CampaignStore.Identity::channel).orElse(null);
            LOG.warn("unsubscribe link of damaged campaign {}: sender {} (from {}); {}", campaignId,
                    sender == null ? "unknown, so the link opts out of everything" : sender,
                    identity.isPresent() ? "its identity file" : mark.isPresent() ? "the last-send marks" : "nothing",
                    e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException("campaign " + campaignId + " could not be read", e);
        }
        return new Context(link, r, campaignId, sender, channel, sender == null ? null : senders.profile(sender), sentAt);
    }

    private UnsubscribePages.State state(Context c) {
        SuppressionSnapshot snap = index.snapshot();
        int id = c.recipient().id();
        Set<String> off = new TreeSet<>();
        for (String cat : c.categories()) {
            if (snap.isSuppressed(id, Scope.category(cat))) {
                off.add(cat);
            }
        }
        return new UnsubscribePages.State(links.token(id, c.link().campaignNumber()),
                c.brand(), snap.isSuppressed(id, c.senderScope()), c.categories(), off,
                preferences.frequency(id));
    }

    /**
     * The body of {@code GET /v1/recipients/{phone}/preferences}.
     *
     * @param recipient the recipient
     * @return {@code {"phone", "frequency", "categories": {name: receives}, "suppressed": [scopes]}}:
     *     the categories every sender offers, and any other category the recipient is out of
     */
    public Map<String, Object> preferencesOf(Recipient recipient) {
        int id = recipient.id();
        SuppressionSnapshot snap = index.snapshot();
        List<Scope> scopes = snap.scopesOf(id);
        Set<String> names = new LinkedHashSet<>(senders.allCategories());
        for (Scope s : scopes) {
            if (s.kind() == Scope.Kind.CATEGORY) {
                names.add(s.name());
            }
        }
        Map<String, Boolean> categories = new LinkedHashMap<>();
        for (String n : names) {
            categories.put(n, !snap.isSuppressed(id, Scope.category(n)));
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("phone", recipient.e164());
        body.put("frequency", preferences.frequency(id).wire());
        body.put("categories", categories);
        body.put("suppressed", new ArrayList<>(scopes.stream().map(Scope::toString).toList()));
        return body;
    }
}
