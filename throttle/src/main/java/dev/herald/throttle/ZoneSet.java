package dev.herald.throttle;

import dev.herald.suppression.PhoneNumbers;
import dev.herald.suppression.Recipient;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The time zone(s) a recipient may be in: usually one; several when it is only known from a
 * number whose prefix spans zones; none when nothing is known. Sorted by zone id, without
 * duplicates, and interned: equal sets are the same object, so buckets compare cheaply.
 *
 * <p>{@code ZoneSet z = ZoneSet.of("America/New_York", "America/Chicago");}
 *
 * <p>Immutable and thread-safe; the intern table is concurrent and grows with the distinct sets
 * seen (a few hundred in practice).
 */
public final class ZoneSet implements Comparable<ZoneSet> {
    private static final ConcurrentHashMap<List<String>, ZoneSet> INTERNED = new ConcurrentHashMap<>();

    /** No zone known. */
    public static final ZoneSet EMPTY = intern(List.of());

    private final List<ZoneId> zones;
    private final List<String> ids;

    private ZoneSet(List<String> ids) {
        this.ids = ids;
        this.zones = ids.stream().map(ZoneId::of).toList();
    }

    /**
     * @param zoneIds IANA zone ids (or offsets such as {@code +05:45}), any order, duplicates allowed
     * @return the interned set
     * @throws DateTimeException if an id is not a zone this JVM knows
     */
    public static ZoneSet of(String... zoneIds) {
        return of(List.of(zoneIds).stream().map(ZoneId::of).toList());
    }

    /**
     * @param zones zones, any order, duplicates allowed
     * @return the interned set
     * @throws NullPointerException if a zone is null
     */
    public static ZoneSet of(Collection<? extends ZoneId> zones) {
        List<String> ids = new ArrayList<>(zones.size());
        for (ZoneId z : zones) {
            String id = Objects.requireNonNull(z, "zone").getId();
            if (!ids.contains(id)) {
                ids.add(id);
            }
        }
        ids.sort(Comparator.naturalOrder());
        return intern(List.copyOf(ids));
    }

    /**
     * The zones quiet hours use for a recipient: its own zone when the directory has one this JVM
     * knows, otherwise the zones of its number ({@link PhoneNumbers#zonesOf}), otherwise
     * {@link #EMPTY} (the policy's {@code unknown-zones} then apply).
     */
    public static ZoneSet forRecipient(Recipient recipient) {
        if (recipient.zone() != null) {
            try {
                return of(List.of(ZoneId.of(recipient.zone())));
            } catch (DateTimeException unknownToThisJvm) {
                // fall back to the number, as for a recipient without a zone
            }
        }
        List<ZoneId> zones = new ArrayList<>(2);
        for (String id : PhoneNumbers.zonesOf(recipient.e164())) {
            try {
                zones.add(ZoneId.of(id));
            } catch (DateTimeException unknownToThisJvm) {
                // libphonenumber's data may name a zone this JVM's tz data lacks: use the others
            }
        }
        return of(zones);
    }

    private static ZoneSet intern(List<String> ids) {
        return INTERNED.computeIfAbsent(ids, ZoneSet::new);
    }

    /** @return the zones, sorted by id */
    public List<ZoneId> zones() {
        return zones;
    }

    /** @return the number of zones */
    public int size() {
        return zones.size();
    }

    /** @return whether no zone is known */
    public boolean isEmpty() {
        return zones.isEmpty();
    }

    /** Orders by size, then zone ids. */
    @Override
    public int compareTo(ZoneSet o) {
        int c = Integer.compare(ids.size(), o.ids.size());
        for (int i = 0; c == 0 && i < ids.size(); i++) {
            c = ids.get(i).compareTo(o.ids.get(i));
        }
        return c;
    }

    @Override
    public boolean equals(Object o) {
        return o == this || (o instanceof ZoneSet z && z.ids.equals(ids));
    }

    @Override
    public int hashCode() {
        return ids.hashCode();
    }

    /** The zone ids, e.g. {@code [America/Chicago, America/New_York]}. */
    @Override
    public String toString() {
        return ids.toString();
    }
}
