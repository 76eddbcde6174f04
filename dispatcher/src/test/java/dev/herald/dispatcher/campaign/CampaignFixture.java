package dev.herald.dispatcher.campaign;

import dev.herald.dispatcher.HeraldData;
import dev.herald.dispatcher.connector.AcceptedLogEntry;
import dev.herald.dispatcher.connector.Connector;
import dev.herald.dispatcher.connector.SimulatedConnector;
import dev.herald.dispatcher.demo.AudienceSpec;
import dev.herald.dispatcher.demo.SyntheticAudience;
import dev.herald.dispatcher.outcome.OutcomeLedger;
import dev.herald.dispatcher.outcome.RecipientOutcome;
import dev.herald.dispatcher.throttle.ThrottleShards;
import dev.herald.suppression.Recipient;
import dev.herald.suppression.RecipientDirectory;
import dev.herald.suppression.Scope;
import dev.herald.suppression.SuppressionIndex;
import dev.herald.suppression.SuppressionSnapshot;
import dev.herald.throttle.CapAction;
import dev.herald.throttle.CapContext;
import dev.herald.throttle.CapRule;
import dev.herald.throttle.CapScope;
import dev.herald.throttle.CapWindow;
import dev.herald.throttle.FrequencyCaps;
import dev.herald.throttle.QuietHoursPolicies;
import dev.herald.throttle.QuietHoursPolicy;
import dev.herald.throttle.ReservationBatch;
import dev.herald.throttle.SendLedger;
import dev.herald.throttle.SendLedgerOptions;
import dev.herald.throttle.ZoneIndex;
import dev.herald.throttle.ZoneSet;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

import com.typesafe.config.ConfigFactory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.roaringbitmap.buffer.ImmutableRoaringBitmap;
import org.roaringbitmap.buffer.MutableRoaringBitmap;

/** A synthetic data directory, policy and cap ledger shared by the campaign tests. */
public final class CampaignFixture implements AutoCloseable {

    public static final long SEED = 20_240_601L;
    /** Wednesday 18:30 UTC: Europe mostly open (France closed at 20:30), Asia closed, the Americas open. */
    public static final Instant NOW = Instant.parse("2026-06-10T18:30:00Z");
    public static final String SENDER = "demo";
    public static final String CHANNEL = "sms";
    public static final String CATEGORY = "marketing";
    public static final List<Scope> SCOPES = Scope.forMessage(SENDER, CHANNEL, CATEGORY);
    private static final AtomicInteger NAMES = new AtomicInteger();

    public final HeraldData data;
    public final RecipientDirectory directory;
    public final SuppressionIndex index;
    public final ZoneIndex zones;
    public final QuietHoursPolicy policy;

    public CampaignFixture(Path root, int recipients) throws IOException {
        System.out.println("CampaignFixture seed " + SEED + ", " + recipients + " recipients");
        data = SyntheticAudience.openData(root, recipients);
        SyntheticAudience.of(AudienceSpec.defaults().withRecipients(recipients).withSeed(SEED)).populate(data, (p, d, t) -> { });
        directory = data.directory();
        index = data.suppression();
        zones = ZoneIndex.build(directory);
        policy = QuietHoursPolicies.fromConfig(ConfigFactory.load()).get("default");
    }

    /** Ids {@code [0, n)}. */
    public static ImmutableRoaringBitmap range(int n) {
        MutableRoaringBitmap b = new MutableRoaringBitmap();
        b.add(0L, n);
        return b;
    }

    /** A marketing cap of 1 per local calendar day, dropping. */
    public static SendLedger capLedger(Path dir) throws IOException {
        FrequencyCaps caps = FrequencyCaps.of(List.of(new CapRule("daily", 1, CapWindow.calendar(CapWindow.Period.DAY),
                CapScope.MARKETING, Optional.empty(), CapAction.DROP)));
        return SendLedger.open(dir, caps, new SendLedgerOptions(SendLedgerOptions.Store.MMAP, 4, 1 << 16), name -> null);
    }

    /** Counts one earlier marketing send today for {@code ids}, straight in the ledger. */
    public static void seedSends(SendLedger ledger, ImmutableRoaringBitmap ids) {
        ReservationBatch b = ledger.reserve(ids, CapContext.marketing(CHANNEL, CATEGORY, ZoneOffset.UTC), NOW);
        ledger.confirm(b.reserved(), b.stamp());
    }

    public ThrottleShards shards(ActorSystem<?> system, SendLedger ledger) {
        return ThrottleShards.spawn(system, "campaign-throttle-" + NAMES.incrementAndGet(), ledger, 2,
                ThrottleShards.idsPerShard(directory.size(), 2));
    }

    public CampaignDeps deps(ThrottleShards shards, Connector connector, Path ledgerRoot) {
        return new CampaignDeps(directory, index, zones, policy, shards, connector, null, ledgerRoot,
                Clock.fixed(NOW, ZoneOffset.UTC), Duration.ofSeconds(10));
    }

    public CampaignDeps deps(ThrottleShards shards, Connector connector, Path ledgerRoot, Clock clock) {
        return new CampaignDeps(directory, index, zones, policy, shards, connector, null, ledgerRoot, clock,
                Duration.ofSeconds(10));
    }

    public static CampaignSpec spec(String id, ImmutableRoaringBitmap audience) {
        return new CampaignSpec(id, "Spring sale " + id, CHANNEL, CATEGORY, SENDER,
                "Hi {{first_name}}, spring sale today!", "Reply STOP to opt out", audience);
    }

    /** What the pipeline should decide for one recipient before caps, computed per recipient. */
    public String expectedBeforeCaps(int id, SuppressionSnapshot snapshot) {
        if (snapshot.isSuppressed(id, SCOPES)) {
            return "suppressed";
        }
        Recipient r = directory.get(id).orElseThrow();
        ZoneSet zs = policy.zonesFor(ZoneSet.forRecipient(r));
        return policy.rule(CATEGORY, r.region()).isOpen(NOW, zs) ? "eligible" : "deferred";
    }

    /** The accepted log of {@code connector}, as recipient → how many times, for {@code campaign}. */
    public static Map<Integer, Integer> sentCounts(SimulatedConnector connector, String campaign) throws IOException {
        Map<Integer, Integer> counts = new HashMap<>();
        for (AcceptedLogEntry e : SimulatedConnector.readLog(connector.logFile())) {
            if (campaign == null || e.campaignId().equals(campaign)) {
                counts.merge(e.recipientId(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /** Every audience id's outcome from the campaign's ledger (reopened read-write, then closed). */
    public static Map<Integer, RecipientOutcome> outcomes(Path ledgerRoot, CampaignSpec spec) throws IOException {
        Map<Integer, RecipientOutcome> out = new HashMap<>();
        try (OutcomeLedger ledger = OutcomeLedger.open(ledgerRoot.resolve(spec.id()), spec.audience())) {
            if (ledger.recovery().unknownCount() > 0) {
                throw new AssertionError("ledger had claimed ids left: " + ledger.recovery());
            }
            spec.audience().forEach((org.roaringbitmap.IntConsumer) id -> ledger.outcomeOf(id).ifPresent(o -> out.put(id, o)));
        }
        return out;
    }

    @Override
    public void close() {
        data.close();
    }
}
