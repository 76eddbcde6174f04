package dev.herald.dispatcher.api;

import dev.herald.dispatcher.api.campaign.CampaignAsks;
import dev.herald.dispatcher.campaign.CampaignManager;
import dev.herald.dispatcher.campaign.CampaignRecord;
import dev.herald.dispatcher.campaign.RecipientLookup;
import dev.herald.dispatcher.message.SentMessages;
import dev.herald.dispatcher.outcome.Outcomes;
import dev.herald.suppression.RecipientDirectory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

import org.apache.pekko.http.javadsl.server.Route;

import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

/**
 * {@code GET /v1/recipients/{phone}/messages[?from=&to=]} (role viewer): every message the number
 * was handed over in the period, across campaigns, newest first, as {@link MessageViews} shows
 * them (the text for sender and admin keys only). A campaign is read only if it ran in the period
 * and its outcome ledger (through its actor) says the recipient was {@code sent} (or {@code unknown}:
 * maybe sent), so campaigns that never sent to the number cost one bitmap lookup each.
 *
 * <pre>{@code
 * Route r = new MessageRoutes(keys, limits, campaigns, directory, views, Clock.systemUTC(), blockingIo).route();
 * }</pre>
 *
 * <p>Thread-safety: immutable; message logs are read on {@code blockingIo}.
 */
public final class MessageRoutes extends ApiDirectives {

    /** Every route of this group. */
    public static final List<Endpoint> ENDPOINTS = List.of(new Endpoint("GET", "/v1/recipients/{phone}/messages"));

    private final CampaignAsks campaigns;
    private final RecipientDirectory directory;
    private final MessageViews views;
    private final Clock clock;
    private final Executor blockingIo;

    /**
     * @param keys       who may call
     * @param limits     JSON body limits
     * @param campaigns  the campaign manager's asks (a timeout answers 503)
     * @param directory  numbers to ids
     * @param views      the messages as shown
     * @param clock      "now", the default end of the period
     * @param blockingIo where message logs are read
     */
    public MessageRoutes(ApiKeys keys, BodyLimits limits, CampaignAsks campaigns, RecipientDirectory directory,
                         MessageViews views, Clock clock, Executor blockingIo) {
        super(keys, limits);
        this.campaigns = campaigns;
        this.directory = directory;
        this.views = views;
        this.clock = clock;
        this.blockingIo = blockingIo;
    }

    /** @return the routes */
    public Route route() {
        return pathPrefix("v1", () -> path(segment("recipients").slash(segment()).slash("messages"), phone ->
                get(() -> authorized(Role.VIEWER, key -> parameterOptional("from", from -> parameterOptional("to", to ->
                        messages(phone, from, to, key.role().allows(Role.SENDER))))))));
    }

    private Route messages(String phone, Optional<String> fromText, Optional<String> toText, boolean withText) {
        // as GET /v1/audit and the consent report: from inclusive, to exclusive, a date is that day's start (UTC)
        Instant from = fromText.isPresent() ? ConsentRoutes.instant(fromText, "from", java.time.ZoneOffset.UTC) : Instant.EPOCH;
        Instant to = toText.isPresent() ? ConsentRoutes.instant(toText, "to", java.time.ZoneOffset.UTC)
                : clock.instant().plusMillis(1);
        if (!from.isBefore(to)) {
            throw ApiError.badRequest("invalid_parameter", "'from' (" + from + ") must be before 'to' (" + to + ")", "from");
        }
        int recipient = phoneId(directory, phone);
        String e164 = directory.get(recipient).orElseThrow().e164();
        CompletionStage<Map<String, Object>> answer = campaigns.list().thenCompose(list -> {
            List<CampaignRecord> inPeriod = list.stream().filter(c -> MessageViews.mayHaveSent(c, from, to)).toList();
            List<CompletableFuture<Part>> each = new ArrayList<>();
            for (CampaignRecord c : inPeriod) {
                each.add(campaigns.<RecipientLookup>ask(r -> new CampaignManager.OutcomeOf(c.id(), recipient, r))
                        .thenApplyAsync(l -> new Part(maySent(l) ? read(c, recipient, e164) : List.of(), null), blockingIo)
                        // a damaged campaign or message log is named, and the others answered
                        .exceptionally(e -> new Part(List.of(), c.id() + ": " + (e instanceof java.util.concurrent.CompletionException
                                && e.getCause() != null ? e.getCause() : e).getMessage()))
                        .toCompletableFuture());
            }
            return CompletableFuture.allOf(each.toArray(new CompletableFuture[0])).thenApply(v -> {
                List<SentMessages.Message> all = new ArrayList<>();
                List<String> errors = new ArrayList<>();
                each.forEach(f -> {
                    all.addAll(f.join().messages());
                    if (f.join().error() != null) {
                        errors.add(f.join().error());
                    }
                });
                all.removeIf(m -> m.handedAt().isBefore(from) || !m.handedAt().isBefore(to));
                all.sort(Comparator.comparing(SentMessages.Message::handedAt).reversed());
                Map<String, Object> out = new LinkedHashMap<>();
                out.put("phone", e164);
                out.put("from", from);
                out.put("to", to);
                out.put("campaignsLooked", inPeriod.size());
                List<Map<String, Object>> shown = new ArrayList<>(all.size());
                for (SentMessages.Message m : all) {
                    Map<String, Object> one = new LinkedHashMap<>();
                    one.put("campaign", m.campaign());
                    one.putAll(MessageViews.view(m, withText));
                    shown.add(one);
                }
                out.put("messages", shown);
                if (!errors.isEmpty()) {
                    out.put("errors", errors);
                }
                return out;
            });
        });
        return onSuccess(answer, out -> completeJson(200, out));
    }

    /** One campaign's part of the answer: its messages, or why it could not be read. */
    private record Part(List<SentMessages.Message> messages, String error) {
    }

    /** Whether the ledger says the recipient was (or may have been) sent the campaign's message. */
    private static boolean maySent(RecipientLookup l) {
        return l.inAudience() && l.outcome() != null
                && (Outcomes.SENT.equals(l.outcome().outcome()) || Outcomes.UNKNOWN.equals(l.outcome().outcome()));
    }

    private List<SentMessages.Message> read(CampaignRecord c, int recipient, String e164) {
        try {
            return views.messages(c, recipient, e164);
        } catch (IOException e) {
            throw new UncheckedIOException("campaign " + c.id() + ": " + e.getMessage(), e);
        }
    }
}
